"""Work done beside the web requests: a Huey queue whose tasks `assess worker` runs (docs/adr/0009).

The queue is a SQLite file in the instance folder, so one server needs nothing more; with REDIS_URL
(``ASSESS_REDIS_URL``) it is in Redis, shared by every app server and worker. The drawn PDFs are kept in
the same place (reports/downloads.py: pdf_cache), so a PDF drawn by any worker serves every server.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from flask import Flask
from huey import Huey, RedisHuey, SqliteHuey

from assess.logs import configure_logging
from assess.reports.data import ReportData
from assess.reports.downloads import cached_pdf, fingerprint, pdf_cache
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


def pdf_when_drawn(app: Flask, report: ReportData | Pack) -> bytes | None:
    """The report's PDF if it has been drawn; otherwise None, and the drawing queued (once, however often asked)."""
    cache, key = pdf_cache(app), f"pdf-{fingerprint(report)}"
    drawn: bytes | None = cache.get(key)
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
