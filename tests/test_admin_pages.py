"""The administrator's pages for users, councils and the questionnaire library: invite, memberships, register
import with a preview, and staging, offering, retiring and comparing questionnaire versions."""

from __future__ import annotations

import io
import re
from email import message_from_bytes, policy
from html import unescape
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from assess import db
from assess.cli import main
from assess.models import Assessment, AuditEvent, Membership, Organisation, QuestionnaireVersion, User, VersionStatus
from tests.conftest import FIXTURES, VALID, Places, csrf_token, signed_in_client

SMALL_REGISTER = FIXTURES / "registers" / "small.csv"
STAGED = (VALID / "staged.yaml").read_text()


def _post(client: FlaskClient, page: str, url: str, data: dict[str, Any]) -> Any:
    token = csrf_token(client.get(page).get_data(as_text=True))
    return client.post(url, data={"csrf_token": token, **data}, content_type="multipart/form-data")


def _events(app: Flask, action: str) -> list[AuditEvent]:
    with app.app_context():
        return list(db.session().scalars(select(AuditEvent).filter_by(action=action).order_by(AuditEvent.id)))


def _count(app: Flask, model: type[Any]) -> int:
    with app.app_context():
        return int(db.session().scalar(select(func.count()).select_from(model)) or 0)


def _errors(page: str) -> list[str]:
    summary = page.split("govuk-error-summary__list", 1)[1].split("</ul>", 1)[0]
    return [unescape(item).strip() for item in re.findall(r'<a href="[^"]*"\s*>([^<]*)</a>', summary)]


def test_an_admin_invites_a_person_who_chooses_a_password_through_the_link(fixture_app: Flask,
                                                                          places: Places) -> None:
    admin = signed_in_client(fixture_app, "admin")
    typed = {"name": "Nia Okafor", "email": "not an address", "roles": ["analyst"]}
    refused = _post(admin, "/admin/users/new", "/admin/users/new", typed)
    page = refused.get_data(as_text=True)
    assert refused.status_code == 400 and _errors(page) == ["Enter an email address like name@example.org"]
    assert 'value="Nia Okafor"' in page and 'value="not an address"' in page and 'value="analyst" checked' in page
    taken = _post(admin, "/admin/users/new", "/admin/users/new", {**typed, "email": "LEAD@example.org"})
    assert taken.status_code == 400 and _errors(taken.get_data(as_text=True)) == [
        "Lead@example.org already has an account"]
    made = _post(admin, "/admin/users/new", "/admin/users/new", {**typed, "email": "Nia.Okafor@example.org"})
    assert made.status_code == 302
    assert "Nia Okafor has been sent an invitation" in admin.get(made.headers["Location"]).get_data(as_text=True)
    renewed = _post(admin, made.headers["Location"], f"{made.headers['Location']}/invitation", {})
    assert renewed.status_code == 302
    bodies = [message_from_bytes(path.read_bytes(), policy=policy.default).get_body(("plain",)).get_content()
              for path in sorted(Path(fixture_app.instance_path, "outbox").glob("*.eml")) if "nia.okafor" in path.name]
    first, link = (re.findall(r"http\S+/password-reset/\S+", body)[0].removeprefix("http://127.0.0.1:5000")
                   for body in bodies)
    assert "for 14 days" in bodies[0] and fixture_app.test_client().get(first).status_code == 404
    with fixture_app.app_context():
        invited = db.session().scalar(select(User).filter_by(email="nia.okafor@example.org"))
        assert invited is not None and invited.password_hash is None and invited.site_roles == ["analyst"]
        stored = " ".join(str(row) for row in db.session().execute(select(AuditEvent.detail)).all())
        assert link.rsplit("/", 1)[1] not in stored  # only the token's hash is kept
    [event] = _events(fixture_app, "account-invited")
    assert event.detail == {"after": {"email": "nia.okafor@example.org", "name": "Nia Okafor",
                                      "site_roles": ["analyst"]}}
    newcomer = fixture_app.test_client()
    chosen = _post(newcomer, link, link, {"new": "violet kettle marmalade", "confirm": "violet kettle marmalade"})
    assert chosen.status_code == 302
    assert newcomer.get(link).status_code == 404  # single use
    signed = _post(newcomer, "/sign-in", "/sign-in", {"email": "nia.okafor@example.org",
                                                      "password": "violet kettle marmalade"})
    assert signed.status_code == 302
    again = _post(admin, made.headers["Location"], f"{made.headers['Location']}/invitation", {})
    assert "has chosen a password already" in admin.get(again.headers["Location"]).get_data(as_text=True)
    assert [e.action for e in _events(fixture_app, "account-invitation-renewed")] == ["account-invitation-renewed"]


def test_users_are_searched_and_their_council_memberships_changed(fixture_app: Flask, places: Places) -> None:
    admin = signed_in_client(fixture_app, "admin")
    found = admin.get("/admin/?q=LEAD%20example").get_data(as_text=True)
    assert "lead@example.org" in found and "other-lead@example.org" in found and "analyst@example.org" not in found
    assert "100%" not in admin.get("/admin/?q=100%25").get_data(as_text=True).split("<tbody", 1)[1].split(
        "</tbody>")[0]
    person = places.own.person_id
    page = f"/admin/users/{person}"
    missing = _post(admin, page, f"{page}/memberships", {"council": "OTH"})
    text = missing.get_data(as_text=True)
    assert missing.status_code == 400
    assert _errors(text) == ["Choose their role in the council", "Choose the group they answer for"]
    assert '<option value="OTH" selected>' in text
    own_page = f"/admin/users/{_admin_id(fixture_app)}"
    admin_page = _post(admin, own_page, f"{own_page}/memberships", {}).get_data(as_text=True)
    assert 'value="admin" checked' in admin_page  # the roles shown are the person's, not the failed post's
    assert _post(admin, page, f"{page}/memberships", {"council": "NOPE", "role": "lead",
                                                       "group": "officer"}).status_code == 400
    added = _post(admin, page, f"{page}/memberships", {"council": "OTH", "role": "lead", "group": "officer"})
    assert added.status_code == 302
    changed = _post(admin, page, f"{page}/memberships", {"council": "OWN", "role": "lead", "group": "member"})
    assert changed.status_code == 302
    removed = _post(admin, page, f"{page}/memberships/remove", {"council": "OTH"})
    assert "is no longer a member of OTH Council" in admin.get(removed.headers["Location"]).get_data(as_text=True)
    again = _post(admin, page, f"{page}/memberships/remove", {"council": "OTH"})
    assert "Respondent is not a member of OTH Council" in admin.get(again.headers["Location"]).get_data(as_text=True)
    events = [(e.action, e.detail) for action in ("membership-added", "membership-changed", "membership-removed")
              for e in _events(fixture_app, action) if e.subject == f"user:{person}"]
    assert events == [
        ("membership-added", {"before": None, "after": {"role": "lead", "group": "officer"}}),
        ("membership-changed", {"before": {"role": "respondent", "group": "member"},
                                "after": {"role": "lead", "group": "member"}}),
        ("membership-removed", {"before": {"role": "lead", "group": "officer"}, "after": None})]
    with fixture_app.app_context():
        held = db.session().scalars(select(Membership).filter_by(user_id=person)).all()
        assert [(m.organisation.code, m.role.value) for m in held] == [("OWN", "lead")]


def _admin_id(app: Flask) -> int:
    with app.app_context():
        return int(db.session().scalar(select(User.id).filter_by(email="admin@example.org")) or 0)


def _upload(client: FlaskClient, content: bytes, name: str = "register.csv") -> Any:
    return _post(client, "/admin/councils/import", "/admin/councils/import",
                 {"file": (io.BytesIO(content), name)})


def _held(page: str) -> str:
    return re.findall(r'name="upload" type="hidden" value="([^"]+)"', page)[0]


def test_a_register_is_previewed_then_imported_and_nothing_changes_on_any_error(fixture_app: Flask,
                                                                               places: Places) -> None:
    admin = signed_in_client(fixture_app, "admin")
    before = _count(fixture_app, Organisation)
    preview = _upload(admin, SMALL_REGISTER.read_bytes(), "small.csv")
    page = preview.get_data(as_text=True)
    assert preview.status_code == 200 and "6 councils added, 0 changed and 0 unchanged" in page
    assert _count(fixture_app, Organisation) == before  # a preview changes nothing
    held = _held(page)
    token = csrf_token(page)
    tampered = admin.post("/admin/councils/import/confirm", data={"csrf_token": token, "upload": held[:-2] + "xx"})
    assert tampered.status_code == 400 and _count(fixture_app, Organisation) == before
    assert "upload the file again" in _errors(tampered.get_data(as_text=True))[0]
    analyst = signed_in_client(fixture_app, "analyst")
    assert analyst.post("/admin/councils/import/confirm", data={
        "csrf_token": csrf_token(analyst.get("/account/password").get_data(as_text=True)),
        "upload": held}).status_code == 404
    imported = admin.post("/admin/councils/import/confirm", data={"csrf_token": token, "upload": held})
    assert imported.status_code == 302
    assert "small.csv imported: 6 councils added, 0 changed, 0 unchanged" in admin.get("/admin/").get_data(
        as_text=True)
    assert _count(fixture_app, Organisation) == before + 6
    [event] = _events(fixture_app, "councils-imported")
    assert event.subject == "register:small.csv" and event.detail is not None
    assert event.detail["added"] == ["TSH", "NBR", "RVM", "MET", "OAK", "HAR"]

    changed = SMALL_REGISTER.read_text().replace("96250", "97000")
    page = _upload(admin, changed.encode()).get_data(as_text=True)
    assert "0 councils added, 1 changed and 5 unchanged" in page and "96250" in page and "97000" in page

    broken = changed + "XYZ,,,,,\nNBR,Again,,,Unitary authority,South West,,\nBAD,Bad,,E0,District,London,,12\n"
    refused = _upload(admin, broken.encode())
    assert refused.status_code == 400
    assert _errors(refused.get_data(as_text=True)) == [
        "register.csv: line 8: 'name' is empty", "register.csv: line 9: code 'NBR' is already on line 3",
        "register.csv: line 10: gss_code 'E0' is not an ONS code like E07000223"]
    assert 'name="upload"' not in refused.get_data(as_text=True)
    for content, problem in ((b"\xff\xfe", "UTF-8"), (b"code,name\nA,B\n", "missing column(s) type, region"),
                             (b"", "missing column")):
        answer = _upload(admin, content)
        assert answer.status_code == 400 and problem in _errors(answer.get_data(as_text=True))[0]
    nothing = _post(admin, "/admin/councils/import", "/admin/councils/import", {})
    assert _errors(nothing.get_data(as_text=True)) == ["Choose a register CSV file to upload"]
    with fixture_app.app_context():
        northbrook = db.session().scalar(select(Organisation).filter_by(code="NBR"))
        assert northbrook is not None and northbrook.population == 96250


def _library_upload(client: FlaskClient, text: str, name: str = "staged.yaml") -> Any:
    return _post(client, "/admin/questionnaires", "/admin/questionnaires",
                 {"file": (io.BytesIO(text.encode()), name)})


def _new_round_choices(app: Flask) -> list[str]:
    page = signed_in_client(app, "lead").get("/councils/OWN/rounds/new").get_data(as_text=True)
    return re.findall(r'name="questionnaires" type="checkbox" value="([^"]+)"', page)


def _version(app: Flask, questionnaire_id: str, number: int) -> QuestionnaireVersion:
    with app.app_context():
        version = db.session().scalar(select(QuestionnaireVersion).filter_by(questionnaire_id=questionnaire_id,
                                                                           version=number))
        assert version is not None
        return version


def test_a_new_version_is_checked_staged_offered_retired_and_compared(fixture_app: Flask, places: Places) -> None:
    admin = signed_in_client(fixture_app, "admin")
    listed = admin.get("/admin/questionnaires").get_data(as_text=True)
    assert "Staged example" in listed and "Offered" in listed

    broken = STAGED.replace("version: 1", "version: 2").replace("type: yes-no\n        text: Is the policy",
                                                                 "type: yes-nope\n        text: Is the policy")
    refused = _library_upload(admin, broken)
    page = refused.get_data(as_text=True)
    assert refused.status_code == 400
    [problem] = _errors(page)
    assert re.match(r"staged\.yaml:\d+:\d+: ", problem) and "yes-nope" in problem
    assert unescape(page).count("type: yes-nope") == 1  # the upload is kept, to correct
    assert 'name="name" type="hidden" value="staged.yaml"' in page
    assert _library_upload(admin, STAGED).status_code == 400  # version 1 is recorded already
    lower = _library_upload(admin, STAGED.replace("Is there an agreed policy?", "Is there a policy?"))
    assert "raise `version` to 2" in _errors(lower.get_data(as_text=True))[0]

    # Corrected in the text box the page kept, and checked again.
    corrected = broken.replace("yes-nope", "yes-no").replace("Is there an agreed policy?", "Is there a policy?")
    corrected = corrected.replace("      - id: improved", "      - id: reviewed\n        type: yes-no\n        text: "
                                  "Is it reviewed?\n        stage: 3\n        scores: {yes: 3, no: 1}\n"
                                  "      - id: improved")
    staged = _post(admin, "/admin/questionnaires", "/admin/questionnaires",
                   {"text": corrected, "name": "staged.yaml"})
    assert staged.status_code == 302
    version_two = _version(fixture_app, "staged-example", 2)
    assert version_two.status == VersionStatus.STAGED and version_two.source == "upload:staged.yaml"
    assert "staged-example" in _new_round_choices(fixture_app)
    lead = signed_in_client(fixture_app, "lead")
    page = f"/admin/questionnaires/versions/{version_two.id}"
    assert "Staged: checked, not yet offered" in admin.get(page).get_data(as_text=True)

    assert _post(admin, page, f"{page}/offer", {}).status_code == 302
    started = _post(lead, "/councils/OWN/rounds/new", "/councils/OWN/rounds/new", {
        "title": "Second round", "questionnaires": ["staged-example"], "expected_groups": ["officer"],
        "comments_named": "anonymous"})
    assert started.status_code == 302
    with fixture_app.app_context():
        second = db.session().scalar(select(Assessment).filter_by(title="Second round"))
        assert second is not None and [link.questionnaire_version.version for link in second.questionnaires] == [2]
    version_one = _version(fixture_app, "staged-example", 1)
    using = admin.get(page).get_data(as_text=True)
    assert "Second round" in using and "Own round" not in using

    for version in (version_one, version_two):
        retire = f"/admin/questionnaires/versions/{version.id}"
        assert _post(admin, retire, f"{retire}/retire", {}).status_code == 302
    assert "staged-example" not in _new_round_choices(fixture_app)
    assert "full-example" in _new_round_choices(fixture_app)
    next_round = lead.get(f"/councils/OWN/rounds/new?from={places.own.round_id}").get_data(as_text=True)
    assert re.findall(r'name="questionnaires" type="checkbox" value="([^"]+)" checked', next_round) == [
        "full-example"]  # the next round of the same questionnaires leaves out the retired one
    own_round = f"/councils/OWN/rounds/{places.own.round_id}"
    assert "Staged example" in lead.get(f"{own_round}/manage").get_data(as_text=True)  # running rounds keep it
    refused_round = _post(lead, "/councils/OWN/rounds/new", "/councils/OWN/rounds/new", {
        "title": "Third round", "questionnaires": ["staged-example"], "expected_groups": ["officer"],
        "comments_named": "anonymous"})
    assert refused_round.status_code == 400
    kept = _post(lead, f"{own_round}/edit", f"{own_round}/edit", {
        "title": "Own round, renamed", "questionnaires": ["full-example", "staged-example"],
        "expected_groups": ["officer"], "comments_named": "anonymous"})
    assert kept.status_code == 302  # a round keeps a questionnaire whose version was retired since
    assert [e.detail for e in _events(fixture_app, "questionnaire-retired")][0] == {
        "questionnaire": "staged-example", "version": 1, "before": "offered", "after": "retired"}
    assert [e.action for e in _events(fixture_app, "questionnaire-staged")] == ["questionnaire-staged"]

    synced = fixture_app.test_cli_runner().invoke(main, ["questionnaires", "sync"])
    assert synced.exit_code == 0 and "unchanged  staged-example version 1" in synced.output
    assert _version(fixture_app, "staged-example", 1).status == VersionStatus.RETIRED

    diff = admin.get(f"/admin/questionnaires/diff?from={version_one.id}&to={version_two.id}")
    text = unescape(diff.get_data(as_text=True))
    assert diff.status_code == 200
    assert "Is there an agreed policy?" in text and "Is there a policy?" in text
    assert re.search(r"Added\s*</strong>\s*Is it reviewed\?", text)
    assert re.search(r"Changed\s*</strong>\s*Section: Controls", text)
    assert admin.get("/admin/questionnaires/diff?from=x&to=99999").status_code == 400


def test_users_are_listed_fifty_a_page_and_searched_across_pages(fixture_app: Flask, places: Places) -> None:
    with fixture_app.app_context():
        session = db.session()
        session.add_all(User(email=f"person{n:03d}@example.org", name=f"Person {n:03d}") for n in range(120))
        session.commit()
        everyone = session.scalar(select(func.count(User.id)))
    admin = signed_in_client(fixture_app, "admin")
    first = admin.get("/admin/").get_data(as_text=True)
    users = first[first.index('aria-label="Users"'):first.index('aria-label="Councils"')]
    assert f"{everyone} users, 50 a page" in users and users.count('href="/admin/users/') == 50
    # GOV.UK pagination: the first pages, then an ellipsis before the last.
    assert 'class="govuk-pagination"' in first and "govuk-pagination__item--ellipses" not in first
    last = (everyone + 49) // 50
    assert f'href="/admin/?page={last}"' in first
    third = admin.get("/admin/?page=3").get_data(as_text=True)
    assert third[third.index('aria-label="Users"'):].count('href="/admin/users/') == everyone - 100
    assert admin.get(f"/admin/?page={last + 1}").status_code == 404
    assert admin.get("/admin/?page=nope").status_code == 404
    # A search counts and pages what it finds; the pages keep the search.
    found = admin.get("/admin/?q=person0").get_data(as_text=True)
    assert "100 users found for ‘person0’, 50 a page" in found and 'href="/admin/?q=person0&amp;page=2"' in found


def test_the_audit_log_names_its_subjects_and_gives_the_reason(fixture_app: Flask, places: Places) -> None:
    with fixture_app.app_context():
        session = db.session()
        lead = session.scalar(select(User).filter_by(email="lead@example.org"))
        assessment = session.get(Assessment, places.own.round_id)
        assert lead is not None and assessment is not None
        session.add_all([
            AuditEvent(action="round-in-review", user_id=lead.id, subject=f"assessment:{assessment.id}",
                       organisation_id=assessment.organisation_id,
                       detail={"from": "published", "to": "in-review", "reason": "Published by mistake"}),
            AuditEvent(action="sessions-ended", user_id=lead.id, subject=f"user:{lead.id}"),
            AuditEvent(action="response-returned", user_id=lead.id, subject="response:999999"),
        ])
        session.commit()
        title, council, name = assessment.title, assessment.organisation.name, lead.name
    page = unescape(signed_in_client(fixture_app, "admin").get("/admin/audit").get_data(as_text=True))
    assert f"{title}, {council}" in page and "Published by mistake" in page
    assert f"{name} (lead@example.org)" in page and "response:999999 (deleted)" in page
    assert f"assessment:{places.own.round_id}<" not in page


def test_a_version_is_previewed_as_a_respondent_sees_it_without_server_paths(fixture_app: Flask,
                                                                             places: Places) -> None:
    admin = signed_in_client(fixture_app, "admin")
    version = _version(fixture_app, "full-example", 1)
    page = admin.get(f"/admin/questionnaires/versions/{version.id}").get_data(as_text=True)
    assert "full.yaml" in page and str(VALID) not in page
    preview = admin.get(f"/admin/questionnaires/versions/{version.id}/preview/strategy").get_data(as_text=True)
    # The questions with their GOV.UK fields, and the way on to the next section; nothing to save.
    assert 'name="has-strategy"' in preview and "Save and continue" not in preview
    assert preview.count('method="post"') == 1  # signing out, in the header
    assert f'href="/admin/questionnaires/versions/{version.id}/preview/delivery"' in preview
    assert admin.get(f"/admin/questionnaires/versions/{version.id}/preview/nowhere").status_code == 404
