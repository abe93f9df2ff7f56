"""Sign-in throttling: per account and per client address, decided atomically, never a lock-out for good."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from assess import db
from assess.models import AuditEvent, SignInThrottle, utcnow
from assess.services.throttle import Limit
from assess.services.users import SignInLimits, TooManyAttempts, add_user, authenticate
from tests.conftest import PLACES_PASSWORD, Places, csrf_token

LIMITS = SignInLimits(account=Limit(5, 15), address=Limit(50, 15))
PASSWORD = "a-long-enough-password"


@pytest.fixture
def sessions(fixture_app: Flask) -> sessionmaker[Session]:
    """The app's session factory, with one account to try."""
    factory: sessionmaker[Session] = fixture_app.extensions["assess.sessions"]
    with factory() as session:
        add_user(session, "person@example.org", "A Person", PASSWORD)
        session.commit()
    return factory


def _try(sessions: sessionmaker[Session], email: str, password: str, address: str = "198.51.100.7",
         limits: SignInLimits = LIMITS) -> str:
    with sessions() as session:
        try:
            user = authenticate(session, email, password, address, limits)
        except TooManyAttempts:
            outcome = "paused"
        else:
            outcome = "signed in" if user else "wrong"
        session.commit()
        return outcome


def test_forty_parallel_attempts_let_no_more_through_than_the_limit(sessions: sessionmaker[Session]) -> None:
    attempts = 40
    start = threading.Barrier(attempts)
    outcomes: list[str] = []

    def attempt() -> None:
        start.wait(timeout=30)
        outcomes.append(_try(sessions, "person@example.org", "wrong password"))

    threads = [threading.Thread(target=attempt) for _ in range(attempts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert sorted(outcomes) == ["paused"] * 35 + ["wrong"] * 5
    with sessions() as session:
        checked = session.scalar(select(func.count(AuditEvent.id)).filter_by(action="sign-in-failed"))
        assert checked == 5
        assert session.scalar(select(func.count(AuditEvent.id)).filter_by(action="sign-in-paused")) == 35


def test_the_account_pause_counts_every_letter_case_and_ends_with_its_window(sessions: sessionmaker[Session]) -> None:
    for email in ("person@example.org", "PERSON@example.org", " Person@Example.org ", "person@EXAMPLE.ORG",
                  "PeRsOn@example.org"):
        assert _try(sessions, email, "wrong password") == "wrong"
    assert _try(sessions, "person@example.org", PASSWORD) == "paused"  # even the right password waits
    assert _try(sessions, "other@example.org", "wrong password") == "wrong"  # other accounts are not held up
    with sessions() as session:  # the window passes: the person can sign in again, never locked out for good
        session.execute(update(SignInThrottle).values(window_started_at=utcnow() - timedelta(minutes=16)))
        session.commit()
    assert _try(sessions, "Person@example.org", PASSWORD) == "signed in"
    for _ in range(4):  # a successful sign-in starts the account's count again
        assert _try(sessions, "person@example.org", "wrong password") == "wrong"
    assert _try(sessions, "person@example.org", PASSWORD) == "signed in"


def test_one_address_cannot_try_many_accounts(sessions: sessionmaker[Session]) -> None:
    limits = SignInLimits(account=Limit(5, 15), address=Limit(8, 15))
    outcomes = [_try(sessions, f"guess{n}@example.org", "password", limits=limits) for n in range(10)]
    assert outcomes == ["wrong"] * 8 + ["paused"] * 2
    assert _try(sessions, "person@example.org", PASSWORD, address="192.0.2.1", limits=limits) == "signed in"
    for _ in range(20):  # people who sign in successfully never use up their address's attempts
        assert _try(sessions, "person@example.org", PASSWORD, address="192.0.2.1", limits=limits) == "signed in"


def test_the_sign_in_page_says_when_to_try_again(fixture_app: Flask, places: Places) -> None:
    client = fixture_app.test_client()
    token = csrf_token(client.get("/sign-in").get_data(as_text=True))
    for _ in range(5):
        client.post("/sign-in", data={"csrf_token": token, "email": "lead@example.org", "password": "wrong one"})
    paused = client.post("/sign-in", data={"csrf_token": token, "email": "LEAD@example.org",
                                           "password": PLACES_PASSWORD})
    assert paused.status_code == 429
    assert "Too many attempts to sign in. Try again after" in paused.get_data(as_text=True)
    with fixture_app.app_context():
        assert db.session().scalar(select(func.count(AuditEvent.id)).filter_by(action="sign-in-paused")) == 1
