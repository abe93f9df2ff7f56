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
from sqlalchemy import select
from sqlalchemy.engine import Engine

from assess import db, questionnaire_library
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


def _worker(app: Flask, log: Path) -> subprocess.Popen[bytes]:
    environment = {**os.environ, "ASSESS_INSTANCE_PATH": app.instance_path, "ASSESS_SECRET_KEY": "worker test key",
                   "ASSESS_DATABASE_URL": app.config["DATABASE_URL"], "ASSESS_REDIS_URL": app.config["REDIS_URL"] or ""}
    assess = Path(sys.executable).parent / "assess"
    with log.open("wb") as output:
        return subprocess.Popen([str(assess), "worker", "--nice", "0"], env=environment, stdout=output,
                                stderr=subprocess.STDOUT)


def test_a_pdf_is_prepared_by_the_worker_then_downloaded(queued_app: Flask, tmp_path: Path) -> None:
    with queued_app.app_context():
        create_demo(db.session(), questionnaire_library(queued_app), PASSWORD)
        db.session().commit()
        round_id = db.session().scalar(select(Assessment.id).filter_by(title=DEMO_ROUND))
    url = f"/councils/DEMO/rounds/{round_id}/profile.pdf"
    client = queued_app.test_client()
    assert submit_form(client, "/sign-in", {"email": "officer@demo.example", "password": PASSWORD}).status_code == 302

    waiting = client.get(url)
    assert waiting.status_code == 200 and waiting.mimetype == "text/html"
    page = waiting.get_data(as_text=True)
    assert "Your PDF is being prepared" in page and f'href="{url}"' in page and 'aria-live="polite"' in page
    assert f'data-status-url="{url}/status"' in page and "http-equiv" not in page
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
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=60) == 0, log.read_text()
    written = log.read_text()
    assert '"logger": "huey' in written and "draw-pdf" in written and "Traceback" not in written, written
