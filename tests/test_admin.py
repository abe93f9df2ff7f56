"""The administrator's pages: accounts (roles, deactivation, sign out everywhere, two-factor) and the audit log."""

from __future__ import annotations

import csv
import io
import re

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from assess import db
from assess.models import AuditEvent, User
from tests.conftest import Places, csrf_token, signed_in_client


def _person(app: Flask, email: str) -> User:
    with app.app_context():
        user = db.session().scalar(select(User).filter_by(email=email))
        assert user is not None
        return user


def _post(client: FlaskClient, page: str, url: str, data: dict[str, object] | None = None) -> str:
    token = csrf_token(client.get(page).get_data(as_text=True))
    answer = client.post(url, data={"csrf_token": token, **(data or {})})
    assert answer.status_code == 302, answer.status_code
    return client.get(answer.headers["Location"]).get_data(as_text=True)


def test_an_admin_changes_roles_deactivates_and_signs_people_out(fixture_app: Flask, places: Places) -> None:
    admin = signed_in_client(fixture_app, "admin")
    lead = signed_in_client(fixture_app, "lead")
    person = _person(fixture_app, "lead@example.org").id
    page = f"/admin/users/{person}"
    assert "Lead" in admin.get(page).get_data(as_text=True)
    roles = _post(admin, page, f"{page}/roles", {"roles": ["analyst", "facilitator"]})
    assert "has been given the site roles chosen" in roles
    assert sorted(_person(fixture_app, "lead@example.org").site_roles) == ["analyst", "facilitator"]
    assert lead.get("/account/password").status_code == 200
    _post(admin, page, f"{page}/sign-out-everywhere")
    assert lead.get("/account/password").status_code == 302
    lead = signed_in_client(fixture_app, "lead")
    deactivated = _post(admin, page, f"{page}/deactivate")
    assert "deactivated: every session of it has ended" in deactivated
    assert lead.get("/account/password").status_code == 302
    _post(admin, page, f"{page}/reactivate")
    with fixture_app.app_context():
        events = db.session().scalars(select(AuditEvent).where(AuditEvent.subject == f"user:{person}")
                                      .order_by(AuditEvent.id)).all()
        assert [e.action for e in events] == ["site-roles-changed", "sessions-ended", "account-deactivated",
                                              "sessions-ended", "account-reactivated"]
        assert events[0].detail == {"before": [], "after": ["analyst", "facilitator"]}
        assert events[0].ip_address == "127.0.0.1"


def test_an_admin_cannot_lock_themselves_out(fixture_app: Flask, places: Places) -> None:
    admin = signed_in_client(fixture_app, "admin")
    me = _person(fixture_app, "admin@example.org").id
    page = f"/admin/users/{me}"
    assert "You cannot take away your own admin role" in _post(admin, page, f"{page}/roles", {"roles": ["analyst"]})
    assert "You cannot deactivate your own account" in _post(admin, page, f"{page}/deactivate")
    assert _person(fixture_app, "admin@example.org").site_roles == ["admin"]


def _cells(page: str) -> set[str]:
    return set(re.findall(r'<td class="govuk-table__cell">([^<]*)</td>', page))


def test_the_audit_log_filters_and_exports_what_it_shows(fixture_app: Flask, places: Places) -> None:
    signed_in_client(fixture_app, "lead")
    wrong = fixture_app.test_client()
    token = csrf_token(wrong.get("/sign-in").get_data(as_text=True))
    wrong.post("/sign-in", data={"csrf_token": token, "email": "=cmd@example.org", "password": "nope"},
               headers={"User-Agent": "Hostile/1.0"})
    admin = signed_in_client(fixture_app, "admin")
    everything = admin.get("/admin/audit").get_data(as_text=True)
    assert {"signed-in", "invitation-created"} <= _cells(everything)
    failures = _cells(admin.get("/admin/audit?action=sign-in-failed").get_data(as_text=True))
    assert "=cmd@example.org" in failures and "invitation-created" not in failures
    own = _cells(admin.get("/admin/audit?council=own").get_data(as_text=True))
    assert "invitation-created" in own and "signed-in" not in own
    assert "signed-in" not in _cells(admin.get("/admin/audit?until=2000-01-01").get_data(as_text=True))
    assert "signed-in" in _cells(admin.get("/admin/audit?person=LEAD@").get_data(as_text=True))
    assert admin.get("/admin/audit?since=not-a-date&person=%00").status_code == 200
    token = csrf_token(everything)
    exported = admin.post("/admin/audit.csv", data={"csrf_token": token, "action": "sign-in-failed"})
    assert exported.mimetype == "text/csv" and exported.headers["Cache-Control"] == "no-store"
    rows = list(csv.DictReader(io.StringIO(exported.get_data(as_text=True))))
    assert [(row["action"], row["subject"], row["user_agent"]) for row in rows] == [
        ("sign-in-failed", "'=cmd@example.org", "Hostile/1.0")]  # formula-safe
    with fixture_app.app_context():
        export = db.session().scalar(select(AuditEvent).filter_by(action="audit-exported"))
        assert export is not None and export.detail == {"rows": 1, "filter": {"action": "sign-in-failed"}}
