"""Signing in and out."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, current_app, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from werkzeug.wrappers import Response

from assess import db
from assess.models import User
from assess.services.users import TooManyAttempts, authenticate
from assess.web.forms import SignInForm

blueprint = Blueprint("auth", __name__)


def check_password(email: str, password: str) -> User | None:
    """The account these credentials open (the attempt recorded and committed); TooManyAttempts when paused."""
    user = authenticate(db.session(), email, password, max_attempts=current_app.config["SIGN_IN_ATTEMPTS"],
                        window_minutes=current_app.config["SIGN_IN_WINDOW_MINUTES"])
    db.session().commit()  # the audit event of a failure counts towards the pause as well
    return user


def pause_message() -> str:
    """What to tell someone whose sign-in is paused."""
    return (f"Too many failed attempts to sign in with this email address. Wait "
            f"{current_app.config['SIGN_IN_WINDOW_MINUTES']} minutes and try again")


def start_session(user: User) -> None:
    """Sign a person in, in a fresh session, so a session fixed by someone else is never promoted."""
    session.clear()
    session["user_id"] = user.id


def _safe_next(target: str | None) -> str:
    # Only ever return to a page of this site, never to another host, and never with control
    # characters (a CR or LF would split the Location header).
    if (target and target.startswith("/") and not target.startswith("//") and not urlsplit(target).netloc
            and target.isprintable() and "\\" not in target):
        return target
    return url_for("respond.home")


@blueprint.route("/sign-in", methods=["GET", "POST"])
def sign_in() -> ResponseReturnValue:
    """Show the sign-in form and sign people in."""
    form = SignInForm()
    if form.validate_on_submit():
        try:
            user = check_password(form.email.data or "", form.password.data or "")
        except TooManyAttempts:
            form.email.errors = [pause_message()]
            return render_template("auth/sign_in.html", form=form), 429
        if user is None:
            form.email.errors = ["Enter a correct email address and password"]
            return render_template("auth/sign_in.html", form=form), 200
        start_session(user)
        return redirect(_safe_next(request.args.get("next")))
    return render_template("auth/sign_in.html", form=form)


@blueprint.route("/sign-out", methods=["POST"])
def sign_out() -> Response:
    """Sign out and return to the sign-in page."""
    session.clear()
    return redirect(url_for("auth.sign_in"))
