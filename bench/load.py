"""Load test (`make load-test`; not part of the test suite): many respondents saving at once, then lost saves counted.

Each respondent signs in, then loads one of their own section pages and saves it (with the
lock_version the page carries, as a browser does), section after section, for the time given. Every
save the server acknowledges (a redirect onwards) is remembered; afterwards the database must hold,
for every section, exactly the last acknowledged save. Any error (a status other than the page or
the redirect, a broken connection) or lost save fails the run (exit status 1). It runs on SQLite
(WAL) and, when given a database it may empty, on PostgreSQL; gunicorn serves the app with the
repository's gunicorn.conf.py. Requests go to loopback only and stop at the time or count given.

Usage: python -m bench.load [--respondents 64] [--seconds 60] [--postgres URL] [--skip-sqlite]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select

from assess.config import SHIPPED_QUESTIONNAIRES
from assess.library import load_file
from assess.models import Answer, Response, User
from bench.serve import Browser, Server, gunicorn, hidden_fields
from bench.site import PASSWORD, Site, build_site, respondent_email, server_environment

QUESTIONNAIRE = "data"
#: However long the run, no respondent makes more saves than this.
MAXIMUM_SAVES = 5_000


@dataclass
class Respondent:
    """One person's run: the saves the server acknowledged (last one a section), their latencies, errors."""

    email: str
    acknowledged: dict[str, tuple[int, str]] = field(default_factory=dict)
    saves: int = 0
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def run(self, server: Server, site: Site, sections: dict[str, list[str]], levels: list[int],
            deadline: float) -> None:
        """Sign in, then save sections in turn until the deadline (or MAXIMUM_SAVES)."""
        browser = Browser(server.base)
        try:
            browser.sign_in(self.email, PASSWORD)
        except (OSError, RuntimeError) as error:
            self.errors.append(f"sign-in: {error}")
            return
        names = list(sections)
        for attempt in range(MAXIMUM_SAVES):
            if time.monotonic() >= deadline:
                return
            section = names[attempt % len(names)]
            url = f"/councils/DEMO/rounds/{site.round_id}/{QUESTIONNAIRE}/{section}"
            value, mark = levels[attempt % len(levels)], f"{self.email} save {attempt}"
            try:
                page = browser.request(url)
                if page.status != 200:
                    self.errors.append(f"GET {url}: {page.status}")
                    continue
                form = {**hidden_fields(page.text), "action": "later"}
                for question in sections[section]:
                    form[question], form[f"{question}--comment"] = str(value), mark
                started = time.perf_counter()
                saved = browser.request(url, form)
                self.latencies.append(time.perf_counter() - started)
            except OSError as error:
                self.errors.append(f"{url}: {error}")
                continue
            if saved.status == 302:
                self.acknowledged[section] = (value, mark)
                self.saves += 1
            else:
                self.errors.append(f"POST {url}: {saved.status}")


def lost_saves(site: Site, people: list[Respondent], sections: dict[str, list[str]]) -> list[str]:
    """Every acknowledged save whose answers the database does not hold exactly."""
    engine = site.engine()
    lost = []
    with engine.connect() as connection:
        for person in people:
            rows = connection.execute(
                select(Answer.question_id, Answer.value, Answer.comment).join(Response).join(
                    User, Response.respondent_id == User.id).where(User.email == person.email)).all()
            stored = {question: (value, comment) for question, value, comment in rows}
            for section, expected in person.acknowledged.items():
                if any(stored.get(question) != expected for question in sections[section]):
                    lost.append(f"{person.email} {section}: expected {expected}")
    engine.dispose()
    return lost


def load_test(label: str, url: Callable[[Path], str], respondents: int, seconds: int) -> bool:
    """Run the load on one database and print what happened; True when nothing was lost and nothing failed."""
    loaded, _problems = load_file(SHIPPED_QUESTIONNAIRES / f"{QUESTIONNAIRE}.yaml")
    assert loaded is not None
    questionnaire = loaded.questionnaire
    sections = {s.id: [q.id for q in s.questions] for s in questionnaire.sections}
    levels = [level.level for level in questionnaire.scale]
    with tempfile.TemporaryDirectory(prefix="assess-load-") as name:
        folder = Path(name)
        site = build_site(url(folder), respondents)
        people = [Respondent(respondent_email(n)) for n in range(respondents)]
        with gunicorn("assess:create_app()", folder / "gunicorn.log", workers=None,
                      env=server_environment(site.url, str(folder))) as server:
            deadline = time.monotonic() + seconds
            threads = [threading.Thread(target=p.run, args=(server, site, sections, levels, deadline)) for p in people]
            started = time.monotonic()
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            elapsed = time.monotonic() - started
        lost = lost_saves(site, people, sections)
    errors = [error for p in people for error in p.errors]
    latencies = sorted(s for p in people for s in p.latencies)
    saves = sum(p.saves for p in people)
    centiles = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else [0.0] * 99
    print(f"{label}: {respondents} respondents for {elapsed:.0f} s: {saves} saves acknowledged "
          f"({saves / elapsed:.1f} a second), save p50/p95/p99 {centiles[49] * 1000:.0f}/{centiles[94] * 1000:.0f}/"
          f"{centiles[98] * 1000:.0f} ms; {len(errors)} errors, {len(lost)} lost acknowledged saves")
    for problem in (errors + lost)[:20]:
        print(f"  {problem}")
    return not errors and not lost and saves > 0


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__.split("\n\n")[0])
    parser.add_argument("--respondents", type=int, default=64, help="respondents saving at once (default 64)")
    parser.add_argument("--seconds", type=int, default=60, help="how long they save for (default 60)")
    parser.add_argument("--postgres", help="a PostgreSQL database the test may empty (created if missing)")
    parser.add_argument("--skip-sqlite", action="store_true", help="only run on PostgreSQL")
    args = parser.parse_args()
    runs: list[tuple[str, Callable[[Path], str]]] = []
    if args.postgres:
        runs.append(("PostgreSQL", lambda _folder: str(args.postgres)))
    if not args.skip_sqlite:
        runs.append(("SQLite (WAL)", lambda folder: f"sqlite:///{folder / 'load.sqlite'}"))
    results = [load_test(label, url, args.respondents, args.seconds) for label, url in runs]
    raise SystemExit(0 if all(results) else 1)


if __name__ == "__main__":
    main()
