"""Web benchmark (`make bench-web`; never part of the test suite): each page against a bare Flask endpoint.

The app and a bare Flask endpoint (bench/bare.py) are served by gunicorn with the repository's
gunicorn.conf.py and the same number of sync workers, and wrk drives each in turn at 1, 4 and 16
clients, each client a connection of its own signed in as a respondent of its own (or the lead, for
the pages only a lead sees in full). For each page it prints throughput as a share of the bare
endpoint's at the same number of clients, p50/p95/p99 latency, the server's CPU time a request
(the workers' user + system time over the run, from /proc) and the SQL statements one request runs
(counted in-process on the same database). Every figure comes from one run of this command, on a
machine others may be using: compare the ratios, not the absolute numbers. Throughput shares move
with whatever else the machine runs; CPU time a request ("x bare": as a multiple of the bare
endpoint's) hardly does, so it is the steadier figure on a shared machine. Each run starts once the
requests the previous one left queued (PDFs, at 16 clients) have drained, so none is held up by
or charged for another page's work.

Pages are rows of PAGES: add a page there (with the persona whose view of it counts) to measure it. The app
is served with `assess worker` beside it, as deployed, so a PDF row measures PDFs already drawn.

Then, on servers of their own with nothing drawn yet, whether a page waits behind a PDF being drawn: the
question page asked for again and again by one client, alone and while PDF_PEOPLE each download their own
new profile PDF, once with the PDFs drawn in the request (JOBS_IMMEDIATE, as before the job queue) and once
with them drawn by the worker; with each PDF's first request, when it was ready, and a repeat request.

Usage: python -m bench.web [--seconds 5] [--repeat 1] [--postgres URL] [--skip-sqlite] [--pages NAME,...] [--pdfs-only]
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, fields
from functools import partial
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event
from werkzeug.test import TestResponse

from assess import create_app
from bench import verdict
from bench.serve import Browser, Server, assess_worker, gunicorn, hidden_fields
from bench.site import PASSWORD, SECRET_KEY, Site, build_site, respondent_email, server_environment

CLIENTS = (1, 4, 16)
WORKERS = 2
QUESTIONNAIRE, SECTION = "procurement-maturity", "showing-leadership"
SAVED = ("engaging-councillors", "engaging-senior-managers", "working-with-partners", "engaging-strategic-suppliers")


@dataclass(frozen=True)
class Page:
    """A page to measure: its name, address in the demo round, and who asks for it."""

    name: str
    path: str  # with {round} for the demo round's id
    persona: str = "respondent"  # "respondent" (one of their own a client), or the demo's "lead", "facilitator"...
    save: bool = False  # POST the section form, with the lock_version each save moves on

    def url(self, site: Site) -> str:
        """The page's path on the benchmark's site."""
        return self.path.format(round=site.round_id)


ROUND = "/councils/DEMO/rounds/{round}/"
PAGES = (
    Page("question (section) page", f"{ROUND}{QUESTIONNAIRE}/{SECTION}"),
    Page("task list", ROUND),
    Page("save a section", f"{ROUND}{QUESTIONNAIRE}/{SECTION}", save=True),
    Page("profile (HTML)", f"{ROUND}profile", persona="lead"),
    Page("profile.pdf", f"{ROUND}profile.pdf", persona="lead"),
    Page("manage the round", f"{ROUND}manage", persona="lead"),
    Page("completion", f"{ROUND}completion", persona="lead"),
    Page("divergence", f"{ROUND}divergence/{QUESTIONNAIRE}", persona="facilitator"),
    Page("agree a section", f"{ROUND}agree/{QUESTIONNAIRE}/{SECTION}", persona="facilitator"),
    Page("sector dashboard", "/sector/", persona="analyst"),
)
#: The demo's people the pages are asked for by (besides the benchmark's own respondents).
PERSONAS = sorted({page.persona for page in PAGES} - {"respondent"})


def persona_email(persona: str) -> str:
    """The address a persona signs in with."""
    return respondent_email(0) if persona == "respondent" else f"{persona}@demo.example"

#: The wrk script: each thread (one connection) is one person; a save carries the section's version,
#: which moves on by one with each save the server acknowledges (a redirect).
WRK_SCRIPT = """
local people = {%(people)s}
local method, path = "%(method)s", "%(path)s"
local count = 0
function setup(thread)
  count = count + 1
  thread:set("number", count)
end
function init(args)
  person = people[(number - 1) %% #people + 1]
  version = person.version
end
function request()
  local headers = {Cookie = person.cookie}
  if method == "POST" then
    headers["Content-Type"] = "application/x-www-form-urlencoded"
    local value = version %% 5 + 1
    local body = "action=later&csrf_token=" .. person.token .. "&lock_version=" .. version
    for _, question in ipairs({%(questions)s}) do body = body .. "&" .. question .. "=" .. value end
    return wrk.format("POST", path, headers, body)
  end
  return wrk.format("GET", path, headers)
end
function response(status, headers, body)
  if status == 302 then version = version + 1 end
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT %%d %%d %%d %%d %%d %%d\\n", summary.requests, summary.duration,
    e.connect + e.read + e.write + e.status + e.timeout, latency:percentile(50), latency:percentile(95),
    latency:percentile(99)))
end
"""


@dataclass(frozen=True)
class Person:
    """A signed-in person as wrk presents them: session cookie, CSRF token and the save section's version."""

    cookie: str
    token: str
    version: int

    def lua(self) -> str:
        """The person as a Lua table."""
        return f'{{cookie = "{self.cookie}", token = "{self.token}", version = {self.version}}}'


@dataclass(frozen=True)
class Run:
    """One wrk run: requests per second, errors, latency percentiles (ms) and server CPU a request (ms)."""

    rate: float
    requests: int
    errors: int
    p50: float
    p95: float
    p99: float
    cpu_ms: float


def _worker_cpu_seconds(server: Server) -> float:
    """User + system CPU time of the server's workers so far."""
    ticks = 0
    for pid in server.workers():
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


def _wait_until_idle(server: Server, seconds: float = 300) -> None:
    """Wait until the server's workers use no CPU: requests a run left queued (slow PDFs) have drained.

    Otherwise they would hold up the next run's requests and count in its CPU time.
    """
    deadline = time.monotonic() + seconds
    before = _worker_cpu_seconds(server)
    while time.monotonic() < deadline:
        time.sleep(0.5)
        now = _worker_cpu_seconds(server)
        if now - before < 0.01:
            return
        before = now
    raise RuntimeError(f"the server was still busy after {seconds:.0f} s")


def wrk(server: Server, path: str, people: list[Person], clients: int, seconds: int, method: str = "GET") -> Run:
    """Drive ``path`` with wrk at ``clients`` connections (one thread each) for ``seconds``."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as script:
        script.write(WRK_SCRIPT % {"people": ", ".join(p.lua() for p in people), "method": method, "path": path,
                                   "questions": ", ".join(f'"{q}"' for q in SAVED)})
        script.flush()
        _wait_until_idle(server)
        workers_before = server.workers()
        cpu_before = _worker_cpu_seconds(server)
        output = subprocess.run(["wrk", "-t", str(clients), "-c", str(clients), "-d", f"{seconds}s", "--timeout",
                                 "30s", "-s", script.name, server.base + path],
                                check=True, capture_output=True, text=True).stdout
        cpu = _worker_cpu_seconds(server) - cpu_before
        if server.workers() != workers_before:
            raise RuntimeError("a worker was replaced during the run: its CPU time is lost")
    match = re.search(r"RESULT (\d+) (\d+) (\d+) (\d+) (\d+) (\d+)", output)
    if not match:
        raise RuntimeError(f"wrk printed no result:\n{output}")
    requests, duration_us, errors, p50, p95, p99 = (int(g) for g in match.groups())
    # No request finished (a run too short for the page on a busy machine): no CPU time a request to give.
    return Run(requests / (duration_us / 1e6), requests, errors, p50 / 1000, p95 / 1000, p99 / 1000,
               cpu / requests * 1000 if requests else math.nan)


@contextmanager
def _in_process(site: Site) -> Iterator[tuple[Flask, dict[str, FlaskClient]]]:
    """The app on the benchmark's database in this process, with a test client signed in for each persona (PDFs
    drawn in the request: no worker runs beside it)."""
    app = create_app({"DATABASE_URL": site.url, "SECRET_KEY": SECRET_KEY, "JOBS_IMMEDIATE": True})
    logging.getLogger("assess.request").setLevel(logging.WARNING)  # this process's requests are not the benchmark's
    clients = {}
    for persona in ("respondent", *PERSONAS):
        client = clients[persona] = app.test_client()
        sign_in = client.get("/sign-in").get_data(as_text=True)
        client.post("/sign-in", data={**hidden_fields(sign_in), "email": persona_email(persona), "password": PASSWORD})
    try:
        yield app, clients
    finally:
        app.extensions["assess.engine"].dispose()


def _ask(page: Page, site: Site, client: FlaskClient, sending: Callable[[], object] = lambda: None) -> TestResponse:
    """One request of the page through the test client (a save first reads the form for its lock version);
    ``sending`` is called just before the request itself."""
    form = _save_form(client.get(page.url(site)).get_data(as_text=True)) if page.save else None
    sending()
    answer = client.post(page.url(site), data=form) if form is not None else client.get(page.url(site))
    if answer.status_code not in (200, 302):
        raise RuntimeError(f"{page.name}: {answer.status_code}")
    return answer


def sql_statements(site: Site, chosen: tuple[Page, ...]) -> dict[str, int]:
    """The SQL statements one request of each page runs (its second request, once caches are warm)."""
    counts = {}
    with _in_process(site) as (app, clients):
        statements: list[str] = []
        event.listen(app.extensions["assess.engine"], "before_cursor_execute",
                     lambda *args: statements.append(args[2]))
        sent_at: list[int] = []  # statements run before each request itself (after a save's form is read)
        for page in chosen:
            for _ in range(2):
                _ask(page, site, clients[page.persona], sending=lambda: sent_at.append(len(statements)))
            counts[page.name] = len(statements) - sent_at[-1]
    return counts


def profile_missed(site: Site, pages: list[str]) -> None:
    """Where the time goes in each page that missed a target, profiled in-process."""
    with _in_process(site) as (_app, clients):
        for page in PAGES:
            if page.name in pages:
                verdict.profile(page.name, partial(_ask, page, site, clients[page.persona]))


def _save_form(page: str) -> dict[str, str]:
    return {**hidden_fields(page), "action": "later", **dict.fromkeys(SAVED, "3")}


def _people(server: Server, site: Site, persona: str, count: int) -> list[Person]:
    """``count`` people signed in to the server: respondents of their own, or one of the demo's people (once)."""
    emails = [respondent_email(n) for n in range(count)] if persona == "respondent" else [persona_email(persona)]
    people = []
    for email in emails:
        browser = Browser(server.base)
        browser.sign_in(email, PASSWORD)
        fields = hidden_fields(browser.request(PAGES[0].url(site)).text) if persona == "respondent" \
            else hidden_fields(browser.request("/").text)
        people.append(Person(browser.cookie_header(), fields["csrf_token"], int(fields.get("lock_version", 0))))
    return people


@contextmanager
def _servers(site: Site, folder: Path) -> Iterator[tuple[Server, Server]]:
    """The app and the bare endpoint, each under gunicorn with WORKERS workers and no worker recycling."""
    with ExitStack() as stack:
        common: dict[str, Any] = {"workers": WORKERS, "extra": ["--max-requests", "0"]}
        environment = server_environment(site.url, str(folder))
        stack.enter_context(assess_worker(folder / "worker.log", environment))
        app = stack.enter_context(gunicorn("assess:create_app()", folder / "app.log", env=environment, **common))
        bare = stack.enter_context(gunicorn("bench.bare:app", folder / "bare.log", ready_path="/", **common))
        yield app, bare


def benchmark(label: str, site: Site, seconds: int, repeat: int, folder: Path, chosen: tuple[Page, ...]) -> None:
    """Measure the chosen pages on one database and print the table (medians of ``repeat`` runs), then PDF
    contention."""
    print(f"\n{label}")
    if chosen:
        pages(site, seconds, repeat, folder, chosen)
    pdf_contention(site, folder, seconds)
    sys.stdout.flush()


def pages(site: Site, seconds: int, repeat: int, folder: Path, chosen: tuple[Page, ...]) -> None:
    """Measure the chosen pages and print the table (medians of ``repeat`` runs), then judge the targets."""
    sql = sql_statements(site, chosen)
    print(f"gunicorn, {WORKERS} sync workers; wrk for {seconds} s a run, medians of {repeat} run(s); "
          "throughput as a share of the bare Flask endpoint's at the same number of clients")
    print(f"{'page':<26}{'clients':>8}{'req/s':>9}{'vs bare':>9}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}"
          f"{'CPU ms/req':>12}{'x bare':>8}{'SQL/req':>9}{'errors':>8}")
    judged: dict[str, verdict.Measured] = {}
    with _servers(site, folder) as (app, bare):
        bare_people = [Person("", "", 0)]
        people = {"respondent": _people(app, site, "respondent", max(CLIENTS)),
                  **{persona: _people(app, site, persona, 1) for persona in PERSONAS}}
        for clients in CLIENTS:
            bases: list[Run] = []
            runs: dict[str, list[Run]] = {page.name: [] for page in chosen}
            for _ in range(repeat):  # the bare endpoint beside each round of pages, under the same load
                bases.append(wrk(bare, "/", bare_people, clients, seconds))
                for page in chosen:
                    who = people[page.persona]
                    if page.save:  # each respondent's section has moved on since they signed in
                        who = _people(app, site, "respondent", max(CLIENTS))
                    runs[page.name].append(wrk(app, page.url(site), who, clients, seconds,
                                               "POST" if page.save else "GET"))
            base = _median(bases)
            _row("bare Flask endpoint", clients, base, base, None)
            for page in chosen:
                run = _median(runs[page.name])
                _row(page.name, clients, run, base, sql[page.name])
                if clients == verdict.JUDGED_AT:
                    judged[page.name] = verdict.Measured(run.rate / base.rate, run.p95, run.cpu_ms, sql[page.name])
    profile_missed(site, verdict.judge(judged))


#: Demo people whose own profile PDFs all differ (each their own answers, or the lead's view of everyone's).
PDF_PEOPLE = ("lead", "officer", "finance", "digital", "ceo", "cllr.khan", "cllr.brown")


@dataclass(frozen=True)
class Contention:
    """The question page's latencies (ms) alone and while new PDFs were asked for, and those PDFs' own timings."""

    alone: list[float]
    during: list[float]
    first_ms: list[float]  # each PDF's first request
    ready_s: float  # until the last PDF could be downloaded
    repeat_ms: list[float]  # each PDF asked for again once drawn


def _timed(browser: Browser, path: str) -> tuple[float, bool]:
    """Ask for ``path``: milliseconds taken, and whether a PDF came back."""
    start = time.perf_counter()
    answer = browser.request(path, timeout=300)
    if answer.status != 200:
        raise RuntimeError(f"{path}: {answer.status}")
    return (time.perf_counter() - start) * 1000, answer.headers.get("Content-Type") == "application/pdf"


def _probe(browser: Browser, path: str, stop: threading.Event) -> list[float]:
    """The page asked for back to back until ``stop``: each request's milliseconds."""
    times = []
    while not stop.is_set():
        times.append(_timed(browser, path)[0])
    return times


def _download(browser: Browser, path: str) -> tuple[float, float, float]:
    """A PDF asked for as a person would: its first request (ms), seconds until it came, a repeat request (ms)."""
    start = time.monotonic()
    first_ms, is_pdf = _timed(browser, path)
    while not is_pdf:  # the "being prepared" page: ask its status address, as its script does
        time.sleep(0.5)
        is_pdf = bool(json.loads(browser.request(path + "/status").text)["ready"])
    ready = time.monotonic() - start
    repeat_ms, is_pdf = _timed(browser, path)
    if not is_pdf:
        raise RuntimeError(f"{path}: no PDF once ready")
    return first_ms, ready, repeat_ms


def contention(server: Server, site: Site, seconds: float) -> Contention:
    """The question page alone for ``seconds``, then while each of PDF_PEOPLE downloads a new profile PDF."""
    probe = Browser(server.base)
    probe.sign_in(respondent_email(0), PASSWORD)
    question, pdf = PAGES[0].url(site), f"{ROUND.format(round=site.round_id)}profile.pdf"
    stop = threading.Event()
    threading.Timer(seconds, stop.set).start()
    alone = _probe(probe, question, stop)
    people = []
    for name in PDF_PEOPLE:
        people.append(Browser(server.base))
        people[-1].sign_in(persona_email(name), PASSWORD)
    stop = threading.Event()
    with ThreadPoolExecutor(len(people) + 1) as pool:
        during = pool.submit(_probe, probe, question, stop)
        downloads = list(pool.map(lambda person: _download(person, pdf), people))
        stop.set()
    return Contention(alone, during.result(), [d[0] for d in downloads], max(d[1] for d in downloads),
                      [d[2] for d in downloads])


def pdf_contention(site: Site, folder: Path, seconds: float) -> None:
    """Print whether the question page waits behind PDFs being drawn: drawn in the request, then by the worker."""
    print(f"\nThe question page (one client, back to back) alone for {seconds:.0f} s, then while {len(PDF_PEOPLE)} "
          "people each download their own new profile PDF; gunicorn, "
          f"{WORKERS} sync workers (ratios: during / alone)")
    print(f"{'PDFs drawn':<20}{'p50 alone':>10}{'p50 during':>11}{'ratio':>7}{'p95 alone':>10}{'p95 during':>11}"
          f"{'ratio':>7}{'max during':>11}{'PDF 1st ms':>11}{'ready s':>9}{'repeat ms':>10}")
    for label, immediate in (("in the request", True), ("by the worker", False)):
        instance = folder / label.replace(" ", "-")
        instance.mkdir()
        (instance / "config.py").write_text(f"JOBS_IMMEDIATE = {immediate}\n")
        environment = server_environment(site.url, str(instance))
        with ExitStack() as stack:
            if not immediate:
                stack.enter_context(assess_worker(instance / "worker.log", environment))
            server = stack.enter_context(gunicorn("assess:create_app()", instance / "app.log", env=environment,
                                                  workers=WORKERS, extra=["--max-requests", "0"]))
            measured = contention(server, site, seconds)
        alone, during = measured.alone, measured.during
        print(f"{label:<20}{_pct(alone, 50):>10.1f}{_pct(during, 50):>11.1f}{_pct(during, 50) / _pct(alone, 50):>7.1f}"
              f"{_pct(alone, 95):>10.1f}{_pct(during, 95):>11.1f}{_pct(during, 95) / _pct(alone, 95):>7.1f}"
              f"{max(during):>11.1f}{statistics.median(measured.first_ms):>11.1f}{measured.ready_s:>9.1f}"
              f"{statistics.median(measured.repeat_ms):>10.1f}", flush=True)


def _pct(values: list[float], percent: int) -> float:
    """The ``percent``th percentile (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(percent / 100 * len(ordered)) - 1)]


def _median(runs: list[Run]) -> Run:
    """Each figure's median over repeated runs; requests and errors added up."""
    return Run(**{f.name: (sum if f.name in ("requests", "errors") else statistics.median)(
        getattr(run, f.name) for run in runs) for f in fields(Run)})


def _row(name: str, clients: int, run: Run, base: Run, sql: int | None) -> None:
    print(f"{name:<26}{clients:>8}{run.rate:>9.1f}{run.rate / base.rate:>9.2%}{run.p50:>9.1f}{run.p95:>9.1f}"
          f"{run.p99:>9.1f}{run.cpu_ms:>12.2f}{run.cpu_ms / base.cpu_ms:>8.0f}{'' if sql is None else sql:>9}"
          f"{run.errors:>8}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.web", description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=5, help="length of each wrk run (default 5)")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each page, reported as medians (default 1)")
    parser.add_argument("--postgres", help="a PostgreSQL database the benchmark may empty (created if missing)")
    parser.add_argument("--skip-sqlite", action="store_true", help="only measure on PostgreSQL")
    parser.add_argument("--pages", help="only these pages, by name, comma-separated (default: every page)")
    parser.add_argument("--pdfs-only", action="store_true", help="only whether a page waits behind PDFs being drawn")
    args = parser.parse_args()
    names = args.pages.split(",") if args.pages else [page.name for page in PAGES]
    unknown = set(names) - {page.name for page in PAGES}
    if unknown:
        parser.error(f"no such page: {', '.join(sorted(unknown))}")
    chosen = () if args.pdfs_only else tuple(page for page in PAGES if page.name in names)
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install wrk (make bench-web does)")
    targets: list[tuple[str, Callable[[Path], str]]] = []
    if not args.skip_sqlite:
        targets.append(("SQLite (WAL)", lambda folder: f"sqlite:///{folder / 'bench.sqlite'}"))
    if args.postgres:
        targets.append(("PostgreSQL", lambda _folder: str(args.postgres)))
    print(f"{os.cpu_count()} CPUs; {len(chosen)} pages at {', '.join(map(str, CLIENTS))} clients")
    for label, url in targets:
        with tempfile.TemporaryDirectory(prefix="assess-bench-web-") as name:
            folder = Path(name)
            benchmark(label, build_site(url(folder), max(CLIENTS)), args.seconds, args.repeat, folder, chosen)


if __name__ == "__main__":
    main()
