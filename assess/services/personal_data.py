"""A person's own data: everything they answered, to download; erasing a person; the retention of individual answers.

Erasing or anonymising keeps the answers (the council's figures and agreed response rest on them)
but cuts every link to the person and removes their comments, which are free text that could name them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session, selectinload

from assess.models import (
    Answer,
    Assessment,
    AuditEvent,
    Invitation,
    Membership,
    Response,
    ResponseKind,
    ResponseSection,
    User,
    utcnow,
)
from assess.policy import Action, require
from assess.services.accounts import AccountRefused
from assess.services.users import end_sessions
from assess.spreadsheets import csv_text

ANSWER_COLUMNS = ["council", "round", "questionnaire", "version", "status", "question", "value", "not_applicable",
                  "comment", "changed_at"]


def _own_responses(session: Session, user: User) -> Sequence[Response]:
    return session.scalars(
        select(Response).where(Response.respondent_id == user.id, Response.kind == ResponseKind.INDIVIDUAL)
        .options(selectinload(Response.answers), selectinload(Response.assessment).selectinload(
            Assessment.organisation), selectinload(Response.questionnaire_version))
        .order_by(Response.id)).all()


def everything_answered(session: Session, user: User) -> dict[str, Any]:
    """The person's account and every answer they gave, ready to be written as JSON."""
    return {
        "person": {"name": user.name, "email": user.email, "created_at": user.created_at.isoformat(),
                   "site_roles": sorted(user.site_roles),
                   "memberships": [{"council": m.organisation.name, "role": m.role.value, "group": m.group.value}
                                   for m in user.memberships]},
        "responses": [{
            "council": response.assessment.organisation.name, "round": response.assessment.title,
            "questionnaire": response.questionnaire_version.questionnaire_id,
            "version": response.questionnaire_version.version, "status": response.status.value,
            "submitted_at": response.submitted_at.isoformat() if response.submitted_at else None,
            "answers": [{"question": a.question_id, "value": a.value, "not_applicable": a.not_applicable,
                         "comment": a.comment, "changed_at": a.changed_at.isoformat()}
                        for a in sorted(response.answers, key=lambda a: a.id)],
        } for response in _own_responses(session, user)],
    }


def answers_csv(data: dict[str, Any]) -> str:
    """The answers of everything_answered() as CSV (formula-safe), one row an answer."""
    rows: list[list[object]] = [list(ANSWER_COLUMNS)]
    for response in data["responses"]:
        for answer in response["answers"]:
            value = answer["value"]
            row = {**{key: response[key] for key in ANSWER_COLUMNS[:5]}, **answer,
                   "value": "; ".join(map(str, value)) if isinstance(value, list) else value}
            rows.append([row[column] for column in ANSWER_COLUMNS])
    return csv_text(rows)


def _anonymise(session: Session, response_ids: Sequence[int], user_id: int | None) -> None:
    """Cut the link between responses and their respondent, and remove their comments."""
    if response_ids:
        session.execute(update(Response).where(Response.id.in_(response_ids))
                        .values(respondent_id=None, returned_message=None).execution_options(synchronize_session=False))
        session.execute(update(Answer).where(Answer.response_id.in_(response_ids))
                        .values(comment=None, changed_by_id=None).execution_options(synchronize_session=False))
        session.execute(update(ResponseSection).where(ResponseSection.response_id.in_(response_ids))
                        .values(saved_by_id=None).execution_options(synchronize_session=False))
    if user_id is not None:  # the person's hand in agreed responses is forgotten; the agreed answers stay
        session.execute(update(Answer).where(Answer.changed_by_id == user_id)
                        .values(changed_by_id=None).execution_options(synchronize_session=False))
        session.execute(update(ResponseSection).where(ResponseSection.saved_by_id == user_id)
                        .values(saved_by_id=None).execution_options(synchronize_session=False))


def erase_person(session: Session, user: User, by: User) -> None:
    """Erase a person: their individual answers anonymised, their account emptied; agreed responses kept."""
    require(session, by, Action.ADMINISTER)
    if user.id == by.id:
        raise AccountRefused("you cannot erase your own account: ask another admin")
    _anonymise(session, [r.id for r in _own_responses(session, user)], user.id)
    session.execute(delete(Invitation).where(Invitation.email == user.email, Invitation.used_at.is_(None))
                    .execution_options(synchronize_session=False))
    session.execute(delete(Membership).where(Membership.user_id == user.id).execution_options(
        synchronize_session=False))
    end_sessions(session, user, by, "erased")
    user.email, user.name = f"erased-{user.id}@erased.invalid", "Erased person"
    user.password_hash = user.totp_secret = None
    user.site_roles, user.active = [], False
    session.add(AuditEvent(action="person-erased", user_id=by.id, subject=f"user:{user.id}"))
    session.flush()
    session.expire(user, ["memberships"])


def apply_retention(session: Session, days: int) -> int:
    """Anonymise the individual responses of rounds published more than `days` ago; how many were."""
    cutoff = utcnow() - timedelta(days=days)
    ids = session.scalars(select(Response.id).join(Assessment).where(
        Response.kind == ResponseKind.INDIVIDUAL, Response.respondent_id.is_not(None),
        Assessment.published_at.is_not(None), Assessment.published_at < cutoff)).all()
    _anonymise(session, ids, None)
    if ids:
        session.add(AuditEvent(action="retention-applied", detail={"responses": len(ids), "days": days}))
    session.flush()
    return len(ids)
