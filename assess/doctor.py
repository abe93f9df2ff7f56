"""What `assess doctor` checks: the settings in force, where everything is, and whether it is ready to serve."""

from __future__ import annotations

import os
import urllib.error
import urllib.request
from pathlib import Path

from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from assess import db
from assess.library import load_paths
from assess.migrations import alembic_config, current_revision, head
from assess.models import QuestionnaireVersion


def _secret_key_source(app: Flask) -> str:
    if os.environ.get("ASSESS_SECRET_KEY"):
        return "from ASSESS_SECRET_KEY"
    key_file = Path(app.instance_path) / "secret_key"
    if key_file.exists() and key_file.read_text().strip() == app.config["SECRET_KEY"]:
        return f"generated into {key_file} (every server of a deployment must share one key)"
    return f"from {Path(app.instance_path) / 'config.py'}"


def _encryption_key_source(app: Flask) -> str:
    keys = [key for key in str(app.config.get("ENCRYPTION_KEY") or "").split(",") if key.strip()]
    if keys:
        return f"ENCRYPTION_KEY ({len(keys)} key(s): the first encrypts two-factor secrets)"
    return ("derived from the secret key (set ENCRYPTION_KEY, so that a new secret key leaves two-factor secrets "
            "readable)")


def _base_address(base_url: str) -> str:
    """Whether the address links in emails start with answers (its health check), as a line of the report.

    A warning only, never a failure: `assess doctor` is run before the service starts, when nothing answers yet.
    """
    health = base_url.rstrip("/") + "/healthz"
    try:
        with urllib.request.urlopen(health, timeout=3) as answer:  # noqa: S310 (the service's own configured address)
            if answer.status == 200:
                return f"{base_url} (answers)"
            problem = f"answered {answer.status}"
    except urllib.error.HTTPError as error:
        problem = f"answered {error.code}"
    except (urllib.error.URLError, OSError, ValueError) as error:
        problem = f"does not answer ({getattr(error, 'reason', error)})"
    return (f"{base_url} — warning: {health} {problem}. Links in emails start with this address: once the service "
            "is running, it must answer there (set ASSESS_BASE_URL to the address people reach the service at)")


def checks(app: Flask) -> list[tuple[str, str, bool]]:
    """Each setting or check as (name, what was found, whether it is ready)."""
    instance = Path(app.instance_path)
    settings_file = instance / "config.py"
    library = Path(app.config["QUESTIONNAIRES"])
    found: list[tuple[str, str, bool]] = [
        ("Instance folder", f"{instance}" + ("" if os.access(instance, os.W_OK) else " (not writable)"),
         os.access(instance, os.W_OK)),
        ("Settings file", f"{settings_file}" + ("" if settings_file.exists() else
                                                " (none: defaults and ASSESS_* variables apply)"), True),
        ("Secret key", _secret_key_source(app), True),
        ("Encryption key", _encryption_key_source(app), True),
        ("Service name", app.config["SERVICE_NAME"], True),
        ("Base address", _base_address(app.config["BASE_URL"]), True),
        ("Database", make_url(app.config["DATABASE_URL"]).render_as_string(hide_password=True), True),
    ]
    with app.app_context():
        try:
            now, newest = current_revision(db.engine()), head(alembic_config(db.engine()))
            ready = now == newest
            found.append(("Schema", f"{now} (up to date)" if ready else
                          f"{now or 'empty'}; newest is {newest}: run `assess db upgrade`", ready))
            recorded = db.session().scalar(select(func.count(QuestionnaireVersion.id))) if ready else None
        except SQLAlchemyError as error:
            found.append(("Schema", f"cannot reach the database: {error.__class__.__name__}: "
                          f"{str(error.orig if hasattr(error, 'orig') else error).strip()}", False))
            recorded = None
    loaded, problems = load_paths([library])
    found.append(("Questionnaires", f"{library}: {len(loaded)} valid" + (
        f", {len({p.file for p in problems})} invalid: run `assess validate`" if problems else ""), not problems))
    if recorded is not None:
        found.append(("Recorded versions", f"{recorded} questionnaire version(s) in the database", True))
    return found
