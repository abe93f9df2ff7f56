"""The demo council: something for a newcomer to sign in to and look at straight away."""

from __future__ import annotations

import random
import secrets
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from assess.library import Library
from assess.models import (
    ActionStatus,
    Assessment,
    AssessmentQuestionnaire,
    AssessmentStatus,
    JoinedBy,
    Organisation,
    OrganisationRole,
    QuestionnaireVersion,
    RespondentGroup,
    ResponseStatus,
    Sharing,
    SiteRole,
    User,
    utcnow,
)
from assess.services import participants
from assess.services.agreement import ActionDetails, agreed_response, save_action, section_levels, set_targets
from assess.services.invitations import Invitee, Issued, invite
from assess.services.questionnaires import questionnaire_of, record_library
from assess.services.responses import individual_response, save_answers, submit_response
from assess.services.rounds import assign_facilitator, change_status
from assess.services.users import add_membership, add_user
from scoring import Answer, Questionnaire, visible_questions
from scoring.model import AnswerValue, Question

DEMO_CODE = "DEMO"
DEMO_ROUND = "Before the 2027 peer challenge"
LAST_YEAR = "Self-assessment 2025-26"


@dataclass(frozen=True)
class DemoAccount:
    """A demo account as printed for the newcomer."""

    email: str
    name: str
    password: str
    what: str


#: Each demo account: email, name, role in the council, group, site roles, what it shows, and for a
#: respondent how far they have got (questionnaires submitted, then sections of the next one saved).
ACCOUNTS = (
    ("lead@demo.example", "Priya Shah", OrganisationRole.LEAD, RespondentGroup.OFFICER, (),
     "council lead: runs the round, invites, sees everyone's answers", (0, 0)),
    ("officer@demo.example", "Tom Hughes", OrganisationRole.RESPONDENT, RespondentGroup.OFFICER, (),
     "respondent (officer): has submitted every questionnaire", (99, 0)),
    ("member@demo.example", "Cllr Jean Evans", OrganisationRole.RESPONDENT, RespondentGroup.MEMBER, (),
     "respondent (elected member): part-way through", (0, 1)),
    ("finance@demo.example", "Nadia Rahman", OrganisationRole.RESPONDENT, RespondentGroup.OFFICER, (),
     "respondent (officer, section 151 officer): has submitted every questionnaire", (99, 0)),
    ("digital@demo.example", "Ben Carter", OrganisationRole.RESPONDENT, RespondentGroup.OFFICER, (),
     "respondent (officer): 3 questionnaires submitted, the 4th started", (3, 2)),
    ("ceo@demo.example", "Helen Ward", OrganisationRole.RESPONDENT, RespondentGroup.OFFICER, (),
     "respondent (officer, chief executive): 1 submitted", (1, 0)),
    ("cllr.khan@demo.example", "Cllr Amir Khan", OrganisationRole.RESPONDENT, RespondentGroup.MEMBER, (),
     "respondent (elected member, leader of the council): has submitted every questionnaire", (99, 0)),
    ("cllr.lewis@demo.example", "Cllr Rosa Lewis", OrganisationRole.RESPONDENT, RespondentGroup.MEMBER, (),
     "respondent (elected member): not started", (0, 0)),
    ("cllr.brown@demo.example", "Cllr Peter Brown", OrganisationRole.RESPONDENT, RespondentGroup.MEMBER, (),
     "respondent (elected member, opposition): 2 submitted", (2, 1)),
    ("facilitator@demo.example", "Sam Okafor", None, None, (SiteRole.FACILITATOR,),
     "facilitator assigned to the demo round", (0, 0)),
    ("analyst@demo.example", "Alex Morgan", None, None, (SiteRole.ANALYST,), "sector analyst", (0, 0)),
    ("admin@demo.example", "Admin User", None, None, (SiteRole.ADMIN,), "site administrator", (0, 0)),
)

#: Who answered last year's round: those who have submitted everything this year too.
LAST_YEAR_TEAM = tuple(email for email, _n, _r, _g, _s, _w, (done, _p) in ACCOUNTS if done == 99)
#: Asked in last year's round but never answered it (so its pack says how many of those asked took part).
LAST_YEAR_SILENT = ("cllr.lewis@demo.example", "ceo@demo.example")

#: People invited but not yet joined, so the lead has invitations to look at (their emails go to the outbox).
INVITED = (
    Invitee("new.officer@demo.example", "Grace Obi", RespondentGroup.OFFICER),
    Invitee("cllr.new@demo.example", "Cllr Mark Price", RespondentGroup.MEMBER),
)


@dataclass(frozen=True)
class DemoCouncil:
    """What the demo made: the accounts to print, and the invitations whose emails are to be sent."""

    accounts: list[DemoAccount]
    invitations: list[Issued]
    lead: User


def create_demo(session: Session, library: Library, password: str | None = None) -> DemoCouncil:
    """Create (or refresh) the demo council, its people and an open round with its facilitator.

    Running it again resets the demo accounts' passwords, sends new invitation links and leaves the
    answers as they are.
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
    for email, name, org_role, group, site_roles, what, _progress in ACCOUNTS:
        secret = password or secrets.token_urlsafe(12)
        user = add_user(session, email, name, secret, site_roles)
        if org_role is not None and group is not None:
            add_membership(session, user, council, org_role, group)
        users[email] = user
        accounts.append(DemoAccount(email, name, secret, what))
    lead = users["lead@demo.example"]

    assessment = session.scalar(select(Assessment).filter_by(organisation_id=council.id, title=DEMO_ROUND))
    if assessment is None:
        assessment = Assessment(organisation=council, title=DEMO_ROUND, created_by_id=lead.id,
                                closes_on=date.today() + timedelta(days=28))
        assessment.questionnaires = [
            AssessmentQuestionnaire(questionnaire_version=version, position=i)
            for i, version in enumerate(versions.values())
        ]
        session.add(assessment)
        session.flush()

    # This round asks every respondent (not the lead, who runs it); last year's asked fewer people.
    for email, _name, role, group, _site, _what, (submitted, partial) in ACCOUNTS:
        if group is not None and role == OrganisationRole.RESPONDENT:
            participants.join(session, assessment, users[email], group, JoinedBy.ADDED, lead)
            _answer(session, assessment, users[email], group, submitted, partial)
    assign_facilitator(session, assessment, users["facilitator@demo.example"], lead)
    groups = {email: group for email, _n, _r, group, _s, _w, _p in ACCOUNTS if group is not None}
    _last_year(session, council, list(versions.values()), lead,
               [(users[email], groups[email]) for email in LAST_YEAR_TEAM],
               [(users[email], groups[email]) for email in LAST_YEAR_SILENT])
    _draft_agreement(session, assessment, lead)
    issued = invite(session, assessment, INVITED, lead, days=14)
    return DemoCouncil(accounts, issued, lead)


def _last_year(session: Session, council: Organisation, versions: list[QuestionnaireVersion], lead: User,
               team: list[tuple[User, RespondentGroup]], silent: list[tuple[User, RespondentGroup]]) -> None:
    """Last year's round: the team answered, the silent were asked but did not; published with agreed answers."""
    if session.scalar(select(Assessment).filter_by(organisation_id=council.id, title=LAST_YEAR)) is not None:
        return
    year_ago = utcnow() - timedelta(days=365)
    earlier = Assessment(organisation=council, title=LAST_YEAR, created_by_id=lead.id, created_at=year_ago,
                         closes_on=(year_ago + timedelta(days=28)).date(),
                         questionnaires=[AssessmentQuestionnaire(questionnaire_version=v, position=i)
                                         for i, v in enumerate(versions)])
    session.add(earlier)
    session.flush()
    for person, group in [*team, *silent]:
        participants.join(session, earlier, person, group, JoinedBy.INVITED, lead)
    for version in versions:
        questionnaire = questionnaire_of(version)
        for person, group in team:
            response = individual_response(session, earlier, version, person, group)
            answers = demo_answers(questionnaire, seed=f"last-year-{person.email}-{version.questionnaire_id}")
            save_answers(session, response, _a_level_lower(questionnaire, answers), person)
            submit_response(session, response, person)
    earlier.status = AssessmentStatus.IN_REVIEW  # the team's answers are in; now the agreed answers
    for version in versions:
        questionnaire = questionnaire_of(version)
        agreed = agreed_response(session, earlier, version, lead)
        # A year ago the council was a little less mature: its answers one level lower where they can be.
        answers = demo_answers(questionnaire, f"agreed-{version.id}")
        save_answers(session, agreed, _a_level_lower(questionnaire, answers), lead)
        submit_response(session, agreed, lead)
        set_targets(session, earlier, questionnaire, _targets_above(session, earlier, questionnaire), lead)
    first = questionnaire_of(versions[0])
    save_action(session, earlier, ActionDetails(first.id, first.sections[0].id,
                                                "Report progress on this area to the cabinet every quarter",
                                                "Chief Executive", (year_ago + timedelta(days=300)).date(),
                                                ActionStatus.IN_PROGRESS), lead, today=year_ago.date())
    change_status(session, earlier, AssessmentStatus.PUBLISHED, lead, sharing=Sharing.NAMED)


def _a_level_lower(questionnaire: Questionnaire, answers: dict[str, Answer]) -> dict[str, Answer]:
    lowest = questionnaire.levels[0]
    return {qid: Answer(max(a.value - 1, lowest), a.not_applicable, a.comment)
            if questionnaire.question(qid).type == "level" and isinstance(a.value, int) else a
            for qid, a in answers.items()}


def _targets_above(session: Session, assessment: Assessment, questionnaire: Questionnaire) -> dict[str, int | None]:
    """A target a level above each section's agreed level (none at the top), or the level below the top before any
    level is agreed."""
    top = max(questionnaire.levels)
    return {row.section.id: questionnaire.levels[-2] if row.agreed is None else row.agreed + 1 if row.agreed < top
            else None for row in section_levels(session, assessment, questionnaire)}


def _draft_agreement(session: Session, assessment: Assessment, lead: User) -> None:
    """A draft of the agreed answers to the first section of the first questionnaire, with targets and an action."""
    link = assessment.questionnaires[0]
    questionnaire = questionnaire_of(link.questionnaire_version)
    agreed = agreed_response(session, assessment, link.questionnaire_version, lead)
    if agreed.status != ResponseStatus.NOT_STARTED:
        return
    first = questionnaire.sections[0]
    answers = demo_answers(questionnaire, f"draft-{questionnaire.id}")
    save_answers(session, agreed, {q.id: answers[q.id] for q in first.questions if q.id in answers}, lead)
    set_targets(session, assessment, questionnaire, _targets_above(session, assessment, questionnaire), lead)
    save_action(session, assessment, ActionDetails(questionnaire.id, first.id,
                                                   "Agree an improvement plan for this area with partners",
                                                   "Director of Strategy", date.today() + timedelta(days=180),
                                                   ActionStatus.NOT_STARTED), lead)


def _answer(session: Session, assessment: Assessment, person: User, group: RespondentGroup, submitted: int,
            partial: int) -> None:
    """Submit the person's first `submitted` questionnaires and save `partial` sections of the next one."""
    for position, link in enumerate(assessment.questionnaires):
        if position > submitted or (position == submitted and not partial):
            return
        version = link.questionnaire_version
        # The version the round offers, which need not be the library's current one.
        questionnaire = questionnaire_of(version)
        response = individual_response(session, assessment, version, person, group)
        if response.status != ResponseStatus.NOT_STARTED:
            continue  # answered by an earlier run of the demo
        answers = demo_answers(questionnaire, seed=f"{person.email}-{version.questionnaire_id}")
        if position < submitted:
            save_answers(session, response, answers, person)
            submit_response(session, response, person)
        else:
            saved = {q.id for section in questionnaire.sections[:partial] for q in section.questions}
            save_answers(session, response, {k: v for k, v in answers.items() if k in saved}, person)


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


def describe(demo: DemoCouncil) -> str:
    """The demo accounts and invitations as a short table for the terminal."""
    width = max(len(a.email) for a in demo.accounts)
    lines = [f"Demo council: Demo Borough (code {DEMO_CODE}), rounds '{DEMO_ROUND}' (open: every respondent is "
             f"asked) and '{LAST_YEAR}' (published: asked {len(LAST_YEAR_TEAM) + len(LAST_YEAR_SILENT)} of them)", "",
             "Demo accounts:"]
    lines += [f"  {a.email:<{width}}  password: {a.password}  ({a.what})" for a in demo.accounts]
    lines += ["", "Invited, not yet joined (their emails, with the links, are in the outbox):"]
    lines += [f"  {i.invitation.email}" for i in demo.invitations]
    return "\n".join(lines)
