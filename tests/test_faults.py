"""Faults under real gunicorn: a worker killed mid-save, PostgreSQL restarted mid-request; a read-only or full SQLite.

Every save a person was told succeeded must be in the database afterwards, and no save may be
half there; a database that fails gives the plain 503 page, never a traceback.
"""

from __future__ import annotations

import glob
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import Engine, event, select, text

from assess import create_app
from assess.db import make_engine
from assess.models import Answer, Response, ResponseSection, User
from bench.serve import Browser, Server, free_port, gunicorn, hidden_fields
from bench.site import PASSWORD, SECRET_KEY, add_demo, build_site, server_environment

DATABASE_PROBLEM = "The service is having trouble with its database: try again in a few minutes"
QUESTIONNAIRE, SECTION = "procurement-maturity", "showing-leadership"
QUESTIONS = ("engaging-councillors", "engaging-senior-managers", "working-with-partners",
             "engaging-strategic-suppliers")


@contextmanager
def _serve(url: str, folder: Path, workers: int) -> Iterator[Server]:
    """The app on database ``url`` under gunicorn, its instance folder and log in ``folder``."""
    with gunicorn("assess:create_app()", folder / "gunicorn.log", workers=workers,
                  env=server_environment(url, str(folder))) as server:
        yield server


def _save_form(page: str, mark: str, value: int) -> dict[str, str]:
    """The section page's form with every question at ``value`` and ``mark`` as every comment."""
    form = {**hidden_fields(page), "action": "later"}
    for question in QUESTIONS:
        form[question], form[f"{question}--comment"] = str(value), mark
    return form


def _stored(engine: Engine, email: str) -> tuple[set[tuple[object, str | None]], int]:
    """The (value, comment) pairs of the person's answers in the section, and the section's version."""
    with engine.connect() as connection:
        response_ids = select(Response.id).join(User, Response.respondent_id == User.id).where(User.email == email)
        rows = connection.execute(select(Answer.value, Answer.comment).where(
            Answer.response_id.in_(response_ids), Answer.question_id.in_(QUESTIONS))).all()
        version = connection.scalar(select(ResponseSection.version).where(
            ResponseSection.response_id.in_(response_ids), ResponseSection.section_id == SECTION))
    return {(value, comment) for value, comment in rows}, version or 0


def test_a_worker_killed_mid_save_leaves_the_section_unchanged_or_fully_saved(
        app: Flask, database_url: str, tmp_path: Path) -> None:
    round_id = add_demo(app)
    url = f"/councils/DEMO/rounds/{round_id}/{QUESTIONNAIRE}/{SECTION}"
    engine = app.extensions["assess.engine"]
    with _serve(database_url, tmp_path, workers=1) as server:
        browser = Browser(server.base)
        browser.sign_in("member@demo.example", PASSWORD)
        seconds = []
        for attempt in range(3):
            page = browser.request(url).text
            started = time.perf_counter()
            assert browser.request(url, _save_form(page, "warm", attempt + 1)).status == 302
            seconds.append(time.perf_counter() - started)
        # Kills spread over the whole of a save, from before it reaches the database to after it commits ...
        fractions = (0.05, 0.2, 0.35, 0.5, 0.65, 0.8, 0.95, 1.2)
        delays: list[float | None] = [min(seconds) * fraction for fraction in fractions]
        if engine.dialect.name == "postgresql":
            delays.append(None)  # ... and, on PostgreSQL, one certainly in the middle (see _kill_during_save)
        for attempt, delay in enumerate(delays, start=1):
            # A save first, so that the worker the last kill replaced is warm like the one measured.
            assert browser.request(url, _save_form(browser.request(url).text, "warm", 1)).status == 302
            answers, version = _stored(engine, "member@demo.example")
            value, mark = attempt % 5 + 1, f"save {attempt}"
            status = _kill_during_save(server, browser, url, _save_form(browser.request(url).text, mark, value),
                                       engine, delay)
            server.wait_until_serving()
            after, after_version = _stored(engine, "member@demo.example")
            assert (after, after_version) in ((answers, version), ({(value, mark)}, version + 1)), f"kill {attempt}"
            if status == 302:
                assert after == {(value, mark)}, "an acknowledged save is missing"


def _kill_during_save(server: Server, browser: Browser, url: str, form: dict[str, str], engine: Engine,
                      delay: float | None) -> int:
    """POST a save and SIGKILL the worker ``delay`` seconds later; the status, or 0 when the connection broke.

    Without a delay, the save is held mid-transaction first: the audit_event table is locked, so the
    save has made its first writes and waits to insert its audit event when the worker dies.
    """
    outcome: list[int] = []

    def post() -> None:
        try:
            outcome.append(browser.request(url, form, timeout=30).status)
        except OSError:
            outcome.append(0)

    worker, poster = server.workers()[0], threading.Thread(target=post)
    with engine.connect() as blocker:
        if delay is None:
            blocker.execute(text("LOCK TABLE audit_event IN EXCLUSIVE MODE"))
        poster.start()
        if delay is None:
            _until_waiting_for_a_lock(engine)
        else:
            time.sleep(delay)
        os.kill(worker, signal.SIGKILL)
        blocker.rollback()
    poster.join(timeout=60)
    return outcome[0]


def _until_waiting_for_a_lock(engine: Engine) -> None:
    """Wait until another connection waits for the audit_event table (the save has written, not committed)."""
    deadline = time.monotonic() + 30
    with engine.connect() as watcher:
        while time.monotonic() < deadline:
            if watcher.scalar(text("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                                   "AND query LIKE 'INSERT INTO audit_event%'")):
                return
            watcher.rollback()
            time.sleep(0.05)
    raise AssertionError("the save never waited for the lock")


POSTGRES_BIN = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))


class PrivateCluster:
    """A PostgreSQL cluster of this test's own, in a temporary folder on a free port; never the shared server."""

    def __init__(self) -> None:
        self.bin = Path(POSTGRES_BIN[-1]).parent
        self.folder = Path(tempfile.mkdtemp(prefix="assess-pg-"))
        self.data, self.port = self.folder / "data", free_port()
        # initdb refuses to run as root: the cluster then belongs to the postgres account.
        self.owner = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self.owner:
            shutil.chown(self.folder, "postgres")
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync")

    @property
    def url(self) -> str:
        """The address of the cluster's `assess` database."""
        return f"postgresql://postgres@127.0.0.1:{self.port}/assess"

    def _run(self, tool: str, *args: str) -> None:
        subprocess.run([*self.owner, str(self.bin / tool), *args], check=True, capture_output=True)

    def start(self) -> None:
        """Start the server and wait until it takes connections."""
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.folder / "server.log"), "-w", "-o",
                  f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1", "start")

    def stop(self) -> None:
        """Stop the server the fast way: sessions and queries in flight are ended."""
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def remove(self) -> None:
        """Stop the server if it runs, and delete the cluster."""
        subprocess.run([*self.owner, str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop"],
                       capture_output=True)
        shutil.rmtree(self.folder, ignore_errors=True)


@pytest.fixture
def private_cluster() -> Iterator[PrivateCluster]:
    """A private PostgreSQL cluster, removed afterwards."""
    if not POSTGRES_BIN:
        pytest.skip("PostgreSQL's server programs (initdb, pg_ctl) are not installed")
    cluster = PrivateCluster()
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.remove()


class Respondent:
    """A person saving one section again and again, remembering the last save they were told succeeded."""

    def __init__(self, server: Server, email: str, url: str) -> None:
        self.browser, self.email, self.url = Browser(server.base), email, url
        self.browser.sign_in(email, PASSWORD)
        self.statuses: list[int] = []
        self.problems: list[str] = []
        self.acknowledged: tuple[int, str] | None = None

    def save_until(self, stop: threading.Event, limit: int) -> None:
        """Load the page and save it, up to ``limit`` times or until ``stop`` is set."""
        for attempt in range(limit):
            if stop.is_set():
                return
            page = self.browser.request(self.url)
            self.statuses.append(page.status)
            if page.status != 200:
                self._check_outage_page(page.status, page.text)
                time.sleep(0.1)
                continue
            value, mark = attempt % 5 + 1, f"{self.email} save {attempt}"
            saved = self.browser.request(self.url, _save_form(page.text, mark, value))
            self.statuses.append(saved.status)
            if saved.status == 302:
                self.acknowledged = (value, mark)
            else:
                self._check_outage_page(saved.status, saved.text)

    def _check_outage_page(self, status: int, body: str) -> None:
        if status != 503 or DATABASE_PROBLEM not in body or "Traceback" in body:
            self.problems.append(f"{status}: {body[:300]}")


def test_postgresql_restarted_mid_request_gives_503_then_recovers_losing_no_save(
        private_cluster: PrivateCluster, tmp_path: Path) -> None:
    site = build_site(private_cluster.url, respondents=0)
    engine = site.engine()
    url = f"/councils/DEMO/rounds/{site.round_id}/{QUESTIONNAIRE}/{SECTION}"
    with _serve(private_cluster.url, tmp_path, workers=2) as server:
        people = [Respondent(server, email, url) for email in ("member@demo.example", "cllr.lewis@demo.example")]
        stop = threading.Event()
        threads = [threading.Thread(target=person.save_until, args=(stop, 400)) for person in people]
        for thread in threads:
            thread.start()
        time.sleep(1.5)
        private_cluster.stop()
        time.sleep(1.5)
        during = Browser(server.base).request("/healthz")
        private_cluster.start()
        time.sleep(3)
        stop.set()
        for thread in threads:
            thread.join(timeout=60)
        assert during.status == 503 and DATABASE_PROBLEM in during.text
        after = Browser(server.base).request("/healthz")
        assert after.status == 200, "the app did not recover by itself"
        for person in people:
            assert person.problems == [], person.problems
            assert 503 in person.statuses, "no request met the outage"
            last_outage = len(person.statuses) - 1 - person.statuses[::-1].index(503)
            assert 302 in person.statuses[last_outage:], f"{person.email} saved nothing after the restart"
            assert person.acknowledged is not None
            assert _stored(engine, person.email)[0] == {person.acknowledged}, "an acknowledged save was lost"
        assert "Traceback" not in "".join(p.text for p in (during, after))
    engine.dispose()


def _signed_in_client(url: str) -> Any:
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": SECRET_KEY, "TESTING": True})
    client = app.test_client()
    page = client.get("/sign-in").get_data(as_text=True)
    assert client.post("/sign-in", data={**hidden_fields(page), "email": "member@demo.example",
                                         "password": PASSWORD}).status_code == 302
    return client


def _read_only(url: str) -> str:
    return url.replace("sqlite:///", "sqlite:///file:") + "?mode=ro&uri=true"


def _limit_to_current_size(connection: Any, _record: Any) -> None:
    """Make a SQLite file full: it may not grow past the pages it has."""
    cursor = connection.cursor()
    pages = cursor.execute("PRAGMA page_count").fetchone()[0]
    cursor.execute(f"PRAGMA max_page_count={pages}")
    cursor.close()


@pytest.mark.parametrize("fault", ["read-only", "full"])
def test_a_read_only_or_full_sqlite_file_gives_the_503_page(tmp_path: Path, fault: str) -> None:
    url = f"sqlite:///{tmp_path / 'own.sqlite'}"
    section = f"/councils/DEMO/rounds/{build_site(url, respondents=0).round_id}/{QUESTIONNAIRE}/{SECTION}"
    signed_in = _signed_in_client(url)
    if fault == "full":
        with make_engine(url).connect() as connection:
            connection.exec_driver_sql("VACUUM")  # no free pages left to fill
    app = create_app({"DATABASE_URL": _read_only(url) if fault == "read-only" else url,
                      "SECRET_KEY": SECRET_KEY, "TESTING": True})
    if fault == "full":
        event.listen(app.extensions["assess.engine"], "connect", _limit_to_current_size)
    client = app.test_client()
    cookie = signed_in.get_cookie("session")
    assert cookie is not None
    client.set_cookie("session", cookie.value)
    page = client.get(section)
    assert page.status_code == 200  # reading still works
    saved = client.post(section, data=_save_form(page.get_data(as_text=True), "x" * 5000, 2))
    body = saved.get_data(as_text=True)
    assert saved.status_code == 503 and DATABASE_PROBLEM in body and "Traceback" not in body
    assert saved.headers["Retry-After"]
    assert client.get("/healthz").status_code == 200  # the database still answers reads
    app.extensions["assess.engine"].dispose()
