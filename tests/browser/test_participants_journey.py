"""A new round asks only the people invited to it: completion, reminders and the pack's participation count them
and nobody else of the council (issue 20: a new round counted the whole council, reminded the lead)."""

from __future__ import annotations

import re
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from assess import db
from assess.models import Assessment, User
from assess.services.agreement import agreed_response
from assess.services.demo import demo_answers
from assess.services.questionnaires import questionnaire_of
from assess.services.responses import individual_response, save_answers, submit_response
from tests.browser.conftest import LEAD, Demo, sign_in
from tests.browser.test_journey import expect_heading
from tests.browser.test_team_journey import answer_procurement_maturity, emailed_link, new_page

pytestmark = pytest.mark.browser

ROUND = "Spring 2027 check"
INVITED = {"officer.one@demo.example": "Officer One", "officer.two@demo.example": "Officer Two",
           "cllr.three@demo.example": "Cllr Three", "cllr.four@demo.example": "Cllr Four"}


def reminders_in_outbox(demo: Demo) -> dict[str, str]:
    """Each reminder in the server's outbox: its recipient and plain text."""
    found = {}
    for path in (Path(demo.server.app.instance_path) / "outbox").glob("*.eml"):
        message = message_from_bytes(path.read_bytes(), policy=policy.default)
        if str(message["Subject"]).startswith("Reminder:"):
            body = message.get_body(("plain",))
            assert body is not None
            found[str(message["To"])] = body.get_content()
    return found


def submit_everything(demo: Demo, round_id: int, email: str, agreed: bool = False) -> None:
    """The person submits every questionnaire of the round (or, for the lead, the agreed answers to each)."""
    with demo.server.app.app_context():
        session = db.session()
        assessment = session.get(Assessment, round_id)
        person = session.scalar(select(User).filter_by(email=email))
        assert assessment is not None and person is not None
        for link in assessment.questionnaires:
            version = link.questionnaire_version
            response = (agreed_response(session, assessment, version, person) if agreed
                        else individual_response(session, assessment, version, person, "member"))
            save_answers(session, response, demo_answers(questionnaire_of(version), email), person)
            submit_response(session, response, person)
        session.commit()


def test_a_new_round_asks_only_the_four_people_it_invites(page: Page, browser: Browser, demo: Demo) -> None:
    sign_in(page, LEAD)
    page.goto("/councils/DEMO/rounds/new")
    page.get_by_label("Name of the round").fill(ROUND)
    page.get_by_label("Procurement maturity").check()
    page.get_by_label("Cyber security").check()
    page.get_by_role("button", name="Start the round").click()
    expect_heading(page, ROUND)
    round_id = int(re.findall(r"/rounds/(\d+)/manage", page.url)[0])
    # The demo council has nine members; none of them is asked in a round that has invited nobody.
    expect(page.get_by_text("Nobody is asked in this round yet.")).to_be_visible()
    expect(page.get_by_role("link", name="People asked in this round (0)")).to_be_visible()

    for group, emails in (("Senior officers", list(INVITED)[:2]), ("Elected members", list(INVITED)[2:])):
        page.get_by_role("link", name="Invite people to answer").click()
        page.get_by_label(group).check()
        page.get_by_label("Email addresses").fill("\n".join(f"{INVITED[e]} <{e}>" for e in emails))
        page.get_by_role("button", name="Send invitations").click()
        expect(page.locator(".govuk-notification-banner--success")).to_contain_text("2 invitations sent")
        page.get_by_role("link", name="Back").click()
    page.goto(f"/councils/DEMO/rounds/{round_id}/invitations")
    for email, name in INVITED.items():
        row = page.get_by_role("row", name=re.compile(re.escape(email)))
        expect(row).to_contain_text(name)
        expect(row).to_contain_text("Pending")
    expect(page.get_by_role("row", name=re.compile("cllr.four@demo.example"))).to_contain_text("Elected members")

    for email, name in INVITED.items():
        invitee = new_page(browser, demo)
        invitee.goto(emailed_link(demo, email))
        expect(invitee.get_by_label("Full name")).to_have_value(name)
        invitee.get_by_label("Create a password").fill("copper meadow lantern")
        invitee.get_by_label("Confirm password").fill("copper meadow lantern")
        invitee.get_by_role("button", name="Create account and join").click()
        expect(invitee).to_have_url(re.compile(rf"/councils/DEMO/rounds/{round_id}/$"))
        if email == "officer.one@demo.example":
            answer_procurement_maturity(invitee, Demo(demo.server, round_id))  # this round's pages
        invitee.context.close()
    submit_everything(demo, round_id, "cllr.three@demo.example")

    # Completion counts the four people asked, not the council's members nor its lead.
    page.goto(f"/councils/DEMO/rounds/{round_id}/completion")
    expect(page.locator("caption")).to_have_text("4 of the 4 people asked")
    for name in ("Priya Shah", "Tom Hughes", "Cllr Jean Evans"):
        expect(page.get_by_role("link", name=name)).to_have_count(0)
    page.goto(f"/councils/DEMO/rounds/{round_id}/manage")
    expect(page.get_by_role("link", name="People asked in this round (4)")).to_be_visible()

    # The reminders preview: only the three with something unfinished, each with what they still have to do.
    page.get_by_role("button", name="Preview reminders").click()
    expect_heading(page, "Send reminders")
    rows = page.locator("#reminders .govuk-summary-list__row")
    expect(rows).to_have_count(3)
    expect(rows.filter(has_text="Officer One")).to_contain_text("Cyber security")
    expect(rows.filter(has_text="Officer One")).not_to_contain_text("Procurement maturity")
    expect(rows.filter(has_text="Officer Two")).to_contain_text("Procurement maturity")
    for name in ("Cllr Three", "Priya Shah", "Tom Hughes"):
        expect(rows.filter(has_text=name)).to_have_count(0)
    assert reminders_in_outbox(demo) == {}  # the preview sends nothing
    page.get_by_role("button", name="Send 3 reminders").click()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("3 reminders sent")
    sent = reminders_in_outbox(demo)
    assert set(sent) == {"officer.one@demo.example", "officer.two@demo.example", "cllr.four@demo.example"}
    assert "- Cyber security" in sent["officer.one@demo.example"]
    assert "Procurement maturity" not in sent["officer.one@demo.example"]
    assert "- Procurement maturity\n" in sent["cllr.four@demo.example"]
    assert "- Cyber security\n" in sent["cllr.four@demo.example"]

    # Closing answering says how many of those asked have not finished, and offers a reminder first.
    page.get_by_role("button", name="Close answering and start the review").click()
    expect(page.locator(".govuk-warning-text")).to_contain_text(
        "3 of the 4 people asked in this round have not submitted everything yet")
    expect(page.get_by_role("link", name="Send them a reminder first")).to_be_visible()
    page.get_by_role("button", name="Close answering and start the review").click()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("in review")

    submit_everything(demo, round_id, LEAD, agreed=True)
    page.goto(f"/councils/DEMO/rounds/{round_id}/pack")
    expect(page.get_by_text(re.compile(r"2 of the 4 people asked \(50%\) gave their own views"))).to_be_visible()
