"""PDF downloads off the request path: the file once drawn, until then a page saying it is being prepared."""

from __future__ import annotations

from flask import current_app, render_template, request
from flask.typing import ResponseReturnValue

from assess.jobs import pdf_when_drawn
from assess.reports.data import ReportData
from assess.reports.downloads import pdf_file
from assess.reports.pack import Pack


def pdf_download(report: ReportData | Pack, filename: str, *, status_url: str, back_url: str) -> ResponseReturnValue:
    """The drawn PDF, or (its drawing queued) the "being prepared" page, which offers it once the status says so."""
    drawn = pdf_when_drawn(current_app._get_current_object(), report)  # type: ignore[attr-defined]
    if drawn is None:
        return render_template("reports/pdf_preparing.html", pdf_url=request.path, status_url=status_url,
                               back_url=back_url, filename=filename)
    return pdf_file(drawn, filename)


def pdf_status(report: ReportData | Pack) -> dict[str, bool]:
    """Whether the PDF is ready to download (asking queues its drawing again if an earlier attempt was lost)."""
    return {"ready": pdf_when_drawn(current_app._get_current_object(), report) is not None}  # type: ignore[attr-defined]
