"""Assessment rounds: starting one, and what each respondent has left to do in it."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from assess.library import Library
from assess.models import (
    Assessment,
    AssessmentQuestionnaire,
    Assignment,
    AuditEvent,
    Organisation,
    Response,
    ResponseStatus,
    SiteRole,
    User,
)
from assess.policy import Action, require
from assess.services.questionnaires import record_version
from assess.services.responses import SectionProgress, answers_of, find_individual_response, section_progress
from scoring import Questionnaire


class UnknownQuestionnaire(ValueError):
    """A round was asked to offer a questionnaire the library does not have."""


def start_round(
    session: Session, organisation: Organisation, by: User, title: str, questionnaire_ids: list[str], library: Library,
) -> Assessment:
    """Open a new round offering the current version of each chosen questionnaire (each once)."""
    require(session, by, Action.START_ROUND, organisation)
    chosen = list(dict.fromkeys(questionnaire_ids))  # a questionnaire named twice is offered once
    unknown = [qid for qid in chosen if qid not in library.files]
    if unknown or not chosen:
        raise UnknownQuestionnaire(f"choose questionnaires from the library (not {', '.join(unknown) or 'none'})")
    links = [
        AssessmentQuestionnaire(questionnaire_version=record_version(session, library.files[qid]).version, position=i)
        for i, qid in enumerate(chosen)
    ]
    assessment = Assessment(organisation=organisation, title=title.strip(), created_by_id=by.id, questionnaires=links)
    session.add(assessment)
    session.flush()
    session.add(AuditEvent(action="round-started", user_id=by.id, organisation_id=organisation.id,
                           subject=f"assessment:{assessment.id}"))
    session.flush()
    return assessment


class NotAFacilitator(ValueError):
    """Only a person with the facilitator role can be assigned to a round."""


def assign_facilitator(session: Session, assessment: Assessment, facilitator: User, by: User) -> Assignment:
    """Assign a facilitator to a round (the council's lead or an admin may); assigning again changes nothing."""
    require(session, by, Action.ASSIGN_FACILITATOR, assessment)
    if not facilitator.has_role(SiteRole.FACILITATOR) or not facilitator.active:
        raise NotAFacilitator(f"{facilitator.email} does not have the facilitator role")
    assignment = session.scalar(select(Assignment).filter_by(assessment_id=assessment.id, user_id=facilitator.id))
    if assignment is None:
        assignment = Assignment(assessment=assessment, user=facilitator, assigned_by_id=by.id)
        session.add(assignment)
        session.flush()
        session.add(AuditEvent(action="facilitator-assigned", user_id=by.id,
                               organisation_id=assessment.organisation_id, subject=f"assessment:{assessment.id}",
                               detail={"facilitator": facilitator.email}))
        session.flush()
    return assignment


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


def task(
    session: Session, link: AssessmentQuestionnaire, questionnaire: Questionnaire, user: User,
) -> QuestionnaireTask:
    """The user's progress through one questionnaire of a round."""
    response = find_individual_response(session, link.assessment, link.questionnaire_version, user)
    return QuestionnaireTask(link, questionnaire, response, section_progress(questionnaire, answers_of(response)))
