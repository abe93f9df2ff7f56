"""Invitations: single-use, expiring links that let a person join a round as a respondent or facilitator.

A link carries 32 random bytes; only their SHA-256 is stored, so the database never holds a
working link. Inviting someone again replaces their pending link; a link can be revoked, and
resending makes a new one (the old one stops working).
"""

from __future__ import annotations

import csv
import enum
import hashlib
import io
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from assess.models import (
    Assessment,
    AssessmentStatus,
    Assignment,
    AuditEvent,
    Invitation,
    InvitedAs,
    JoinedBy,
    OrganisationRole,
    RespondentGroup,
    SiteRole,
    User,
    utcnow,
)
from assess.policy import Action, require
from assess.services import participants
from assess.services.users import (
    EMAIL,
    LONGEST_EMAIL,
    add_membership,
    hash_password,
    membership_of,
    new_password_problem,
    normalise_email,
)

TOKEN_BYTES = 32


def hash_token(token: str) -> str:
    """The SHA-256 of a link's token, as stored."""
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class Invitee:
    """A person to invite."""

    email: str
    name: str | None
    group: RespondentGroup


def parse_addresses(text: str, group: RespondentGroup) -> tuple[list[Invitee], list[str]]:
    """People from pasted text, one a line ("email" or "Name <email>"); and a problem for each bad line."""
    invitees: list[Invitee] = []
    problems: list[str] = []
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip().rstrip(",;")
        if not line:
            continue
        found = EMAIL.findall(line)
        if len(found) != 1 or len(found[0]) > LONGEST_EMAIL:
            problems.append(f"Line {number} (‘{line[:60]}’) is not one email address")
            continue
        name = line.replace(found[0], "").strip(" <>\"',;") or None
        invitees.append(Invitee(normalise_email(found[0]), name[:200] if name else None, group))
    return _unique(invitees), problems


def parse_csv(data: str, default_group: RespondentGroup) -> tuple[list[Invitee], list[str]]:
    """People from a CSV with the columns name, email and (optionally) group; a problem for each bad row."""
    reader = csv.DictReader(io.StringIO(data))
    columns = {c.strip().lower() for c in reader.fieldnames or []}
    if "email" not in columns:
        return [], ["The file needs a header row with the columns name, email and group"]
    invitees: list[Invitee] = []
    problems: list[str] = []
    for row in reader:
        values = {(k or "").strip().lower(): (v or "").strip() for k, v in row.items() if isinstance(v, str)}
        line = reader.line_num
        email = values.get("email", "")
        if not EMAIL.fullmatch(email) or len(email) > LONGEST_EMAIL:
            problems.append(f"Row {line}: ‘{email[:60]}’ is not an email address")
            continue
        group_text = values.get("group", "").lower()
        groups = {"officer": RespondentGroup.OFFICER, "member": RespondentGroup.MEMBER,
                  "elected member": RespondentGroup.MEMBER, "councillor": RespondentGroup.MEMBER,
                  "other": RespondentGroup.OTHER, "": default_group}
        if group_text not in groups:
            problems.append(f"Row {line}: group ‘{group_text[:30]}’ is not officer, member or other")
            continue
        invitees.append(Invitee(normalise_email(email), values.get("name", "")[:200] or None, groups[group_text]))
    return _unique(invitees), problems


def _unique(invitees: Iterable[Invitee]) -> list[Invitee]:
    return list({invitee.email: invitee for invitee in invitees}.values())


@dataclass(frozen=True)
class Issued:
    """An invitation with the token of its link (known only now, never stored)."""

    invitation: Invitation
    token: str


def invite(session: Session, assessment: Assessment, invitees: Iterable[Invitee], by: User, days: int,
           invited_as: InvitedAs = InvitedAs.RESPONDENT) -> list[Issued]:
    """Invite people to a round; a person with a pending invitation gets a new link in place of the old."""
    require(session, by, Action.MANAGE_ROUND if invited_as == InvitedAs.RESPONDENT else Action.ASSIGN_FACILITATOR,
            assessment)
    if assessment.status != AssessmentStatus.OPEN and invited_as == InvitedAs.RESPONDENT:
        raise InvitationRefused("this round is no longer taking answers, so nobody new can be invited to answer it")
    issued = []
    for invitee in invitees:
        pending = session.scalar(select(Invitation).where(
            Invitation.assessment_id == assessment.id, Invitation.email == invitee.email,
            Invitation.invited_as == invited_as, Invitation.used_at.is_(None), Invitation.revoked_at.is_(None)))
        invitation = pending or Invitation(assessment=assessment, email=invitee.email, invited_as=invited_as)
        invitation.name, invitation.group, invitation.invited_by_id = invitee.name, invitee.group, by.id
        issued.append(_new_link(session, invitation, days))
        session.add(AuditEvent(action="invitation-created", user_id=by.id, organisation_id=assessment.organisation_id,
                               subject=f"assessment:{assessment.id}",
                               detail={"email": invitee.email, "as": invited_as.value, "group": invitee.group.value}))
    session.flush()
    return issued


def _new_link(session: Session, invitation: Invitation, days: int) -> Issued:
    token = secrets.token_urlsafe(TOKEN_BYTES)
    invitation.token_hash = hash_token(token)
    invitation.created_at = utcnow()
    invitation.expires_at = utcnow() + timedelta(days=days)
    invitation.sent_at = None
    session.add(invitation)
    return Issued(invitation, token)


class InvitationRefused(ValueError):
    """The invitation cannot be made, changed or accepted; the text says why."""


def resend(session: Session, invitation: Invitation, by: User, days: int) -> Issued:
    """A new link for a pending, expired or revoked invitation (the old link stops working)."""
    _require_manager(session, invitation, by)
    if invitation.used_at is not None:
        raise InvitationRefused(f"{invitation.email} has already accepted this invitation")
    invitation.revoked_at = None
    session.add(AuditEvent(action="invitation-resent", user_id=by.id,
                           organisation_id=invitation.assessment.organisation_id,
                           subject=f"invitation:{invitation.id}", detail={"email": invitation.email}))
    issued = _new_link(session, invitation, days)
    session.flush()
    return issued


def revoke(session: Session, invitation: Invitation, by: User) -> None:
    """Stop an invitation's link working."""
    _require_manager(session, invitation, by)
    if invitation.used_at is not None:
        raise InvitationRefused(f"{invitation.email} has already accepted this invitation")
    invitation.revoked_at = utcnow()
    session.add(AuditEvent(action="invitation-revoked", user_id=by.id,
                           organisation_id=invitation.assessment.organisation_id,
                           subject=f"invitation:{invitation.id}", detail={"email": invitation.email}))
    session.flush()


def _require_manager(session: Session, invitation: Invitation, by: User) -> None:
    action = Action.MANAGE_ROUND if invitation.invited_as == InvitedAs.RESPONDENT else Action.ASSIGN_FACILITATOR
    require(session, by, action, invitation.assessment)


def mark_sent(invitation: Invitation) -> None:
    """Record that the invitation's email went out."""
    invitation.sent_at = utcnow()


class LinkState(enum.StrEnum):
    """What following an invitation link finds."""

    VALID = "valid"
    USED = "used"
    EXPIRED = "expired"
    REVOKED = "revoked"
    UNKNOWN = "unknown"


def find_by_token(session: Session, token: str) -> tuple[Invitation | None, LinkState]:
    """The invitation a link's token belongs to, and whether it can still be accepted."""
    invitation = session.scalar(select(Invitation).filter_by(token_hash=hash_token(token))) if token else None
    return invitation, (link_state(invitation) if invitation is not None else LinkState.UNKNOWN)


def accept(session: Session, invitation: Invitation, user: User) -> None:
    """Let the invited person (signed in with the invited email address) join the round."""
    if link_state(invitation) != LinkState.VALID:
        raise InvitationRefused("this invitation can no longer be accepted")
    if user.email != invitation.email or not user.active:
        raise InvitationRefused(f"this invitation is for {invitation.email}")
    assessment = invitation.assessment
    if invitation.invited_as == InvitedAs.FACILITATOR:
        user.site_roles = sorted({*user.site_roles, SiteRole.FACILITATOR.value})
        if session.scalar(select(Assignment).filter_by(assessment_id=assessment.id, user_id=user.id)) is None:
            session.add(Assignment(assessment=assessment, user=user, assigned_by_id=invitation.invited_by_id))
    else:
        if membership_of(session, user, assessment.organisation_id) is None:
            add_membership(session, user, assessment.organisation, OrganisationRole.RESPONDENT, invitation.group)
        participants.join(session, assessment, user, invitation.group, JoinedBy.INVITED, invitation.invited_by_id)
    invitation.used_at, invitation.used_by_id = utcnow(), user.id
    session.add(AuditEvent(action="invitation-accepted", user_id=user.id, organisation_id=assessment.organisation_id,
                           subject=f"invitation:{invitation.id}", detail={"as": invitation.invited_as.value}))
    session.flush()


def link_state(invitation: Invitation) -> LinkState:
    """Whether an invitation can still be accepted."""
    if invitation.used_at is not None:
        return LinkState.USED
    if invitation.revoked_at is not None:
        return LinkState.REVOKED
    return LinkState.EXPIRED if invitation.expires_at <= utcnow() else LinkState.VALID


def create_account(session: Session, invitation: Invitation, name: str, password: str) -> User:
    """A new account for the invited email address, which then accepts the invitation."""
    problem = new_password_problem(password, invitation.email, name)
    if problem:
        raise InvitationRefused(problem)
    if session.scalar(select(User).filter_by(email=invitation.email)) is not None:
        raise InvitationRefused(f"{invitation.email} already has an account: sign in to accept")
    user = User(email=invitation.email, name=name.strip(), password_hash=hash_password(password), site_roles=[])
    session.add(user)
    session.flush()
    session.add(AuditEvent(action="account-created", user_id=user.id, subject=user.email))
    accept(session, invitation, user)
    return user
