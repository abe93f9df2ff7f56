"""A round start to finish in a real browser: nothing typed is lost, published means fixed, every PDF link is a file.

Issue 20: "Save and come back later" with a required comment empty keeps the answer; a published round refuses
an edit (a questionnaire added, its dates, an agreed answer) and changes its sharing in one step; no PDF link of
any role is marked `download`, each one leads to a PDF (with a real `assess worker` drawing), and a PDF that
cannot exist is not offered.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from assess import db, questionnaire_library
from assess.models import Assessment, AssessmentStatus, AuditEvent, Organisation, Sharing, User
from assess.services.agreement import agreed_response
from assess.services.demo import DEMO_CODE, demo_answers
from assess.services.questionnaires import questionnaire_of
from assess.services.responses import save_answers, submit_response
from assess.services.rounds import RoundDetails, change_status, start_round
from tests.browser.conftest import (
    FACILITATOR,
    LEAD,
    MEMBER,
    OFFICER,
    PASSWORD,
    TIMEOUT_MS,
    Demo,
    pdf_worker,
    sign_in,
)
from tests.browser.test_accessibility import assert_accessible

pytestmark = pytest.mark.browser

#: A respondent of the demo council who has not started: the cyber questionnaire's section with a required comment.
NOT_STARTED = "cllr.lewis@demo.example"


def test_save_later_keeps_an_answer_whose_required_comment_is_empty(page: Page, demo: Demo) -> None:
    sign_in(page, NOT_STARTED)
    page.goto(demo.round_url())
    who = page.locator("#who-sees")  # told before the first question who reads the answers, and how
    expect(who).to_contain_text("The council’s lead (Priya Shah) and the round’s facilitator (Sam Okafor) can read "
                                "your answers and comments, with your name.")
    page.goto(demo.round_url("cyber", "people-and-assurance"))
    page.locator('input[name="standards-certification"]').first.check()
    expect(page.locator("#standards-certification--comment")).to_have_value("")
    page.get_by_role("button", name="Save and come back later").click()
    expect(page).to_have_url(demo.round_url(""))
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Your answers have been saved")
    status = page.locator("#cyber-3-status")
    expect(status).to_have_text(re.compile(r"\s*In progress\s*"))
    page.goto(demo.round_url("cyber", "people-and-assurance"))
    expect(page.locator('input[name="standards-certification"]').first).to_be_checked()
    # Completing the section names what is missing, in full, and keeps what was chosen.
    page.get_by_role("button", name="Save and continue").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("Your answers have been saved. Before this section is complete:")
    expect(summary).to_contain_text("Add a comment or evidence for your answer to ‘The council meets and keeps up the "
                                    "security standards it is required or has chosen to meet.’")  # never cut short
    expect(page.locator('input[name="standards-certification"]').first).to_be_checked()
    assert_accessible(page)


def _published_round(demo: Demo, sharing: Sharing) -> int:
    """A round of the cyber questionnaire alone, agreed and published by the demo lead through the services."""
    app = demo.server.app
    with app.app_context():
        session = db.session()
        council = session.scalar(select(Organisation).filter_by(code=DEMO_CODE))
        lead = session.scalar(select(User).filter_by(email=LEAD))
        assert council is not None and lead is not None
        assessment = start_round(session, council, lead, RoundDetails("Spring check", ["cyber"]),
                                 questionnaire_library(app))
        change_status(session, assessment, AssessmentStatus.IN_REVIEW, lead)
        version = assessment.questionnaires[0].questionnaire_version
        agreed = agreed_response(session, assessment, version, lead)
        save_answers(session, agreed, demo_answers(questionnaire_of(version), "spring"), lead)
        submit_response(session, agreed, lead)
        change_status(session, assessment, AssessmentStatus.PUBLISHED, lead, sharing=sharing)
        session.commit()
        return assessment.id


def test_a_published_round_refuses_edits_and_changes_its_sharing_in_one_step(page: Page, demo: Demo) -> None:
    round_id = _published_round(demo, Sharing.NAMED)
    base = f"/councils/{DEMO_CODE}/rounds/{round_id}"
    sign_in(page, LEAD)
    page.goto(f"{base}/manage")
    shared = page.locator(".govuk-summary-list__row", has_text="Shared")
    expect(shared).to_contain_text(re.compile(r"Shared with the sector by name, since \d{1,2} \w+ \d{4}"))
    expect(page.get_by_role("link", name="Change questionnaires")).to_have_count(0)
    expect(page.get_by_role("button", name="Close answering and start the review")).to_have_count(0)
    expect(page.get_by_role("button", name="Withdraw the published results and return to review")).to_be_visible()
    # The sharing, in one step: its Change link, one choice, one button.
    loads: list[str] = []
    page.on("load", lambda loaded: loads.append(loaded.url))
    shared.get_by_role("link", name="Change").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Change how the results are shared")
    assert_accessible(page)
    page.get_by_label("Shared with the sector without the council’s name").check()
    page.get_by_role("button", name="Change how the results are shared").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text(
        "now shared with the sector without the council’s name")
    expect(shared).to_contain_text("Shared with the sector without the council’s name, since")
    page.wait_for_load_state("load")
    assert len(loads) == 2, loads  # the sharing page, then the round's page again
    with demo.server.app.app_context():
        assessment = db.session().get(Assessment, round_id)
        assert assessment is not None and assessment.sharing == Sharing.ANONYMOUS
        assert assessment.status == AssessmentStatus.PUBLISHED
        assert db.session().scalars(select(AuditEvent.detail).filter_by(action="round-sharing-changed")).all() == [
            {"from": "named", "to": "anonymous"}]
    # A questionnaire added and the dates changed: refused, with the reason.
    page.goto(f"{base}/edit")
    page.get_by_label("Use of data and intelligence").check()
    page.locator("#closes_on-day").fill("30")
    page.locator("#closes_on-month").fill("4")
    page.locator("#closes_on-year").fill("2030")
    page.get_by_role("button", name="Save changes").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text(
        "This round is published, so its questionnaires, dates and details cannot change")
    # An agreed answer changed: refused.
    page.goto(f"{base}/agree/cyber/managing-risk")
    page.locator(".app-question input[type=radio]").first.check()
    page.get_by_role("button", name="Save and continue").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("no longer taking these answers")
    with demo.server.app.app_context():
        assessment = db.session().get(Assessment, round_id)
        assert assessment is not None and assessment.closes_on is None
        assert [link.questionnaire_version.questionnaire_id for link in assessment.questionnaires] == ["cyber"]


#: Where each role meets PDF links (paths under the demo round, or absolute). An analyst's, the sector report, needs a
#: sector with figures: tests/browser/test_sector_pages.py follows it.
PDF_PAGES = {
    OFFICER: ["", "cyber/results", "profile"],
    LEAD: ["manage", "profile", "pack", "agree/"],
    FACILITATOR: ["manage", "profile", "pack", "agree/"],
}


def pdf_links(page: Page) -> dict[str, str | None]:
    """Every link on the page to a PDF address, with its `download` attribute (None: not marked)."""
    found: dict[str, str | None] = page.eval_on_selector_all(
        "a[href]", "links => Object.fromEntries(links.filter(a => /\\.pdf(\\?|$)/.test(a.pathname + a.search) "
                   "|| a.pathname.endsWith('.pdf')).map(a => [a.href, a.getAttribute('download')]))")
    return found


def eventually_a_pdf(page: Page, url: str) -> None:
    """Follow a PDF link as a browser without JavaScript would, again and again, until a PDF comes back."""
    deadline = time.monotonic() + 90
    while True:
        answer = page.request.get(url)
        kind = answer.headers.get("content-type", "")
        if kind == "application/pdf":
            assert answer.body().startswith(b"%PDF")
            return
        assert answer.status == 200 and "Your PDF is being prepared" in answer.text(), (url, answer.status, kind)
        assert time.monotonic() < deadline, f"{url} never became a PDF"
        time.sleep(1)


@pytest.mark.parametrize("who", list(PDF_PAGES))
def test_every_pdf_link_is_unmarked_and_leads_to_a_pdf(page: Page, demo: Demo, who: str, tmp_path: Path) -> None:
    sign_in(page, who)
    links: dict[str, str | None] = {}
    for path in PDF_PAGES[who]:
        page.goto(path if path.startswith("/") else demo.round_url(path))
        links |= pdf_links(page)
    assert links, f"{who} was offered no PDF"
    assert {url: marked for url, marked in links.items() if marked is not None} == {}
    with pdf_worker(demo.server, tmp_path / "worker.log"):
        for url in links:
            eventually_a_pdf(page, url)


def test_no_pdf_is_offered_where_none_can_exist(page: Page, demo: Demo) -> None:
    sign_in(page, MEMBER)  # part-way, nothing submitted: no profile of their own answers yet
    page.goto(demo.round_url())
    assert pdf_links(page) == {}
    assert page.request.get(demo.round_url("profile.pdf")).status == 404
    page.context.clear_cookies()
    sign_in(page, LEAD)
    with demo.server.app.app_context():
        session = db.session()
        council = session.scalar(select(Organisation).filter_by(code=DEMO_CODE))
        lead = session.scalar(select(User).filter_by(email=LEAD))
        assert council is not None and lead is not None
        empty = start_round(session, council, lead, RoundDetails("Nothing yet", ["cyber"]),
                            questionnaire_library(demo.server.app))
        session.commit()
        empty_id = empty.id
    page.goto(f"/councils/{DEMO_CODE}/rounds/{empty_id}/manage")
    expect(page.get_by_role("heading", level=1)).to_have_text("Nothing yet")
    assert pdf_links(page) == {}
    page.goto(f"/councils/{DEMO_CODE}/rounds/{empty_id}/agree/")
    assert pdf_links(page) == {}


def test_the_prepared_page_without_javascript_asks_again_until_the_pdf_downloads(browser: Browser, demo: Demo,
                                                                                 tmp_path: Path) -> None:
    context = browser.new_context(base_url=demo.url, java_script_enabled=False, accept_downloads=True)
    context.set_default_timeout(TIMEOUT_MS)
    try:
        page = context.new_page()
        sign_in(page, OFFICER, PASSWORD)
        with pdf_worker(demo.server, tmp_path / "worker.log"):
            with page.expect_download(timeout=90_000) as download:
                page.goto(demo.round_url("profile.pdf"))
                expect(page.get_by_role("heading", level=1)).to_have_text("Your PDF is being prepared")
            assert Path(download.value.path()).read_bytes().startswith(b"%PDF")
    finally:
        context.close()
