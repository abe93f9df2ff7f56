"""The demo council: something for a newcomer to sign in to and look at straight away."""

from __future__ import annotations

import random
import secrets
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from assess.library import Library
from assess.models import (
    Assessment,
    AssessmentQuestionnaire,
    Organisation,
    OrganisationRole,
    QuestionnaireVersion,
    RespondentGroup,
    ResponseStatus,
    SiteRole,
    User,
)
from assess.services.questionnaires import questionnaire_of, record_library
from assess.services.responses import individual_response, save_answers, submit_response
from assess.services.rounds import assign_facilitator
from assess.services.users import add_membership, add_user
from scoring import Answer, Questionnaire, visible_questions
from scoring.model import AnswerValue, Question

DEMO_CODE = "DEMO"
DEMO_ROUND = "Before the 2027 peer challenge"


@dataclass(frozen=True)
class DemoAccount:
    """A demo account as printed for the newcomer."""

    email: str
    name: str
    password: str
    what: str


ACCOUNTS = (
    ("lead@demo.example", "Priya Shah", OrganisationRole.LEAD, RespondentGroup.OFFICER, (),
     "council lead: starts rounds, sees everyone's answers"),
    ("officer@demo.example", "Tom Hughes", OrganisationRole.RESPONDENT, RespondentGroup.OFFICER, (),
     "respondent (officer): has submitted every questionnaire"),
    ("member@demo.example", "Cllr Jean Evans", OrganisationRole.RESPONDENT, RespondentGroup.MEMBER, (),
     "respondent (elected member): part-way through"),
    ("facilitator@demo.example", "Sam Okafor", None, None, (SiteRole.FACILITATOR,),
     "facilitator assigned to the demo round"),
    ("analyst@demo.example", "Alex Morgan", None, None, (SiteRole.ANALYST,), "sector analyst"),
    ("admin@demo.example", "Admin User", None, None, (SiteRole.ADMIN,), "site administrator"),
)


def create_demo(session: Session, library: Library, password: str | None = None) -> list[DemoAccount]:
    """Create (or refresh) the demo council, its accounts and an open round with its facilitator; the accounts.

    Running it again resets the demo accounts' passwords and leaves the answers as they are.
    """
    versions = {r.file.questionnaire.id: r.version for r in record_library(session, library)}
    council = session.scalar(select(Organisation).filter_by(code=DEMO_CODE))
    if council is None:
        council = Organisation(code=DEMO_CODE, name="Demo Borough", official_name="Demo Borough Council",
                               type="Unitary authority", region="North West", population=180_000)
        session.add(council)
        session.flush()

    accounts: list[DemoAccount] = []
    users = {}
    for email, name, org_role, group, site_roles, what in ACCOUNTS:
        secret = password or secrets.token_urlsafe(12)
        user = add_user(session, email, name, secret, site_roles)
        if org_role is not None and group is not None:
            add_membership(session, user, council, org_role, group)
        users[email] = user
        accounts.append(DemoAccount(email, name, secret, what))

    assessment = session.scalar(select(Assessment).filter_by(organisation_id=council.id, title=DEMO_ROUND))
    if assessment is None:
        assessment = Assessment(organisation=council, title=DEMO_ROUND, created_by_id=users["lead@demo.example"].id)
        assessment.questionnaires = [
            AssessmentQuestionnaire(questionnaire_version=version, position=i)
            for i, version in enumerate(versions.values())
        ]
        session.add(assessment)
        session.flush()

    officer, member = users["officer@demo.example"], users["member@demo.example"]
    for position, link in enumerate(assessment.questionnaires):
        version = link.questionnaire_version
        # The version the round offers, which need not be the library's current one.
        questionnaire = questionnaire_of(version)
        response = individual_response(session, assessment, version, officer, RespondentGroup.OFFICER)
        if response.status != ResponseStatus.SUBMITTED:
            save_answers(session, response, demo_answers(questionnaire, seed=version.questionnaire_id), officer)
            submit_response(session, response, officer)
        if position == 0:
            _start_member_response(session, assessment, version, questionnaire, member)
    assign_facilitator(session, assessment, users["facilitator@demo.example"], users["lead@demo.example"])
    return accounts


def _start_member_response(session: Session, assessment: Assessment, version: QuestionnaireVersion,
                           questionnaire: Questionnaire, member: User) -> None:
    response = individual_response(session, assessment, version, member, RespondentGroup.MEMBER)
    if response.status == ResponseStatus.NOT_STARTED:
        first_section = {q.id for q in questionnaire.sections[0].questions}
        answers = demo_answers(questionnaire, seed=f"member-{questionnaire.id}")
        save_answers(session, response, {k: v for k, v in answers.items() if k in first_section}, member)


_OUTCOMES = {1: "not-achieved", 2: "not-achieved", 3: "partially-achieved", 4: "achieved", 5: "achieved"}


def demo_answers(questionnaire: Questionnaire, seed: str) -> dict[str, Answer]:
    """Realistic, varied answers to every shown question: each section clusters around its own level."""
    rng = random.Random(seed)
    levels = questionnaire.levels
    answers: dict[str, Answer] = {}
    for section in questionnaire.sections:
        base = rng.choice(levels[1:-1] or levels)
        for question in section.questions:
            if question.id not in visible_questions(questionnaire, answers):
                continue
            if question.not_applicable and rng.random() < 0.1:
                answers[question.id] = Answer(not_applicable=True)
                continue
            level = min(max(base + rng.choice((-1, 0, 0, 1)), levels[0]), levels[-1])
            comment = None
            if question.comment == "required" or (question.comment == "optional" and rng.random() < 0.3):
                comment = "Evidence: reported to the leadership team and the audit committee this year."
            answers[question.id] = Answer(value_near(question, level, rng), comment=comment)
    return answers


def value_near(question: Question, level: int, rng: random.Random) -> AnswerValue:
    """An answer to a question that scores near a level (the value itself for level questions)."""
    if question.type == "level":
        return level
    if question.type == "yes-no":
        return "yes" if level >= 3 or rng.random() < 0.3 else "no"
    if question.type == "choice":
        by_outcome = [o for o in question.options if o.value == _OUTCOMES.get(level)]
        scored = sorted((o for o in question.options if o.score is not None),
                        key=lambda o: abs((o.score or 0) - level))
        return (by_outcome or scored or [rng.choice(question.options)])[0].value
    if question.type == "multi-choice":
        picks = rng.sample(question.options, k=rng.randint(1, len(question.options)))
        return tuple(o.value for o in question.options if o in picks)
    if question.type == "number":
        low = question.minimum if question.minimum is not None else 0
        high = question.maximum if question.maximum is not None else low + 100
        return rng.randint(int(low), int(high))
    return "We have started on this and report progress to the leadership team each quarter."


def describe(accounts: list[DemoAccount]) -> str:
    """The demo accounts as a short table for the terminal."""
    width = max(len(a.email) for a in accounts)
    lines = [f"Demo council: Demo Borough (code {DEMO_CODE}), round '{DEMO_ROUND}'", "", "Demo accounts:"]
    lines += [f"  {a.email:<{width}}  password: {a.password}  ({a.what})" for a in accounts]
    return "\n".join(lines)
