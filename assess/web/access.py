"""Who is signed in, and looking up what a page is about through the access policy (else 404)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import ParamSpec, TypeVar

from flask import Flask, abort, g, redirect, request, session, url_for
from sqlalchemy import select
from werkzeug.routing import IntegerConverter

from assess import db
from assess.models import Assessment, AssessmentQuestionnaire, Organisation, User
from assess.policy import Action, require
from assess.services.questionnaires import questionnaire_of
from scoring import Questionnaire

P = ParamSpec("P")
R = TypeVar("R")


class IdConverter(IntegerConverter):
    """A database id in a URL: a whole number that fits the id columns, so a huge one is a 404, not a 500."""

    def __init__(self, map: object) -> None:  # noqa: A002 (werkzeug's name)
        super().__init__(map, min=1, max=2**31 - 1)  # type: ignore[arg-type]


def init_app(app: Flask) -> None:
    """Add the id converter, load the signed-in user for every request and offer it to templates."""
    app.url_map.converters["id"] = IdConverter

    @app.before_request
    def load_user() -> None:
        user_id = session.get("user_id")
        g.user = db.session().get(User, user_id) if isinstance(user_id, int) else None
        if g.user is not None and not g.user.active:
            session.clear()
            g.user = None

    @app.context_processor
    def inject_user() -> dict[str, object]:
        return {"current_user": g.get("user"), "service_name": app.config["SERVICE_NAME"]}

def current_user() -> User:
    """The signed-in user (only call behind login_required)."""
    user: User = g.user
    return user


def login_required(view: Callable[P, R]) -> Callable[P, R]:
    """Send people who are not signed in to the sign-in page, then back."""

    @wraps(view)
    def wrapped(*args: P.args, **kwargs: P.kwargs) -> R:
        if g.get("user") is None:
            return redirect(url_for("auth.sign_in", next=request.full_path.rstrip("?")))  # type: ignore[return-value]
        return view(*args, **kwargs)

    return wrapped


def council_or_404(code: str, action: Action) -> Organisation:
    """The council with this code, if the signed-in person may do the action there; 404 otherwise."""
    organisation = db.session().scalar(select(Organisation).filter_by(code=code))
    if organisation is None:
        abort(404)
    require(db.session(), current_user(), action, organisation)
    return organisation


def round_or_404(code: str, round_id: int, action: Action) -> Assessment:
    """A round of the council with this code, if the signed-in person may do the action on it; 404 otherwise."""
    assessment = db.session().get(Assessment, round_id)
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
