"""assess: self-assessment maturity questionnaires for English councils."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask

from assess import config, db
from assess.library import Library, load_library


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Create the web app; refuses to start if the questionnaire library has any problem."""
    app = Flask(__name__, instance_relative_config=True)
    config.configure(app, test_config)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.extensions["assess.library"] = load_library(Path(app.config["QUESTIONNAIRES"]))
    db.init_app(app)

    # Imported here because the views import this package (for questionnaire_library).
    from assess import web

    web.init_app(app)
    return app


def questionnaire_library(app: Flask) -> Library:
    """The questionnaire library an app serves."""
    result: Library = app.extensions["assess.library"]
    return result
