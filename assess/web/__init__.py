"""The browser front end: blueprints by audience, GOV.UK Frontend templates, security settings."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from functools import cached_property, lru_cache
from io import BytesIO
from typing import IO, Any
from urllib.parse import urlsplit

import flask
from flask import Flask, abort, g, has_request_context, render_template, request, url_for
from flask.sessions import SecureCookieSessionInterface
from flask.typing import ResponseReturnValue
from flask_talisman import Talisman
from flask_wtf.csrf import CSRFError, CSRFProtect
from govuk_frontend_wtf.main import WTFormsHelpers
from jinja2 import ChoiceLoader, Environment, PackageLoader, PrefixLoader
from markupsafe import Markup
from sqlalchemy.exc import DisconnectionError, OperationalError, SQLAlchemyError
from werkzeug import formparser
from werkzeug.exceptions import HTTPException, NotFound, RequestEntityTooLarge
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.wrappers import Response

from assess import db, logs
from assess.answers import describe_answer, describe_condition, text_limit
from assess.policy import NotAllowed
from assess.reports.data import long_date
from assess.web import (
    access,
    admin,
    api,
    audit,
    auth,
    facilitate,
    health,
    invitations,
    manage,
    pages,
    participants,
    publication,
    respond,
    sector,
)

csrf = CSRFProtect()
logger = logging.getLogger(__name__)

#: The Content-Security-Policy: everything from this site only, scripts only with the page's nonce or
#: from its own files, and never shown inside another site's frame.
CONTENT_SECURITY_POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "font-src": "'self'",
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'none'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}


#: The GOV.UK Frontend macros every template may call without importing them (see GovukMacro).
GOVUK_MACROS = ("govukBackLink", "govukButton", "govukErrorSummary", "govukInsetText", "govukNotificationBanner",
                "govukTag")


class GovukMacro:
    """A GOV.UK Frontend macro as a template global: its template imported once per app, not on every render.

    Jinja imports a macro's template afresh for each ``{% from ... import %}`` whenever the render's
    context has globals the macro's template lacks, as Flask's always does (request, session, g...):
    the base layout's imports alone were a good part of every page's time.
    """

    def __init__(self, environment: Environment, name: str) -> None:
        self.environment, self.name = environment, name
        # The same parameters always give the same HTML (a page's buttons, back link, tags): made once.
        self.remembered = lru_cache(maxsize=1024)(self._made)

    @cached_property
    def macro(self) -> Any:
        """The macro, from its component's template (govukBackLink: components/back-link/macro.html)."""
        folder = re.sub(r"(?<!^)([A-Z])", r"-\1", self.name.removeprefix("govuk")).lower()
        template = self.environment.get_template(f"govuk_frontend_jinja/components/{folder}/macro.html")
        return getattr(template.module, self.name)

    def _made(self, params: str) -> Markup:
        return Markup(self.macro(json.loads(params)))

    def __call__(self, params: dict[str, Any]) -> Markup:
        # HTML given as Markup would come back from JSON as text, and be escaped; some values are no JSON.
        try:
            key = None if _holds_markup(params) else json.dumps(params, sort_keys=True)
        except TypeError:
            key = None
        return Markup(self.macro(params)) if key is None else self.remembered(key)


def _holds_markup(value: object) -> bool:
    """Whether a macro's parameters hold HTML (Markup) anywhere."""
    if isinstance(value, dict):
        return any(_holds_markup(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return any(_holds_markup(v) for v in value)
    return isinstance(value, Markup)


def remembered_url_for(app: Flask) -> Callable[..., str]:
    """Templates' url_for, each address worked out once per worker rather than on every render.

    A task list links to every section of every questionnaire: building each address with the
    URL map was a tenth of the page's time. An address depends only on the endpoint, its values
    and where the app is mounted (no url_defaults here); anything else (relative endpoints,
    _external and the like, values that cannot be a key) is built afresh.
    """

    @lru_cache(maxsize=4096)
    def build(script_root: str, endpoint: str, values: tuple[tuple[str, Any], ...]) -> str:
        return app.url_for(endpoint, **dict(values))

    def url_for(endpoint: str, **values: Any) -> str:
        key = tuple(sorted(values.items()))
        try:
            hash(key)
        except TypeError:
            return app.url_for(endpoint, **values)
        if endpoint.startswith(".") or any(name.startswith("_") for name in values) or not has_request_context():
            return app.url_for(endpoint, **values)
        return build(request.script_root, endpoint, key)

    return url_for


def _load_user_for_error_page() -> None:
    """Who is signed in, for the header of an error page raised before that was looked up (the CSRF check and the
    size limit come first); nobody when the database cannot say, since an error page must never fail itself."""
    if "user" in g:
        return
    try:
        access.load_user()
    except SQLAlchemyError:
        db.close_session()
        g.user = None


def way_back() -> str:
    """The page of this site a form was sent from (its Referer: the site sends it to itself only), else the home
    page."""
    referrer = urlsplit(request.referrer or "")
    if referrer.netloc != request.host:
        return url_for("respond.home")
    return auth._safe_next(referrer.path + (f"?{referrer.query}" if referrer.query else ""))


def _megabytes(size: int | None) -> str | None:
    return f"{size / (1024 * 1024):.3g} MB" if size else None


class FormDataParser(formparser.FormDataParser):
    """Werkzeug's form parser, with the limit on a form's parts (MAX_FORM_PARTS) applied to url-encoded forms too:
    werkzeug applies it to multipart forms only, and a 4 MB url-encoded body of a million empty fields takes seconds
    and some 200 MB to parse."""

    def parse(self, stream: IO[bytes], mimetype: str, content_length: int | None,
              options: dict[str, str] | None = None) -> formparser.t_parse_result:
        if mimetype == "application/x-www-form-urlencoded" and self.max_form_parts is not None:
            body = stream.read()  # as werkzeug does: a url-encoded body is read whole, within MAX_CONTENT_LENGTH
            if body.count(b"&") >= self.max_form_parts:
                raise RequestEntityTooLarge()
            stream = BytesIO(body)
        return super().parse(stream, mimetype, content_length, options)


class Request(flask.Request):
    """Flask's request, parsing forms with FormDataParser."""

    form_data_parser_class = FormDataParser


class SessionInterface(SecureCookieSessionInterface):
    """Session cookies marked Secure whenever the request came over HTTPS."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config.get("SESSION_COOKIE_SECURE")) or request.is_secure


def init_app(app: Flask) -> None:
    """Register templates, CSRF protection, sessions, error pages and the blueprints."""
    assert app.jinja_loader is not None  # the package's own templates folder
    app.jinja_loader = ChoiceLoader([
        app.jinja_loader,
        PrefixLoader({
            "govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja"),
            "govuk_frontend_wtf": PackageLoader("govuk_frontend_wtf"),
        }),
    ])
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    app.jinja_env.globals.update(describe_answer=describe_answer, describe_condition=describe_condition,
                                 text_limit=text_limit)
    app.jinja_env.filters["long_date"] = long_date
    app.jinja_env.globals.update({name: GovukMacro(app.jinja_env, name) for name in GOVUK_MACROS})
    app.jinja_env.globals["url_for"] = remembered_url_for(app)
    WTFormsHelpers(app)
    logs.init_app(app)  # first, so that every later step of a request logs with its id
    if app.config["PROXY_FIX_HOPS"]:
        hops = int(app.config["PROXY_FIX_HOPS"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]
    # HTTPS itself (and redirecting to it) is the reverse proxy's job; HSTS goes on every HTTPS response.
    # Session cookies are Secure on HTTPS requests (SessionInterface below), so plain HTTP works locally.
    Talisman(app, force_https=False, session_cookie_secure=False, strict_transport_security=True,
             strict_transport_security_max_age=31536000, content_security_policy=CONTENT_SECURITY_POLICY,
             content_security_policy_nonce_in=["script-src"], frame_options="DENY",
             referrer_policy="same-origin")
    app.request_class = Request
    csrf.init_app(app)
    app.session_interface = SessionInterface()
    access.init_app(app)
    audit.init_app()
    app.register_blueprint(health.blueprint)
    app.register_blueprint(auth.blueprint)
    app.register_blueprint(respond.blueprint)
    app.register_blueprint(manage.blueprint)
    app.register_blueprint(participants.blueprint)
    app.register_blueprint(publication.blueprint)
    app.register_blueprint(invitations.blueprint)
    app.register_blueprint(admin.blueprint)
    app.register_blueprint(facilitate.blueprint)
    app.register_blueprint(sector.blueprint)
    app.register_blueprint(api.blueprint)
    # The API reads bearer tokens, never cookies, and only answers GET: there is no request to forge.
    csrf.exempt(api.blueprint)
    app.register_blueprint(pages.blueprint)

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError) -> ResponseReturnValue:
        # Refused, never held: a token that does not match came from an old page or from somewhere else, and what
        # it carries may be anyone's. (A form posted with its token after the session ended is held by
        # access.login_required, for the person whose session it was.)
        _load_user_for_error_page()
        return render_template("errors/csrf.html", back_url=way_back()), 400

    @app.errorhandler(RequestEntityTooLarge)
    def too_large(error: RequestEntityTooLarge) -> ResponseReturnValue:
        # Raised as soon as the body is looked at (the CSRF check, first), before it is read. The session is left as
        # it was, so the person is still signed in and can go back.
        if request.path.startswith(api.blueprint.url_prefix or "/api/"):
            return api.http_problem(error)
        _load_user_for_error_page()
        return render_template("errors/too_large.html", most=_megabytes(app.config["MAX_CONTENT_LENGTH"]),
                               longest_text=_megabytes(app.config["MAX_FORM_MEMORY_SIZE"]), back_url=way_back()), 413

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> ResponseReturnValue:
        if request.path.startswith(api.blueprint.url_prefix or "/api/"):
            return api.http_problem(error)
        _load_user_for_error_page()
        # The error's own headers (a 405's Allow, a 429's Retry-After), less its Content-Type, which the page sets.
        headers = [(name, value) for name, value in error.get_headers() if name.lower() != "content-type"]
        return render_template("errors/http.html", error=error), error.code or 500, headers

    @app.errorhandler(OperationalError)
    @app.errorhandler(DisconnectionError)
    def database_unavailable(error: Exception) -> tuple[str, int, dict[str, str]]:
        # The database is down, restarting, read-only or full: say so plainly rather than show a
        # traceback. Nothing of this request was committed; the pool's pre-ping replaces broken
        # connections, so the next request works again once the database does.
        logger.error("database unavailable: %s", " ".join(str(getattr(error, "orig", None) or error).split()))
        db.close_session()
        g.user = None  # the page must not read the signed-in person's record from the failed session
        return render_template("errors/database.html"), 503, {"Retry-After": "60"}

    @app.errorhandler(NotAllowed)
    def not_allowed(_error: NotAllowed) -> ResponseReturnValue:
        # 404 rather than 403, so that nobody can learn which councils and rounds exist.
        return http_error(NotFound())

    @app.before_request
    def refuse_control_characters_in_addresses() -> None:
        # No page's address holds a control character; one would reach the database (which refuses NUL).
        if not request.path.isprintable():
            abort(404)

    @app.after_request
    def no_store(response: Response) -> Response:
        # Pages, PDFs and CSV files hold answers: no browser or proxy may keep a copy. Only the
        # service's own static files (stylesheets, scripts, icons) may be cached.
        if request.endpoint != "static":
            response.headers["Cache-Control"] = "no-store"
        return response

