"""Following an invitation link: join a round with a new account, an existing one, or the one signed in."""

from __future__ import annotations

from flask import Blueprint, g, redirect, render_template, url_for
from flask.typing import ResponseReturnValue

from assess import db
from assess.models import Invitation, InvitedAs, User
from assess.services.invitations import InvitationRefused, LinkState, accept, create_account, find_by_token
from assess.services.users import TooManyAttempts, user_by_email
from assess.web.auth import check_password, finish_sign_in, pause_message
from assess.web.forms import ConfirmForm, NewAccountForm, PasswordForm

blueprint = Blueprint("invitations", __name__)

#: Longer than any token we make; a longer one is not looked up at all.
LONGEST_TOKEN = 100


def _destination(invitation: Invitation) -> str:
    assessment = invitation.assessment
    endpoint = "manage.round_page" if invitation.invited_as == InvitedAs.FACILITATOR else "respond.round_tasks"
    return url_for(endpoint, code=assessment.organisation.code, round_id=assessment.id)


def _joined(invitation: Invitation, user: User) -> ResponseReturnValue:
    db.session().commit()
    if g.get("user") is not None:  # already signed in: the session goes on
        return redirect(_destination(invitation))
    return finish_sign_in(user, _destination(invitation))


@blueprint.route("/invitations/<token>", methods=["GET", "POST"])
def accept_page(token: str) -> ResponseReturnValue:
    """An invitation link: say what it is for, and let the invited person join (or say why they cannot)."""
    session = db.session()
    invitation, state = find_by_token(session, token) if len(token) <= LONGEST_TOKEN else (None, LinkState.UNKNOWN)
    if invitation is None or state != LinkState.VALID:
        page = render_template("invitations/unusable.html", state=state.value, invitation=invitation)
        return page, 404 if state == LinkState.UNKNOWN else 410
    signed_in: User | None = g.get("user")
    context = {"invitation": invitation, "assessment": invitation.assessment, "signed_in": signed_in}
    if signed_in is not None and signed_in.email != invitation.email:
        return render_template("invitations/other_account.html", form=ConfirmForm(), **context)
    if signed_in is not None:
        confirm = ConfirmForm()
        if confirm.validate_on_submit():
            accept(session, invitation, signed_in)
            return _joined(invitation, signed_in)
        return render_template("invitations/join.html", form=confirm, **context)
    if user_by_email(session, invitation.email) is not None:
        existing = PasswordForm()
        if existing.validate_on_submit():
            try:
                user = check_password(invitation.email, existing.password.data or "")
            except TooManyAttempts as paused:
                existing.password.errors = [pause_message(paused)]
                return render_template("invitations/sign_in.html", form=existing, **context), 429
            if user is not None:
                accept(session, invitation, user)
                return _joined(invitation, user)
            existing.password.errors = ["Enter the correct password for this account"]
        page = render_template("invitations/sign_in.html", form=existing, **context)
        return (page, 400) if existing.errors else page
    new = NewAccountForm()
    if not new.is_submitted():
        new.name.data = invitation.name
    if new.validate_on_submit():
        try:
            user = create_account(session, invitation, new.name.data or "", new.password.data or "")
        except InvitationRefused as refused:
            session.rollback()
            new.password.errors = [str(refused)]
        else:
            return _joined(invitation, user)
    page = render_template("invitations/new_account.html", form=new, **context)
    return (page, 400) if new.errors else page
