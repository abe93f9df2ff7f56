"""PDF downloads off the request path: the file once drawn, until then a page saying it is being prepared."""

from __future__ import annotations

from collections.abc import Callable

from flask import current_app, render_template, request
from flask.typing import ResponseReturnValue

from assess.jobs import pdf_when_drawn
from assess.reports.data import ReportData
from assess.reports.downloads import pdf_file
from assess.reports.pack import Pack

#: Without JavaScript, how often the "being prepared" page asks for its PDF again.
REFRESH_SECONDS = 5


def pdf_download(build: Callable[[], ReportData | Pack], filename: str, *, back_url: str,
                 content: str | None = None) -> ResponseReturnValue:
    """The drawn PDF of the report ``build`` makes (``content``: see jobs.pdf_when_drawn), or (its drawing queued) the
    "being prepared" page, which offers it once the status (this address plus /status: pdf_status) says so."""
    drawn = pdf_when_drawn(current_app._get_current_object(), build, content)  # type: ignore[attr-defined]
    if drawn is None:
        return render_template("reports/pdf_preparing.html", pdf_url=request.path, status_url=f"{request.path}/status",
                               back_url=back_url, refresh_seconds=REFRESH_SECONDS)
    return pdf_file(drawn, filename)


def pdf_status(build: Callable[[], ReportData | Pack], content: str | None = None) -> dict[str, bool]:
    """Whether the PDF is ready to download (asking queues its drawing again if an earlier attempt was lost)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    return {"ready": pdf_when_drawn(app, build, content) is not None}
