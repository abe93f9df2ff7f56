"""Facilitation: where individual answers diverge, the agreed (consensus) response, targets and actions.

The divergence figures come from the round's submitted individual responses to one questionnaire:
for each question, how many chose each answer, the officers' and members' medians, and whether
the team is split (answers two or more levels apart, or the two groups' medians a level or more
apart). Questions are ordered by how split the team is, so a facilitator knows where to spend the
session.
"""

from __future__ import annotations

import statistics
from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import ScalarSelect, and_, bindparam, or_, select
from sqlalchemy.orm import Session, joinedload, selectinload

from assess.answers import describe_answer, from_stored
from assess.db import UTCDateTime, insert_unless_exists
from assess.models import Action as ImprovementAction
from assess.models import (
    ActionStatus,
    Assessment,
    AssessmentStatus,
    AuditEvent,
    QuestionnaireVersion,
    RespondentGroup,
    Response,
    ResponseKind,
    ResponseSection,
    ResponseStatus,
    Target,
    User,
    utcnow,
)
from assess.models import Answer as AnswerRow
from assess.policy import Action, require
from assess.services.questionnaires import questionnaire_by_hash, questionnaire_of
from assess.services.responses import answers_of
from scoring import Answer, Questionnaire, question_score, visible_questions
from scoring.model import Question, Section

#: Answers at least this many levels apart split the team.
SPLIT_RANGE = 2
#: Officers' and members' medians at least this far apart split the team.
SPLIT_GAP = 1.0


@dataclass(frozen=True)
class Tally:
    """How many people gave one answer (a level, "yes" or "no", or an option's value)."""

    value: str | int
    answer: str
    count: int


@dataclass(frozen=True)
class Remark:
    """A respondent's comment, named or not as the round says."""

    who: str | None
    group: RespondentGroup | None
    text: str


class SpreadRule(ABC):
    """The divergence rule over a set of individual views: their median, range and officer–member gap, and whether
    they are split (a range of SPLIT_RANGE or more, or group medians SPLIT_GAP or more apart)."""

    @abstractmethod
    def views(self) -> Iterable[tuple[str | None, float]]:
        """Each view as (the respondent's group, its score or level)."""

    def median(self, group: str | None = None) -> float | None:
        """The median of everyone's views (or of one group's)."""
        values = [value for who, value in self.views() if group is None or who == group]
        return statistics.median(values) if values else None

    @property
    def range(self) -> float:
        """How far apart the lowest and highest views are (0 when fewer than two)."""
        values = [value for _, value in self.views()]
        return max(values) - min(values) if len(values) > 1 else 0.0

    @property
    def group_gap(self) -> float:
        """How far apart the officers' and the members' medians are (0 unless both gave views)."""
        officers, members = self.median(RespondentGroup.OFFICER), self.median(RespondentGroup.MEMBER)
        return abs(officers - members) if officers is not None and members is not None else 0.0

    @property
    def split(self) -> bool:
        """Whether the team is split."""
        return self.range >= SPLIT_RANGE or self.group_gap >= SPLIT_GAP


@dataclass(frozen=True)
class QuestionSpread(SpreadRule):
    """The spread of a team's answers to one question."""

    section: Section
    question: Question
    tallies: tuple[Tally, ...]
    answered: int
    not_applicable: int
    scores: tuple[tuple[RespondentGroup | None, float], ...]
    remarks: tuple[Remark, ...]

    def views(self) -> Iterable[tuple[str | None, float]]:
        """Each scored answer with its respondent's group."""
        return self.scores


@dataclass(frozen=True)
class Divergence:
    """A questionnaire's divergence view: every question's spread, most split first."""

    questionnaire: Questionnaire
    responses: int
    questions: tuple[QuestionSpread, ...]

    def by_divergence(self) -> list[QuestionSpread]:
        """The questions ordered by how split the team is (then in questionnaire order)."""
        order = {q.question.id: i for i, q in enumerate(self.questions)}
        return sorted(self.questions, key=lambda q: (-q.split, -q.range, -q.group_gap, order[q.question.id]))


def submitted_individuals(session: Session, assessment: Assessment, version: QuestionnaireVersion) -> list[Response]:
    """The round's submitted individual responses to one questionnaire version, with their answers."""
    return list(session.scalars(
        select(Response).where(Response.assessment_id == assessment.id, Response.questionnaire_version_id == version.id,
                               Response.kind == ResponseKind.INDIVIDUAL, Response.status == ResponseStatus.SUBMITTED)
        .options(selectinload(Response.answers), selectinload(Response.respondent)).order_by(Response.id)
    ))


def divergence(session: Session, assessment: Assessment, version: QuestionnaireVersion, questionnaire: Questionnaire,
               by: User) -> Divergence:
    """Where the team's submitted answers to a questionnaire differ (the lead and the round's facilitators)."""
    require(session, by, Action.FACILITATE, assessment)
    responses = submitted_individuals(session, assessment, version)
    given = [(r, answers_of(r)) for r in responses]
    spreads = []
    for section in questionnaire.sections:
        for question in section.questions:
            shown = [(r, a) for r, a in given if question.id in visible_questions(questionnaire, a)]
            spreads.append(_spread(questionnaire, section, question, shown, assessment.comments_named))
    return Divergence(questionnaire, len(responses), tuple(spreads))


def _choices(questionnaire: Questionnaire, question: Question) -> list[tuple[str | int, str]]:
    if question.type == "level":
        return [(level, f"{level} {questionnaire.label(level)}") for level in questionnaire.levels]
    if question.type == "yes-no":
        return [("yes", "Yes"), ("no", "No")]
    return [(option.value, option.label) for option in question.options]


def _spread(questionnaire: Questionnaire, section: Section, question: Question,
            shown: Sequence[tuple[Response, Mapping[str, Answer]]], named: bool) -> QuestionSpread:
    counts: Counter[object] = Counter()
    scores: list[tuple[RespondentGroup | None, float]] = []
    remarks: list[Remark] = []
    answered = not_applicable = 0
    for response, answers in shown:
        answer = answers.get(question.id)
        if answer is None or not answer.is_given:
            continue
        answered += 1
        if answer.not_applicable:
            not_applicable += 1
        elif isinstance(answer.value, tuple):
            counts.update(answer.value)
        else:
            counts[answer.value] += 1
        score = question_score(questionnaire, question, answer)
        if score is not None:
            scores.append((response.respondent_group, score))
        text = answer.comment or (answer.value if question.type == "text" and isinstance(answer.value, str) else None)
        if text:
            who = response.respondent.name if named and response.respondent else None
            remarks.append(Remark(who, response.respondent_group, text))
    tallies = tuple(Tally(value, label, counts[value]) for value, label in _choices(questionnaire, question)) \
        if question.type in ("level", "yes-no", "choice", "multi-choice") else ()
    return QuestionSpread(section, question, tallies, answered, not_applicable, tuple(scores), tuple(remarks))


def suggestion(spread: QuestionSpread) -> Answer | None:
    """What the individual answers suggest the agreed answer is: the median level, the most common choice."""
    question = spread.question
    if spread.answered == 0 or question.type not in ("level", "yes-no", "choice", "multi-choice"):
        return None
    if spread.not_applicable * 2 > spread.answered:
        return Answer(not_applicable=True)
    if question.type == "level":
        levels = [int(score) for _, score in spread.scores]
        return Answer(statistics.median_low(levels)) if levels else None
    if question.type == "multi-choice":
        people = spread.answered - spread.not_applicable
        return Answer(tuple(str(t.value) for t in spread.tallies if t.count and t.count * 2 >= people))
    best = max(spread.tallies, key=lambda t: t.count)  # first in the question's order wins a tie
    return Answer(best.value) if best.count else None


def agreed_response(session: Session, assessment: Assessment, version: QuestionnaireVersion, by: User) -> Response:
    """The round's agreed (consensus) response to a questionnaire, created on the first save."""
    require(session, by, Action.FACILITATE, assessment)
    insert_unless_exists(session, Response, assessment_id=assessment.id, questionnaire_version_id=version.id,
                         kind=ResponseKind.CONSENSUS, status=ResponseStatus.NOT_STARTED, updated_at=utcnow())
    response = find_agreed_response(session, assessment, version)
    assert response is not None
    return response


def find_agreed_response(session: Session, assessment: Assessment, version: QuestionnaireVersion) -> Response | None:
    """The agreed response to a questionnaire, if anyone has started it."""
    return session.scalar(select(Response).filter_by(
        assessment_id=assessment.id, questionnaire_version_id=version.id, kind=ResponseKind.CONSENSUS))


class TargetsRefused(ValueError):
    """Targets that cannot be set; the text says why."""


def targets_of(session: Session, assessment: Assessment, questionnaire_id: str) -> dict[str, int]:
    """The target level of each section (that has one) of a questionnaire in a round."""
    return dict(session.execute(select(Target.section_id, Target.level).filter_by(
        assessment_id=assessment.id, questionnaire_id=questionnaire_id)).tuples().all())


def set_targets(session: Session, assessment: Assessment, questionnaire: Questionnaire,
                levels: Mapping[str, int | None], by: User) -> None:
    """Set (or clear, with None) the target level of sections, until the round is published."""
    require(session, by, Action.FACILITATE, assessment)
    if assessment.status not in (AssessmentStatus.OPEN, AssessmentStatus.IN_REVIEW):
        raise TargetsRefused("the round is published, so its targets can no longer change")
    before = targets_of(session, assessment, questionnaire.id)
    for section_id, level in levels.items():
        questionnaire.section(section_id)  # KeyError for a section the questionnaire does not have
        if level is not None and level not in questionnaire.levels:
            raise TargetsRefused(f"{level} is not a level of {questionnaire.title}")
        row = session.scalar(select(Target).filter_by(assessment_id=assessment.id, questionnaire_id=questionnaire.id,
                                                      section_id=section_id))
        if level is None and row is not None:
            session.delete(row)
        elif level is not None and row is None:
            session.add(Target(assessment_id=assessment.id, questionnaire_id=questionnaire.id, section_id=section_id,
                               level=level))
        elif level is not None and row is not None:
            row.level = level
    session.flush()
    after = targets_of(session, assessment, questionnaire.id)
    if after != before:
        session.add(AuditEvent(action="targets-set", user_id=by.id, organisation_id=assessment.organisation_id,
                               subject=f"assessment:{assessment.id}",
                               detail={"questionnaire": questionnaire.id, "before": before, "after": after}))
        session.flush()


@dataclass(frozen=True)
class ActionDetails:
    """What an improvement action says: what, for which section, who owns it, by when, how far it has got."""

    questionnaire_id: str
    section_id: str | None
    description: str
    owner: str | None
    due_on: date | None
    status: ActionStatus


def save_action(session: Session, assessment: Assessment, details: ActionDetails, by: User,
                action: ImprovementAction | None = None) -> ImprovementAction:
    """Add an action to a round, or change one of its actions (actions stay open to change after publishing)."""
    require(session, by, Action.FACILITATE, assessment)
    if action is not None and action.assessment_id != assessment.id:
        raise ValueError("that action belongs to another round")
    questionnaire_ids = {link.questionnaire_version.questionnaire_id for link in assessment.questionnaires}
    if details.questionnaire_id not in questionnaire_ids:
        raise ValueError(f"the round has no questionnaire '{details.questionnaire_id}'")
    before = _action_text(action) if action is not None else None
    row = action or ImprovementAction(assessment_id=assessment.id)
    row.questionnaire_id, row.section_id = details.questionnaire_id, details.section_id
    row.description, row.owner, row.due_on, row.status = (details.description.strip(), (details.owner or "").strip()
                                                           or None, details.due_on, details.status)
    session.add(row)
    session.flush()
    session.add(AuditEvent(action="action-saved", user_id=by.id, organisation_id=assessment.organisation_id,
                           subject=f"action:{row.id}", detail={"before": before, "after": _action_text(row)}))
    session.flush()
    return row


def _action_text(action: ImprovementAction) -> dict[str, object]:
    return {"description": action.description, "owner": action.owner, "section": action.section_id,
            "due_on": action.due_on.isoformat() if action.due_on else None, "status": action.status.value}


def actions_of(session: Session, assessment: Assessment) -> tuple[list[ImprovementAction], list[ImprovementAction]]:
    """The round's actions, and the actions still open from the council's earlier rounds (they carry on)."""
    this_round = list(session.scalars(select(ImprovementAction).filter_by(assessment_id=assessment.id)
                                      .order_by(ImprovementAction.due_on, ImprovementAction.id)))
    earlier = list(session.scalars(
        select(ImprovementAction).join(Assessment).where(
            Assessment.organisation_id == assessment.organisation_id, Assessment.id != assessment.id,
            Assessment.created_at < assessment.created_at, ImprovementAction.status != ActionStatus.DONE)
        .order_by(ImprovementAction.due_on, ImprovementAction.id)))
    return this_round, earlier


@dataclass(frozen=True)
class EarlierAnswers:
    """The agreed answers to a questionnaire in the council's last published round before this one."""

    title: str  # the earlier round's
    questionnaire: Questionnaire
    answers: dict[str, Answer]

    def same_questions(self, questionnaire: Questionnaire) -> bool:
        """Whether this round asks the same version (otherwise sections and questions are matched by id)."""
        return self.questionnaire.version == questionnaire.version


@dataclass(frozen=True)
class Previous(EarlierAnswers):
    """The earlier agreed answers with their round and response (whose stored scores facilitation compares)."""

    assessment: Assessment
    response: Response


#: The id of the council's latest earlier published agreed response to a questionnaire (NULL if none), for the
#: round :round of council :council created at :created, questionnaire :questionnaire. Built once, so that
#: SQLAlchemy finds the compiled statements using it without working out their cache keys again.
_PREVIOUS_AGREED_ID: ScalarSelect[int] = (
    select(Response.id).join(Assessment).join(QuestionnaireVersion).where(
        Assessment.organisation_id == bindparam("council"), Assessment.id != bindparam("round"),
        Assessment.created_at <= bindparam("created", type_=UTCDateTime()), Assessment.published_at.is_not(None),
        Response.kind == ResponseKind.CONSENSUS, Response.status == ResponseStatus.SUBMITTED,
        QuestionnaireVersion.questionnaire_id == bindparam("questionnaire"))
    .order_by(Assessment.published_at.desc(), Assessment.id.desc()).limit(1).scalar_subquery())
_PREVIOUS_AGREED = select(Response).where(Response.id == _PREVIOUS_AGREED_ID) \
    .options(selectinload(Response.answers), selectinload(Response.scores))


def _previous_parameters(assessment: Assessment, questionnaire_id: str) -> dict[str, object]:
    return {"council": assessment.organisation_id, "round": assessment.id, "created": assessment.created_at,
            "questionnaire": questionnaire_id}


def previous_agreed(session: Session, assessment: Assessment, questionnaire_id: str) -> Previous | None:
    """The council's latest earlier published round with confirmed agreed answers to a questionnaire, if any."""
    response = session.scalar(_PREVIOUS_AGREED, _previous_parameters(assessment, questionnaire_id))
    if response is None:
        return None
    return Previous(response.assessment.title, questionnaire_of(response.questionnaire_version), answers_of(response),
                    response.assessment, response)


@dataclass(frozen=True)
class OwnAnswers:
    """What a person's question page shows from the database besides the round."""

    response: Response | None  # their own response, once they have saved anything (None when only shown)
    status: ResponseStatus | None  # its status (None: they have saved nothing)
    answers: dict[str, Answer]  # its answers
    previous: EarlierAnswers | None  # the council's agreed answers in its last published round (when asked for)
    section_version: int  # how many times the page's section has been saved (0: never, or no section asked for)


_OWN = and_(Response.assessment_id == bindparam("round"), Response.questionnaire_version_id == bindparam("version"),
            Response.respondent_id == bindparam("person"), Response.kind == ResponseKind.INDIVIDUAL)
_SECTION_VERSION = select(ResponseSection.version).where(
    ResponseSection.response_id == Response.id, ResponseSection.section_id == bindparam("section")).scalar_subquery()
#: The person's own response with its answers as objects that a save changes, and a section's version. (Its
#: round and questionnaire version are the caller's, already in the session: not joined again on every row.)
_OWN_FOR_CHANGE = select(Response, _SECTION_VERSION).where(_OWN).options(joinedload(Response.answers))
#: The person's own response and the previous agreed one as plain columns, a row an answer: a page that only
#: shows them needs no objects, and building them (several for every answer's row) was most of its time.
_OWN_AND_PREVIOUS = select(
    Response.id, Response.kind, Response.status, _SECTION_VERSION, Assessment.title, QuestionnaireVersion.id,
    QuestionnaireVersion.content_hash, AnswerRow.question_id, AnswerRow.value, AnswerRow.not_applicable,
    AnswerRow.comment,
).join(Assessment, Assessment.id == Response.assessment_id) \
    .join(QuestionnaireVersion, QuestionnaireVersion.id == Response.questionnaire_version_id) \
    .outerjoin(AnswerRow, AnswerRow.response_id == Response.id) \
    .where(or_(_OWN, Response.id == _PREVIOUS_AGREED_ID))


def own_answers(session: Session, assessment: Assessment, version: QuestionnaireVersion, user: User,
                section_id: str | None = None, with_previous: bool = False) -> OwnAnswers:
    """A person's own response to a questionnaire of a round, its answers, one section's version, the last agreed one.

    All in one statement: the answers joined, the section's version as a column (joining every section's
    row as well would multiply the rows by the sections). Without with_previous, the response and its
    answers are objects a save can change; with it, the previous agreed answers come as further rows and
    everything only to be shown (no response object).
    """
    parameters = {"round": assessment.id, "version": version.id, "person": user.id, "section": section_id}
    if not with_previous:
        row = session.execute(_OWN_FOR_CHANGE, parameters).unique().first()
        if row is None:
            return OwnAnswers(None, None, {}, None, 0)
        return OwnAnswers(row[0], row[0].status, answers_of(row[0]), None, row[1] or 0)
    status: ResponseStatus | None = None
    shown = 0
    answers: dict[ResponseKind, dict[str, Answer]] = {ResponseKind.INDIVIDUAL: {}, ResponseKind.CONSENSUS: {}}
    earlier: tuple[str, int, str] | None = None  # the previous round's title, questionnaire version and its hash
    for (_id, kind, response_status, version_shown, title, version_id, content_hash, question_id, value,
         not_applicable, comment) in session.execute(
            _OWN_AND_PREVIOUS, {**parameters, **_previous_parameters(assessment, version.questionnaire_id)}):
        if kind == ResponseKind.INDIVIDUAL:
            status, shown = response_status, version_shown or 0
        else:
            earlier = (title, version_id, content_hash)
        if question_id is not None:
            answers[kind][question_id] = from_stored(value, not_applicable, comment)
    previous = None if earlier is None else EarlierAnswers(
        earlier[0], questionnaire_by_hash(session, earlier[1], earlier[2]), answers[ResponseKind.CONSENSUS])
    return OwnAnswers(None, status, answers[ResponseKind.INDIVIDUAL], previous, shown)


def last_time(previous: EarlierAnswers | None, questionnaire: Questionnaire, section: Section) -> dict[str, str]:
    """"Last time" for each question of a section that the previous agreed answers also answered."""
    if previous is None:
        return {}
    notes = {}
    for question in section.questions:
        answer = previous.answers.get(question.id)
        if answer is None or not answer.is_given or question.id not in {q.id for q in previous.questionnaire.questions}:
            continue
        earlier = previous.questionnaire.question(question.id)
        notes[question.id] = (f"Last time ({previous.title}), the council agreed: "
                              f"{describe_answer(previous.questionnaire, earlier, answer)}")
    return notes
