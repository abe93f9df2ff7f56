"""axe-core on every page type, in each state a respondent or lead meets it: zero violations allowed.

axe runs its default rules plus every WCAG 2.2 AA rule (target-size is off by default). The pages
here only read, or make writes no other test here looks at (a started response, an audit event),
so the module shares one demo council.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect
from sqlalchemy import select

from assess import db
from assess.models import Assessment
from assess.services.demo import LAST_YEAR
from tests.browser.conftest import (
    ADMIN,
    ANALYST,
    FACILITATOR,
    LEAD,
    MEMBER,
    NARROWEST_WIDTH,
    OFFICER,
    PASSWORD,
    PHONE_WIDTH,
    Demo,
    LiveServer,
    PhonePage,
    demo_database,
    invitation_link,
    open_navigation,
    sign_in,
)

pytestmark = pytest.mark.browser

PROCUREMENT = "procurement-maturity"
AXE = Axe()


@pytest.fixture(scope="module")
def demo(live_server: LiveServer) -> Iterator[Demo]:
    """One demo council for the whole module (overrides the per-test one)."""
    with demo_database(live_server) as shared:
        yield shared


def assert_no_axe_violations(page: Page) -> None:
    """Run axe on the page as it is now; fail with axe's report if it finds any violation."""
    page.evaluate(AXE.axe_script)
    wcag22aa = page.evaluate("axe.getRules(['wcag22aa']).map(rule => rule.ruleId)")
    results = AXE.run(page, options={
        "resultTypes": ["violations"],
        "rules": {rule: {"enabled": True} for rule in wcag22aa},
    })
    print(f"axe: {page.url} -> {results.violations_count} violations")
    assert results.violations_count == 0, results.generate_report()


def assert_unique_ids(page: Page) -> None:
    """No id is used twice on the page as it is now (axe no longer checks this; WCAG 4.1.1 and labels need it)."""
    repeated = page.evaluate("""() => {
        const counts = {};
        for (const element of document.querySelectorAll("[id]")) counts[element.id] = (counts[element.id] || 0) + 1;
        return Object.keys(counts).filter(id => counts[id] > 1);
    }""")
    assert repeated == [], f"ids used more than once on {page.url}: {repeated}"


#: HTML_CodeSniffer's built file (tests/browser/htmlcs/README.md), a second engine beside axe.
HTML_CODESNIFFER = (Path(__file__).parent / "htmlcs" / "HTMLCS.js").read_text(encoding="utf-8")


def assert_no_html_codesniffer_errors(page: Page) -> None:
    """Run HTML_CodeSniffer's WCAG2AA standard on the page as it is now, as pa11y does; fail on any error."""
    page.evaluate(HTML_CODESNIFFER)
    errors = page.evaluate("""() => new Promise((resolve, reject) => HTMLCS.process("WCAG2AA", document, () =>
        resolve(HTMLCS.getMessages().filter(message => message.type === HTMLCS.ERROR).map(message =>
            `${message.code}: ${message.msg} ${(message.element.outerHTML || "").slice(0, 160)}`)),
        () => reject(new Error("HTML_CodeSniffer could not run")), "en"))""")
    print(f"HTML_CodeSniffer: {page.url} -> {len(errors)} errors")
    assert errors == [], "\n".join(errors)


def assert_accessible(page: Page) -> None:
    """Every check the page crawls make: axe, unique ids, and HTML_CodeSniffer."""
    assert_no_axe_violations(page)
    assert_unique_ids(page)
    assert_no_html_codesniffer_errors(page)


def sign_in_page(page: Page, demo: Demo) -> None:
    page.goto("/sign-in")


def sign_in_with_errors(page: Page, demo: Demo) -> None:
    page.goto("/sign-in")
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator(".govuk-error-summary")).to_be_focused()


def home(page: Page, demo: Demo) -> None:
    sign_in(page, LEAD)
    expect(page.get_by_role("heading", level=1)).to_have_text("Hello, Priya Shah")


def council_rounds(page: Page, demo: Demo) -> None:
    sign_in(page, LEAD)
    page.goto("/councils/DEMO/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Assessment rounds")


def new_round(page: Page, demo: Demo) -> None:
    sign_in(page, LEAD)
    page.goto("/councils/DEMO/rounds/new")
    expect(page.get_by_role("heading", level=1)).to_have_text("Start a new round")


def new_round_with_errors(page: Page, demo: Demo) -> None:
    new_round(page, demo)
    page.get_by_role("button", name="Start the round").click()
    expect(page.locator(".govuk-error-summary")).to_be_focused()


def task_list(page: Page, demo: Demo) -> None:
    # The member has one questionnaire in progress and the rest not started.
    sign_in(page, MEMBER)
    page.goto(demo.round_url())
    expect(page.locator(".govuk-task-list").first).to_be_visible()


def task_list_submitted(page: Page, demo: Demo) -> None:
    sign_in(page, OFFICER)
    page.goto(demo.round_url())
    expect(page.get_by_role("link", name=re.compile("^See your results")).first).to_be_visible()


def section(page: Page, demo: Demo) -> None:
    sign_in(page, MEMBER)
    page.goto(demo.round_url(PROCUREMENT, "showing-leadership"))
    expect(page.get_by_role("button", name="Save and continue")).to_be_visible()


def section_with_conditional_question(page: Page, demo: Demo) -> None:
    sign_in(page, MEMBER)
    page.goto(demo.round_url("financial-planning", "capital-and-assets"))
    expect(page.locator("#question-commercial-governance")).to_be_hidden()


def section_with_error(page: Page, demo: Demo) -> None:
    # No shipped questionnaire has a number question, so the error is a comment over its 5,000 characters.
    section(page, demo)
    page.locator('input[name="engaging-councillors"][value="2"]').check()
    page.locator('textarea[name="engaging-councillors--comment"]').fill("x" * 5001)
    page.get_by_role("button", name="Save and continue").click()
    expect(page.locator(".govuk-error-summary")).to_be_focused()
    expect(page.locator("#engaging-councillors--comment-error")).to_contain_text("must be 5,000 characters or fewer")


def check_answers(page: Page, demo: Demo) -> None:
    sign_in(page, MEMBER)
    page.goto(demo.round_url(PROCUREMENT, "check"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your answers")


def check_answers_cannot_submit(page: Page, demo: Demo) -> None:
    check_answers(page, demo)
    page.get_by_role("button", name="Submit your answers").click()
    expect(page.locator(".govuk-error-summary")).to_be_focused()


def results(page: Page, demo: Demo) -> None:
    sign_in(page, OFFICER)
    page.goto(demo.round_url(PROCUREMENT, "results"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Your results")


def maturity_profile(page: Page, demo: Demo) -> None:
    sign_in(page, LEAD)
    page.goto(demo.round_url("profile"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Maturity profile")
    expect(page.locator("svg[role=img]").first).to_be_attached()  # a phone shows its table instead


def pdf_being_prepared(page: Page, demo: Demo) -> None:
    # No worker runs beside the browser tests' server, so the PDF stays queued and the page keeps waiting.
    sign_in(page, LEAD)
    page.goto(demo.round_url("profile.pdf"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Your PDF is being prepared")
    expect(page.locator("#pdf-status")).to_have_text("Waiting for the PDF\u2026")


def peer_challenge_pack(page: Page, demo: Demo) -> None:
    with demo.server.app.app_context():
        last_year = db.session().scalar(select(Assessment.id).filter_by(title=LAST_YEAR))
    sign_in(page, LEAD)
    page.goto(f"{demo.url}/councils/DEMO/rounds/{last_year}/pack")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Peer-challenge pack")
    expect(page.locator("svg.assess-chart--spread").first).to_be_attached()  # a phone shows its table instead


def peer_challenge_pack_not_yet(page: Page, demo: Demo) -> None:
    sign_in(page, FACILITATOR)
    page.goto(demo.round_url("agree", ""))
    page.get_by_role("link", name="Peer-challenge pack").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Peer-challenge pack")


def own_profile(page: Page, demo: Demo) -> None:
    sign_in(page, OFFICER)
    page.goto(demo.round_url("profile"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Your answers")


def manage_round(page: Page, demo: Demo) -> None:
    sign_in(page, LEAD)
    page.goto(demo.round_url("manage"))
    expect(page.get_by_role("heading", level=2, name="Who has answered")).to_be_visible()


def completion(page: Page, demo: Demo) -> None:
    sign_in(page, LEAD)
    page.goto(demo.round_url("completion"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Each person’s progress")


def person_answers(page: Page, demo: Demo) -> None:
    sign_in(page, FACILITATOR)
    page.goto(demo.round_url("completion"))
    page.get_by_role("link", name="Tom Hughes").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Tom Hughes’s answers")


def return_with_errors(page: Page, demo: Demo) -> None:
    person_answers(page, demo)
    page.get_by_role("button", name=re.compile("^Return")).first.click()
    page.get_by_role("button", name="Return the answers").click()
    expect(page.locator(".govuk-error-summary")).to_be_focused()


def invite_with_errors(page: Page, demo: Demo) -> None:
    sign_in(page, LEAD)
    page.goto(demo.round_url("invite"))
    page.get_by_label("Email addresses").fill("not an address")
    page.get_by_role("button", name="Send invitations").click()
    expect(page.locator(".govuk-error-summary")).to_be_focused()


def invitations(page: Page, demo: Demo) -> None:
    sign_in(page, LEAD)
    page.goto(demo.round_url("invitations"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Invitations")


def people_asked(page: Page, demo: Demo) -> None:
    sign_in(page, LEAD)
    page.goto(demo.round_url("participants"))
    expect(page.get_by_role("heading", level=1)).to_have_text("People asked in this round")


def people_asked_with_errors(page: Page, demo: Demo) -> None:
    people_asked(page, demo)
    page.get_by_role("button", name="Add to the round").click()
    expect(page.locator(".govuk-error-summary")).to_be_focused()


def reminders_preview(page: Page, demo: Demo) -> None:
    sign_in(page, LEAD)
    page.goto(demo.round_url("remind"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Send reminders")


def facilitators(page: Page, demo: Demo) -> None:
    sign_in(page, LEAD)
    page.goto(demo.round_url("facilitators"))
    expect(page.get_by_text("Sam Okafor (facilitator@demo.example)")).to_be_visible()


def edit_round(page: Page, demo: Demo) -> None:
    sign_in(page, LEAD)
    page.goto(demo.round_url("edit"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Change the round’s details")


def status_change(page: Page, demo: Demo) -> None:
    sign_in(page, LEAD)
    page.goto(demo.round_url("status", "in-review"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Close answering and start the review")


def facilitator_home(page: Page, demo: Demo) -> None:
    sign_in(page, FACILITATOR)
    expect(page.get_by_role("heading", level=2, name="Rounds you facilitate")).to_be_visible()


def analyst_home(page: Page, demo: Demo) -> None:
    sign_in(page, ANALYST)
    expect(page.get_by_role("heading", level=2, name="The sector")).to_be_visible()


def sector_figures_none_yet(page: Page, demo: Demo) -> None:
    sign_in(page, ANALYST)
    page.goto("/sector/?questionnaire=cyber")
    expect(page.locator("#too-few")).to_contain_text("Figures are hidden until at least")


def admin_home(page: Page, demo: Demo) -> None:
    sign_in(page, ADMIN)
    page.get_by_role("link", name="Users and councils").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Users and councils")


def invitation_new_account_with_errors(page: Page, demo: Demo) -> None:
    page.goto(invitation_link(demo.server, "a11y.newcomer@demo.example"))
    page.get_by_role("button", name="Create account and join").click()
    expect(page.locator(".govuk-error-summary")).to_be_focused()


def invitation_unknown(page: Page, demo: Demo) -> None:
    page.goto("/invitations/not-a-real-link")
    expect(page.get_by_role("heading", level=1)).to_have_text("This invitation link is not valid")


def agree_overview(page: Page, demo: Demo) -> None:
    sign_in(page, FACILITATOR)
    page.goto(demo.round_url("agree", ""))
    expect(page.get_by_role("heading", level=1)).to_have_text("Agree the council’s view")


def session_index(page: Page, demo: Demo) -> None:
    sign_in(page, FACILITATOR)
    page.goto(demo.round_url("divergence", PROCUREMENT))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Agree the answers")


def session_index_most_divergent_first(page: Page, demo: Demo) -> None:
    session_index(page, demo)
    page.get_by_role("link", name="Most divergent first").click()
    expect(page.get_by_text("Questions, most divergent first")).to_be_visible()


def session_question(page: Page, demo: Demo) -> None:
    session_index(page, demo)
    page.get_by_role("button", name="Start with question 1").click()
    expect(page.get_by_text(re.compile(r"question 1 of \d+"))).to_be_visible()
    expect(page.get_by_role("button", name="Agree and go to the next question")).to_be_visible()


def actions_filtered(page: Page, demo: Demo) -> None:
    sign_in(page, LEAD)
    page.goto(demo.round_url("actions") + "?status=not-started")
    expect(page.get_by_role("link", name="Show every action")).to_be_visible()


def agree_section(page: Page, demo: Demo) -> None:
    sign_in(page, FACILITATOR)
    page.goto(demo.round_url("agree", PROCUREMENT, "showing-leadership"))
    expect(page.get_by_text("Suggestion").first).to_be_visible()


def agreed_answers_incomplete(page: Page, demo: Demo) -> None:
    sign_in(page, LEAD)
    page.goto(demo.round_url("agree", PROCUREMENT, "confirm"))
    page.get_by_role("button", name="Confirm the agreed answers").click()
    expect(page.locator(".govuk-error-summary")).to_be_focused()


def targets(page: Page, demo: Demo) -> None:
    sign_in(page, LEAD)
    page.goto(demo.round_url("targets", PROCUREMENT))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Targets")


def actions(page: Page, demo: Demo) -> None:
    sign_in(page, LEAD)
    page.goto(demo.round_url("actions"))
    page.get_by_role("button", name="Save the action").click()
    expect(page.locator(".govuk-error-summary")).to_be_focused()


def not_found(page: Page, demo: Demo) -> None:
    sign_in(page, MEMBER)
    response = page.goto("/councils/DEMO/rounds/999999/")
    assert response is not None and response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("Page not found")


def csrf_error(page: Page, demo: Demo) -> None:
    page.goto("/sign-in")
    page.locator('input[name="csrf_token"]').evaluate("input => { input.value = 'stale'; }")
    page.get_by_label("Email address").fill(MEMBER)
    page.get_by_label("Password", exact=True).fill("demo-password-1")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your page was out of date")


def csrf_error_signed_in(page: Page, demo: Demo) -> None:
    sign_in(page, MEMBER)
    page.goto(demo.round_url(PROCUREMENT, "showing-leadership"))
    page.locator('main input[name="csrf_token"]').evaluate("input => { input.value = 'stale'; }")
    page.get_by_role("button", name="Save and continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your page was out of date")
    page.get_by_role("link", name="Go back to the page").click()
    expect(page).to_have_url(re.compile(r"/showing-leadership$"))


def request_too_large(page: Page, demo: Demo) -> None:
    sign_in(page, MEMBER)
    page.goto(demo.round_url(PROCUREMENT, "showing-leadership"))
    limit = demo.server.app.config["MAX_CONTENT_LENGTH"]
    page.locator("textarea").first.evaluate(
        f"area => {{ area.removeAttribute('maxlength'); area.value = 'x'.repeat({limit}); }}")
    page.get_by_role("button", name="Save and continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("What you sent is too large")
    expect(page.get_by_role("button", name="Sign out", include_hidden=True)).to_be_attached()  # still signed in


def account(page: Page, demo: Demo) -> None:
    sign_in(page, MEMBER)
    open_navigation(page)
    page.get_by_role("link", name="Your account").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your account")


def account_with_errors(page: Page, demo: Demo) -> None:
    sign_in(page, MEMBER)
    page.goto("/account/password")
    page.get_by_role("button", name="Change password").click()
    expect(page.locator(".govuk-error-summary")).to_be_focused()


def password_reset_request(page: Page, demo: Demo) -> None:
    page.goto("/sign-in")
    page.get_by_role("link", name="Forgotten your password?").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Reset your password")


def password_reset_sent(page: Page, demo: Demo) -> None:
    page.goto("/password-reset")
    page.get_by_label("Email address").fill("nobody@demo.example")
    page.get_by_role("button", name="Send the link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your email")


def password_reset_unusable(page: Page, demo: Demo) -> None:
    page.goto("/password-reset/not-a-real-link")
    expect(page.get_by_role("heading", level=1)).to_have_text("This link cannot be used")


def two_factor_setup_with_errors(page: Page, demo: Demo) -> None:
    sign_in(page, ANALYST)
    page.goto("/account/two-factor")
    page.get_by_label("Code from your authenticator app").fill("000000")
    page.get_by_role("button", name="Continue").click()
    expect(page.locator(".govuk-error-summary")).to_be_focused()


def timeout_warning(page: Page, demo: Demo) -> None:
    # With two minutes of idle time the warning is due at once.
    config = demo.server.app.config
    idle, config["IDLE_MINUTES"] = config["IDLE_MINUTES"], 2
    try:
        sign_in(page, MEMBER)
        dialog = page.get_by_role("dialog", name="You’re about to be signed out")
        expect(dialog).to_be_visible()
        expect(dialog.get_by_role("button", name="Stay signed in")).to_be_focused()
    finally:
        config["IDLE_MINUTES"] = idle


def held_form(page: Page, demo: Demo) -> None:
    sign_in(page, MEMBER)
    page.goto(demo.round_url(PROCUREMENT, "showing-leadership"))
    assert page.context.browser is not None
    elsewhere = page.context.browser.new_context(base_url=demo.url)  # signing out there ends this session too
    other = elsewhere.new_page()
    sign_in(other, MEMBER)
    other.get_by_role("button", name="Sign out").click()
    # Let the sign-in page finish loading its stylesheet and scripts before closing the window: a request cut
    # off mid-file leaves the live server's file open, which the suite reports as an unraisable warning.
    other.wait_for_load_state("networkidle")
    elsewhere.close()
    page.get_by_role("button", name="Save and continue").click()
    expect(page).to_have_url(re.compile(r"/sign-in\?next=/session/held-form"))
    page.get_by_label("Email address").fill(MEMBER)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Save what you typed")


def admin_user(page: Page, demo: Demo) -> None:
    sign_in(page, ADMIN)
    page.goto("/admin/")
    page.get_by_role("link", name="Priya Shah").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Priya Shah")


def invite_user_with_errors(page: Page, demo: Demo) -> None:
    sign_in(page, ADMIN)
    page.goto("/admin/")
    page.get_by_role("link", name="Invite a user").click()
    page.get_by_label("Email address").fill("not an address")
    page.get_by_role("button", name="Send the invitation").click()
    expect(page.locator(".govuk-error-summary")).to_be_focused()


def membership_with_errors(page: Page, demo: Demo) -> None:
    admin_user(page, demo)
    page.get_by_role("button", name="Save membership").click()
    expect(page.locator(".govuk-error-summary")).to_be_focused()


REGISTER = Path(__file__).resolve().parents[1] / "fixtures" / "registers" / "small.csv"


def _check_register(page: Page, files: Any) -> None:
    sign_in(page, ADMIN)
    page.goto("/admin/councils/import")
    page.get_by_label("Register CSV file").set_input_files(files)
    page.get_by_role("button", name="Check the file").click()


def register_preview(page: Page, demo: Demo) -> None:
    _check_register(page, REGISTER)
    expect(page.get_by_role("button", name="Import these councils")).to_be_visible()


def register_with_errors(page: Page, demo: Demo) -> None:
    _check_register(page, {"name": "bad.csv", "mimeType": "text/csv", "buffer": REGISTER.read_bytes() + b"XYZ,,,,,\n"})
    expect(page.locator(".govuk-error-summary")).to_be_focused()


def questionnaire_library(page: Page, demo: Demo) -> None:
    sign_in(page, ADMIN)
    page.goto("/admin/")
    page.get_by_role("link", name="Questionnaire library").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Questionnaire library")


def questionnaire_upload_with_errors(page: Page, demo: Demo) -> None:
    questionnaire_library(page, demo)
    page.get_by_label("Questionnaire file").set_input_files(
        {"name": "new.yaml", "mimeType": "application/yaml", "buffer": b"id: new\nversion: one\n"})
    page.get_by_role("button", name="Check and stage").click()
    expect(page.locator(".govuk-error-summary")).to_be_focused()


def questionnaire_version(page: Page, demo: Demo) -> None:
    questionnaire_library(page, demo)
    page.get_by_role("table").get_by_role("link").first.click()
    expect(page.get_by_role("button", name="Retire this version")).to_be_visible()


def questionnaire_preview(page: Page, demo: Demo) -> None:
    questionnaire_version(page, demo)
    page.get_by_role("link", name="Preview the questions as a respondent sees them").click()
    page.get_by_role("link", name="Next").click()
    expect(page.locator(".govuk-caption-l")).to_contain_text("section 2 of")


def compare_versions(page: Page, demo: Demo) -> None:
    questionnaire_library(page, demo)
    page.get_by_role("link", name="Compare two versions").click()
    page.get_by_label("Earlier version").select_option(index=0)
    page.get_by_label("Later version").select_option(index=1)
    page.get_by_role("button", name="Compare").click()
    expect(page.get_by_role("heading", level=2, name=re.compile("^From "))).to_be_visible()


def audit_log(page: Page, demo: Demo) -> None:
    sign_in(page, ADMIN)
    page.goto("/admin/")
    page.get_by_role("link", name="Audit log").click()
    page.get_by_label("Action").select_option("signed-in")
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Audit log")


def public_page(title: str, path: str) -> Callable[[Page, Demo], None]:
    """A footer page, reached from the footer link."""
    def visit(page: Page, demo: Demo) -> None:
        page.goto("/sign-in")
        page.get_by_role("contentinfo").get_by_role("link", name=title).click()
        expect(page).to_have_url(re.compile(path))
    return visit


PAGES: dict[str, Callable[[Page, Demo], None]] = {
    "sign-in": sign_in_page,
    "sign-in with errors": sign_in_with_errors,
    "home": home,
    "council rounds": council_rounds,
    "new round": new_round,
    "new round with errors": new_round_with_errors,
    "task list": task_list,
    "task list with submitted questionnaires": task_list_submitted,
    "section": section,
    "section with a conditional question": section_with_conditional_question,
    "section with a validation error": section_with_error,
    "check answers": check_answers,
    "check answers, cannot submit": check_answers_cannot_submit,
    "results": results,
    "maturity profile (HTML twin of the PDF)": maturity_profile,
    "a respondent's own answers as a profile": own_profile,
    "a PDF being prepared": pdf_being_prepared,
    "peer-challenge pack (HTML twin of the PDF)": peer_challenge_pack,
    "peer-challenge pack, nothing agreed yet": peer_challenge_pack_not_yet,
    "manage a round": manage_round,
    "each person's progress": completion,
    "one person's answers (facilitator)": person_answers,
    "return answers, with errors": return_with_errors,
    "invite people, with errors": invite_with_errors,
    "invitations": invitations,
    "people asked in a round": people_asked,
    "people asked, adding nobody (errors)": people_asked_with_errors,
    "reminders preview": reminders_preview,
    "facilitators": facilitators,
    "change a round": edit_round,
    "move a round on": status_change,
    "facilitator's home": facilitator_home,
    "analyst's home": analyst_home,
    "sector figures, too few councils yet": sector_figures_none_yet,
    "administration": admin_home,
    "invitation: create an account, with errors": invitation_new_account_with_errors,
    "invitation link not valid": invitation_unknown,
    "agree the council's view": agree_overview,
    "session: the questions, where views differ": session_index,
    "session: the questions, most divergent first": session_index_most_divergent_first,
    "session: one question": session_question,
    "agreed answers, with suggestions": agree_section,
    "agreed answers, not complete": agreed_answers_incomplete,
    "targets": targets,
    "actions, with errors": actions,
    "actions, filtered by status": actions_filtered,
    "404": not_found,
    "CSRF error": csrf_error,
    "CSRF error, signed in": csrf_error_signed_in,
    "request too large": request_too_large,
    "your account": account,
    "your account, with errors": account_with_errors,
    "reset your password": password_reset_request,
    "reset: check your email": password_reset_sent,
    "reset link not valid": password_reset_unusable,
    "two-factor setup, with errors": two_factor_setup_with_errors,
    "timeout warning": timeout_warning,
    "save what you typed": held_form,
    "an account (admin)": admin_user,
    "audit log, filtered": audit_log,
    "invite a user, with errors": invite_user_with_errors,
    "an account's council, with errors": membership_with_errors,
    "import councils: the preview": register_preview,
    "import councils, with errors by line": register_with_errors,
    "questionnaire library": questionnaire_library,
    "questionnaire upload, with errors": questionnaire_upload_with_errors,
    "a questionnaire version": questionnaire_version,
    "a questionnaire version previewed": questionnaire_preview,
    "compare two questionnaire versions": compare_versions,
    "accessibility statement": public_page("Accessibility statement", "/accessibility"),
    "privacy notice": public_page("Privacy notice", "/privacy"),
    "cookies": public_page("Cookies", "/cookies"),
}


@pytest.mark.parametrize("visit", list(PAGES.values()), ids=list(PAGES))
def test_page_has_no_axe_violations(page: Page, demo: Demo, visit: Callable[[Page, Demo], None]) -> None:
    visit(page, demo)
    assert_accessible(page)


#: The pages a phone's reader most needs, checked at the narrowest width too (every page is checked at 390 px).
NARROWEST_PAGES = ("results", "maturity profile (HTML twin of the PDF)", "peer-challenge pack (HTML twin of the PDF)")


def phone_cases(pages: dict[str, Callable[[Page, Demo], None]], narrowest: Sequence[str]) -> list[Any]:
    """Every page of a crawl at a phone's width, and the named ones at the narrowest width as well."""
    return [pytest.param(visit, width, id=f"{name} at {width} px")
            for name, visit in pages.items()
            for width in ((PHONE_WIDTH, NARROWEST_WIDTH) if name in narrowest else (PHONE_WIDTH,))]


@pytest.mark.parametrize(("visit", "width"), phone_cases(PAGES, NARROWEST_PAGES))
def test_page_fits_a_phone_without_csp_violation(phone_page: Callable[[int], PhonePage], demo: Demo,
                                                  visit: Callable[[Page, Demo], None], width: int) -> None:
    phone = phone_page(width)
    visit(phone.page, demo)
    phone.assert_fits_without_csp_violation()


def test_answer_tables_stack_on_a_phone_and_stay_tables(phone_page: Callable[[int], PhonePage], demo: Demo) -> None:
    phone = phone_page(PHONE_WIDTH)
    maturity_profile(phone.page, demo)
    table = phone.page.locator("table.app-table--stacked-on-phone").first
    answer = table.get_by_role("cell").first
    # Each cell takes the table's whole width, one under another...
    table_box, answer_box = table.bounding_box(), answer.bounding_box()
    assert table_box and answer_box and answer_box["width"] > 0.9 * table_box["width"]
    # ...named on screen by its column's heading, while a screen reader still meets a table with column headers.
    label = answer.evaluate("cell => getComputedStyle(cell, '::before').content")
    assert label.startswith('"Answer: "'), label
    expect(table.get_by_role("columnheader", name="Answer")).to_have_count(1)
    expect(answer).not_to_have_accessible_name(re.compile("^Answer"))
