"""A published round's sharing with the sector, changed on its own (its results stay fixed)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from assess import db
from assess.models import PUBLISHED_STATES, Sharing
from assess.policy import Action
from assess.reports.data import long_date
from assess.services.rounds import SHARING_NAMES, RoundRefused, change_sharing, shared_since
from assess.web.access import current_user, login_required, round_or_404
from assess.web.forms import SharingForm, sentence

blueprint = Blueprint("publication", __name__)


@blueprint.route("/councils/<code>/rounds/<id:round_id>/sharing", methods=["GET", "POST"])
@login_required
def sharing_page(code: str, round_id: int) -> ResponseReturnValue:
    """Change how a published round is shared: one choice, confirmed by its button, audited."""
    assessment = round_or_404(code, round_id, Action.MANAGE_ROUND)
    if assessment.status not in PUBLISHED_STATES:
        flash("How a round is shared is chosen when it is published.")
        return redirect(url_for("manage.round_page", code=code, round_id=round_id))
    form = SharingForm()
    if request.method == "GET":
        form.sharing.data = assessment.sharing.value
    if form.validate_on_submit():
        session = db.session()
        try:
            change_sharing(session, assessment, Sharing(form.sharing.data), current_user())
        except RoundRefused as refused:
            session.rollback()
            form.sharing.errors = [sentence(str(refused))]
        else:
            session.commit()
            flash(f"The round’s results are now {SHARING_NAMES[assessment.sharing]}.", "success")
            return redirect(url_for("manage.round_page", code=code, round_id=round_id))
    since = shared_since(db.session(), assessment)
    page = render_template("manage/sharing.html", organisation=assessment.organisation, assessment=assessment,
                           form=form, now=sentence(SHARING_NAMES[assessment.sharing]),
                           since=long_date(since.date()) if since else None)
    return (page, 400) if form.errors else page
