"""The lead's page of who is asked in a round: its participants, with their group and progress; adding, removing."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from wtforms.fields.choices import SelectChoice

from assess import db
from assess.models import Assessment, RespondentGroup, User
from assess.policy import Action
from assess.services import participants
from assess.services.completion import completion
from assess.web.access import current_user, login_required, round_or_404
from assess.web.forms import AddParticipantsForm, ConfirmForm, sentence

blueprint = Blueprint("participants", __name__)


@dataclass(frozen=True)
class ParticipantRow:
    """One person asked in the round, as the lead's list shows them."""

    user: User
    group: str
    how: str
    progress: str
    removable: bool  # nothing answered yet, and the round still open


def _rows(assessment: Assessment) -> list[ParticipantRow]:
    session = db.session()
    progress = {p.user.id: p for p in completion(session, assessment, current_user()).people}
    answered = participants.who_answered(session, assessment)
    rows = []
    for participant in participants.participants_of(session, assessment):
        person = progress.get(participant.user_id)
        text = ("Submitted everything" if person.finished else "Part-way" if person.started else "Not started") \
            if person is not None else "Not started"
        rows.append(ParticipantRow(participant.user, participant.group.label, participant.how.label, text,
                                   participant.user_id not in answered and assessment.status.value == "open"))
    return rows


def _add_form(assessment: Assessment) -> AddParticipantsForm:
    form = AddParticipantsForm()
    candidates = participants.members_not_asked(db.session(), assessment, current_user())
    form.people.choices = [SelectChoice(str(c.user.id), f"{c.user.name} ({c.group.label.lower()})")
                           for c in candidates]
    return form


@blueprint.route("/councils/<code>/rounds/<id:round_id>/participants", methods=["GET", "POST"])
@login_required
def participants_page(code: str, round_id: int) -> ResponseReturnValue:
    """Who is asked in the round, with their group and progress; add council members by name or by group."""
    assessment = round_or_404(code, round_id, Action.MANAGE_ROUND)
    form = _add_form(assessment)
    if form.validate_on_submit():
        chosen = [int(value) for value in form.people.data or [] if value.isdigit()]
        groups = [RespondentGroup(value) for value in form.groups.data or []]
        if not chosen and not groups:
            form.people.errors = ["Choose at least one person or group to add"]
        else:
            session = db.session()
            try:
                added = participants.add_members(session, assessment, chosen, current_user(), groups)
            except participants.ParticipantRefused as refused:
                session.rollback()
                form.people.errors = [sentence(str(refused))]
            else:
                session.commit()
                flash(f"{len(added)} {'person' if len(added) == 1 else 'people'} added to the round."
                      if added else "Nobody was added: everyone chosen is already asked.", "success")
                return redirect(url_for(".participants_page", code=code, round_id=round_id))
    page = render_template("manage/participants.html", organisation=assessment.organisation, assessment=assessment,
                           rows=_rows(assessment), form=form, remove_form=ConfirmForm(),
                           open=assessment.status.value == "open")
    return (page, 400) if form.errors else page


@blueprint.route("/councils/<code>/rounds/<id:round_id>/participants/<id:user_id>/remove", methods=["POST"])
@login_required
def remove_participant(code: str, round_id: int, user_id: int) -> ResponseReturnValue:
    """Stop asking a person who has not answered anything in the round."""
    assessment = round_or_404(code, round_id, Action.MANAGE_ROUND)
    session = db.session()
    person = session.get(User, user_id)
    if person is None or participants.group_of(session, assessment, person) is None:
        abort(404)  # never says whose account an id is, unless the person is asked in this round
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        participants.remove(session, assessment, person, current_user())
    except participants.ParticipantRefused as refused:
        session.rollback()
        flash(sentence(str(refused)) + ".", "error")
    else:
        session.commit()
        flash(f"{person.name} is no longer asked in this round.", "success")
    return redirect(url_for(".participants_page", code=code, round_id=round_id))
