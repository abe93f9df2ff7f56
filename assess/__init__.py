"""assess: self-assessment maturity questionnaires for English councils."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from flask import Flask

from assess import config, db, encryption
from assess.library import Library, load_library


def configured_app(test_config: dict[str, Any] | None = None) -> Flask:
    """The app with its settings and database only: enough for commands that need no questionnaires."""
    # ASSESS_INSTANCE_PATH puts the instance folder (settings, secret key, SQLite file) where a deployment wants it.
    instance_path = os.environ.get("ASSESS_INSTANCE_PATH")
    app = Flask(__name__, instance_relative_config=True,
                instance_path=str(Path(instance_path).resolve()) if instance_path else None)
    config.configure(app, test_config)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    db.init_app(app)
    encryption.init_app(app)
    return app


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Create the web app; refuses to start if the questionnaire library has any problem."""
    app = configured_app(test_config)
    app.extensions["assess.library"] = load_library(Path(app.config["QUESTIONNAIRES"]))

    # Imported here because the views import this package (for questionnaire_library).
    from assess import web

    web.init_app(app)
    return app


def questionnaire_library(app: Flask) -> Library:
    """The questionnaire library an app serves."""
    result: Library = app.extensions["assess.library"]
    return result
