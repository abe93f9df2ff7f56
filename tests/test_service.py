"""Running as a service: the health check, request ids and JSON logs, the gunicorn settings."""

from __future__ import annotations

import json
import logging
import os
import runpy
import sys

import pytest
from flask.testing import FlaskClient

from assess.logs import JsonFormatter
from bench.serve import GUNICORN_CONF


def test_the_health_check_answers_ok_without_sign_in_or_cookie(client: FlaskClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200 and response.get_data() == b"ok\n"
    assert response.mimetype == "text/plain" and response.headers["Cache-Control"] == "no-store"
    assert "Set-Cookie" not in response.headers


@pytest.mark.parametrize(("sent", "kept"), [("lb-1234.abc", True), ("", False), ("two words", False),
                                            ("x" * 129, False), ("id;<script>", False), ("caf\u00e9", False)])
def test_each_request_is_logged_as_json_with_its_id_echoed(client: FlaskClient, caplog: pytest.LogCaptureFixture,
                                                           sent: str, kept: bool) -> None:
    with caplog.at_level(logging.INFO, logger="assess.request"):
        response = client.get("/healthz", headers={"X-Request-ID": sent} if sent else {})
    request_id = response.headers["X-Request-ID"]
    assert (request_id == sent) if kept else len(request_id) == 32 and request_id.isalnum()
    [record] = [r for r in caplog.records if r.name == "assess.request"]
    entry = json.loads(JsonFormatter().format(record))
    assert entry["request_id"] == request_id and entry["message"] == "request"
    assert (entry["method"], entry["path"], entry["status"], entry["level"]) == ("GET", "/healthz", 200, "INFO")
    assert isinstance(entry["duration_ms"], float)


def test_a_logged_exception_stays_one_line_of_json() -> None:
    try:
        raise ValueError("broken")
    except ValueError:
        record = logging.LogRecord("assess", logging.ERROR, __file__, 1, "failed: %s", ("here",), sys.exc_info())
    line = JsonFormatter().format(record)
    assert "\n" not in line
    entry = json.loads(line)
    assert entry["message"] == "failed: here" and "ValueError: broken" in entry["exception"]


def test_gunicorn_runs_sync_workers_from_the_cpu_count(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ASSESS_WORKERS", raising=False)
    monkeypatch.delenv("FORWARDED_ALLOW_IPS", raising=False)
    settings = runpy.run_path(str(GUNICORN_CONF))
    assert settings["worker_class"] == "sync" and settings["workers"] == 2 * (os.cpu_count() or 1) + 1
    assert settings["timeout"] > settings["graceful_timeout"] > 0 and not settings["preload_app"]
    assert settings["forwarded_allow_ips"] == "127.0.0.1,::1"
    monkeypatch.setenv("ASSESS_WORKERS", "3")
    assert runpy.run_path(str(GUNICORN_CONF))["workers"] == 3
