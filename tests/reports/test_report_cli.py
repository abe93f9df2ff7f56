"""`assess report`: one council, every council, and the errors people will meet."""

from __future__ import annotations

from io import BytesIO
from pathlib import Path
from typing import TYPE_CHECKING

from flask import Flask
from flask.testing import FlaskCliRunner
from pypdf import PdfReader

from assess import db
from assess.cli import main
from assess.models import Assessment, Organisation
from assess.reports.data import build_report
from assess.reports.downloads import fingerprint, pdf_cache

if TYPE_CHECKING:
    from tests.reports.conftest import PdfChecks


def test_report_for_one_council(runner: FlaskCliRunner, demo_assessment: Assessment, tmp_path: Path,
                                pdf_checks: PdfChecks) -> None:
    out = tmp_path / "out" / "demo.pdf"
    result = runner.invoke(main, args=["report", "DEMO", "--out", str(out)])
    assert result.exit_code == 0, result.output
    # The newest round with confirmed agreed answers is last year's, not this year's (still open).
    assert f"Wrote {out}" in result.output and "'Self-assessment 2025-26'" in result.output
    pdf = out.read_bytes()
    assert pdf.startswith(b"%PDF")
    assert "Demo Borough Council" in pdf_checks.text(pdf)
    assert "peer-challenge pack, 7 questionnaire(s)" in result.output

    again = runner.invoke(main, args=["report", "DEMO", "--assessment", str(demo_assessment.id), "--out", str(out)])
    assert again.exit_code == 0, again.output
    assert "maturity profile (no confirmed agreed answers)" in again.output


def test_report_html_twin_from_the_cli(runner: FlaskCliRunner, demo_assessment: Assessment, tmp_path: Path) -> None:
    out = tmp_path / "demo.html"
    result = runner.invoke(main, args=["report", "DEMO", "--out", str(out)])
    assert result.exit_code == 0, result.output
    html = out.read_text(encoding="utf-8")
    assert html.lstrip().lower().startswith("<!doctype html>")
    # Last year's round has confirmed agreed answers, so the report is its peer-challenge pack.
    assert "Peer-challenge pack: Demo Borough Council" in html and "Key messages" in html


def test_report_all(runner: FlaskCliRunner, demo_assessment: Assessment, tmp_path: Path) -> None:
    session = db.session()
    # A second council with a round but nothing submitted is left out.
    other = Organisation(code="E06000001", name="Hartlepool", type="Unitary authority", region="North East")
    session.add(other)
    session.add(Assessment(organisation=other, title="Empty round"))
    session.commit()
    result = runner.invoke(main, args=["report", "--all", "--out-dir", str(tmp_path / "all")])
    assert result.exit_code == 0, result.output
    files = sorted((tmp_path / "all").iterdir())
    assert [f.name for f in files] == [f"DEMO-round-{demo_assessment.id}.pdf"]
    assert len(PdfReader(BytesIO(files[0].read_bytes())).pages) > 5
    assert "Wrote 1 report(s)" in result.output


def test_report_errors(runner: FlaskCliRunner, app: Flask, demo_assessment: Assessment, tmp_path: Path) -> None:
    out = str(tmp_path / "x.pdf")
    unknown = runner.invoke(main, args=["report", "NOPE", "--out", out])
    assert unknown.exit_code == 1
    assert "no council has the code 'NOPE'" in unknown.output

    wrong_round = runner.invoke(main, args=["report", "DEMO", "--assessment", "999999", "--out", out])
    assert wrong_round.exit_code == 1 and "no assessment round with id 999999" in wrong_round.output

    session = db.session()
    other = Organisation(code="E06000002", name="Middlesbrough", type="Unitary authority", region="North East")
    session.add(other)
    session.add(Assessment(organisation=other, title="Nothing yet"))
    session.commit()
    empty = runner.invoke(main, args=["report", "E06000002", "--out", out])
    assert empty.exit_code == 1
    assert "Middlesbrough (E06000002) has no round with confirmed agreed answers; choose one" in empty.output
    assert "'Nothing yet' (open): 0 submitted individual response(s), no agreed answers" in empty.output
    nothing = runner.invoke(main, args=["report", "E06000002", "--assessment", empty.output.split("--assessment ")[1]
                                        .split(":")[0], "--out", out])
    assert nothing.exit_code == 1
    assert "Middlesbrough has no submitted response in the round 'Nothing yet'" in nothing.output
    assert not Path(out).exists()

    assert runner.invoke(main, args=["report", "--all"]).exit_code == 2
    assert runner.invoke(main, args=["report", "DEMO"]).exit_code == 2
    assert runner.invoke(main, args=["report", "--out", out]).exit_code == 2


def test_report_all_with_nothing_submitted(runner: FlaskCliRunner, tmp_path: Path) -> None:
    result = runner.invoke(main, args=["report", "--all", "--out-dir", str(tmp_path)])
    assert result.exit_code == 1
    assert "no council has a submitted response yet" in result.output


def test_report_all_across_processes_fills_the_cache_the_web_serves(
        runner: FlaskCliRunner, app: Flask, demo_assessment: Assessment, tmp_path: Path) -> None:
    db.session().commit()  # the drawing processes read the database on connections of their own
    result = runner.invoke(main, args=["report", "--all", "--jobs", "2", "--out-dir", str(tmp_path / "all")])
    assert result.exit_code == 0, result.output
    [written] = (tmp_path / "all").iterdir()  # the council's latest round with a submitted response
    assert len(PdfReader(BytesIO(written.read_bytes())).pages) > 5
    drawn = db.session().get(Assessment, int(written.stem.rsplit("-", 1)[1]))
    assert drawn is not None
    # The web's download of it is already drawn.
    assert pdf_cache(app).get(f"pdf-{fingerprint(build_report(db.session(), drawn))}") == written.read_bytes()
    assert runner.invoke(main, args=["report", "DEMO", "--jobs", "2", "--out", str(tmp_path / "x.pdf")]).exit_code == 2
