"""Work done beside the web requests: a Huey queue whose tasks `assess worker` runs (docs/adr/0009).

The queue is a SQLite file in the instance folder, so one server needs nothing more; with REDIS_URL
(``ASSESS_REDIS_URL``) it is in Redis, shared by every app server and worker. The drawn PDFs are kept in
the same place (reports/downloads.py: pdf_cache), so a PDF drawn by any worker serves every server.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import Flask
from huey import Huey, RedisHuey, SqliteHuey

from assess.logs import configure_logging
from assess.reports.data import ReportData
from assess.reports.downloads import DRAWING_CODE, cached_pdf, fingerprint, pdf_cache
from assess.reports.pack import Pack

#: How long a PDF asked for counts as being drawn: another request for it within this time queues nothing more.
DRAWING_SECONDS = 300


def queue(app: Flask) -> Huey:
    """The app's job queue, with its tasks (made once per app, the same way in the web app and the worker)."""
    huey: Huey | None = app.extensions.get("assess.jobs")
    if huey is None:
        options: dict[str, Any] = {"results": False, "immediate": bool(app.config.get("JOBS_IMMEDIATE"))}
        if app.config.get("REDIS_URL"):
            huey = RedisHuey("assess", url=app.config["REDIS_URL"], **options)
        else:
            huey = SqliteHuey("assess", filename=str(Path(app.instance_path) / "jobs.sqlite"), **options)

        def draw_pdf(report: ReportData | Pack) -> None:
            """Draw a report's (or pack's) PDF into the PDF cache."""
            with app.app_context():
                cached_pdf(app, report)

        app.extensions["assess.jobs"] = huey
        app.extensions["assess.jobs.draw_pdf"] = huey.task(name="draw-pdf")(draw_pdf)
    return huey


def pdf_when_drawn(app: Flask, build: Callable[[], ReportData | Pack], content: str | None = None) -> bytes | None:
    """The PDF of the report ``build`` makes if it has been drawn; otherwise None, and its drawing queued (once, however
    often asked).

    ``content``, a cheap key of what the report shows (reports/profile_cache.py: content_key), finds a PDF already
    drawn without building the report: the first build records which fingerprint the content has.
    """
    cache = pdf_cache(app)
    known = f"fingerprint-{content}-{DRAWING_CODE.hex()}" if content else None
    fingerprinted: str | None = cache.get(known) if known else None
    drawn: bytes | None = cache.get(f"pdf-{fingerprinted}") if fingerprinted else None
    if drawn is not None:
        return drawn
    report = build()
    fingerprinted = fingerprint(report)
    if known:
        cache.set(known, fingerprinted)
    key = f"pdf-{fingerprinted}"
    drawn = cache.get(key)
    if drawn is None:
        queue(app)
        if cache.add(f"drawing-{key}", True, timeout=DRAWING_SECONDS):
            app.extensions["assess.jobs.draw_pdf"](report)
            drawn = cache.get(key)  # an immediate queue (the tests') has drawn it already
    return drawn


def run_worker(app: Flask, workers: int) -> None:
    """Run the queue's consumer in this process until it is stopped (SIGTERM or SIGINT), logging JSON lines."""
    for name in ("huey", "assess"):
        configure_logging(logging.getLogger(name))
        logging.getLogger(name).setLevel(logging.INFO)
    queue(app).create_consumer(workers=workers, worker_type="process", periodic=False).run()
