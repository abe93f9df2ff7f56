"""Browser tests: the app served by a live server in a thread, driven by Debian's Chromium through Playwright.

The server runs once per session on its own database: a temporary SQLite file, or the migrated
PostgreSQL test database when ASSESS_TEST_DATABASE_URL is set. Each test starts from an empty
database holding only the demo council (`demo`), so no test depends on another's writes.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from alembic import command
from flask import Flask, got_request_exception
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, expect, sync_playwright
from sqlalchemy import Engine, select
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from assess import create_app, db, questionnaire_library
from assess.db import make_engine
from assess.migrations import alembic_config
from assess.models import Assessment, InvitedAs, RespondentGroup, User
from assess.services.demo import DEMO_CODE, DEMO_ROUND, create_demo
from assess.services.invitations import Invitee, invite
from tests.conftest import empty_tables

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PASSWORD = "demo-password-1"
LEAD = "lead@demo.example"
OFFICER = "officer@demo.example"
MEMBER = "member@demo.example"
FACILITATOR = "facilitator@demo.example"
ANALYST = "analyst@demo.example"
ADMIN = "admin@demo.example"

# Playwright waits at most this long for anything; the pages are local and small.
TIMEOUT_MS = 10_000


@pytest.fixture(scope="session", autouse=True)
def _chromium_present() -> None:
    """Skip every browser test, before starting anything, when Debian's Chromium is not installed."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: install Debian's chromium package (`make system-packages`) "
                    "to run browser tests")


class _QuietHandler(WSGIRequestHandler):
    """Werkzeug's request handler without a log line per request."""

    def log_request(self, *args: Any, **kwargs: Any) -> None:
        pass


def _body_read_at_once(app: Flask) -> WSGIApplication:
    """The app with each response's body read and closed before the server writes it.

    Werkzeug's development server skips closing a response when the browser drops the connection while it
    is being sent (a page closed with its favicon on the way): the static file stays open and its
    ResourceWarning fails whichever test is running when it is collected.
    """
    def serve(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        body = app(environ, start_response)
        try:
            return [b"".join(body)]
        finally:
            if hasattr(body, "close"):
                body.close()
    return serve


@dataclass
class LiveServer:
    """The app served over HTTP on 127.0.0.1, with the engine the tests use to reset its database."""

    app: Flask
    url: str
    engine: Engine
    errors: list[BaseException] = field(default_factory=list)


@pytest.fixture(scope="session")
def live_server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The app served by werkzeug in a background thread on a free port, for the whole session."""
    owns_engine = not os.environ.get("ASSESS_TEST_DATABASE_URL")
    if owns_engine:
        database_url = f"sqlite:///{tmp_path_factory.mktemp('browser-db') / 'live.sqlite'}"
        engine = make_engine(database_url)
        command.upgrade(alembic_config(engine), "head")
    else:
        # The suite's migrated PostgreSQL database; every other test leaves it empty, and so does each of these.
        engine = request.getfixturevalue("migrated_engine")
        database_url = request.getfixturevalue("database_url")
    app = create_app({
        "SECRET_KEY": "browser test secret key",
        "DATABASE_URL": database_url,
    })
    app.instance_path = str(tmp_path_factory.mktemp("browser-instance"))
    server: BaseWSGIServer = make_server("127.0.0.1", 0, _body_read_at_once(app), threaded=True,
                                         request_handler=_QuietHandler)
    live = LiveServer(app=app, url=f"http://127.0.0.1:{server.server_port}", engine=engine)

    def record(_sender: Flask, exception: BaseException, **_extra: Any) -> None:
        live.errors.append(exception)

    # Flask turns an unhandled exception into a 500 page; the test that caused it fails too (_no_server_errors).
    got_request_exception.connect(record, app, weak=False)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield live
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        app.extensions["assess.engine"].dispose()
        got_request_exception.disconnect(record, app)
        if owns_engine:
            engine.dispose()


@dataclass(frozen=True)
class Demo:
    """The demo council's open round on the live server."""

    server: LiveServer
    round_id: int

    @property
    def url(self) -> str:
        return self.server.url

    def round_url(self, *parts: str) -> str:
        """The round's task list, or a page under it: round_url("procurement-maturity", "check")."""
        return "/".join([f"{self.url}/councils/{DEMO_CODE}/rounds/{self.round_id}", *parts])


@contextmanager
def demo_database(server: LiveServer) -> Iterator[Demo]:
    """The server's database holding only the demo council, its accounts (password PASSWORD) and its open round."""
    empty_tables(server.engine)
    app = server.app
    with app.app_context():
        session = db.session()
        create_demo(session, questionnaire_library(app), PASSWORD)
        session.commit()
        round_id = session.scalar(select(Assessment.id).filter_by(title=DEMO_ROUND))
    assert round_id is not None
    try:
        yield Demo(server, round_id)
    finally:
        empty_tables(server.engine)


def invitation_link(server: LiveServer, email: str, invited_as: InvitedAs = InvitedAs.RESPONDENT) -> str:
    """A fresh invitation link to the demo round for an email address, as its email would carry it."""
    with server.app.app_context():
        session = db.session()
        assessment = session.scalar(select(Assessment).filter_by(title=DEMO_ROUND))
        lead = session.scalar(select(User).filter_by(email=LEAD))
        assert assessment is not None and lead is not None
        [issued] = invite(session, assessment, [Invitee(email, None, RespondentGroup.OFFICER)], lead, days=14,
                          invited_as=invited_as)
        session.commit()
    return f"/invitations/{issued.token}"


@contextmanager
def pdf_worker(server: LiveServer, log: Path) -> Iterator[None]:
    """A real `assess worker` drawing the live server's PDFs while the block runs (its output in ``log``)."""
    app = server.app
    environment = {**os.environ, "ASSESS_INSTANCE_PATH": app.instance_path, "ASSESS_SECRET_KEY": "browser worker",
                   "ASSESS_DATABASE_URL": app.config["DATABASE_URL"]}
    with log.open("wb") as output:
        worker = subprocess.Popen([str(Path(sys.executable).parent / "assess"), "worker", "--workers", "1"],
                                  env=environment, stdout=output, stderr=subprocess.STDOUT)
    try:
        yield
    finally:
        worker.terminate()
        worker.wait(timeout=60)
    assert "Traceback" not in log.read_text()


@pytest.fixture
def demo(live_server: LiveServer) -> Iterator[Demo]:
    """A fresh demo council for each test (a module whose tests only read may override it per module)."""
    with demo_database(live_server) as fresh:
        yield fresh


@pytest.fixture(autouse=True)
def _no_server_errors(live_server: LiveServer) -> Iterator[None]:
    """Fail the test if the server raised an unhandled exception while it ran (the browser only sees a 500)."""
    live_server.errors.clear()
    yield
    errors = list(live_server.errors)
    live_server.errors.clear()
    assert not errors, f"the server raised {errors!r}"


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as started:
        yield started


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    """Debian's Chromium, headless (Playwright's own browser download is not used)."""
    launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
    yield launched
    launched.close()


@pytest.fixture
def context(browser: Browser, demo: Demo) -> Iterator[BrowserContext]:
    """A fresh browser profile (no cookies) whose relative URLs go to the live server."""
    opened = browser.new_context(base_url=demo.url, viewport={"width": 1024, "height": 800}, locale="en-GB")
    opened.set_default_timeout(TIMEOUT_MS)
    yield opened
    opened.close()


@pytest.fixture
def page(context: BrowserContext) -> Page:
    """A tab in a fresh browser profile."""
    return context.new_page()


def sign_in(page: Page, email: str, password: str = PASSWORD) -> None:
    """Sign in through the sign-in page and wait for the page it leads to."""
    page.goto("/sign-in")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page).not_to_have_url(re.compile(r"/sign-in"))



def open_navigation(page: Page) -> None:
    """Open the service navigation's menu if the screen is narrow enough for GOV.UK Frontend to fold it away."""
    viewport = page.viewport_size
    if viewport is None or viewport["width"] >= TABLET_WIDTH:
        return
    # Decided by the width, not by whether the button shows yet: GOV.UK Frontend's script shows it once it has run,
    # which on a busy machine can be after the page has loaded.
    menu = page.get_by_role("button", name="Menu")
    expect(menu).to_be_visible()
    if menu.get_attribute("aria-expanded") != "true":
        menu.click()


#: GOV.UK Frontend's tablet breakpoint (40.0625em): narrower, the service navigation folds into its Menu button.
TABLET_WIDTH = 641

#: The phone widths every page must fit: a common phone, and the narrowest WCAG's reflow rule asks for.
PHONE_WIDTH = 390
NARROWEST_WIDTH = 320

#: Reports each Content-Security-Policy violation, with what was blocked, to the test (see phone_page).
_WATCH_CSP = """document.addEventListener("securitypolicyviolation", event => window.reportCspViolation(
  `${event.violatedDirective} blocked ${event.blockedURI || "inline"} on ${event.documentURI}`
  + (event.sample ? `: ${event.sample}` : "")));"""


@dataclass
class PhonePage:
    """A tab in a fresh profile at a phone's width, with every Content-Security-Policy violation on any page it
    showed: from the page's own securitypolicyviolation event and from Chromium's console message."""

    page: Page
    violations: list[str]

    def assert_fits_without_csp_violation(self) -> None:
        """Fail if the page as it is now scrolls sideways, or if any page the tab showed broke the policy."""
        scroll_width, client_width, wider = self.page.evaluate("""() => {
          const root = document.documentElement;
          const clipped = element => [...document.querySelectorAll(".app-table-scroll, .app-chart, svg")]
            .some(container => container !== element && container.contains(element));
          const wider = [...document.body.querySelectorAll("*")]
            .filter(element => element.getBoundingClientRect().right > root.clientWidth + 0.5 && !clipped(element))
            .slice(0, 5).map(element => element.outerHTML.slice(0, 160));
          return [root.scrollWidth, root.clientWidth, wider];
        }""")
        assert scroll_width <= client_width, (
            f"{self.page.url} scrolls sideways at {client_width} px: {scroll_width} px wide; wider than the "
            f"screen: {wider}")
        assert not self.violations, f"Content-Security-Policy violations: {self.violations}"


@pytest.fixture
def phone_page(browser: Browser, demo: Demo) -> Iterator[Callable[[int], PhonePage]]:
    """Opens tabs at a given phone width (each in a fresh profile), watching for Content-Security-Policy violations."""
    contexts: list[BrowserContext] = []

    def open_at(width: int) -> PhonePage:
        opened = browser.new_context(base_url=demo.url, viewport={"width": width, "height": 800}, locale="en-GB")
        opened.set_default_timeout(TIMEOUT_MS)
        contexts.append(opened)
        violations: list[str] = []
        opened.expose_binding("reportCspViolation", lambda _source, text: violations.append(text))
        opened.add_init_script(_WATCH_CSP)
        opened.on("console", lambda message: violations.append(message.text)
                  if "Content Security Policy" in message.text else None)
        return PhonePage(opened.new_page(), violations)

    yield open_at
    for opened in contexts:
        opened.close()
