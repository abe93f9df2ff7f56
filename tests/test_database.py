"""The database: migration matches the models, optimistic locking, timezone-aware timestamps."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import Flask
from sqlalchemy import Engine, event, inspect, select
from sqlalchemy.orm import Session, sessionmaker

from assess.db import Base, make_engine
from assess.library import load_library
from assess.migrations import alembic_config
from assess.models import (
    Assessment,
    AuditEvent,
    Organisation,
    Response,
    ResponseStatus,
    User,
)
from assess.services.questionnaires import record_library
from assess.services.responses import (
    EditConflict,
    ResponseLocked,
    answers_of,
    individual_response,
    save_answers,
    submit_response,
)
from scoring import Answer
from tests.conftest import VALID


@pytest.fixture
def sessions(fixture_app: Flask) -> sessionmaker[Session]:
    result: sessionmaker[Session] = fixture_app.extensions["assess.sessions"]
    return result


def test_migration_matches_the_models(migrated_engine: Engine) -> None:
    with migrated_engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []


def test_one_migration_with_revision_0001() -> None:
    versions = Path(__file__).resolve().parent.parent / "assess" / "migrations" / "versions"
    assert sorted(p.name for p in versions.glob("*.py")) == ["0001_initial_schema.py"]
    text = (versions / "0001_initial_schema.py").read_text()
    assert "revision: str = '0001'" in text
    assert "down_revision: str | None = None" in text


def test_migration_downgrades_and_upgrades_again(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'round-trip.sqlite'}")
    try:
        config = alembic_config(engine)
        command.upgrade(config, "head")
        assert set(inspect(engine).get_table_names()) == set(Base.metadata.tables) | {"alembic_version"}
        command.downgrade(config, "base")
        assert inspect(engine).get_table_names() == ["alembic_version"]
        command.upgrade(config, "head")
        with engine.connect() as connection:
            assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []
    finally:
        engine.dispose()


def make_response(sessions: sessionmaker[Session], library_folder: Path = VALID) -> int:
    """A respondent's empty response to the full example questionnaire; its id."""
    with sessions() as session:
        versions = {r.file.questionnaire.id: r.version for r in record_library(session, load_library(library_folder))}
        council = Organisation(code="TST", name="Testshire", type="County council", region="East of England")
        user = User(email="resp@example.org", name="Res Pondent", site_roles=[])
        assessment = Assessment(organisation=council, title="Round one")
        session.add_all([council, user, assessment])
        session.flush()
        response = individual_response(session, assessment, versions["full-example"], user, "officer")
        session.commit()
        assert response.lock_version == 1
        return response.id


def test_concurrent_saves_the_second_is_refused_and_the_first_survives(sessions: sessionmaker[Session]) -> None:
    response_id = make_response(sessions)
    with sessions() as first, sessions() as second:
        mine, theirs = first.get(Response, response_id), second.get(Response, response_id)
        assert mine is not None and theirs is not None
        assert mine.answers == theirs.answers == []
        save_answers(first, mine, {"has-strategy": Answer("yes"), "delivery-model": Answer("in-house")}, None)
        with pytest.raises(EditConflict):
            save_answers(second, theirs, {"has-strategy": Answer("no")}, None)
    with sessions() as check:
        stored = check.get(Response, response_id)
        assert stored is not None
        assert answers_of(stored) == {"has-strategy": Answer("yes"), "delivery-model": Answer("in-house")}
        assert stored.lock_version == 2
        assert stored.status == ResponseStatus.IN_PROGRESS


def test_concurrent_saves_of_different_questions_still_conflict(sessions: sessionmaker[Session]) -> None:
    response_id = make_response(sessions)
    with sessions() as first, sessions() as second:
        mine, theirs = first.get(Response, response_id), second.get(Response, response_id)
        assert mine is not None and theirs is not None
        save_answers(first, mine, {"has-strategy": Answer("yes")}, None)
        with pytest.raises(EditConflict):
            save_answers(second, theirs, {"notes": Answer("Something else.")}, None)
    with sessions() as check:
        stored = check.get(Response, response_id)
        assert stored is not None and answers_of(stored) == {"has-strategy": Answer("yes")}


def test_a_page_shown_before_another_save_is_refused(sessions: sessionmaker[Session]) -> None:
    response_id = make_response(sessions)
    with sessions() as session:
        response = session.get(Response, response_id)
        assert response is not None
        shown_at = response.lock_version
        save_answers(session, response, {"has-strategy": Answer("yes")}, None, expected_version=shown_at)
        assert response.lock_version == shown_at + 1
        with pytest.raises(EditConflict):
            save_answers(session, response, {"has-strategy": Answer("no")}, None, expected_version=shown_at)
        save_answers(session, response, {"notes": Answer("More.")}, None, expected_version=shown_at + 1)
    with sessions() as check:
        stored = check.get(Response, response_id)
        assert stored is not None
        assert answers_of(stored) == {"has-strategy": Answer("yes"), "notes": Answer("More.")}
        assert stored.lock_version == 3


def test_a_submitted_response_cannot_change(sessions: sessionmaker[Session]) -> None:
    response_id = make_response(sessions)
    with sessions() as session:
        response = session.get(Response, response_id)
        assert response is not None
        save_answers(session, response, {"has-strategy": Answer("no"),
                                         "delivery-model": Answer("in-house", comment="All of it.")}, None)
        profile = submit_response(session, response, None)
        assert (profile.level, profile.value) == (1, 1.33)
        with pytest.raises(ResponseLocked):
            save_answers(session, response, {"has-strategy": Answer("yes")}, None)
    with sessions() as check:
        stored = check.get(Response, response_id)
        assert stored is not None and stored.status == ResponseStatus.SUBMITTED
        assert sorted((s.section_id or "", s.level) for s in stored.scores) == [("", 1), ("delivery", 2),
                                                                                 ("strategy", 1)]


def test_timestamps_are_timezone_aware(sessions: sessionmaker[Session]) -> None:
    response_id = make_response(sessions)
    with sessions() as session:
        response = session.get(Response, response_id)
        assert response is not None
        save_answers(session, response, {"has-strategy": Answer("yes")}, None)
    with sessions() as session:
        response = session.get(Response, response_id)
        assert response is not None and response.started_at is not None
        stamps = [response.updated_at, response.started_at, response.answers[0].changed_at,
                  response.questionnaire_version.recorded_at, response.assessment.created_at]
        for stamp in stamps:
            assert stamp.tzinfo is UTC
            assert abs(datetime.now(UTC) - stamp) < timedelta(minutes=5)


@pytest.fixture
def other_time_zone(fixture_app: Flask) -> Iterator[None]:
    """On PostgreSQL, a session time zone far from UTC, so a value stored in the wrong zone shows."""
    engine: Engine = fixture_app.extensions["assess.engine"]
    if engine.dialect.name != "postgresql":
        yield
        return

    def set_zone(connection: Any, _record: Any) -> None:
        with connection.cursor() as cursor:
            cursor.execute("SET TIME ZONE 'Asia/Kolkata'")
        connection.commit()

    engine.dispose()
    event.listen(engine, "connect", set_zone)
    yield
    event.remove(engine, "connect", set_zone)
    engine.dispose()


def test_timestamps_keep_their_instant(sessions: sessionmaker[Session], other_time_zone: None) -> None:
    aware = datetime(2026, 3, 29, 0, 30, tzinfo=timezone(timedelta(hours=-5)))
    naive = datetime(2026, 3, 29, 12, 0)
    with sessions() as session:
        session.add_all([AuditEvent(action="aware", at=aware), AuditEvent(action="naive", at=naive)])
        session.commit()
    with sessions() as session:
        stored = dict(session.execute(select(AuditEvent.action, AuditEvent.at)).tuples().all())
    assert stored["aware"] == datetime(2026, 3, 29, 5, 30, tzinfo=UTC)
    assert stored["naive"] == datetime(2026, 3, 29, 12, 0, tzinfo=UTC)
    assert [stamp.tzinfo for stamp in stored.values()] == [UTC, UTC]
    with sessions() as session:
        since = datetime(2026, 3, 29, 5, 0, tzinfo=UTC)
        later = session.scalars(select(AuditEvent.action).where(AuditEvent.at >= since).order_by(AuditEvent.at))
        assert later.all() == ["aware", "naive"]
        earlier = session.scalars(select(AuditEvent.action).where(AuditEvent.at < datetime(2026, 3, 29, 6, 0)))
        assert earlier.all() == ["aware"]


@pytest.mark.parametrize(("url", "driver"), [
    ("postgresql://user@db.example/assess", "postgresql+psycopg"),
    ("postgres://user@db.example/assess", "postgresql+psycopg"),
    ("postgresql+psycopg://user@db.example/assess", "postgresql+psycopg"),
    ("sqlite:///assess.sqlite", "sqlite"),
])
def test_make_engine_uses_psycopg_3(url: str, driver: str) -> None:
    engine = make_engine(url)
    try:
        assert engine.url.drivername == driver
    finally:
        engine.dispose()


def test_simultaneous_saves_from_threads_let_exactly_one_through(sessions: sessionmaker[Session]) -> None:
    """Real concurrency: six connections load the same response, then all save at once."""
    response_id = make_response(sessions)
    writers = 6
    loaded = threading.Barrier(writers)
    outcomes: dict[int, str] = {}

    def save(writer: int) -> None:
        with sessions() as session:
            response = session.get(Response, response_id)
            assert response is not None
            version = response.lock_version
            loaded.wait(timeout=30)
            try:
                save_answers(session, response, {"notes": Answer(f"writer {writer}")}, None, expected_version=version)
                outcomes[writer] = "saved"
            except EditConflict:
                outcomes[writer] = "refused"

    threads = [threading.Thread(target=save, args=(writer,)) for writer in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes.values()) == ["refused"] * (writers - 1) + ["saved"]
    winner = next(writer for writer, outcome in outcomes.items() if outcome == "saved")
    with sessions() as check:
        stored = check.get(Response, response_id)
        assert stored is not None
        assert answers_of(stored) == {"notes": Answer(f"writer {winner}")} and stored.lock_version == 2
