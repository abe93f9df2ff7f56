"""Completion: who of the people asked has answered what in a round, counts by group, and reminders to the rest."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import and_, distinct, func, select
from sqlalchemy.orm import Session, selectinload

from assess.models import (
    Assessment,
    AssessmentQuestionnaire,
    AssessmentStatus,
    AuditEvent,
    OrganisationRole,
    Reminder,
    RespondentGroup,
    Response,
    ResponseKind,
    ResponseStatus,
    User,
    utcnow,
)
from assess.policy import Action, require
from assess.services.participants import asked
from assess.services.questionnaires import questionnaire_of
from assess.services.responses import answers_of, section_progress
from scoring import Questionnaire

#: The least time between two reminders to the same person about the same round.
REMINDER_GAP = timedelta(days=1)


@dataclass(frozen=True)
class Progress:
    """One person's progress with one questionnaire."""

    status: str  # not-started | in-progress | submitted
    done: int
    of: int
    response_id: int | None

    @property
    def text(self) -> str:
        """ "Submitted", "In progress: 2 of 6 sections" or "Not started"."""
        if self.status == "submitted":
            return "Submitted"
        if self.status == "in-progress":
            return f"In progress: {self.done} of {self.of} sections"
        return "Not started"


@dataclass(frozen=True)
class PersonProgress:
    """A person asked in the round and their progress with each questionnaire of it."""

    user: User
    group: RespondentGroup
    role: OrganisationRole
    progress: tuple[Progress, ...]

    @property
    def finished(self) -> bool:
        """Whether they have submitted every questionnaire."""
        return all(p.status == "submitted" for p in self.progress)

    @property
    def started(self) -> bool:
        """Whether they have saved anything at all."""
        return any(p.status != "not-started" for p in self.progress)


@dataclass(frozen=True)
class GroupCount:
    """How many of a group have finished, started and not started."""

    group: RespondentGroup
    people: int
    finished: int
    started: int

    @property
    def not_started(self) -> int:
        """People of the group who have saved nothing."""
        return self.people - self.started


@dataclass(frozen=True)
class Completion:
    """Everyone's progress in a round, by person and by group."""

    questionnaires: tuple[Questionnaire, ...]
    people: tuple[PersonProgress, ...]

    def by_group(self) -> list[GroupCount]:
        """Counts for each group that has anyone in it."""
        counts = []
        for group in RespondentGroup:
            members = [p for p in self.people if p.group == group]
            if members:
                counts.append(GroupCount(group, len(members), sum(p.finished for p in members),
                                         sum(p.started for p in members)))
        return counts

    def filtered(self, group: str | None, state: str | None) -> tuple[PersonProgress, ...]:
        """The people of one group and/or state (finished, in-progress, not-started); everyone by default."""
        keep = STATES.get(state or "")
        return tuple(p for p in self.people
                     if (not group or p.group.value == group) and (keep is None or keep(p)))


#: The states the completion table can be filtered by.
STATES: dict[str, Callable[[PersonProgress], bool]] = {
    "finished": lambda person: person.finished,
    "in-progress": lambda person: person.started and not person.finished,
    "not-started": lambda person: not person.started,
}


def completion(session: Session, assessment: Assessment, by: User) -> Completion:
    """Who has answered what in a round (the lead and the round's facilitators may see it)."""
    require(session, by, Action.VIEW_RESPONSES, assessment)
    who = asked([assessment.id]).subquery()
    members = session.execute(
        select(User, who.c.group, who.c.role).join(who, who.c.user_id == User.id).order_by(User.name, User.id)
    ).tuples().all()
    responses = session.scalars(
        select(Response).where(Response.assessment_id == assessment.id, Response.kind == ResponseKind.INDIVIDUAL)
        .options(selectinload(Response.answers))
    ).all()
    by_person = {(r.respondent_id, r.questionnaire_version_id): r for r in responses}
    links = list(assessment.questionnaires)
    questionnaires = tuple(questionnaire_of(link.questionnaire_version) for link in links)
    people = []
    for user, group, role in members:
        progress = []
        for link, questionnaire in zip(links, questionnaires, strict=True):
            response = by_person.get((user.id, link.questionnaire_version_id))
            progress.append(_progress(questionnaire, response))
        people.append(PersonProgress(user, group, role, tuple(progress)))
    return Completion(questionnaires, tuple(people))


def finished_counts(session: Session, assessments: Sequence[Assessment], by: User) -> dict[int, tuple[int, int]]:
    """For each round: how many of the people asked in it have submitted every questionnaire, of how many.

    The figure a home page shows beside each round it lists, for all of them in one statement
    (``completion`` works out everyone's progress section by section: for the round's own page).
    """
    for assessment in assessments:
        require(session, by, Action.VIEW_RESPONSES, assessment)
    ids = [a.id for a in assessments]
    who = asked(ids).subquery()
    members = select(who.c.assessment_id.label("round_id"), who.c.user_id).subquery()
    offered = (select(AssessmentQuestionnaire.assessment_id, func.count().label("count"))
               .where(AssessmentQuestionnaire.assessment_id.in_(ids))
               .group_by(AssessmentQuestionnaire.assessment_id).subquery())
    submitted = (select(Response.assessment_id, Response.respondent_id,
                        func.count(distinct(Response.questionnaire_version_id)).label("count"))
                 .join(AssessmentQuestionnaire, and_(
                     AssessmentQuestionnaire.assessment_id == Response.assessment_id,
                     AssessmentQuestionnaire.questionnaire_version_id == Response.questionnaire_version_id))
                 .where(Response.assessment_id.in_(ids), Response.kind == ResponseKind.INDIVIDUAL,
                        Response.status == ResponseStatus.SUBMITTED)
                 .group_by(Response.assessment_id, Response.respondent_id).subquery())
    rows = session.execute(
        select(members.c.round_id, func.count(), func.count().filter(submitted.c.count == offered.c.count))
        .select_from(members).join(offered, offered.c.assessment_id == members.c.round_id)
        .outerjoin(submitted, and_(submitted.c.assessment_id == members.c.round_id,
                                   submitted.c.respondent_id == members.c.user_id))
        .group_by(members.c.round_id)
    ).all()
    counts = {round_id: (finished, people) for round_id, people, finished in rows}
    return {round_id: counts.get(round_id, (0, 0)) for round_id in ids}


def _progress(questionnaire: Questionnaire, response: Response | None) -> Progress:
    sections = section_progress(questionnaire, answers_of(response))
    done = sum(s.status == "completed" for s in sections)
    if response is not None and response.status == ResponseStatus.SUBMITTED:
        return Progress("submitted", len(sections), len(sections), response.id)
    started = response is not None and any(s.status != "not-started" for s in sections)
    return Progress("in-progress" if started else "not-started", done, len(sections),
                    response.id if response else None)


@dataclass(frozen=True)
class ReminderDue:
    """A participant with something unfinished: what they still have to do, and whether one went out today."""

    user: User
    unfinished: tuple[str, ...]  # the titles of their questionnaires not yet submitted
    reminded_recently: bool  # reminded within REMINDER_GAP, so not emailed again now


def reminder_plan(session: Session, assessment: Assessment, by: User) -> list[ReminderDue]:
    """Who a reminder would go to now: the round's participants with something unfinished (the sender only if asked)."""
    require(session, by, Action.MANAGE_ROUND, assessment)
    if assessment.status != AssessmentStatus.OPEN:
        raise ValueError("this round is no longer taking answers, so there is nobody to remind")
    since = utcnow() - REMINDER_GAP
    recent = set(session.scalars(select(Reminder.user_id).where(Reminder.assessment_id == assessment.id,
                                                               Reminder.sent_at > since)))
    result = completion(session, assessment, by)
    return [ReminderDue(person.user, tuple(q.title for q, p in zip(result.questionnaires, person.progress, strict=True)
                                           if p.status != "submitted"), person.user.id in recent)
            for person in result.people if not person.finished]


def people_to_remind(session: Session, assessment: Assessment, by: User) -> tuple[list[ReminderDue], int]:
    """Record a reminder for every participant with something unfinished who was not reminded in the last day.

    Returns those to email (each with what they still have to do), and how many were left out because
    they had a reminder recently.
    """
    plan = reminder_plan(session, assessment, by)
    due = [item for item in plan if not item.reminded_recently]
    session.add_all(Reminder(assessment_id=assessment.id, user_id=item.user.id) for item in due)
    if due:
        session.add(AuditEvent(action="reminders-sent", user_id=by.id, organisation_id=assessment.organisation_id,
                               subject=f"assessment:{assessment.id}", detail={"to": [d.user.email for d in due]}))
    session.flush()
    return due, len(plan) - len(due)


def completion_csv_rows(result: Completion, people: Sequence[PersonProgress]) -> list[list[str]]:
    """The completion table as CSV rows, with a header row."""
    rows = [["name", "email", "group", "role", *[q.title for q in result.questionnaires]]]
    rows += [[p.user.name, p.user.email, p.group.value, p.role.value, *[c.text for c in p.progress]] for p in people]
    return rows
