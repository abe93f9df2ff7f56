"""Facilitation: where individual answers diverge, the agreed (consensus) response, targets and actions.

The divergence figures come from the round's submitted individual responses to one questionnaire:
for each question, how many chose each answer, the officers' and members' medians, and whether
the team is split (answers two or more levels apart, or the two groups' medians a level or more
apart). Questions are ordered by how split the team is, so a facilitator knows where to spend the
session.
"""

from __future__ import annotations

import math
import statistics
from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date

from sqlalchemy import ScalarSelect, and_, bindparam, or_, select
from sqlalchemy.orm import Session, joinedload, selectinload

from assess.answers import CHOSEN, NOT_APPLICABLE, describe_answer, from_stored
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
from assess.services.responses import answers_of, stored_profile
from scoring import Answer, Questionnaire, question_score, visible_questions
from scoring.model import Question, Section, condition_holds

#: Answers at least this many levels apart split the team.
SPLIT_RANGE = 2
#: Officers' and members' medians at least this far apart split the team.
SPLIT_GAP = 1.0


#: The groups a spread counts separately, in the order pages show them (no group counts as "other").
GROUPS = (RespondentGroup.OFFICER, RespondentGroup.MEMBER, RespondentGroup.OTHER)


@dataclass(frozen=True)
class Tally:
    """How many people gave one answer (a level, "yes" or "no", an option's value, or "not applicable")."""

    value: str | int
    answer: str
    count: int
    by_group: tuple[int, ...] = (0, 0, 0)  # how many of them in each of GROUPS


@dataclass(frozen=True)
class Remark:
    """A respondent's comment, named or not as the round says, with the answer it came with."""

    who: str | None
    group: RespondentGroup | None
    text: str
    answer: str = ""  # the answer given beside the comment, in words ("" for a text answer itself)


@dataclass(frozen=True)
class Suggestion:
    """The agreed answer the individual answers suggest, in words, and why (the rule that gave it)."""

    answer: Answer
    words: str  # the answer as its tally names it: "3 Established", "Not applicable"
    why: str

    @property
    def reason(self) -> str:
        """The suggestion and why, as one sentence."""
        return f"{self.words}: {self.why}"


#: How "not applicable" suggests itself, as pages state it.
NOT_APPLICABLE_RULE = "When half or more of those who answered chose not applicable, the suggestion is not applicable."


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
    not_applicable_by_group: tuple[int, ...] = (0, 0, 0)  # how many in each of GROUPS chose "not applicable"
    suggested: Suggestion | None = None

    def views(self) -> Iterable[tuple[str | None, float]]:
        """Each scored answer with its respondent's group."""
        return self.scores

    @property
    def rows(self) -> tuple[Tally, ...]:
        """Each answer's tally, then "not applicable" (when the question offers it or someone chose it)."""
        if not self.tallies:
            return ()
        if not (self.question.not_applicable or self.not_applicable):
            return self.tallies
        return (*self.tallies, Tally(NOT_APPLICABLE, "Not applicable", self.not_applicable,
                                     self.not_applicable_by_group))

    @property
    def summary(self) -> str:
        """The spread in a few words: "4 answered: 1 to 4, median 3; 1 not applicable"."""
        if self.answered == 0:
            return "No answers"
        values = [value for _, value in self.scores]
        words = f"{self.answered} answered"
        if self.question.type != "level":
            chosen = ", ".join(f"{t.answer} {t.count}" for t in self.tallies if t.count)
            words += f": {chosen}" if chosen else ""
        elif values:
            low, high, middle = min(values), max(values), self.median()
            span = _number(low) if low == high else f"{_number(low)} to {_number(high)}"
            words += f": {span}, median {_number(middle or 0)}"
        if self.not_applicable:
            words += f"; {self.not_applicable} not applicable"
        return words


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


@dataclass(frozen=True)
class AgreementSession:
    """A questionnaire's facilitated session: each question's spread and suggestion, and what is agreed so far.

    The index of questions and each question's page read this one object, so they always show the same
    spread and the same suggestion.
    """

    view: Divergence
    response: Response | None  # the agreed response, once anyone has saved an agreed answer
    agreed: dict[str, Answer]

    @property
    def spreads(self) -> list[QuestionSpread]:
        """The questions to agree, in the questionnaire's order: all but those an agreed answer rules out.

        Unlike a respondent's pages, a question whose condition rests on a question not agreed yet is
        still listed: the room sees every question it may have to agree before it agrees the first.
        """
        ruled_out: set[str] = set()
        for question in self.view.questionnaire.questions:
            condition = question.show_if
            if condition is not None and (condition.question in ruled_out or (
                    self.is_agreed(condition.question)
                    and not condition_holds(condition, self.agreed.get(condition.question)))):
                ruled_out.add(question.id)
        return [spread for spread in self.view.questions if spread.question.id not in ruled_out]

    def is_agreed(self, question_id: str) -> bool:
        """Whether the team has recorded an answer to a question."""
        answer = self.agreed.get(question_id)
        return answer is not None and answer.is_given

    @property
    def agreed_count(self) -> int:
        """How many of the questions to agree have an agreed answer."""
        return sum(self.is_agreed(spread.question.id) for spread in self.spreads)

    def neighbours(self, question_id: str) -> tuple[QuestionSpread | None, QuestionSpread | None]:
        """The questions before and after one (in the questionnaire's order, among those to agree)."""
        spreads = self.spreads
        ids = [spread.question.id for spread in spreads]
        if question_id in ids:
            at = ids.index(question_id)
            return (spreads[at - 1] if at else None), (spreads[at + 1] if at + 1 < len(spreads) else None)
        order = [q.id for q in self.view.questionnaire.questions]  # a question now hidden: its place in the file
        later = [s for s in spreads if order.index(s.question.id) > order.index(question_id)]
        earlier = [s for s in spreads if order.index(s.question.id) < order.index(question_id)]
        return (earlier[-1] if earlier else None), (later[0] if later else None)


def agreement_session(session: Session, assessment: Assessment, version: QuestionnaireVersion,
                      questionnaire: Questionnaire, by: User) -> AgreementSession:
    """The facilitated session of one questionnaire: spreads, suggestions and the agreed answers so far."""
    view = divergence(session, assessment, version, questionnaire, by)
    response = find_agreed_response(session, assessment, version)
    return AgreementSession(view, response, answers_of(response))


def _choices(questionnaire: Questionnaire, question: Question) -> list[tuple[str | int, str]]:
    if question.type == "level":
        return [(level, f"{level} {questionnaire.label(level)}") for level in questionnaire.levels]
    if question.type == "yes-no":
        return [("yes", "Yes"), ("no", "No")]
    return [(option.value, option.label) for option in question.options]


def _short_answer(questionnaire: Questionnaire, question: Question, answer: Answer) -> str:
    """An answer as its tally names it ("2 Developing", "Not applicable"); "" for a text answer (the remark itself)."""
    if answer.not_applicable:
        return "Not applicable"
    if question.type == "text":
        return ""
    labels = {str(value): label for value, label in _choices(questionnaire, question)} if question.type in CHOSEN \
        else {}
    chosen = answer.value if isinstance(answer.value, tuple) else (answer.value,)
    if labels:
        return "; ".join(labels.get(str(value), str(value)) for value in chosen if value is not None)
    return describe_answer(questionnaire, question, answer)


def _group_index(group: RespondentGroup | None) -> int:
    return GROUPS.index(group or RespondentGroup.OTHER)


def _spread(questionnaire: Questionnaire, section: Section, question: Question,
            shown: Sequence[tuple[Response, Mapping[str, Answer]]], named: bool) -> QuestionSpread:
    counts: Counter[tuple[object, int]] = Counter()
    scores: list[tuple[RespondentGroup | None, float]] = []
    remarks: list[Remark] = []
    answered = 0
    for response, answers in shown:
        answer = answers.get(question.id)
        if answer is None or not answer.is_given:
            continue
        answered += 1
        group = _group_index(response.respondent_group)
        chosen = (NOT_APPLICABLE,) if answer.not_applicable else \
            answer.value if isinstance(answer.value, tuple) else (answer.value,)
        counts.update((value, group) for value in chosen)
        score = question_score(questionnaire, question, answer)
        if score is not None:
            scores.append((response.respondent_group, _step(question, score)))
        text = answer.comment or (answer.value if question.type == "text" and isinstance(answer.value, str) else None)
        if text:
            who = response.respondent.name if named and response.respondent else None
            remarks.append(Remark(who, response.respondent_group, text, _short_answer(questionnaire, question, answer)))

    def tally(value: str | int, label: str) -> Tally:
        by_group = tuple(counts[(value, i)] for i in range(len(GROUPS)))
        return Tally(value, label, sum(by_group), by_group)

    tallies = tuple(tally(value, label) for value, label in _choices(questionnaire, question)) \
        if question.type in CHOSEN else ()
    not_applicable = tally(NOT_APPLICABLE, "Not applicable")
    spread = QuestionSpread(section, question, tallies, answered, not_applicable.count, tuple(scores),
                            tuple(remarks), not_applicable.by_group)
    return replace(spread, suggested=_suggest(questionnaire, spread))


def _step(question: Question, score: float) -> float:
    """Where a view stands on the question's own steps: a level as it is; a choice by its place among the options'
    scores, so that neighbouring options (achieved 5, partially 3) are one step apart, as neighbouring levels are."""
    if question.type != "choice":
        return score
    steps = sorted({option.score for option in question.options if option.score is not None})
    return float(steps.index(score) + 1) if score in steps else score


def _number(value: float) -> str:
    """A median or level as written: 3, or 2.5."""
    return f"{value:g}"


def _suggest(questionnaire: Questionnaire, spread: QuestionSpread) -> Suggestion | None:
    """The answer the individual answers suggest, and why: "not applicable" when half or more of those who answered
    chose it; otherwise the median level (the lower level when the median falls between two), or the most common
    choice (options chosen by half or more, for a question with several)."""
    question = spread.question
    if spread.answered == 0 or question.type not in CHOSEN:
        return None
    given = spread.answered - spread.not_applicable
    if spread.not_applicable * 2 >= spread.answered:
        return Suggestion(Answer(not_applicable=True), "Not applicable",
                          f"{spread.not_applicable} of the {spread.answered} who answered chose it: half or more.")
    aside = (f" The {spread.not_applicable} who chose not applicable (fewer than half) are not counted."
             if spread.not_applicable else "")
    if question.type == "level":
        middle = spread.median()
        if middle is None:
            return None
        level = math.floor(middle)
        between = "" if level == middle else f", between levels {level} and {level + 1}: the lower is suggested"
        return Suggestion(Answer(level), f"{level} {questionnaire.label(level)}",
                          f"the middle (median) of the {given} levels given is {_number(middle)}{between}.{aside}")
    if question.type == "multi-choice":
        chosen = [t for t in spread.tallies if t.count and t.count * 2 >= given]
        return Suggestion(Answer(tuple(str(t.value) for t in chosen)),
                          "; ".join(t.answer for t in chosen) or "None of the options",
                          f"the options chosen by half or more of the {given} who chose options.{aside}")
    best = max(spread.tallies, key=lambda t: t.count)  # first in the question's order wins a tie
    if not best.count:
        return None
    return Suggestion(Answer(best.value), best.answer, f"the most common answer ({best.count} of the {given} who "
                                                       f"chose one; the first in the list wins a tie).{aside}")


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
    """Targets that cannot be set; the text says why, and ``problems`` which section's target is wrong and how."""

    def __init__(self, message: str, problems: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.problems = dict(problems or {})


@dataclass(frozen=True)
class SectionLevels:
    """A section's agreed level in the round (once the agreed answers are confirmed) and in the last round."""

    section: Section
    agreed: int | None
    previous: int | None


def section_levels(session: Session, assessment: Assessment, questionnaire: Questionnaire) -> list[SectionLevels]:
    """Each section's confirmed agreed level in the round and in the council's last published round."""
    link = next(link for link in assessment.questionnaires
                if link.questionnaire_version.questionnaire_id == questionnaire.id)
    response = find_agreed_response(session, assessment, link.questionnaire_version)
    now = {s.id: s.level for s in stored_profile(response).sections} \
        if response is not None and response.status == ResponseStatus.SUBMITTED else {}
    previous = previous_agreed(session, assessment, questionnaire.id)
    before = {s.id: s.level for s in stored_profile(previous.response).sections} if previous else {}
    return [SectionLevels(section, now.get(section.id), before.get(section.id)) for section in questionnaire.sections]


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
    agreed = {row.section.id: row.agreed for row in section_levels(session, assessment, questionnaire)}
    problems = {}
    for section_id, level in levels.items():
        section = questionnaire.section(section_id)  # KeyError for a section the questionnaire does not have
        if level is not None and level not in questionnaire.levels:
            raise TargetsRefused(f"{level} is not a level of {questionnaire.title}")
        reached = agreed.get(section_id)
        if level is not None and reached is not None and level <= reached:
            problems[section_id] = (f"The target for {section.title} must be above its agreed level, {reached} "
                                    f"{questionnaire.label(reached)}: choose a higher level or no target")
    if problems:
        raise TargetsRefused("a target must be above the section's agreed level", problems)
    for section_id, level in levels.items():
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


class ActionRefused(ValueError):
    """An action that cannot be saved as it is; the text says why."""


def save_action(session: Session, assessment: Assessment, details: ActionDetails, by: User,
                action: ImprovementAction | None = None, today: date | None = None) -> ImprovementAction:
    """Add an action to a round, or change one of its actions (actions stay open to change after publishing).

    A new action cannot be due before ``today`` (by default, the server's date); an existing one keeps
    whatever date it has, so that an overdue action can still be brought up to date.
    """
    require(session, by, Action.FACILITATE, assessment)
    if action is None and details.due_on is not None and details.due_on < (today or date.today()):
        raise ActionRefused("a new action cannot be due in the past: give today's date or a later one")
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


def is_overdue(action: ImprovementAction, today: date) -> bool:
    """Whether an action is past its due date and not done."""
    return action.status != ActionStatus.DONE and action.due_on is not None and action.due_on < today


@dataclass(frozen=True)
class ActionLine:
    """An action as the actions page lists it: where it belongs in words, whether it is overdue, its round."""

    action: ImprovementAction
    where: str  # "Questionnaire: Section", from the questionnaire its own round asked
    overdue: bool
    carried_from: str | None  # the earlier round's title, for an action still open from one


@dataclass(frozen=True)
class ActionList:
    """A round's actions and those still open from earlier rounds, as filtered, and the owners to filter by."""

    this_round: list[ActionLine]
    earlier: list[ActionLine]
    owners: list[str]


def _where(action: ImprovementAction) -> str:
    """The questionnaire and section an action serves, in words, from the version its own round asked."""
    for link in action.assessment.questionnaires:
        if link.questionnaire_version.questionnaire_id == action.questionnaire_id:
            questionnaire = questionnaire_of(link.questionnaire_version)
            section = next((s for s in questionnaire.sections if s.id == action.section_id), None)
            return f"{questionnaire.title}: {section.title if section else 'the whole questionnaire'}"
    return action.section_id or action.questionnaire_id


def action_list(session: Session, assessment: Assessment, today: date, owner: str | None = None,
                status: ActionStatus | None = None) -> ActionList:
    """The round's actions and the open ones carried from earlier rounds, with section titles and overdue flags,
    of one owner and status when asked."""
    this_round, earlier = actions_of(session, assessment)
    owners = sorted({a.owner for a in [*this_round, *earlier] if a.owner}, key=str.casefold)

    def lines(actions: list[ImprovementAction]) -> list[ActionLine]:
        return [ActionLine(a, _where(a), is_overdue(a, today),
                           a.assessment.title if a.assessment_id != assessment.id else None)
                for a in actions if (owner is None or a.owner == owner) and (status is None or a.status == status)]

    return ActionList(lines(this_round), lines(earlier), owners)


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
