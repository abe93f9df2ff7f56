"""`assess report`: the maturity-profile PDF (or its HTML twin) of one council's round, or of every council."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from assess import db
from assess.models import Assessment, Organisation, Response, ResponseKind, ResponseStatus
from assess.reports.data import NoSubmittedResponse, ReportData, build_report
from assess.reports.html import render_pack_html, render_report_html
from assess.reports.pack import NoAgreedAnswers, Pack, build_pack
from assess.reports.pdf import render_pack_pdf, render_pdf


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
    return render_pack_pdf(report) if isinstance(report, Pack) else render_pdf(report)


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
@click.option("--format", "fmt", type=click.Choice(["pdf", "html"]),
              help="PDF (default) or the accessible HTML twin; a --out ending .html means HTML.")
@with_appcontext
def report_command(organisation_code: str | None, assessment_id: int | None, out: Path | None, every: bool,
                   out_dir: Path | None, fmt: str | None) -> None:
    """Write the peer-challenge pack of a council's round (its maturity profile if nothing is agreed yet).

    \b
    assess report ORGANISATION_CODE [--assessment ID] --out FILE.pdf
    assess report --all --out-dir DIR
    """
    session = db.session()
    if every:
        if organisation_code or out or assessment_id:
            raise click.UsageError("--all takes --out-dir only (no council code, --assessment or --out)")
        if out_dir is None:
            raise click.UsageError("--all needs --out-dir DIR")
        _report_all(session, out_dir, _format_of(None, fmt))
        return
    if not organisation_code:
        raise click.UsageError("give a council's ORGANISATION_CODE (or --all --out-dir DIR)")
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


def _report_all(session: Session, out_dir: Path, fmt: str) -> None:
    targets = [(a.id, a.organisation.code) for a in reportable_assessments(session)]
    if not targets:
        raise click.ClickException("no council has a submitted response yet")
    out_dir.mkdir(parents=True, exist_ok=True)
    with click.progressbar(targets, label="Writing reports", file=sys.stderr,
                           item_show_func=lambda t: t[1] if t else None) as bar:
        for assessment_id, code in bar:
            assessment = session.get(Assessment, assessment_id)
            assert assessment is not None
            report = pack_or_report(session, assessment)
            path = out_dir / f"{_safe(code)}-round-{assessment_id}.{fmt}"
            path.write_bytes(render(report, fmt))
            session.expunge_all()  # keep memory flat over hundreds of councils
    click.echo(f"Wrote {len(targets)} report(s) to {out_dir}")
