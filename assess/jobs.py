"""Work done beside the web requests: a Huey queue whose tasks `assess worker` runs (docs/adr/0009).

The queue is a SQLite file in the instance folder, so one server needs nothing more; with REDIS_URL
(``ASSESS_REDIS_URL``) it is in Redis, shared by every app server and worker. The drawn PDFs are kept in
the same place (reports/downloads.py: pdf_cache), so a PDF drawn by any worker serves every server.

A PDF being drawn is marked by a lease that its drawing process holds (docs/adr/0012): an advisory file lock,
which the kernel releases when the process ends however it ends, or with Redis a lock that expires unless the
drawing process renews it. A PDF asked for that is neither drawn, nor queued lately, nor held is queued again,
so a drawing lost with its worker is drawn again when next asked for.
"""

from __future__ import annotations

import ctypes
import fcntl
import logging
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, suppress
from pathlib import Path
from typing import Any, Protocol

import redis
from flask import Flask
from huey import Huey, RedisHuey, SqliteHuey
from huey.consumer import Consumer

from assess.logs import configure_logging
from assess.reports.data import ReportData
from assess.reports.downloads import DRAWING_CODE, cached_pdf, fingerprint, pdf_cache
from assess.reports.pack import Pack

#: A PDF asked for is queued at most once in this time, however often asked (its page asks every two seconds);
#: after it, a PDF neither drawn nor being drawn is queued again (its job was lost before it started).
QUEUED_SECONDS = 30
#: How long a Redis lease on a drawing lasts unless its process renews it (every third of this time).
LEASE_SECONDS = 15
#: Linux's prctl option asking the kernel to signal a process when its parent ends.
PR_SET_PDEATHSIG = 1

logger = logging.getLogger(__name__)


class Leases(Protocol):
    """Which PDFs are being drawn, each held by the process drawing it."""

    def held(self, key: str) -> bool:
        """Whether a live process holds the lease on drawing this PDF."""

    def hold(self, key: str) -> AbstractContextManager[None]:
        """Hold the lease on drawing this PDF, first waiting while another process holds it."""


class FileLeases:
    """Leases as advisory locks (flock) on files in the instance folder: the kernel releases a process's locks when
    it ends, killed or not, so a lease never outlives its drawing (one machine: the file cache is one machine's)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def held(self, key: str) -> bool:
        try:
            descriptor = os.open(self.folder / f"{key}.lock", os.O_RDONLY)
        except FileNotFoundError:
            return False
        try:
            fcntl.flock(descriptor, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        finally:
            os.close(descriptor)  # and with it the shared lock, at once
        return False

    @contextmanager
    def hold(self, key: str) -> Iterator[None]:
        self.folder.mkdir(exist_ok=True)
        path = self.folder / f"{key}.lock"
        descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX)
            try:
                yield
            finally:
                # Removed while still locked, unless another drawing has made a file of its own there since: one
                # waiting on this file then finds the PDF drawn (a drawing first looks for it).
                with suppress(FileNotFoundError):
                    if path.stat().st_ino == os.fstat(descriptor).st_ino:
                        path.unlink()
        finally:
            os.close(descriptor)


class RedisLeases:
    """Leases as Redis locks (redis-py's Lock) that expire LEASE_SECONDS after they were last renewed: the drawing
    process renews its lease while it draws, so a lease outlives a killed worker by LEASE_SECONDS at most."""

    def __init__(self, url: str) -> None:
        self.redis = redis.Redis.from_url(url)

    @staticmethod
    def _name(key: str) -> str:
        return f"assess-pdf:drawing-{key}"

    def held(self, key: str) -> bool:
        return bool(self.redis.exists(self._name(key)))

    @contextmanager
    def hold(self, key: str) -> Iterator[None]:
        # Not thread-local: the renewing thread must see the token the drawing thread acquired.
        lock = self.redis.lock(self._name(key), timeout=LEASE_SECONDS, thread_local=False)
        with lock:
            done = threading.Event()

            def renew() -> None:
                while not done.wait(LEASE_SECONDS / 3):
                    try:
                        lock.reacquire()
                    except redis.exceptions.RedisError:
                        logger.warning("lost the lease on drawing %s: it may be drawn twice", key)
                        return

            renewer = threading.Thread(target=renew, name=f"lease-{key}", daemon=True)
            renewer.start()
            try:
                yield
            finally:
                done.set()
                renewer.join()


def leases(app: Flask) -> Leases:
    """The leases on PDFs being drawn, beside the app's PDF cache: in Redis with REDIS_URL, else in the instance
    folder."""
    found: Leases | None = app.extensions.get("assess.jobs.leases")
    if found is None:
        found = RedisLeases(app.config["REDIS_URL"]) if app.config.get("REDIS_URL") else FileLeases(
            Path(app.instance_path) / "pdf-drawing")
        app.extensions["assess.jobs.leases"] = found
    return found


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
            """Draw a report's (or pack's) PDF into the PDF cache, holding its lease while drawing."""
            key = f"pdf-{fingerprint(report)}"
            with app.app_context(), leases(app).hold(key):
                pdf_cache(app).delete(f"queued-{key}")  # held from here: if this process dies, it is queued again
                cached_pdf(app, report)  # nothing to do if another job drew it while this one waited

        app.extensions["assess.jobs"] = huey
        app.extensions["assess.jobs.draw_pdf"] = huey.task(name="draw-pdf")(draw_pdf)
    return huey


def pdf_when_drawn(app: Flask, build: Callable[[], ReportData | Pack], content: str | None = None) -> bytes | None:
    """The PDF of the report ``build`` makes if it has been drawn; otherwise None, and its drawing queued unless it
    was queued within QUEUED_SECONDS or a live process is drawing it.

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
    # The cache's get honours a marker's expiry (its add does not, in files); two requests racing here may both
    # queue it, and the second job then finds it drawn, or waits on the first one's lease.
    if drawn is None and cache.get(f"queued-{key}") is None and not leases(app).held(key):
        queue(app)
        cache.set(f"queued-{key}", True, timeout=QUEUED_SECONDS)
        app.extensions["assess.jobs.draw_pdf"](report)
        drawn = cache.get(key)  # an immediate queue (the tests') has drawn it already
    return drawn


class WorkerConsumer(Consumer):  # type: ignore[misc]  # huey ships no type information
    """Huey's consumer, whose worker processes end when it ends, however it ends (killed too)."""

    def _set_child_signal_handlers(self) -> None:
        # Huey calls this first thing in each worker process (and its scheduler process). A SIGKILL (or the OOM
        # killer) ends the consumer without it stopping its children, which would go on taking jobs; asked for
        # here, the kernel kills each child when the consumer ends. SIGKILL, because huey's own SIGTERM handler
        # only abandons the task at hand and then takes the next one, waiting for a stop flag the dead consumer
        # never sets. The job it was drawing is lost with its lease, and queued again when next asked for.
        super()._set_child_signal_handlers()
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        if os.getppid() != self.consumer_pid:  # the consumer ended before the request took effect
            sys.exit(0)

    def start(self) -> None:
        self.consumer_pid = os.getpid()
        super().start()


def run_worker(app: Flask, workers: int) -> None:
    """Run the queue's consumer in this process until it is stopped (SIGTERM or SIGINT), logging JSON lines."""
    for name in ("huey", "assess"):
        configure_logging(logging.getLogger(name))
        logging.getLogger(name).setLevel(logging.INFO)
    WorkerConsumer(queue(app), workers=workers, worker_type="process", periodic=False).run()
