"""Signing in and out, keeping a session alive, saving a form held over a sign-in, changing a password."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from werkzeug.wrappers import Response

from assess import db
from assess.models import User
from assess.services import held_forms
from assess.services.throttle import Limit
from assess.services.users import (
    PasswordRefused,
    SignInLimits,
    TooManyAttempts,
    authenticate,
    change_password,
    end_sessions,
)
from assess.web.access import HELD_FORM, current_user, login_required, start_session
from assess.web.forms import ChangePasswordForm, SignInForm

blueprint = Blueprint("auth", __name__)


def sign_in_limits() -> SignInLimits:
    """The configured sign-in limits per account and per client address."""
    config = current_app.config
    minutes = config["SIGN_IN_WINDOW_MINUTES"]
    return SignInLimits(Limit(config["SIGN_IN_ATTEMPTS"], minutes), Limit(config["SIGN_IN_ADDRESS_ATTEMPTS"], minutes))


def check_password(email: str, password: str) -> User | None:
    """The account these credentials open (the attempt recorded and committed); TooManyAttempts when paused."""
    try:
        user = authenticate(db.session(), email, password, request.remote_addr or "unknown", sign_in_limits())
    finally:
        db.session().commit()  # the attempt counts, and its audit event stays, whatever the outcome
    return user


def pause_message(paused: TooManyAttempts) -> str:
    """What to tell someone whose sign-in is paused."""
    return (f"Too many attempts to sign in. Try again after {paused.until:%H:%M} UTC, "
            f"or reset your password by email to sign in now")


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
        except TooManyAttempts as paused:
            form.email.errors = [pause_message(paused)]
            return render_template("auth/sign_in.html", form=form), 429
        if user is None:
            form.email.errors = ["Enter a correct email address and password"]
            return render_template("auth/sign_in.html", form=form), 200
        start_session(user)
        return redirect(_safe_next(request.args.get("next")))
    return render_template("auth/sign_in.html", form=form)


@blueprint.route("/sign-out", methods=["POST"])
def sign_out() -> Response:
    """Sign out: every session of this person ends, on every device, and this browser's cookie is emptied."""
    user = db.session().get(User, session.get("user_id")) if isinstance(session.get("user_id"), int) else None
    if user is not None and session.get("generation") == user.session_generation:
        end_sessions(db.session(), user, user, "signed-out")
        db.session().commit()
    session.clear()
    return redirect(url_for("auth.sign_in"))


@blueprint.route("/session/keep-alive")
@login_required
def keep_alive() -> tuple[str, int]:
    """Nothing but a request: the session's idle time starts again (the timeout warning's "Stay signed in")."""
    return "", 204


@blueprint.route("/session/held-form")
@login_required
def resume_form() -> str:
    """The form a person posted after their session ended, to post again now that they are signed in."""
    key = session.get(HELD_FORM)
    held = held_forms.find(db.session(), key, current_user(), current_app.config["HELD_FORM_HOURS"]) if key else None
    if held is None:
        abort(404)
    return render_template("auth/held_form.html", held=held, key=key)


@blueprint.route("/account/password", methods=["GET", "POST"])
@login_required
def password_page() -> ResponseReturnValue:
    """Change one's own password; every other session of one's own ends."""
    form = ChangePasswordForm()
    if form.validate_on_submit():
        user = current_user()
        try:
            change_password(db.session(), user, form.current.data or "", form.new.data or "")
        except PasswordRefused as refused:
            db.session().rollback()
            field = form.current if "current" in str(refused) else form.new
            field.errors = [str(refused)]
            return render_template("auth/password.html", form=form), 400
        db.session().commit()
        start_session(user)
        flash("Your password has been changed. You have been signed out everywhere else.", "success")
        return redirect(url_for("respond.home"))
    return render_template("auth/password.html", form=form), 400 if form.errors else 200
