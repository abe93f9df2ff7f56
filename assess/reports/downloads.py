"""Flask responses for the report downloads (used by the results page's views), and the cache of drawn PDFs.

Drawing a PDF takes seconds of CPU; sending one already drawn takes microseconds. Each PDF is drawn
once per content: it is kept under a fingerprint of everything it shows (the ReportData it is drawn
from, and the drawing code itself), so a changed answer, score, name or release draws it afresh and
nothing has to be invalidated by hand (docs/adr/0007-pdfs-drawn-once-per-content.md).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import fields
from pathlib import Path
from typing import Any

from flask import Flask, Response
from flask_caching import Cache

from assess.reports import charts, pdf
from assess.reports.data import QuestionnaireReport, ReportData
from assess.reports.pack import Pack
from assess.reports.pdf import render_pack_pdf, render_pdf

#: What the drawing code is: a new release that draws differently never serves a PDF drawn by the old one.
DRAWING_CODE = hashlib.sha256(b"".join(Path(module.__file__ or "").read_bytes() for module in (pdf, charts))).digest()


def report_filename(code: str, round_id: int, extension: str) -> str:
    """A safe, telling file name for a report of council ``code``'s round: maturity-profile-DEMO-round-3.pdf."""
    safe = re.sub(r"[^A-Za-z0-9_-]+", "-", code).strip("-") or "council"
    return f"maturity-profile-{safe}-round-{round_id}.{extension}"


def pdf_cache(app: Flask) -> Cache:
    """The drawn PDFs, shared by every worker and by `assess report --all`: files in the instance folder, or, with
    REDIS_URL, in Redis (shared by every app server too)."""
    cache: Cache | None = app.extensions.get("assess.pdf_cache")
    if cache is None:
        if app.config.get("REDIS_URL"):
            # A report shows the day it was made, so a PDF older than a week is never asked for again.
            config = {"CACHE_TYPE": "RedisCache", "CACHE_REDIS_URL": app.config["REDIS_URL"],
                      "CACHE_KEY_PREFIX": "assess-pdf:", "CACHE_DEFAULT_TIMEOUT": 7 * 24 * 3600}
        else:
            config = {
                "CACHE_TYPE": "FileSystemCache", "CACHE_DIR": str(Path(app.instance_path) / "pdf-cache"),
                "CACHE_DEFAULT_TIMEOUT": 0,  # never stale: a changed report has another key
                "CACHE_THRESHOLD": app.config["PDF_CACHE_FILES"],  # then the oldest go
            }
        cache = app.extensions["assess.pdf_cache"] = Cache(app, config=config)
    return cache


def _shown(item: Any, *left_out: str) -> list[tuple[str, Any]]:
    return [(f.name, getattr(item, f.name)) for f in fields(item) if f.name not in left_out]


def _part(part: QuestionnaireReport) -> tuple[Any, ...]:
    # A questionnaire counts by its id and version (a recorded version never changes): its whole model
    # would be most of the text to hash.
    return part.questionnaire.id, part.questionnaire.version, _shown(part, "questionnaire")


def fingerprint(report: ReportData | Pack) -> str:
    """A key for exactly what a PDF of this report or pack shows (frozen dataclasses all the way down, so repr is
    content)."""
    if isinstance(report, Pack):
        shown: Any = (fingerprint(report.report), _shown(report, "report", "parts"),
                      [(_part(part.report), _shown(part, "report")) for part in report.parts])
    else:
        shown = (_shown(report, "questionnaires"), [_part(part) for part in report.questionnaires])
    return hashlib.sha256(DRAWING_CODE + repr(shown).encode()).hexdigest()


def cached_pdf(app: Flask, report: ReportData | Pack) -> bytes:
    """The report's (or pack's) PDF, drawn only if no PDF of this very content has been drawn before."""
    cache, key = pdf_cache(app), f"pdf-{fingerprint(report)}"
    drawn: bytes | None = cache.get(key)
    if drawn is None:
        drawn = render_pack_pdf(report) if isinstance(report, Pack) else render_pdf(report)
        cache.set(key, drawn)
    return drawn


def pdf_file(drawn: bytes, filename: str) -> Response:
    """A drawn PDF as a download named ``filename``."""
    return Response(drawn, mimetype="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})
