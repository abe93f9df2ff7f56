"""Sessions end on the server: signing out, a new password, deactivation, an admin's "sign out everywhere",
idle time; and what was typed when a session ended is kept, to be saved after signing in again."""

from __future__ import annotations

import time

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from assess import db
from assess.models import Answer, AuditEvent, HeldForm, Response, User
from assess.services.users import end_sessions
from tests.conftest import PLACES_PASSWORD, Places, csrf_token, hidden_fields, signed_in_client

NEW_PASSWORD = "correct horse battery staple"


def _url(places: Places) -> str:
    return f"/councils/{places.own.code}/rounds/{places.own.round_id}/staged-example/controls"


def _signed_in(client: FlaskClient) -> bool:
    return client.get("/account/password").status_code == 200


def _copy(app: Flask, client: FlaskClient) -> FlaskClient:
    """Another browser holding a copy of the client's session cookie."""
    cookie = client.get_cookie("session")
    assert cookie is not None
    other = app.test_client()
    other.set_cookie("session", cookie.value)
    return other


def _sign_out(client: FlaskClient) -> None:
    token = csrf_token(client.get("/account/password").get_data(as_text=True))
    assert client.post("/sign-out", data={"csrf_token": token}).status_code == 302


def test_a_cookie_copied_before_signing_out_fails_after_it(fixture_app: Flask, places: Places) -> None:
    client = signed_in_client(fixture_app, "respondent")
    copied = _copy(fixture_app, client)
    elsewhere = signed_in_client(fixture_app, "respondent")
    assert _signed_in(copied) and _signed_in(elsewhere)
    _sign_out(client)
    assert not _signed_in(copied)
    assert not _signed_in(elsewhere)  # every session of the person ends, on every device
    assert copied.get("/").headers["Location"].startswith("/sign-in")


def test_a_new_password_ends_every_other_session_and_keeps_this_one(fixture_app: Flask, places: Places) -> None:
    client = signed_in_client(fixture_app, "respondent")
    copied = _copy(fixture_app, client)
    page = client.get("/account/password").get_data(as_text=True)
    wrong = client.post("/account/password", data={"csrf_token": csrf_token(page), "current": "not it",
                                                   "new": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert wrong.status_code == 400 and "Enter your current password correctly" in wrong.get_data(as_text=True)
    weak = client.post("/account/password", data={"csrf_token": csrf_token(page), "current": PLACES_PASSWORD,
                                                  "new": "password1234", "confirm": "password1234"})
    assert weak.status_code == 400 and "harder to guess" in weak.get_data(as_text=True)
    changed = client.post("/account/password", data={"csrf_token": csrf_token(page), "current": PLACES_PASSWORD,
                                                      "new": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert changed.status_code == 302
    assert _signed_in(client) and not _signed_in(copied)
    with fixture_app.app_context():
        actions = db.session().scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
        assert actions[-2:] == ["password-changed", "sessions-ended"]


def test_deactivation_and_sign_out_everywhere_end_sessions(fixture_app: Flask, places: Places) -> None:
    respondent = signed_in_client(fixture_app, "respondent")
    lead = signed_in_client(fixture_app, "lead")
    with fixture_app.app_context():
        session = db.session()
        people = {u.email.split("@")[0]: u for u in session.scalars(select(User))}
        with pytest.raises(LookupError):  # only an admin may end someone else's sessions
            end_sessions(session, people["respondent"], people["lead"], "signed-out-by-admin")
        end_sessions(session, people["respondent"], people["admin"], "signed-out-by-admin")
        people["lead"].active = False
        session.commit()
    assert not _signed_in(respondent) and not _signed_in(lead)


def test_an_idle_session_ends(fixture_app: Flask, places: Places, monkeypatch: pytest.MonkeyPatch) -> None:
    client = signed_in_client(fixture_app, "respondent")
    started = time.time()
    monkeypatch.setattr(time, "time", lambda: started + 59 * 60)
    assert _signed_in(client)  # each request starts the idle time again
    monkeypatch.setattr(time, "time", lambda: started + 59 * 60 + 61 * 60)
    assert not _signed_in(client)


def test_a_session_ends_twelve_hours_after_signing_in_however_active(fixture_app: Flask, places: Places,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    client = signed_in_client(fixture_app, "respondent")
    started = time.time()
    for minutes in range(50, 12 * 60, 50):  # a request every 50 minutes: never idle
        monkeypatch.setattr(time, "time", lambda minutes=minutes: started + minutes * 60)
        assert _signed_in(client)
    monkeypatch.setattr(time, "time", lambda: started + 12 * 3600 + 60)
    assert not _signed_in(client)


def test_pages_say_when_the_session_will_end(fixture_app: Flask, places: Places) -> None:
    page = signed_in_client(fixture_app, "respondent").get("/account/password").get_data(as_text=True)
    assert 'data-idle-seconds="3600"' in page and 'id="timeout-warning"' in page and "/static/timeout.js" in page
    assert signed_in_client(fixture_app, "respondent").get("/session/keep-alive").status_code == 204
    assert "timeout-warning" not in fixture_app.test_client().get("/sign-in").get_data(as_text=True)


def _answers(app: Flask, places: Places) -> dict[str, object]:
    with app.app_context():
        session = db.session()
        response = session.scalar(select(Response).filter_by(assessment_id=places.own.round_id,
                                                             respondent_id=places.own.person_id)
                                  .join(Response.questionnaire_version).filter_by(questionnaire_id="staged-example"))
        if response is None:
            return {}
        return {a.question_id: a.value for a in session.scalars(select(Answer).filter_by(response_id=response.id))}


@pytest.mark.parametrize("ended_by", ["idle time", "signing out elsewhere"])
def test_typing_posted_after_the_session_ended_is_saved_after_signing_in_again(
        fixture_app: Flask, places: Places, monkeypatch: pytest.MonkeyPatch, ended_by: str) -> None:
    client = signed_in_client(fixture_app, "respondent")
    fields = hidden_fields(client.get(_url(places)).get_data(as_text=True))
    if ended_by == "idle time":
        later = time.time() + 61 * 60
        monkeypatch.setattr(time, "time", lambda: later)
    else:
        _sign_out(signed_in_client(fixture_app, "respondent"))
    posted = client.post(_url(places), data={**fields, "has-policy": "yes", "tested": "no", "action": "continue"})
    assert posted.status_code == 302 and posted.headers["Location"] == "/sign-in?next=/session/held-form"
    assert _answers(fixture_app, places) == {}  # nothing saved yet
    page = client.get(posted.headers["Location"]).get_data(as_text=True)
    assert "sign in again to save it" in page
    signed_in = client.post(posted.headers["Location"], data={"csrf_token": csrf_token(page),
                                                              "email": "RESPONDENT@example.org",
                                                              "password": PLACES_PASSWORD})
    assert signed_in.headers["Location"] == "/session/held-form"
    held = client.get("/session/held-form").get_data(as_text=True)
    assert "Save what you typed" in held and 'name="has-policy" value="yes"' in held
    saved = client.post(_url(places), data=hidden_fields(held))  # what the button sends
    # Saved; the section is not complete yet ("Save and continue" was pressed), so the page says what it needs.
    assert saved.status_code == 400
    assert "Your answers have been saved. Before this section is complete:" in saved.get_data(as_text=True)
    assert _answers(fixture_app, places) | {"improved": None} == {"has-policy": "yes", "tested": "no",
                                                                  "improved": None}
    with fixture_app.app_context():
        assert db.session().scalar(select(func.count(HeldForm.id))) == 0
    assert client.get("/session/held-form").status_code == 404


def test_a_held_form_is_only_offered_to_its_own_person(fixture_app: Flask, places: Places,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    client = signed_in_client(fixture_app, "respondent")
    fields = hidden_fields(client.get(_url(places)).get_data(as_text=True))
    later = time.time() + 61 * 60
    monkeypatch.setattr(time, "time", lambda: later)
    client.post(_url(places), data={**fields, "has-policy": "yes"})
    page = client.get("/sign-in").get_data(as_text=True)
    client.post("/sign-in", data={"csrf_token": csrf_token(page), "email": "lead@example.org",
                                  "password": PLACES_PASSWORD})
    assert client.get("/session/held-form").status_code == 404


def test_a_post_from_nobody_signed_in_is_not_held(fixture_app: Flask, places: Places) -> None:
    client = fixture_app.test_client()
    token = csrf_token(client.get("/sign-in").get_data(as_text=True))
    assert client.post(_url(places), data={"csrf_token": token, "has-policy": "yes"}).headers[
        "Location"].startswith("/sign-in?next=")
    assert client.post(_url(places), data={"has-policy": "yes"}).status_code == 400  # no token: out of date
    with fixture_app.app_context():
        assert db.session().scalar(select(func.count(HeldForm.id))) == 0


def _held_forms(app: Flask) -> int:
    with app.app_context():
        return db.session().scalar(select(func.count(HeldForm.id))) or 0


@pytest.mark.parametrize("typed", ["yes", "y" * 250_000], ids=["a short form", "250,000 characters"])
def test_a_post_from_a_live_session_with_a_wrong_token_is_refused_and_not_held(fixture_app: Flask, places: Places,
                                                                               typed: str) -> None:
    client = signed_in_client(fixture_app, "respondent")
    refused = client.post(_url(places), data={"csrf_token": "someone else's", "has-policy": typed},
                          headers={"Referer": f"http://localhost{_url(places)}"})
    page = refused.get_data(as_text=True)
    assert refused.status_code == 400 and "Your page was out of date" in page and "You were signed out" not in page
    assert f'href="{_url(places)}">Go back to the page</a>' in page
    assert _held_forms(fixture_app) == 0 and _answers(fixture_app, places) == {}
    assert _signed_in(client) and client.get("/session/held-form").status_code == 404


def test_after_the_session_ended_a_post_with_a_wrong_token_is_refused_and_not_held(
        fixture_app: Flask, places: Places, monkeypatch: pytest.MonkeyPatch) -> None:
    """Only the form's own page (with the session's token) can have what it sends held: not a forged post."""
    client = signed_in_client(fixture_app, "respondent")
    later = time.time() + 61 * 60
    monkeypatch.setattr(time, "time", lambda: later)
    refused = client.post(_url(places), data={"csrf_token": "forged", "has-policy": "no"})
    assert refused.status_code == 400 and "Your page was out of date" in refused.get_data(as_text=True)
    assert _held_forms(fixture_app) == 0
    page = client.get("/sign-in").get_data(as_text=True)
    client.post("/sign-in", data={"csrf_token": csrf_token(page), "email": "respondent@example.org",
                                  "password": PLACES_PASSWORD})
    assert client.get("/session/held-form").status_code == 404
