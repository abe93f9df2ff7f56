"""Sign-in throttling: a window of attempts per account and per client address, decided in the database.

Each attempt takes a place in its key's window with one conditional UPDATE (after an INSERT ... ON
CONFLICT DO NOTHING makes the row), so parallel attempts can never all read "fewer than the limit"
and go ahead: no more attempts are checked than the limit allows. A window ends by itself, so a
person whose address someone else keeps trying is held up for one window at a time, never locked
out for good, and a password reset (sent to their email) clears their account's window at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, delete, select, update
from sqlalchemy.orm import Session

from assess.db import insert_unless_exists
from assess.models import SignInThrottle, utcnow


@dataclass(frozen=True)
class Limit:
    """At most `attempts` attempts for one key in a window of `minutes`."""

    attempts: int
    minutes: int


class Throttled(Exception):
    """Too many recent attempts for this key; `until` says when its window ends."""

    def __init__(self, key: str, until: datetime) -> None:
        super().__init__(key)
        self.key, self.until = key, until


def account_key(email: str) -> str:
    """The throttle key of an account (its normalised email address)."""
    return f"account:{email}"


def address_key(address: str) -> str:
    """The throttle key of a client address."""
    return f"address:{address}"


def take_attempt(session: Session, key: str, limit: Limit) -> None:
    """Count one attempt against the key, or raise Throttled if its window is full."""
    now = utcnow()
    window_start = now - timedelta(minutes=limit.minutes)
    insert_unless_exists(session, SignInThrottle, key=key, attempts=0, window_started_at=now)
    expired = SignInThrottle.window_started_at <= window_start
    taken = session.execute(
        update(SignInThrottle)
        .where(SignInThrottle.key == key, expired | (SignInThrottle.attempts < limit.attempts))
        .values(attempts=case((expired, 1), else_=SignInThrottle.attempts + 1),
                window_started_at=case((expired, now), else_=SignInThrottle.window_started_at))
        .execution_options(synchronize_session=False)
    )
    if taken.rowcount != 1:  # type: ignore[attr-defined]
        started = session.scalar(select(SignInThrottle.window_started_at).filter_by(key=key)) or now
        raise Throttled(key, started + timedelta(minutes=limit.minutes))


def give_back(session: Session, key: str) -> None:
    """Return an attempt that succeeded, so that many people signing in from one address never wait."""
    session.execute(update(SignInThrottle).where(SignInThrottle.key == key, SignInThrottle.attempts > 0)
                    .values(attempts=SignInThrottle.attempts - 1).execution_options(synchronize_session=False))


def clear(session: Session, key: str) -> None:
    """Forget the attempts of a key (after a successful sign-in or a password reset)."""
    session.execute(delete(SignInThrottle).filter_by(key=key).execution_options(synchronize_session=False))
