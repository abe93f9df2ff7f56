"""Database engine and sessions: one SQLAlchemy session per request or CLI command."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, TypeVar

from flask import Flask, current_app, g
from sqlalchemy import DateTime, Dialect, Engine, MetaData, Select, TypeDecorator, create_engine, event
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

# Named constraints keep Alembic migrations identical on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Base class of every model."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


M = TypeVar("M", bound=Base)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp that is always timezone-aware UTC in Python, on SQLite as on PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        # A naive value is taken as UTC, as it reads back on SQLite; PostgreSQL would otherwise
        # take it in the server's time zone.
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        # SQLite keeps no zone (every value written here was UTC); PostgreSQL answers in the
        # session's time zone, which need not be UTC.
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def make_engine(url: str) -> Engine:
    """Create an engine for a database URL, with SQLite set up for concurrent use."""
    # psycopg 3 is the driver installed; `postgres://` is the spelling many hosts hand out.
    for scheme in ("postgresql://", "postgres://"):
        if url.startswith(scheme):
            url = "postgresql+psycopg://" + url.removeprefix(scheme)
    options: dict[str, Any] = {"future": True}
    if url.startswith("sqlite"):
        options["connect_args"] = {"timeout": SQLITE_BUSY_SECONDS}
    else:
        # Pre-ping: a connection the server dropped (a restart) is replaced before a request uses it.
        # A server that cannot be reached at all fails a request within 10 s (the 503 page) rather
        # than holding the worker until gunicorn's timeout kills it.
        options["pool_pre_ping"] = True
        # Give up on an unreachable server after 10 s (a 503 page rather than a stuck worker), and keep
        # sessions in UTC, so that a day worked out in SQL (sector exports) is the day in UTC.
        options["connect_args"] = {"connect_timeout": 10, "options": "-c timezone=UTC"}
    engine = create_engine(url, **options)
    if url.startswith("sqlite"):
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


#: How long a SQLite connection waits for another's write lock before giving up ("database is locked").
SQLITE_BUSY_SECONDS = 30


def _sqlite_pragmas(connection: Any, _record: Any) -> None:
    """Set up every new SQLite connection for several gunicorn workers writing one file."""
    cursor = connection.cursor()
    # SQLite ignores foreign keys unless asked.
    cursor.execute("PRAGMA foreign_keys=ON")
    # WAL: readers never wait for the one writer (nor it for them), so pages keep being served
    # while a save commits; it is a property of the file, set again here in case a copy lost it.
    cursor.execute("PRAGMA journal_mode=WAL")
    # busy_timeout: a writer that finds the write lock taken waits for it (up to 30 s, as the
    # driver's connect timeout asks) rather than failing the save at once with "database is locked".
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_SECONDS * 1000}")
    # synchronous=NORMAL: in WAL mode a commit is still atomic and the file never corrupt; only the
    # last commits before a power cut (not a killed process) can be lost, for an fsync saved per commit.
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def insert_unless_exists(session: Session, model: type[Base], **values: Any) -> bool:
    """Insert a row unless one with the same unique key exists (even one not yet committed); True if inserted.

    ON CONFLICT DO NOTHING makes two simultaneous first saves safe without a failed transaction.
    """
    dialect = session.get_bind().dialect.name
    insert = sqlite_insert if dialect == "sqlite" else postgresql_insert
    table = model.__table__
    # RETURNING says whether a row went in: drivers do not all report a row count for this statement.
    inserted = session.execute(insert(table).values(**values).on_conflict_do_nothing()  # type: ignore[arg-type]
                               .returning(*table.primary_key))
    return inserted.first() is not None


def init_app(app: Flask) -> None:
    """Create the app's engine and session factory and close sessions after each request."""
    engine = make_engine(app.config["DATABASE_URL"])
    app.extensions["assess.engine"] = engine
    app.extensions["assess.sessions"] = sessionmaker(engine, expire_on_commit=False)
    app.teardown_appcontext(close_session)


def engine() -> Engine:
    """The current app's engine."""
    result: Engine = current_app.extensions["assess.engine"]
    return result


def session() -> Session:
    """The session of the current request or command, opened on first use."""
    if "db_session" not in g:
        g.db_session = current_app.extensions["assess.sessions"]()
    result: Session = g.db_session
    return result


def by_id(statement: Select[tuple[M]], model: type[M], id_: int) -> M | None:
    """The row with this id, as ``statement`` (bound to ``:id``) loads it, unless this request already has it.

    Session.get, but with a statement built once: SQLAlchemy finds its compiled form without working
    out the statement's cache key again on every request.
    """
    db_session = session()
    existing = db_session.identity_map.get(db_session.identity_key(model, id_))
    if existing is not None:
        return existing  # type: ignore[no-any-return]
    return db_session.execute(statement, {"id": id_}).unique().scalar_one_or_none()


def close_session(_exc: BaseException | None = None) -> None:
    """Close the session of the request or command, if it opened one, without raising.

    Closing rolls back on the connection; when the database went away meanwhile (a restart, an
    outage) that fails, and the connection is thrown away instead of the error ending the request.
    """
    db_session = g.pop("db_session", None)
    if db_session is None:
        return
    try:
        db_session.close()
    except DBAPIError:
        db_session.invalidate()
