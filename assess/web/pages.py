"""The pages every public-sector service links from its footer: accessibility, privacy, cookies."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template

blueprint = Blueprint("pages", __name__)


@blueprint.route("/accessibility")
def accessibility() -> str:
    """The accessibility statement."""
    return render_template("pages/accessibility.html")


@blueprint.route("/privacy")
def privacy() -> str:
    """The privacy notice."""
    return render_template("pages/privacy.html", idle_minutes=current_app.config["IDLE_MINUTES"])


@blueprint.route("/cookies")
def cookies() -> str:
    """The cookies page: essential cookies only."""
    return render_template("pages/cookies.html", idle_minutes=current_app.config["IDLE_MINUTES"],
                           device_days=current_app.config["SIGN_IN_DEVICE_DAYS"])
