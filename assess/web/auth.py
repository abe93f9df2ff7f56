"""Signing in and out, keeping a session alive, saving a form held over a sign-in, changing a password."""

from __future__ import annotations

import json
import math
import secrets
import time
from dataclasses import replace
from urllib.parse import urlsplit

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from itsdangerous import BadSignature, URLSafeTimedSerializer
from werkzeug.wrappers import Response

from assess import db
from assess.encryption import InvalidToken, decrypt, encrypt
from assess.mail import Email, MailError, send
from assess.models import AuditEvent, User, utcnow
from assess.services import held_forms
from assess.services.notifications import password_reset_email, security_change_email
from assess.services.passwords import (
    CodeRefused,
    check_code,
    complete_reset,
    enable_two_factor,
    find_reset,
    new_totp_secret,
    request_reset,
    totp_uri,
)
from assess.services.personal_data import answers_csv, everything_answered
from assess.services.throttle import Delay
from assess.services.users import (
    KnownDevice,
    PasswordRefused,
    SignInLimits,
    TooManyAttempts,
    authenticate,
    change_password,
    end_sessions,
)
from assess.web.access import HELD_FORM, current_user, login_required, start_session
from assess.web.forms import ChangePasswordForm, CodeForm, NewPasswordForm, ResetRequestForm, SignInForm

blueprint = Blueprint("auth", __name__)


def sign_in_limits() -> SignInLimits:
    """The configured sign-in delays per account and per client address."""
    config = current_app.config
    delay = Delay(config["SIGN_IN_FREE_FAILURES"], config["SIGN_IN_LONGEST_WAIT_SECONDS"],
                  config["SIGN_IN_FORGET_MINUTES"])
    return SignInLimits(account=delay, address=replace(delay, free=1),
                        failing_accounts=config["SIGN_IN_ADDRESS_FAILING_ACCOUNTS"])


#: The cookie that marks a browser where someone signed in, so a stranger's guesses never slow it.
DEVICE_COOKIE = "assess_device"


def _devices() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key or "", salt="sign-in-device")


def known_device() -> KnownDevice | None:
    """The browser's signed device cookie, if it has a valid one."""
    cookie = request.cookies.get(DEVICE_COOKIE)
    if not cookie or len(cookie) > 200:
        return None
    try:
        user_id, token = _devices().loads(cookie, max_age=current_app.config["SIGN_IN_DEVICE_DAYS"] * 86400)
    except (BadSignature, ValueError, TypeError):
        return None
    return KnownDevice(user_id, token) if isinstance(user_id, int) and isinstance(token, str) else None


def remember_device(response: Response, user: User) -> Response:
    """Mark this browser as one where this person signed in (keeping its token if it was theirs already)."""
    device = known_device()
    token = device.token if device and device.user_id == user.id else secrets.token_urlsafe(16)
    response.set_cookie(DEVICE_COOKIE, _devices().dumps([user.id, token]),
                        max_age=current_app.config["SIGN_IN_DEVICE_DAYS"] * 86400, httponly=True,
                        secure=current_app.session_interface.get_cookie_secure(current_app), samesite="Lax")
    return response


def check_password(email: str, password: str) -> User | None:
    """The account these credentials open (the attempt recorded and committed); TooManyAttempts when paused."""
    try:
        user = authenticate(db.session(), email, password, request.remote_addr or "unknown", sign_in_limits(),
                            known_device())
    finally:
        db.session().commit()  # the attempt counts, and its audit event stays, whatever the outcome
    return user


def seconds_to_wait(paused: TooManyAttempts) -> int:
    """Whole seconds until a paused sign-in may be tried again (at least one)."""
    return max(1, math.ceil((paused.until - utcnow()).total_seconds()))


def pause_message(paused: TooManyAttempts) -> str:
    """What to tell someone whose sign-in must wait."""
    seconds = seconds_to_wait(paused)
    return (f"Too many attempts to sign in. Wait {seconds} second{'s' if seconds != 1 else ''} and try again, "
            f"or reset your password by email")


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
            return (render_template("auth/sign_in.html", form=form), 429,
                    {"Retry-After": str(seconds_to_wait(paused))})
        if user is None:
            form.email.errors = ["Enter a correct email address and password"]
            return render_template("auth/sign_in.html", form=form), 200
        return remember_device(finish_sign_in(user, _safe_next(request.args.get("next"))), user)
    return render_template("auth/sign_in.html", form=form)


def _notify(email: Email) -> None:
    """Send an email about a person's own account; a mail server that fails is logged, never shown as an error."""
    try:
        send(email)
    except MailError as error:
        current_app.logger.error("%s", error)


#: How long the code step of a two-factor sign-in waits after the password, in seconds.
CODE_STEP_SECONDS = 300


def finish_sign_in(user: User, target: str) -> Response:
    """After the password: ask for the two-factor code if the person has set it up, else start the session."""
    if user.totp_secret is None:
        start_session(user)
        return redirect(target)
    held = session.get(HELD_FORM)
    session.clear()
    session.update(pending_user=user.id, pending_generation=user.session_generation, pending_at=int(time.time()),
                   pending_next=target)
    if held:
        session[HELD_FORM] = held
    return redirect(url_for("auth.code_page"))


def _pending_user() -> User | None:
    user_id, started = session.get("pending_user"), session.get("pending_at")
    if not isinstance(user_id, int) or not isinstance(started, int) or time.time() - started > CODE_STEP_SECONDS:
        return None
    user = db.session().get(User, user_id)
    return user if user and user.active and user.session_generation == session.get("pending_generation") else None


@blueprint.route("/sign-in/code", methods=["GET", "POST"])
def code_page() -> ResponseReturnValue:
    """The second step of a two-factor sign-in: the code from the person's authenticator app."""
    user = _pending_user()
    if user is None:
        abort(404)
    form = CodeForm()
    if form.validate_on_submit():
        try:
            check_code(db.session(), user, form.code.data or "")
        except CodeRefused as refused:
            db.session().commit()  # the wrong code counts
            form.code.errors = [str(refused)]
            return render_template("auth/code.html", form=form), 400
        db.session().add(AuditEvent(action="signed-in-second-factor", user_id=user.id, subject=user.email))
        db.session().commit()
        target = str(session.get("pending_next") or url_for("respond.home"))
        start_session(user)
        return redirect(_safe_next(target))
    return render_template("auth/code.html", form=form), 400 if form.errors else 200


@blueprint.route("/password-reset", methods=["GET", "POST"])
def reset_request_page() -> ResponseReturnValue:
    """Ask for a password reset link by email; the answer is the same whether or not the address has an account."""
    form = ResetRequestForm()
    if form.validate_on_submit():
        minutes = current_app.config["PASSWORD_RESET_MINUTES"]
        issued = request_reset(db.session(), form.email.data or "", minutes)
        db.session().commit()
        if issued is not None:
            _notify(password_reset_email(issued, minutes))
        return render_template("auth/reset_sent.html", email=form.email.data, minutes=minutes)
    return render_template("auth/reset_request.html", form=form), 400 if form.errors else 200


@blueprint.route("/password-reset/<token>", methods=["GET", "POST"])
def reset_page(token: str) -> ResponseReturnValue:
    """A reset link: choose a new password (the link works once, for an hour)."""
    reset = find_reset(db.session(), token) if len(token) <= 100 else None
    if reset is None:
        return render_template("auth/reset_unusable.html"), 404
    form = NewPasswordForm()
    if form.validate_on_submit():
        try:
            complete_reset(db.session(), reset, form.new.data or "")
            user = reset.user
        except PasswordRefused as refused:
            db.session().rollback()
            form.new.errors = [str(refused)]
            return render_template("auth/reset.html", form=form), 400
        db.session().commit()
        session.clear()
        _notify(security_change_email(user, "Your password was reset through a link emailed to you"))
        flash("Your password has been changed, and you have been signed out everywhere. Sign in with it now.",
              "success")
        return redirect(url_for("auth.sign_in"))
    return render_template("auth/reset.html", form=form), 400 if form.errors else 200


def _setup_secret() -> str:
    """The secret being set up, kept encrypted in the (signed, not secret) session cookie until it is confirmed."""
    try:
        return decrypt(str(session["totp_setup"]))
    except (KeyError, InvalidToken):
        secret = new_totp_secret()
        session["totp_setup"] = encrypt(secret)
        return secret


@blueprint.route("/account/two-factor", methods=["GET", "POST"])
@login_required
def two_factor_page() -> ResponseReturnValue:
    """Set up two-factor sign-in with an authenticator app."""
    user = current_user()
    if user.totp_secret is not None:
        return render_template("auth/two_factor_on.html")
    secret = _setup_secret()
    form = CodeForm()
    if form.validate_on_submit():
        if enable_two_factor(db.session(), user, secret, form.code.data or ""):
            db.session().commit()
            session.pop("totp_setup")
            _notify(security_change_email(user, "Two-factor sign-in was turned on"))
            flash("Two-factor sign-in is on. You will be asked for a code each time you sign in.", "success")
            return redirect(url_for("respond.home"))
        form.code.errors = ["Enter the 6-digit code your authenticator app shows now"]
    page = render_template("auth/two_factor.html", form=form, secret=secret,
                           uri=totp_uri(secret, user, current_app.config["SERVICE_NAME"]))
    return page, 400 if form.errors else 200


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
        _notify(security_change_email(user, "Your password was changed"))
        flash("Your password has been changed. You have been signed out everywhere else.", "success")
        return redirect(url_for("respond.home"))
    return render_template("auth/password.html", form=form), 400 if form.errors else 200


@blueprint.route("/account/data.<any(json, csv):kind>")
@login_required
def my_data(kind: str) -> Response:
    """Everything the signed-in person has answered, as JSON or CSV."""
    data = everything_answered(db.session(), current_user())
    body = json.dumps(data, indent=2, ensure_ascii=False) if kind == "json" else answers_csv(data)
    return Response(body, mimetype="application/json" if kind == "json" else "text/csv",
                    headers={"Content-Disposition": f"attachment; filename=my-answers.{kind}"})
