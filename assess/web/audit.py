"""Audit events written during a request carry the client's address and browser."""

from __future__ import annotations

from typing import Any

from flask import has_request_context, request
from sqlalchemy import event
from sqlalchemy.orm import Session

from assess.models import AuditEvent


def init_app() -> None:
    """Fill in the address and user agent of every audit event flushed while a request is handled."""
    if not event.contains(Session, "before_flush", _stamp):
        event.listen(Session, "before_flush", _stamp)


def _stamp(session: Session, _context: Any, _instances: Any) -> None:
    if not has_request_context():
        return
    for item in session.new:
        if isinstance(item, AuditEvent) and item.ip_address is None:
            item.ip_address = (request.remote_addr or "")[:45] or None
            item.user_agent = request.headers.get("User-Agent", "")[:300] or None
