"""An administrator's changes to people's accounts: deactivating, site roles, two-factor, sign out everywhere."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy.orm import Session

from assess.models import AuditEvent, SiteRole, User
from assess.policy import Action, require
from assess.services.users import end_sessions


class AccountRefused(ValueError):
    """The change cannot be made; the text says why."""


def _audited(session: Session, by: User, user: User, action: str, **detail: object) -> None:
    session.add(AuditEvent(action=action, user_id=by.id, subject=f"user:{user.id}", detail=detail or None))


def set_active(session: Session, user: User, active: bool, by: User) -> None:
    """Deactivate an account (every session of it ends) or make it active again."""
    require(session, by, Action.ADMINISTER)
    if user.id == by.id and not active:
        raise AccountRefused("you cannot deactivate your own account")
    user.active = active
    _audited(session, by, user, "account-reactivated" if active else "account-deactivated")
    if not active:
        end_sessions(session, user, by, "deactivated")
    session.flush()


def set_site_roles(session: Session, user: User, roles: Collection[SiteRole], by: User) -> None:
    """Give a person exactly these site roles; an admin cannot take away their own admin role."""
    require(session, by, Action.ADMINISTER)
    if user.id == by.id and SiteRole.ADMIN not in roles:
        raise AccountRefused("you cannot take away your own admin role: ask another admin")
    before, after = sorted(user.site_roles), sorted(role.value for role in set(roles))
    if before != after:
        user.site_roles = after
        _audited(session, by, user, "site-roles-changed", before=before, after=after)
    session.flush()


def turn_off_two_factor(session: Session, user: User, by: User) -> None:
    """Turn off a person's two-factor sign-in (they lost their phone); their sessions end."""
    require(session, by, Action.ADMINISTER)
    user.totp_secret, user.totp_last_step = None, None
    _audited(session, by, user, "two-factor-turned-off")
    end_sessions(session, user, by, "two-factor-turned-off")
