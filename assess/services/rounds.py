"""Assessment rounds: starting one, and what each respondent has left to do in it."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from assess.library import Library
from assess.models import (
    Assessment,
    AssessmentQuestionnaire,
    AuditEvent,
    Organisation,
    Response,
    ResponseKind,
    ResponseStatus,
    User,
)
from assess.services.questionnaires import record_version
from assess.services.responses import SectionProgress, answers_of, section_progress
from scoring import Questionnaire


def start_round(
    session: Session, organisation: Organisation, by: User, title: str, questionnaire_ids: list[str], library: Library,
) -> Assessment:
    """Open a new round offering the current version of each chosen questionnaire."""
    links = [
        AssessmentQuestionnaire(questionnaire_version=record_version(session, library.files[qid]).version, position=i)
        for i, qid in enumerate(questionnaire_ids)
    ]
    assessment = Assessment(organisation=organisation, title=title.strip(), created_by_id=by.id, questionnaires=links)
    session.add(assessment)
    session.flush()
    session.add(AuditEvent(action="round-started", user_id=by.id, organisation_id=organisation.id,
                           subject=f"assessment:{assessment.id}"))
    session.commit()
    return assessment


def rounds_of(session: Session, organisation: Organisation) -> list[Assessment]:
    """An organisation's rounds, newest first."""
    return list(session.scalars(
        select(Assessment).filter_by(organisation_id=organisation.id).order_by(Assessment.created_at.desc())
    ))


@dataclass(frozen=True)
class QuestionnaireTask:
    """One questionnaire of a round as a respondent sees it on their task list."""

    link: AssessmentQuestionnaire
    questionnaire: Questionnaire
    response: Response | None
    sections: list[SectionProgress]

    @property
    def status(self) -> str:
        """'submitted', 'completed' (ready to submit), 'in-progress' or 'not-started'."""
        if self.response is not None and self.response.status == ResponseStatus.SUBMITTED:
            return "submitted"
        statuses = {s.status for s in self.sections}
        if statuses == {"completed"}:
            return "completed"
        return "not-started" if statuses == {"not-started"} else "in-progress"


def own_response(session: Session, link: AssessmentQuestionnaire, user: User) -> Response | None:
    """The user's own response to one questionnaire of a round, if they have started it."""
    return session.scalar(select(Response).filter_by(
        assessment_id=link.assessment_id, questionnaire_version_id=link.questionnaire_version_id,
        respondent_id=user.id, kind=ResponseKind.INDIVIDUAL,
    ))


def task(
    session: Session, link: AssessmentQuestionnaire, questionnaire: Questionnaire, user: User,
) -> QuestionnaireTask:
    """The user's progress through one questionnaire of a round."""
    response = own_response(session, link, user)
    answers = answers_of(response) if response is not None else {}
    return QuestionnaireTask(link, questionnaire, response, section_progress(questionnaire, answers))
