"""The read-only JSON API under /api/v1: bearer tokens, problem+json errors, an OpenAPI 3.1 description.

Every call but the description needs ``Authorization: Bearer <token>``; the access policy decides
what the token's owner may read, exactly as in the browser. Cookies are not read here, so CSRF
does not arise, and no call changes data (a token's last use is noted at most every few minutes).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from typing import Any

from flask import Blueprint, current_app, g, request, url_for
from sqlalchemy import select
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response as HttpResponse

from assess import db, questionnaire_library
from assess.models import Assessment, Organisation, Response, ResponseKind, User
from assess.policy import Action, NotAllowed, require
from assess.services import sector
from assess.services.responses import NotScored, stored_profile
from assess.services.rounds import published_round_for
from assess.services.tokens import live_token, note_use
from assess.spreadsheets import csv_text
from assess.web.openapi import openapi_document
from assess.web.sector import FilterError, read_filters, threshold
from scoring import Questionnaire

blueprint = Blueprint("api", __name__, url_prefix="/api/v1")
PROBLEM = "application/problem+json"
#: Rows of published.csv turned into text at a time.
BATCH = 2000


class BadRequest(Exception):
    """A parameter the API cannot use; the message says which and why."""


def problem(status: int, title: str, detail: str) -> HttpResponse:
    """An error as RFC 9457 problem details."""
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail}
    response = HttpResponse(json.dumps(body), status=status, mimetype=PROBLEM)
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="assess"'
    return response


def http_problem(error: HTTPException) -> HttpResponse:
    """Any HTTP error of the API as problem details, with the error's own headers (a 405's `Allow`)."""
    response = problem(error.code or 500, error.name, error.description or error.name)
    for name, value in error.get_headers():
        if name.lower() != "content-type":
            response.headers[name] = value
    return response


def _json(payload: object) -> HttpResponse:
    # Not Flask's jsonify: it sorts keys, and the levels must stay in scale order.
    return HttpResponse(json.dumps(payload), mimetype="application/json")


@blueprint.before_request
def authenticate() -> HttpResponse | None:
    """Find the person a bearer token belongs to; 401 without a live token."""
    if request.endpoint == "api.openapi":
        return None
    scheme, _, secret = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        return problem(401, "Unauthorized", "send a bearer token: Authorization: Bearer <token>")
    session = db.session()
    token = live_token(session, secret.strip())
    if token is None:
        return problem(401, "Unauthorized", "the token is unknown or has been revoked")
    if note_use(session, token):
        session.commit()
    g.api_user = token.user
    return _parameter_problem()


def _parameter_problem() -> HttpResponse | None:
    """A 400 for a query parameter given twice (which of its values was meant cannot be known); None otherwise.

    A parameter a call does not take is ignored, as it always was: clients written against the API keep working.
    """
    repeated = sorted(name for name, values in request.args.lists() if len(values) > 1)
    if repeated:
        return problem(400, "Bad Request", f"give each parameter once: {', '.join(repeated)}")
    return None


@blueprint.errorhandler(BadRequest)
def bad_request(error: BadRequest) -> HttpResponse:
    """A parameter the API cannot use."""
    return problem(400, "Bad Request", str(error))


@blueprint.errorhandler(NotAllowed)
def not_allowed(_error: NotAllowed) -> HttpResponse:
    """Whatever the policy refuses is not found, as in the browser."""
    return problem(404, "Not Found", "there is nothing here that this token may read")


def _user() -> User:
    user: User = g.api_user
    return user


def _filters(required: bool) -> tuple[Questionnaire | None, sector.Filters]:
    try:
        questionnaire, filters = read_filters(request.args, default_questionnaire=False, trim=False)
    except FilterError as error:
        raise BadRequest(str(error)) from None
    if required and questionnaire is None:
        raise BadRequest("'questionnaire' is required: give a questionnaire id")
    return questionnaire, filters


@blueprint.route("/sector/levels")
def sector_levels() -> HttpResponse:
    """Councils at each level of a questionnaire (or one section), for all councils or by type or region."""
    session = db.session()
    require(session, _user(), Action.VIEW_SECTOR)
    questionnaire, filters = _filters(required=True)
    assert questionnaire is not None
    group_by = request.args.get("group_by") or None
    if group_by is not None and group_by not in sector.GROUPINGS:
        raise BadRequest("'group_by' must be 'type' or 'region'")
    groups = sector.levels(session, filters, questionnaire, threshold(), group_by)
    return _json({
        "questionnaire": questionnaire.id,
        "section": filters.section,
        "threshold": threshold(),
        "groups": [{"group": d.group, "councils": d.councils, "suppressed": d.suppressed,
                    "levels": {d.labels[level]: count for level, count in d.levels.items()},
                    "median": d.median} for d in groups],
    })


@blueprint.route("/sector/targeting")
def sector_targeting() -> HttpResponse:
    """Councils shared by name that most need support in a questionnaire or section, in the order asked for."""
    session = db.session()
    require(session, _user(), Action.VIEW_SECTOR)
    questionnaire, filters = _filters(required=True)
    assert questionnaire is not None
    sort = request.args.get("sort", "level")
    if sort not in sector.TARGETING_SORTS:
        raise BadRequest(f"'sort' must be one of {', '.join(sector.TARGETING_SORTS)}")
    if (problem := sector.sort_problem(sort, filters)) is not None:
        raise BadRequest(problem)
    rows = sector.targeting(session, filters, questionnaire, date.today(), sort)
    return _json({
        "questionnaire": questionnaire.id, "section": filters.section, "sort": sort,
        "councils": [{"council_code": r.code, "council_name": r.name, "council_type": r.type, "region": r.region,
                      "round_id": r.round_id, "published_on": r.published_on.isoformat(), "level": r.level,
                      "label": r.label, "previous_level": r.previous,
                      "change": r.change, "target": r.target, "below_target_by": r.shortfall,
                      "overdue_actions": r.overdue_actions} for r in rows],
    })


@blueprint.route("/sector/published.csv")
def published_csv() -> HttpResponse:
    """Every published section and overall level of shared rounds, as CSV; anonymous councils unnamed."""
    session = db.session()
    require(session, _user(), Action.VIEW_SECTOR)
    query = sector.published_levels(session, _filters(required=False)[1], threshold())
    engine = db.engine()

    def lines() -> Iterator[str]:
        # Streamed a batch of rows at a time, so the whole sector never sits in memory as text; on a
        # connection of its own, as the request's session is closed before the last row is sent.
        yield csv_text([sector.PUBLISHED_COLUMNS])
        with engine.connect() as connection:
            # SQLite's cursor reads rows as they are asked for. PostgreSQL's server-side cursor would be
            # planned without parallel workers and fetched in round trips (more than twice as slow at ten
            # times the sector), so there the driver receives the result whole, in C, and Python still
            # turns it into text a batch at a time.
            streamed = {"yield_per": BATCH} if connection.dialect.name == "sqlite" else {}
            for rows in connection.execution_options(**streamed).execute(query).partitions(BATCH):
                yield csv_text(rows)

    return HttpResponse(lines(), mimetype="text/csv",
                        headers={"Content-Disposition": "attachment; filename=published.csv"})


@blueprint.route("/councils/<code>/profile")
def council_profile(code: str) -> HttpResponse:
    """A council's agreed levels in its latest published round that the token's owner may read."""
    session = db.session()
    organisation = session.scalar(select(Organisation).filter_by(code=code))
    if organisation is None:
        raise NotAllowed(code)
    assessment = published_round_for(session, _user(), organisation)
    if assessment is None:
        raise NotAllowed(code)
    return _json({
        "council": {"code": organisation.code, "name": organisation.name, "type": organisation.type,
                    "region": organisation.region},
        "round_id": assessment.id,
        "title": assessment.title,
        "published_on": assessment.published_at.date().isoformat() if assessment.published_at else None,
        "questionnaires": [_profile(response) for response in _agreed(session, assessment)],
    })


def _agreed(session: Any, assessment: Assessment) -> list[Response]:
    return list(session.scalars(select(Response).filter_by(assessment_id=assessment.id, kind=ResponseKind.CONSENSUS)
                                .order_by(Response.id)))


def _profile(response: Response) -> dict[str, object]:
    try:
        profile = stored_profile(response)
    except NotScored:
        return {"questionnaire": response.questionnaire_version.questionnaire_id,
                "version": response.questionnaire_version.version, "level": None, "label": None, "sections": []}
    return {"questionnaire": profile.questionnaire_id, "version": profile.version, "level": profile.level,
            "label": profile.label,
            "sections": [{"section": s.id, "title": s.title, "level": s.level, "label": s.label}
                         for s in profile.sections]}


@blueprint.route("/openapi.json")
def openapi() -> HttpResponse:
    """The OpenAPI 3.1 description of this API."""
    return _json(openapi_document(url_for("api.openapi", _external=True).removesuffix("/openapi.json"),
                                  _library_sections()))


def _library_sections() -> dict[str, list[str]]:
    """The section ids of each questionnaire in the library, by questionnaire id."""
    return {qid: [section.id for section in loaded.questionnaire.sections]
            for qid, loaded in questionnaire_library(current_app).files.items()}
