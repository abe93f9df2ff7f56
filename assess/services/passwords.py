"""Password resets by email (single-use links for an hour, only their hash stored) and two-factor codes (TOTP)."""

from __future__ import annotations

import logging
import secrets
import time
from dataclasses import dataclass
from datetime import timedelta

import pyotp
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from assess.encryption import InvalidToken, current_keyring, decrypt, encrypt
from assess.models import AuditEvent, PasswordReset, SiteRole, User, utcnow
from assess.services import throttle
from assess.services.invitations import TOKEN_BYTES, hash_token
from assess.services.throttle import Limit
from assess.services.users import PasswordRefused, set_password, user_by_email

logger = logging.getLogger(__name__)

#: At most this many reset emails for one address an hour, so nobody can flood a person's inbox.
RESET_EMAILS = Limit(3, 60)
#: Wrong two-factor codes allowed for one person in a window before they wait.
CODE_ATTEMPTS = Limit(5, 15)


@dataclass(frozen=True)
class IssuedReset:
    """A password reset with the token of its link (known only now, never stored)."""

    reset: PasswordReset
    token: str


def request_reset(session: Session, email: str, minutes: int) -> IssuedReset | None:
    """A reset link for the active account with this email; None for no such account (or too many asked for)."""
    user = user_by_email(session, email)
    if user is None or not user.active:
        return None
    try:
        throttle.take_attempt(session, f"reset:{user.email}", RESET_EMAILS)
    except throttle.Throttled:
        return None
    session.add(AuditEvent(action="password-reset-requested", user_id=user.id, subject=f"user:{user.id}"))
    return issue_reset(session, user, minutes)


def issue_reset(session: Session, user: User, minutes: int) -> IssuedReset:
    """A new set-password link for a person (also an invited person's first); any earlier unused link stops working."""
    session.execute(update(PasswordReset).where(PasswordReset.user_id == user.id, PasswordReset.used_at.is_(None))
                    .values(used_at=utcnow()).execution_options(synchronize_session=False))
    token = secrets.token_urlsafe(TOKEN_BYTES)
    reset = PasswordReset(token_hash=hash_token(token), user=user, expires_at=utcnow() + timedelta(minutes=minutes))
    session.add(reset)
    session.flush()
    return IssuedReset(reset, token)


def find_reset(session: Session, token: str) -> PasswordReset | None:
    """The reset a link's token belongs to, if it is unused, unexpired and its account still active."""
    reset = session.scalar(select(PasswordReset).filter_by(token_hash=hash_token(token))) if token else None
    if reset is None or reset.used_at is not None or reset.expires_at <= utcnow() or not reset.user.active:
        return None
    return reset


def complete_reset(session: Session, reset: PasswordReset, password: str) -> None:
    """Set the new password through a reset link, which then never works again; every session ends."""
    spent = session.execute(update(PasswordReset).where(
        PasswordReset.id == reset.id, PasswordReset.used_at.is_(None), PasswordReset.expires_at > utcnow())
        .values(used_at=utcnow()).execution_options(synchronize_session=False))
    if spent.rowcount != 1:  # type: ignore[attr-defined]
        raise PasswordRefused("This link has already been used or has expired: ask for a new one")
    set_password(session, reset.user, password, reason="password-reset")


def new_totp_secret() -> str:
    """A new random secret for an authenticator app."""
    return pyotp.random_base32()


def totp_uri(secret: str, user: User, issuer: str) -> str:
    """The otpauth:// address an authenticator app reads (as a QR code or typed in)."""
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=issuer)


def _accepted_step(secret: str, code: str, after: int | None) -> int | None:
    """The time step a code belongs to (this one, or one either side for a slow clock); None if it is wrong or used."""
    code = "".join(code.split())
    if not (code.isdigit() and len(code) == 6):
        return None
    totp, now = pyotp.TOTP(secret), int(time.time())
    for step in (now // 30, now // 30 - 1, now // 30 + 1):
        if (after is None or step > after) and secrets.compare_digest(totp.at(step * 30), code):
            return step
    return None


def enable_two_factor(session: Session, user: User, secret: str, code: str) -> bool:
    """Turn on two-factor sign-in with a secret for which the app shows this code; False if the code is wrong."""
    step = _accepted_step(secret, code, None)
    if step is None:
        return False
    user.totp_secret, user.totp_last_step = encrypt(secret), step
    session.add(AuditEvent(action="two-factor-enabled", user_id=user.id, subject=f"user:{user.id}"))
    session.flush()
    return True


class CodeRefused(ValueError):
    """A two-factor code that is wrong, used already, or one of too many tries; the text says what to do."""


def check_code(session: Session, user: User, code: str) -> None:
    """Accept a person's two-factor code once (an atomic update, so a code never works twice); CodeRefused if not."""
    try:
        throttle.take_attempt(session, f"code:{user.id}", CODE_ATTEMPTS)
    except throttle.Throttled as paused:
        session.add(AuditEvent(action="two-factor-paused", user_id=user.id, subject=user.email))
        session.flush()
        raise CodeRefused(f"Too many wrong codes. Try again after {paused.until:%H:%M} UTC") from paused
    step = _accepted_step(_stored_secret(user), code, user.totp_last_step) if user.totp_secret else None
    taken = step is not None and session.execute(update(User).where(
        User.id == user.id, (User.totp_last_step.is_(None)) | (User.totp_last_step < step))
        .values(totp_last_step=step).execution_options(synchronize_session=False)).rowcount == 1  # type: ignore[attr-defined]
    if not taken:
        session.add(AuditEvent(action="two-factor-failed", user_id=user.id, subject=user.email))
        session.flush()
        raise CodeRefused("Enter the 6-digit code your authenticator app shows now")
    throttle.clear(session, f"code:{user.id}")
    session.refresh(user, ["totp_last_step"])


def _stored_secret(user: User) -> str:
    """A person's two-factor secret, decrypted; CodeRefused if no key in force made it (the keys were changed)."""
    try:
        return decrypt(user.totp_secret or "")
    except InvalidToken:
        logger.error("the two-factor secret of user %s cannot be decrypted with the keys in force "
                     "(ENCRYPTION_KEY or SECRET_KEY changed?)", user.id)
        raise CodeRefused("Your two-factor sign-in cannot be checked just now: ask an admin to turn it off for you, "
                          "then set it up again") from None


def needs_two_factor(user: User, required: bool) -> bool:
    """Whether a person must set up two-factor sign-in before going on (admins and analysts, when required)."""
    return required and user.totp_secret is None and (user.has_role(SiteRole.ADMIN) or user.has_role(SiteRole.ANALYST))


def rotate_secrets(session: Session) -> int:
    """Encrypt every stored two-factor secret again under the first key in force; how many there were."""
    keys = current_keyring()
    people = session.scalars(select(User).where(User.totp_secret.is_not(None))).all()
    for person in people:
        person.totp_secret = keys.rotate((person.totp_secret or "").encode("ascii")).decode("ascii")
    session.add(AuditEvent(action="secrets-rotated", detail={"two_factor_secrets": len(people)}))
    session.flush()
    return len(people)
