"""Sign-in throttling: a growing delay per account, a spraying address slowed, and no stranger can lock anyone out."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from assess import create_app, db
from assess.models import AuditEvent, SignInThrottle, utcnow
from assess.services.throttle import Delay
from assess.services.users import KnownDevice, SignInLimits, TooManyAttempts, add_user, authenticate
from assess.web.auth import DEVICE_COOKIE
from tests.conftest import PLACES_PASSWORD, Places, csrf_token

DELAY = Delay(free=5, longest_seconds=30, forget_minutes=15)
LIMITS = SignInLimits(account=DELAY, address=Delay(free=1, longest_seconds=30, forget_minutes=15),
                      failing_accounts=10)
PASSWORD = "a-long-enough-password"
OFFICE = "198.51.100.7"


@pytest.fixture
def sessions(fixture_app: Flask) -> sessionmaker[Session]:
    """The app's session factory, with one account to try and thirty colleagues at the same council."""
    factory: sessionmaker[Session] = fixture_app.extensions["assess.sessions"]
    with factory() as session:
        add_user(session, "person@example.org", "A Person", PASSWORD)
        for n in range(30):
            add_user(session, f"colleague{n}@example.org", f"Colleague {n}", PASSWORD)
        session.commit()
    return factory


def _try(sessions: sessionmaker[Session], email: str, password: str, address: str = OFFICE,
         device: KnownDevice | None = None, limits: SignInLimits = LIMITS) -> str:
    with sessions() as session:
        try:
            user = authenticate(session, email, password, address, limits, device)
        except TooManyAttempts:
            outcome = "paused"
        else:
            outcome = "signed in" if user else "wrong"
        session.commit()
        return outcome


def _wait(sessions: sessionmaker[Session], email: str) -> float:
    """Seconds the account's next attempt must wait (0 if it may go now), read from the refusal itself."""
    with sessions() as session:
        try:
            authenticate(session, email, "wrong password", "192.0.2.99", LIMITS)
        except TooManyAttempts as paused:
            return (paused.until - utcnow()).total_seconds()
        finally:
            session.rollback()
    return 0.0


def _pass_time(sessions: sessionmaker[Session], seconds: float) -> None:
    """Move every recorded attempt this far into the past, as if the time had gone by."""
    with sessions() as session:
        for row in session.scalars(select(SignInThrottle)):
            row.window_started_at -= timedelta(seconds=seconds)
        session.commit()


def _in_parallel(count: int, attempt: Callable[[int], str]) -> list[str]:
    """Run `count` attempts in threads released together; their outcomes."""
    start = threading.Barrier(count)
    outcomes: list[str] = []

    def run(n: int) -> None:
        start.wait(timeout=30)
        outcomes.append(attempt(n))

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return outcomes


def test_forty_parallel_attempts_let_no_more_through_than_the_free_failures(sessions: sessionmaker[Session]) -> None:
    slow = replace(LIMITS, account=replace(DELAY, first_seconds=60, longest_seconds=60))  # however slow the machine
    outcomes = _in_parallel(40, lambda n: _try(sessions, "person@example.org", "wrong password", limits=slow))
    assert sorted(outcomes) == ["paused"] * 35 + ["wrong"] * 5
    with sessions() as session:
        assert session.scalar(select(func.count(AuditEvent.id)).filter_by(action="sign-in-failed")) == 5
        assert session.scalar(select(func.count(AuditEvent.id)).filter_by(action="sign-in-paused")) == 35


def test_the_wait_doubles_up_to_thirty_seconds_and_the_right_password_then_gets_in(
        sessions: sessionmaker[Session]) -> None:
    for email in ("person@example.org", "PERSON@example.org", " Person@Example.org ", "person@EXAMPLE.ORG",
                  "PeRsOn@example.org"):  # every letter case counts against the one account
        assert _try(sessions, email, "wrong password") == "wrong"
    waits = []
    for _ in range(8):
        waits.append(round(_wait(sessions, "person@example.org")))
        assert _try(sessions, "person@example.org", PASSWORD) == "paused"  # even the right password waits its turn
        _pass_time(sessions, waits[-1])
        assert _try(sessions, "person@example.org", "wrong password") == "wrong"
    assert waits == [1, 2, 4, 8, 16, 30, 30, 30]
    assert _try(sessions, "other@example.org", "wrong password") == "wrong"  # other accounts are not held up
    _pass_time(sessions, 30)  # however long the guessing went on, the person gets in within a minute of it
    assert _try(sessions, "Person@example.org", PASSWORD) == "signed in"
    for _ in range(5):  # a successful sign-in starts the account's count again
        assert _try(sessions, "person@example.org", "wrong password") == "wrong"
    _pass_time(sessions, 15 * 60)  # and failures are forgotten a quarter of an hour after the latest
    assert _wait(sessions, "person@example.org") == 0


def test_a_known_browser_signs_in_while_a_stranger_keeps_guessing(sessions: sessionmaker[Session]) -> None:
    with sessions() as session:
        person = authenticate(session, "person@example.org", PASSWORD, OFFICE, LIMITS)
        assert person is not None
        known = KnownDevice(person.id, "the person's own browser")
        session.commit()
    for _ in range(8):  # a stranger has been guessing for a while: the next guess waits 8 seconds
        _pass_time(sessions, 30)
        assert _try(sessions, "person@example.org", "a guess", address="203.0.113.1") == "wrong"
    guessing = threading.Event()

    def stranger(n: int) -> str:
        while not guessing.is_set():
            _try(sessions, "person@example.org", "a guess", address=f"203.0.113.{n}")
        return "stopped"

    threads = [threading.Thread(target=stranger, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    try:
        assert _wait(sessions, "person@example.org") > 1  # other browsers wait...
        outcomes = [_try(sessions, "person@example.org", PASSWORD, device=known) for _ in range(3)]
        assert outcomes == ["signed in"] * 3  # ...the person's own never does
        taken = [_try(sessions, "person@example.org", "typo", device=known) for _ in range(5)]
        assert taken == ["wrong"] * 5  # and their own typing costs only their own free failures
        assert _try(sessions, "person@example.org", PASSWORD, device=KnownDevice(person.id + 1, "x")) == "paused"
    finally:
        guessing.set()
        for thread in threads:
            thread.join(timeout=60)


def test_colleagues_behind_one_address_are_never_slowed_by_each_other(sessions: sessionmaker[Session]) -> None:
    def colleague(n: int) -> str:  # nine of them mistype first; all thirty at once
        first = _try(sessions, f"colleague{n}@example.org", "mistyped" if n < 9 else PASSWORD)
        return first if first != "wrong" else f"{first}, then {_try(sessions, f'colleague{n}@example.org', PASSWORD)}"

    outcomes = _in_parallel(30, colleague)
    assert sorted(outcomes) == ["signed in"] * 21 + ["wrong, then signed in"] * 9
    for n in range(60):  # a morning of sign-ins, each a typo first: the address never slows anyone
        assert _try(sessions, f"colleague{n % 30}@example.org", "typo") == "wrong"
        assert _try(sessions, f"colleague{n % 30}@example.org", PASSWORD) == "signed in"


def test_colleagues_signing_in_while_many_accounts_are_failing_behind_their_address_do_not_slow_each_other(
        sessions: sessionmaker[Session]) -> None:
    for n in range(10):  # a morning when ten people mistype, and have not yet got it right: spraying, it might be
        assert _try(sessions, f"mistyper{n}@example.org", "typo") == "wrong"
    for n in range(20):  # every colleague who then signs in from a new browser gets in at once
        assert _try(sessions, f"colleague{n}@example.org", PASSWORD) == "signed in"


def test_an_address_spraying_one_password_is_slowed_for_new_accounts_only(sessions: sessionmaker[Session]) -> None:
    for n in range(10):  # colleagues who are all still getting it wrong, or someone trying a password on each
        assert _try(sessions, f"colleague{n}@example.org", "Summer2026!") == "wrong"
    assert _try(sessions, "colleague10@example.org", "Summer2026!") == "wrong"  # the first new account goes...
    assert _try(sessions, "colleague11@example.org", "Summer2026!") == "paused"  # ...the next waits its turn
    assert _try(sessions, "colleague3@example.org", PASSWORD) == "signed in"  # an account failing here is not held
    assert _try(sessions, "colleague12@example.org", PASSWORD, address="192.0.2.1") == "signed in"  # nor elsewhere
    with sessions() as session:
        colleague = authenticate(session, "colleague13@example.org", PASSWORD, "192.0.2.1", LIMITS)
        assert colleague is not None
        session.commit()
    assert _try(sessions, "colleague13@example.org", PASSWORD, device=KnownDevice(colleague.id, "desk")) == "signed in"
    _pass_time(sessions, 1)
    assert _try(sessions, "colleague11@example.org", "Summer2026!") == "wrong"
    assert _try(sessions, "colleague14@example.org", "Summer2026!") == "paused"  # 2 seconds now, and growing
    _pass_time(sessions, 15 * 60)  # the address's failures are forgotten too
    assert _try(sessions, "colleague14@example.org", PASSWORD) == "signed in"


@pytest.fixture
def quick_app(fixture_app: Flask) -> Flask:
    """The app with a two-second longest wait, so that a test can wait for it on the clock."""
    fixture_app.config["SIGN_IN_LONGEST_WAIT_SECONDS"] = 2
    return fixture_app


def _post_sign_in(client: FlaskClient, email: str, password: str) -> tuple[int, str]:
    token = csrf_token(client.get("/sign-in").get_data(as_text=True))
    answer = client.post("/sign-in", data={"csrf_token": token, "email": email, "password": password})
    return answer.status_code, answer.headers.get("Retry-After", "")


def test_the_web_app_under_parallel_guessing_lets_the_person_in(quick_app: Flask, places: Places) -> None:
    own = quick_app.test_client()
    assert _post_sign_in(own, "lead@example.org", PLACES_PASSWORD)[0] == 302
    assert own.get_cookie(DEVICE_COOKIE) is not None
    own.post("/sign-out", data={"csrf_token": csrf_token(own.get("/").get_data(as_text=True))})
    clients = [quick_app.test_client() for _ in range(12)]
    outcomes = _in_parallel(12, lambda n: str(_post_sign_in(clients[n], "lead@example.org", "a guess")[0]))
    assert sorted(outcomes) == ["200"] * 5 + ["429"] * 7
    guessing = threading.Event()

    def stranger() -> None:
        while not guessing.is_set():
            _post_sign_in(clients[0], "lead@example.org", "a guess")

    attack = threading.Thread(target=stranger)
    attack.start()
    try:
        time.sleep(1)
        assert _post_sign_in(own, "LEAD@example.org", PLACES_PASSWORD)[0] == 302  # the lead's own browser goes in
    finally:
        guessing.set()
        attack.join(timeout=60)
    assert _post_sign_in(clients[0], "lead@example.org", "one more guess")[0] in (200, 429)
    elsewhere = quick_app.test_client()  # another browser is told to wait, for at most the longest wait
    status, retry_after = _post_sign_in(elsewhere, "lead@example.org", PLACES_PASSWORD)
    assert status == 429 and 1 <= int(retry_after) <= 2
    token = csrf_token(elsewhere.get("/sign-in").get_data(as_text=True))
    page = elsewhere.post("/sign-in", data={"csrf_token": token, "email": "lead@example.org",
                                            "password": PLACES_PASSWORD}).get_data(as_text=True)
    assert "Too many attempts to sign in. Wait " in page
    started = time.monotonic()
    while (answer := _post_sign_in(elsewhere, "lead@example.org", PLACES_PASSWORD))[0] == 429:
        time.sleep(int(answer[1]))
    assert answer[0] == 302 and time.monotonic() - started < 2 + 1
    with quick_app.app_context():
        paused = db.session().scalar(select(func.count(AuditEvent.id)).filter_by(action="sign-in-paused"))
        assert paused is not None and paused >= 9


def test_a_configuration_with_a_retired_sign_in_setting_is_refused_naming_its_replacement(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="SIGN_IN_ATTEMPTS is no longer read: set SIGN_IN_FREE_FAILURES"):
        create_app({"TESTING": True, "SECRET_KEY": "x", "DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite'}",
                    "SIGN_IN_ATTEMPTS": 3})
