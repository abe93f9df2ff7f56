"""Alembic migrations, run through `assess db ...` (no alembic.ini needed)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, MetaData, text

FOLDER = Path(__file__).parent


def alembic_config(engine: Engine) -> Config:
    """An Alembic configuration that migrates the given engine's database."""
    config = Config()
    config.set_main_option("script_location", str(FOLDER))
    # Files read in order: 0002_add_assignments.py after 0001_initial_schema.py.
    config.set_main_option("file_template", "%%(rev)s_%%(slug)s")
    config.attributes["engine"] = engine
    return config


def revisions(config: Config) -> list[str]:
    """Every revision id, oldest first."""
    return [script.revision for script in reversed(list(ScriptDirectory.from_config(config).walk_revisions()))]


def next_revision_id(config: Config) -> str:
    """The id for a new revision: the next number after the newest, four digits ("0003")."""
    numbers = [int(revision) for revision in revisions(config) if revision.isdigit()]
    return f"{max(numbers, default=0) + 1:04d}"


def head(config: Config) -> str | None:
    """The newest revision id."""
    return ScriptDirectory.from_config(config).get_current_head()


def current_revision(engine: Engine) -> str | None:
    """The revision the database's schema is at (None for an empty database)."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def rebuild(engine: Engine) -> None:
    """Drop every table of the database (the Alembic version too) and migrate it from empty to the newest schema."""
    existing = MetaData()
    existing.reflect(engine)
    existing.drop_all(engine)
    with engine.begin() as connection:
        connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
    command.upgrade(alembic_config(engine), "head")
