"""Password resets by email and two-factor sign-in with an authenticator app."""

from __future__ import annotations

import re
import time
from email import message_from_bytes, policy
from pathlib import Path

import pyotp
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.test import TestResponse

from assess import db
from assess.models import PasswordReset, SignInThrottle, User
from tests.conftest import PLACES_PASSWORD, Places, csrf_token, signed_in_client

NEW_PASSWORD = "correct horse battery staple"


def _reset_links(app: Flask, to: str) -> list[str]:
    links = []
    for path in sorted(Path(app.instance_path, "outbox").glob("*.eml")):
        message = message_from_bytes(path.read_bytes(), policy=policy.default)
        if message["To"] == to:
            body = message.get_body(("plain",)).get_content()
            links += re.findall(r"http\S+/password-reset/\S+", body)
    return [link.removeprefix("http://127.0.0.1:5000") for link in links]


def _subjects(app: Flask, to: str) -> list[str]:
    messages = (message_from_bytes(path.read_bytes(), policy=policy.default)
                for path in sorted(Path(app.instance_path, "outbox").glob("*.eml")))
    return [str(message["Subject"]) for message in messages if message["To"] == to]


def _post(client: FlaskClient, url: str, data: dict[str, str]) -> TestResponse:
    page = client.get(url)
    return client.post(url, data={"csrf_token": csrf_token(page.get_data(as_text=True)), **data})


def test_a_reset_link_works_once_for_an_hour_and_ends_every_session(fixture_app: Flask, places: Places) -> None:
    signed_in = signed_in_client(fixture_app, "respondent")
    client = fixture_app.test_client()
    for email in ("Respondent@example.org", "nobody@example.org"):  # the same answer, known address or not
        sent = _post(client, "/password-reset", {"email": email})
        assert "If " + email + " has an account" in sent.get_data(as_text=True)
    assert _reset_links(fixture_app, "nobody@example.org") == []
    [link] = _reset_links(fixture_app, "respondent@example.org")
    with fixture_app.app_context():
        stored = db.session().scalars(select(PasswordReset.token_hash)).all()
        assert link.rsplit("/", 1)[1] not in stored  # only a hash is kept
    weak = _post(client, link, {"new": "password1234", "confirm": "password1234"})
    assert weak.status_code == 400
    done = _post(client, link, {"new": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert done.headers["Location"] == "/sign-in"
    assert client.get(link).status_code == 404  # once only
    assert signed_in.get("/account/password").status_code == 302  # every session ended
    signed_in_again = _post(client, "/sign-in", {"email": "respondent@example.org", "password": NEW_PASSWORD})
    assert signed_in_again.status_code == 302
    assert _subjects(fixture_app, "respondent@example.org") == ["Reset your password", "A change to how you sign in"]


def test_an_old_or_expired_link_is_refused_and_a_reset_lifts_the_sign_in_pause(fixture_app: Flask,
                                                                                places: Places) -> None:
    client = fixture_app.test_client()
    _post(client, "/password-reset", {"email": "lead@example.org"})
    _post(client, "/password-reset", {"email": "lead@example.org"})
    first, second = _reset_links(fixture_app, "lead@example.org")
    assert client.get(first).status_code == 404  # a newer link replaces it
    with fixture_app.app_context():
        for reset in db.session().scalars(select(PasswordReset)):
            reset.expires_at = reset.created_at
        db.session().add(SignInThrottle(key="account:lead@example.org", attempts=5))
        db.session().commit()
    assert client.get(second).status_code == 404
    _post(client, "/password-reset", {"email": "lead@example.org"})
    third = _reset_links(fixture_app, "lead@example.org")[-1]
    assert _post(client, third, {"new": NEW_PASSWORD, "confirm": NEW_PASSWORD}).status_code == 302
    with fixture_app.app_context():
        assert db.session().get(SignInThrottle, "account:lead@example.org") is None
    _post(client, "/password-reset", {"email": "lead@example.org"})
    assert len(_reset_links(fixture_app, "lead@example.org")) == 3  # at most three emails an hour


def _set_up_two_factor(app: Flask, persona: str) -> str:
    client = signed_in_client(app, persona)
    page = client.get("/account/two-factor").get_data(as_text=True)
    secret = re.search(r'<code class="app-setup-key">([A-Z2-7]+)</code>', page)
    assert secret
    wrong = client.post("/account/two-factor", data={"csrf_token": csrf_token(page), "code": "000000"})
    assert wrong.status_code == 400
    code = pyotp.TOTP(secret.group(1)).now()
    assert client.post("/account/two-factor", data={"csrf_token": csrf_token(page), "code": code}).status_code == 302
    return secret.group(1)


def test_two_factor_sign_in_asks_for_a_code_that_works_once(fixture_app: Flask, places: Places,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    secret = _set_up_two_factor(fixture_app, "lead")
    client = fixture_app.test_client()
    password_done = _post(client, "/sign-in?next=/account/password", {"email": "lead@example.org",
                                                                      "password": PLACES_PASSWORD})
    assert password_done.headers["Location"] == "/sign-in/code"
    assert client.get("/account/password").status_code == 302  # not signed in until the code
    later = time.time() + 90  # a code of its own, not the one used to set up
    monkeypatch.setattr(time, "time", lambda: later)
    code = pyotp.TOTP(secret).at(later)
    wrong = "123456" if code != "123456" else "654321"
    assert _post(client, "/sign-in/code", {"code": wrong}).status_code == 400
    done = _post(client, "/sign-in/code", {"code": code})
    assert done.headers["Location"] == "/account/password"
    again = fixture_app.test_client()
    _post(again, "/sign-in", {"email": "lead@example.org", "password": PLACES_PASSWORD})
    assert _post(again, "/sign-in/code", {"code": code}).status_code == 400


def test_admins_and_analysts_must_set_up_two_factor_when_required(fixture_app: Flask, places: Places) -> None:
    fixture_app.config["REQUIRE_TWO_FACTOR"] = True
    admin = signed_in_client(fixture_app, "admin")
    assert admin.get("/admin/").headers["Location"] == "/account/two-factor"
    assert signed_in_client(fixture_app, "respondent").get("/account/password").status_code == 200
    _set_up_two_factor(fixture_app, "analyst")
    with fixture_app.app_context():
        analyst = db.session().scalar(select(User).filter_by(email="analyst@example.org"))
        assert analyst is not None and analyst.totp_secret is not None


def test_a_failing_mail_server_never_shows_an_error_or_reveals_an_account(fixture_app: Flask, places: Places) -> None:
    fixture_app.config.update(MAIL_BACKEND="smtp", MAIL_SERVER="127.0.0.1", MAIL_PORT=9, MAIL_SECURITY="none")
    client = fixture_app.test_client()
    for email in ("respondent@example.org", "nobody@example.org"):
        sent = _post(client, "/password-reset", {"email": email})
        assert sent.status_code == 200 and "If " + email + " has an account" in sent.get_data(as_text=True)
