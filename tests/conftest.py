"""Shared fixtures: an app on a migrated database (SQLite, or PostgreSQL when asked), client, runner."""

from __future__ import annotations

import os
import re
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import Engine, select, text
from sqlalchemy.engine import make_url
from werkzeug.security import generate_password_hash

from assess import create_app, db, questionnaire_library
from assess.db import Base, make_engine
from assess.migrations import rebuild
from assess.models import Assessment, JoinedBy, Organisation, OrganisationRole, RespondentGroup, SiteRole, User
from assess.services import participants, users
from assess.services.agreement import agreed_response
from assess.services.demo import demo_answers
from assess.services.invitations import Invitee, invite
from assess.services.questionnaires import questionnaire_of
from assess.services.responses import individual_response, save_answers, submit_response
from assess.services.rounds import RoundDetails, assign_facilitator, start_round
from assess.services.users import add_membership, add_user
from bench.serve import hidden_fields
from scoring import Answer

ROOT = Path(__file__).resolve().parent.parent
REGISTER = ROOT.parent / "shared" / "data" / "english-councils.csv"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
QUESTIONNAIRES = FIXTURES / "questionnaires"
VALID = QUESTIONNAIRES / "valid"
INVALID = QUESTIONNAIRES / "invalid"
FULL = VALID / "full.yaml"


@pytest.fixture(autouse=True)
def fast_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """scrypt is slow on purpose; tests that are not about hashing store cheap PBKDF2 hashes instead.

    tests/test_web.py checks that real accounts get scrypt hashes.
    """
    monkeypatch.setattr(users, "hash_password", lambda password: generate_password_hash(password, "pbkdf2:sha256:1000"))


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """PostgreSQL when ASSESS_TEST_DATABASE_URL is set, otherwise a fresh SQLite file."""
    return os.environ.get("ASSESS_TEST_DATABASE_URL") or f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite'}"


@pytest.fixture(scope="session")
def migrated_engine(database_url: str) -> Iterator[Engine]:
    """An engine on a database emptied and then migrated to the latest schema, once per run."""
    engine = make_engine(database_url)
    rebuild(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def scratch_url(database_url: str, tmp_path: Path) -> Iterator[str]:
    """An empty database of the kind the suite runs on: a new SQLite file, or a new PostgreSQL database."""
    if not database_url.startswith("postgres"):
        yield f"sqlite:///{tmp_path / 'scratch.sqlite'}"
        return
    name = f"{make_url(database_url).database}_migrations"
    admin = make_engine(database_url).execution_options(isolation_level="AUTOCOMMIT")

    def drop() -> None:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    drop()
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(database_url).set(database=name).render_as_string(hide_password=False)
    finally:
        drop()
        admin.dispose()


def empty_tables(engine: Engine) -> None:
    """Delete every row, children first, so each test starts from an empty database."""
    with engine.begin() as connection:
        for table in reversed(Base.metadata.sorted_tables):
            connection.execute(table.delete())


def _app_on_test_database(engine: Engine, database_url: str, instance: Path, **settings: Any) -> Iterator[Flask]:
    # Queued jobs (drawing PDFs) run in the request that queues them; tests/test_worker.py runs a real worker.
    app = create_app({"TESTING": True, "SECRET_KEY": "test secret key", "DATABASE_URL": database_url,
                      "JOBS_IMMEDIATE": True, **settings})
    app.instance_path = str(instance)
    yield app
    app.extensions["assess.engine"].dispose()
    empty_tables(engine)


@pytest.fixture
def app(migrated_engine: Engine, database_url: str, tmp_path: Path) -> Iterator[Flask]:
    """The app on the migrated test database, emptied after the test."""
    yield from _app_on_test_database(migrated_engine, database_url, tmp_path)


@pytest.fixture
def fixture_app(migrated_engine: Engine, database_url: str, tmp_path: Path) -> Iterator[Flask]:
    """Like `app`, but serving the small fixture library (tests/fixtures/questionnaires/valid)."""
    yield from _app_on_test_database(migrated_engine, database_url, tmp_path,
                                     QUESTIONNAIRES=str(VALID))


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A test client of the app."""
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    """A CLI runner bound to the app."""
    return app.test_cli_runner()


CSRF_FIELD = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"')


def csrf_token(page: str) -> str:
    """The CSRF token of the first form on a page."""
    match = CSRF_FIELD.search(page)
    assert match, "the page has no CSRF token"
    return match.group(1) or match.group(2)


def submit_form(client: FlaskClient, url: str, data: dict[str, Any], page_url: str | None = None) -> Any:
    """Post a form the way a browser does: fetch the page first, and send its hidden fields with the data."""
    page = client.get(page_url or url)
    return client.post(url, data={**hidden_fields(page.get_data(as_text=True)), **data})


PLACES_PASSWORD = "places-password-1"


@dataclass(frozen=True)
class Place:
    """A council's round, with a respondent there, their submitted response and an invitation to the round."""

    code: str
    round_id: int
    person_id: int
    response_id: int
    invitation_id: int

@dataclass(frozen=True)
class Places:
    """The rounds of the council the personas belong to ("own") and of a council they do not ("other")."""

    own: Place
    other: Place


def _council(session: Any, code: str) -> Organisation:
    council = Organisation(code=code, name=f"{code} Council", type="District", region="London")
    session.add(council)
    session.flush()
    return council


@pytest.fixture
def places(fixture_app: Flask) -> Places:
    """Two councils with a round each; a respondent who has submitted full-example in the own council's round."""
    with fixture_app.app_context():
        session = db.session()
        library = questionnaire_library(fixture_app)
        own, other = _council(session, "OWN"), _council(session, "OTH")
        roles = {"facilitator": (SiteRole.FACILITATOR,), "analyst": (SiteRole.ANALYST,), "admin": (SiteRole.ADMIN,)}
        people = {name: add_user(session, f"{name}@example.org", name.title(), PLACES_PASSWORD, roles.get(name, ()))
                  for name in ("respondent", "lead", "facilitator", "analyst", "admin", "other-lead")}
        add_membership(session, people["respondent"], own, OrganisationRole.RESPONDENT, RespondentGroup.MEMBER)
        add_membership(session, people["lead"], own, OrganisationRole.LEAD, RespondentGroup.OFFICER)
        add_membership(session, people["other-lead"], other, OrganisationRole.LEAD, RespondentGroup.OFFICER)
        questionnaires = ["full-example", "staged-example"]
        own_round = start_round(session, own, people["lead"], RoundDetails("Own round", questionnaires), library)
        other_round = start_round(session, other, people["other-lead"], RoundDetails("Other round", questionnaires),
                                  library)
        assign_facilitator(session, own_round, people["facilitator"], people["lead"])
        places = []
        for assessment, respondent, lead in ((own_round, people["respondent"], people["lead"]),
                                             (other_round, people["other-lead"], people["other-lead"])):
            full = assessment.questionnaires[0].questionnaire_version
            participants.join(session, assessment, respondent, RespondentGroup.MEMBER, JoinedBy.ADDED, lead)
            response = individual_response(session, assessment, full, respondent, "member")
            answers = {"has-strategy": Answer("no"), "delivery-model": Answer("in-house", comment="All of it.")}
            save_answers(session, response, answers, respondent)
            submit_response(session, response, respondent)
            invited = invite(session, assessment, [Invitee("new.colleague@example.org", "New Colleague",
                                                           RespondentGroup.OFFICER)], lead, days=14)
            places.append(Place(assessment.organisation.code, assessment.id, respondent.id, response.id,
                                invited[0].invitation.id))
        session.commit()
        return Places(*places)


def signed_in_client(app: Flask, persona: str) -> FlaskClient:
    """A test client signed in as one of the `places` people (persona@example.org), or nobody ('anonymous')."""
    client = app.test_client()
    if persona != "anonymous":
        page = client.get("/sign-in").get_data(as_text=True)
        signed_in = client.post("/sign-in", data={"email": f"{persona}@example.org", "password": PLACES_PASSWORD,
                                                  "csrf_token": csrf_token(page)})
        assert signed_in.status_code == 302, persona
    return client


def ask(app: Flask, round_id: int, email: str, group: RespondentGroup = RespondentGroup.OFFICER) -> None:
    """Make a person a participant of a round (asked to answer it), as the lead adding them would."""
    with app.app_context():
        session = db.session()
        assessment = session.get(Assessment, round_id)
        person = session.scalar(select(User).filter_by(email=email))
        assert assessment is not None and person is not None
        participants.join(session, assessment, person, group, JoinedBy.ADDED, None)
        session.commit()


def agree_everything(app: Flask, round_id: int, seed: str = "agreed") -> None:
    """Confirmed agreed answers to every questionnaire of a round, recorded by its lead."""
    with app.app_context():
        session = db.session()
        assessment = session.get(Assessment, round_id)
        lead = session.scalar(select(User).filter_by(email="lead@example.org"))
        assert assessment is not None and lead is not None
        for link in assessment.questionnaires:
            agreed = agreed_response(session, assessment, link.questionnaire_version, lead)
            save_answers(session, agreed, demo_answers(questionnaire_of(link.questionnaire_version), seed), lead)
            submit_response(session, agreed, lead)
        session.commit()


class Inbox:
    """Messages a real SMTP server on this machine received."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))  # type: ignore[arg-type]
        return "250 Message accepted"

    def links(self, to: str) -> list[str]:
        """The links in the plain-text part of every message to an address."""
        found = []
        for message in self.messages:
            if message["To"] == to:
                body = message.get_body(("plain",))
                assert body is not None
                found += re.findall(r"https?://\S+", body.get_content())
        return found


@pytest.fixture
def inbox(fixture_app: Flask) -> Iterator[Inbox]:
    """An aiosmtpd server on a free port, and the app set to send through it."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    received = Inbox()
    server = Controller(received, hostname="127.0.0.1", port=port)
    server.start()
    fixture_app.config.update(MAIL_BACKEND="smtp", MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_SECURITY="none",
                              MAIL_SENDER="assess@council.example", BASE_URL="https://assess.council.example")
    yield received
    server.stop()
