"""`assess report`: a round's peer-challenge pack or maturity profile (PDF or HTML twin), or every council's."""

from __future__ import annotations

import multiprocessing
import re
import sys
from concurrent.futures import ProcessPoolExecutor
from contextlib import ExitStack
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from assess import db
from assess.models import Assessment, Organisation, Response, ResponseKind, ResponseStatus
from assess.reports.data import NoSubmittedResponse, ReportData, build_report
from assess.reports.downloads import cached_pdf
from assess.reports.html import render_pack_html, render_report_html
from assess.reports.pack import NoAgreedAnswers, Pack, build_pack


def latest_agreed_round(session: Session, organisation: Organisation) -> Assessment | None:
    """The organisation's latest round with confirmed agreed answers (what a council's report is about)."""
    return session.scalar(
        select(Assessment).join(Response)
        .where(Assessment.organisation_id == organisation.id, Response.kind == ResponseKind.CONSENSUS,
               Response.status == ResponseStatus.SUBMITTED)
        .order_by(Assessment.created_at.desc(), Assessment.id.desc())
        .limit(1)
    )


def rounds_summary(session: Session, organisation: Organisation) -> list[str]:
    """Each round of a council, newest first, with what it holds: for choosing one with --assessment."""
    rows = session.execute(
        select(Assessment.id, Assessment.title, Assessment.status,
               func.count(Response.id).filter(Response.kind == ResponseKind.INDIVIDUAL,
                                              Response.status == ResponseStatus.SUBMITTED),
               func.count(Response.id).filter(Response.kind == ResponseKind.CONSENSUS))
        .outerjoin(Response).where(Assessment.organisation_id == organisation.id)
        .group_by(Assessment.id).order_by(Assessment.created_at.desc(), Assessment.id.desc())
    ).all()
    return [f"--assessment {rid}: '{title}' ({status.value.replace('-', ' ')}): {individual} submitted "
            f"individual response(s), {'a draft of the agreed answers' if agreed else 'no agreed answers'}"
            for rid, title, status, individual, agreed in rows]


def reportable_assessments(session: Session) -> list[Assessment]:
    """For every council with a submitted response: its latest round that has one (by council code)."""
    latest = (select(Assessment.id, func.row_number().over(
        partition_by=Assessment.organisation_id,
        order_by=(Assessment.created_at.desc(), Assessment.id.desc())).label("newest"))
        .where(Assessment.id.in_(select(Response.assessment_id).where(Response.status == ResponseStatus.SUBMITTED)))
        .subquery())
    return list(session.scalars(
        select(Assessment).join(Organisation).join(latest, latest.c.id == Assessment.id)
        .where(latest.c.newest == 1).order_by(Organisation.code)
    ))


def render(report: ReportData | Pack, fmt: str) -> bytes:
    """The report (or the peer-challenge pack) as PDF bytes, or as the HTML twin (UTF-8)."""
    if fmt == "html":
        with current_app.test_request_context():
            page = render_pack_html(report) if isinstance(report, Pack) else render_report_html(report)
            return page.encode("utf-8")
    return cached_pdf(current_app._get_current_object(), report)  # type: ignore[attr-defined]


def pack_or_report(session: Session, assessment: Assessment) -> Pack | ReportData:
    """The round's peer-challenge pack when it has confirmed agreed answers, else its maturity profile."""
    try:
        return build_pack(session, assessment, threshold=int(current_app.config["SECTOR_THRESHOLD"]))
    except NoAgreedAnswers:
        return build_report(session, assessment)


def _format_of(out: Path | None, given: str | None) -> str:
    if given:
        return given
    return "html" if out is not None and out.suffix.lower() in (".html", ".htm") else "pdf"


def _safe(code: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "-", code).strip("-") or "council"


@click.command("report")
@click.argument("organisation_code", required=False)
@click.option("--assessment", "assessment_id", type=int,
              help="The round's id (default: the council's latest round with confirmed agreed answers).")
@click.option("--out", type=click.Path(dir_okay=False, writable=True, path_type=Path),
              help="The file to write (one council).")
@click.option("--all", "every", is_flag=True, help="Every council with a submitted response (use --out-dir).")
@click.option("--out-dir", type=click.Path(file_okay=False, path_type=Path),
              help="The folder to write every council's report into (with --all).")
@click.option("--jobs", type=click.IntRange(min=1), default=1, show_default=True,
              help="With --all: draw this many reports at once, each in a process of its own (up to one a CPU core).")
@click.option("--format", "fmt", type=click.Choice(["pdf", "html"]),
              help="PDF (default) or the accessible HTML twin; a --out ending .html means HTML.")
@with_appcontext
def report_command(organisation_code: str | None, assessment_id: int | None, out: Path | None, every: bool,
                   out_dir: Path | None, fmt: str | None, jobs: int) -> None:
    """Write the peer-challenge pack of a council's round (its maturity profile if nothing is agreed yet).

    \b
    assess report ORGANISATION_CODE [--assessment ID] --out FILE.pdf
    assess report --all --out-dir DIR [--jobs N]
    """
    session = db.session()
    if every:
        if organisation_code or out or assessment_id:
            raise click.UsageError("--all takes --out-dir only (no council code, --assessment or --out)")
        if out_dir is None:
            raise click.UsageError("--all needs --out-dir DIR")
        _report_all(session, out_dir, _format_of(None, fmt), jobs)
        return
    if not organisation_code:
        raise click.UsageError("give a council's ORGANISATION_CODE (or --all --out-dir DIR)")
    if jobs != 1:
        raise click.UsageError("--jobs goes with --all")
    if out is None:
        raise click.UsageError("give --out FILE.pdf (or FILE.html)")
    if out_dir is not None:
        raise click.UsageError("--out-dir goes with --all; for one council use --out FILE")
    organisation = session.scalar(select(Organisation).where(Organisation.code == organisation_code))
    if organisation is None:
        raise click.ClickException(f"no council has the code {organisation_code!r} (see `assess orgs import`)")
    if assessment_id is None:
        assessment = latest_agreed_round(session, organisation)
        if assessment is None:
            rounds = rounds_summary(session, organisation)
            raise click.ClickException(
                f"{organisation.name} ({organisation.code}) has no round with confirmed agreed answers; "
                + ("choose one of its rounds:\n  " + "\n  ".join(rounds) if rounds else "it has no round yet"))
    else:
        assessment = session.get(Assessment, assessment_id)
        if assessment is None or assessment.organisation_id != organisation.id:
            raise click.ClickException(
                f"{organisation.name} ({organisation.code}) has no assessment round with id {assessment_id}")
    try:
        report = pack_or_report(session, assessment)
    except NoSubmittedResponse as error:
        raise click.ClickException(f"{error}; nothing to report yet") from None
    data = render(report, _format_of(out, fmt))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(data)
    what = (f"peer-challenge pack{' (DRAFT)' if report.draft else ''}" if isinstance(report, Pack)
            else "maturity profile (no confirmed agreed answers)")
    parts = report.report.questionnaires if isinstance(report, Pack) else report.questionnaires
    click.echo(f"Wrote {out} ({len(data) // 1024 or 1} KB): {organisation.name}, '{assessment.title}', {what}, "
               f"{len(parts)} questionnaire(s)")


#: The app a drawing process works with: the command's own, inherited when the process is forked.
_DRAWING_APP: list[Flask] = []


def _start_drawing_process() -> None:
    # A forked process must not share the parent's database connections: it opens its own.
    _DRAWING_APP[0].extensions["assess.engine"].dispose(close=False)


def _draw(job: tuple[int, Path, str]) -> Path:
    """Write one round's report to a file; a PDF comes from (and goes into) the cache the web serves."""
    assessment_id, path, fmt = job
    app = _DRAWING_APP[0]
    with app.app_context():
        session = db.session()
        assessment = session.get(Assessment, assessment_id)
        assert assessment is not None
        path.write_bytes(render(pack_or_report(session, assessment), fmt))
    return path


def _report_all(session: Session, out_dir: Path, fmt: str, jobs: int) -> None:
    todo = [(a.id, out_dir / f"{_safe(a.organisation.code)}-round-{a.id}.{fmt}")
            for a in reportable_assessments(session)]
    if not todo:
        raise click.ClickException("no council has a submitted response yet")
    out_dir.mkdir(parents=True, exist_ok=True)
    _DRAWING_APP[:] = [current_app._get_current_object()]  # type: ignore[attr-defined]
    jobs_list = [(assessment_id, path, fmt) for assessment_id, path in todo]
    with ExitStack() as stack:
        if jobs > 1:
            pool = stack.enter_context(ProcessPoolExecutor(
                max_workers=jobs, mp_context=multiprocessing.get_context("fork"), initializer=_start_drawing_process))
            drawn = pool.map(_draw, jobs_list)
        else:
            drawn = map(_draw, jobs_list)  # each in an app context of its own: memory stays flat over many councils
        with click.progressbar(drawn, length=len(todo), label="Writing reports", file=sys.stderr,
                               item_show_func=lambda path: path.name if path else None) as bar:
            for _path in bar:
                pass
    click.echo(f"Wrote {len(todo)} report(s) to {out_dir}")
