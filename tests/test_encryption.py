"""Two-factor secrets are encrypted at rest (Fernet), under ENCRYPTION_KEY or a key derived from SECRET_KEY."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pyotp
import pytest
from alembic import command
from cryptography.fernet import Fernet
from flask import Flask
from sqlalchemy import Engine, select, text

from assess import create_app, db, encryption
from assess.cli import main
from assess.db import make_engine
from assess.migrations import alembic_config
from assess.models import AuditEvent, User
from assess.services.passwords import CodeRefused, check_code, enable_two_factor, new_totp_secret
from tests.conftest import VALID, Places, csrf_token, signed_in_client

#: The revision before the one that encrypts secrets and gives rounds uids (0007).
BEFORE = "0006"


def _lead(app: Flask) -> User:
    user = db.session().scalar(select(User).filter_by(email="lead@example.org"))
    assert user is not None
    return user


def _turn_on(app: Flask) -> str:
    """Set up two-factor sign-in for the lead; the secret."""
    secret = new_totp_secret()
    with app.app_context():
        assert enable_two_factor(db.session(), _lead(app), secret, pyotp.TOTP(secret).now())
        db.session().commit()
    return secret


def _stored(app: Flask) -> str:
    with app.app_context():
        stored = db.session().scalar(select(User.totp_secret).filter_by(email="lead@example.org"))
    assert stored is not None
    return stored


def test_the_secret_is_stored_encrypted_and_codes_still_work(fixture_app: Flask, places: Places) -> None:
    secret = _turn_on(fixture_app)
    stored = _stored(fixture_app)
    assert secret not in stored and encryption.is_encrypted(stored)
    # Under the key derived from SECRET_KEY, as no ENCRYPTION_KEY is set.
    derived = Fernet(encryption.derived_key(fixture_app.config["SECRET_KEY"]))
    assert derived.decrypt(stored.encode()).decode() == secret
    with fixture_app.app_context():
        db.session().execute(text("UPDATE user_account SET totp_last_step = 0"))
        check_code(db.session(), _lead(fixture_app), pyotp.TOTP(secret).now())


def test_a_dedicated_key_encrypts_and_older_secrets_can_be_rotated_to_it(fixture_app: Flask, places: Places) -> None:
    secret = _turn_on(fixture_app)
    before = _stored(fixture_app)
    key = Fernet.generate_key().decode()
    fixture_app.config["ENCRYPTION_KEY"] = f"{key}, {Fernet.generate_key().decode()}"
    encryption.init_app(fixture_app)
    with fixture_app.app_context():
        assert encryption.decrypt(before) == secret  # written under the derived key, still readable
    rotated = fixture_app.test_cli_runner().invoke(main, ["secrets", "rotate"])
    assert rotated.exit_code == 0 and "1 two-factor secret(s)" in rotated.output
    after = _stored(fixture_app)
    assert after != before and Fernet(key).decrypt(after.encode()).decode() == secret
    with fixture_app.app_context():
        assert db.session().scalar(select(AuditEvent.detail).filter_by(action="secrets-rotated")) == {
            "two_factor_secrets": 1}


def test_a_secret_no_key_in_force_can_read_is_refused_clearly(fixture_app: Flask, places: Places) -> None:
    secret = _turn_on(fixture_app)
    fixture_app.config["SECRET_KEY"] = "a different secret key"
    encryption.init_app(fixture_app)
    with fixture_app.app_context(), pytest.raises(CodeRefused, match="ask an admin to turn it off"):
        check_code(db.session(), _lead(fixture_app), pyotp.TOTP(secret).now())
    rotated = fixture_app.test_cli_runner().invoke(main, ["secrets", "rotate"])
    assert rotated.exit_code == 1 and "nothing was changed" in rotated.output


@pytest.mark.parametrize("bad", ["not a key", "c2hvcnQ=", f"{Fernet.generate_key().decode()},x"])
def test_a_bad_encryption_key_stops_the_app_starting(tmp_path: Path, bad: str) -> None:
    with pytest.raises(ValueError, match="ENCRYPTION_KEY: key [12] is not a Fernet key"):
        create_app({"TESTING": True, "SECRET_KEY": "x", "DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite'}",
                    "QUESTIONNAIRES": str(VALID), "ENCRYPTION_KEY": bad})


def test_the_secret_being_set_up_is_encrypted_in_the_session_cookie(fixture_app: Flask, places: Places) -> None:
    client = signed_in_client(fixture_app, "lead")
    page = client.get("/account/two-factor").get_data(as_text=True)
    shown = re.search(r'<code class="app-setup-key">([A-Z2-7]+)</code>', page)
    assert shown
    cookie = client.get_cookie("session")
    assert cookie is not None
    serializer = fixture_app.session_interface.get_signing_serializer(fixture_app)  # type: ignore[attr-defined]
    contents = serializer.loads(cookie.value)
    assert shown.group(1) not in str(contents) and encryption.is_encrypted(contents["totp_setup"])
    # The same secret is offered again on the next visit, and its code turns two-factor sign-in on.
    assert shown.group(1) in client.get("/account/two-factor").get_data(as_text=True)
    code = pyotp.TOTP(shown.group(1)).now()
    assert client.post("/account/two-factor", data={"csrf_token": csrf_token(page), "code": code}).status_code == 302


@pytest.fixture
def scratch(scratch_url: str) -> Iterator[Engine]:
    """An engine on the empty scratch database."""
    engine = make_engine(scratch_url)
    yield engine
    engine.dispose()


def test_the_migration_encrypts_existing_secrets_gives_rounds_uids_and_the_downgrade_undoes_it(
        scratch: Engine, scratch_url: str) -> None:
    config = alembic_config(scratch)
    command.upgrade(config, BEFORE)
    with scratch.begin() as connection:
        connection.execute(text("INSERT INTO user_account (id, email, name, site_roles, active, created_at, "
                                "simulated, session_generation, totp_secret) VALUES (1, 'a@example.org', 'A', '[]', "
                                "true, '2026-01-01 00:00:00', false, 0, 'JBSWY3DPEHPK3PXP')"))
        connection.execute(text("INSERT INTO organisation (id, code, name, type, region) "
                                "VALUES (1, 'T', 'Test', 'County', 'London')"))
        for round_id in (1, 2):  # rounds made before uids get one each
            connection.execute(text("INSERT INTO assessment (id, organisation_id, title, status, sharing, "
                                    "expected_groups, comments_named, created_at, simulated) VALUES "
                                    f"({round_id}, 1, 'Round', 'open', 'private', '[]', false, '2026-01-01 00:00:00', "
                                    "false)"))
    with pytest.raises(RuntimeError, match="needs the app's keys"):
        command.upgrade(config, "head")  # no app, no keys: nothing is changed
    app = create_app({"TESTING": True, "SECRET_KEY": "migration key", "DATABASE_URL": scratch_url,
                      "QUESTIONNAIRES": str(VALID)})
    try:
        with app.app_context():
            command.upgrade(config, "head")
            with scratch.connect() as connection:
                stored = connection.execute(text("SELECT totp_secret FROM user_account")).scalar_one()
            assert encryption.is_encrypted(stored) and encryption.decrypt(stored) == "JBSWY3DPEHPK3PXP"
            with scratch.connect() as connection:
                uids = connection.execute(text("SELECT uid FROM assessment")).scalars().all()
            assert len(set(uids)) == 2 and all(len(uid) == 36 for uid in uids)
            command.downgrade(config, BEFORE)
        with scratch.connect() as connection:
            assert connection.execute(text("SELECT totp_secret FROM user_account")).scalar_one() == "JBSWY3DPEHPK3PXP"
    finally:
        app.extensions["assess.engine"].dispose()
