"""Assessment rounds: starting and changing one, its life from open to closed, and what each person has left to do."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload

from assess.library import Library
from assess.models import (
    PUBLISHED_STATES,
    Assessment,
    AssessmentQuestionnaire,
    AssessmentStatus,
    Assignment,
    AuditEvent,
    Organisation,
    OrganisationRole,
    RespondentGroup,
    Response,
    ResponseKind,
    ResponseStatus,
    Sharing,
    SiteRole,
    User,
    utcnow,
)
from assess.policy import Action, allowed, require
from assess.services.questionnaires import Offered, offered, questionnaire_of, use_offered
from assess.services.responses import SectionProgress, answers_of, section_progress
from scoring import Questionnaire


class RoundRefused(ValueError):
    """A change to a round that cannot be made; the text says why."""


@dataclass(frozen=True)
class RoundDetails:
    """What the lead chooses for a round."""

    title: str
    questionnaire_ids: Sequence[str]
    opens_on: date | None = None
    closes_on: date | None = None
    expected_groups: Sequence[str] = (RespondentGroup.OFFICER.value, RespondentGroup.MEMBER.value)
    comments_named: bool = False


def _links(session: Session, details: RoundDetails, library: Library,
           kept: Collection[str] = ()) -> tuple[list[str], dict[str, Offered]]:
    """The questionnaires chosen (each once) and those offered; RoundRefused for one neither offered nor kept."""
    chosen = list(dict.fromkeys(details.questionnaire_ids))  # a questionnaire named twice is offered once
    choices = offered(session, library)
    unknown = [qid for qid in chosen if qid not in choices and qid not in kept]
    if unknown or not chosen:
        raise RoundRefused(f"choose questionnaires from the library (not {', '.join(unknown) or 'none'})")
    if details.opens_on and details.closes_on and details.closes_on < details.opens_on:
        raise RoundRefused("the closing date must be on or after the opening date")
    return chosen, choices


def _apply(assessment: Assessment, details: RoundDetails) -> None:
    assessment.title = details.title.strip()
    assessment.opens_on, assessment.closes_on = details.opens_on, details.closes_on
    assessment.expected_groups = [g.value for g in RespondentGroup if g.value in details.expected_groups]
    assessment.comments_named = details.comments_named


def start_round(session: Session, organisation: Organisation, by: User, details: RoundDetails,
                library: Library) -> Assessment:
    """Open a new round with the offered version of each chosen questionnaire (each once)."""
    require(session, by, Action.START_ROUND, organisation)
    chosen, choices = _links(session, details, library)
    assessment = Assessment(organisation=organisation, created_by_id=by.id, questionnaires=[
        AssessmentQuestionnaire(questionnaire_version=use_offered(session, choices[qid]), position=i)
        for i, qid in enumerate(chosen)
    ])
    _apply(assessment, details)
    session.add(assessment)
    session.flush()
    session.add(AuditEvent(action="round-started", user_id=by.id, organisation_id=organisation.id,
                           subject=f"assessment:{assessment.id}"))
    session.flush()
    return assessment


def update_round(session: Session, assessment: Assessment, by: User, details: RoundDetails, library: Library) -> None:
    """Change a round's details; a questionnaire someone has answered cannot be taken out.

    Questionnaires the round has keep their version (even if retired since); one added gets the offered version.
    """
    require(session, by, Action.MANAGE_ROUND, assessment)
    _refuse_if_published(assessment, "its questionnaires, dates and details")
    links = {link.questionnaire_version.questionnaire_id: link for link in assessment.questionnaires}
    chosen, choices = _links(session, details, library, kept=links)
    answered = {r.questionnaire_version.questionnaire_id for r in assessment.responses}
    dropped = [qid for qid in links if qid not in chosen]
    if set(dropped) & answered:
        titles = ", ".join(links[qid].questionnaire_version.title for qid in dropped if qid in answered)
        raise RoundRefused(f"{titles} already has answers, so it cannot be taken out of the round")
    before = {"title": assessment.title, "questionnaires": list(links)}
    for qid in dropped:
        assessment.questionnaires.remove(links[qid])
    for qid in chosen:
        if qid not in links:
            assessment.questionnaires.append(AssessmentQuestionnaire(questionnaire_version=use_offered(
                session, choices[qid])))
    position = {qid: i for i, qid in enumerate(chosen)}
    for link in assessment.questionnaires:
        link.position = position[link.questionnaire_version.questionnaire_id]
    _apply(assessment, details)
    session.add(AuditEvent(action="round-changed", user_id=by.id, organisation_id=assessment.organisation_id,
                           subject=f"assessment:{assessment.id}",
                           detail={"before": before, "after": {"title": assessment.title, "questionnaires": chosen}}))
    session.flush()


#: The states in which a round's results are published, so fixed: only how they are shared can change.


def _refuse_if_published(assessment: Assessment, what: str) -> None:
    """RoundRefused if the round is published (or closed after publishing): published means fixed."""
    if assessment.status in PUBLISHED_STATES:
        raise RoundRefused(f"this round is {assessment.status.value}, so {what} cannot change; to correct them, "
                           "withdraw the published results and return the round to review")


def change_sharing(session: Session, assessment: Assessment, sharing: Sharing, by: User) -> None:
    """Change how a published round is shared with the sector, on its own (nothing else about the round changes)."""
    require(session, by, Action.MANAGE_ROUND, assessment)
    if assessment.status not in PUBLISHED_STATES:
        raise RoundRefused("only a published round's sharing changes on its own: it is chosen when publishing")
    if sharing == assessment.sharing:
        raise RoundRefused(f"the round is already {SHARING_NAMES[sharing]}: choose another way to share it")
    before = assessment.sharing
    assessment.sharing = sharing
    session.add(AuditEvent(action="round-sharing-changed", user_id=by.id, organisation_id=assessment.organisation_id,
                           subject=f"assessment:{assessment.id}",
                           detail={"from": before.value, "to": sharing.value}))
    session.flush()


#: How a round is shared, as a page or a message says it.
SHARING_NAMES = {
    Sharing.PRIVATE: "not shared with the sector",
    Sharing.ANONYMOUS: "shared with the sector without the council’s name",
    Sharing.NAMED: "shared with the sector by name",
}


def shared_since(session: Session, assessment: Assessment) -> datetime | None:
    """When a published round's sharing was last set: its publication, or a later change of sharing alone."""
    if assessment.published_at is None:
        return None
    changed = session.scalar(select(func.max(AuditEvent.at)).where(
        AuditEvent.subject == f"assessment:{assessment.id}", AuditEvent.action == "round-sharing-changed",
        AuditEvent.at >= assessment.published_at))
    return changed or assessment.published_at


#: Each step of a round's life, and whether it undoes an earlier one (undoing needs a reason).
STEPS: dict[tuple[AssessmentStatus, AssessmentStatus], bool] = {
    (AssessmentStatus.OPEN, AssessmentStatus.IN_REVIEW): False,
    (AssessmentStatus.IN_REVIEW, AssessmentStatus.OPEN): True,
    (AssessmentStatus.IN_REVIEW, AssessmentStatus.PUBLISHED): False,
    (AssessmentStatus.PUBLISHED, AssessmentStatus.IN_REVIEW): True,
    (AssessmentStatus.PUBLISHED, AssessmentStatus.CLOSED): False,
    (AssessmentStatus.CLOSED, AssessmentStatus.PUBLISHED): True,
}


def next_steps(assessment: Assessment) -> list[AssessmentStatus]:
    """The states a round can move to from where it is."""
    return [to for (start, to) in STEPS if start == assessment.status]


def _without_confirmed_agreement(assessment: Assessment) -> list[str]:
    """The titles of the round's questionnaires whose agreed answers are not confirmed (scored) yet."""
    confirmed = {r.questionnaire_version_id for r in assessment.responses
                 if r.kind == ResponseKind.CONSENSUS and r.status == ResponseStatus.SUBMITTED}
    return [link.questionnaire_version.title for link in assessment.questionnaires
            if link.questionnaire_version_id not in confirmed]


def change_status(session: Session, assessment: Assessment, to: AssessmentStatus, by: User,
                  reason: str | None = None, sharing: Sharing | None = None) -> None:
    """Move a round on (open, in review, published, closed) or back (with a reason); publishing sets sharing."""
    require(session, by, Action.MANAGE_ROUND, assessment)
    step = (assessment.status, to)
    if step not in STEPS:
        raise RoundRefused(f"a round that is {assessment.status.value.replace('-', ' ')} cannot become "
                           f"{to.value.replace('-', ' ')}")
    if STEPS[step] and not (reason or "").strip():
        raise RoundRefused("say why this step is being undone")
    if to == AssessmentStatus.PUBLISHED:
        if sharing is None:
            raise RoundRefused("choose how the published round is shared")
        unconfirmed = _without_confirmed_agreement(assessment)
        if unconfirmed:
            raise RoundRefused(f"confirm the agreed answers to {', '.join(unconfirmed)} first: publishing shares "
                               "the council's agreed answers")
        assessment.sharing = sharing
        assessment.published_at = assessment.published_at or utcnow()
    if step == (AssessmentStatus.PUBLISHED, AssessmentStatus.IN_REVIEW):
        assessment.published_at = None  # withdrawn: no longer counts as published anywhere
    before = assessment.status
    assessment.status = to
    session.add(AuditEvent(action=f"round-{to.value}", user_id=by.id, organisation_id=assessment.organisation_id,
                           subject=f"assessment:{assessment.id}",
                           detail={"from": before.value, "to": to.value, "reason": (reason or "").strip() or None,
                                   "sharing": assessment.sharing.value}))
    session.flush()


def who_sees_answers(assessment: Assessment) -> list[str]:
    """What a respondent is told before the first question: who sees their answers and comments, and how."""
    leads = [m.user.name for m in assessment.organisation.memberships if m.role == OrganisationRole.LEAD]
    facilitators = [a.user.name for a in assessment.assignments]
    readers = (f"The council’s lead ({_names(leads)})" if leads else "The council’s lead") + (
        f" and the round’s facilitator{'s' if len(facilitators) > 1 else ''} ({_names(facilitators)})"
        if facilitators else " and any facilitator the lead assigns")
    return [
        f"{readers} can read your answers and comments, with your name.",
        "When the team discusses where its views differ, your comments are shown "
        + ("with your name." if assessment.comments_named else "without your name."),
        "The council publishes only the answers the team agrees: your own answers are never published, nor shared "
        "with other councils or the sector.",
        (f"The council published its agreed results on {assessment.published_at:%-d %B %Y}."
         if assessment.published_at is not None and assessment.status in PUBLISHED_STATES
         else "When the council publishes its agreed results, you will be emailed a link to them."),
    ]


def _names(names: Sequence[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


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

    @property
    def sections_done(self) -> int:
        """How many sections have nothing missing."""
        return sum(s.status == "completed" for s in self.sections)


def tasks(session: Session, assessment: Assessment, user: User) -> list[QuestionnaireTask]:
    """The user's progress through each questionnaire of a round (their responses read in one statement)."""
    responses = {r.questionnaire_version_id: r for r in session.scalars(
        select(Response).filter_by(assessment_id=assessment.id, respondent_id=user.id, kind=ResponseKind.INDIVIDUAL)
        .options(joinedload(Response.answers))).unique()}
    result = []
    for link in assessment.questionnaires:
        questionnaire = questionnaire_of(link.questionnaire_version)
        response = responses.get(link.questionnaire_version_id)
        result.append(QuestionnaireTask(link, questionnaire, response,
                                        section_progress(questionnaire, answers_of(response))))
    return result


def published_round_for(session: Session, user: User, organisation: Organisation) -> Assessment | None:
    """The council's latest published round whose agreed profile the person may read (the page's and the API's)."""
    rounds = session.scalars(
        select(Assessment)
        .where(Assessment.organisation_id == organisation.id, Assessment.published_at.is_not(None),
               Assessment.status.in_(PUBLISHED_STATES))
        .order_by(Assessment.published_at.desc(), Assessment.id.desc())
    )
    return next((a for a in rounds if allowed(session, user, Action.VIEW_PUBLISHED_PROFILE, a)), None)
