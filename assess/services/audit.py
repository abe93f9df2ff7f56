"""Reading the audit trail: events filtered by person, council, action and date, and as CSV."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from assess.models import (
    Action,
    ApiToken,
    Assessment,
    AuditEvent,
    Invitation,
    Organisation,
    QuestionnaireVersion,
    Response,
    ResponseKind,
    User,
)
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


@dataclass(frozen=True)
class EventRow:
    """An event as the audit log page shows it: its subject and council by name, and the reason given, if any."""

    event: AuditEvent
    actor: User | None
    council: Organisation | None
    about: str
    reason: str | None


def _names(session: Session, kind: str, ids: set[int]) -> dict[int, str]:
    """Readable names of the subjects of one kind ("assessment", "user", ...) by id, in one query."""
    if kind == "user":
        return {id_: f"{name} ({email})" for id_, name, email
                in session.execute(select(User.id, User.name, User.email).where(User.id.in_(ids))).tuples()}
    if kind == "assessment":
        return {id_: f"{title}, {council}" for id_, title, council in session.execute(
            select(Assessment.id, Assessment.title, Organisation.name).join(Organisation)
            .where(Assessment.id.in_(ids))).tuples()}
    if kind == "response":
        found = session.execute(
            select(Response.id, Response.kind, User.name, QuestionnaireVersion.title, Assessment.title)
            .join(QuestionnaireVersion).join(Assessment).outerjoin(User, User.id == Response.respondent_id)
            .where(Response.id.in_(ids))).tuples()
        return {id_: (f"Agreed answers to {questionnaire}" if kind_ == ResponseKind.CONSENSUS
                      else f"{person or 'A respondent'}'s answers to {questionnaire}") + f", {round_}"
                for id_, kind_, person, questionnaire, round_ in found}
    if kind == "questionnaire-version":
        return {id_: f"{title} version {version}" for id_, title, version in session.execute(
            select(QuestionnaireVersion.id, QuestionnaireVersion.title, QuestionnaireVersion.version)
            .where(QuestionnaireVersion.id.in_(ids))).tuples()}
    if kind == "action":
        return {id_: f"Action: {_short(text)}" for id_, text in session.execute(
            select(Action.id, Action.description).where(Action.id.in_(ids))).tuples()}
    if kind == "invitation":
        return {id_: f"Invitation to {email}" for id_, email in session.execute(
            select(Invitation.id, Invitation.email).where(Invitation.id.in_(ids))).tuples()}
    if kind == "api-token":
        return {id_: f"API token \u2018{name}\u2019" for id_, name in session.execute(
            select(ApiToken.id, ApiToken.name).where(ApiToken.id.in_(ids))).tuples()}
    return {}


def _short(text: str, longest: int = 80) -> str:
    return text if len(text) <= longest else text[:longest - 1].rstrip() + "\u2026"


def _reference(subject: str | None) -> tuple[str, int] | None:
    """A subject's kind and id ("assessment:3"), or None for a subject that is not such a reference."""
    kind, _, number = (subject or "").partition(":")
    return (kind, int(number)) if number.isdigit() and len(number) < 12 else None


def readable(session: Session, rows: Sequence[tuple[AuditEvent, User | None, Organisation | None]]) -> list[EventRow]:
    """Events with their subjects by name (round titles, people, questionnaires; one query per kind) and reasons.

    A subject no longer in the database keeps its reference, marked as deleted.
    """
    wanted: dict[str, set[int]] = {}
    for event, _actor, _council in rows:
        if (reference := _reference(event.subject)) is not None:
            wanted.setdefault(reference[0], set()).add(reference[1])
    names = {kind: _names(session, kind, ids) for kind, ids in wanted.items()}

    def about(subject: str | None) -> str:
        reference = _reference(subject)
        if reference is None or reference[0] not in KNOWN_KINDS:
            return subject or "\u2013"
        kind, number = reference
        return names[kind].get(number, f"{subject} (deleted)")

    return [EventRow(event, actor, council, about(event.subject),
                     str(event.detail["reason"]) if isinstance(event.detail, dict) and event.detail.get("reason")
                     else None)
            for event, actor, council in rows]


#: The kinds of subject named by :func:`readable` (others are shown as recorded).
KNOWN_KINDS = ("user", "assessment", "response", "questionnaire-version", "action", "invitation", "api-token")
