"""One counting rule: every sector figure recomputed from published.csv, as an analyst's pivot table would.

Random sectors (a small register of councils of two types in two regions, simulated rounds, each shared
at random) are asked for the API's levels and published.csv with the same filters; the levels counted
from the CSV's rows in plain Python must be the API's, group by group, with the same groups hidden.
The suite runs a few examples; ASSESS_FUZZ_EXAMPLES runs more (as in tests/test_fuzz.py).
"""

from __future__ import annotations

import csv
import io
import math
import os
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from flask import Flask
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, select

from assess import db, questionnaire_library
from assess.library import Library
from assess.models import Assessment, Organisation, SiteRole
from assess.services import sector
from assess.services.simulate import simulate
from assess.services.tokens import create_token
from assess.services.users import add_user
from tests.conftest import PLACES_PASSWORD, _app_on_test_database, empty_tables

EXAMPLES = int(os.environ.get("ASSESS_FUZZ_EXAMPLES", "6"))
THRESHOLD = 3
QUESTIONNAIRE = "cyber"
TYPES, REGIONS = ("District", "County"), ("North", "South")
TODAY = date(2026, 6, 1)
YEARS = (2024, 2025, 2026)


@pytest.fixture
def csv_app(migrated_engine: Engine, database_url: str, tmp_path: Path) -> Iterator[Flask]:
    """The app with a threshold of 3, so that small random sectors show some figures and hide others."""
    yield from _app_on_test_database(migrated_engine, database_url, tmp_path, SECTOR_THRESHOLD=THRESHOLD)


@dataclass(frozen=True)
class Sector:
    """A random register (type and region of each council) and how each of its rounds was shared."""

    places: list[tuple[str, str]]
    rounds: int
    seed: int
    sharing: list[str]


sectors = st.builds(
    Sector,
    places=st.lists(st.tuples(st.sampled_from(TYPES), st.sampled_from(REGIONS)), min_size=3, max_size=12),
    rounds=st.integers(1, 3),
    seed=st.integers(0, 10_000),
    # Drawn for each round in turn (repeated as needed), so a council can mix anonymous, named and private rounds.
    sharing=st.lists(st.sampled_from(["private", "anonymous", "named"]), min_size=1, max_size=36),
)

#: The filters asked for: a section or the overall level, a period, a type or region, and a grouping.
asks = st.fixed_dictionaries({
    "section": st.sampled_from([None, "managing-risk", "detecting"]),
    "period": st.sampled_from([(None, None), ("2025-01-01", None), (None, "2025-12-31"), ("2025-03-01", "2026-03-31")]),
    "type": st.sampled_from([None, *TYPES]),
    "region": st.sampled_from([None, *REGIONS]),
    "group_by": st.sampled_from([None, "type", "region"]),
})


def _build(app: Flask, engine: Engine, drawn: Sector) -> str:
    """Empty the database, then the random sector; the analyst's bearer token."""
    empty_tables(engine)
    with app.app_context():
        session = db.session()
        councils = [Organisation(code=f"C{number:02d}", name=f"Council {number}", type=kind, region=region,
                                 population=10_000 * (number + 1))
                    for number, (kind, region) in enumerate(drawn.places)]
        session.add_all(councils)
        session.flush()
        library = questionnaire_library(app)
        only = Library(library.folder, {QUESTIONNAIRE: library.files[QUESTIONNAIRE]})
        simulate(session, councils, only, seed=drawn.seed, rounds=drawn.rounds, today=TODAY)
        for number, assessment in enumerate(session.scalars(select(Assessment).order_by(Assessment.id))):
            assessment.sharing = drawn.sharing[number % len(drawn.sharing)]
        analyst = add_user(session, "analyst@example.org", "Analyst", PLACES_PASSWORD, (SiteRole.ANALYST,))
        _token, secret = create_token(session, analyst, "pivot")
        session.commit()
    return secret


def _query(ask: dict[str, str | None], **more: str) -> str:
    return urlencode({"questionnaire": QUESTIONNAIRE, **{k: v for k, v in ask.items() if v and k != "group_by"},
                      **more})


def _pivot(rows: list[dict[str, str]], section: str | None, group_by: str | None, column: str = "counted"
           ) -> dict[str, Counter[str]]:
    """Councils at each level label per group, from the CSV's rows as an analyst would count them."""
    groups: dict[str, Counter[str]] = {}
    for row in rows:
        if row[column] == "yes" and row["section"] == (section or "") and row["level"]:
            group = {None: sector.ALL_COUNCILS, "type": row["council_type"], "region": row["region"]}[group_by]
            groups.setdefault(group, Counter())[row["label"]] += 1
    return groups


def _lower_median(counts: Counter[str], labels: list[str]) -> str:
    ordered = [label for label in labels for _ in range(counts[label])]
    return ordered[math.ceil(len(ordered) / 2) - 1]


def _expected(pivot: dict[str, Counter[str]], group_by: str | None) -> dict[str, Any]:
    """What the API must answer per group: None where the disclosure rule hides it, else its counts."""
    sizes = {group: sum(counts.values()) for group, counts in pivot.items()}
    if group_by is None:
        sizes = {sector.ALL_COUNCILS: sizes.get(sector.ALL_COUNCILS, 0)}
    hidden = sector.hidden_groups(sizes, THRESHOLD)
    return {group: None if group in hidden else pivot[group] for group in sizes}


# No shrinking: each example builds a sector, and the failing one is printed as drawn.
@settings(max_examples=EXAMPLES, deadline=None, database=None, phases=(Phase.explicit, Phase.generate),
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(drawn=sectors, ask=asks)
def test_every_figure_is_the_pivot_of_published_csv(csv_app: Flask, migrated_engine: Engine, drawn: Sector,
                                                     ask: dict[str, Any]) -> None:
    headers = {"Authorization": f"Bearer {_build(csv_app, migrated_engine, drawn)}"}
    start, end = ask.pop("period")
    # A type or region filter names one in the register (the API refuses others).
    ask |= {"from": start, "to": end, "type": ask["type"] if ask["type"] in {t for t, _r in drawn.places} else None,
            "region": ask["region"] if ask["region"] in {r for _t, r in drawn.places} else None}
    client = csv_app.test_client()
    # published.csv has every section's rows (it takes no section); the pivot picks the section asked for.
    everything = {key: value for key, value in ask.items() if key != "section"}
    published = client.get(f"/api/v1/sector/published.csv?{_query(everything)}", headers=headers)
    assert published.status_code == 200
    rows = list(csv.DictReader(io.StringIO(published.get_data(as_text=True))))
    group_by = ask["group_by"]
    levels = client.get(f"/api/v1/sector/levels?{_query(ask, **({'group_by': group_by} if group_by else {}))}",
                        headers=headers)
    assert levels.status_code == 200, levels.get_data(as_text=True)
    labels = list(levels.json["groups"][0]["levels"]) if levels.json["groups"] else []

    expected = _expected(_pivot(rows, ask["section"], group_by), group_by)
    answered = {group["group"]: group for group in levels.json["groups"]}
    assert set(answered) == set(expected)
    for name, counts in expected.items():
        group = answered[name]
        if counts is None:
            assert group["suppressed"] and group["councils"] is None, name
            continue
        assert not group["suppressed"] and group["councils"] == sum(counts.values()), name
        assert group["levels"] == {label: counts[label] for label in labels}, name
        assert counts.total() == 0 or group["median"] == next(
            level for level, label in enumerate(labels, start=1) if label == _lower_median(counts, labels))

    # The targeting list names exactly the counted rounds shared by name, in the same period.
    targeting = client.get(f"/api/v1/sector/targeting?{_query(ask)}", headers=headers).json["councils"]
    named = {(row["council_code"], row["round_id"]) for row in rows
             if row["counted"] == "yes" and row["council_code"] and row["section"] == (ask["section"] or "")}
    assert {(c["council_code"], str(c["round_id"])) for c in targeting} == named

    # The levels by year count each council's latest round of each year.
    with csv_app.test_request_context():
        questionnaire = questionnaire_library(csv_app).get(QUESTIONNAIRE)
        filters = sector.Filters(QUESTIONNAIRE, ask["section"], ask["type"], ask["region"],
                                 *(date.fromisoformat(ask[k]) if ask[k] else None for k in ("from", "to")))
        years = sector.by_year(db.session(), filters, questionnaire, THRESHOLD)
    by_year = {row["published_on"][:4]: row for row in rows}
    per_year: dict[str, Counter[str]] = {}
    for year in by_year:
        pivot = _pivot([row for row in rows if row["published_on"].startswith(year)], ask["section"], None,
                       "counted_in_year")
        per_year[year] = pivot.get(sector.ALL_COUNCILS, Counter())
    assert {d.group: None if d.suppressed else {label: d.levels[level] for level, label in d.labels.items()}
            for d in years} == {year: None if counts.total() < THRESHOLD else {label: counts[label] for label in labels}
                                for year, counts in per_year.items() if counts.total()}
