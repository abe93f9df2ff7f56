"""Users, their memberships, and signing in."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash
from zxcvbn import zxcvbn

from assess.models import (
    AuditEvent,
    Membership,
    Organisation,
    OrganisationRole,
    RespondentGroup,
    SiteRole,
    User,
    utcnow,
)

# Checked against when an email is unknown, so a wrong email takes as long as a wrong password.
_UNKNOWN_USER_HASH = generate_password_hash("unknown user")
MINIMUM_PASSWORD_LENGTH = 10
#: New passwords people choose for themselves (accepting an invitation): NCSC advice is length and
#: refusing common passwords, not rules about symbols.
NEW_PASSWORD_LENGTH = 12
LONGEST_PASSWORD = 200


def new_password_problem(password: str, *personal: str) -> str | None:
    """Why a password someone chose will not do (too short, or common and easy to guess); None if it will."""
    if len(password) < NEW_PASSWORD_LENGTH:
        return f"Password must be {NEW_PASSWORD_LENGTH} characters or more"
    if len(password) > LONGEST_PASSWORD:
        return f"Password must be {LONGEST_PASSWORD} characters or fewer"
    estimate = zxcvbn(password, user_inputs=[part for part in personal if part])
    if estimate["score"] < 3:
        warning = estimate["feedback"]["warning"] or "It would be easy to guess"
        return f"Choose a password that is harder to guess. {warning.rstrip('.')}. Try 3 random words"
    return None


def normalise_email(email: str) -> str:
    """Email addresses compare without case or surrounding space."""
    return email.strip().lower()


def hash_password(password: str) -> str:
    """A salted scrypt hash of a password."""
    return generate_password_hash(password, method="scrypt")


def user_by_email(session: Session, email: str) -> User | None:
    """The user with this email address, if any."""
    return session.scalar(select(User).filter_by(email=normalise_email(email)))


def add_user(
    session: Session,
    email: str,
    name: str,
    password: str | None,
    site_roles: list[SiteRole] | tuple[SiteRole, ...] = (),
) -> User:
    """Create a user, or update the name, password and roles of the user with this email."""
    if password is not None and len(password) < MINIMUM_PASSWORD_LENGTH:
        raise ValueError(f"passwords must be at least {MINIMUM_PASSWORD_LENGTH} characters long")
    user = user_by_email(session, email)
    if user is None:
        user = User(email=normalise_email(email), name=name, site_roles=[])
        session.add(user)
    user.name = name
    user.site_roles = sorted({*user.site_roles, *(r.value for r in site_roles)})
    if password is not None:
        user.password_hash = hash_password(password)
    session.flush()
    return user


def add_membership(
    session: Session,
    user: User,
    organisation: Organisation,
    role: OrganisationRole,
    group: RespondentGroup,
) -> Membership:
    """Make a user a member of an organisation (or change their role and group there)."""
    membership = session.scalar(select(Membership).filter_by(user_id=user.id, organisation_id=organisation.id))
    if membership is None:
        membership = Membership(user=user, organisation=organisation, role=role, group=group)
        session.add(membership)
    membership.role, membership.group = role, group
    session.flush()
    return membership


def membership_of(session: Session, user: User, organisation_id: int) -> Membership | None:
    """The user's membership of an organisation, if they have one."""
    return session.scalar(select(Membership).filter_by(user_id=user.id, organisation_id=organisation_id))


class TooManyAttempts(Exception):
    """Sign-in is paused for an email after too many failures in a short time."""


def authenticate(session: Session, email: str, password: str, max_attempts: int, window_minutes: int) -> User | None:
    """The user these credentials belong to, or None; refuses after too many recent failures."""
    email = normalise_email(email)
    since = utcnow() - timedelta(minutes=window_minutes)
    failures = session.scalar(
        select(func.count(AuditEvent.id)).where(
            AuditEvent.action == "sign-in-failed", AuditEvent.subject == email, AuditEvent.at >= since
        )
    )
    if (failures or 0) >= max_attempts:
        raise TooManyAttempts(email)
    user = user_by_email(session, email)
    valid = check_password_hash(user.password_hash if user and user.password_hash else _UNKNOWN_USER_HASH, password)
    if user is None or not valid or not user.active or not user.password_hash:
        session.add(AuditEvent(action="sign-in-failed", subject=email))
        session.flush()
        return None
    session.add(AuditEvent(action="signed-in", subject=email, user_id=user.id))
    session.flush()
    return user
