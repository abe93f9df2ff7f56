"""Responses: saving answers a section at a time (refusing conflicting edits), submitting, stored scores.

Every function here enforces its own rules (who may change a response, whether the round is still
taking answers, whether the response is submitted), so the web, the CLI and the API obey the same
ones. Functions flush; the caller (a request or a command) commits once, so an answer save, its
audit event and its scores succeed or fail together, and rolls back after any exception.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import Integer, bindparam, case, delete, func, select, update
from sqlalchemy.orm import Session, selectinload

from assess.answers import from_stored, missing_answers, to_stored
from assess.db import UTCDateTime, insert_unless_exists
from assess.models import (
    PUBLISHED_STATES,
    Answer,
    Assessment,
    AssessmentStatus,
    AuditEvent,
    QuestionnaireVersion,
    Response,
    ResponseKind,
    ResponseSection,
    ResponseStatus,
    Score,
    User,
    utcnow,
)
from assess.policy import Action, require
from assess.services.questionnaires import questionnaire_of, score_provenance
from scoring import Answer as ScoredAnswer
from scoring import Profile, Questionnaire, SectionResult, get_scorer
from scoring.model import Section


class EditConflict(Exception):
    """Someone else saved this section since the page was shown; nothing was overwritten."""


class ResponseLocked(Exception):
    """The response is submitted, or its round no longer takes answers: it cannot change."""


class RoundNotOpen(ResponseLocked):
    """The round no longer takes these answers: individual ones close at review, agreed ones at publishing."""


#: The round states in which each kind of response can still change.
CHANGEABLE_IN = {
    ResponseKind.INDIVIDUAL: (AssessmentStatus.OPEN,),
    ResponseKind.CONSENSUS: (AssessmentStatus.OPEN, AssessmentStatus.IN_REVIEW),
}


class Incomplete(Exception):
    """The response cannot be submitted yet; ``missing`` lists each blocking question and why."""

    def __init__(self, missing: list[tuple[str, str]]) -> None:
        self.missing = missing
        super().__init__(f"{len(missing)} question(s) need an answer")


def questionnaire_for(response: Response) -> Questionnaire:
    """The exact questionnaire version a response answers."""
    return questionnaire_of(response.questionnaire_version)


def answers_of(response: Response | None) -> dict[str, ScoredAnswer]:
    """A response's answers, by question id, as scorers see them (none for no response)."""
    if response is None:
        return {}
    return {a.question_id: from_stored(a.value, a.not_applicable, a.comment) for a in response.answers}


def find_individual_response(
    session: Session, assessment: Assessment, version: QuestionnaireVersion, respondent: User,
) -> Response | None:
    """The respondent's own response to a questionnaire in a round, if they have saved anything."""
    return session.scalar(select(Response).filter_by(
        assessment_id=assessment.id, questionnaire_version_id=version.id, respondent_id=respondent.id,
        kind=ResponseKind.INDIVIDUAL,
    ))


def individual_response(
    session: Session, assessment: Assessment, version: QuestionnaireVersion, respondent: User, group: str | None,
) -> Response:
    """The respondent's own response to a questionnaire in a round, created on their first save."""
    require(session, respondent, Action.ANSWER, assessment)
    # Two tabs saving for the first time at once must not both create one (nor fail).
    insert_unless_exists(
        session, Response, assessment_id=assessment.id, questionnaire_version_id=version.id,
        respondent_id=respondent.id, respondent_group=group, kind=ResponseKind.INDIVIDUAL,
        status=ResponseStatus.NOT_STARTED, updated_at=utcnow(),
    )
    response = find_individual_response(session, assessment, version, respondent)
    assert response is not None
    return response


def section_version(response: Response | None, section_id: str) -> int:
    """How many times a section of a response has been saved (0: never); a page carries it to lock."""
    if response is None:
        return 0
    return next((s.version for s in response.sections if s.section_id == section_id), 0)


def save_section(
    session: Session,
    response: Response,
    section_id: str,
    changes: Mapping[str, ScoredAnswer],
    by: User,
    expected_version: int | None = None,
) -> None:
    """Store the answers of one section page.

    ``expected_version`` is the section's version when the page was shown: if anyone saved that
    section since, EditConflict is raised and nothing is written. Saves of other sections of the
    same response never conflict with it.
    """
    require(session, by, Action.CHANGE_RESPONSE, response)
    section = _section(questionnaire_for(response), section_id)
    unknown = set(changes) - {q.id for q in section.questions}
    if unknown:
        raise ValueError(f"no such question in section '{section_id}': {', '.join(sorted(unknown))}")
    _claim_for_change(session, response)
    _claim_section(session, response, section_id, expected_version, by)
    existing = {a.question_id: a for a in response.answers}
    changed: list[str] = []
    before_after: dict[str, dict[str, object]] = {}
    for question_id, answer in changes.items():
        row = existing.get(question_id)
        if row is None:
            row = Answer(question_id=question_id)
            response.answers.append(row)
        before = (row.value, bool(row.not_applicable), row.comment)
        row.value = None if answer.not_applicable else to_stored(answer.value)
        row.not_applicable = answer.not_applicable
        row.comment = (answer.comment or "").strip() or None
        if (row.value, row.not_applicable, row.comment) != before:
            row.changed_by_id = by.id
            row.changed_at = utcnow()
            changed.append(question_id)
            before_after[question_id] = {"before": list(before), "after": [row.value, row.not_applicable, row.comment]}
    if changed:
        detail: dict[str, object] = {"section": section_id, "changed": changed}
        if response.kind == ResponseKind.CONSENSUS:
            # The agreed answers are the council's: who changed what, from what, is kept.
            detail["answers"] = before_after
        session.add(AuditEvent(action="answers-saved", user_id=by.id,
                               organisation_id=response.assessment.organisation_id, subject=f"response:{response.id}",
                               detail=detail))
    session.flush()


def save_answers(session: Session, response: Response, changes: Mapping[str, ScoredAnswer], by: User) -> None:
    """Store answers to questions of any sections (a whole import, the demo): one save a section, unlocked."""
    questionnaire = questionnaire_for(response)
    by_section: dict[str, dict[str, ScoredAnswer]] = {}
    for question_id, answer in changes.items():
        try:
            section = questionnaire.section_of(question_id)
        except KeyError:
            raise ValueError(f"no such question in this questionnaire: {question_id}") from None
        by_section.setdefault(section.id, {})[question_id] = answer
    for section_id, section_changes in by_section.items():
        save_section(session, response, section_id, section_changes, by)


def _section(questionnaire: Questionnaire, section_id: str) -> Section:
    try:
        return questionnaire.section(section_id)
    except KeyError:
        raise ValueError(f"no such section in '{questionnaire.id}': {section_id}") from None


def _ensure_round_takes(response: Response) -> tuple[AssessmentStatus, ...]:
    """The round states in which the response can change; RoundNotOpen if its round is in none of them."""
    states = CHANGEABLE_IN[response.kind]
    if response.assessment.status not in states:
        raise RoundNotOpen("this round is no longer taking these answers")
    return states


#: Mark response :response in progress unless submitted or its round is not in :states. Built once, as the
#: statements below: working out a statement's cache key again was half of a save's time in the database layer.
_CLAIM_FOR_CHANGE = (
    update(Response)
    .where(Response.id == bindparam("response"), Response.status != ResponseStatus.SUBMITTED,
           Response.assessment_id.in_(select(Assessment.id)
                                      .where(Assessment.status.in_(bindparam("states", expanding=True)))))
    .values(status=case((Response.status == ResponseStatus.NOT_STARTED, ResponseStatus.IN_PROGRESS.value),
                        else_=Response.status),
            started_at=func.coalesce(Response.started_at, bindparam("now", type_=UTCDateTime())),
            updated_at=bindparam("now", type_=UTCDateTime()))
    .execution_options(synchronize_session=False)
)
#: Raise section :section of response :response from version :expected, saved at :now by :by.
_CLAIM_SECTION = (
    update(ResponseSection)
    .where(ResponseSection.response_id == bindparam("response"), ResponseSection.section_id == bindparam("section"),
           ResponseSection.version == bindparam("expected", type_=Integer))
    .values(version=bindparam("expected", type_=Integer) + 1, saved_at=bindparam("now", type_=UTCDateTime()),
            saved_by_id=bindparam("by"))
    .execution_options(synchronize_session=False)
)


def _claim_for_change(session: Session, response: Response) -> None:
    """Mark the response in progress, only if it is still open to change (one conditional UPDATE).

    The UPDATE takes the response's row lock, so a submit and a save of the same response never
    interleave: whichever comes second sees the other's result.
    """
    states = _ensure_round_takes(response)
    result = session.execute(_CLAIM_FOR_CHANGE, {"response": response.id, "states": list(states), "now": utcnow()})
    session.expire(response, ["status", "started_at", "updated_at"])
    if getattr(result, "rowcount", 0) != 1:
        raise ResponseLocked("this response has been submitted; its answers can no longer change")


def _claim_section(session: Session, response: Response, section_id: str, expected: int | None, by: User) -> None:
    """Raise the section's version from the one the page was shown at; EditConflict if it moved on."""
    now = utcnow()
    if expected is None:
        expected = section_version(response, section_id)
    if expected == 0:
        claimed = insert_unless_exists(session, ResponseSection, response_id=response.id, section_id=section_id,
                                       version=1, saved_at=now, saved_by_id=by.id)
    else:
        result = session.execute(_CLAIM_SECTION, {"response": response.id, "section": section_id,
                                                  "expected": expected, "now": now, "by": by.id})
        claimed = getattr(result, "rowcount", 0) == 1
    session.expire(response, ["sections"])
    if not claimed:
        raise EditConflict(response.id)


def submit_response(session: Session, response: Response, by: User) -> Profile:
    """Submit a complete response: lock its answers, score it and store the scores."""
    require(session, by, Action.CHANGE_RESPONSE, response)
    if response.status == ResponseStatus.SUBMITTED:
        raise ResponseLocked("this response has already been submitted")
    _ensure_round_takes(response)
    questionnaire = questionnaire_for(response)
    _raise_if_incomplete(questionnaire, response)
    _claim_for_change(session, response)
    # Read again under the row lock: a save that finished just before this one counts.
    session.expire(response, ["answers"])
    _raise_if_incomplete(questionnaire, response)
    response.status = ResponseStatus.SUBMITTED
    response.submitted_at = utcnow()
    response.returned_at = response.returned_message = None
    profile = store_scores(session, response)
    session.add(AuditEvent(action="response-submitted", user_id=by.id,
                           organisation_id=response.assessment.organisation_id, subject=f"response:{response.id}"))
    session.flush()
    return profile


def return_response(session: Session, response: Response, by: User, message: str) -> None:
    """Hand a submitted response back to its respondent for changes, saying why (its scores go until resubmitted)."""
    require(session, by, Action.FACILITATE, response)
    if response.kind != ResponseKind.INDIVIDUAL or response.status != ResponseStatus.SUBMITTED:
        raise ResponseLocked("only a submitted individual response can be returned")
    _ensure_round_takes(response)
    if not message.strip():
        raise ValueError("say what the respondent should look at again")
    response.status = ResponseStatus.IN_PROGRESS
    response.submitted_at = None
    response.returned_at, response.returned_message = utcnow(), message.strip()
    session.execute(delete(Score).where(Score.response_id == response.id))
    session.expire(response, ["scores"])
    session.add(AuditEvent(action="response-returned", user_id=by.id,
                           organisation_id=response.assessment.organisation_id, subject=f"response:{response.id}",
                           detail={"message": message.strip()}))
    session.flush()


def anything_submitted(session: Session, assessment: Assessment) -> bool:
    """Whether any response of the round (someone's own or the agreed one) is submitted: a profile can be drawn."""
    return bool(session.scalar(select(select(Response.id).where(
        Response.assessment_id == assessment.id, Response.status == ResponseStatus.SUBMITTED).exists())))


def missing_in_section(response: Response, section_id: str) -> list[tuple[str, str]]:
    """What stops one section of a response being complete: each question (id) missing an answer or its comment.

    Saving never asks this (an answer given is always kept, whatever else is missing); completing a section and
    submitting do.
    """
    questionnaire = questionnaire_for(response)
    in_section = {q.id for q in _section(questionnaire, section_id).questions}
    return [(question.id, reason) for question, reason in missing_answers(questionnaire, answers_of(response))
            if question.id in in_section]


def _raise_if_incomplete(questionnaire: Questionnaire, response: Response) -> None:
    missing = missing_answers(questionnaire, answers_of(response))
    if missing:
        raise Incomplete([(question.id, reason) for question, reason in missing])


def store_scores(session: Session, response: Response) -> Profile:
    """Replace a response's stored scores: one row for the questionnaire and one per section."""
    questionnaire = questionnaire_for(response)
    scorer = get_scorer(questionnaire.scoring.method)
    profile = scorer.score(questionnaire, answers_of(response))
    common = {"response_id": response.id, "questionnaire_version_id": response.questionnaire_version_id,
              **score_provenance(questionnaire), "computed_at": utcnow()}
    session.execute(delete(Score).where(Score.response_id == response.id))
    session.expire(response, ["scores"])
    session.add(Score(section_id=None, level=profile.level, value=profile.value,
                      answered=sum(s.answered for s in profile.sections),
                      applicable=sum(s.applicable for s in profile.sections), explanation=profile.explanation,
                      **common))
    session.add_all(Score(section_id=s.id, level=s.level, value=s.value, answered=s.answered,
                          applicable=s.applicable, explanation=s.explanation, **common) for s in profile.sections)
    session.flush()
    return profile


class NotScored(LookupError):
    """The response has no stored scores (it has not been submitted)."""


def stored_profile(response: Response) -> Profile:
    """The response's maturity profile as stored when it was scored: what results and reports show."""
    questionnaire = questionnaire_for(response)
    rows = {score.section_id: score for score in response.scores}
    overall = rows.get(None)
    if overall is None:
        raise NotScored(response.id)
    sections = tuple(
        SectionResult(id=section.id, title=section.title, level=row.level, label=questionnaire.label(row.level),
                      value=row.value, answered=row.answered, applicable=row.applicable,
                      explanation=row.explanation)
        for section in questionnaire.sections if (row := rows.get(section.id)) is not None
    )
    return Profile(questionnaire_id=questionnaire.id, version=questionnaire.version, method=overall.method,
                   level=overall.level, label=questionnaire.label(overall.level), value=overall.value,
                   sections=sections, explanation=overall.explanation)


@dataclass(frozen=True)
class ScoreChange:
    """A stored score that rescoring changed: its round, response and section, and its level before and after."""

    round_title: str
    round_uid: str
    response_id: int
    questionnaire_id: str
    questionnaire_version: int
    section_id: str | None
    before: str
    after: str


def submitted_responses(session: Session) -> list[Response]:
    """Every submitted response (individual and agreed), with what scoring needs loaded, oldest first."""
    return list(session.scalars(
        select(Response).where(Response.status == ResponseStatus.SUBMITTED)
        .options(selectinload(Response.answers), selectinload(Response.scores),
                 selectinload(Response.questionnaire_version), selectinload(Response.assessment))
        .order_by(Response.id)
    ))


def out_of_date(response: Response) -> bool:
    """Whether a response's stored scores were made by another scorer, scorer version or options than its file's now."""
    wanted = score_provenance(questionnaire_for(response))
    return not response.scores or any(_provenance_of(score) != wanted for score in response.scores)


def _describe(level: int | None, value: float | None, explanation: str, response: Response) -> str:
    label = questionnaire_for(response).label(level) or "no level"
    return f"{label}" + (f" ({value:g})" if value is not None else "") + f": {explanation}"


def _provenance_of(score: Score) -> dict[str, object]:
    return {"method": score.method, "scorer_version": score.scorer_version, "scorer_options": score.scorer_options}


def fixed_by_publication(response: Response) -> bool:
    """Whether the response's round is published, so that its scores stay as they were published."""
    return response.assessment.status in PUBLISHED_STATES


def rescore(session: Session, responses: Sequence[Response], include_published: bool = False) -> list[ScoreChange]:
    """Recompute the stored scores of submitted responses; what changed (level, value or explanation), audited.

    A published round's scores are fixed, as its answers are: they are renewed only when ``include_published`` says so.
    """
    changes: list[ScoreChange] = []
    for response in responses:
        if response.status != ResponseStatus.SUBMITTED or (fixed_by_publication(response) and not include_published):
            continue
        before = {s.section_id: (s.level, _describe(s.level, s.value, s.explanation, response))
                  for s in response.scores}
        made_by = [_provenance_of(s) for s in response.scores[:1]]
        store_scores(session, response)
        changed = []
        for score_row in response.scores:
            old_level, old = before.get(score_row.section_id, (None, "none"))
            new = _describe(score_row.level, score_row.value, score_row.explanation, response)
            if old != new:
                changed.append({"section": score_row.section_id, "before": old, "after": new,
                                "level_before": old_level, "level_after": score_row.level})
                version = response.questionnaire_version
                changes.append(ScoreChange(response.assessment.title, response.assessment.uid, response.id,
                                           version.questionnaire_id, version.version, score_row.section_id, old, new))
        if changed:
            # Nothing is rescored silently: the round's audit trail says what changed and what had made the old scores.
            session.add(AuditEvent(action="response-rescored", organisation_id=response.assessment.organisation_id,
                                   subject=f"response:{response.id}",
                                   detail={"made_by": made_by[0] if made_by else None,
                                           "now_made_by": score_provenance(questionnaire_for(response)),
                                           "changes": changed}))
    session.flush()
    return changes


@dataclass(frozen=True)
class SectionProgress:
    """How far a respondent has got with one section."""

    section: Section
    status: str  # "not-started" | "in-progress" | "completed"


def section_progress(questionnaire: Questionnaire, answers: Mapping[str, ScoredAnswer]) -> list[SectionProgress]:
    """Each section's status: not started, in progress, or completed (nothing missing in it)."""
    missing = {question.id for question, _reason in missing_answers(questionnaire, answers)}
    result = []
    for section in questionnaire.sections:
        ids = {q.id for q in section.questions}
        if not any(answers.get(i) is not None and answers[i].is_given for i in ids):
            status = "not-started"
        elif ids & missing:
            status = "in-progress"
        else:
            status = "completed"
        result.append(SectionProgress(section, status))
    return result
