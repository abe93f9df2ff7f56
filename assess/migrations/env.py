"""Alembic environment: migrates the engine handed over in the config's attributes."""

from __future__ import annotations

from alembic import context
from sqlalchemy import text

from assess import models  # noqa: F401  (registers the tables on Base.metadata)
from assess.db import Base

engine = context.config.attributes["engine"]
with engine.connect() as connection:
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        # SQLite alters a table by copying it and dropping the old one; with foreign keys on, that
        # drop would cascade and delete every child row (scores, answers). Off for the migration only;
        # the pragma has no effect inside a transaction, so it is set before one begins.
        connection.execute(text("PRAGMA foreign_keys=OFF"))
        connection.commit()
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=sqlite,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
    if sqlite:
        connection.execute(text("PRAGMA foreign_keys=ON"))
        connection.commit()
