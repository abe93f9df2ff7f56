"""Throttling guesses, decided in the database: windows of attempts, and sign-in's growing delays.

A window (password reset emails, two-factor codes) allows a number of attempts per key in a period:
each attempt takes a place with one conditional UPDATE (after an INSERT ... ON CONFLICT DO NOTHING
makes the row), so parallel attempts can never all read "fewer than the limit" and go ahead.

A growing delay (signing in) lets a few failures go free, then makes each further attempt wait a
little longer than the last, up to a short longest wait: guessing is slowed to a crawl, yet the
person whose account is being tried waits seconds, never a quarter of an hour. A row's `attempts`
is then the failures counted and `window_started_at` the latest of them.
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
    """Too many recent attempts for this key; `until` says when it may be tried again."""

    def __init__(self, key: str, until: datetime) -> None:
        super().__init__(key)
        self.key, self.until = key, until


def account_key(email: str) -> str:
    """The throttle key of an account (its normalised email address)."""
    return f"account:{email}"


def device_key(token: str) -> str:
    """The throttle key of a browser where an account signed in before."""
    return f"device:{token}"


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


def clear(session: Session, key: str) -> None:
    """Forget the attempts of a key (after a successful sign-in or a password reset)."""
    session.execute(delete(SignInThrottle).filter_by(key=key).execution_options(synchronize_session=False))


@dataclass(frozen=True)
class Delay:
    """A growing delay: `free` failures cost nothing, then each one doubles the wait before the next attempt.

    The wait starts at `first_seconds` and stops growing at `longest_seconds`; failures are forgotten
    `forget_minutes` after the latest one.
    """

    free: int
    longest_seconds: int
    forget_minutes: int
    first_seconds: int = 1

    def seconds_after(self, failures: int) -> int:
        """How long the next attempt waits after this many failures."""
        if failures < self.free:
            return 0
        return min(self.first_seconds << (failures - self.free), self.longest_seconds)


#: How often taking a place retries when a parallel attempt changed the count between reading and writing it.
_RACES = 50


def take_turn(session: Session, key: str, delay: Delay) -> None:
    """Count one attempt against the key as a failure until it succeeds, or raise Throttled while it must wait.

    The count is read, then written only if nobody changed it meanwhile (compare and set), so parallel
    attempts take turns one by one: no more are checked than the delay allows.
    """
    now = utcnow()
    for _ in range(_RACES):
        insert_unless_exists(session, SignInThrottle, key=key, attempts=0, window_started_at=now)
        row = session.execute(select(SignInThrottle.attempts, SignInThrottle.window_started_at)
                              .filter_by(key=key)).one_or_none()
        if row is None:  # a parallel sign-in cleared it in between
            continue
        failures, latest = row
        counted = failures if latest > now - timedelta(minutes=delay.forget_minutes) else 0
        wait = delay.seconds_after(counted)
        if wait and latest + timedelta(seconds=wait) > now:  # (a parallel attempt's `now` may be a little later)
            raise Throttled(key, latest + timedelta(seconds=wait))
        taken = session.execute(
            update(SignInThrottle)
            .where(SignInThrottle.key == key, SignInThrottle.attempts == failures,
                   SignInThrottle.window_started_at == latest)
            .values(attempts=counted + 1, window_started_at=max(now, latest))
            .execution_options(synchronize_session=False)
        )
        if taken.rowcount == 1:  # type: ignore[attr-defined]
            return
    raise Throttled(key, now + timedelta(seconds=1))


def give_back(session: Session, key: str) -> None:
    """Return one attempt counted against the key: it was a success, not a failure to slow the next for."""
    session.execute(update(SignInThrottle).where(SignInThrottle.key == key, SignInThrottle.attempts > 0)
                    .values(attempts=SignInThrottle.attempts - 1).execution_options(synchronize_session=False))


def _failing_key(address: str, email: str) -> str:
    return f"failing:{address} {email}"


def note_failure(session: Session, address: str, email: str, forget_minutes: int) -> None:
    """Remember that this account failed to sign in from this address (and forget the address's old failures)."""
    now = utcnow()
    session.execute(delete(SignInThrottle)
                    .where(SignInThrottle.key.startswith(_failing_key(address, ""), autoescape=True),
                           SignInThrottle.window_started_at <= now - timedelta(minutes=forget_minutes))
                    .execution_options(synchronize_session=False))
    key = _failing_key(address, email)
    insert_unless_exists(session, SignInThrottle, key=key, attempts=0, window_started_at=now)
    session.execute(update(SignInThrottle).filter_by(key=key)
                    .values(attempts=SignInThrottle.attempts + 1, window_started_at=now)
                    .execution_options(synchronize_session=False))


def failing_accounts(session: Session, address: str, forget_minutes: int) -> set[str]:
    """The accounts that failed to sign in from this address recently and have not signed in from it since."""
    since = utcnow() - timedelta(minutes=forget_minutes)
    prefix = _failing_key(address, "")
    keys = session.scalars(select(SignInThrottle.key)
                           .where(SignInThrottle.key.startswith(prefix, autoescape=True),
                                  SignInThrottle.window_started_at > since))
    return {key.removeprefix(prefix) for key in keys}


def forget_failures(session: Session, address: str, email: str) -> None:
    """The account signed in from this address: its earlier failures there were the person's own typing."""
    clear(session, _failing_key(address, email))
