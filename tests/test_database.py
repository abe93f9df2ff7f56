"""The database: section locking under real concurrency, round rules in the services, timezone-aware timestamps."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import Engine, event, select
from sqlalchemy.orm import Session, sessionmaker

from assess.db import make_engine
from assess.library import load_library
from assess.models import (
    Assessment,
    AssessmentStatus,
    AuditEvent,
    JoinedBy,
    Organisation,
    OrganisationRole,
    RespondentGroup,
    Response,
    ResponseStatus,
    User,
)
from assess.policy import NotAllowed
from assess.services import participants
from assess.services.questionnaires import record_library
from assess.services.responses import (
    EditConflict,
    ResponseLocked,
    RoundNotOpen,
    answers_of,
    individual_response,
    save_answers,
    save_section,
    section_version,
    stored_profile,
    submit_response,
)
from assess.services.users import add_membership
from scoring import Answer, get_scorer, scorer_version
from tests.conftest import VALID


@pytest.fixture
def sessions(fixture_app: Flask) -> sessionmaker[Session]:
    result: sessionmaker[Session] = fixture_app.extensions["assess.sessions"]
    return result


def make_response(sessions: sessionmaker[Session], library_folder: Path = VALID) -> int:
    """A council member's empty response to the full example questionnaire in an open round; its id."""
    with sessions() as session:
        versions = {r.file.questionnaire.id: r.version for r in record_library(session, load_library(library_folder))}
        council = Organisation(code="TST", name="Testshire", type="County council", region="East of England")
        user = User(email="resp@example.org", name="Res Pondent", site_roles=[])
        assessment = Assessment(organisation=council, title="Round one")
        session.add_all([council, user, assessment])
        session.flush()
        add_membership(session, user, council, OrganisationRole.RESPONDENT, RespondentGroup.OFFICER)
        participants.join(session, assessment, user, RespondentGroup.OFFICER, JoinedBy.ADDED, None)
        response = individual_response(session, assessment, versions["full-example"], user, "officer")
        session.commit()
        return response.id


def load(session: Session, response_id: int) -> tuple[Response, User]:
    """A response and its respondent, read in one session."""
    response = session.get(Response, response_id)
    assert response is not None and response.respondent is not None
    return response, response.respondent


def test_saves_of_different_sections_from_pages_shown_at_once_both_land(sessions: sessionmaker[Session]) -> None:
    response_id = make_response(sessions)
    with sessions() as first, sessions() as second:
        (mine, me), (theirs, _) = load(first, response_id), load(second, response_id)
        shown = section_version(mine, "strategy"), section_version(theirs, "delivery")
        assert shown == (0, 0)
        save_section(first, mine, "strategy", {"has-strategy": Answer("yes")}, me, expected_version=shown[0])
        first.commit()
        save_section(second, theirs, "delivery", {"notes": Answer("Something else.")}, me, expected_version=shown[1])
        second.commit()
    with sessions() as check:
        stored, _ = load(check, response_id)
        assert answers_of(stored) == {"has-strategy": Answer("yes"), "notes": Answer("Something else.")}
        assert (section_version(stored, "strategy"), section_version(stored, "delivery")) == (1, 1)
        assert stored.status == ResponseStatus.IN_PROGRESS


def test_a_section_page_shown_before_another_save_of_it_is_refused(sessions: sessionmaker[Session]) -> None:
    response_id = make_response(sessions)
    with sessions() as session:
        response, me = load(session, response_id)
        save_section(session, response, "strategy", {"has-strategy": Answer("yes")}, me, expected_version=0)
        session.commit()
        with pytest.raises(EditConflict):
            save_section(session, response, "strategy", {"has-strategy": Answer("no")}, me, expected_version=0)
        session.rollback()
        save_section(session, response, "strategy", {"strategy-age": Answer(2)}, me, expected_version=1)
        session.commit()
    with sessions() as check:
        stored, _ = load(check, response_id)
        assert answers_of(stored) == {"has-strategy": Answer("yes"), "strategy-age": Answer(2)}
        assert section_version(stored, "strategy") == 2
        changes = check.scalars(select(AuditEvent.detail).filter_by(action="answers-saved")).all()
        assert changes == [{"section": "strategy", "changed": ["has-strategy"]},
                           {"section": "strategy", "changed": ["strategy-age"]}]


def test_a_submitted_response_cannot_change(sessions: sessionmaker[Session]) -> None:
    response_id = make_response(sessions)
    with sessions() as session:
        response, me = load(session, response_id)
        save_answers(session, response, {"has-strategy": Answer("no"),
                                         "delivery-model": Answer("in-house", comment="All of it.")}, me)
        profile = submit_response(session, response, me)
        session.commit()
        assert (profile.level, profile.value) == (1, 1.33)
        with pytest.raises(ResponseLocked):
            save_answers(session, response, {"has-strategy": Answer("yes")}, me)
    with sessions() as check:
        stored, _ = load(check, response_id)
        assert stored.status == ResponseStatus.SUBMITTED
        assert sorted((s.section_id or "", s.level) for s in stored.scores) == [("", 1), ("delivery", 2),
                                                                                 ("strategy", 1)]
        assert {(s.method, s.scorer_version, s.questionnaire_version_id) for s in stored.scores} == {
            ("weighted-mean", scorer_version(get_scorer("weighted-mean")), stored.questionnaire_version_id)}
        assert stored_profile(stored) == profile


@pytest.mark.parametrize("status", [AssessmentStatus.IN_REVIEW, AssessmentStatus.PUBLISHED, AssessmentStatus.CLOSED])
def test_a_round_no_longer_open_refuses_saves_and_submission(sessions: sessionmaker[Session],
                                                            status: AssessmentStatus) -> None:
    response_id = make_response(sessions)
    with sessions() as session:
        response, me = load(session, response_id)
        save_answers(session, response, {"has-strategy": Answer("no"), "delivery-model": Answer("in-house")}, me)
        response.assessment.status = status
        session.commit()
        with pytest.raises(RoundNotOpen):
            save_section(session, response, "strategy", {"has-strategy": Answer("yes")}, me)
        with pytest.raises(RoundNotOpen):
            submit_response(session, response, me)
        session.rollback()
    with sessions() as check:
        stored, _ = load(check, response_id)
        assert stored.status == ResponseStatus.IN_PROGRESS and stored.scores == []
        assert answers_of(stored)["has-strategy"] == Answer("no")


def test_only_the_respondent_may_change_their_response(sessions: sessionmaker[Session]) -> None:
    response_id = make_response(sessions)
    with sessions() as session:
        response, _ = load(session, response_id)
        lead = User(email="lead@example.org", name="Lead", site_roles=[])
        session.add(lead)
        session.flush()
        add_membership(session, lead, response.assessment.organisation, OrganisationRole.LEAD, RespondentGroup.OFFICER)
        with pytest.raises(NotAllowed):
            save_section(session, response, "strategy", {"has-strategy": Answer("yes")}, lead)
        with pytest.raises(NotAllowed):
            submit_response(session, response, lead)


def _all_at_once(count: int, work: Callable[[int], str]) -> list[str]:
    """Run work(i) in `count` threads released together; each one's outcome, in order."""
    outcomes: dict[int, str] = {}

    def run(index: int) -> None:
        outcomes[index] = work(index)

    threads = [threading.Thread(target=run, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return [outcomes.get(index, "did not finish") for index in range(count)]


def test_simultaneous_saves_of_one_section_let_exactly_one_through(sessions: sessionmaker[Session]) -> None:
    """Real concurrency: six connections show the same section page, then all save at once."""
    response_id = make_response(sessions)
    writers = 6
    shown = threading.Barrier(writers)

    def save(writer: int) -> str:
        with sessions() as session:
            response, me = load(session, response_id)
            version = section_version(response, "delivery")
            shown.wait(timeout=30)
            try:
                save_section(session, response, "delivery", {"notes": Answer(f"writer {writer}")}, me,
                             expected_version=version)
                session.commit()
                return "saved"
            except EditConflict:
                session.rollback()
                return "refused"

    outcomes = _all_at_once(writers, save)
    assert sorted(outcomes) == ["refused"] * (writers - 1) + ["saved"]
    with sessions() as check:
        stored, _ = load(check, response_id)
        assert answers_of(stored) == {"notes": Answer(f"writer {outcomes.index('saved')}")}
        assert section_version(stored, "delivery") == 1


def test_simultaneous_saves_of_different_sections_all_land(sessions: sessionmaker[Session]) -> None:
    """Two tabs (or two facilitators), each on its own section, saving at the same moment, again and again."""
    response_id = make_response(sessions)
    pages = {"strategy": ("has-strategy", Answer("yes")), "delivery": ("notes", Answer("Shared services."))}
    sections = list(pages)
    shown = threading.Barrier(len(sections))

    def save(index: int) -> str:
        section_id = sections[index]
        question_id, answer = pages[section_id]
        with sessions() as session:
            for _ in range(5):
                response, me = load(session, response_id)
                version = section_version(response, section_id)
                shown.wait(timeout=30)
                save_section(session, response, section_id, {question_id: answer}, me, expected_version=version)
                session.commit()
                session.expire_all()
        return "saved"

    assert _all_at_once(len(sections), save) == ["saved", "saved"]
    with sessions() as check:
        stored, _ = load(check, response_id)
        assert answers_of(stored) == {"has-strategy": Answer("yes"), "notes": Answer("Shared services.")}
        assert [section_version(stored, s) for s in sections] == [5, 5]


def test_timestamps_are_timezone_aware(sessions: sessionmaker[Session]) -> None:
    response_id = make_response(sessions)
    with sessions() as session:
        response = session.get(Response, response_id)
        assert response is not None
        save_answers(session, response, {"has-strategy": Answer("yes")}, response.respondent)  # type: ignore[arg-type]
        session.commit()
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
