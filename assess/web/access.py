"""Who is signed in, and looking up what a page is about through the access policy (else 404)."""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import lru_cache, wraps
from typing import ParamSpec, TypeVar

from flask import Flask, abort, current_app, flash, g, redirect, request, session, url_for
from sqlalchemy import Select, bindparam, select
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.interfaces import ORMOption
from werkzeug.routing import IntegerConverter
from werkzeug.wrappers import Response

from assess import db
from assess.models import Assessment, AssessmentQuestionnaire, Organisation, QuestionnaireVersion, User
from assess.policy import Action, require
from assess.services import held_forms
from assess.services.passwords import needs_two_factor
from assess.services.questionnaires import questionnaire_of
from scoring import Questionnaire

#: The session key holding the key of a form posted after the session ended.
HELD_FORM = "held_form"

P = ParamSpec("P")
R = TypeVar("R")


class IdConverter(IntegerConverter):
    """A database id in a URL: a whole number that fits the id columns, so a huge one is a 404, not a 500."""

    def __init__(self, map: object) -> None:  # noqa: A002 (werkzeug's name)
        super().__init__(map, min=1, max=2**31 - 1)  # type: ignore[arg-type]


def init_app(app: Flask) -> None:
    """Add the id converter, load the signed-in user for every request and offer it to templates."""
    app.url_map.converters["id"] = IdConverter
    app.before_request(load_user)
    app.before_request(release_replayed_form)
    app.before_request(require_two_factor_setup)

    @app.context_processor
    def inject_user() -> dict[str, object]:
        return {"current_user": g.get("user"), "service_name": app.config["SERVICE_NAME"],
                "idle_seconds": app.config["IDLE_MINUTES"] * 60}


#: The signed-in person with their memberships, which every access check reads: one statement instead of one
#: a check. Built once, so that SQLAlchemy finds its compiled form without working out its cache key again.
USER: Select[tuple[User]] = select(User).where(User.id == bindparam("id")).options(joinedload(User.memberships))


def load_user() -> None:
    """Who is signed in: a session ends when idle or old for too long, or when its person's sessions were ended."""
    user_id = session.get("user_id")
    g.user = db.by_id(USER, User, user_id) if isinstance(user_id, int) else None
    if g.user is None:
        return
    now, seen, started = int(time.time()), session.get("seen"), session.get("started")
    idle = not isinstance(seen, int) or now - seen > current_app.config["IDLE_MINUTES"] * 60
    too_old = not isinstance(started, int) or now - started > current_app.config["SESSION_MAX_HOURS"] * 3600
    if idle or too_old or not g.user.active or session.get("generation") != g.user.session_generation:
        g.ended_user_id = g.user.id
        held = session.get(HELD_FORM)
        session.clear()
        if held:
            session[HELD_FORM] = held
        g.user = None
        return
    if seen != now:  # an unchanged session is not signed and sent again (several requests in one second)
        session["seen"] = now


def start_session(user: User) -> None:
    """Sign a person in, in a fresh session, so a session fixed by someone else is never promoted."""
    held = session.get(HELD_FORM)
    session.clear()
    now = int(time.time())
    session.update(user_id=user.id, generation=user.session_generation, seen=now, started=now)
    if held:
        session[HELD_FORM] = held


def hold_form_and_sign_in() -> Response | None:
    """Keep what a person posted, with its form's token, after their session ended (idle, too old, or ended
    elsewhere), and ask them to sign in again to save it.

    None when the post came with no session that ended (from another site, a new browser, or nobody signed in).
    """
    owner = g.get("ended_user_id")
    if owner is None:
        return None
    fields = [(name, request.form.getlist(name)) for name in request.form if name not in ("csrf_token", HELD_FORM)]
    key = held_forms.hold(db.session(), request.full_path.rstrip("?"), fields, owner,
                          current_app.config["HELD_FORM_HOURS"])
    db.session().commit()
    if key is None:
        abort(400)
    session[HELD_FORM] = key
    flash("You were signed out, so nothing was saved yet. What you typed is kept: sign in again to save it.")
    return redirect(url_for("auth.sign_in", next=url_for("auth.resume_form")))


#: Pages a person who must set up two-factor sign-in may still use.
BEFORE_TWO_FACTOR = {"auth.two_factor_page", "auth.sign_out", "static", "pages.accessibility", "pages.privacy",
                     "pages.cookies"}


def require_two_factor_setup() -> Response | None:
    """Admins and analysts must set up two-factor sign-in before anything else, when the deployment says so."""
    user = g.get("user")
    if (user is not None and request.endpoint not in BEFORE_TWO_FACTOR
            and needs_two_factor(user, current_app.config["REQUIRE_TWO_FACTOR"])):
        return redirect(url_for("auth.two_factor_page"))
    return None


def release_replayed_form() -> None:
    """When a held form is posted again, forget it."""
    key = session.get(HELD_FORM)
    if request.method == "POST" and g.get("user") is not None and key and request.form.get(HELD_FORM) == key:
        held_forms.release(db.session(), key)
        session.pop(HELD_FORM)


def current_user() -> User:
    """The signed-in user (only call behind login_required)."""
    user: User = g.user
    return user


def login_required(view: Callable[P, R]) -> Callable[P, R]:
    """Send people who are not signed in to the sign-in page, then back (keeping what they posted)."""

    @wraps(view)
    def wrapped(*args: P.args, **kwargs: P.kwargs) -> R:
        if g.get("user") is None:
            held = hold_form_and_sign_in() if request.method == "POST" else None
            return held or redirect(url_for("auth.sign_in", next=request.full_path.rstrip("?")))  # type: ignore[return-value]
        return view(*args, **kwargs)

    return wrapped


@lru_cache(maxsize=16)
def _council(options: tuple[ORMOption, ...]) -> Select[tuple[Organisation]]:
    # One statement for each set of loader options (module constants), built once (see USER).
    return select(Organisation).where(Organisation.code == bindparam("code")).options(*options)


def council_or_404(code: str, action: Action, *options: ORMOption) -> Organisation:
    """The council with this code (loaded with ``options``), if the signed-in person may do the action; else 404."""
    organisation = db.session().execute(_council(options), {"code": code}).unique().scalar_one_or_none()
    if organisation is None:
        abort(404)
    require(db.session(), current_user(), action, organisation)
    return organisation


#: What every page of a round shows, loaded with it in one statement: its council and the questionnaire
#: versions it offers (without their stored definitions: the built questionnaire is cached by content hash).
ROUND_PAGE = (
    joinedload(Assessment.organisation),
    joinedload(Assessment.questionnaires).joinedload(AssessmentQuestionnaire.questionnaire_version)
    .defer(QuestionnaireVersion.definition),
)
#: A round with ROUND_PAGE, as a statement built once (see USER).
ROUND: Select[tuple[Assessment]] = select(Assessment).where(Assessment.id == bindparam("id")).options(*ROUND_PAGE)


def round_or_404(code: str, round_id: int, action: Action) -> Assessment:
    """A round of the council with this code, if the signed-in person may do the action on it; 404 otherwise."""
    assessment = db.by_id(ROUND, Assessment, round_id)
    if assessment is None or assessment.organisation.code != code:
        abort(404)
    require(db.session(), current_user(), action, assessment)
    return assessment


def questionnaire_or_404(code: str, round_id: int, questionnaire_id: str,
                         action: Action) -> tuple[Assessment, AssessmentQuestionnaire, Questionnaire]:
    """A round (if the person may do the action on it), the questionnaire version it offers, and its model."""
    assessment = round_or_404(code, round_id, action)
    link = questionnaire_link_or_404(assessment, questionnaire_id)
    return assessment, link, questionnaire_of(link.questionnaire_version)


def questionnaire_link_or_404(assessment: Assessment, questionnaire_id: str) -> AssessmentQuestionnaire:
    """The questionnaire version a round offers under this id; 404 if the round has none."""
    for link in assessment.questionnaires:
        if link.questionnaire_version.questionnaire_id == questionnaire_id:
            return link
    abort(404)
