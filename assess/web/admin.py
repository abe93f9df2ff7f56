"""The administrator's pages: the service's users and councils."""

from __future__ import annotations

from flask import Blueprint, render_template
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from assess import db
from assess.models import Membership, Organisation, User
from assess.policy import Action, require
from assess.web.access import current_user, login_required

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
