"""A person's own data: downloading everything they answered, erasure by an admin, retention after publication."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta

from flask import Flask
from sqlalchemy import func, select

from assess import db
from assess.cli import main
from assess.models import Answer, Assessment, AuditEvent, Membership, Response, ResponseKind, User, utcnow
from tests.conftest import Places, csrf_token, signed_in_client


def test_a_person_downloads_everything_they_answered(fixture_app: Flask, places: Places) -> None:
    client = signed_in_client(fixture_app, "respondent")
    as_json = client.get("/account/data.json")
    assert as_json.headers["Cache-Control"] == "no-store" and "attachment" in as_json.headers["Content-Disposition"]
    data = json.loads(as_json.get_data(as_text=True))
    assert data["person"]["email"] == "respondent@example.org"
    assert data["person"]["memberships"] == [{"council": "OWN Council", "role": "respondent", "group": "member"}]
    [response] = data["responses"]
    assert (response["council"], response["questionnaire"], response["status"]) == (
        "OWN Council", "full-example", "submitted")
    assert {a["question"]: (a["value"], a["comment"]) for a in response["answers"]} == {
        "has-strategy": ("no", None), "delivery-model": ("in-house", "All of it.")}
    rows = list(csv.DictReader(io.StringIO(client.get("/account/data.csv").get_data(as_text=True))))
    assert [(r["question"], r["value"], r["comment"]) for r in rows] == [
        ("has-strategy", "no", ""), ("delivery-model", "in-house", "All of it.")]


def test_an_admin_erases_a_person_and_the_agreed_response_stays(fixture_app: Flask, places: Places) -> None:
    with fixture_app.app_context():
        session = db.session()
        lead = session.scalar(select(User).filter_by(email="lead@example.org"))
        assessment = session.get(Assessment, places.own.round_id)
        assert lead is not None and assessment is not None
        version = assessment.questionnaires[0].questionnaire_version
        agreed = Response(assessment=assessment, questionnaire_version=version, kind=ResponseKind.CONSENSUS)
        session.add(agreed)
        session.flush()
        session.add(Answer(response=agreed, question_id="has-strategy", value="yes",
                           changed_by_id=places.own.person_id))
        session.commit()
    respondent = signed_in_client(fixture_app, "respondent")
    admin = signed_in_client(fixture_app, "admin")
    page = f"/admin/users/{places.own.person_id}"
    token = csrf_token(admin.get(page).get_data(as_text=True))
    assert admin.post(f"{page}/erase", data={"csrf_token": token}).status_code == 302
    assert respondent.get("/account/password").status_code == 302
    with fixture_app.app_context():
        session = db.session()
        person = session.get(User, places.own.person_id)
        assert person is not None and (person.name, person.active, person.password_hash) == (
            "Erased person", False, None)
        assert "respondent" not in person.email
        assert session.scalar(select(func.count(Membership.id)).filter_by(user_id=person.id)) == 0
        individual = session.get(Response, places.own.response_id)
        assert individual is not None and individual.respondent_id is None
        assert {a.question_id: (a.value, a.comment) for a in individual.answers} == {
            "has-strategy": ("no", None), "delivery-model": ("in-house", None)}
        kept = session.scalar(select(Answer).join(Response).where(Response.kind == ResponseKind.CONSENSUS))
        assert kept is not None and (kept.value, kept.changed_by_id) == ("yes", None)
        assert session.scalar(select(AuditEvent.action).order_by(AuditEvent.id.desc())) == "person-erased"


def test_retention_anonymises_individual_answers_of_rounds_published_long_ago(fixture_app: Flask,
                                                                               places: Places) -> None:
    cli = fixture_app.test_cli_runner()
    assert "are kept" in cli.invoke(main, ["retention"]).output
    fixture_app.config["INDIVIDUAL_ANSWERS_RETENTION_DAYS"] = 365
    with fixture_app.app_context():
        own = db.session().get(Assessment, places.own.round_id)
        other = db.session().get(Assessment, places.other.round_id)
        assert own is not None and other is not None
        own.published_at, other.published_at = utcnow() - timedelta(days=400), utcnow() - timedelta(days=30)
        db.session().commit()
    assert "1 individual response(s) anonymised" in cli.invoke(main, ["retention"]).output
    with fixture_app.app_context():
        old = db.session().get(Response, places.own.response_id)
        recent = db.session().get(Response, places.other.response_id)
        assert old is not None and recent is not None
        assert old.respondent_id is None and recent.respondent_id == places.other.person_id
