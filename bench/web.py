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

Pages are rows of PAGES: add a page there (with the persona whose view of it counts) to measure it.

Usage: python -m bench.web [--seconds 5] [--repeat 1] [--postgres URL] [--skip-sqlite] [--pages NAME,...]
"""

from __future__ import annotations

import argparse
import logging
import math
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from sqlalchemy import event

from assess import create_app
from bench.serve import Browser, Server, gunicorn, hidden_fields
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


def sql_statements(site: Site, pages: tuple[Page, ...]) -> dict[str, int]:
    """The SQL statements one request of each page runs (its second request, once caches are warm)."""
    app = create_app({"DATABASE_URL": site.url, "SECRET_KEY": SECRET_KEY})
    logging.getLogger("assess.request").setLevel(logging.WARNING)  # this process's requests are not the benchmark's
    statements: list[str] = []
    event.listen(app.extensions["assess.engine"], "before_cursor_execute",
                 lambda *args: statements.append(args[2]))
    clients = {}
    for persona in ("respondent", *PERSONAS):
        email = persona_email(persona)
        client = clients[persona] = app.test_client()
        sign_in = client.get("/sign-in").get_data(as_text=True)
        client.post("/sign-in", data={**hidden_fields(sign_in), "email": email, "password": PASSWORD})
    counts = {}
    for page in pages:
        client = clients[page.persona]
        for _ in range(2):
            form = _save_form(client.get(page.url(site)).get_data(as_text=True)) if page.save else None
            before = len(statements)
            answer = client.post(page.url(site), data=form) if form is not None else client.get(page.url(site))
            if answer.status_code not in (200, 302):
                raise RuntimeError(f"{page.name}: {answer.status_code}")
        counts[page.name] = len(statements) - before
    app.extensions["assess.engine"].dispose()
    return counts


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
        app = stack.enter_context(gunicorn("assess:create_app()", folder / "app.log",
                                           env=server_environment(site.url, str(folder)), **common))
        bare = stack.enter_context(gunicorn("bench.bare:app", folder / "bare.log", ready_path="/", **common))
        yield app, bare


def benchmark(label: str, site: Site, seconds: int, repeat: int, folder: Path, pages: tuple[Page, ...] = PAGES) -> None:
    """Measure ``pages`` on one database and print the table (medians of ``repeat`` runs)."""
    sql = sql_statements(site, pages)
    print(f"\n{label}: gunicorn, {WORKERS} sync workers; wrk for {seconds} s a run, medians of {repeat} run(s); "
          "throughput as a share of the bare Flask endpoint's at the same number of clients")
    print(f"{'page':<26}{'clients':>8}{'req/s':>9}{'vs bare':>9}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}"
          f"{'CPU ms/req':>12}{'x bare':>8}{'SQL/req':>9}{'errors':>8}")
    with _servers(site, folder) as (app, bare):
        bare_people = [Person("", "", 0)]
        people = {"respondent": _people(app, site, "respondent", max(CLIENTS)),
                  **{persona: _people(app, site, persona, 1) for persona in PERSONAS}}
        for clients in CLIENTS:
            bases: list[Run] = []
            runs: dict[str, list[Run]] = {page.name: [] for page in pages}
            for _ in range(repeat):  # the bare endpoint beside each round of pages, under the same load
                bases.append(wrk(bare, "/", bare_people, clients, seconds))
                for page in pages:
                    who = people[page.persona]
                    if page.save:  # each respondent's section has moved on since they signed in
                        who = _people(app, site, "respondent", max(CLIENTS))
                    runs[page.name].append(wrk(app, page.url(site), who, clients, seconds,
                                               "POST" if page.save else "GET"))
            base = _median(bases)
            _row("bare Flask endpoint", clients, base, base, None)
            for page in pages:
                _row(page.name, clients, _median(runs[page.name]), base, sql[page.name])
    sys.stdout.flush()


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
    args = parser.parse_args()
    names = args.pages.split(",") if args.pages else [page.name for page in PAGES]
    unknown = set(names) - {page.name for page in PAGES}
    if unknown:
        parser.error(f"no such page: {', '.join(sorted(unknown))}")
    pages = tuple(page for page in PAGES if page.name in names)
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install wrk (make bench-web does)")
    targets: list[tuple[str, Callable[[Path], str]]] = []
    if not args.skip_sqlite:
        targets.append(("SQLite (WAL)", lambda folder: f"sqlite:///{folder / 'bench.sqlite'}"))
    if args.postgres:
        targets.append(("PostgreSQL", lambda _folder: str(args.postgres)))
    print(f"{os.cpu_count()} CPUs; {len(pages)} pages at {', '.join(map(str, CLIENTS))} clients")
    for label, url in targets:
        with tempfile.TemporaryDirectory(prefix="assess-bench-web-") as name:
            folder = Path(name)
            benchmark(label, build_site(url(folder), max(CLIENTS)), args.seconds, args.repeat, folder, pages)


if __name__ == "__main__":
    main()
