"""The council lead's pages: starting an assessment round."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from wtforms.fields.choices import SelectChoice

from assess import db, questionnaire_library
from assess.policy import Action
from assess.services.rounds import start_round
from assess.web.access import council_or_404, current_user, login_required
from assess.web.forms import NewRoundForm

blueprint = Blueprint("manage", __name__)


@blueprint.route("/councils/<code>/rounds/new", methods=["GET", "POST"])
@login_required
def new_round(code: str) -> ResponseReturnValue:
    """Start an assessment round for the lead's council and choose its questionnaires."""
    organisation = council_or_404(code, Action.START_ROUND)
    available = questionnaire_library(current_app)
    form = NewRoundForm()
    form.questionnaires.choices = [SelectChoice(f.questionnaire.id, f.questionnaire.title) for f in available]
    if form.validate_on_submit():
        session = db.session()
        assessment = start_round(session, organisation, current_user(), form.title.data or "",
                                 list(form.questionnaires.data or []), available)
        session.commit()
        flash(f"‘{assessment.title}’ has started.")
        return redirect(url_for("respond.round_tasks", code=code, round_id=assessment.id))
    page = render_template("manage/new_round.html", organisation=organisation, form=form)
    return (page, 400) if form.errors else page
