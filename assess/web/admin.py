"""The administrator's pages: the service's users and councils, one person's account, the audit log."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, flash, redirect, render_template, request
from flask.typing import ResponseReturnValue
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload
from werkzeug.wrappers import Response

from assess import db
from assess.models import AuditEvent, Membership, Organisation, SiteRole, User
from assess.policy import Action, require
from assess.services import audit
from assess.services.accounts import AccountRefused, set_active, set_site_roles, turn_off_two_factor
from assess.services.personal_data import erase_person
from assess.services.users import end_sessions
from assess.web.access import current_user, login_required
from assess.web.forms import ConfirmForm, SiteRolesForm, without_control_characters

blueprint = Blueprint("admin", __name__, url_prefix="/admin")


@blueprint.route("/")
@login_required
def home() -> str:
    """Every account (with its roles and councils) and every council (with how many members it has)."""
    session = db.session()
    require(session, current_user(), Action.ADMINISTER)
    users = session.scalars(select(User).options(selectinload(User.memberships).selectinload(Membership.organisation))
                            .order_by(User.name)).all()
    members = dict(session.execute(select(Membership.organisation_id, func.count()).group_by(
        Membership.organisation_id)).tuples().all())
    councils = [(council, members.get(council.id, 0))
                for council in session.scalars(select(Organisation).order_by(Organisation.name))]
    return render_template("admin/home.html", users=users, councils=councils)


def _user_or_404(user_id: int) -> User:
    require(db.session(), current_user(), Action.ADMINISTER)
    user = db.session().get(User, user_id)
    if user is None:
        abort(404)
    return user


@blueprint.route("/users/<id:user_id>")
@login_required
def user_page(user_id: int) -> str:
    """One person's account: state, site roles, councils, two-factor, and what an admin can change."""
    user = _user_or_404(user_id)
    form = SiteRolesForm(roles=user.site_roles)
    recent = audit.events(db.session(), audit.AuditFilter(person=f"user:{user.id}"), limit=20)
    return render_template("admin/user.html", user=user, form=form, confirm=ConfirmForm(), recent=recent)


@blueprint.route("/users/<id:user_id>/<any(deactivate, reactivate, 'sign-out-everywhere', 'two-factor-off', roles, erase):what>",  # noqa: E501
                 methods=["POST"])
@login_required
def change_user(user_id: int, what: str) -> ResponseReturnValue:
    """Deactivate or reactivate an account, end its sessions, turn off its two-factor sign-in, or set its roles."""
    user = _user_or_404(user_id)
    session, by = db.session(), current_user()
    form = SiteRolesForm() if what == "roles" else ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    done = {"deactivate": "deactivated: every session of it has ended", "reactivate": "active again",
            "sign-out-everywhere": "signed out everywhere", "two-factor-off": "no longer asked for a code",
            "roles": "given the site roles chosen", "erase": "erased: their answers are anonymised"}
    name = f"{user.name} ({user.email})"
    try:
        if what in ("deactivate", "reactivate"):
            set_active(session, user, what == "reactivate", by)
        elif what == "sign-out-everywhere":
            end_sessions(session, user, by, "signed-out-by-admin")
        elif what == "erase":
            erase_person(session, user, by)
        elif what == "two-factor-off":
            turn_off_two_factor(session, user, by)
        else:
            set_site_roles(session, user, [SiteRole(role) for role in form.roles.data or []], by)
    except AccountRefused as refused:
        session.rollback()
        flash(str(refused).capitalize() + ".", "error")
    else:
        session.commit()
        flash(f"{name} has been {done[what]}.", "success")
    return redirect(request.path.rsplit("/", 1)[0])


def _audit_filter() -> audit.AuditFilter:
    def text(name: str, longest: int) -> str:
        # Control characters never match (and PostgreSQL refuses NUL in text).
        return str(without_control_characters(request.values.get(name, ""))).strip()[:longest]

    args = request.values

    def day(name: str) -> date | None:
        try:
            return date.fromisoformat(args.get(name, "").strip()) if args.get(name, "").strip() else None
        except ValueError:
            return None

    return audit.AuditFilter(person=text("person", 254), council=text("council", 20), action=text("action", 60),
                             since=day("since"), until=day("until"))


@blueprint.route("/audit")
@login_required
def audit_page() -> str:
    """The audit log, newest first, filtered by person, council, action and date."""
    require(db.session(), current_user(), Action.ADMINISTER)
    audit_filter = _audit_filter()
    rows = audit.events(db.session(), audit_filter)
    return render_template("admin/audit.html", rows=rows, audit_filter=audit_filter,
                           actions=audit.actions(db.session()), page_size=audit.PAGE_SIZE, form=ConfirmForm())


@blueprint.route("/audit.csv", methods=["POST"])
@login_required
def audit_csv() -> Response:
    """Every event the filter matches, as CSV (posted, so that the export itself is recorded)."""
    require(db.session(), current_user(), Action.ADMINISTER)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    audit_filter = _audit_filter()
    rows = audit.events(db.session(), audit_filter, limit=None)
    db.session().add(AuditEvent(action="audit-exported", user_id=current_user().id,
                                detail={"rows": len(rows), "filter": {k: str(v) for k, v in vars(audit_filter).items()
                                                                      if v}}))
    db.session().commit()
    return Response(audit.as_csv(rows), mimetype="text/csv",
                    headers={"Content-Disposition": "attachment; filename=audit-log.csv"})
