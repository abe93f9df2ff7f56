"""Structured logs: one JSON object a line, each carrying the id of the request it belongs to.

The request id comes from the X-Request-ID header a load balancer or proxy sets (when it is a
sensible token), or is made here; it is echoed in the response's X-Request-ID header, so one id
follows a request from the proxy's log through ours to what the person reports.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid
from datetime import UTC, datetime

from flask import Flask, g, has_request_context, request
from werkzeug.wrappers import Response

#: An id taken from a client must be a short plain token: anything else would let a client write into our logs.
REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")

#: The attributes every LogRecord has; anything else on a record was passed as `extra` and is logged too.
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    """A log record as one line of JSON: time, level, logger, message, request id and any extra fields."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update({key: value for key, value in vars(record).items() if key not in _STANDARD})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


class RequestIdFilter(logging.Filter):
    """Put the current request's id on every record logged while it is handled."""

    def filter(self, record: logging.LogRecord) -> bool:
        if has_request_context() and "request_id" in g:
            record.request_id = g.request_id
        return True


def configure_logging(logger: logging.Logger) -> None:
    """Send a logger's records to standard error as JSON lines (once, however many apps are created)."""
    if any(isinstance(handler.formatter, JsonFormatter) for handler in logger.handlers):
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestIdFilter())
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)


def init_app(app: Flask) -> None:
    """Log every request as one JSON line with its id, status and duration; echo the id in X-Request-ID."""
    configure_logging(logging.getLogger(app.import_name))
    requests = logging.getLogger(f"{app.import_name}.request")

    @app.before_request
    def start_request() -> None:
        given = request.headers.get("X-Request-ID", "")
        g.request_id = given if REQUEST_ID.fullmatch(given) else uuid.uuid4().hex
        g.request_started = time.perf_counter()

    @app.after_request
    def log_request(response: Response) -> Response:
        request_id = g.get("request_id") or uuid.uuid4().hex
        response.headers["X-Request-ID"] = request_id
        started = g.get("request_started")
        requests.info("request", extra={
            "method": request.method, "path": request.path, "status": response.status_code,
            "duration_ms": round((time.perf_counter() - started) * 1000, 1) if started is not None else None,
        })
        return response
