"""The health check for load balancers: answers 200 only while the database answers."""

from __future__ import annotations

from flask import Blueprint
from sqlalchemy import text
from werkzeug.wrappers import Response

from assess import db

blueprint = Blueprint("health", __name__)


@blueprint.route("/healthz")
def healthz() -> Response:
    """"ok" once the database has answered a query; no sign-in, never writes; a 503 page when the database fails."""
    db.session().execute(text("SELECT 1"))
    return Response("ok\n", mimetype="text/plain", headers={"Cache-Control": "no-store"})
