"""The facilitated session in a real browser: a whole questionnaire agreed from the keyboard alone, question by
question, and a target at or below the agreed level refused."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from assess import db
from assess.models import Assessment, Response, ResponseKind, ResponseStatus, User
from assess.services.agreement import agreed_response, section_levels
from assess.services.demo import demo_answers
from assess.services.questionnaires import questionnaire_of
from assess.services.responses import answers_of, save_answers, submit_response
from tests.browser.conftest import FACILITATOR, LEAD, PASSWORD, Demo, sign_in
from tests.browser.test_accessibility import assert_accessible
from tests.browser.test_journey import PROCUREMENT, questionnaire

pytestmark = pytest.mark.browser

#: Enough Tab presses to cross a page's header, the counts and the form to the button wanted.
MOST_TABS = 80


def focused(page: Page, selector: str) -> bool:
    """Whether the element with the keyboard focus matches a CSS selector."""
    return bool(page.evaluate("s => document.activeElement !== null && document.activeElement.matches(s)", selector))


def tab_to(page: Page, selector: str) -> None:
    """Press Tab until the focus is on an element matching the selector (failing if it never gets there)."""
    for _ in range(MOST_TABS):
        page.keyboard.press("Tab")
        if focused(page, selector):
            return
    raise AssertionError(f"Tab never reached {selector} on {page.url}")


def test_a_whole_questionnaire_is_agreed_from_the_keyboard_alone(page: Page, demo: Demo) -> None:
    page.goto("/sign-in")
    tab_to(page, "input[name=email]")
    page.keyboard.type(FACILITATOR)
    tab_to(page, "input[name=password]")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page).not_to_have_url(re.compile(r"/sign-in"))
    page.goto(demo.round_url("divergence", PROCUREMENT))
    tab_to(page, "a.govuk-button")  # "Start with question 1"
    page.keyboard.press("Enter")
    total = len(questionnaire(demo, PROCUREMENT).questions)
    for number in range(1, total + 1):
        expect(page.locator(".govuk-caption-m")).to_contain_text(f"question {number} of {total} · {number - 1} agreed")
        if not page.locator("form input:checked").count():  # no suggestion: Space chooses the first answer
            tab_to(page, "form input[type=radio]")
            page.keyboard.press("Space")
        tab_to(page, 'button[value="next"]')
        page.keyboard.press("Enter")
        page.wait_for_load_state()
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile("Agreed answers: "))
    tab_to(page, "form button.govuk-button")  # "Confirm the agreed answers"
    page.keyboard.press("Enter")
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("are confirmed and scored")
    with demo.server.app.app_context():
        session = db.session()
        agreed = session.scalar(select(Response).join(Response.questionnaire_version).where(
            Response.assessment_id == demo.round_id, Response.kind == ResponseKind.CONSENSUS,
            Response.questionnaire_version.has(questionnaire_id=PROCUREMENT)))
        assert agreed is not None and agreed.status == ResponseStatus.SUBMITTED
        assert len([a for a in answers_of(agreed).values() if a.is_given]) == total


def _confirm_agreed_answers(demo: Demo) -> tuple[str, int]:
    """Confirmed agreed answers to procurement maturity (by the lead); its first section's id and agreed level."""
    with demo.server.app.app_context():
        session = db.session()
        assessment = session.get(Assessment, demo.round_id)
        lead = session.scalar(select(User).filter_by(email=LEAD))
        assert assessment is not None and lead is not None
        link = next(link for link in assessment.questionnaires
                    if link.questionnaire_version.questionnaire_id == PROCUREMENT)
        model = questionnaire_of(link.questionnaire_version)
        response = agreed_response(session, assessment, link.questionnaire_version, lead)
        save_answers(session, response, demo_answers(model, "agreed-in-the-room"), lead)
        submit_response(session, response, lead)
        session.commit()
        first = section_levels(session, assessment, model)[0]
        assert first.agreed is not None
        return first.section.id, first.agreed


def test_a_target_at_the_agreed_level_is_refused_and_the_choice_kept(page: Page, demo: Demo) -> None:
    section_id, agreed = _confirm_agreed_answers(demo)
    sign_in(page, FACILITATOR)
    page.goto(demo.round_url("targets", PROCUREMENT))
    field = page.locator(f"#target-{section_id}")
    expect(page.get_by_text(re.compile(f"Agreed level: {agreed} ")).first).to_be_visible()
    page.locator(f'input[name="target-{section_id}"][value="{agreed}"]').check()
    page.get_by_role("button", name="Save targets").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text(f"must be above its agreed level, {agreed} ")
    expect(page.locator(f'input[name="target-{section_id}"][value="{agreed}"]')).to_be_checked()
    summary.get_by_role("link").first.click()
    expect(field).to_be_focused()
    assert_accessible(page)
