"""A team round in a real browser: the lead invites, the invitee joins by the emailed link and answers, the lead
sees completion and returns the answers, the respondent resubmits; a facilitator joins the same way."""

from __future__ import annotations

import re
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import LEAD, MEMBER, Demo, sign_in
from tests.browser.test_journey import PROCUREMENT, answer, expect_heading, questionnaire, radio

pytestmark = pytest.mark.browser


def emailed_link(demo: Demo, email: str) -> str:
    """The link in the newest message to an address in the server's outbox (the demo's mail backend)."""
    outbox = Path(demo.server.app.instance_path) / "outbox"
    [newest, *_] = sorted(outbox.glob(f"*-{email}.eml"), reverse=True)
    message = message_from_bytes(newest.read_bytes(), policy=policy.default)
    body = message.get_body(("plain",))
    assert body is not None
    match = re.search(r"http://\S+/invitations/\S+", body.get_content())
    assert match, body.get_content()
    return "/" + match.group(0).split("/", 3)[3]


def new_page(browser: Browser, demo: Demo) -> Page:
    context = browser.new_context(base_url=demo.url, locale="en-GB")
    context.set_default_timeout(10_000)
    return context.new_page()


def answer_procurement_maturity(page: Page, demo: Demo) -> None:
    """Every section of procurement maturity at level 2, then submit; the panel says what happens next."""
    for section in questionnaire(demo, PROCUREMENT).sections:
        page.goto(demo.round_url(PROCUREMENT, section.id))
        for question in section.questions:
            if question.type in ("level", "choice", "yes-no") and question.required:
                answer(page, question, 2)
        page.get_by_role("button", name="Save and continue").click()
        expect(page.locator(".govuk-error-summary")).to_have_count(0)
    expect_heading(page, "Check your answers")
    page.get_by_role("button", name="Submit your answers").click()
    expect(page.locator(".govuk-panel")).to_contain_text("Answers submitted")
    expect(page.get_by_role("heading", name="What happens next")).to_be_visible()


def test_invite_accept_answer_completion_return_and_resubmit(page: Page, browser: Browser, demo: Demo) -> None:
    sign_in(page, LEAD)
    page.goto(demo.round_url("manage"))
    page.get_by_role("link", name="Invite people to answer").click()
    page.get_by_label("Elected members").check()
    page.get_by_label("Email addresses").fill("Cllr Nia Jones <nia.jones@demo.example>")
    page.get_by_role("button", name="Send invitations").click()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("1 invitation sent")
    expect(page.get_by_role("row", name=re.compile("nia.jones@demo.example"))).to_contain_text("Pending")

    nia = new_page(browser, demo)
    nia.goto(emailed_link(demo, "nia.jones@demo.example"))
    expect_heading(nia, f"Take part in ‘{'Before the 2027 peer challenge'}’")
    expect(nia.get_by_label("Full name")).to_have_value("Cllr Nia Jones")
    nia.get_by_label("Create a password").fill("copper meadow lantern")
    nia.get_by_label("Confirm password").fill("copper meadow lantern")
    nia.get_by_role("button", name="Create account and join").click()
    expect(nia).to_have_url(re.compile(r"/councils/DEMO/rounds/\d+/$"))
    answer_procurement_maturity(nia, demo)

    page.goto(demo.round_url("completion"))
    row = page.get_by_role("row", name=re.compile("Cllr Nia Jones"))
    expect(row).to_contain_text("Submitted")
    row.get_by_role("link", name="Cllr Nia Jones").click()
    expect_heading(page, "Cllr Nia Jones’s answers")
    page.get_by_role("button", name=re.compile("^Return Procurement maturity")).click()
    page.get_by_label("What should they look at again?").fill("Please say which report shows the leadership level.")
    page.get_by_role("button", name="Return the answers").click()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("The answers have been returned")

    nia.goto(demo.round_url())
    expect(nia.locator(".govuk-inset-text").filter(has_text="Returned to you for changes")).to_contain_text(
        "Please say which report shows the leadership level.")
    nia.goto(demo.round_url(PROCUREMENT, "check"))
    nia.get_by_role("button", name="Submit your answers").click()
    expect(nia.locator(".govuk-panel")).to_contain_text("Answers submitted")
    page.goto(demo.round_url("completion"))
    expect(page.get_by_role("row", name=re.compile("Cllr Nia Jones"))).to_contain_text("Submitted")


def test_not_applicable_is_one_more_choice_after_or(page: Page, demo: Demo) -> None:
    sign_in(page, MEMBER)
    page.goto(demo.round_url("financial-planning", "capital-and-assets"))
    [question] = [q for q in questionnaire(demo, "financial-planning").section("capital-and-assets").questions
                  if q.not_applicable][:1]
    radio(page, question.id, 2).check()
    not_applicable = radio(page, question.id, "n/a")
    not_applicable.check()
    expect(radio(page, question.id, 2)).not_to_be_checked()  # one choice or the other, never both
    group = page.locator(f"#question-{question.id} .govuk-radios")
    expect(group.locator(".govuk-radios__divider")).to_have_text("or")
    page.get_by_role("button", name="Save and come back later").click()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("Your answers have been saved")
    page.goto(demo.round_url("financial-planning", "capital-and-assets"))
    expect(not_applicable).to_be_checked()


def test_a_facilitator_invited_by_the_lead_joins_and_sees_the_round(page: Page, browser: Browser,
                                                                     demo: Demo) -> None:
    sign_in(page, LEAD)
    page.goto(demo.round_url("facilitators"))
    page.get_by_label("Facilitator’s email address").fill("peer.adviser@lga.example")
    page.get_by_label("Their name (optional)").fill("Robin Adviser")
    page.get_by_role("button", name="Invite the facilitator").click()
    expect(page.get_by_text("peer.adviser@lga.example", exact=True)).to_be_visible()

    adviser = new_page(browser, demo)
    adviser.goto(emailed_link(demo, "peer.adviser@lga.example"))
    expect_heading(adviser, "Facilitate ‘Before the 2027 peer challenge’")
    adviser.get_by_label("Create a password").fill("granite puffin orchard")
    adviser.get_by_label("Confirm password").fill("granite puffin orchard")
    adviser.get_by_role("button", name="Create account and join").click()
    expect(adviser.get_by_role("heading", level=2, name="Who has answered")).to_be_visible()
    adviser.goto("/")
    expect(adviser.get_by_role("heading", level=2, name="Rounds you facilitate")).to_be_visible()
    page.goto(demo.round_url("manage"))
    expect(page.locator(".govuk-summary-list__row").filter(has_text="Facilitators")).to_contain_text("Robin Adviser")
