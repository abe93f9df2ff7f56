"""Bearer tokens for the read-only API: shown once when made, kept only as a SHA-256 hash, revocable."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import Select, bindparam, or_, select, update
from sqlalchemy.orm import Session, joinedload

from assess.models import ApiToken, AuditEvent, User, utcnow

PREFIX = "assess_"
#: Last use is recorded at most this often, so that a busy client does not write on every call.
LAST_USE_RESOLUTION = timedelta(minutes=5)


#: The token with its owner and the owner's memberships (which the policy reads), in one statement built once
#: (SQLAlchemy then finds its compiled form without working out its cache key again on every call).
TOKEN: Select[tuple[ApiToken]] = (select(ApiToken).where(ApiToken.token_hash == bindparam("hash"))
                                  .options(joinedload(ApiToken.user).joinedload(User.memberships)))


def token_hash(secret: str) -> str:
    """The SHA-256 hash of a token, as stored."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def create_token(session: Session, user: User, name: str) -> tuple[ApiToken, str]:
    """Make a token for a person: the stored record and the token itself (shown once, never stored)."""
    secret = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user_id=user.id, name=name.strip()[:100] or "API token", token_hash=token_hash(secret))
    session.add(token)
    session.flush()
    session.add(AuditEvent(action="api-token-created", user_id=user.id, subject=f"api-token:{token.id}",
                           detail={"name": token.name}))
    session.flush()
    return token, secret


def tokens_of(session: Session, user: User) -> list[ApiToken]:
    """A person's tokens, newest first."""
    return list(session.scalars(select(ApiToken).filter_by(user_id=user.id)
                                .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())))


def revoke(session: Session, token: ApiToken, by: User) -> None:
    """Revoke a token; revoking it again changes nothing."""
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        session.add(AuditEvent(action="api-token-revoked", user_id=by.id, subject=f"api-token:{token.id}"))
        session.flush()


def live_token(session: Session, secret: str) -> ApiToken | None:
    """The token with this secret, with its owner loaded, unless it is unknown, revoked or its owner inactive."""
    token = session.scalars(TOKEN, {"hash": token_hash(secret)}).unique().one_or_none()
    if token is None or token.revoked_at is not None or not token.user.active:
        return None
    return token


def note_use(session: Session, token: ApiToken, now: datetime | None = None) -> bool:
    """Record that a token was used, at most once every few minutes; whether it wrote (for the caller to commit).

    Last use is the only thing an API call writes, so most calls write (and commit) nothing.
    """
    now = now or utcnow()
    if token.last_used_at is not None and token.last_used_at >= now - LAST_USE_RESOLUTION:
        return False
    session.execute(
        update(ApiToken)
        .where(ApiToken.id == token.id,
               or_(ApiToken.last_used_at.is_(None), ApiToken.last_used_at < now - LAST_USE_RESOLUTION))
        .values(last_used_at=now)
        .execution_options(synchronize_session=False)
    )
    return True
