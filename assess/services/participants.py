"""A round's participants: the people asked to answer it, each with the group they answer for.

People join a round by accepting an invitation to it, by the lead adding them from the council's
members (by name or by group), or carried over from the round it started from. Completion,
reminders, participation figures and a respondent's home page read this list and nothing wider.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Select, and_, delete, select
from sqlalchemy.orm import Session, joinedload

from assess.db import insert_unless_exists
from assess.models import (
    Answer,
    Assessment,
    AssessmentStatus,
    AuditEvent,
    JoinedBy,
    Membership,
    OrganisationRole,
    Participant,
    RespondentGroup,
    Response,
    ResponseKind,
    ResponseStatus,
    User,
    utcnow,
)
from assess.policy import Action, forget_lookups, require


class ParticipantRefused(ValueError):
    """A change to a round's participants that cannot be made; the text says why."""


def asked(round_ids: Select[tuple[int]] | Iterable[int]) -> Select[tuple[int, int, RespondentGroup, OrganisationRole]]:
    """The participants of rounds who may answer them (active accounts, still members of the council).

    Columns: round id, user id, the group they answer for, their role in the council; every figure
    about who was asked (completion, reminders, participation) starts from this statement.
    """
    return (select(Participant.assessment_id, Participant.user_id, Participant.group, Membership.role)
            .join(Assessment, Assessment.id == Participant.assessment_id)
            .join(User, User.id == Participant.user_id)
            .join(Membership, and_(Membership.user_id == Participant.user_id,
                                   Membership.organisation_id == Assessment.organisation_id))
            .where(Participant.assessment_id.in_(round_ids), User.active.is_(True)))


def participants_of(session: Session, assessment: Assessment) -> list[Participant]:
    """The round's participants who may answer it (active, still members of the council), by name."""
    who = asked([assessment.id]).subquery()
    return list(session.scalars(
        select(Participant).join(who, and_(who.c.assessment_id == Participant.assessment_id,
                                           who.c.user_id == Participant.user_id))
        .join(User, User.id == Participant.user_id).options(joinedload(Participant.user))
        .order_by(User.name, User.id)
    ))


def join(session: Session, assessment: Assessment, user: User, group: RespondentGroup, how: JoinedBy,
         by: User | int | None) -> bool:
    """Make a person a participant of a round (a person already asked stays as they were); True if added.

    The caller has decided that they may join (an accepted invitation, a lead's choice).
    """
    added_by = by.id if isinstance(by, User) else by
    added = insert_unless_exists(session, Participant, assessment_id=assessment.id, user_id=user.id, group=group,
                                 how=how, added_at=utcnow(), added_by_id=added_by)
    forget_lookups(session)  # a statement, not a flush: the policy's lookups would not see it otherwise
    return added


def _require_open(assessment: Assessment, doing: str) -> None:
    if assessment.status != AssessmentStatus.OPEN:
        raise ParticipantRefused(f"this round is no longer taking answers, so nobody can be {doing}")


@dataclass(frozen=True)
class Candidate:
    """A member of the council who is not asked in the round yet."""

    user: User
    group: RespondentGroup


def members_not_asked(session: Session, assessment: Assessment, by: User) -> list[Candidate]:
    """The council's active members who are not participants of the round, by name."""
    require(session, by, Action.MANAGE_ROUND, assessment)
    asked = select(Participant.user_id).where(Participant.assessment_id == assessment.id)
    rows = session.execute(
        select(User, Membership.group).join(Membership, Membership.user_id == User.id)
        .where(Membership.organisation_id == assessment.organisation_id, User.active.is_(True),
               User.id.not_in(asked))
        .order_by(User.name, User.id)
    ).tuples().all()
    return [Candidate(user, group) for user, group in rows]


def add_members(session: Session, assessment: Assessment, user_ids: Iterable[int], by: User,
                groups: Iterable[RespondentGroup] = ()) -> list[User]:
    """Ask council members in a round: those named by id and everyone in the groups given. Returns who was added."""
    require(session, by, Action.MANAGE_ROUND, assessment)
    _require_open(assessment, "added to it")
    chosen, whole_groups = set(user_ids), set(groups)
    candidates = [c for c in members_not_asked(session, assessment, by)
                  if c.user.id in chosen or c.group in whole_groups]
    added = [c.user for c in candidates if join(session, assessment, c.user, c.group, JoinedBy.ADDED, by)]
    if added:
        session.add(AuditEvent(action="participants-added", user_id=by.id, organisation_id=assessment.organisation_id,
                               subject=f"assessment:{assessment.id}", detail={"people": [u.email for u in added]}))
    session.flush()
    return added


def carry_over(session: Session, assessment: Assessment, previous: Assessment, by: User) -> int:
    """Ask the people of an earlier round of the same council (still its active members) in a new one; how many."""
    require(session, by, Action.MANAGE_ROUND, assessment)
    require(session, by, Action.MANAGE_ROUND, previous)
    if previous.organisation_id != assessment.organisation_id:
        raise ParticipantRefused("people can be carried over only from a round of the same council")
    members = set(session.scalars(select(Membership.user_id)
                                  .where(Membership.organisation_id == assessment.organisation_id)))
    carried = [p for p in participants_of(session, previous) if p.user_id in members]
    added = sum(join(session, assessment, p.user, p.group, JoinedBy.CARRIED_OVER, by) for p in carried)
    if added:
        session.add(AuditEvent(action="participants-carried-over", user_id=by.id,
                               organisation_id=assessment.organisation_id, subject=f"assessment:{assessment.id}",
                               detail={"from": previous.id, "people": added}))
    session.flush()
    return added


def who_answered(session: Session, assessment: Assessment) -> set[int]:
    """The people who have saved any answer (or submitted anything) in the round: they cannot be removed."""
    individual = (Response.assessment_id == assessment.id, Response.kind == ResponseKind.INDIVIDUAL)
    saved = select(Response.respondent_id).join(Answer, Answer.response_id == Response.id).where(*individual)
    moved_on = select(Response.respondent_id).where(*individual, Response.status != ResponseStatus.NOT_STARTED)
    return {user_id for user_id in session.scalars(saved.union(moved_on)) if user_id is not None}


def remove(session: Session, assessment: Assessment, user: User, by: User) -> None:
    """Stop asking a person who has not answered anything in the round (their empty responses go too)."""
    require(session, by, Action.MANAGE_ROUND, assessment)
    _require_open(assessment, "removed from it")
    participant = session.scalar(select(Participant).filter_by(assessment_id=assessment.id, user_id=user.id))
    if participant is None:
        raise ParticipantRefused("That person is not asked in this round")
    answered = ParticipantRefused(f"{user.name} has already answered, so they stay in the round")
    if user.id in who_answered(session, assessment):
        raise answered
    theirs = (Response.assessment_id == assessment.id, Response.respondent_id == user.id,
              Response.kind == ResponseKind.INDIVIDUAL)
    # Only untouched responses go, decided in the DELETE itself: an answer saved since the check above keeps its
    # response, which is then still there, and the removal is refused (the caller rolls back).
    session.execute(delete(Response).where(
        *theirs, Response.status == ResponseStatus.NOT_STARTED,
        ~select(Answer.id).where(Answer.response_id == Response.id).exists()))
    if session.scalar(select(Response.id).where(*theirs).limit(1)) is not None:
        raise answered
    session.delete(participant)
    session.add(AuditEvent(action="participant-removed", user_id=by.id, organisation_id=assessment.organisation_id,
                           subject=f"assessment:{assessment.id}",
                           detail={"person": user.email, "group": participant.group.value}))
    session.flush()


def group_of(session: Session, assessment: Assessment, user: User) -> RespondentGroup | None:
    """The group a participant answers for in the round (None for someone not asked)."""
    return session.scalar(select(Participant.group).filter_by(assessment_id=assessment.id, user_id=user.id))
