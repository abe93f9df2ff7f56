"""An administrator's changes to accounts: inviting, deactivating, site roles, memberships, two-factor, sessions."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session, selectinload

from assess.models import AuditEvent, Membership, Organisation, OrganisationRole, RespondentGroup, SiteRole, User
from assess.policy import Action, require
from assess.services.passwords import IssuedReset, issue_reset
from assess.services.users import (
    add_membership,
    email_problem,
    end_sessions,
    membership_of,
    normalise_email,
    user_by_email,
)


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


def invite_account(session: Session, email: str, name: str, roles: Collection[SiteRole], by: User,
                   minutes: int) -> IssuedReset:
    """A new account (without a password) and the single-use, expiring link that lets its owner choose one."""
    require(session, by, Action.ADMINISTER)
    if problem := email_problem(email):
        raise AccountRefused(problem)
    if user_by_email(session, email) is not None:
        raise AccountRefused(f"{normalise_email(email)} already has an account")
    user = User(email=normalise_email(email), name=name.strip(), site_roles=sorted({role.value for role in roles}))
    session.add(user)
    session.flush()
    _audited(session, by, user, "account-invited", after={"email": user.email, "name": user.name,
                                                          "site_roles": user.site_roles})
    return issue_reset(session, user, minutes)


def renew_invitation(session: Session, user: User, by: User, minutes: int) -> IssuedReset:
    """A new link for an invited person who has not chosen a password yet (any earlier link stops working)."""
    require(session, by, Action.ADMINISTER)
    if user.password_hash or not user.active:
        raise AccountRefused(f"{user.name} has chosen a password already or is deactivated; a person who forgot "
                             "theirs resets it from the sign-in page")
    _audited(session, by, user, "account-invitation-renewed")
    return issue_reset(session, user, minutes)


def _matching(words: str) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    for word in words.lower().split():
        pattern = "%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        conditions.append(or_(User.email.like(pattern, escape="\\"), User.name.ilike(pattern, escape="\\")))
    return conditions


def find_users(session: Session, words: str, offset: int = 0, limit: int | None = None) -> list[User]:
    """People whose name or email address contains every word typed (everyone, if nothing is), by name.

    ``offset`` and ``limit`` give one page of them (see :func:`count_users`).
    """
    query = (select(User).options(selectinload(User.memberships).selectinload(Membership.organisation))
             .where(*_matching(words)).order_by(User.name, User.id).offset(offset).limit(limit))
    return list(session.scalars(query))


def count_users(session: Session, words: str) -> int:
    """How many people :func:`find_users` finds for the words."""
    return session.scalar(select(func.count(User.id)).where(*_matching(words))) or 0


def _membership_detail(membership: Membership | None) -> dict[str, str] | None:
    return {"role": membership.role.value, "group": membership.group.value} if membership else None


def set_membership(session: Session, user: User, organisation: Organisation, role: OrganisationRole,
                   group: RespondentGroup, by: User) -> None:
    """Make a person a member of a council with this role and group (or change theirs there)."""
    require(session, by, Action.ADMINISTER)
    before = _membership_detail(membership_of(session, user, organisation.id))
    after = _membership_detail(add_membership(session, user, organisation, role, group))
    if before != after:
        session.add(AuditEvent(action="membership-added" if before is None else "membership-changed",
                               user_id=by.id, organisation_id=organisation.id, subject=f"user:{user.id}",
                               detail={"before": before, "after": after}))
        session.flush()


def remove_membership(session: Session, user: User, organisation: Organisation, by: User) -> None:
    """Take a person out of a council (their answers stay with the council's rounds)."""
    require(session, by, Action.ADMINISTER)
    membership = membership_of(session, user, organisation.id)
    if membership is None:
        raise AccountRefused(f"{user.name} is not a member of {organisation.name}")
    session.add(AuditEvent(action="membership-removed", user_id=by.id, organisation_id=organisation.id,
                           subject=f"user:{user.id}", detail={"before": _membership_detail(membership), "after": None}))
    session.delete(membership)
    session.flush()
