"""Users, their memberships, and signing in."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
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
)
from assess.policy import Action, require
from assess.services import throttle
from assess.services.throttle import Delay

# Checked against when an email is unknown, so a wrong email takes as long as a wrong password.
_UNKNOWN_USER_HASH = generate_password_hash("unknown user")
MINIMUM_PASSWORD_LENGTH = 10
#: New passwords people choose for themselves (accepting an invitation): NCSC advice is length and
#: refusing common passwords, not rules about symbols.
NEW_PASSWORD_LENGTH = 12
LONGEST_PASSWORD = 200
#: What an email address must look like: something, an @, and a domain with a dot (delivery is the real test).
EMAIL = re.compile(r"[^@\s<>,;]+@[^@\s<>,;]+\.[^@\s<>,;]+")
LONGEST_EMAIL = 254


class UnusableEmail(ValueError):
    """An email address that could not be delivered to."""


class UnusablePassword(ValueError):
    """A password too short to set."""


def email_problem(email: str) -> str | None:
    """Why an email address will not do (its shape or length); None if it will."""
    email = normalise_email(email)
    if len(email) > LONGEST_EMAIL:
        return f"Use {LONGEST_EMAIL} characters or fewer"
    if not EMAIL.fullmatch(email):
        return "Enter an email address like name@example.org"
    return None


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
    if problem := email_problem(email):
        raise UnusableEmail(problem)
    if password is not None and len(password) < MINIMUM_PASSWORD_LENGTH:
        raise UnusablePassword(f"passwords must be at least {MINIMUM_PASSWORD_LENGTH} characters long")
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
    """Sign-in is paused for an account or a client address; `until` says when it may be tried again."""

    def __init__(self, until: datetime) -> None:
        super().__init__(until.isoformat())
        self.until = until


@dataclass(frozen=True)
class SignInLimits:
    """How sign-in attempts are slowed: per account, and per client address once many accounts fail from it."""

    #: The growing delay of one account (or of one known browser's attempts on its account).
    account: Delay
    #: The growing delay of new accounts tried from an address where this many accounts are failing.
    address: Delay
    failing_accounts: int


@dataclass(frozen=True)
class KnownDevice:
    """A browser where an account signed in before (from its signed cookie): its attempts wait on their own."""

    user_id: int
    token: str


def authenticate(session: Session, email: str, password: str, address: str, limits: SignInLimits,
                 device: KnownDevice | None = None) -> User | None:
    """The user these credentials belong to, or None; TooManyAttempts while the attempt must wait.

    A stranger's failures slow only the account's attempts from other browsers, never those from a
    browser where the person signed in before; an address is slowed only for accounts it has not yet
    failed on, once many of its accounts are failing (spraying), never for colleagues who mistype.
    """
    email = normalise_email(email)
    user = user_by_email(session, email)
    known = device is not None and user is not None and device.user_id == user.id
    turn = throttle.device_key(device.token) if known and device else throttle.account_key(email)
    address_turn = False
    try:
        if not known:
            failing = throttle.failing_accounts(session, address, limits.account.forget_minutes)
            if len(failing) >= limits.failing_accounts and email not in failing:
                throttle.take_turn(session, throttle.address_key(address), limits.address)
                address_turn = True
        throttle.take_turn(session, turn, limits.account)
    except throttle.Throttled as paused:
        session.add(AuditEvent(action="sign-in-paused", subject=email, detail={"key": paused.key.split(":")[0]}))
        session.flush()
        raise TooManyAttempts(paused.until) from paused
    valid = check_password_hash(user.password_hash if user and user.password_hash else _UNKNOWN_USER_HASH, password)
    if user is None or not valid or not user.active or not user.password_hash:
        throttle.note_failure(session, address, email, limits.account.forget_minutes)
        session.add(AuditEvent(action="sign-in-failed", subject=email, user_id=user.id if user else None))
        session.flush()
        return None
    throttle.clear(session, turn)
    throttle.forget_failures(session, address, email)
    if address_turn:  # a colleague who signs in is no sign of spraying: the next new account need not wait for them
        throttle.give_back(session, throttle.address_key(address))
    session.add(AuditEvent(action="signed-in", subject=email, user_id=user.id))
    session.flush()
    return user


def end_sessions(session: Session, user: User, by: User, reason: str) -> None:
    """End every session of a person (signing out, a new password, an admin's "sign out everywhere")."""
    if by.id != user.id:
        require(session, by, Action.ADMINISTER)
    session.execute(update(User).where(User.id == user.id)
                    .values(session_generation=User.session_generation + 1)
                    .execution_options(synchronize_session=False))
    session.refresh(user, ["session_generation"])
    session.add(AuditEvent(action="sessions-ended", user_id=by.id, subject=f"user:{user.id}",
                           detail={"reason": reason}))
    session.flush()


def change_password(session: Session, user: User, current: str, new: str) -> None:
    """Change a person's own password (the current one checked); every other session of theirs ends."""
    if not user.password_hash or not check_password_hash(user.password_hash, current):
        raise PasswordRefused("Enter your current password correctly")
    set_password(session, user, new, reason="password-changed")


def set_password(session: Session, user: User, new: str, reason: str) -> None:
    """Give a person a new password they chose, if it will do, and end all their sessions."""
    problem = new_password_problem(new, user.email, user.name)
    if problem:
        raise PasswordRefused(problem)
    user.password_hash = hash_password(new)
    throttle.clear(session, throttle.account_key(user.email))
    session.add(AuditEvent(action=reason, user_id=user.id, subject=f"user:{user.id}"))
    end_sessions(session, user, user, reason)


class PasswordRefused(ValueError):
    """A new password that will not do, or a wrong current password; the text says why."""
