"""The council lead's pages: starting an assessment round."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from wtforms.fields.choices import SelectChoice

from assess import db, questionnaire_library
from assess.services.rounds import start_round
from assess.web.access import current_user, lead_or_404, login_required
from assess.web.forms import NewRoundForm

blueprint = Blueprint("manage", __name__)


@blueprint.route("/councils/<code>/rounds/new", methods=["GET", "POST"])
@login_required
def new_round(code: str) -> ResponseReturnValue:
    """Start an assessment round for the lead's council and choose its questionnaires."""
    membership = lead_or_404(code)
    available = questionnaire_library(current_app)
    form = NewRoundForm()
    form.questionnaires.choices = [SelectChoice(f.questionnaire.id, f.questionnaire.title) for f in available]
    if form.validate_on_submit():
        assessment = start_round(db.session(), membership.organisation, current_user(), form.title.data or "",
                                 list(form.questionnaires.data or []), available)
        flash(f"‘{assessment.title}’ has started.")
        return redirect(url_for("respond.round_tasks", code=code, round_id=assessment.id))
    page = render_template("manage/new_round.html", membership=membership, form=form)
    return (page, 400) if form.errors else page
