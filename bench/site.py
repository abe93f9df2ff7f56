"""A database for the web benchmark and the load test: migrated, with the demo council and respondents of its own."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask
from sqlalchemy import Engine, select, text
from sqlalchemy.engine import make_url

from assess import create_app, db, questionnaire_library
from assess.db import make_engine
from assess.migrations import rebuild
from assess.models import Assessment, JoinedBy, Organisation, OrganisationRole, RespondentGroup
from assess.services import participants
from assess.services.demo import DEMO_ROUND, create_demo
from assess.services.users import add_membership, add_user

PASSWORD = "bench-password-1"
SECRET_KEY = "bench secret key"


def respondent_email(number: int) -> str:
    """The address of the benchmark's respondent ``number`` (each saves only their own answers)."""
    return f"respondent-{number}@bench.example"


def create_database_if_missing(url: str) -> None:
    """Create the PostgreSQL database ``url`` names unless it exists (SQLite creates its file itself)."""
    if not url.startswith("postgres"):
        return
    name = make_url(url).database
    admin = make_engine(make_url(url).set(database="postgres").render_as_string(hide_password=False))
    with admin.execution_options(isolation_level="AUTOCOMMIT").connect() as connection:
        if not connection.scalar(text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}):
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()


@dataclass(frozen=True)
class Site:
    """The benchmark's database: its address and the demo round."""

    url: str
    round_id: int

    def engine(self) -> Engine:
        """A new engine on the database (dispose of it after use)."""
        return make_engine(self.url)


def build_site(url: str, respondents: int) -> Site:
    """Empty and migrate the database, then add the demo council and ``respondents`` respondents of the demo round."""
    create_database_if_missing(url)
    engine = make_engine(url)
    rebuild(engine)
    engine.dispose()
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": SECRET_KEY})
    round_id = add_demo(app, respondents)
    app.extensions["assess.engine"].dispose()
    return Site(url, round_id)


def add_demo(app: Flask, respondents: int = 0) -> int:
    """The demo council (every password PASSWORD) and ``respondents`` respondents of its own; the demo round's id."""
    with app.app_context():
        session = db.session()
        create_demo(session, questionnaire_library(app), PASSWORD)
        council = session.scalar(select(Organisation).filter_by(code="DEMO"))
        demo_round = session.scalar(select(Assessment).filter_by(title=DEMO_ROUND))
        assert council is not None and demo_round is not None
        for number in range(respondents):
            person = add_user(session, respondent_email(number), f"Respondent {number}", PASSWORD, ())
            add_membership(session, person, council, OrganisationRole.RESPONDENT, RespondentGroup.OFFICER)
            participants.join(session, demo_round, person, RespondentGroup.OFFICER, JoinedBy.ADDED, None)
        session.commit()
        return demo_round.id


def server_environment(url: str, instance: str) -> dict[str, str]:
    """The environment gunicorn serves the app on database ``url`` with."""
    return {"ASSESS_DATABASE_URL": url, "ASSESS_SECRET_KEY": SECRET_KEY, "ASSESS_INSTANCE_PATH": instance}
