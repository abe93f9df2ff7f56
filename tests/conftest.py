"""Shared fixtures: an app on a migrated database (SQLite, or PostgreSQL when asked), client, runner."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import Engine, MetaData, text
from werkzeug.security import generate_password_hash

from assess import create_app
from assess.db import Base, make_engine
from assess.migrations import alembic_config
from assess.services import users

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
    existing = MetaData()
    existing.reflect(engine)
    existing.drop_all(engine)
    with engine.begin() as connection:
        connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
    command.upgrade(alembic_config(engine), "head")
    yield engine
    engine.dispose()


def empty_tables(engine: Engine) -> None:
    """Delete every row, children first, so each test starts from an empty database."""
    with engine.begin() as connection:
        for table in reversed(Base.metadata.sorted_tables):
            connection.execute(table.delete())


def _app_on_test_database(engine: Engine, database_url: str, instance: Path, **settings: Any) -> Iterator[Flask]:
    app = create_app({"TESTING": True, "SECRET_KEY": "test secret key", "DATABASE_URL": database_url, **settings})
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
    """Post a form the way a browser does: fetch the page for its CSRF token first."""
    page = client.get(page_url or url)
    return client.post(url, data={**data, "csrf_token": csrf_token(page.get_data(as_text=True))})
