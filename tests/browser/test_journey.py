"""The respondent's journey in a real browser: sign in, answer, leave and resume, check, change, submit, results."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Locator, Page, expect

from assess import questionnaire_library
from assess.services.demo import DEMO_ROUND
from scoring.model import Question, Questionnaire
from tests.browser.conftest import MEMBER, Demo, sign_in

pytestmark = pytest.mark.browser

PROCUREMENT = "procurement-maturity"


def questionnaire(demo: Demo, questionnaire_id: str) -> Questionnaire:
    return questionnaire_library(demo.server.app).get(questionnaire_id)


def radio(page: Page, question_id: str, value: str | int) -> Locator:
    return page.locator(f'input[type="radio"][name="{question_id}"][value="{value}"]')


def comment(page: Page, question_id: str) -> Locator:
    return page.locator(f'textarea[name="{question_id}--comment"]')


def answer(page: Page, question: Question, level: int) -> None:
    """Choose the statement at ``level`` (the option at that position, or yes) and write a comment."""
    if question.type == "level":
        value: str | int = level
    elif question.type == "yes-no":
        value = "yes"  # a legal duty met: it caps nothing and weighs nothing in the mean
    else:
        value = question.options[level - 1].value
    radio(page, question.id, value).check()
    comment(page, question.id).fill(f"Evidence for {question.id}: level {level}.")


def task_list(page: Page, title: str) -> Locator:
    """The task list under a questionnaire's heading on the round page."""
    heading = page.get_by_role("heading", name=title, exact=True)
    return heading.locator("xpath=following-sibling::ul[contains(@class, 'govuk-task-list')][1]")


def task_status(tasks: Locator, name: str) -> Locator:
    item = tasks.locator("li.govuk-task-list__item").filter(has=tasks.page.get_by_text(name, exact=True))
    return item.locator(".govuk-task-list__status")


def expect_heading(page: Page, text: str) -> None:
    expect(page.get_by_role("heading", level=1)).to_have_text(text)


def test_wrong_password_shows_a_focused_error_summary_linking_to_the_field(page: Page, demo: Demo) -> None:
    page.goto("/sign-in")
    page.get_by_label("Email address").fill(MEMBER)
    page.get_by_label("Password", exact=True).fill("not-the-password")
    page.get_by_role("button", name="Sign in").click()

    expect(page).to_have_title(re.compile(r"^Error: Sign in"))
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_focused()
    expect(summary.get_by_role("heading")).to_have_text("There is a problem")
    link = summary.get_by_role("link", name="Enter a correct email address and password")
    expect(link).to_have_attribute("href", "#email")
    expect(page.locator("#email-error")).to_contain_text("Enter a correct email address and password")
    link.click()
    expect(page.get_by_label("Email address")).to_be_focused()

    page.get_by_label("Password", exact=True).fill("demo-password-1")
    page.get_by_role("button", name="Sign in").click()
    # One council with one open round to answer: straight to its task list.
    expect_heading(page, "Before the 2027 peer challenge")
    expect(page.locator(".govuk-task-list").first).to_be_visible()


def test_member_completes_a_questionnaire_leaving_and_resuming_then_changes_an_answer_and_submits(
    page: Page, demo: Demo
) -> None:
    procurement = questionnaire(demo, PROCUREMENT)
    sections = procurement.sections
    # Levels chosen per section (the "choice" question takes the option at that position).
    levels = {sections[0].id: 3, sections[1].id: 4, sections[2].id: 3, sections[3].id: 2}

    sign_in(page, MEMBER)  # one council, one open round: signing in goes straight to it
    expect_heading(page, DEMO_ROUND)
    tasks = task_list(page, procurement.title)
    expect(task_status(tasks, sections[0].title)).to_have_text("Not started")
    tasks.get_by_role("link", name=sections[0].title).click()

    # The first section in full, then on to the second.
    expect_heading(page, sections[0].title)
    for question in sections[0].questions:
        answer(page, question, levels[sections[0].id])
    page.get_by_role("button", name="Save and continue").click()

    # Half of the second section, then leave.
    expect_heading(page, sections[1].title)
    first, *rest = sections[1].questions
    answer(page, first, levels[sections[1].id])
    page.get_by_role("button", name="Save and come back later").click()

    expect_heading(page, DEMO_ROUND)
    tasks = task_list(page, procurement.title)
    expect(task_status(tasks, sections[0].title)).to_have_text("Completed")
    expect(task_status(tasks, sections[1].title)).to_have_text("In progress")
    expect(task_status(tasks, sections[2].title)).to_have_text("Not started")
    expect(task_status(tasks, "Check and submit your answers")).to_have_text("Cannot start yet")
    expect(tasks.get_by_role("link", name="Check and submit your answers")).to_have_count(0)

    # Resume: what was saved is still chosen.
    tasks.get_by_role("link", name=sections[1].title).click()
    expect_heading(page, sections[1].title)
    expect(radio(page, first.id, levels[sections[1].id])).to_be_checked()
    expect(comment(page, first.id)).to_have_value(f"Evidence for {first.id}: level {levels[sections[1].id]}.")
    for question in rest:
        expect(page.locator(f'input[name="{question.id}"]:checked')).to_have_count(0)
        answer(page, question, levels[sections[1].id])
    page.get_by_role("button", name="Save and continue").click()

    for section in sections[2:]:
        expect_heading(page, section.title)
        for question in section.questions:
            answer(page, question, levels[section.id])
        page.get_by_role("button", name="Save and continue").click()

    # Check your answers, then change one.
    expect_heading(page, "Check your answers")
    changed = sections[0].questions[0]
    row = page.locator(".govuk-summary-list__row").filter(has=page.get_by_text(changed.text, exact=True))
    expect(row.locator(".govuk-summary-list__value")).to_contain_text(f"Mature: {changed.statements[3]}")
    expect(row.locator(".govuk-summary-list__value")).to_contain_text(f"Comment: Evidence for {changed.id}: level 3.")
    page.get_by_role("link", name=f"Change {changed.text}").click()
    expect(page).to_have_url(re.compile(rf"/{PROCUREMENT}/{sections[0].id}\?change=yes#{changed.id}$"))
    expect(radio(page, changed.id, 3)).to_be_checked()
    radio(page, changed.id, 4).check()
    page.get_by_role("button", name="Save and continue").click()
    # Saving a change goes straight back to Check your answers, as in the GOV.UK pattern.
    expect_heading(page, "Check your answers")
    expect(row.locator(".govuk-summary-list__value")).to_contain_text(f"Leader: {changed.statements[4]}")
    expect(page.locator(".govuk-error-summary")).to_have_count(0)

    page.get_by_role("button", name="Submit your answers").click()

    # Results: the overall level, the chart with its text alternative, and the table.
    expect_heading(page, "Your results")
    expect(page.locator(".govuk-panel")).to_contain_text("Answers submitted")
    # Section means 3.25, 4, 3 and 2 (the unscored "choice" questions and the weightless legal duties do not count):
    # 3.06 rounds to Mature.
    expect(page.locator("p.govuk-body-l")).to_have_text("Overall level: Mature (level 3 of 5)")
    chart = page.locator("figure.app-chart svg")
    expect(chart).to_have_attribute("role", "img")
    expect(chart.locator("title")).to_have_text(f"{procurement.title}: level by section")
    expect(page.get_by_role("img", name=re.compile(rf"^{procurement.title}: level by section"))).to_be_visible()
    table = page.get_by_role("table", name="Your level in each section")
    expected_rows = [
        (sections[0].title, "Mature (3)", "6 of 6"),
        (sections[1].title, "Leader (4)", "3 of 3"),
        (sections[2].title, "Mature (3)", "3 of 3"),
        (sections[3].title, "Developing (2)", "5 of 5"),
    ]
    rows = table.locator("tbody tr")
    expect(rows).to_have_count(len(expected_rows))
    for position, (title, level, answered) in enumerate(expected_rows):
        expect(rows.nth(position).locator("th")).to_have_text(title)
        expect(rows.nth(position).locator("td").nth(0)).to_have_text(level)
        expect(rows.nth(position).locator("td").nth(1)).to_contain_text(f"({answered} questions answered.)")

    page.get_by_role("link", name="Back to your task list").click()
    submitted = page.get_by_role("heading", name=procurement.title, exact=True).locator("xpath=following-sibling::p[1]")
    expect(submitted).to_contain_text("Submitted")
    expect(submitted.get_by_role("link", name=f"See your results for {procurement.title}")).to_be_visible()


def test_a_conditional_question_appears_only_when_yes_is_chosen(page: Page, demo: Demo) -> None:
    finance = questionnaire(demo, "financial-planning")
    trigger = finance.question("has-commercial-activity")
    conditional = finance.question("commercial-governance")
    assert conditional.show_if is not None and conditional.show_if.question == trigger.id
    assert conditional.show_if.equals == "yes"
    assert finance.section_of(conditional.id).id == finance.section_of(trigger.id).id == "capital-and-assets"

    sign_in(page, MEMBER)
    page.goto(demo.round_url(finance.id, "capital-and-assets"))
    question = page.locator(f"#question-{conditional.id}")
    group = page.get_by_role("group", name=conditional.text)
    expect(page.get_by_role("group", name=trigger.text)).to_be_visible()
    expect(question).to_be_hidden()
    expect(group).to_be_hidden()

    page.get_by_role("group", name=trigger.text).get_by_label("No", exact=True).check()
    expect(question).to_be_hidden()

    page.get_by_role("group", name=trigger.text).get_by_label("Yes", exact=True).check()
    expect(question).to_be_visible()
    expect(group).to_be_visible()
    radio(page, conditional.id, 3).check()
    comment(page, conditional.id).fill("A shareholder committee meets quarterly.")

    page.get_by_role("group", name=trigger.text).get_by_label("No", exact=True).check()
    expect(question).to_be_hidden()
    page.get_by_role("group", name=trigger.text).get_by_label("Yes", exact=True).check()
    expect(group).to_be_visible()

    # Saved with Yes, the question shows straight away on coming back, with its answer.
    page.get_by_role("button", name="Save and come back later").click()
    expect_heading(page, DEMO_ROUND)
    page.goto(demo.round_url(finance.id, "capital-and-assets"))
    expect(radio(page, trigger.id, "yes")).to_be_checked()
    expect(group).to_be_visible()
    expect(radio(page, conditional.id, 3)).to_be_checked()
    expect(comment(page, conditional.id)).to_have_value("A shareholder committee meets quarterly.")


def test_submitting_an_incomplete_questionnaire_lists_each_missing_question(page: Page, demo: Demo) -> None:
    procurement = questionnaire(demo, PROCUREMENT)
    first = procurement.sections[0]
    sign_in(page, MEMBER)
    page.goto(demo.round_url(PROCUREMENT, first.id))
    for question in first.questions:
        answer(page, question, 2)
    page.get_by_role("button", name="Save and come back later").click()
    expect_heading(page, DEMO_ROUND)

    page.goto(demo.round_url(PROCUREMENT, "check"))
    expect(page.get_by_text("questions left to answer before you can submit")).to_be_visible()
    page.get_by_role("button", name="Submit your answers").click()

    expect(page).to_have_title(re.compile(r"^Error: Check your answers"))
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_focused()
    expect(summary.get_by_role("heading")).to_have_text("You cannot submit yet")
    missing = [q for section in procurement.sections[1:] for q in section.questions if q.required]
    links = summary.get_by_role("link")
    expect(links).to_have_count(len(missing))
    for position, question in enumerate(missing):
        section_id = procurement.section_of(question.id).id
        expect(links.nth(position)).to_have_text(f"Answer this question: {question.text}")
        expect(links.nth(position)).to_have_attribute(
            "href", f"/councils/DEMO/rounds/{demo.round_id}/{PROCUREMENT}/{section_id}#{question.id}")

    links.first.click()
    expect_heading(page, procurement.sections[1].title)
    expect(page).to_have_url(re.compile(rf"#{missing[0].id}$"))


def focused(page: Page) -> str:
    """What has the keyboard focus: its id, a link's address, or a button's tag and text."""
    return str(page.evaluate(
        "() => { const e = document.activeElement;"
        " return e.id || e.getAttribute('href') || `${e.tagName.toLowerCase()}:${(e.textContent || '').trim()}`; }"))


def tab_until(page: Page, target: str, most: int = 40) -> int:
    """Press Tab until ``target`` (as `focused` names it) has the focus; the number of presses."""
    for presses in range(1, most + 1):
        page.keyboard.press("Tab")
        if focused(page) == target:
            return presses
    raise AssertionError(f"{target} never took the focus in {most} presses of Tab")


def test_a_whole_section_can_be_answered_with_the_keyboard_alone(page: Page, demo: Demo) -> None:
    procurement = questionnaire(demo, PROCUREMENT)
    section = procurement.sections[2]
    levels = [3, 1, 5]
    assert len(section.questions) == len(levels)

    sign_in(page, MEMBER)
    page.goto(demo.round_url())
    expect_heading(page, DEMO_ROUND)
    # The task list's link to the section, reached with Tab and followed with Enter.
    link = f"/councils/DEMO/rounds/{demo.round_id}/{PROCUREMENT}/{section.id}"
    tab_until(page, link)
    page.keyboard.press("Enter")
    expect_heading(page, section.title)

    for position, (question, level) in enumerate(zip(section.questions, levels, strict=True)):
        if position == 0:
            tab_until(page, question.id)  # past the skip link, the header and the back link
        else:
            page.keyboard.press("Tab")
            assert focused(page) == question.id, "Tab from a comment goes on to the next question's first statement"
        # Space chooses the focused statement; each arrow key press chooses the next one.
        page.keyboard.press("Space")
        for _ in range(level - 1):
            page.keyboard.press("ArrowDown")
        expect(radio(page, question.id, level)).to_be_checked()
        expect(radio(page, question.id, level)).to_be_focused()
        page.keyboard.press("Tab")
        if page.locator(f"#question-{question.id} details").count():
            assert focused(page) == "summary:See what the council agreed last time", \
                "Tab from the statements goes on to what the council agreed last time, closed until opened"
            page.keyboard.press("Tab")
        assert focused(page) == f"{question.id}--comment", "Tab from the statements goes on to the comment"
        page.keyboard.type(f"Typed for {question.id}.")

    page.keyboard.press("Tab")
    assert focused(page) == "button:Save and continue"
    page.keyboard.press("Enter")
    expect_heading(page, procurement.sections[3].title)

    # Saved: the section shows the answers again, and the task list counts it as completed.
    page.goto(demo.round_url(PROCUREMENT, section.id))
    for question, level in zip(section.questions, levels, strict=True):
        expect(radio(page, question.id, level)).to_be_checked()
        expect(comment(page, question.id)).to_have_value(f"Typed for {question.id}.")
    page.goto(demo.round_url())
    expect(task_status(task_list(page, procurement.title), section.title)).to_have_text("Completed")
