"""Alembic migrations, run through `assess db upgrade` (no alembic.ini needed)."""

from __future__ import annotations

from pathlib import Path

from alembic.config import Config
from sqlalchemy import Engine


def alembic_config(engine: Engine) -> Config:
    """An Alembic configuration that migrates the given engine's database."""
    config = Config()
    config.set_main_option("script_location", str(Path(__file__).parent))
    config.attributes["engine"] = engine
    return config
