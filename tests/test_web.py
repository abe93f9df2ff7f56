"""Every route of the respondent journey through Flask's test client: access, CSRF, validation, saving."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from assess import db, questionnaire_library
from assess.models import Assessment, Organisation, Response, ResponseStatus, User
from assess.services.demo import DEMO_ROUND, create_demo
from assess.services.users import add_user
from tests.conftest import csrf_token, submit_form

PASSWORD = "demo-password-1"


@dataclass(frozen=True)
class Demo:
    """Ids of the demo records a test works with."""

    round_id: int
    round_url: str


@pytest.fixture
def demo(app: Flask) -> Demo:
    """The demo council with its accounts, plus a council DEMO's users do not belong to."""
    with app.app_context():
        session = db.session()
        create_demo(session, questionnaire_library(app), PASSWORD)
        session.add(Organisation(code="OTHER", name="Other Council", type="County", region="London"))
        session.commit()
        round_id = session.scalar(select(Assessment.id).filter_by(title=DEMO_ROUND))
    assert round_id is not None
    return Demo(round_id, f"/councils/DEMO/rounds/{round_id}/")


def sign_in(client: FlaskClient, email: str, password: str = PASSWORD) -> None:
    response = submit_form(client, "/sign-in", {"email": email, "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)


def html(response: object) -> str:
    return response.get_data(as_text=True)  # type: ignore[attr-defined,no-any-return]


def test_pages_need_sign_in(client: FlaskClient, demo: Demo) -> None:
    for url in ["/", "/councils/DEMO/", demo.round_url, demo.round_url + "data/data-leadership-and-strategy",
                demo.round_url + "data/check", demo.round_url + "data/results", "/councils/DEMO/rounds/new"]:
        response = client.get(url)
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/sign-in?next=")


def test_sign_in_errors_keep_the_email_and_show_the_error_summary(client: FlaskClient, demo: Demo) -> None:
    response = submit_form(client, "/sign-in", {"email": "member@demo.example", "password": "wrong password"})
    page = html(response)
    assert response.status_code == 200
    assert "govuk-error-summary" in page and "Enter a correct email address and password" in page
    assert 'value="member@demo.example"' in page
    assert page.count("<title>Error: Sign in") == 1

    empty = submit_form(client, "/sign-in", {"email": "", "password": ""})
    assert "Enter your email address" in html(empty) and "Enter your password" in html(empty)


def test_sign_in_is_paused_after_repeated_failures(client: FlaskClient, demo: Demo) -> None:
    for _ in range(5):
        submit_form(client, "/sign-in", {"email": "member@demo.example", "password": "wrong password"})
    blocked = submit_form(client, "/sign-in", {"email": "member@demo.example", "password": PASSWORD})
    assert blocked.status_code == 429
    assert "Too many attempts to sign in" in html(blocked)


def test_sign_in_redirects_only_within_the_site(client: FlaskClient, demo: Demo) -> None:
    page = client.get("/sign-in?next=//evil.example/")
    response = client.post("/sign-in?next=//evil.example/", data={
        "csrf_token": csrf_token(html(page)), "email": "member@demo.example", "password": PASSWORD})
    assert response.headers["Location"] == "/"


def test_session_cookie_is_httponly_and_lax(client: FlaskClient, demo: Demo) -> None:
    page = client.get("/sign-in")
    response = client.post("/sign-in", data={
        "csrf_token": csrf_token(html(page)), "email": "member@demo.example", "password": PASSWORD})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    secure = client.get("/", base_url="https://localhost")
    assert "Secure" in secure.headers.get("Set-Cookie", "Secure")


def test_forms_without_a_csrf_token_are_refused(client: FlaskClient, demo: Demo) -> None:
    response = client.post("/sign-in", data={"email": "member@demo.example", "password": PASSWORD})
    assert response.status_code == 400
    assert "Your page was out of date" in html(response)
    sign_in(client, "member@demo.example")
    # From a live session too: refused, nothing saved and nothing held (what came may be anyone's), a way back.
    section = demo.round_url + "leadership/vision-and-priorities"
    for url in (section, demo.round_url + "leadership/check", "/sign-out"):
        refused = client.post(url, data={"action": "continue"}, headers={"Referer": f"http://localhost{section}"})
        assert refused.status_code == 400 and "Your page was out of date" in html(refused), url
        assert f'href="{section}">Go back to the page</a>' in html(refused) and "Sign out" in html(refused)
    with client.session_transaction() as session:
        assert "held_form" not in session and session["user_id"]


def test_other_councils_pages_answer_404(client: FlaskClient, demo: Demo, app: Flask) -> None:
    with app.app_context():
        other = db.session().scalar(select(Organisation).filter_by(code="OTHER"))
        assert other is not None
        other_round = Assessment(organisation=other, title="Other round")
        db.session().add(other_round)
        db.session().commit()
        other_id = other_round.id
    sign_in(client, "member@demo.example")
    for url in ["/councils/OTHER/", f"/councils/OTHER/rounds/{other_id}/", f"/councils/DEMO/rounds/{other_id}/",
                "/councils/NOPE/", demo.round_url + "no-such-questionnaire/check",
                demo.round_url + "leadership/no-such-section", "/councils/OTHER/rounds/new"]:
        assert client.get(url).status_code == 404, url


def test_respondents_cannot_start_rounds_but_leads_can(client: FlaskClient, demo: Demo, app: Flask) -> None:
    sign_in(client, "member@demo.example")
    assert client.get("/councils/DEMO/rounds/new").status_code == 404
    client.get("/")
    submit_form(client, "/sign-out", {}, page_url="/")
    sign_in(client, "lead@demo.example")
    errors = submit_form(client, "/councils/DEMO/rounds/new", {"title": "  "})
    assert errors.status_code == 400
    assert "Enter a name for the round" in html(errors) and "Select at least one questionnaire" in html(errors)
    created = submit_form(client, "/councils/DEMO/rounds/new",
                          {"title": "Spring 2028", "questionnaires": ["cyber", "data"],
                           "expected_groups": ["officer", "member"], "comments_named": "anonymous"})
    assert created.status_code == 302
    with app.app_context():
        new_round = db.session().scalar(select(Assessment).filter_by(title="Spring 2028"))
        assert new_round is not None
        assert [link.questionnaire_version.questionnaire_id for link in new_round.questionnaires] == ["cyber", "data"]
    task_list = html(client.get(created.headers["Location"]))
    assert "Cyber security" in task_list and "Use of data and intelligence" in task_list
    assert "Financial planning" not in task_list


def test_task_list_shows_each_sections_status(client: FlaskClient, demo: Demo) -> None:
    sign_in(client, "member@demo.example")
    page = html(client.get(demo.round_url))
    assert "You have submitted 0 of 7 questionnaires" in page
    # The member has answered the first section of the first questionnaire only.
    assert page.count("Completed") >= 1 and "Not started" in page and "Cannot start yet" in page
    sign_in(client, "officer@demo.example")
    assert "You have submitted 7 of 7 questionnaires" in html(client.get(demo.round_url))


def test_saving_a_section_stores_it_and_moves_on(client: FlaskClient, demo: Demo, app: Flask) -> None:
    sign_in(client, "member@demo.example")
    url = demo.round_url + "procurement-maturity/showing-leadership"
    page = html(client.get(url))
    # Four key areas on the five stages, and the two yes-or-no legal duties under the Procurement Act 2023.
    assert page.count('type="radio"') == 4 * 5 + 2 * 2
    data = {"engaging-councillors": "3", "engaging-senior-managers": "2", "working-with-partners": "4",
            "engaging-strategic-suppliers": "1", "exclusion-checks": "yes", "conflicts-assessment": "yes",
            "engaging-councillors--comment": "Cabinet report, May 2026",
            "lock_version": re.search(r'name="lock_version" type="hidden" value="(\d+)"', page).group(1),  # type: ignore[union-attr]
            "action": "continue"}
    response = client.post(url, data={**data, "csrf_token": csrf_token(page)})
    assert response.status_code == 302
    assert response.headers["Location"].endswith("procurement-maturity/behaving-commercially")
    again = html(client.get(url))
    assert 'value="3" checked' in again and "Cabinet report, May 2026" in again
    with app.app_context():
        member = db.session().scalar(select(User).filter_by(email="member@demo.example"))
        stored = db.session().scalars(select(Response).filter_by(respondent_id=member.id)).all()  # type: ignore[union-attr]
        answers = {a.question_id: a.value for r in stored for a in r.answers}
    assert answers["engaging-councillors"] == 3 and answers["engaging-strategic-suppliers"] == 1


def test_save_and_come_back_later_returns_to_the_task_list(client: FlaskClient, demo: Demo) -> None:
    sign_in(client, "member@demo.example")
    url = demo.round_url + "procurement-maturity/enablers"
    response = submit_form(client, url, {"developing-talent": "2", "action": "later"})
    assert response.headers["Location"] == demo.round_url
    assert 'value="2" checked' in html(client.get(url))


def test_a_bad_value_shows_the_error_summary_and_keeps_everything_typed(client: FlaskClient, demo: Demo) -> None:
    sign_in(client, "member@demo.example")
    url = demo.round_url + "procurement-maturity/showing-leadership"
    response = submit_form(client, url, {"engaging-councillors": "9", "engaging-senior-managers": "2",
                                         "engaging-councillors--comment": "Typed before the error",
                                         "action": "continue"})
    page = html(response)
    assert response.status_code == 400
    assert "govuk-error-summary" in page and 'href="#engaging-councillors"' in page
    assert "Typed before the error" in page and 'value="2" checked' in page
    assert "<title>Error: " in page


def test_a_save_from_an_out_of_date_page_is_refused(client: FlaskClient, demo: Demo) -> None:
    sign_in(client, "member@demo.example")
    url = demo.round_url + "procurement-maturity/enablers"
    first_tab = html(client.get(url))
    second_tab = html(client.get(url))
    lock = re.search(r'name="lock_version" type="hidden" value="(\d+)"', first_tab).group(1)  # type: ignore[union-attr]
    saved = client.post(url, data={"csrf_token": csrf_token(second_tab), "lock_version": lock,
                                   "developing-talent": "4", "action": "later"})
    assert saved.status_code == 302
    refused = client.post(url, data={"csrf_token": csrf_token(first_tab), "lock_version": lock,
                                     "developing-talent": "1", "action": "later"})
    assert refused.status_code == 409
    assert "changed in another window or tab" in html(refused)
    assert 'value="4" checked' not in html(refused)  # what this tab typed is kept on screen ...
    assert 'value="4" checked' in html(client.get(url))  # ... and the other tab's save was not overwritten


def test_not_applicable_is_stored_and_shown(client: FlaskClient, demo: Demo) -> None:
    sign_in(client, "member@demo.example")
    url = demo.round_url + "financial-planning/capital-and-assets"
    page = html(client.get(url))
    # "Not applicable" is the last choice of the question's own radios, after an "or" divider.
    na_fields = re.findall(r'name="([a-z0-9-]+)" type="radio" value="n/a"', page)
    assert na_fields, "this section offers 'not applicable'"
    assert '<div class="govuk-radios__divider">or</div>' in page
    submit_form(client, url, {na_fields[0]: "n/a", "action": "later"})
    assert re.search(rf'name="{na_fields[0]}" type="radio" value="n/a" checked', html(client.get(url)))


def test_submit_is_refused_until_complete_then_answers_lock(client: FlaskClient, demo: Demo, app: Flask) -> None:
    sign_in(client, "member@demo.example")
    check = demo.round_url + "procurement-maturity/check"
    refused = submit_form(client, check, {})
    page = html(refused)
    assert refused.status_code == 400
    assert "You cannot submit yet" in page
    assert page.count("Answer this question:") == 17
    assert 'href="/councils/DEMO/rounds/' in page and "procurement-maturity/enablers#developing-talent" in page

    answers = {
        "showing-leadership": ["engaging-councillors", "engaging-senior-managers", "working-with-partners",
                               "engaging-strategic-suppliers"],
        "behaving-commercially": ["creating-commercial-opportunities", "managing-contracts", "managing-strategic-risk"],
        "achieving-community-benefits": ["obtaining-social-value", "engaging-local-smes", "enabling-vcse-engagement"],
        "enablers": ["adding-value", "developing-talent", "exploiting-digital-technology", "enabling-innovation",
                     "embedding-change"],
    }
    duties = {"exclusion-checks": "yes", "conflicts-assessment": "yes"}
    for section, questions in answers.items():
        submit_form(client, demo.round_url + f"procurement-maturity/{section}",
                    {**{q: "2" for q in questions}, **(duties if section == "showing-leadership" else {}),
                     "action": "continue"})
    summary = html(client.get(check))
    assert "Change" in summary and "Developing:" in summary
    submitted = submit_form(client, check, {})
    assert submitted.status_code == 302 and submitted.headers["Location"].endswith("procurement-maturity/results")
    results = html(client.get(submitted.headers["Location"]))
    assert "Your results" in results and "Overall level: <strong>Developing</strong>" in results
    assert 'role="img"' in results and "<table" in results

    locked = client.get(demo.round_url + "procurement-maturity/enablers")
    assert locked.status_code == 302 and locked.headers["Location"].endswith("procurement-maturity/results")
    with app.app_context():
        member = db.session().scalar(select(User).filter_by(email="member@demo.example"))
        statuses = {r.questionnaire_version.questionnaire_id: r.status for r in db.session().scalars(
            select(Response).filter_by(respondent_id=member.id))}  # type: ignore[union-attr]
    assert statuses["procurement-maturity"] == ResponseStatus.SUBMITTED


def test_results_before_submitting_go_to_check_answers(client: FlaskClient, demo: Demo) -> None:
    sign_in(client, "member@demo.example")
    response = client.get(demo.round_url + "data/results")
    assert response.status_code == 302 and response.headers["Location"].endswith("data/check")


def test_officer_sees_results_with_resources(client: FlaskClient, demo: Demo) -> None:
    sign_in(client, "officer@demo.example")
    page = html(client.get(demo.round_url + "cyber/results"))
    assert "Levels by section" in page and "Help to improve" in page
    assert "Managing security risk" in page


def test_a_user_without_memberships_sees_none(client: FlaskClient, demo: Demo, app: Flask) -> None:
    with app.app_context():
        add_user(db.session(), "nobody@example.org", "No Body", "long enough password")
        db.session().commit()
    sign_in(client, "nobody@example.org", "long enough password")
    assert "You are not part of any council’s self-assessment yet" in html(client.get("/"))
    assert client.get(demo.round_url).status_code == 404


def test_unknown_pages_use_the_404_page(client: FlaskClient) -> None:
    response = client.get("/no/such/page")
    assert response.status_code == 404 and "Page not found" in html(response)


def test_passwords_are_stored_as_scrypt_hashes(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.undo()  # the real hashing, not the suite's fast stand-in
    with app.app_context():
        user = add_user(db.session(), "hashed@example.org", "Hashed", "correct horse battery")
        assert user.password_hash is not None and user.password_hash.startswith("scrypt:")
        assert "correct horse battery" not in user.password_hash


def test_a_change_from_check_your_answers_returns_there(client: FlaskClient, demo: Demo) -> None:
    sign_in(client, "member@demo.example")
    check = html(client.get(demo.round_url + "procurement-maturity/check"))
    change = re.search(r'href="([^"]+enablers\?change=yes)#developing-talent"', check)
    assert change, "each Change link says it came from Check your answers"
    page = html(client.get(change.group(1)))
    assert "Back to check your answers" in page
    enablers = questionnaire_library(client.application).get("procurement-maturity").section("enablers")
    # The whole page as a browser posts it (a section completed), with the one answer changed.
    answers = {question.id: "3" for question in enablers.questions if question.type == "level"} | {
        f"{question.id}--comment": "Our review." for question in enablers.questions if question.comment == "required"}
    saved = submit_form(client, change.group(1), {**answers, "action": "continue"})
    assert saved.status_code == 302, re.findall(r"govuk-error-message.*?</p>", html(saved), re.S)
    assert saved.headers["Location"].endswith("procurement-maturity/check")
    with client.application.app_context():
        statement = questionnaire_library(client.application).get("procurement-maturity").question(
            "developing-talent").statements[3]
    assert f"Mature: {statement}" in html(client.get(saved.headers["Location"]))


def test_the_maturity_profile_downloads_hold_only_what_the_person_may_see(
    client: FlaskClient, demo: Demo, app: Flask,
) -> None:
    sign_in(client, "member@demo.example")
    # The member has submitted nothing, and must never see the officer's answers instead.
    assert client.get(demo.round_url + "profile").status_code == 404
    assert client.get(demo.round_url + "profile.pdf").status_code == 404

    sign_in(client, "officer@demo.example")
    pdf = client.get(demo.round_url + "profile.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")
    assert 'filename="maturity-profile-DEMO-round-' in pdf.headers["Content-Disposition"]
    page = html(client.get(demo.round_url + "profile"))
    assert "Tom Hughes" in page and "Cyber security" in page and 'role="img"' in page
    assert "profile.pdf" in html(client.get(demo.round_url + "cyber/results"))

    sign_in(client, "lead@demo.example")  # a lead sees the council's latest submitted answers
    assert "Tom Hughes" in html(client.get(demo.round_url + "profile"))
    with app.app_context():
        db.session().add(Organisation(code="ELSE", name="Elsewhere", type="County", region="London"))
        db.session().commit()
    assert client.get(f"/councils/ELSE/rounds/{demo.round_id}/profile.pdf").status_code == 404


def test_vendored_assets_match_the_govuk_frontend_the_macros_render(client: FlaskClient) -> None:
    """The Jinja macros and the compiled CSS/JS must be one GOV.UK Frontend version, or markup and styles drift."""
    from importlib.metadata import metadata, version

    static = Path(__file__).resolve().parent.parent / "assess" / "static" / "govuk"
    vendored = (static / "VERSION").read_text().split()[-1]
    macros_readme = metadata("govuk-frontend-jinja")["Description"] or ""
    frontend_of_macros = re.search(r"GOV\.UK%20Frontend-v([0-9.]+)-", macros_readme)
    assert frontend_of_macros and frontend_of_macros.group(1) == vendored == "5.14.0"
    assert version("govuk-frontend-wtf").startswith("3.2.")  # built against GOV.UK Frontend 5.x


def test_the_service_is_branded_as_itself_not_as_gov_uk(client: FlaskClient) -> None:
    page = html(client.get("/sign-in"))
    assert "<title>Sign in – Council self-assessment</title>" in page
    assert "govuk-header__logotype" not in page and "crown" not in page.lower()
    css = (Path(__file__).resolve().parent.parent / "assess/static/govuk/govuk-frontend.min.css").read_text()
    assert "GDS Transport" not in css and "@font-face" not in css
