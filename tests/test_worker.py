"""PDFs through a real `assess worker`: the download says the PDF is being prepared, the worker draws it, it is sent.

Run with the queue and the drawn PDFs in the instance folder (SQLite) and in Redis (ASSESS_TEST_REDIS_URL, by
default the local Redis's database 15; skipped when none answers, unless ASSESS_REQUIRE_REDIS is set, as CI
sets it).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.engine import Engine

from assess import db, questionnaire_library
from assess.jobs import leases
from assess.models import Assessment
from assess.services.demo import DEMO_ROUND, create_demo
from tests.conftest import _app_on_test_database, submit_form

PASSWORD = "demo-password-1"
REDIS_URL = os.environ.get("ASSESS_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def _redis_or_skip() -> str:
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).flushdb()
    except redis.exceptions.ConnectionError:
        if os.environ.get("ASSESS_REQUIRE_REDIS"):
            pytest.fail(f"no Redis answers at {REDIS_URL}, and ASSESS_REQUIRE_REDIS says one must")
        pytest.skip(f"no Redis answers at {REDIS_URL}")
    return REDIS_URL


@pytest.fixture(params=["sqlite", "redis"])
def queued_app(request: pytest.FixtureRequest, migrated_engine: Engine, database_url: str,
               tmp_path: Path) -> Iterator[Flask]:
    """The app with a real queue (not run in the request) in the instance folder or in Redis."""
    (tmp_path / "instance").mkdir()
    settings = {"JOBS_IMMEDIATE": False, "REDIS_URL": _redis_or_skip() if request.param == "redis" else None}
    yield from _app_on_test_database(migrated_engine, database_url, tmp_path / "instance", **settings)


def _worker(app: Flask, log: Path, *options: str) -> subprocess.Popen[bytes]:
    environment = {**os.environ, "ASSESS_INSTANCE_PATH": app.instance_path, "ASSESS_SECRET_KEY": "worker test key",
                   "ASSESS_DATABASE_URL": app.config["DATABASE_URL"], "ASSESS_REDIS_URL": app.config["REDIS_URL"] or ""}
    assess = Path(sys.executable).parent / "assess"
    with log.open("ab") as output:
        return subprocess.Popen([str(assess), "worker", "--nice", "0", *options], env=environment, stdout=output,
                                stderr=subprocess.STDOUT)


def _signed_in_to_demo(app: Flask) -> tuple[FlaskClient, str]:
    """A client signed in as the demo council's officer, and the address of its round's profile PDF."""
    with app.app_context():
        create_demo(db.session(), questionnaire_library(app), PASSWORD)
        db.session().commit()
        round_id = db.session().scalar(select(Assessment.id).filter_by(title=DEMO_ROUND))
    client = app.test_client()
    assert submit_form(client, "/sign-in", {"email": "officer@demo.example", "password": PASSWORD}).status_code == 302
    return client, f"/councils/DEMO/rounds/{round_id}/profile.pdf"


def _stop(worker: subprocess.Popen[bytes], log: Path) -> None:
    worker.send_signal(signal.SIGTERM)
    assert worker.wait(timeout=60) == 0, log.read_text()


def test_a_pdf_is_prepared_by_the_worker_then_downloaded(queued_app: Flask, tmp_path: Path) -> None:
    client, url = _signed_in_to_demo(queued_app)
    waiting = client.get(url)
    assert waiting.status_code == 200 and waiting.mimetype == "text/html"
    page = waiting.get_data(as_text=True)
    assert "Your PDF is being prepared" in page and f'href="{url}"' in page and 'aria-live="polite"' in page
    # With JavaScript the page asks the status address; without, and only then, it asks again by refreshing.
    assert f'data-status-url="{url}/status"' in page
    assert page.count("http-equiv") == 1 and '<noscript><meta http-equiv="refresh"' in page
    assert client.get(url + "/status").get_json() == {"ready": False}, "nothing draws it without a worker"

    log = tmp_path / "worker.log"
    worker = _worker(queued_app, log)
    try:
        deadline = time.monotonic() + 90
        while not client.get(url + "/status").get_json()["ready"]:
            assert worker.poll() is None, log.read_text()
            assert time.monotonic() < deadline, f"the worker drew nothing in 90 s:\n{log.read_text()}"
            time.sleep(0.5)
        pdf = client.get(url)
        assert pdf.status_code == 200 and pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")
        assert 'filename="maturity-profile-DEMO-round-' in pdf.headers["Content-Disposition"]
    finally:
        _stop(worker, log)
    written = log.read_text()
    assert '"logger": "huey' in written and "draw-pdf" in written and "Traceback" not in written, written


def _stat(pid: int) -> list[str] | None:
    """The fields of /proc/PID/stat after the command's name (state first), or None for a process gone or a zombie."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return None
    return None if fields[0] in "ZX" else fields


def _children(pid: int) -> set[int]:
    """The live processes whose parent is ``pid`` (huey's worker processes and its scheduler)."""
    return {int(path.name) for path in Path("/proc").glob("[0-9]*")
            if (fields := _stat(int(path.name))) is not None and int(fields[1]) == pid}


def _cpu_ticks(pid: int) -> int:
    fields = _stat(pid)
    return int(fields[11]) + int(fields[12]) if fields else 0  # utime and stime


def _alive(pids: set[int], within: float = 0) -> set[int]:
    """Those of ``pids`` still running after waiting up to ``within`` seconds for them to end."""
    deadline = time.monotonic() + within
    while (running := {pid for pid in pids if _stat(pid) is not None}) and time.monotonic() < deadline:
        time.sleep(0.1)
    return running


def _drawing(app: Flask) -> bool:
    """Whether a process holds the lease on drawing some PDF (assess/jobs.py: FileLeases, RedisLeases)."""
    if app.config["REDIS_URL"]:
        return any(redis.Redis.from_url(app.config["REDIS_URL"]).scan_iter("assess-pdf:drawing-*"))
    return any(leases(app).held(lock.stem) for lock in (Path(app.instance_path) / "pdf-drawing").glob("*.lock"))


@pytest.mark.parametrize("killed", ["the worker", "its drawing process"])
def test_a_pdf_whose_drawing_was_killed_is_drawn_again_within_a_minute(queued_app: Flask, tmp_path: Path,
                                                                       killed: str) -> None:
    """SIGKILL mid-drawing (as the OOM killer or a crash would): the worker's processes end with it, and asking for
    the PDF after the kill queues it again, and a worker draws it."""
    client, url = _signed_in_to_demo(queued_app)
    assert "Your PDF is being prepared" in client.get(url).get_data(as_text=True)
    log = tmp_path / "worker.log"
    worker = _worker(queued_app, log, "--workers", "1")
    try:
        deadline = time.monotonic() + 90
        while not _drawing(queued_app):
            assert worker.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.01)
        children = _children(worker.pid)  # its drawing process and its scheduler
        for child in children:
            os.kill(child, signal.SIGSTOP)  # kept mid-drawing while the test looks
        drawer = max(children, key=_cpu_ticks)  # drawing is CPU work; the scheduler has done next to nothing
        assert client.get(url + "/status").get_json() == {"ready": False}, "the drawing was not interrupted"
        killed_at = time.monotonic()
        if killed == "the worker":
            worker.kill()
            worker.wait()
            for child in children:
                os.kill(child, signal.SIGCONT)  # a stopped process takes no signal but SIGKILL until it goes on
            assert not _alive(children, within=10), "the worker's processes outlived it"
            worker = _worker(queued_app, log, "--workers", "1")
        else:
            os.kill(drawer, signal.SIGKILL)
            for child in children - {drawer}:
                os.kill(child, signal.SIGCONT)
        while not client.get(url + "/status").get_json()["ready"]:
            assert worker.poll() is None, log.read_text()
            assert time.monotonic() < killed_at + 60, f"not drawn again within a minute of the kill:\n{log.read_text()}"
            time.sleep(0.5)
        redrawn = time.monotonic() - killed_at
        pdf = client.get(url)
        assert pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")
        print(f"{killed} killed: the PDF drawn again {redrawn:.1f} s after the kill")  # noqa: T201
    finally:
        _stop(worker, log)
