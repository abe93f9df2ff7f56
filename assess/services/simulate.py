"""A simulated sector: published rounds for every council of a register, for the demo, tests and benchmarks.

Each council gets a published round a year offering every questionnaire of the library, with an
agreed (consensus) response and 6 to 12 individual responses from its officers and members. Answers
follow a council-level tendency per section (members a little more generous than officers, later
years a little better), and councils share their rounds privately, anonymously or by name.

For speed the rows are written in bulk, but they are the rows the services write: answers, one
section-lock row per saved section, and stored scores from the same scorer as ``store_scores``.
Every simulated round and account is flagged ``simulated``, so :func:`remove` takes out exactly them.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from assess.answers import to_stored
from assess.library import Library
from assess.models import (
    Action,
    ActionStatus,
    Answer,
    Assessment,
    AssessmentQuestionnaire,
    AssessmentStatus,
    AuditEvent,
    JoinedBy,
    Membership,
    Organisation,
    OrganisationRole,
    Participant,
    QuestionnaireVersion,
    RespondentGroup,
    Response,
    ResponseKind,
    ResponseSection,
    ResponseStatus,
    Score,
    Sharing,
    Target,
    User,
    utcnow,
)
from assess.services.demo import value_near
from assess.services.questionnaires import questionnaire_of, record_library, score_provenance
from scoring import Answer as ScoredAnswer
from scoring import Questionnaire, get_scorer, visible_questions

SIMULATED_DOMAIN = "simulated.invalid"
SHARING_WEIGHTS = ((Sharing.PRIVATE, 0.3), (Sharing.ANONYMOUS, 0.3), (Sharing.NAMED, 0.4))
#: How much more generous members are than officers, and how much better councils get each year, in levels.
MEMBER_OPTIMISM = 0.4
YEARLY_IMPROVEMENT = 0.25


@dataclass(frozen=True)
class Simulated:
    """What a simulation made."""

    councils: int
    rounds: int
    responses: int
    accounts: int


def simulate(session: Session, organisations: list[Organisation], library: Library, seed: int = 1, rounds: int = 2,
             today: date | None = None, progress: Callable[[], None] = lambda: None) -> Simulated:
    """Give each council one published round a year for the last ``rounds`` years (calls ``progress`` per council)."""
    rng = random.Random(seed)
    today = today or date.today()
    versions = [recorded.version for recorded in record_library(session, library)]
    questionnaires = {version.id: questionnaire_of(version) for version in versions}
    made = Simulated(0, 0, 0, 0)
    for organisation in organisations:
        made = _simulate_council(session, organisation, versions, questionnaires, rng, rounds, today, made)
        progress()
    session.add(AuditEvent(action="sector-simulated", detail={"councils": made.councils, "rounds": made.rounds,
                                                              "seed": seed}))
    session.flush()
    return made


def _simulate_council(session: Session, organisation: Organisation, versions: list[QuestionnaireVersion],
                      questionnaires: dict[int, Questionnaire], rng: random.Random, rounds: int, today: date,
                      made: Simulated) -> Simulated:
    team = _team(session, organisation, rng)
    sharing = rng.choices([s for s, _w in SHARING_WEIGHTS], [w for _s, w in SHARING_WEIGHTS])[0]
    tendency = {(q.id, s.id): rng.gauss(0, 0.8) for q in questionnaires.values() for s in q.sections}
    council_bias = rng.gauss(0, 0.6)
    responses = 0
    for years_ago in range(rounds - 1, -1, -1):
        year = today.year - years_ago
        published = _published_on(rng, year, today)
        assessment = Assessment(
            organisation_id=organisation.id, title=f"Simulated {year} self-assessment", simulated=True,
            status=AssessmentStatus.PUBLISHED if years_ago == 0 else AssessmentStatus.CLOSED,
            # A council now and then changes its mind about sharing.
            sharing=sharing if rng.random() < 0.85 else rng.choice(list(Sharing)),
            opens_on=published - timedelta(days=60), closes_on=published - timedelta(days=14),
            published_at=datetime.combine(published, time(12), UTC), created_by_id=team[0][0],
            questionnaires=[AssessmentQuestionnaire(questionnaire_version_id=v.id, position=i)
                            for i, v in enumerate(versions)],
        )
        session.add(assessment)
        session.flush()
        # Each round asks the whole team (most of whom answer each questionnaire).
        session.execute(insert(Participant), [
            {"assessment_id": assessment.id, "user_id": user_id, "group": group, "how": JoinedBy.ADDED,
             "added_at": utcnow(), "added_by_id": team[0][0]} for user_id, group in team])
        improvement = YEARLY_IMPROVEMENT * (rounds - 1 - years_ago)
        for version in versions:
            questionnaire = questionnaires[version.id]

            middle = (questionnaire.levels[0] + questionnaire.levels[-1]) / 2 + council_bias + improvement
            centres = {section.id: middle + tendency[(questionnaire.id, section.id)]
                       for section in questionnaire.sections}
            people = [(user_id, group) for user_id, group in team if rng.random() < 0.9] or team[:6]
            answer_sets = [(user_id, group, _answers(questionnaire, rng, centres, 0.7,
                                                     MEMBER_OPTIMISM if group == RespondentGroup.MEMBER else 0.0))
                           for user_id, group in people]
            agreed = _answers(questionnaire, rng, centres, 0.3, 0.0)
            _write_responses(session, assessment, version, questionnaire,
                             [*answer_sets, (None, None, agreed)], published)
            _targets_and_actions(session, assessment, questionnaire, rng, published)
            responses += len(answer_sets) + 1
    return Simulated(made.councils + 1, made.rounds + rounds, made.responses + responses,
                     made.accounts + len(team))


def _published_on(rng: random.Random, year: int, today: date) -> date:
    last = min(date(year, 12, 31), today - timedelta(days=1))
    first = date(year, 1, 1)
    return first + timedelta(days=rng.randint(0, max(0, (last - first).days)))


def _team(session: Session, organisation: Organisation, rng: random.Random) -> list[tuple[int, RespondentGroup]]:
    """6 to 12 simulated officers and members of a council (the first is its lead), as (user id, group)."""
    size = rng.randint(6, 12)
    groups = [RespondentGroup.OFFICER if i % 2 == 0 else RespondentGroup.MEMBER for i in range(size)]
    ids = session.scalars(
        insert(User).returning(User.id, sort_by_parameter_order=True),
        [{"email": f"{organisation.code.lower()}-{i + 1}@{SIMULATED_DOMAIN}",
          "name": f"Simulated {'officer' if group == RespondentGroup.OFFICER else 'member'} {i + 1} of "
                  f"{organisation.name}"[:200],
          "password_hash": None, "site_roles": [], "active": True, "simulated": True, "created_at": utcnow()}
         for i, group in enumerate(groups)],
    ).all()
    session.execute(insert(Membership), [
        {"user_id": user_id, "organisation_id": organisation.id, "group": group,
         "role": OrganisationRole.LEAD if i == 0 else OrganisationRole.RESPONDENT}
        for i, (user_id, group) in enumerate(zip(ids, groups, strict=True))])
    return list(zip(ids, groups, strict=True))


def _answers(questionnaire: Questionnaire, rng: random.Random, centres: dict[str, float], spread: float,
             lean: float) -> dict[str, ScoredAnswer]:
    """Answers to every shown question near the council's centre level per section, a person's spread and lean."""
    low, high = questionnaire.levels[0], questionnaire.levels[-1]
    answers: dict[str, ScoredAnswer] = {}
    for section in questionnaire.sections:
        middle = centres[section.id] + lean + rng.gauss(0, spread)
        for question in section.questions:
            level = min(high, max(low, round(middle + rng.gauss(0, 0.6))))
            answers[question.id] = ScoredAnswer(value_near(question, level, rng))
    shown = visible_questions(questionnaire, answers)
    return {question_id: answer for question_id, answer in answers.items() if question_id in shown}


def _write_responses(session: Session, assessment: Assessment, version: QuestionnaireVersion,
                     questionnaire: Questionnaire,
                     answer_sets: Iterable[tuple[int | None, RespondentGroup | None, dict[str, ScoredAnswer]]],
                     published: date) -> None:
    """Submitted responses with their answers, section locks and stored scores, as the services would leave them."""
    answer_sets = list(answer_sets)
    submitted = datetime.combine(published - timedelta(days=20), time(10), UTC)
    ids = session.scalars(insert(Response).returning(Response.id, sort_by_parameter_order=True), [
        {"assessment_id": assessment.id, "questionnaire_version_id": version.id, "respondent_id": user_id,
         "respondent_group": group, "status": ResponseStatus.SUBMITTED, "started_at": submitted,
         "submitted_at": submitted, "updated_at": submitted,
         "kind": ResponseKind.INDIVIDUAL if user_id is not None else ResponseKind.CONSENSUS}
        for user_id, group, _answers in answer_sets]).all()
    scorer = get_scorer(questionnaire.scoring.method)
    provenance = score_provenance(questionnaire)
    answers: list[dict[str, Any]] = []
    sections: list[dict[str, Any]] = []
    scores: list[dict[str, Any]] = []
    for response_id, (user_id, _group, given) in zip(ids, answer_sets, strict=True):
        answers.extend({"response_id": response_id, "question_id": question_id, "value": to_stored(answer.value),
                        "not_applicable": False, "changed_at": submitted, "changed_by_id": user_id}
                       for question_id, answer in given.items())
        sections.extend({"response_id": response_id, "section_id": section.id, "version": 1, "saved_at": submitted,
                         "saved_by_id": user_id} for section in questionnaire.sections)
        profile = scorer.score(questionnaire, given)
        common = {"response_id": response_id, "questionnaire_version_id": version.id, **provenance,
                  "computed_at": submitted}
        scores.append({**common, "section_id": None, "level": profile.level, "value": profile.value,
                       "answered": sum(s.answered for s in profile.sections),
                       "applicable": sum(s.applicable for s in profile.sections),
                       "explanation": profile.explanation})
        scores.extend({**common, "section_id": s.id, "level": s.level, "value": s.value, "answered": s.answered,
                       "applicable": s.applicable, "explanation": s.explanation} for s in profile.sections)
    session.execute(insert(Answer), answers)
    session.execute(insert(ResponseSection), sections)
    session.execute(insert(Score), scores)


def _targets_and_actions(session: Session, assessment: Assessment, questionnaire: Questionnaire,
                         rng: random.Random, published: date) -> None:
    """For about half the sections, a target level and one or two improvement actions."""
    top = questionnaire.levels[-1]
    for section in questionnaire.sections:
        if rng.random() < 0.5:
            continue
        session.add(Target(assessment_id=assessment.id, questionnaire_id=questionnaire.id, section_id=section.id,
                           level=min(top, questionnaire.levels[0] + rng.randint(2, len(questionnaire.levels)))))
        for n in range(rng.randint(1, 2)):
            session.add(Action(assessment_id=assessment.id, questionnaire_id=questionnaire.id, section_id=section.id,
                               description=f"Simulated improvement action {n + 1} for {section.title}",
                               owner="Simulated owner", due_on=published + timedelta(days=rng.randint(60, 400)),
                               status=rng.choice(list(ActionStatus))))


def simulated_rounds(session: Session) -> int:
    """How many simulated rounds the database holds."""
    return session.scalar(select(func.count(Assessment.id)).where(Assessment.simulated)) or 0


def remove(session: Session) -> tuple[int, int]:
    """Delete every simulated round (with its responses) and account; the councils stay. (rounds, accounts)."""
    rounds = simulated_rounds(session)
    accounts = session.scalar(select(func.count(User.id)).where(User.simulated)) or 0
    session.execute(delete(Assessment).where(Assessment.simulated))
    session.execute(delete(User).where(User.simulated))
    session.add(AuditEvent(action="sector-simulation-removed", detail={"rounds": rounds, "accounts": accounts}))
    session.flush()
    return rounds, accounts
