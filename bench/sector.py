"""Benchmark of the sector views (run by `make bench-sector`; not part of the test suite).

For a simulated sector (the English councils register, 7 questionnaires, 2 published rounds a
council), each dashboard view and API call is timed through the app (query, Python, rendering)
against the raw SQL GROUP BY that computes the same figures, in one run, as a ratio; then again on
10% of the councils to show how time grows with the data. The EXPLAIN plan of each of the app's
queries is printed once. Run it on SQLite (a temporary file) and, given a URL, on PostgreSQL
(a database it may empty).

Usage: python -m bench.sector [--postgres URL] [--repeat 7] [--fractions 0.1 1.0] [--register FILE]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event, text

from assess import create_app, db, questionnaire_library
from assess.db import make_engine
from assess.migrations import rebuild
from assess.models import SiteRole
from assess.services import sector
from assess.services.organisations import import_register, organisation_by_code, read_register
from assess.services.simulate import simulate
from assess.services.tokens import create_token
from assess.services.users import add_user

ROOT = Path(__file__).resolve().parent.parent
REGISTER = ROOT.parent / "shared" / "data" / "english-councils.csv"
QUESTIONNAIRE = "cyber"
PASSWORD = "bench-password-1"

# The rounds that count, written by hand: each council's latest published, shared agreed response per questionnaire.
COUNTED = """
WITH ranked AS (
  SELECT r.id AS response_id, a.id AS round_id, a.organisation_id, o.type, o.region, o.population,
         v.id AS version_id,
         {year} AS year, a.published_at,
         row_number() OVER (PARTITION BY a.organisation_id, v.questionnaire_id{per_year}
                            ORDER BY a.published_at DESC, a.id DESC) AS rank
  FROM response r JOIN assessment a ON a.id = r.assessment_id
  JOIN questionnaire_version v ON v.id = r.questionnaire_version_id
  JOIN organisation o ON o.id = a.organisation_id
  JOIN score s0 ON s0.response_id = r.id AND s0.section_id IS NULL
  WHERE r.kind = 'consensus' AND a.status IN ('published', 'closed') AND a.published_at IS NOT NULL
    AND a.sharing IN ({sharing}) AND v.questionnaire_id = :questionnaire
), counted AS (SELECT * FROM ranked WHERE rank = 1)
"""


def raw_queries(dialect: str) -> dict[str, str]:
    """The hand-written SQL for each view's figures."""
    year = "CAST(strftime('%Y', a.published_at) AS INTEGER)" if dialect == "sqlite" else \
        "CAST(extract(year FROM a.published_at) AS INTEGER)"

    def counted(per_year: bool = False, sharing: str = "'anonymous', 'named'") -> str:
        return COUNTED.format(year=year, per_year=f", {year}" if per_year else "", sharing=sharing)

    levels = counted() + ("SELECT c.{group}, s.level, count(*) FROM counted c JOIN score s ON s.response_id = "
                          "c.response_id WHERE s.section_id IS NULL AND s.level IS NOT NULL "
                          "GROUP BY c.{group}, s.level")
    total = counted() + ("SELECT s.level, count(*) FROM counted c JOIN score s ON s.response_id = c.response_id "
                         "WHERE s.section_id IS NULL AND s.level IS NOT NULL GROUP BY s.level")
    participation = counted() + ("SELECT o.{group}, count(o.id), count(p.organisation_id) FROM organisation o "
                                 "LEFT JOIN (SELECT DISTINCT organisation_id FROM counted) p "
                                 "ON p.organisation_id = o.id GROUP BY o.{group}")
    sections = counted() + ("SELECT s.section_id, s.level, count(*) FROM counted c JOIN score s ON s.response_id = "
                            "c.response_id WHERE s.section_id IS NOT NULL AND s.level IS NOT NULL "
                            "GROUP BY s.section_id, s.level")
    gap = counted() + ("SELECT s.section_id, r.respondent_group, avg(s.level), count(DISTINCT c.organisation_id) "
                       "FROM counted c JOIN response r ON r.assessment_id = c.round_id "
                       "AND r.questionnaire_version_id = c.version_id JOIN score s ON s.response_id = r.id "
                       "WHERE r.kind = 'individual' AND r.status = 'submitted' AND r.respondent_group IN "
                       "('officer', 'member') AND s.section_id IS NOT NULL AND s.level IS NOT NULL "
                       "GROUP BY s.section_id, r.respondent_group")
    years = counted(per_year=True) + ("SELECT c.year, s.level, count(*) FROM counted c JOIN score s ON "
                                      "s.response_id = c.response_id WHERE s.section_id IS NULL AND s.level IS NOT "
                                      "NULL GROUP BY c.year, s.level")
    targeting = counted(sharing="'named'").replace("counted AS (SELECT * FROM ranked WHERE rank = 1)",
                                                   "counted AS (SELECT * FROM ranked WHERE rank <= 2)") + (
        "SELECT o.code, o.name, now.level, prev_s.level, "
        "(SELECT t.level FROM target t WHERE t.assessment_id = c.round_id AND t.questionnaire_id = :questionnaire "
        "AND t.section_id = 'detecting'), (SELECT count(x.id) FROM action x WHERE x.assessment_id = c.round_id AND "
        "x.questionnaire_id = :questionnaire AND x.due_on < CURRENT_DATE AND x.status != 'done') "
        "FROM counted c JOIN organisation o ON o.id = c.organisation_id "
        "JOIN score now ON now.response_id = c.response_id AND now.section_id = 'detecting' "
        "LEFT JOIN counted p ON p.organisation_id = c.organisation_id AND p.rank = 2 "
        "LEFT JOIN score prev_s ON prev_s.response_id = p.response_id AND prev_s.section_id = 'detecting' "
        "WHERE c.rank = 1 ORDER BY now.level - prev_s.level, o.name")
    published = ("SELECT CASE WHEN a.sharing = 'named' THEN o.code ELSE '' END, o.type, o.region, a.id, "
                 "a.published_at, v.questionnaire_id, v.version, s.section_id, s.level FROM response r "
                 "JOIN assessment a ON a.id = r.assessment_id JOIN questionnaire_version v ON "
                 "v.id = r.questionnaire_version_id JOIN organisation o ON o.id = a.organisation_id "
                 "JOIN score s ON s.response_id = r.id WHERE r.kind = 'consensus' AND a.status IN "
                 "('published', 'closed') AND a.published_at IS NOT NULL AND a.sharing IN ('anonymous', 'named') "
                 "ORDER BY a.published_at, a.id, v.questionnaire_id, s.section_id")
    benchmark = counted() + ("SELECT s.section_id, s.level, count(*) FROM (SELECT response_id FROM counted "
                             "WHERE type = :type AND organisation_id != :council AND population IS NOT NULL "
                             "ORDER BY abs(population - :population), organisation_id LIMIT 10) n "
                             "JOIN score s ON s.response_id = n.response_id WHERE s.level IS NOT NULL "
                             "GROUP BY s.section_id, s.level;" + counted(sharing="'named'") +
                             "SELECT s.section_id, s.level FROM counted c JOIN score s ON s.response_id = "
                             "c.response_id WHERE c.organisation_id = :council")
    return {
        "dashboard": ";".join([participation.format(group="type"), participation.format(group="region"),
                               total, levels.format(group="type"), total, levels.format(group="region"),
                               sections, gap, years]),
        "targeting": targeting,
        "benchmark": benchmark,
        "api levels": levels.format(group="region"),
        "api published.csv": published,
    }


@contextmanager
def prepared(url: str, register: Path, fraction: float) -> Iterator[tuple[Any, Engine, dict[str, str]]]:
    """The app on an emptied, migrated database holding a simulated sector of a fraction of the register."""
    engine = make_engine(url)
    rebuild(engine)
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "WTF_CSRF_ENABLED": False})
    rows, count = read_register(register)
    chosen = rows[:max(1, round(count * fraction))]
    with app.app_context():
        session = db.session()
        import_register(session, chosen)
        councils = [c for row in chosen if (c := organisation_by_code(session, row["code"])) is not None]
        started = time.perf_counter()
        simulate(session, councils, questionnaire_library(app), seed=1, rounds=2)
        analyst = add_user(session, "analyst@bench.example", "Analyst", PASSWORD, (SiteRole.ANALYST,))
        _token, secret = create_token(session, analyst, "bench")
        session.commit()
        print(f"  simulated {len(councils)} councils in {time.perf_counter() - started:.1f}s")
        questionnaire = questionnaire_library(app).files[QUESTIONNAIRE].questionnaire
        named = sector.targeting(session, sector.Filters(questionnaire=QUESTIONNAIRE), questionnaire,
                                 date.today(), "name")
        sample = organisation_by_code(session, named[len(named) // 2].code)
        assert sample is not None
        params = {"questionnaire": QUESTIONNAIRE, "type": sample.type, "council": sample.id,
                  "population": sample.population or 0, "code": sample.code}
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            connection.execute(text("ANALYZE"))
    try:
        yield app, engine, {**params, "token": secret}
    finally:
        app.extensions["assess.engine"].dispose()
        engine.dispose()


def median_times(app: Callable[[], object], sql: Callable[[], object], repeat: int) -> tuple[float, float]:
    """The median times of the app's view and of the raw SQL, run in turn ``repeat`` times after a warm-up each.

    Taking turns means a busy moment on a shared machine slows both sides of the ratio alike.
    """
    app(), sql()
    times: tuple[list[float], list[float]] = ([], [])
    for _ in range(repeat):
        for run, measured in ((app, times[0]), (sql, times[1])):
            started = time.perf_counter()
            run()
            measured.append(time.perf_counter() - started)
    return statistics.median(times[0]), statistics.median(times[1])


def views(app: Any, params: dict[str, Any]) -> dict[str, Callable[[], object]]:
    """Each view and API call, through the app (a signed-in analyst or a bearer token)."""
    client = app.test_client()
    client.post("/sign-in", data={"email": "analyst@bench.example", "password": PASSWORD})
    headers = {"Authorization": f"Bearer {params['token']}"}
    query = f"questionnaire={QUESTIONNAIRE}"

    def get(url: str, **kwargs: Any) -> Callable[[], object]:
        def run() -> object:
            response = client.get(url, **kwargs)
            assert response.status_code == 200, (url, response.status_code)
            return response.data
        return run

    return {
        "dashboard": get(f"/sector/?{query}"),
        "targeting": get(f"/sector/targeting?{query}&section=detecting&sort=change"),
        "benchmark": get(f"/councils/{params['code']}/benchmark?{query}"),
        "api levels": get(f"/api/v1/sector/levels?{query}&group_by=region", headers=headers),
        "api published.csv": get("/api/v1/sector/published.csv", headers=headers),
    }


def raw(engine: Engine, sql: str, params: dict[str, Any]) -> Callable[[], object]:
    """The hand-written SQL (statements separated by ';'), fetched in full."""
    statements = [s for s in sql.split(";") if s.strip()]

    def run() -> object:
        with engine.connect() as connection:
            return [connection.execute(text(s), {k: v for k, v in params.items() if f":{k}" in s}).all()
                    for s in statements]
    return run


def explain(app: Any, engine: Engine, view: Callable[[], object]) -> list[str]:
    """The plans of the SELECTs a view runs."""
    captured: list[tuple[str, Any]] = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_args: Any) -> None:
        if statement.lstrip().upper().startswith(("SELECT", "WITH")) and " score" in statement:
            captured.append((statement, parameters))

    app_engine = app.extensions["assess.engine"]
    event.listen(app_engine, "before_cursor_execute", record)
    view()
    event.remove(app_engine, "before_cursor_execute", record)
    prefix = "EXPLAIN QUERY PLAN " if engine.dialect.name == "sqlite" else "EXPLAIN "
    plans = []
    raw_connection = app_engine.raw_connection()
    try:
        for statement, parameters in captured:
            cursor = raw_connection.cursor()
            cursor.execute(prefix + statement, parameters)
            plans.append("\n".join("    " + " ".join(str(c) for c in row) for row in cursor.fetchall()))
            cursor.close()
    finally:
        raw_connection.close()
    return plans


def run_database(label: str, url: str, register: Path, fractions: list[float], repeat: int, plans: bool) -> None:
    """Time every view against its raw SQL on one database, for each fraction of the register."""
    print(f"\n== {label} ==")
    results: dict[float, dict[str, tuple[float, float]]] = {}
    for fraction in fractions:
        print(f" {fraction:.0%} of the register:")
        with prepared(url, register, fraction) as (app, engine, params):
            sql = raw_queries(engine.dialect.name)
            results[fraction] = {}
            for name, view in views(app, params).items():
                app_time, raw_time = median_times(view, raw(engine, sql[name], params), repeat)
                results[fraction][name] = (app_time, raw_time)
                print(f"  {name:<18} app {app_time * 1000:8.1f} ms   raw SQL {raw_time * 1000:8.1f} ms   "
                      f"ratio {app_time / raw_time:5.2f}")
            if plans and fraction == fractions[-1]:
                for name, view in views(app, params).items():
                    print(f"\n  EXPLAIN ({name}):")
                    for plan in explain(app, engine, view):
                        print(plan)
                        print("    --")
    if len(fractions) > 1:
        small, large = fractions[0], fractions[-1]
        print(f"\n growth from {small:.0%} to {large:.0%} of the data (data x{large / small:.0f}):")
        for name in results[large]:
            print(f"  {name:<18} app x{results[large][name][0] / results[small][name][0]:5.2f}   "
                  f"raw SQL x{results[large][name][1] / results[small][name][1]:5.2f}")


def main() -> None:
    """Run the benchmark on SQLite and, if asked, PostgreSQL."""
    parser = argparse.ArgumentParser(prog="python -m bench.sector", description=__doc__.split("\n\n")[0])
    parser.add_argument("--postgres", help="a PostgreSQL URL of a database the benchmark may empty")
    parser.add_argument("--repeat", type=int, default=7, help="timed runs per view (default 7)")
    parser.add_argument("--fractions", type=float, nargs="+", default=[0.1, 1.0])
    parser.add_argument("--register", type=Path, default=REGISTER)
    parser.add_argument("--no-plans", action="store_true", help="leave out the EXPLAIN plans")
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        run_database("SQLite", f"sqlite:///{Path(folder) / 'bench.sqlite'}", arguments.register,
                     arguments.fractions, arguments.repeat, not arguments.no_plans)
    if arguments.postgres:
        run_database("PostgreSQL", arguments.postgres, arguments.register, arguments.fractions, arguments.repeat,
                     not arguments.no_plans)


if __name__ == "__main__":
    main()
