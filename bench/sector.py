"""Benchmark of the sector views (run by `make bench-sector`; not part of the test suite).

For a simulated sector (the English councils register, 7 questionnaires, 2 published rounds a
council), each dashboard view and API call is timed through the app (query, Python, rendering)
against the raw SQL that computes the same figures (written by hand, the same joins, filters,
ordering and labels), in one run, as a ratio: first on 10% of the councils, then on all of them,
then on a synthetic register ten times the size, to show how time grows with the data. The EXPLAIN
plan of each of the app's queries is printed once. Run it on SQLite (a temporary file) and, given a
URL, on PostgreSQL (a database it may empty).

The synthetic register is made here from the real one: each council nine more times, with its code
and name numbered and its population moved by up to 10%. Simulating 3,000 councils would take most of
an hour, so the simulated rounds of each real council are copied onto its nine namesakes in SQL: the
rounds, agreed and individual responses, stored scores, targets and actions that sector figures read
(not the answers and section locks, which none reads; each copy keeps its original's levels).

Usage: python -m bench.sector [--postgres URL] [--sqlite URL] [--reuse] [--repeat 7] [--fractions 0.1 1.0]
                              [--times 10] [--register FILE] [--no-plans]
"""

from __future__ import annotations

import argparse
import logging
import random
import tempfile
import time
from collections.abc import Callable
from datetime import date
from functools import partial
from pathlib import Path
from typing import Any

from alembic import command
from flask import Flask, render_template
from sqlalchemy import Connection, Engine, MetaData, Table, event, func, select, text
from sqlalchemy.orm import Session

from assess import create_app, db, questionnaire_library
from assess.db import make_engine
from assess.migrations import alembic_config, rebuild
from assess.models import Assessment, Organisation, QuestionnaireVersion, Sharing, SiteRole, User
from assess.services import sector
from assess.services.organisations import import_register, organisation_by_code, read_register
from assess.services.questionnaires import questionnaire_of
from assess.services.simulate import simulate
from assess.services.tokens import create_token
from assess.services.users import add_user
from assess.web.access import login_required
from bench import median_times

ROOT = Path(__file__).resolve().parent.parent
REGISTER = ROOT.parent / "shared" / "data" / "english-councils.csv"
QUESTIONNAIRE = "cyber"
PASSWORD = "bench-password-1"
ANALYST = "analyst@bench.example"

# Councils of a type and region with at least :threshold councils named nowhere in the published set (ADR 0008).
NAMED = """SELECT organisation_id FROM assessment WHERE sharing = 'named' AND published_at IS NOT NULL
             AND status IN ('published', 'closed')"""
OPEN_PLACES = f"""SELECT type, region FROM organisation WHERE id NOT IN ({NAMED})
           GROUP BY type, region HAVING count(id) >= :threshold"""
# The rounds that count, written by hand: each council's latest published, shared agreed response per questionnaire,
# an anonymous one only in an open place (ADR 0010).
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
    AND ({sharing}) AND v.questionnaire_id = :questionnaire{where}
), counted AS (SELECT * FROM ranked WHERE rank {rank})
"""
# Every published level, with whether its round counts in the figures (in the period, and in its year).
PUBLISHED = """
WITH eligible AS (
  SELECT r.id AS response_id,
         row_number() OVER (PARTITION BY a.organisation_id, v.questionnaire_id
                            ORDER BY a.published_at DESC, a.id DESC) AS rank,
         row_number() OVER (PARTITION BY a.organisation_id, v.questionnaire_id, {year}
                            ORDER BY a.published_at DESC, a.id DESC) AS year_rank
  FROM response r JOIN assessment a ON a.id = r.assessment_id
  JOIN questionnaire_version v ON v.id = r.questionnaire_version_id
  JOIN organisation o ON o.id = a.organisation_id
  JOIN score s0 ON s0.response_id = r.id AND s0.section_id IS NULL
  WHERE r.kind = 'consensus' AND a.status IN ('published', 'closed') AND a.published_at IS NOT NULL AND ({shared})
)
SELECT CASE WHEN a.sharing = 'named' THEN o.code ELSE '' END, CASE WHEN a.sharing = 'named' THEN o.name ELSE '' END,
       CASE WHEN a.sharing = 'named' OR (p.type IS NOT NULL AND o.id NOT IN ({named})) THEN o.type ELSE '' END,
       CASE WHEN a.sharing = 'named' OR (p.type IS NOT NULL AND o.id NOT IN ({named})) THEN o.region ELSE '' END,
       CASE WHEN a.sharing = 'named' THEN CAST(a.id AS VARCHAR) ELSE a.uid END, CAST(date(a.published_at) AS VARCHAR),
       v.questionnaire_id, v.version, coalesce(s.section_id, ''), s.level,
       {labels},
       CASE WHEN r.id IN (SELECT response_id FROM eligible WHERE rank = 1) THEN 'yes' ELSE 'no' END,
       CASE WHEN r.id IN (SELECT response_id FROM eligible WHERE year_rank = 1) THEN 'yes' ELSE 'no' END
FROM response r JOIN assessment a ON a.id = r.assessment_id
JOIN questionnaire_version v ON v.id = r.questionnaire_version_id
JOIN organisation o ON o.id = a.organisation_id
LEFT JOIN ({open_places}) p ON p.type = o.type AND p.region = o.region
JOIN score s ON s.response_id = r.id
WHERE r.kind = 'consensus' AND a.status IN ('published', 'closed') AND a.published_at IS NOT NULL
  AND a.sharing IN ('anonymous', 'named')
ORDER BY a.published_at, a.id, v.questionnaire_id, s.section_id IS NOT NULL, s.section_id
"""


def raw_queries(dialect: str, labels: str) -> dict[str, str]:
    """The hand-written SQL for each view's figures (``labels``: a CASE giving a score's level label)."""
    year = "CAST(strftime('%Y', a.published_at) AS INTEGER)" if dialect == "sqlite" else \
        "CAST(extract(year FROM a.published_at) AS INTEGER)"

    shared = (f"a.sharing = 'named' OR (a.sharing = 'anonymous' AND o.id NOT IN ({NAMED}) "
              f"AND (o.type, o.region) IN ({OPEN_PLACES}))")

    def counted(per_year: bool = False, sharing: str = shared, where: str = "",
                rank: str = "= 1") -> str:
        return COUNTED.format(year=year, per_year=f", {year}" if per_year else "", sharing=sharing, where=where,
                              rank=rank)

    levels = counted() + ("SELECT c.{group}, s.level, count(*) FROM counted c JOIN score s ON s.response_id = "
                          "c.response_id WHERE s.section_id IS NULL AND s.level IS NOT NULL "
                          "GROUP BY c.{group}, s.level")
    total = counted() + ("SELECT s.level, count(*) FROM counted c JOIN score s ON s.response_id = c.response_id "
                         "WHERE s.section_id IS NULL AND s.level IS NOT NULL GROUP BY s.level")
    participation = counted() + ("SELECT o.{group}, count(o.id), count(CASE WHEN o.id IN (SELECT organisation_id "
                                 "FROM counted) THEN 1 END) FROM organisation o GROUP BY o.{group} ORDER BY o.{group}")
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
    # Each council's latest round shared by name, with the response of the round before it.
    targeting = counted(sharing="a.sharing = 'named'", rank="IS NOT NULL").replace(
        "counted AS (SELECT * FROM ranked WHERE rank IS NOT NULL)",
        "counted AS (SELECT *, lead(response_id) OVER (PARTITION BY organisation_id ORDER BY rank) AS previous "
        "FROM ranked)") + (
        "SELECT o.code, o.name, o.type, o.region, c.round_id, CAST(date(c.published_at) AS VARCHAR), now.level, "
        "prev_s.level, "
        "(SELECT t.level FROM target t WHERE t.assessment_id = c.round_id AND t.questionnaire_id = :questionnaire "
        "AND t.section_id = 'detecting'), (SELECT count(x.id) FROM action x WHERE x.assessment_id = c.round_id AND "
        "x.questionnaire_id = :questionnaire AND x.due_on < :today AND x.status != 'done' "
        "AND x.section_id = 'detecting') "
        "FROM counted c JOIN organisation o ON o.id = c.organisation_id "
        "JOIN score now ON now.response_id = c.response_id AND now.section_id = 'detecting' "
        "LEFT JOIN score prev_s ON prev_s.response_id = c.previous AND prev_s.section_id = 'detecting' "
        "WHERE c.rank = 1 ORDER BY now.level - prev_s.level NULLS LAST, o.name")
    benchmark = (
        counted(sharing="a.sharing = 'named'", where=" AND o.type = :type") +
        "SELECT s.section_id, s.level, count(*) FROM (SELECT response_id FROM counted "
        "WHERE organisation_id != :council AND population IS NOT NULL "
        "ORDER BY abs(population - :population), organisation_id LIMIT 10) n "
        "JOIN score s ON s.response_id = n.response_id WHERE s.level IS NOT NULL "
        "GROUP BY s.section_id, s.level "
        "UNION ALL SELECT s.section_id, s.level, 0 FROM score s WHERE s.response_id = (SELECT r.id FROM response r "
        "JOIN assessment a ON a.id = r.assessment_id JOIN questionnaire_version v ON v.id = r.questionnaire_version_id "
        "JOIN score s0 ON s0.response_id = r.id AND s0.section_id IS NULL "
        "WHERE a.organisation_id = :council AND r.kind = 'consensus' AND a.status IN ('published', 'closed') "
        "AND a.published_at IS NOT NULL AND a.sharing = 'named' AND v.questionnaire_id = :questionnaire "
        "ORDER BY a.published_at DESC, a.id DESC LIMIT 1)")
    return {
        "dashboard": ";".join([participation.format(group="type"), participation.format(group="region"),
                               total, levels.format(group="type"), levels.format(group="region"),
                               sections, gap, years]),
        "targeting": targeting,
        "benchmark": benchmark,
        "api levels": levels.format(group="region"),
        "api targeting": targeting,
        "api published.csv": PUBLISHED.format(labels=labels, open_places=OPEN_PLACES, named=NAMED, year=year,
                                              shared=shared),
    }


def label_case(session: Session) -> str:
    """A CASE expression giving each stored score's level label, from the questionnaire versions recorded."""
    branches = [f"WHEN s.questionnaire_version_id = {version.id} AND s.level = {scale.level} "
                f"THEN '{scale.label.replace(chr(39), chr(39) * 2)}'"
                for version in session.scalars(select(QuestionnaireVersion))
                for scale in questionnaire_of(version).scale]
    return f"CASE {' '.join(branches)} ELSE '' END"


#: The floor page: the service's layout around the raw SQL's row count, for a signed-in person.
FLOOR_PAGE = ('{% extends "base.html" %}{% block title %}Floor{% endblock %}'
              '{% block body %}<p class="govuk-body">{{ rows }} rows</p>{% endblock %}')


def add_floor_page(app: Flask, floors: dict[str, tuple[str, dict[str, Any]]]) -> None:
    """A page of the benchmark's own app: the least any signed-in page costs around a view's raw SQL.

    Its time over the raw SQL's (the "floor" printed beside each ratio) is what signing in, the session and
    the layout add before a view does anything of its own.
    """
    page = app.jinja_env.from_string(FLOOR_PAGE)

    @app.route("/bench/floor/<name>")
    @login_required
    def floor(name: str) -> str:
        sql, params = floors[name]
        return render_template(page, rows=sum(map(len, run_raw(db.session().connection(), sql, params))))


class Sector:
    """The app on an emptied, migrated database, grown in steps: simulated councils, then copies onto namesakes."""

    def __init__(self, url: str, register: Path, reuse: bool) -> None:
        self.engine = make_engine(url)
        if not reuse:
            rebuild(self.engine)
        else:  # an empty database (or one an older schema) is brought up to date, and keeps what it holds
            command.upgrade(alembic_config(self.engine), "head")
        self.app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "WTF_CSRF_ENABLED": False})
        self.floors: dict[str, tuple[str, dict[str, Any]]] = {}
        add_floor_page(self.app, self.floors)
        self.rows = read_register(register)[0]
        with self.app.app_context():
            session = db.session()
            # Reused, the database holds the councils an earlier run simulated: the register's first ones.
            self.simulated = session.scalar(select(func.count(Assessment.organisation_id.distinct()))) or 0
            analyst = session.scalar(select(User).filter_by(email=ANALYST)) or add_user(
                session, ANALYST, "Analyst", PASSWORD, (SiteRole.ANALYST,))
            _token, self.token = create_token(session, analyst, "bench")
            session.commit()

    def simulate(self, councils: int) -> None:
        """Simulate the register's next councils, up to ``councils`` in all."""
        chosen = self.rows[self.simulated:councils]
        if not chosen:
            print(f"  {self.simulated} councils simulated by an earlier run")
            return
        with self.app.app_context():
            session = db.session()
            import_register(session, chosen)
            found = [c for row in chosen if (c := organisation_by_code(session, row["code"])) is not None]
            started = time.perf_counter()
            simulate(session, found, questionnaire_library(self.app), seed=1 + self.simulated, rounds=2)
            session.commit()
        self.simulated = councils
        print(f"  simulated {len(found)} more councils in {time.perf_counter() - started:.1f}s")
        self._analyze()

    def copy(self, times: int) -> None:
        """A synthetic register ``times`` the simulated one: every council's namesakes, with copies of its rounds."""
        rng = random.Random(1)
        real = self.rows[:self.simulated]
        namesakes = [{**row, "code": f"{row['code']}{n}", "name": f"{row['name']} {n}", "gss_code": "",
                      "population_2020": str(round(int(row["population_2020"] or 100_000) * rng.uniform(0.9, 1.1)))}
                     for n in range(2, times + 1) for row in real]
        started = time.perf_counter()
        with self.app.app_context():
            session = db.session()
            import_register(session, namesakes)
            session.commit()
        with self.engine.begin() as connection:
            originals = {table: connection.execute(text(f"SELECT max(id) FROM {table}")).scalar_one()
                         for table in ("assessment", "response")}
            for n in range(2, times + 1):
                copy_rounds(connection, f"{n}", n - 1, originals)
            if self.engine.dialect.name == "postgresql":
                for table in ("assessment", "response"):
                    connection.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                            f"(SELECT max(id) FROM {table}))"))
        print(f"  {len(real) + len(namesakes)} councils: copied the rounds of {len(real)} onto "
              f"{len(namesakes)} namesakes in {time.perf_counter() - started:.1f}s")
        self._analyze()

    def _analyze(self) -> None:
        if self.engine.dialect.name == "postgresql":
            with self.engine.begin() as connection:
                connection.execute(text("ANALYZE"))

    def params(self) -> dict[str, Any]:
        """The query parameters: a council in the middle of the targeting list, the token, today, the threshold."""
        with self.app.app_context():
            session = db.session()
            questionnaire = questionnaire_library(self.app).files[QUESTIONNAIRE].questionnaire
            named = sector.targeting(session, sector.Filters(questionnaire=QUESTIONNAIRE), questionnaire,
                                     date.today(), "name")
            sample = organisation_by_code(session, named[len(named) // 2].code)
            assert sample is not None
            return {"questionnaire": QUESTIONNAIRE, "type": sample.type, "council": sample.id,
                    "population": sample.population or 0, "code": sample.code, "token": self.token,
                    "today": date.today(), "threshold": self.app.config["SECTOR_THRESHOLD"],
                    "labels": label_case(session)}

    def close(self) -> None:
        """Let go of both engines' connections."""
        self.app.extensions["assess.engine"].dispose()
        self.engine.dispose()


def _columns(connection: Connection, table: str) -> list[str]:
    return [column.name for column in Table(table, MetaData(), autoload_with=connection).columns]


def copy_rounds(connection: Connection, suffix: str, n: int, originals: dict[str, int]) -> None:
    """Copy the original rounds onto the councils whose code is the original's plus ``suffix`` (the ``n``th copy).

    ``originals`` holds the largest id of an original round and response: a copy's ids are shifted by
    ``n`` times those, and so are the ids of the rows that point at them (responses, scores, targets, actions).
    """
    shifts = {table: n * top for table, top in originals.items()}

    def copy(table: str, join: str, where: str, changed: dict[str, str]) -> None:
        # Any other id is left for the database to number.
        columns = [c for c in _columns(connection, table) if c not in changed and c != "id"]
        targets = ", ".join([*changed, *columns])
        values = ", ".join([*changed.values(), *(f"t.{c}" for c in columns)])
        connection.execute(text(f"INSERT INTO {table} ({targets}) SELECT {values} FROM {table} t {join} "
                                f"WHERE {where}"), {"suffix": suffix, **shifts})

    copy("assessment", "JOIN organisation o ON o.id = t.organisation_id "
         "JOIN organisation namesake ON namesake.code = o.code || :suffix",
         f"t.id <= {originals['assessment']}", {"id": "t.id + :assessment", "organisation_id": "namesake.id",
                                                  # Unique: a round's uid with a '-' where no uuid has one.
                                                  "uid": "substr(t.uid, 1, 32) || '-' || :suffix"})
    copy("response", "", f"t.assessment_id <= {originals['assessment']}",
         {"id": "t.id + :response", "assessment_id": "t.assessment_id + :assessment"})
    copy("score", "", f"t.response_id <= {originals['response']}", {"response_id": "t.response_id + :response"})
    for table in ("target", "action"):
        copy(table, "", f"t.assessment_id <= {originals['assessment']}",
             {"assessment_id": "t.assessment_id + :assessment"})


def signed_in(app: Flask) -> Any:
    """A test client of the app signed in as the analyst."""
    client = app.test_client()
    client.post("/sign-in", data={"email": ANALYST, "password": PASSWORD})
    return client


def views(app: Any, params: dict[str, Any]) -> dict[str, Callable[[], object]]:
    """Each view and API call, through the app (a signed-in analyst or a bearer token)."""
    client = signed_in(app)
    headers = {"Authorization": f"Bearer {params['token']}"}
    query = f"questionnaire={QUESTIONNAIRE}"

    # API calls come from tools that send a token and no session cookie.
    api = app.test_client()

    def get(url: str, **kwargs: Any) -> Callable[[], object]:
        sender = api if "headers" in kwargs else client

        def run() -> object:
            response = sender.get(url, **kwargs)
            assert response.status_code == 200, (url, response.status_code)
            return response.data
        return run

    return {
        "dashboard": get(f"/sector/?{query}"),
        "targeting": get(f"/sector/targeting?{query}&section=detecting&sort=change"),
        "benchmark": get(f"/councils/{params['code']}/benchmark?{query}"),
        "api levels": get(f"/api/v1/sector/levels?{query}&group_by=region", headers=headers),
        "api targeting": get(f"/api/v1/sector/targeting?{query}&section=detecting&sort=change", headers=headers),
        "api published.csv": get("/api/v1/sector/published.csv", headers=headers),
    }


def run_raw(connection: Connection, sql: str, params: dict[str, Any]) -> list[list[Any]]:
    """The hand-written SQL (statements separated by ';'), each with the parameters it names, fetched in full."""
    return [list(connection.execute(text(s), {k: v for k, v in params.items() if f":{k}" in s}).all())
            for s in sql.split(";") if s.strip()]


def raw(engine: Engine, sql: str, params: dict[str, Any]) -> Callable[[], object]:
    """The hand-written SQL on a connection of its own, as a run to time."""

    def run() -> object:
        with engine.connect() as connection:
            return run_raw(connection, sql, params)
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


def same_figures(sector_db: Sector, sql: dict[str, str], params: dict[str, Any]) -> None:
    """Check that the raw SQL gives what the app's services give: the same rows, in the same order."""
    with sector_db.app.app_context(), sector_db.engine.connect() as connection:
        session = db.session()
        questionnaire = questionnaire_library(sector_db.app).files[QUESTIONNAIRE].questionnaire

        def raw_rows(name: str) -> list[tuple[Any, ...]]:
            return [tuple(row) for row in connection.execute(text(sql[name]), params)]

        wanted = [(r.code, r.name, r.type, r.region, r.round_id, r.published_on.isoformat(), r.level, r.previous,
                   r.target, r.overdue_actions)
                  for r in sector.targeting(session, sector.Filters(questionnaire=QUESTIONNAIRE, section="detecting"),
                                            questionnaire, params["today"], "change")]
        assert raw_rows("targeting") == wanted, "the raw targeting SQL differs from the app's"
        published = session.execute(sector.published_levels(session, sector.Filters(), params["threshold"]))
        assert raw_rows("api published.csv") == [tuple(row) for row in published], "published.csv differs"
        counts: dict[str, int] = {}
        for group, _level, count in raw_rows("api levels"):
            counts[group] = counts.get(group, 0) + count
        by_region = sector.levels(session, sector.Filters(questionnaire=QUESTIONNAIRE), questionnaire,
                                  params["threshold"], "region")
        # Hidden groups' sizes are not given: those are compared by their names alone.
        assert set(counts) == {d.group for d in by_region} and all(
            d.suppressed or counts[d.group] == d.councils for d in by_region), "the raw levels SQL differs"
        council = session.get(Organisation, params["council"])
        assert council is not None
        compared = sector.benchmark(session, council, sector.latest_published_response_id(
            council.id, QUESTIONNAIRE, (Sharing.NAMED,)), questionnaire, params["threshold"])
        rows = raw_rows("benchmark")
        group = {(section, level): count for section, level, count in rows if count}
        # A group under the threshold is not shown: then only its size can be compared.
        shown = {(section, level): count for section, d in compared.group for level, count in d.levels.items()
                 if count} if compared.shown else group
        assert compared.own == {section: level for section, level, count in rows if count == 0} and \
            compared.councils == sum(count for (section, _level), count in group.items() if section is None) and \
            shown == group, "the raw benchmark SQL differs"


def measure(sector_db: Sector, repeat: int) -> dict[str, tuple[float, float]]:
    """The app's and the raw SQL's median times of every view, printed with their ratio and the floor's."""
    params = sector_db.params()
    sql = raw_queries(sector_db.engine.dialect.name, params["labels"])
    same_figures(sector_db, sql, params)
    floor = signed_in(sector_db.app)
    results = {}
    for name, view in views(sector_db.app, params).items():
        sector_db.floors[name] = (sql[name], params)
        assert floor.get(f"/bench/floor/{name}").status_code == 200, "the floor page did not answer"
        times = median_times({"app": view, "floor": partial(floor.get, f"/bench/floor/{name}"),
                              "raw": raw(sector_db.engine, sql[name], params)}, repeat)
        results[name] = (times["app"], times["raw"])
        print(f"  {name:<18} app {times['app'] * 1000:8.1f} ms   raw SQL {times['raw'] * 1000:8.1f} ms   "
              f"ratio {times['app'] / times['raw']:5.2f}   (floor {times['floor'] / times['raw']:5.2f})")
    return results


def run_database(label: str, url: str, register: Path, fractions: list[float], times: int, repeat: int,
                 plans: bool, reuse: bool) -> None:
    """Time every view against its raw SQL on one database, as the data grows step by step."""
    print(f"\n== {label} ==")
    sector_db = Sector(url, register, reuse)
    results: dict[str, dict[str, tuple[float, float]]] = {}
    try:
        for fraction in fractions:
            print(f" {fraction:.0%} of the register:")
            sector_db.simulate(max(1, round(len(sector_db.rows) * fraction)))
            results[f"{fraction:.0%}"] = measure(sector_db, repeat)
        if plans:
            for name, view in views(sector_db.app, sector_db.params()).items():
                print(f"\n  EXPLAIN ({name}):")
                for plan in explain(sector_db.app, sector_db.engine, view):
                    print(plan)
                    print("    --")
        if times > 1:
            print(f"\n {times} times the register ({fractions[-1]:.0%} simulated, copied onto namesakes; "
                  f"{max(1, repeat // 2)} runs a view):")
            sector_db.copy(times)
            results[f"{times * fractions[-1]:.0%}"] = measure(sector_db, max(1, repeat // 2))
    finally:
        sector_db.close()
    steps = list(results)
    for small, large in zip(steps, steps[1:], strict=False):
        print(f"\n growth from {small} to {large} of the register:")
        for name in results[large]:
            print(f"  {name:<18} app x{results[large][name][0] / results[small][name][0]:5.2f}   "
                  f"raw SQL x{results[large][name][1] / results[small][name][1]:5.2f}")


def main() -> None:
    """Run the benchmark on SQLite and, if asked, PostgreSQL."""
    parser = argparse.ArgumentParser(prog="python -m bench.sector", description=__doc__.split("\n\n")[0])
    parser.add_argument("--postgres", help="a PostgreSQL URL of a database the benchmark may empty")
    parser.add_argument("--repeat", type=int, default=7, help="timed runs per view (default 7; half at 10 times)")
    parser.add_argument("--fractions", type=float, nargs="+", default=[0.1, 1.0])
    parser.add_argument("--times", type=int, default=10,
                        help="then a synthetic register this many times the last step (default 10; 1: none)")
    parser.add_argument("--register", type=Path, default=REGISTER)
    parser.add_argument("--no-plans", action="store_true", help="leave out the EXPLAIN plans")
    parser.add_argument("--sqlite", help="a SQLite URL to use rather than a temporary file")
    parser.add_argument("--reuse", action="store_true",
                        help="keep the councils an earlier run simulated in the databases (simulation takes minutes)")
    arguments = parser.parse_args()
    # One line a request would drown the figures.
    logging.getLogger("assess.request").setLevel(logging.WARNING)
    steps = (arguments.register, arguments.fractions, arguments.times, arguments.repeat, not arguments.no_plans,
             arguments.reuse)
    with tempfile.TemporaryDirectory() as folder:
        run_database("SQLite", arguments.sqlite or f"sqlite:///{Path(folder) / 'bench.sqlite'}", *steps)
    if arguments.postgres:
        run_database("PostgreSQL", arguments.postgres, *steps)


if __name__ == "__main__":
    main()
