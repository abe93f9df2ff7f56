"""Alembic environment: migrates the engine handed over in the config's attributes."""

from __future__ import annotations

from alembic import context

from assess import models  # noqa: F401  (registers the tables on Base.metadata)
from assess.db import Base

engine = context.config.attributes["engine"]
with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters tables by copying them
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
