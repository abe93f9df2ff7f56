"""Reading the audit trail: events filtered by person, council, action and date, and as CSV."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from assess.models import AuditEvent, Organisation, User
from assess.spreadsheets import csv_text

#: The most events a page shows (the CSV holds every match).
PAGE_SIZE = 200


@dataclass(frozen=True)
class AuditFilter:
    """Which events to show: any of these left empty does not filter."""

    person: str = ""  # part of a name or email address
    council: str = ""  # a council's code
    action: str = ""
    since: date | None = None
    until: date | None = None


def _query(audit_filter: AuditFilter) -> Select[tuple[AuditEvent, User, Organisation]]:
    query = (select(AuditEvent, User, Organisation)
             .outerjoin(User, User.id == AuditEvent.user_id)
             .outerjoin(Organisation, Organisation.id == AuditEvent.organisation_id))
    if audit_filter.person:
        pattern = f"%{audit_filter.person.lower()}%"
        query = query.where(or_(User.email.like(pattern), User.name.ilike(pattern),
                                AuditEvent.subject.like(pattern)))
    if audit_filter.council:
        query = query.where(Organisation.code == audit_filter.council.upper())
    if audit_filter.action:
        query = query.where(AuditEvent.action == audit_filter.action)
    if audit_filter.since:
        query = query.where(AuditEvent.at >= datetime.combine(audit_filter.since, time(), UTC))
    if audit_filter.until:
        query = query.where(AuditEvent.at < datetime.combine(audit_filter.until + timedelta(days=1), time(), UTC))
    return query.order_by(AuditEvent.at.desc(), AuditEvent.id.desc())


def events(session: Session, audit_filter: AuditFilter,
           limit: int | None = PAGE_SIZE) -> Sequence[tuple[AuditEvent, User | None, Organisation | None]]:
    """The newest events that match, each with its actor and council (if any)."""
    query = _query(audit_filter)
    rows: Sequence[tuple[AuditEvent, User | None, Organisation | None]] = session.execute(
        query.limit(limit) if limit else query).tuples().all()
    return rows


def actions(session: Session) -> list[str]:
    """Every kind of event recorded so far, for the filter."""
    return sorted(session.scalars(select(AuditEvent.action).distinct()))


def as_csv(rows: Iterable[tuple[AuditEvent, User | None, Organisation | None]]) -> str:
    """Events as CSV (formula-safe): when, who, council, action, subject, address, browser, detail."""
    return csv_text([["at", "actor_email", "council_code", "action", "subject", "ip_address", "user_agent", "detail"],
                     *([event.at.isoformat(), user.email if user else "", council.code if council else "",
                        event.action, event.subject or "", event.ip_address or "", event.user_agent or "",
                        str(event.detail or "")] for event, user, council in rows)])
