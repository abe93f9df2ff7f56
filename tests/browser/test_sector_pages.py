"""axe-core on the sector pages, over the demo council and a simulated sector: zero violations allowed."""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from assess import db, questionnaire_library
from assess.models import Organisation
from assess.services import sector
from assess.services.organisations import import_register, organisation_by_code, read_register
from assess.services.simulate import simulate
from tests.browser.conftest import LEAD, Demo, LiveServer, PhonePage, demo_database, sign_in
from tests.browser.test_accessibility import assert_accessible, phone_cases
from tests.browser.test_round_lifecycle import eventually_a_pdf, pdf_links

pytestmark = pytest.mark.browser

ANALYST = "analyst@demo.example"
TYPES = ("Unitary authority", "Non-metropolitan district", "County")
REGIONS = ("North West", "London", "South East", "East of England")


def write_register(path: Path, councils: int) -> Path:
    """A register of made-up councils across a few types and regions."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(("code", "name", "type", "region", "population_2020"))
        for n in range(councils):
            writer.writerow((f"S{n:03d}", f"Simshire {n}", TYPES[n % len(TYPES)], REGIONS[n % len(REGIONS)],
                             60_000 + 7_000 * n))
    return path


@pytest.fixture(scope="module")
def demo(live_server: LiveServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    """The demo council and a simulated sector of 45 councils, shared by the module's tests (they only read)."""
    register = write_register(tmp_path_factory.mktemp("register") / "register.csv", 45)
    with demo_database(live_server) as shared:
        with live_server.app.app_context():
            session = db.session()
            rows, _count = read_register(register)
            import_register(session, rows)
            councils = [c for row in rows if (c := organisation_by_code(session, row["code"])) is not None]
            simulate(session, councils, questionnaire_library(live_server.app), seed=5, rounds=2)
            session.commit()
        yield shared


def dashboard(page: Page, demo: Demo) -> None:
    sign_in(page, ANALYST)
    page.goto("/sector/?questionnaire=cyber")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Sector figures")
    expect(page.locator("svg[role=img]").first).to_be_attached()  # a phone shows its table instead
    expect(page.locator(".govuk-warning-text")).to_contain_text("simulated sector")


def dashboard_filtered(page: Page, demo: Demo) -> None:
    dashboard(page, demo)
    page.get_by_label("Council type", exact=True).select_option("County")
    page.get_by_role("button", name="Show figures").click()
    expect(page.get_by_text("Figures hidden (too few councils)").first).to_be_attached()  # in a chart


def dashboard_with_error(page: Page, demo: Demo) -> None:
    sign_in(page, ANALYST)
    page.goto("/sector/?questionnaire=cyber&from=yesterday")
    expect(page.locator(".govuk-error-summary")).to_be_visible()


def targeting(page: Page, demo: Demo) -> None:
    sign_in(page, ANALYST)
    page.goto("/sector/targeting?questionnaire=cyber&section=detecting&sort=change")
    expect(page.get_by_role("heading", level=2).first).to_contain_text("may need support")


def benchmark(page: Page, demo: Demo) -> None:
    sign_in(page, LEAD)
    page.goto("/councils/DEMO/benchmark?questionnaire=cyber")
    expect(page.get_by_text("Comparison group:")).to_be_visible()


def tokens(page: Page, demo: Demo) -> None:
    sign_in(page, "admin@demo.example")
    page.goto("/tokens/")
    page.get_by_label("Name", exact=True).fill("Power BI")
    page.get_by_role("button", name="Make token").click()
    expect(page.locator(".app-token")).to_be_visible()


def tokens_with_error(page: Page, demo: Demo) -> None:
    sign_in(page, ANALYST)
    page.goto("/tokens/")
    page.get_by_role("button", name="Make token").click()
    expect(page.locator(".govuk-error-summary")).to_be_visible()


def _named_council(demo: Demo) -> tuple[str, str]:
    """The code and name of a simulated council that shared by name, with at least five of its type that did too."""
    with demo.server.app.app_context():
        session = db.session()
        named = session.execute(select(Organisation.code, Organisation.name, Organisation.type)
                                .where(Organisation.id.in_(sector.named_councils()))
                                .order_by(Organisation.code)).tuples().all()
    return next((code, name) for code, name, kind in named if sum(k == kind for _c, _n, k in named) > 6)


def council_search(page: Page, demo: Demo) -> None:
    sign_in(page, ANALYST)
    page.goto("/sector/?questionnaire=cyber")
    page.get_by_label("Find a council").fill("Simshire 1")
    page.get_by_role("button", name="Find").click()
    expect(page.get_by_role("heading", level=2)).to_contain_text("found")


def council_search_with_error(page: Page, demo: Demo) -> None:
    sign_in(page, ANALYST)
    page.goto("/sector/councils?q=")
    expect(page.locator(".govuk-error-summary")).to_be_visible()


def rules(page: Page, demo: Demo) -> None:
    sign_in(page, ANALYST)
    page.goto("/sector/?questionnaire=cyber")
    page.get_by_role("link", name="How sector figures are counted and hidden").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("How sector figures are counted and hidden")


def analysts_benchmark(page: Page, demo: Demo) -> None:
    code, _name = _named_council(demo)
    sign_in(page, ANALYST)
    page.goto(f"/councils/{code}/benchmark?questionnaire=cyber")
    expect(page.get_by_text("This council's level", exact=True).first).to_be_attached()  # a phone shows the table
    expect(page.locator("td strong").filter(has_text="this council's level").first).to_be_visible()


def analysts_profile(page: Page, demo: Demo) -> None:
    code, name = _named_council(demo)
    sign_in(page, ANALYST)
    page.goto(f"/councils/{code}/profile")
    expect(page).to_have_title(re.compile(name))


PAGES: dict[str, Callable[[Page, Demo], None]] = {
    "find a council": council_search,
    "find a council, with an error": council_search_with_error,
    "how figures are counted and hidden": rules,
    "benchmark, for an analyst": analysts_benchmark,
    "a council's agreed profile, for an analyst": analysts_profile,
    "sector dashboard": dashboard,
    "sector dashboard with hidden groups": dashboard_filtered,
    "sector dashboard with a filter error": dashboard_with_error,
    "targeting list": targeting,
    "benchmark": benchmark,
    "API tokens with a new token": tokens,
    "API tokens with an error": tokens_with_error,
}


@pytest.mark.parametrize("visit", list(PAGES.values()), ids=list(PAGES))
def test_sector_page_has_no_axe_violations(page: Page, demo: Demo, visit: Callable[[Page, Demo], None]) -> None:
    visit(page, demo)
    assert_accessible(page)


def test_an_analyst_finds_a_council_by_name_and_opens_its_benchmark_which_marks_it(page: Page, demo: Demo) -> None:
    code, name = _named_council(demo)
    sign_in(page, ANALYST)
    page.goto("/sector/?questionnaire=cyber")
    page.get_by_label("Find a council").fill(name.lower())
    page.keyboard.press("Enter")
    page.get_by_role("link", name=f"Benchmark of {name}", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Compared with similar councils")
    expect(page.locator(".govuk-caption-l")).to_contain_text(name)
    # Marked in the chart (a triangle, named in the legend and in the chart's text alternative) and in the table.
    chart = page.locator("figure svg[role=img]")
    expect(chart.get_by_text("This council's level", exact=True)).to_be_visible()
    expect(chart.locator("desc")).to_contain_text("(This council's level: ")
    overall = page.get_by_role("row").filter(has=page.get_by_role("rowheader", name="Overall level"))
    expect(overall.locator("strong")).to_have_count(1)
    expect(overall.locator("strong")).to_contain_text("this council's level")
    # Its agreed profile is a link away.
    page.get_by_role("link", name=f"Agreed profile of {name}").click()
    expect(page).to_have_title(re.compile(name))


@pytest.mark.parametrize(("visit", "width"), phone_cases(PAGES, ("sector dashboard", "benchmark")))
def test_sector_page_fits_a_phone_without_csp_violation(phone_page: Callable[[int], PhonePage], demo: Demo,
                                                         visit: Callable[[Page, Demo], None], width: int) -> None:
    phone = phone_page(width)
    visit(phone.page, demo)
    phone.assert_fits_without_csp_violation()


def test_the_sector_reports_pdf_link_is_unmarked_and_leads_to_a_pdf(page: Page, demo: Demo) -> None:
    sign_in(page, ANALYST)
    page.goto("/sector/?questionnaire=cyber")
    links = pdf_links(page)
    assert links and all(marked is None for marked in links.values()), links
    for url in links:
        eventually_a_pdf(page, url)
