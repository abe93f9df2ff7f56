"""Flask responses for the report downloads (used by the results page's views)."""

from __future__ import annotations

import re
from typing import Any

from flask import Response

from assess.reports.data import ReportData
from assess.reports.html import render_report_html
from assess.reports.pdf import render_pdf


def report_filename(report: ReportData, extension: str) -> str:
    """A safe, telling file name: maturity-profile-DEMO-round-3.pdf."""
    code = re.sub(r"[^A-Za-z0-9_-]+", "-", report.organisation.code).strip("-") or "council"
    return f"maturity-profile-{code}-round-{report.round.id}.{extension}"


def pdf_response(report: ReportData) -> Response:
    """The PDF as a download."""
    return Response(
        render_pdf(report),
        mimetype="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{report_filename(report, "pdf")}"'},
    )


def html_response(report: ReportData, *, download: bool = False, **context: Any) -> Response:
    """The HTML twin as a page of the site, or (``download``) as a file to save."""
    response = Response(render_report_html(report, **context), mimetype="text/html")
    if download:
        response.headers["Content-Disposition"] = f'attachment; filename="{report_filename(report, "html")}"'
    return response
