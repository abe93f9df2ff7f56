"""Migrations: an empty database and every earlier revision upgrade to head and match the models, on both databases."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask.testing import FlaskCliRunner
from sqlalchemy import Engine, inspect, text

from assess import create_app, migrations
from assess.cli import main
from assess.db import Base, make_engine
from assess.migrations import alembic_config, head, next_revision_id, revisions
from tests.conftest import VALID

REVISIONS = revisions(alembic_config(make_engine("sqlite://")))


@pytest.fixture
def scratch(scratch_url: str) -> Iterator[Engine]:
    """An engine on the empty scratch database."""
    engine = make_engine(scratch_url)
    yield engine
    engine.dispose()


def differences(engine: Engine) -> list[object]:
    """What Alembic finds different between the database's schema and the models."""
    with engine.connect() as connection:
        return list(compare_metadata(MigrationContext.configure(connection, opts={"compare_type": True}),
                                     Base.metadata))


def test_revisions_are_numbered_in_order() -> None:
    assert REVISIONS == [f"{n:04d}" for n in range(1, len(REVISIONS) + 1)]
    assert REVISIONS[-1] == head(alembic_config(make_engine("sqlite://")))


def test_the_migrated_test_database_matches_the_models(migrated_engine: Engine) -> None:
    assert differences(migrated_engine) == []


def test_an_empty_database_upgrades_to_head_and_matches_the_models(scratch: Engine) -> None:
    command.upgrade(alembic_config(scratch), "head")
    assert set(inspect(scratch).get_table_names()) == set(Base.metadata.tables) | {"alembic_version"}
    assert differences(scratch) == []


@pytest.mark.parametrize("earlier", REVISIONS[:-1])
def test_each_earlier_revision_upgrades_to_head(scratch: Engine, earlier: str) -> None:
    config = alembic_config(scratch)
    command.upgrade(config, earlier)
    command.upgrade(config, "head")
    assert differences(scratch) == []


def test_downgrade_to_base_and_upgrade_again(scratch: Engine) -> None:
    config = alembic_config(scratch)
    command.upgrade(config, "head")
    command.downgrade(config, "base")
    assert inspect(scratch).get_table_names() == ["alembic_version"]
    command.upgrade(config, "head")
    assert differences(scratch) == []


def test_0002_gives_old_scores_their_provenance_and_one_overall_row(scratch: Engine) -> None:
    """Scores stored under 0001 (with the duplicate overall row 0001 allowed) survive the upgrade."""
    config = alembic_config(scratch)
    command.upgrade(config, "0001")
    definition = json.dumps({"id": "q", "scoring": {"method": "weakest-link"}})
    submitted = datetime(2026, 5, 1, 9, 30, tzinfo=UTC)
    with scratch.begin() as connection:
        connection.execute(text(
            "INSERT INTO organisation (id, code, name, type, region) VALUES (1, 'T', 'Test', 'County', 'London')"))
        connection.execute(text(
            "INSERT INTO questionnaire_version (id, questionnaire_id, version, title, content_hash, definition, "
            "recorded_at) VALUES (1, 'q', 1, 'Q', 'hash', :definition, :at)"), {"definition": definition,
                                                                              "at": submitted})
        connection.execute(text(
            "INSERT INTO assessment (id, organisation_id, title, status, sharing, created_at) "
            "VALUES (1, 1, 'Round', 'open', 'private', :at)"), {"at": submitted})
        connection.execute(text(
            "INSERT INTO response (id, assessment_id, questionnaire_version_id, kind, status, lock_version, "
            "submitted_at, updated_at) VALUES (1, 1, 1, 'individual', 'submitted', 3, :at, :at)"), {"at": submitted})
        for score_id, section, level in ((1, None, 1), (2, None, 2), (3, "s", 2)):
            connection.execute(text(
                "INSERT INTO score (id, response_id, section_id, level, answered, applicable, explanation) "
                "VALUES (:id, 1, :section, :level, 1, 1, '')"), {"id": score_id, "section": section, "level": level})
    command.upgrade(config, "head")
    with scratch.connect() as connection:
        rows = connection.execute(text(
            "SELECT id, section_id, level, questionnaire_version_id, method, scorer_version FROM score ORDER BY id"
        )).all()
        computed = connection.execute(text("SELECT computed_at FROM score WHERE id = 2")).scalar()
    assert [tuple(row) for row in rows] == [(2, None, 2, 1, "weakest-link", "1"), (3, "s", 2, 1, "weakest-link", "1")]
    assert str(computed).startswith("2026-05-01")
    assert differences(scratch) == []


def test_0006_offers_every_version_recorded_before_it(scratch: Engine) -> None:
    """Versions recorded before 0006 came from the library folder, which offered them: they stay offered."""
    config = alembic_config(scratch)
    command.upgrade(config, "0005")
    with scratch.begin() as connection:
        connection.execute(text(
            "INSERT INTO questionnaire_version (id, questionnaire_id, version, title, content_hash, definition, "
            "recorded_at) VALUES (1, 'q', 1, 'Q', 'hash', '{}', :at)"), {"at": datetime(2026, 5, 1, tzinfo=UTC)})
    command.upgrade(config, "head")
    with scratch.connect() as connection:
        assert connection.execute(text("SELECT status FROM questionnaire_version")).scalar() == "offered"
    assert differences(scratch) == []


def test_0009_gives_stored_scores_the_options_their_version_declares(scratch: Engine) -> None:
    """Scores stored before 0009 were made with their version's options: they get them, and keep their data."""
    config = alembic_config(scratch)
    command.upgrade(config, "0007")
    at = datetime(2026, 5, 1, 9, 30, tzinfo=UTC)
    definitions = {1: {"id": "q", "scoring": {"method": "weighted-mean", "options": {"rounding": "nearest"}}},
                   2: {"id": "r", "scoring": {"method": "staged"}}}
    with scratch.begin() as connection:
        connection.execute(text(
            "INSERT INTO organisation (id, code, name, type, region) VALUES (1, 'T', 'Test', 'County', 'London')"))
        connection.execute(text(
            "INSERT INTO assessment (id, uid, organisation_id, title, status, sharing, expected_groups, "
            "comments_named, created_at) VALUES (1, 'u-1', 1, 'Round', 'open', 'private', '[]', false, :at)"),
            {"at": at})
        for version_id, definition in definitions.items():
            connection.execute(text(
                "INSERT INTO questionnaire_version (id, questionnaire_id, version, title, content_hash, definition, "
                "recorded_at, status) VALUES (:id, :qid, 1, 'Q', 'hash', :definition, :at, 'offered')"),
                {"id": version_id, "qid": definition["id"], "definition": json.dumps(definition), "at": at})
            connection.execute(text(
                "INSERT INTO response (id, assessment_id, questionnaire_version_id, kind, status, submitted_at, "
                "updated_at) VALUES (:id, 1, :id, 'individual', 'submitted', :at, :at)"), {"id": version_id, "at": at})
            connection.execute(text(
                "INSERT INTO score (response_id, questionnaire_version_id, section_id, level, answered, applicable, "
                "explanation, method, scorer_version, computed_at) VALUES (:id, :id, NULL, 3, 2, 2, 'Kept.', "
                ":method, '2', :at)"), {"id": version_id, "method": definition["scoring"]["method"], "at": at})
    command.upgrade(config, "head")
    with scratch.connect() as connection:
        rows = connection.execute(text(
            "SELECT response_id, level, explanation, method, scorer_version, scorer_options FROM score "
            "ORDER BY response_id")).all()
    assert [(*row[:5], json.loads(row[5]) if isinstance(row[5], str) else row[5]) for row in rows] == [
        (1, 3, "Kept.", "weighted-mean", "2", {"rounding": "nearest"}), (2, 3, "Kept.", "staged", "2", {})]
    assert differences(scratch) == []


def test_db_revision_writes_the_next_numbered_revision(scratch_url: str, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "migrations"
    shutil.copytree(migrations.FOLDER, folder, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(migrations, "FOLDER", folder)
    app = create_app({"TESTING": True, "SECRET_KEY": "x", "DATABASE_URL": scratch_url, "QUESTIONNAIRES": str(VALID)})
    runner: FlaskCliRunner = app.test_cli_runner()
    try:
        refused = runner.invoke(main, ["db", "revision", "-m", "too early"])
        assert refused.exit_code == 1 and "run `assess db upgrade` first" in refused.output
        assert runner.invoke(main, ["db", "upgrade"]).exit_code == 0
        number = next_revision_id(alembic_config(app.extensions["assess.engine"]))
        assert number == f"{len(REVISIONS) + 1:04d}"
        result = runner.invoke(main, ["db", "revision", "-m", "add widgets"])
        assert result.exit_code == 0, result.output
        written = folder / "versions" / f"{number}_add_widgets.py"
        assert f"down_revision: str | None = '{REVISIONS[-1]}'" in written.read_text()
        # The models and the database agree, so the new revision changes nothing.
        assert "op." not in written.read_text().split("def upgrade")[1]
        assert runner.invoke(main, ["db", "current"]).output == f"{REVISIONS[-1]}; newest is {number}\n"
    finally:
        app.extensions["assess.engine"].dispose()


def test_participants_migration_asks_everyone_a_round_has_today(scratch: Engine) -> None:
    """Rounds answered before participants existed keep everyone who answered, or accepted an invitation, in them."""
    config = alembic_config(scratch)
    command.upgrade(config, "0007")
    at = datetime(2026, 5, 1, 9, 30, tzinfo=UTC)
    with scratch.begin() as connection:
        connection.execute(text(
            "INSERT INTO organisation (id, code, name, type, region) VALUES (1, 'T', 'Test', 'County', 'London')"))
        for user_id, name in ((1, "officer"), (2, "member"), (3, "invited"), (4, "silent"), (5, "lead")):
            connection.execute(text(
                "INSERT INTO user_account (id, email, name, site_roles, active, created_at, simulated, "
                "session_generation) VALUES (:id, :email, :name, '[]', true, :at, false, 0)"),
                {"id": user_id, "email": f"{name}@example.org", "name": name, "at": at})
        for user_id, role, group in ((1, "respondent", "officer"), (2, "respondent", "member"),
                                     (3, "respondent", "other"), (4, "respondent", "officer"), (5, "lead", "officer")):
            connection.execute(text(
                "INSERT INTO membership (user_id, organisation_id, role, \"group\") VALUES (:id, 1, :role, :group)"),
                {"id": user_id, "role": role, "group": group})
        connection.execute(text(
            "INSERT INTO questionnaire_version (id, questionnaire_id, version, title, content_hash, definition, "
            "recorded_at, status) VALUES (1, 'q', 1, 'Q', 'hash', '{}', :at, 'offered')"), {"at": at})
        for round_id in (1, 2):
            connection.execute(text(
                "INSERT INTO assessment (id, uid, organisation_id, title, status, sharing, expected_groups, "
                "comments_named, created_at, simulated) VALUES (:id, :uid, 1, 'Round', 'open', 'private', '[]', "
                "false, :at, false)"), {"id": round_id, "uid": f"uid-{round_id}", "at": at})
        # Round 1: the officer submitted, the member (no group on the response) started, and the agreed response.
        for response_id, respondent, group, kind in ((1, 1, "officer", "individual"), (2, 2, None, "individual"),
                                                     (3, None, None, "consensus")):
            connection.execute(text(
                "INSERT INTO response (id, assessment_id, questionnaire_version_id, respondent_id, respondent_group, "
                "kind, status, updated_at) VALUES (:id, 1, 1, :who, :group, :kind, 'in-progress', :at)"),
                {"id": response_id, "who": respondent, "group": group, "kind": kind, "at": at})
        # The invited person accepted an invitation to round 1 and has answered nothing yet.
        connection.execute(text(
            "INSERT INTO invitation (token_hash, assessment_id, email, invited_as, \"group\", invited_by_id, "
            "created_at, expires_at, used_at, used_by_id) VALUES ('h', 1, 'invited@example.org', 'respondent', "
            "'other', 5, :at, :at, :at, 3)"), {"at": at})
    command.upgrade(config, "head")
    with scratch.connect() as connection:
        rows = connection.execute(text(
            "SELECT assessment_id, user_id, \"group\", how, added_by_id FROM participant "
            "ORDER BY assessment_id, user_id")).all()
    # Nobody who never answered (the silent member, the lead) is asked; round 2 had nobody.
    assert [tuple(row) for row in rows] == [(1, 1, "officer", "added", None), (1, 2, "member", "added", None),
                                            (1, 3, "other", "invited", 5)]
    assert differences(scratch) == []
