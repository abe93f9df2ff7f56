"""Forms posted after their session ended, held until the person signs in again and saves them.

The key is random and kept only in the poster's own session cookie; the database holds its hash.
A form is held only for a person whose session cookie came with it (so never for a post from
another site, which carries no cookie), and is offered back only to that person in the browser
holding the key, so nobody can plant answers on someone else.
"""

from __future__ import annotations

import json
import secrets
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from assess.models import HeldForm, User, utcnow
from assess.services.invitations import TOKEN_BYTES, hash_token

#: A posted form larger than this (as JSON) is not held: no section page comes near it.
LARGEST_FORM = 200_000


def hold(session: Session, path: str, fields: list[tuple[str, list[str]]], user_id: int,
         hours: int) -> str | None:
    """Keep a posted form and return its key; None if it is too large to keep. Forms past `hours` are dropped."""
    session.execute(delete(HeldForm).where(HeldForm.created_at < utcnow() - timedelta(hours=hours))
                    .execution_options(synchronize_session=False))
    data: list[list[Any]] = [[name, values] for name, values in fields]
    if len(json.dumps(data)) > LARGEST_FORM or len(path) > 2000:
        return None
    key = secrets.token_urlsafe(TOKEN_BYTES)
    session.add(HeldForm(key_hash=hash_token(key), path=path, fields=data, user_id=user_id))
    session.flush()
    return key


def find(session: Session, key: str, user: User, hours: int) -> HeldForm | None:
    """The form held under this key, if it is recent and this person may have it back."""
    held = session.scalar(select(HeldForm).filter_by(key_hash=hash_token(key)))
    if held is None or held.created_at < utcnow() - timedelta(hours=hours):
        return None
    return held if held.user_id == user.id else None


def release(session: Session, key: str) -> None:
    """Forget a held form (once it has been posted again)."""
    session.execute(delete(HeldForm).filter_by(key_hash=hash_token(key)).execution_options(synchronize_session=False))
