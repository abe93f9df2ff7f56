"""Responses: saving answers (refusing conflicting edits), submitting, and storing scores."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from assess.answers import from_stored, missing_answers, to_stored
from assess.models import (
    Answer,
    Assessment,
    AuditEvent,
    QuestionnaireVersion,
    Response,
    ResponseKind,
    ResponseStatus,
    Score,
    User,
    utcnow,
)
from assess.services.questionnaires import questionnaire_of
from scoring import Answer as ScoredAnswer
from scoring import Profile, Questionnaire, get_scorer
from scoring.model import Section


class EditConflict(Exception):
    """Someone else saved the response since this edit started; nothing was overwritten."""


class ResponseLocked(Exception):
    """The response is submitted (or its round no longer open) and cannot change."""


class Incomplete(Exception):
    """The response cannot be submitted yet; ``missing`` lists each blocking question and why."""

    def __init__(self, missing: list[tuple[str, str]]) -> None:
        self.missing = missing
        super().__init__(f"{len(missing)} question(s) need an answer")


def questionnaire_for(response: Response) -> Questionnaire:
    """The exact questionnaire version a response answers."""
    return questionnaire_of(response.questionnaire_version)


def answers_of(response: Response) -> dict[str, ScoredAnswer]:
    """A response's answers, by question id, as scorers see them."""
    return {a.question_id: from_stored(a.value, a.not_applicable, a.comment) for a in response.answers}


def individual_response(
    session: Session, assessment: Assessment, version: QuestionnaireVersion, respondent: User, group: str | None,
) -> Response:
    """The respondent's own response to a questionnaire in a round, created when first needed."""
    response = session.scalar(
        select(Response).filter_by(
            assessment_id=assessment.id,
            questionnaire_version_id=version.id,
            respondent_id=respondent.id,
            kind=ResponseKind.INDIVIDUAL,
        )
    )
    if response is None:
        response = Response(
            assessment=assessment,
            questionnaire_version=version,
            respondent=respondent,
            respondent_group=group,
            kind=ResponseKind.INDIVIDUAL,
            status=ResponseStatus.NOT_STARTED,
        )
        session.add(response)
        session.flush()
    return response


def save_answers(
    session: Session,
    response: Response,
    changes: Mapping[str, ScoredAnswer],
    by: User | None,
    expected_version: int | None = None,
) -> None:
    """Store answers to some questions of a response in one transaction.

    ``expected_version`` is the response's lock_version when the page was shown: if anyone
    saved since, EditConflict is raised and nothing is written.
    """
    if response.status == ResponseStatus.SUBMITTED:
        raise ResponseLocked("this response has been submitted; its answers can no longer change")
    if expected_version is not None and expected_version != response.lock_version:
        raise EditConflict(response.id)
    unknown = set(changes) - {q.id for q in questionnaire_for(response).questions}
    if unknown:
        raise ValueError(f"no such question in this questionnaire: {', '.join(sorted(unknown))}")
    existing = {a.question_id: a for a in response.answers}
    for question_id, answer in changes.items():
        row = existing.get(question_id)
        if row is None:
            row = Answer(question_id=question_id)
            response.answers.append(row)
        row.value = None if answer.not_applicable else to_stored(answer.value)
        row.not_applicable = answer.not_applicable
        row.comment = (answer.comment or "").strip() or None
        row.changed_by_id = by.id if by else None
        row.changed_at = utcnow()
    if response.status == ResponseStatus.NOT_STARTED:
        response.status = ResponseStatus.IN_PROGRESS
        response.started_at = utcnow()
    # Touching the response raises lock_version, so a concurrent save of the same response fails.
    response.updated_at = utcnow()
    try:
        session.commit()
    except StaleDataError:
        session.rollback()
        raise EditConflict(response.id) from None


def submit_response(session: Session, response: Response, by: User | None) -> Profile:
    """Submit a complete response: lock its answers, score it and store the scores."""
    if response.status == ResponseStatus.SUBMITTED:
        raise ResponseLocked("this response has already been submitted")
    questionnaire = questionnaire_for(response)
    missing = missing_answers(questionnaire, answers_of(response))
    if missing:
        raise Incomplete([(question.id, reason) for question, reason in missing])
    response.status = ResponseStatus.SUBMITTED
    response.submitted_at = utcnow()
    profile = store_scores(session, response)
    session.add(AuditEvent(
        action="response-submitted",
        user_id=by.id if by else None,
        organisation_id=response.assessment.organisation_id,
        subject=f"response:{response.id}",
    ))
    try:
        session.commit()
    except StaleDataError:
        session.rollback()
        raise EditConflict(response.id) from None
    return profile


def score(response: Response) -> Profile:
    """Score a response with its questionnaire's scorer."""
    questionnaire = questionnaire_for(response)
    return get_scorer(questionnaire.scoring.method).score(questionnaire, answers_of(response))


def store_scores(session: Session, response: Response) -> Profile:
    """Replace a response's stored scores: one row for the questionnaire and one per section."""
    profile = score(response)
    session.execute(delete(Score).where(Score.response_id == response.id))
    session.add(Score(response_id=response.id, section_id=None, level=profile.level, value=profile.value,
                      answered=sum(s.answered for s in profile.sections),
                      applicable=sum(s.applicable for s in profile.sections), explanation=profile.explanation))
    for section in profile.sections:
        session.add(Score(response_id=response.id, section_id=section.id, level=section.level, value=section.value,
                          answered=section.answered, applicable=section.applicable,
                          explanation=section.explanation))
    return profile


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

