"""Settings: defaults, then instance/config.py, then ASSESS_* environment variables, then test config."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

from flask import Flask

#: The standard questionnaire library, shipped inside the package.
SHIPPED_QUESTIONNAIRES = Path(__file__).resolve().parent / "questionnaires"

#: Environment variables read at start-up, and the setting each one fills.
ENVIRONMENT_SETTINGS = {
    "ASSESS_DATABASE_URL": "DATABASE_URL",
    "ASSESS_SECRET_KEY": "SECRET_KEY",
    "ASSESS_ENCRYPTION_KEY": "ENCRYPTION_KEY",
    "ASSESS_QUESTIONNAIRES": "QUESTIONNAIRES",
    "ASSESS_SERVICE_NAME": "SERVICE_NAME",
    "ASSESS_BASE_URL": "BASE_URL",
    "ASSESS_MAIL_BACKEND": "MAIL_BACKEND",
    "ASSESS_MAIL_SERVER": "MAIL_SERVER",
    "ASSESS_MAIL_PORT": "MAIL_PORT",
    "ASSESS_MAIL_SECURITY": "MAIL_SECURITY",
    "ASSESS_MAIL_USERNAME": "MAIL_USERNAME",
    "ASSESS_MAIL_PASSWORD": "MAIL_PASSWORD",
    "ASSESS_MAIL_SENDER": "MAIL_SENDER",
    "ASSESS_MAIL_SENDER_NAME": "MAIL_SENDER_NAME",
    "ASSESS_REDIS_URL": "REDIS_URL",
}


#: Settings an earlier release read, with what replaced each: a configuration that still sets one is refused.
RETIRED_SETTINGS = {
    "SIGN_IN_ATTEMPTS": "set SIGN_IN_FREE_FAILURES (failures before each further attempt waits) instead",
    "SIGN_IN_WINDOW_MINUTES": "set SIGN_IN_FORGET_MINUTES (how long failures are remembered) instead",
    "SIGN_IN_ADDRESS_ATTEMPTS": "set SIGN_IN_ADDRESS_FAILING_ACCOUNTS (failing accounts from one address before "
                                "new ones wait) instead",
}


def configure(app: Flask, test_config: dict[str, Any] | None) -> None:
    """Fill app.config from defaults, the instance folder, the environment and test_config."""
    instance = Path(app.instance_path)
    app.config.from_mapping(
        DATABASE_URL=f"sqlite:///{instance / 'assess.sqlite'}",
        QUESTIONNAIRES=str(SHIPPED_QUESTIONNAIRES),
        SERVICE_NAME="Council self-assessment",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        # Sign-in's growing delay (see services/throttle.py): failures of an account before attempts wait (1 s,
        # then doubling up to the longest wait), and the minutes after the latest failure when they are forgotten.
        SIGN_IN_FREE_FAILURES=5,
        SIGN_IN_LONGEST_WAIT_SECONDS=30,
        SIGN_IN_FORGET_MINUTES=15,
        # Accounts failing from one client address before new accounts tried from it wait too (spraying).
        SIGN_IN_ADDRESS_FAILING_ACCOUNTS=10,
        # Days a browser where someone signed in is known, so a stranger's guesses never slow that browser.
        SIGN_IN_DEVICE_DAYS=365,
        # A session ends after this many minutes without a request (the page warns two minutes before).
        IDLE_MINUTES=60,
        # However active, a session ends this many hours after signing in (ASVS 3.3.2), and the person signs in again.
        SESSION_MAX_HOURS=12,
        # CSRF tokens last as long as the session they belong to, which the idle timeout ends.
        WTF_CSRF_TIME_LIMIT=None,
        # How many reverse proxies in front of the app set X-Forwarded-For and X-Forwarded-Proto (0: none).
        PROXY_FIX_HOPS=0,
        # Whether admins and analysts must use an authenticator app (TOTP) to sign in.
        REQUIRE_TWO_FACTOR=False,
        # Fernet keys (comma-separated, the first encrypts) for secrets at rest; None: derived from SECRET_KEY.
        ENCRYPTION_KEY=None,
        PASSWORD_RESET_MINUTES=60,
        # The largest request body accepted, in bytes (Flask's setting): larger ones are refused with 413 before they
        # are read. The largest legitimate ones are a questionnaire upload (400,000 characters, up to 1.6 MB) and a
        # section page's answers (about 91,000 characters in the shipped library, up to 1.1 MB percent-encoded).
        MAX_CONTENT_LENGTH=4 * 1024 * 1024,
        # The largest text field of a multipart form (an upload form's pasted text), in bytes (Flask's setting).
        MAX_FORM_MEMORY_SIZE=2 * 1024 * 1024,
        # How long a form posted after its session ended is kept for signing in again and saving it.
        HELD_FORM_HOURS=24,
        # Days after a round is published that its individual answers are anonymised by `assess retention`
        # (None: kept). The agreed response is always kept.
        INDIVIDUAL_ANSWERS_RETENTION_DAYS=None,
        INVITATION_DAYS=14,
        # Links in emails start with this, never with a request's Host header (which anyone can forge). Unset, it is
        # the address `make run` serves on (ASSESS_RUN_PORT, which it sets from its PORT).
        BASE_URL=f"http://127.0.0.1:{os.environ.get('ASSESS_RUN_PORT') or 5000}",
        MAIL_BACKEND="outbox",  # or "smtp"
        MAIL_OUTBOX=None,  # default: instance/outbox
        MAIL_SERVER="localhost",
        MAIL_PORT=25,
        MAIL_SECURITY="starttls",  # "starttls", "tls" (implicit, usually port 465) or "none"
        MAIL_USERNAME=None,
        MAIL_PASSWORD=None,
        MAIL_SENDER="no-reply@localhost",
        MAIL_SENDER_NAME=None,  # default: the service name
        SECTOR_THRESHOLD=5,
        # Redis for the job queue and the drawn PDFs, shared by several app servers (None: the instance folder).
        REDIS_URL=None,
        # Run queued jobs at once, in the request that queues them (the tests), rather than in `assess worker`.
        JOBS_IMMEDIATE=False,
        # Drawn PDFs kept in the instance folder (without Redis), and rendered profile pages kept by each process.
        PDF_CACHE_FILES=2000,
        PROFILE_CACHE_PAGES=200,
    )
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
    for variable, setting in ENVIRONMENT_SETTINGS.items():
        if os.environ.get(variable):
            app.config[setting] = os.environ[variable]
    if test_config is not None:
        app.config.update(test_config)
    if int(app.config["SECTOR_THRESHOLD"]) < 3:
        raise ValueError(f"SECTOR_THRESHOLD is {app.config['SECTOR_THRESHOLD']}: it can never be below 3")
    retired = sorted(RETIRED_SETTINGS.keys() & app.config.keys())
    if retired:
        # Ignored silently, a site's tightened sign-in limits would quietly go back to the defaults.
        raise ValueError("; ".join(f"{name} is no longer read: {RETIRED_SETTINGS[name]}" for name in retired))
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _instance_secret_key(instance)


def _instance_secret_key(instance: Path) -> str:
    """Read the secret key kept in the instance folder, generating it on first run.

    A fixed default would let anyone forge session cookies, so a new installation makes its own.
    """
    key_file = instance / "secret_key"
    instance.mkdir(parents=True, exist_ok=True)
    try:
        # Created exclusively and readable by the owner only: two workers starting at once keep one key.
        descriptor = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:
        with os.fdopen(descriptor, "w") as handle:
            handle.write(secrets.token_hex(32))
    return key_file.read_text().strip()
