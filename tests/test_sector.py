"""Sector figures: what counts, disclosure control, anonymity, the API contract, tokens, exports, simulation."""

from __future__ import annotations

import csv
import io
import itertools
import json
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from pypdf import PdfReader
from reportlab.graphics.shapes import Circle, Polygon, String
from reportlab.lib import colors
from sqlalchemy import Engine, event, func, select, update

from assess import create_app, db, questionnaire_library
from assess.cli import main
from assess.models import (
    ApiToken,
    Assessment,
    AssessmentStatus,
    Organisation,
    OrganisationRole,
    RespondentGroup,
    Response,
    ResponseKind,
    ResponseStatus,
    Score,
    Sharing,
    SiteRole,
    User,
)
from assess.reports import sector as tables
from assess.reports.charts import OKABE_ITO
from assess.reports.sector_pdf import gap_drawing, render_sector_pdf
from assess.services import sector
from assess.services.demo import demo_answers
from assess.services.organisations import import_register, read_register
from assess.services.responses import save_answers, store_scores
from assess.services.rounds import RoundDetails, start_round
from assess.services.simulate import remove, simulate
from assess.services.tokens import LAST_USE_RESOLUTION, create_token, live_token, note_use, token_hash
from assess.services.users import add_membership, add_user
from scoring.model import Questionnaire, ScaleLevel, ScoringSpec
from tests.conftest import FIXTURES, PLACES_PASSWORD, _app_on_test_database, csrf_token

QUESTIONNAIRE = "cyber"
ANONYMOUS_NAME, ANONYMOUS_CODE = "Zanzibarshire", "ZZANON"
CONTRACT_COLUMNS = ["council_code", "council_name", "council_type", "region", "round_id", "published_on",
                    "questionnaire", "version", "section", "level", "label"]


@pytest.fixture
def sector_app(migrated_engine: Engine, database_url: str, tmp_path: Path) -> Iterator[Flask]:
    """The app with the shipped library and a threshold of 3, so small fixtures show figures."""
    yield from _app_on_test_database(migrated_engine, database_url, tmp_path, SECTOR_THRESHOLD=3)


@dataclass(frozen=True)
class World:
    """Councils with published rounds of the cyber questionnaire, by code, and the accounts made."""

    app: Flask
    analyst: str
    respondent: str


def _publish(app: Flask, code: str, sharing: Sharing, published: date, level: int,
             status: AssessmentStatus = AssessmentStatus.PUBLISHED) -> int:
    """A round of the council's lead with an agreed cyber response scored, then its overall level set to ``level``."""
    with app.app_context():
        session = db.session()
        council = session.scalar(select(Organisation).filter_by(code=code))
        assert council is not None
        lead = session.scalar(select(User).filter_by(email=f"lead-{code.lower()}@example.org"))
        assert lead is not None
        assessment = start_round(session, council, lead, RoundDetails(f"Round {published}", [QUESTIONNAIRE]),
                                 questionnaire_library(app))
        version = assessment.questionnaires[0].questionnaire_version
        agreed = Response(assessment=assessment, questionnaire_version=version, kind=ResponseKind.CONSENSUS)
        session.add(agreed)
        session.flush()
        save_answers(session, agreed, demo_answers(questionnaire_library(app).files[QUESTIONNAIRE].questionnaire,
                                                   seed=code), lead)
        store_scores(session, agreed)
        agreed.status = ResponseStatus.SUBMITTED
        session.execute(update(Score).where(Score.response_id == agreed.id, Score.section_id.is_(None))
                        .values(level=level))
        assessment.status, assessment.sharing = status, sharing
        assessment.published_at = (datetime(published.year, published.month, published.day, 12, tzinfo=UTC)
                                   if status != AssessmentStatus.IN_REVIEW else None)
        session.commit()
        return assessment.id


COUNCILS = [("NAMA", "Alphaton", "District", "North West", 90_000),
            ("NAMB", "Betaford", "District", "North West", 100_000),
            ("NAMC", "Gammaby", "District", "North West", 110_000),
            (ANONYMOUS_CODE, ANONYMOUS_NAME, "District", "North West", 95_000),
            ("PRIV", "Privateham", "District", "North West", 105_000),
            ("LONE", "Lonely County", "County", "South West", 800_000)]


@pytest.fixture
def world(sector_app: Flask) -> World:
    """Three councils shared by name, one anonymously, one privately, and a county alone in its type and region."""
    with sector_app.app_context():
        session = db.session()
        for code, name, kind, region, population in COUNCILS:
            council = Organisation(code=code, name=name, type=kind, region=region, population=population)
            session.add(council)
            session.flush()
            lead = add_user(session, f"lead-{code.lower()}@example.org", f"Lead of {name}", PLACES_PASSWORD)
            add_membership(session, lead, council, OrganisationRole.LEAD, RespondentGroup.OFFICER)
        analyst = add_user(session, "analyst@example.org", "Analyst", PLACES_PASSWORD, (SiteRole.ANALYST,))
        respondent = add_user(session, "respondent@example.org", "Respondent", PLACES_PASSWORD)
        add_membership(session, respondent, session.scalar(select(Organisation).filter_by(code="NAMA")),
                       OrganisationRole.RESPONDENT, RespondentGroup.MEMBER)
        session.commit()
        analyst_email, respondent_email = analyst.email, respondent.email
    _publish(sector_app, "NAMA", Sharing.NAMED, date(2025, 3, 1), 1)
    _publish(sector_app, "NAMA", Sharing.NAMED, date(2026, 3, 1), 4)
    _publish(sector_app, "NAMB", Sharing.NAMED, date(2026, 2, 1), 2)
    _publish(sector_app, "NAMC", Sharing.NAMED, date(2025, 6, 1), 2, status=AssessmentStatus.CLOSED)
    _publish(sector_app, ANONYMOUS_CODE, Sharing.ANONYMOUS, date(2026, 1, 10), 3)
    _publish(sector_app, "PRIV", Sharing.PRIVATE, date(2026, 1, 10), 5)
    _publish(sector_app, "PRIV", Sharing.NAMED, date(2026, 1, 1), 5, status=AssessmentStatus.IN_REVIEW)
    _publish(sector_app, "LONE", Sharing.NAMED, date(2026, 1, 10), 5)
    return World(sector_app, analyst_email, respondent_email)


def _levels(world: World, **filters: object) -> list[sector.Distribution]:
    with world.app.app_context():
        questionnaire = questionnaire_library(world.app).files[QUESTIONNAIRE].questionnaire
        group_by = filters.pop("group_by", None)
        return sector.levels(db.session(), sector.Filters(questionnaire=QUESTIONNAIRE, **filters),  # type: ignore[arg-type]
                             questionnaire, 3, group_by)  # type: ignore[arg-type]


def _open_the_anonymous_councils_place(world: World) -> None:
    """A third district council in the North West named nowhere: enough councils could be the anonymous one."""
    _add_council(world, "QUIET", "Quietborough", "District", "North West")


def test_each_council_counts_once_with_its_latest_published_shared_round(world: World) -> None:
    [everyone] = _levels(world, type="District")
    # NAMA's 2026 round (level 4), not its 2025 one; NAMB and NAMC (closed after publishing); never the private
    # round, nor the round still in review. The anonymous council could be only one of two councils (it or the
    # private one), under the threshold of 3, so its round counts as private.
    assert everyone.councils == 3
    assert everyone.levels == {1: 0, 2: 2, 3: 0, 4: 1, 5: 0}
    _open_the_anonymous_councils_place(world)
    [everyone] = _levels(world, type="District")
    assert everyone.councils == 4 and everyone.levels == {1: 0, 2: 2, 3: 1, 4: 1, 5: 0}
    [until_2025] = _levels(world, type="District", end=date(2025, 12, 31))
    assert until_2025.councils is None  # NAMA (2025: level 1) and NAMC only: under the threshold of 3
    [from_2025] = _levels(world, type="District", start=date(2025, 1, 1), end=date(2025, 12, 31), region="North West")
    assert from_2025.suppressed


def _add_council(world: World, code: str, name: str, kind: str, region: str) -> None:
    with world.app.app_context():
        session = db.session()
        council = Organisation(code=code, name=name, type=kind, region=region, population=200_000)
        session.add(council)
        session.flush()
        lead = add_user(session, f"lead-{code.lower()}@example.org", f"Lead of {name}", PLACES_PASSWORD)
        add_membership(session, lead, council, OrganisationRole.LEAD, RespondentGroup.OFFICER)
        session.commit()


def _everything_shown(world: World) -> list[object]:
    """Every figure an analyst can ask for: the dashboard's tables (so the API's levels) for every type and region
    filter, overall and for a section, over all time and a period; the targeting list; a benchmark."""
    shown: list[object] = []
    with world.app.app_context():
        session = db.session()
        questionnaire = questionnaire_library(world.app).files[QUESTIONNAIRE].questionnaire
        types, regions = sector.register_values(session)
        for kind, region, section, start in itertools.product([None, *types], [None, *regions], [None, "detecting"],
                                                              [None, date(2026, 1, 1)]):
            filters = sector.Filters(questionnaire=QUESTIONNAIRE, type=kind, region=region, section=section,
                                     start=start)
            report = tables.dashboard(session, filters, questionnaire, 3, date(2026, 6, 1))
            shown += [(table.key, table.rows) for table in report.tables]
            shown += sector.targeting(session, filters, questionnaire, date(2026, 6, 1), "level")
        council = session.scalar(select(Organisation).filter_by(code="NAMB"))
        assert council is not None
        own = sector.latest_published_response_id(council.id, QUESTIONNAIRE, (Sharing.NAMED,))
        shown.append(sector.benchmark(session, council, own, questionnaire, 3))
    return shown


def test_an_anonymous_round_that_fewer_than_the_threshold_could_be_changes_no_figure(world: World) -> None:
    # Alone in its type and region, an anonymous council could be picked out by comparing figures for its type, its
    # region and everyone: so whatever it published, nothing shown may move.
    _add_council(world, "SOLO", "Solitary Unitary", "Unitary", "North East")
    before = _everything_shown(world)
    _publish(world.app, "SOLO", Sharing.ANONYMOUS, date(2026, 4, 1), 1)
    assert _everything_shown(world) == before
    # Once enough councils of its type and region are named nowhere it counts: sharing it privately instead shows.
    for number in (1, 2):
        _add_council(world, f"UNI{number}", f"Unitary {number}", "Unitary", "North East")
    opened = _everything_shown(world)
    with world.app.app_context():
        session = db.session()
        session.execute(update(Assessment).where(Assessment.organisation_id == session.scalar(
            select(Organisation.id).filter_by(code="SOLO"))).values(sharing=Sharing.PRIVATE))
        session.commit()
    assert _everything_shown(world) != opened


def test_an_anonymous_round_of_a_council_named_elsewhere_changes_no_figure(world: World) -> None:
    # In an open place, but its council shared another round by name: counted, the anonymous round would replace
    # the named one in the figures, and the move between two periods would tie it to that council.
    _open_the_anonymous_councils_place(world)
    before = _everything_shown(world)
    _publish(world.app, "NAMB", Sharing.ANONYMOUS, date(2026, 5, 1), 5)
    assert _everything_shown(world) == before
    # In published.csv it is as an anonymous round in a closed place: no type or region (shown, the one anonymous
    # round of an open place that never counts would be one of its few named councils), and never counted.
    latest = [r for r in _published(world) if r["published_on"] == "2026-05-01"]
    assert latest and {(r["council_code"], r["council_type"], r["region"], r["counted"]) for r in latest} == {
        ("", "", "", "no")}
    assert {r["counted"] for r in _published(world) if r["council_type"] == "District" and not r["council_code"]} == {
        "yes"}


def test_a_group_under_the_threshold_and_one_more_are_hidden(world: World) -> None:
    groups = {d.group: d for d in _levels(world, group_by="type")}
    # The county is alone in its type; the districts would give it away by subtraction from the total.
    assert groups["County"].suppressed and groups["District"].suppressed
    assert all(count is None for count in groups["County"].levels.values())
    assert groups["County"].median is None


def _client(world: World, email: str) -> FlaskClient:
    client = world.app.test_client()
    page = client.get("/sign-in").get_data(as_text=True)
    assert client.post("/sign-in", data={"email": email, "password": PLACES_PASSWORD,
                                         "csrf_token": csrf_token(page)}).status_code == 302
    return client


def _token(world: World, email: str) -> dict[str, str]:
    with world.app.app_context():
        session = db.session()
        user = session.scalar(select(User).filter_by(email=email))
        assert user is not None
        _record, secret = create_token(session, user, "tests")
        session.commit()
    return {"Authorization": f"Bearer {secret}"}


def test_the_levels_endpoint_keeps_its_contract(world: World) -> None:
    client = world.app.test_client()
    headers = _token(world, world.analyst)
    body = client.get(f"/api/v1/sector/levels?questionnaire={QUESTIONNAIRE}&type=District", headers=headers).json
    assert body == {"questionnaire": QUESTIONNAIRE, "section": None, "threshold": 3, "groups": [
        {"group": "All councils", "councils": 3, "suppressed": False,
         "levels": {"Exposed": 0, "Basic": 2, "Managed": 0, "Assured": 1, "Resilient": 0}, "median": 2}]}
    grouped = client.get(f"/api/v1/sector/levels?questionnaire={QUESTIONNAIRE}&group_by=region", headers=headers)
    assert grouped.mimetype == "application/json"
    assert [(g["group"], g["suppressed"], g["councils"], g["median"]) for g in grouped.json["groups"]] == [
        ("North West", True, None, None), ("South West", True, None, None)]
    assert list(grouped.json["groups"][0]["levels"]) == ["Exposed", "Basic", "Managed", "Assured", "Resilient"]
    assert set(grouped.json["groups"][0]["levels"].values()) == {None}
    section = client.get(f"/api/v1/sector/levels?questionnaire={QUESTIONNAIRE}&section=detecting&from=2026-01-01"
                         "&to=2026-12-31", headers=headers).json
    assert section["section"] == "detecting" and len(section["groups"]) == 1


def test_the_published_csv_keeps_its_contract_and_never_names_anonymous_councils(world: World) -> None:
    response = world.app.test_client().get("/api/v1/sector/published.csv", headers=_token(world, world.analyst))
    assert response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    # The contracted columns first, in order; new ones only ever after them.
    assert list(rows[0])[:len(CONTRACT_COLUMNS)] == CONTRACT_COLUMNS
    assert list(rows[0]) == [*CONTRACT_COLUMNS, "counted", "counted_in_year"]
    overall = [r for r in rows if r["section"] == ""]
    # Every published, shared round (all of NAMA's), never the private one or the one in review.
    assert sorted((r["council_code"], r["published_on"], r["level"]) for r in overall) == [
        ("", "2026-01-10", "3"), ("LONE", "2026-01-10", "5"), ("NAMA", "2025-03-01", "1"),
        ("NAMA", "2026-03-01", "4"), ("NAMB", "2026-02-01", "2"), ("NAMC", "2025-06-01", "2")]
    anonymous = [r for r in rows if r["council_code"] == ""]
    assert anonymous and all(r["council_name"] == "" for r in anonymous)
    # Its round by an opaque reference, not a number that could sit next to the council's rounds shared by name.
    assert {len(r["round_id"]) for r in anonymous} == {36} and not any(r["round_id"].isdigit() for r in anonymous)
    assert all(r["round_id"].isdigit() for r in rows if r["council_code"])
    assert {r["label"] for r in overall} >= {"Exposed", "Basic"}
    assert len(rows) > len(overall) and all(r["questionnaire"] == QUESTIONNAIRE for r in rows)


def _published(world: World, query: str = "") -> list[dict[str, str]]:
    response = world.app.test_client().get(f"/api/v1/sector/published.csv{query}", headers=_token(world, world.analyst))
    assert response.status_code == 200
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


def test_an_anonymous_councils_type_and_region_are_left_out_where_few_councils_could_be_it(world: World) -> None:
    # District councils in the North West that are named nowhere: the anonymous one and the private one,
    # two councils, under the threshold of 3, so type and region would nearly name it.
    anonymous = [r for r in _published(world) if r["council_code"] == ""]
    assert anonymous and {(r["council_type"], r["region"]) for r in anonymous} == {("", "")}
    assert {r["council_type"] for r in _published(world) if r["council_code"] == "NAMA"} == {"District"}
    # Nor can a filter on type or region bring it back.
    for query in ("?type=District", "?region=North%20West", "?type=District&region=North%20West"):
        assert {r["council_code"] for r in _published(world, query)} == {"NAMA", "NAMB", "NAMC"}
    _open_the_anonymous_councils_place(world)
    # A third council it could be: its type and region are shown, and filters find it.
    shown = [r for r in _published(world, "?type=District&region=North%20West") if r["council_code"] == ""]
    assert shown and {(r["council_type"], r["region"], r["council_name"]) for r in shown} == {
        ("District", "North West", "")}


def test_the_dashboard_draws_the_perception_gap_beside_its_table(world: World) -> None:
    page = _client(world, world.analyst).get(f"/sector/?questionnaire={QUESTIONNAIRE}").get_data(as_text=True)
    section = page[page.index('id="perception-gap"'):]
    chart = section[:section.index("</svg>")]
    assert 'role="img"' in chart and "<title" in chart and "<desc" in chart and "Officers' mean" in chart
    assert "<table" in section and "Officers&#39; mean" in section[section.index("<table"):]


def test_the_sector_pdf_draws_the_perception_gap_marking_groups_as_the_pack_does(world: World) -> None:
    with world.app.app_context():
        questionnaire = questionnaire_library(world.app).files[QUESTIONNAIRE].questionnaire
        report = tables.dashboard(db.session(), sector.Filters(questionnaire=QUESTIONNAIRE), questionnaire, 3,
                                  date(2026, 6, 1))
    gap = next(table for table in report.tables if table.key == "perception-gap")
    assert gap.scale == tuple((s.level, s.label) for s in questionnaire.scale) and gap.rows
    drawing = gap_drawing(gap.scale, [("Shown", 2.25, 3.5), ("Officers only", 1.5, None), ("Hidden", None, None)])
    shapes = drawing.getContents()
    circles, triangles = ([s for s in shapes if isinstance(s, kind)] for kind in (Circle, Polygon))
    # The legend's mark, then one a shown mean: officers blue circles, members vermillion triangles.
    assert len(circles) == 3 and len(triangles) == 2
    assert {c.fillColor.hexval() for c in circles} == {colors.HexColor(OKABE_ITO["blue"]).hexval()}
    assert {t.fillColor.hexval() for t in triangles} == {colors.HexColor(OKABE_ITO["vermillion"]).hexval()}
    words = [s.text for s in shapes if isinstance(s, String)]
    assert {"2.25", "3.50", "1.50", "Figures hidden (too few councils)", "Hidden"} <= set(words)
    # The PDF draws it above the table of the same figures.
    text = _pdf_text(render_sector_pdf(report))
    chart_part = text[text.index("officers' and members' views by"):]
    lowest = questionnaire.scale[0]
    assert f"{lowest.level} {lowest.label}" in chart_part[:chart_part.index("Councils with")]


@pytest.mark.parametrize("query", [
    "", "?questionnaire=nope", f"?questionnaire={QUESTIONNAIRE}&group_by=colour",
    f"?questionnaire={QUESTIONNAIRE}&section=nope", f"?questionnaire={QUESTIONNAIRE}&from=2026-02-30",
    f"?questionnaire={QUESTIONNAIRE}&from=26-1-1", f"?questionnaire={QUESTIONNAIRE}&from=2026-02-01&to=2026-01-01",
    f"?questionnaire={QUESTIONNAIRE}&type=%00", f"?questionnaire={QUESTIONNAIRE}&to=9999-12-31",
    f"?questionnaire={QUESTIONNAIRE}&type=Districts", f"?questionnaire={QUESTIONNAIRE}&region=north%20west",
    "?section=detecting",
])
def test_bad_parameters_are_problems_not_errors(world: World, query: str) -> None:
    response = world.app.test_client().get(f"/api/v1/sector/levels{query}", headers=_token(world, world.analyst))
    assert response.status_code in (400, 404)
    assert response.mimetype == "application/problem+json"
    assert response.json["status"] == response.status_code and response.json["detail"]


def test_tokens_are_hashed_revocable_and_note_their_last_use(world: World) -> None:
    client = _client(world, world.analyst)
    page = client.get("/tokens/").get_data(as_text=True)
    made = client.post("/tokens/", data={"name": "Power BI", "csrf_token": csrf_token(page)}).get_data(as_text=True)
    secret = made.split('<code class="app-token">')[1].split("</code>")[0]
    with world.app.app_context():
        stored = db.session().scalar(select(ApiToken).filter_by(name="Power BI"))
        assert stored is not None and stored.token_hash == token_hash(secret) and stored.last_used_at is None
        assert secret not in json.dumps([stored.token_hash, stored.name])
        token_id = stored.id
    api = world.app.test_client()
    headers = {"Authorization": f"Bearer {secret}"}
    assert api.get(f"/api/v1/sector/levels?questionnaire={QUESTIONNAIRE}", headers=headers).status_code == 200
    with world.app.app_context():
        assert db.session().get(ApiToken, token_id).last_used_at is not None  # type: ignore[union-attr]
    listing = client.get("/tokens/").get_data(as_text=True)
    assert "Power BI" in listing and secret not in listing
    client.post(f"/tokens/{token_id}/revoke", data={"csrf_token": csrf_token(listing)})
    refused = api.get(f"/api/v1/sector/levels?questionnaire={QUESTIONNAIRE}", headers=headers)
    assert refused.status_code == 401 and refused.mimetype == "application/problem+json"
    assert refused.headers["WWW-Authenticate"].startswith("Bearer")
    assert api.get("/api/v1/sector/levels", headers={"Authorization": "Bearer nonsense"}).status_code == 401


def test_a_tokens_last_use_is_written_at_most_every_few_minutes(world: World) -> None:
    secret = _token(world, world.analyst)["Authorization"].removeprefix("Bearer ")
    start = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)
    with world.app.app_context():
        session = db.session()
        token = live_token(session, secret)
        assert token is not None and token.user.email == world.analyst
        assert note_use(session, token, start)
        session.commit()
        session.refresh(token)
        # Within the resolution an API call writes nothing, so it has nothing to commit.
        assert not note_use(session, token, start + LAST_USE_RESOLUTION / 2)
        assert note_use(session, token, start + LAST_USE_RESOLUTION * 2)
        session.commit()
        session.refresh(token)
        assert token.last_used_at == start + LAST_USE_RESOLUTION * 2
        assert live_token(session, secret + "x") is None


def test_a_member_reads_their_own_councils_published_profile_with_their_own_token(world: World) -> None:
    api = world.app.test_client()
    headers = _token(world, world.respondent)
    own = api.get("/api/v1/councils/NAMA/profile", headers=headers)
    assert own.status_code == 200
    assert own.json["published_on"] == "2026-03-01" and own.json["questionnaires"][0]["level"] == 4
    for other in ("NAMB", "NOPE"):
        response = api.get(f"/api/v1/councils/{other}/profile", headers=headers)
        assert response.status_code == 404 and response.mimetype == "application/problem+json"
    # Sector figures are for analysts.
    assert api.get(f"/api/v1/sector/levels?questionnaire={QUESTIONNAIRE}", headers=headers).status_code == 404
    analyst = _token(world, world.analyst)
    assert api.get(f"/api/v1/councils/{ANONYMOUS_CODE}/profile", headers=analyst).status_code == 404
    assert api.get("/api/v1/councils/NAMB/profile", headers=analyst).status_code == 200


def _xlsx_text(data: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as book:
        return " ".join(book.read(name).decode("utf-8") for name in book.namelist() if name.endswith(".xml"))


def _pdf_text(data: bytes) -> str:
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    assert "Disclosure rule" in text and "Participation by council type" in text
    return text


def test_anonymous_councils_are_never_named_on_pages_or_in_exports(world: World) -> None:
    client = _client(world, world.analyst)
    query = f"questionnaire={QUESTIONNAIRE}"
    texts = [client.get(f"/sector/?{query}").get_data(as_text=True),
             client.get(f"/sector/targeting?{query}&sort=change").get_data(as_text=True),
             client.get(f"/sector/export.csv?{query}").get_data(as_text=True),
             client.get(f"/sector/export.json?{query}").get_data(as_text=True),
             client.get(f"/sector/targeting.csv?{query}").get_data(as_text=True),
             _xlsx_text(client.get(f"/sector/export.xlsx?{query}").data),
             _xlsx_text(client.get(f"/sector/targeting.xlsx?{query}").data),
             _pdf_text(client.get(f"/sector/report.pdf?{query}").data)]
    for text in texts:
        assert ANONYMOUS_NAME not in text and ANONYMOUS_CODE not in text and "Privateham" not in text
    assert "Betaford" in texts[1] and "Betaford" in texts[4]
    assert client.get(f"/councils/{ANONYMOUS_CODE}/benchmark").status_code == 404
    assert client.get("/councils/NAMB/benchmark").status_code == 200


def _statements(world: World, client: FlaskClient, url: str, **kwargs: Any) -> list[str]:
    """The SQL statements one GET runs (after a first call, which may note a token's last use)."""
    assert client.get(url, **kwargs).status_code == 200
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    engine = world.app.extensions["assess.engine"]
    event.listen(engine, "before_cursor_execute", record)
    assert client.get(url, **kwargs).status_code == 200
    event.remove(engine, "before_cursor_execute", record)
    return statements


def test_sector_requests_run_a_fixed_few_statements(world: World) -> None:
    # Per request, not per row: the token comes with its owner, the council with its rounds, and the benchmark's
    # comparison group with the council's own levels.
    headers = _token(world, world.analyst)
    api = world.app.test_client()
    assert len(_statements(world, api, f"/api/v1/sector/levels?questionnaire={QUESTIONNAIRE}", headers=headers)) == 2
    analyst = _client(world, world.analyst)
    # The person, the register's types and regions, the list; then whether the sector is simulated (a warning).
    assert len(_statements(world, analyst, f"/sector/targeting?questionnaire={QUESTIONNAIRE}")) == 4
    assert len(_statements(world, analyst, f"/councils/NAMB/benchmark?questionnaire={QUESTIONNAIRE}")) == 4


def test_benchmarks_compare_councils_that_shared_by_name_only(world: World) -> None:
    # Even where the anonymous district counts in sector figures: one benchmark against another could single it out.
    _open_the_anonymous_councils_place(world)
    with world.app.app_context():
        session = db.session()
        questionnaire = questionnaire_library(world.app).files[QUESTIONNAIRE].questionnaire
        council = session.scalar(select(Organisation).filter_by(code="NAMB"))
        assert council is not None
        compared = sector.benchmark(session, council, None, questionnaire, 1)
    assert compared.councils == 2  # NAMA and NAMC
    [everyone] = _levels(world, type="District")
    assert everyone.councils == 4


def test_a_lead_benchmarks_their_council_even_when_it_shared_anonymously(world: World) -> None:
    page = _client(world, f"lead-{ANONYMOUS_CODE.lower()}@example.org").get(f"/councils/{ANONYMOUS_CODE}/benchmark")
    assert page.status_code == 200 and "has no published round" not in page.get_data(as_text=True)
    analyst_page = _client(world, world.analyst).get("/councils/PRIV/benchmark")
    assert analyst_page.status_code == 404


def test_the_targeting_list_sorts_by_fall_since_the_previous_round(world: World) -> None:
    with world.app.app_context():
        questionnaire = questionnaire_library(world.app).files[QUESTIONNAIRE].questionnaire
        filters = sector.Filters(questionnaire=QUESTIONNAIRE)
        rows = sector.targeting(db.session(), filters, questionnaire, date(2026, 11, 1), "change")
        lowest = sector.targeting(db.session(), filters, questionnaire, date(2026, 11, 1), "level")
    assert [r.code for r in rows][0] == "NAMA" and rows[0].change == 3
    assert rows[0].published_on == date(2026, 3, 1) and rows[0].previous_label == "Exposed"
    assert [r.level for r in lowest] == sorted(r.level for r in lowest if r.level is not None)
    assert {r.code for r in rows} == {"NAMA", "NAMB", "NAMC", "LONE"}


def test_the_targeting_page_says_none_where_there_is_nothing_to_show_and_keeps_filters_in_error(world: World) -> None:
    client = _client(world, world.analyst)
    page = client.get(f"/sector/targeting?questionnaire={QUESTIONNAIRE}&sort=change").get_data(as_text=True)
    table = page[page.index("<table"):page.index("</table>")]
    # NAMB has no earlier round shared by name and the overall level no target: none, not hidden.
    assert ">hidden<" not in table and ">none<" in table and ">Exposed<" in table and ">2026-03-01<" in table
    refused = client.get(f"/sector/targeting?questionnaire={QUESTIONNAIRE}&region=North%20West&sort=shortfall")
    text = refused.get_data(as_text=True)
    assert refused.status_code == 400 and "targets are set for sections" in text
    # The region chosen is still chosen, so only the sort needs changing.
    assert '<option value="North West" selected>' in text
    # Without a questionnaire asked for, the page's own questionnaire still offers its sections to choose from.
    default = client.get("/sector/targeting?sort=shortfall").get_data(as_text=True)
    sections = default[default.index('id="section"'):]
    assert sections[:sections.index("</select>")].count("<option") > 1
    typed = client.get(f"/sector/?questionnaire={QUESTIONNAIRE}&region=%20North%20West&to=2026-13-01")
    assert '<option value="North West" selected>' in typed.get_data(as_text=True)
    assert client.get(f"/sector/targeting?questionnaire={QUESTIONNAIRE}&section=detecting&sort=shortfall"
                      ).status_code == 200
    typo = client.get(f"/sector/?questionnaire={QUESTIONNAIRE}&type=Districts")
    assert typo.status_code == 400 and "There is no council type &#39;Districts&#39;" in typo.get_data(as_text=True)
    far = client.get(f"/sector/?questionnaire={QUESTIONNAIRE}&to=9999-12-31")
    assert far.status_code == 400 and "between 1900-01-01 and 2999-12-31" in far.get_data(as_text=True)


def test_the_api_answers_which_named_councils_most_need_help(world: World) -> None:
    api = world.app.test_client()
    body = api.get(f"/api/v1/sector/targeting?questionnaire={QUESTIONNAIRE}&type=District&region=North+West"
                   "&sort=change", headers=_token(world, world.analyst)).json
    assert [c["council_code"] for c in body["councils"]] == ["NAMA", "NAMB", "NAMC"]
    assert body["councils"][0]["change"] == 3 and body["councils"][0]["previous_level"] == 1
    assert body["councils"][0]["published_on"] == "2026-03-01"
    for sort in ("worst", "shortfall"):  # targets are set for sections: the overall level has none
        bad = api.get(f"/api/v1/sector/targeting?questionnaire={QUESTIONNAIRE}&sort={sort}",
                      headers=_token(world, world.analyst))
        assert bad.status_code == 400 and bad.mimetype == "application/problem+json"


@pytest.mark.parametrize("page", ["2", "0", "x", "99999999999999999999"])
def test_a_page_of_the_targeting_list_that_does_not_exist_is_not_found(world: World, page: str) -> None:
    client = _client(world, world.analyst)
    assert client.get(f"/sector/targeting?questionnaire={QUESTIONNAIRE}&page=1").status_code == 200
    assert client.get(f"/sector/targeting?questionnaire={QUESTIONNAIRE}&page={page}").status_code == 404


def test_exports_carry_the_rule_and_a_data_dictionary(world: World, tmp_path: Path) -> None:
    out = tmp_path / "sector.xlsx"
    runner = world.app.test_cli_runner()
    result = runner.invoke(main, args=["sector", "export", "--format", "xlsx", "--out", str(out),
                                       "--questionnaire", QUESTIONNAIRE])
    assert result.exit_code == 0, result.output
    text = _xlsx_text(out.read_bytes())
    assert "Read me" in text and "Data dictionary" in text and "fewer than 3 councils" in text
    result = runner.invoke(main, args=["sector", "export", "--format", "json", "--out", str(tmp_path / "s.json")])
    assert result.exit_code == 0, result.output
    exported = json.loads((tmp_path / "s.json").read_text())
    assert exported["threshold"] == 3 and "suppression_rule" in exported
    assert [t["key"] for t in exported["tables"]] == ["participation-type", "participation-region", "levels-type",
                                                       "levels-region", "sections", "perception-gap", "years"]
    assert "hidden by the rule" in exported["empty_cells"] and exported["simulated"] is False
    years = exported["tables"][-1]["data_dictionary"]
    assert years["Year"].startswith("The year the row describes") and years["Median"].startswith("The median")
    # Shares read as percentages in the spreadsheet, and keep their exact values.
    book = load_workbook(out)
    sheet = book["participation-type"]
    share = [cell for cell in sheet[3] if sheet.cell(row=2, column=cell.column).value == "Share counted"][0]
    assert share.number_format == "0%" and isinstance(share.value, float)


def test_tokens_from_the_command_line_are_printed_once(world: World) -> None:
    runner = world.app.test_cli_runner()
    result = runner.invoke(main, args=["tokens", "create", world.analyst, "--name", "nightly"])
    assert result.exit_code == 0
    secret = result.stdout.strip().splitlines()[-1]
    listing = runner.invoke(main, args=["tokens", "list", world.analyst]).output
    assert "nightly" in listing and secret not in listing
    assert runner.invoke(main, args=["tokens", "create", "nobody@example.org", "--name", "x"]).exit_code == 2


def test_the_threshold_is_never_below_three(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="never be below 3"):
        create_app({"TESTING": True, "SECRET_KEY": "x", "DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite'}",
                    "SECTOR_THRESHOLD": 2})


# The disclosure rule as a property ------------------------------------------------------------------------------

sizes_strategy = st.dictionaries(st.sampled_from("ABCDEFG"), st.integers(1, 12), min_size=1, max_size=7)


@settings(max_examples=300, deadline=None)
@given(sizes=sizes_strategy, threshold=st.integers(3, 6))
def test_no_hidden_group_size_can_be_worked_out(sizes: dict[str, int], threshold: int) -> None:
    hidden = sector.hidden_groups(sizes, threshold)
    assert {g for g, n in sizes.items() if n < threshold} <= hidden
    if not hidden:
        return
    total_shown = not sector.total_hidden(sizes, hidden, threshold)
    # What anyone knows: every shown group's size, the total (if shown), and that each group has a council.
    remainder = sum(sizes[g] for g in hidden) if total_shown else None
    for group in hidden:
        assert len(_possible_sizes(len(hidden), remainder)) > 1, (sizes, threshold, hidden, group)


def _possible_sizes(groups: int, remainder: int | None) -> set[int]:
    """Every size one of ``groups`` hidden groups could have, with at least one council each, adding up to remainder."""
    if remainder is None:
        return {1, 2}  # nothing bounds a hidden group from above
    others = {0}  # the sums the other hidden groups could make
    for _ in range(groups - 1):
        others = {made + size for made in others for size in range(1, remainder + 1) if made + size <= remainder}
    return {remainder - made for made in others if remainder - made >= 1}


@settings(max_examples=200, deadline=None)
@given(groups=st.dictionaries(st.sampled_from("ABCDEF"), st.lists(st.integers(0, 4), min_size=3, max_size=3)
                              .filter(lambda counts: sum(counts) > 0), min_size=1, max_size=6),
       threshold=st.integers(3, 5))
def test_what_subtraction_reveals_always_covers_enough_councils(groups: dict[str, list[int]], threshold: int) -> None:
    questionnaire = _three_level_questionnaire()
    rows = [(name, level + 1, count) for name, counts in groups.items() for level, count in enumerate(counts)
            if count]
    shown = {d.group: d for d in sector._distributions(rows, questionnaire, threshold)}
    hidden = [name for name, d in shown.items() if d.suppressed]
    for name in hidden:
        assert shown[name].councils is None and set(shown[name].levels.values()) == {None}
        assert shown[name].median is None and shown[name].share(1) is None
    for d in shown.values():
        if not d.suppressed:
            assert d.councils is not None and d.councils >= threshold
    if hidden:
        # All councils minus the shown groups: the hidden groups' union, never fewer than the threshold, nor one group.
        union = sum(sum(groups[name]) for name in hidden)
        assert len(hidden) >= 2 or len(hidden) == len(groups)
        assert union >= threshold or len(hidden) == len(groups)


def _three_level_questionnaire() -> Questionnaire:
    return Questionnaire(id="q", version=1, title="Q", scale=tuple(ScaleLevel(n, f"L{n}") for n in (1, 2, 3)),
                         scoring=ScoringSpec("weighted-mean"), sections=())


# The simulated sector ---------------------------------------------------------------------------------------------


def test_simulate_fills_a_register_and_remove_takes_exactly_it_out(sector_app: Flask) -> None:
    runner = sector_app.test_cli_runner()
    result = runner.invoke(main, args=["simulate", "--register", str(FIXTURES / "registers" / "small.csv"),
                                 "--seed", "7", "--rounds", "2"])
    assert result.exit_code == 0, result.output
    with sector_app.app_context():
        session = db.session()
        rounds = session.scalars(select(Assessment).where(Assessment.simulated)).all()
        assert len(rounds) == 12 and {a.status for a in rounds} == {AssessmentStatus.PUBLISHED,
                                                                    AssessmentStatus.CLOSED}
        assert all(a.published_at is not None for a in rounds)
        per_round = session.execute(
            select(Response.assessment_id, Response.questionnaire_version_id, Response.kind, func.count())
            .group_by(Response.assessment_id, Response.questionnaire_version_id, Response.kind)).tuples().all()
        assert {n for *_key, kind, n in per_round if kind == ResponseKind.CONSENSUS} == {1}
        assert all(1 <= n <= 12 for *_key, kind, n in per_round if kind == ResponseKind.INDIVIDUAL)
        scored = session.scalar(select(func.count(func.distinct(Score.response_id))))
        assert scored == session.scalar(select(func.count(Response.id)))
        assert all(u.simulated and u.password_hash is None for u in session.scalars(select(User)))
        real = add_user(session, "real@example.org", "Real", PLACES_PASSWORD)
        session.commit()
        real_id = real.id
        questionnaire = questionnaire_library(sector_app).files[QUESTIONNAIRE].questionnaire
        report = tables.dashboard(session, sector.Filters(questionnaire=QUESTIONNAIRE), questionnaire, 3,
                                  date(2026, 6, 1))
    # Every copy of the figures says they are simulated.
    assert report.simulated and sector.SIMULATED_NOTE in tables.to_csv(report)
    assert json.loads(tables.to_json(report))["simulated"] is True
    assert "simulated sector" in _xlsx_text(tables.to_xlsx(report))
    assert "simulated sector" in " ".join(page.extract_text() for page in PdfReader(io.BytesIO(
        render_sector_pdf(report))).pages)
    assert "already holds a simulated sector" in runner.invoke(main, args=[
        "simulate", "--register", str(FIXTURES / "registers" / "small.csv")]).output
    assert runner.invoke(main, args=["simulate", "--remove"]).exit_code == 0
    with sector_app.app_context():
        session = db.session()
        assert session.scalar(select(func.count(Assessment.id))) == 0
        assert session.scalar(select(func.count(Response.id))) == 0
        assert [u.id for u in session.scalars(select(User))] == [real_id]
        assert session.scalar(select(func.count(Organisation.id))) == 6
        assert not sector.holds_simulated(session)


def test_simulated_councils_lean_the_way_they_should(sector_app: Flask) -> None:
    with sector_app.app_context():
        session = db.session()
        rows, _count = read_register(FIXTURES / "registers" / "small.csv")
        import_register(session, rows)
        councils = list(session.scalars(select(Organisation)))
        library = questionnaire_library(sector_app)
        simulate(session, councils, library, seed=3, rounds=1, today=date(2026, 6, 1))
        session.commit()
        questionnaire = library.files[QUESTIONNAIRE].questionnaire
        gaps = sector.perception_gap(session, sector.Filters(questionnaire=QUESTIONNAIRE, ), questionnaire, 3)
        remove(session)
        session.commit()
    shown = [g.gap for g in gaps if g.gap is not None]
    # Members are simulated as a little more generous than officers.
    assert shown and sum(shown) / len(shown) > 0


def test_an_analyst_finds_a_council_by_name_or_code_with_links_only_where_it_shared_by_name(world: World) -> None:
    client = _client(world, world.analyst)
    page = client.get("/sector/councils?q=alpha").get_data(as_text=True)
    assert "Alphaton" in page and 'href="/councils/NAMA/benchmark"' in page and 'href="/councils/NAMA/profile"' in page
    # A council found by its code, that shared only anonymously: found (the register is public), nothing linked.
    page = client.get(f"/sector/councils?q={ANONYMOUS_CODE.lower()}").get_data(as_text=True)
    assert ANONYMOUS_NAME in page and "No round shared by name" in page and "/benchmark" not in page
    # Wildcards are searched for as characters; an empty search is an error, with the field named.
    assert "No council in the register" in client.get("/sector/councils?q=%25").get_data(as_text=True)
    empty = client.get("/sector/councils?q=+")
    assert empty.status_code == 400 and 'href="#q"' in empty.get_data(as_text=True)
    # The targeting list links each council to its benchmark and profile.
    targeting = client.get(f"/sector/targeting?questionnaire={QUESTIONNAIRE}").get_data(as_text=True)
    assert f'href="/councils/NAMB/benchmark?questionnaire={QUESTIONNAIRE}"' in targeting
    assert 'href="/councils/NAMB/profile"' in targeting


def test_an_analyst_reads_the_profile_of_a_council_that_shared_by_name_and_no_other(world: World) -> None:
    client = _client(world, world.analyst)
    page = client.get("/councils/NAMA/profile")
    assert page.status_code == 200 and "Alphaton" in page.get_data(as_text=True)
    for code in (ANONYMOUS_CODE, "PRIV", "NOPE"):
        assert client.get(f"/councils/{code}/profile").status_code == 404
    # The member of a council reads its published profile here too.
    assert _client(world, world.respondent).get("/councils/NAMA/profile").status_code == 200


def test_the_benchmark_marks_the_council_in_its_chart_and_table(world: World) -> None:
    for number in range(3):
        _add_council(world, f"NEAR{number}", f"Nearby {number}", "District", "North West")
        _publish(world.app, f"NEAR{number}", Sharing.NAMED, date(2026, 1, 5), 3)
    page = _client(world, world.analyst).get(f"/councils/NAMB/benchmark?questionnaire={QUESTIONNAIRE}")
    text = page.get_data(as_text=True)
    # NAMB's overall level is 2 (Basic): marked in the chart (a triangle named in the legend and the text
    # alternative) and in the table's row of the overall level, in the column of its level.
    assert "(This council&#x27;s level: Basic)" in text
    overall = text[text.index('<th scope="row" class="govuk-table__header">Overall level'):]
    overall = overall[:overall.index("</tr>")]
    cells = overall.split("<td")[1:]
    assert "this council" in cells[4 + 1] and all("this council" not in c for i, c in enumerate(cells) if i != 5)


def test_an_empty_sector_says_in_one_sentence_why_figures_are_hidden(sector_app: Flask) -> None:
    with sector_app.app_context():
        session = db.session()
        add_user(session, "analyst@example.org", "Analyst", PLACES_PASSWORD, (SiteRole.ANALYST,))
        session.commit()
    client = _client(World(sector_app, "analyst@example.org", ""), "analyst@example.org")
    page = client.get(f"/sector/?questionnaire={QUESTIONNAIRE}").get_data(as_text=True)
    assert "Figures are hidden until at least 3 councils have published" in page and "none has so far" in page
    assert ">hidden<" not in page and "No figure (count" not in page
    rules = client.get("/sector/rules").get_data(as_text=True)
    assert "No figure (count" in rules and "counted_in_year" in rules
