"""Security headers on every page and file that holds answers: HTML, PDF and CSV alike."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import Engine, select
from werkzeug.test import TestResponse

from assess import db
from assess.models import AuditEvent
from tests.conftest import PLACES_PASSWORD, Places, _app_on_test_database, csrf_token, signed_in_client

HTTPS = "https://assess.council.example"


def _files(places: Places) -> dict[str, str]:
    round_url = f"/councils/{places.own.code}/rounds/{places.own.round_id}"
    return {"text/html": f"{round_url}/manage", "application/pdf": f"{round_url}/profile.pdf",
            "text/csv": f"{round_url}/completion.csv"}


def _policy(response: TestResponse) -> dict[str, str]:
    parts = (part.strip().split(" ", 1) for part in response.headers["Content-Security-Policy"].split(";"))
    return {part[0]: part[1] if len(part) > 1 else "" for part in parts if part[0]}


@pytest.mark.parametrize("kind", ["text/html", "application/pdf", "text/csv"])
def test_each_header_on_html_pdf_and_csv(fixture_app: Flask, places: Places, kind: str) -> None:
    lead = signed_in_client(fixture_app, "lead")
    response = lead.get(_files(places)[kind])
    assert response.status_code == 200 and response.mimetype == kind
    assert response.headers["Cache-Control"] == "no-store"
    policy = _policy(response)
    assert policy["frame-ancestors"] == "'none'" and policy["default-src"] == "'self'"
    assert "unsafe-inline" not in policy["script-src"] and "unsafe-eval" not in policy["script-src"]
    assert policy["object-src"] == "'none'"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert "Strict-Transport-Security" not in response.headers  # plain HTTP: HSTS would mean nothing


def test_over_https_hsts_is_sent_and_the_session_cookie_is_secure(fixture_app: Flask, places: Places) -> None:
    client = fixture_app.test_client()
    page = client.get("/sign-in", base_url=HTTPS)
    assert page.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    signed_in = client.post("/sign-in", base_url=HTTPS, headers={"Referer": f"{HTTPS}/sign-in"}, data={
        "csrf_token": csrf_token(page.get_data(as_text=True)), "email": "lead@example.org",
        "password": PLACES_PASSWORD})
    cookie = signed_in.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    pdf = client.get(_files(places)["application/pdf"], base_url=HTTPS)
    assert pdf.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    assert pdf.headers["Cache-Control"] == "no-store"


def test_every_script_is_a_file_or_carries_the_pages_nonce(fixture_app: Flask, places: Places) -> None:
    response = signed_in_client(fixture_app, "respondent").get("/account/password")
    nonce = re.search(r"'nonce-([^']+)'", _policy(response)["script-src"])
    assert nonce
    inline = re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>", response.get_data(as_text=True))
    assert inline and all(f'nonce="{nonce.group(1)}"' in attributes for attributes in inline)
    assert "style=" not in response.get_data(as_text=True)  # no inline styles either: style-src is 'self'


def test_static_files_may_be_cached(fixture_app: Flask) -> None:
    response = fixture_app.test_client().get("/static/service.css")
    assert response.headers.get("Cache-Control") != "no-store"
    response.close()


@pytest.fixture
def proxied_app(migrated_engine: Engine, database_url: str, tmp_path: Path) -> Iterator[Flask]:
    """The app as deployed behind one reverse proxy (PROXY_FIX_HOPS = 1)."""
    yield from _app_on_test_database(migrated_engine, database_url, tmp_path, PROXY_FIX_HOPS=1)


def test_behind_a_proxy_the_forwarded_scheme_and_address_count(proxied_app: Flask) -> None:
    client = proxied_app.test_client()
    forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9", "User-Agent": "Test browser"}
    page = client.get("/sign-in", headers=forwarded)
    assert page.headers["Strict-Transport-Security"].startswith("max-age=")
    client.post("/sign-in", headers={**forwarded, "Referer": "https://localhost/sign-in"},
                data={"csrf_token": csrf_token(page.get_data(as_text=True)), "email": "nobody@example.org",
                      "password": "wrong password"})
    with proxied_app.app_context():
        failed = db.session().scalar(select(AuditEvent).filter_by(action="sign-in-failed"))
        assert failed is not None and (failed.ip_address, failed.user_agent) == ("203.0.113.9", "Test browser")
