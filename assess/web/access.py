"""Who is signed in, and which organisations' pages they may see (any other answers 404)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import ParamSpec, TypeVar

from flask import Flask, abort, g, redirect, request, session, url_for
from sqlalchemy import select

from assess import db
from assess.models import Assessment, AssessmentQuestionnaire, Membership, Organisation, OrganisationRole, User

P = ParamSpec("P")
R = TypeVar("R")


def init_app(app: Flask) -> None:
    """Load the signed-in user for every request and offer it to templates."""

    @app.before_request
    def load_user() -> None:
        user_id = session.get("user_id")
        g.user = db.session().get(User, user_id) if user_id is not None else None
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


def membership_or_404(code: str) -> Membership:
    """The signed-in user's membership of the organisation with this code; 404 if they have none.

    404 rather than 403, so that nobody can learn which organisations use the service.
    """
    membership = db.session().scalar(
        select(Membership).join(Organisation).where(Organisation.code == code, Membership.user_id == current_user().id)
    )
    if membership is None:
        abort(404)
    return membership


def lead_or_404(code: str) -> Membership:
    """Like membership_or_404, for pages only the organisation's lead may use."""
    membership = membership_or_404(code)
    if membership.role != OrganisationRole.LEAD:
        abort(404)
    return membership


def assessment_or_404(membership: Membership, assessment_id: int) -> Assessment:
    """An assessment round of the member's organisation; 404 for any other."""
    assessment = db.session().get(Assessment, assessment_id)
    if assessment is None or assessment.organisation_id != membership.organisation_id:
        abort(404)
    return assessment


def questionnaire_link_or_404(assessment: Assessment, questionnaire_id: str) -> AssessmentQuestionnaire:
    """The questionnaire version a round offers under this id; 404 if the round has none."""
    for link in assessment.questionnaires:
        if link.questionnaire_version.questionnaire_id == questionnaire_id:
            return link
    abort(404)
