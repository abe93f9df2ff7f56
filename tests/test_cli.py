"""The `assess` command line: validate, score, db upgrade, questionnaires sync, orgs import, users add, demo."""

from __future__ import annotations

import http.server
import json
import os
import shutil
import socket
import subprocess
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import Engine, func, inspect, select, text
from werkzeug.security import check_password_hash

from assess import create_app, db
from assess.cli import main
from assess.config import SHIPPED_QUESTIONNAIRES
from assess.db import Base, make_engine
from assess.mail import external_url
from assess.migrations import alembic_config, head
from assess.models import (
    Assessment,
    AssessmentStatus,
    AuditEvent,
    Membership,
    Organisation,
    QuestionnaireVersion,
    Response,
    ResponseStatus,
    Score,
    User,
)
from assess.policy import Action, allowed
from assess.services.demo import DEMO_ROUND, LAST_YEAR
from assess.services.participants import participants_of
from assess.services.responses import individual_response, save_answers, submit_response
from scoring import Answer
from tests.conftest import FIXTURES, FULL, INVALID, REGISTER, ROOT, VALID, Places, empty_tables

ANSWERS = FIXTURES / "answers"
REGISTERS = FIXTURES / "registers"


@pytest.fixture
def fixture_runner(fixture_app: Flask) -> FlaskCliRunner:
    return fixture_app.test_cli_runner()


def count(app: Flask, model: type[Base]) -> int:
    with app.app_context():
        return db.session().scalar(select(func.count()).select_from(model)) or 0


# validate


def test_validate_valid_files() -> None:
    result = CliRunner().invoke(main, ["validate", str(VALID)])
    assert (result.exit_code, result.stdout, result.stderr) == (0, "", "2 valid, 0 invalid\n")


def test_validate_lists_every_problem_and_fails() -> None:
    paths = [str(VALID), str(INVALID / "statements-levels.yaml"), str(INVALID / "missing-key.yaml")]
    result = CliRunner().invoke(main, ["validate", *paths])
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        f"{INVALID / 'missing-key.yaml'}:2:1: missing required key 'title': add `title:` here",
        f"{INVALID / 'statements-levels.yaml'}:17:9: no statement for level 3: add `3: ...` "
        "(one statement per scale level)",
        f"{INVALID / 'statements-levels.yaml'}:20:11: level 4 is not on the scale (1, 2, 3): remove it",
    ]
    assert result.stderr == "2 valid, 2 invalid\n"


def test_validate_the_whole_invalid_folder() -> None:
    result = CliRunner().invoke(main, ["validate", str(INVALID)])
    assert result.exit_code == 1
    assert len(result.stdout.splitlines()) == 20
    assert all(line.startswith(str(INVALID) + "/") for line in result.stdout.splitlines())
    assert result.stderr == "0 valid, 18 invalid\n"


def test_validate_defaults_to_the_configured_library(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "library").mkdir()
    shutil.copy(FULL, tmp_path / "library")
    monkeypatch.setenv("ASSESS_QUESTIONNAIRES", str(tmp_path / "library"))
    monkeypatch.setenv("ASSESS_INSTANCE_PATH", str(tmp_path / "instance"))
    result = CliRunner().invoke(main, ["validate"])
    assert (result.exit_code, result.stdout, result.stderr) == (0, "", "1 valid, 0 invalid\n")


def test_validate_lists_the_problems_of_a_broken_configured_library(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASSESS_QUESTIONNAIRES", str(INVALID))
    monkeypatch.setenv("ASSESS_INSTANCE_PATH", str(tmp_path / "instance"))
    result = CliRunner().invoke(main, ["validate"])
    assert result.exit_code == 1
    assert str(INVALID / "unknown-key.yaml") in result.stdout and result.stderr.endswith(" invalid\n")


def test_validate_a_missing_path(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["validate", str(tmp_path / "nothing")])
    assert result.exit_code == 1
    assert result.stdout == f"{tmp_path / 'nothing'}:1:1: no such file or folder\n"
    assert result.stderr == "0 valid, 1 invalid\n"


# score

EXPECTED_PROFILE = {
    "id": "full-example",
    "version": 1,
    "method": "weighted-mean",
    "level": 3,
    "label": "Established",
    "value": 3.22,
    "sections": [
        {"id": "strategy", "level": 3, "label": "Established", "value": 3.33, "answered": 2, "applicable": 2,
         "explanation": "Weighted mean of 2 answers is 3.33, which rounds down to Established."},
        {"id": "delivery", "level": 3, "label": "Established", "value": 3.0, "answered": 2, "applicable": 2,
         "explanation": "Weighted mean of 2 answers is 3, which is Established."},
    ],
    "explanation": "Weighted mean of 2 sections is 3.22, which rounds down to Established.",
}


def test_score_json() -> None:
    result = CliRunner().invoke(main, ["score", str(FULL), str(ANSWERS / "full-complete.yaml"), "--json"])
    assert (result.exit_code, result.stderr) == (0, "")
    profile = json.loads(result.stdout)
    assert profile == EXPECTED_PROFILE
    assert list(profile) == ["id", "version", "method", "level", "label", "value", "sections", "explanation"]
    assert [list(s) for s in profile["sections"]] == [
        ["id", "level", "label", "value", "answered", "applicable", "explanation"]] * 2


def test_score_table() -> None:
    result = CliRunner().invoke(main, ["score", str(FULL), str(ANSWERS / "full-complete.yaml")])
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout == (
        "full-example version 1, scored by weighted-mean\n"
        "\n"
        "strategy  Established (3.33)            2/2 answered  "
        "Weighted mean of 2 answers is 3.33, which rounds down to Established.\n"
        "delivery  Established (3)               2/2 answered  Weighted mean of 2 answers is 3, which is Established.\n"
        "\n"
        "Overall   Established (3.22)  Weighted mean of 2 sections is 3.22, which rounds down to Established.\n"
    )


def test_score_partial_answers() -> None:
    result = CliRunner().invoke(main, ["score", str(FULL), str(ANSWERS / "full-partial.yaml"), "--json"])
    assert result.exit_code == 0
    profile = json.loads(result.stdout)
    assert (profile["level"], profile["label"], profile["value"]) == (1, "Starting", 1.0)
    assert profile["sections"][1] == {"id": "delivery", "level": None, "label": None, "value": None, "answered": 0,
                                      "applicable": 1, "explanation": "No scored answers yet."}


def test_score_reports_every_bad_answer() -> None:
    answers = ANSWERS / "full-bad.yaml"
    result = CliRunner().invoke(main, ["score", str(FULL), str(answers)])
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        f"{answers}: has-strategy: answer yes or no",
        f"{answers}: strategy-age: enter a number, like 12 or 3.5",
        f"{answers}: strategy-use: choose one of the levels 1, 2, 3, 4",
        f"{answers}: partners: 'army' is not an option: choose from nhs, police, voluntary",
        f"{answers}: delivery-model: this question does not offer 'not applicable'",
        f"{answers}: no-such-question: no such question in 'full-example'",
    ]


def test_score_reads_answers_the_questionnaire_way(tmp_path: Path) -> None:
    # `on` is not a yes in this format (it would be in YAML 1.1); `true` is.
    answers = tmp_path / "answers.yaml"
    answers.write_text("has-strategy: on\n")
    result = CliRunner().invoke(main, ["score", str(FULL), str(answers)])
    assert (result.exit_code, result.stderr) == (1, f"{answers}: has-strategy: answer yes or no\n")
    answers.write_text("has-strategy: true\ndelivery-model: in-house\n")
    result = CliRunner().invoke(main, ["score", str(FULL), str(answers), "--json"])
    assert result.exit_code == 0
    assert [s["value"] for s in json.loads(result.stdout)["sections"]] == [4.0, 2.0]


def test_score_reports_broken_answers_yaml(tmp_path: Path) -> None:
    answers = tmp_path / "answers.yaml"
    answers.write_text("has-strategy: yes\nhas-strategy: no\n")
    result = CliRunner().invoke(main, ["score", str(FULL), str(answers)])
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == f"{answers}:2:1: duplicate key 'has-strategy': keep only one of them\n"
    answers.write_text("- just\n- a list\n")
    result = CliRunner().invoke(main, ["score", str(FULL), str(answers)])
    assert result.exit_code == 2
    assert result.stderr.endswith(f"Error: {answers}: expected a mapping of question id to answer\n")


def test_score_an_invalid_questionnaire() -> None:
    path = INVALID / "unknown-method.yaml"
    result = CliRunner().invoke(main, ["score", str(path), str(ANSWERS / "full-partial.yaml")])
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == (f"{path}:8:3: unknown scoring method 'average': "
                             "use one of outcomes, staged, weakest-link, weighted-mean\n")


# db upgrade


def test_db_upgrade_creates_a_fresh_sqlite_database(tmp_path: Path) -> None:
    database = tmp_path / "fresh.sqlite"
    app = create_app({"TESTING": True, "SECRET_KEY": "x", "DATABASE_URL": f"sqlite:///{database}",
                      "QUESTIONNAIRES": str(VALID)})
    try:
        for _ in range(2):  # the second run finds nothing to do
            result = app.test_cli_runner().invoke(main, ["db", "upgrade"])
            assert (result.exit_code, result.stdout) == (0, "Database is up to date.\n")
    finally:
        app.extensions["assess.engine"].dispose()
    engine = make_engine(f"sqlite:///{database}")
    try:
        assert set(inspect(engine).get_table_names()) == set(Base.metadata.tables) | {"alembic_version"}
        with engine.connect() as connection:
            newest = head(alembic_config(engine))
            assert connection.execute(text("SELECT version_num FROM alembic_version")).scalars().all() == [newest]
    finally:
        engine.dispose()


# questionnaires sync


def test_questionnaires_sync(fixture_app: Flask, fixture_runner: FlaskCliRunner) -> None:
    result = fixture_runner.invoke(main, ["questionnaires", "sync"])
    assert (result.exit_code, result.stdout) == (0, "recorded   full-example version 1\n"
                                                    "recorded   staged-example version 1\n")
    result = fixture_runner.invoke(main, ["questionnaires", "sync"])
    assert (result.exit_code, result.stdout) == (0, "unchanged  full-example version 1\n"
                                                    "unchanged  staged-example version 1\n")
    assert count(fixture_app, QuestionnaireVersion) == 2


def test_questionnaires_offer_and_retire_by_an_admin_are_audited(fixture_app: Flask,
                                                                 fixture_runner: FlaskCliRunner) -> None:
    fixture_runner.invoke(main, ["questionnaires", "sync"])
    admin = ["--by", "ada@example.org"]
    fixture_runner.invoke(main, ["users", "add", "ada@example.org", "--name", "Ada", "--password", "long enough pw",
                                 "--role", "admin"])
    result = fixture_runner.invoke(main, ["questionnaires", "retire", "full-example", "1", *admin])
    assert (result.exit_code, result.stdout) == (0, "'full-example' version 1 is now retired\n")
    result = fixture_runner.invoke(main, ["questionnaires", "retire", "full-example", "1", *admin])
    assert (result.exit_code, result.stdout) == (0, "'full-example' version 1 is already retired\n")
    result = fixture_runner.invoke(main, ["questionnaires", "versions"])
    assert result.exit_code == 0
    assert [line.split()[:4] for line in result.stdout.splitlines()] == [
        ["full-example", "version", "1", "retired"], ["staged-example", "version", "1", "offered"]]
    result = fixture_runner.invoke(main, ["questionnaires", "offer", "full-example", "1", *admin])
    assert (result.exit_code, result.stdout) == (0, "'full-example' version 1 is now offered\n")
    with fixture_app.app_context():
        actions = db.session().scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions[-2:] == ["questionnaire-retired", "questionnaire-offered"]


@pytest.mark.parametrize(("arguments", "error"), [
    (["retire", "full-example", "1", "--by", "bo@example.org"], "bo@example.org is not an admin"),
    (["retire", "full-example", "2", "--by", "bo@example.org"], "'full-example' version 2 is not recorded"),
    (["offer", "full-example", "1", "--by", "nobody@example.org"], "no account has the email nobody@example.org"),
])
def test_questionnaires_offer_and_retire_refuse_clearly(fixture_runner: FlaskCliRunner, arguments: list[str],
                                                        error: str) -> None:
    fixture_runner.invoke(main, ["questionnaires", "sync"])
    fixture_runner.invoke(main, ["users", "add", "bo@example.org", "--name", "Bo", "--password", "long enough pw",
                                 "--role", "analyst"])
    result = fixture_runner.invoke(main, ["questionnaires", *arguments])
    assert (result.exit_code, result.stdout) == (1, "")
    assert error in result.stderr
    assert "now" not in result.stderr


def test_questionnaires_sync_refuses_a_changed_file(migrated_engine: Engine, database_url: str,
                                                     tmp_path: Path) -> None:
    folder = tmp_path / "library"
    folder.mkdir()
    shutil.copy(FULL, folder)
    settings = {"TESTING": True, "SECRET_KEY": "x", "DATABASE_URL": database_url, "QUESTIONNAIRES": str(folder)}
    try:
        before = create_app(settings)
        assert before.test_cli_runner().invoke(main, ["questionnaires", "sync"]).exit_code == 0
        before.extensions["assess.engine"].dispose()
        (folder / "full.yaml").write_text(FULL.read_text().replace("title: Full example", "title: Renamed"))
        after = create_app(settings)
        result = after.test_cli_runner().invoke(main, ["questionnaires", "sync"])
        after.extensions["assess.engine"].dispose()
        assert (result.exit_code, result.stdout) == (1, "")
        assert result.stderr == (f"{folder / 'full.yaml'}: 'full-example' version 1 is already recorded with "
                                 "different content; raise `version` to 2 to publish the change (responses keep "
                                 "the version they answered)\n")
    finally:
        empty_tables(migrated_engine)


# orgs import


def test_orgs_import_of_a_register(app: Flask, runner: FlaskCliRunner) -> None:
    register = FIXTURES / "registers" / "small.csv"
    result = runner.invoke(main, ["orgs", "import", str(register)])
    assert (result.exit_code, result.stdout) == (0, "6 created, 0 updated, 0 unchanged, 0 skipped\n")
    assert "Importing organisations" in result.stderr
    result = runner.invoke(main, ["orgs", "import", str(register)])
    assert (result.exit_code, result.stdout) == (0, "0 created, 0 updated, 6 unchanged, 0 skipped\n")
    with app.app_context():
        oakfield = db.session().scalar(select(Organisation).filter_by(code="OAK"))
        assert oakfield is not None
        assert (oakfield.name, oakfield.official_name, oakfield.gss_code, oakfield.type, oakfield.region,
                oakfield.population) == ("Oakfield", "London Borough of Oakfield", "E09000914", "London borough",
                                         "London", 259000)


def test_orgs_import_of_the_shared_register_of_english_councils(app: Flask, runner: FlaskCliRunner) -> None:
    """The real register beside the checkout (../shared); CI sets ASSESS_REQUIRE_SHARED_DATA so it never skips."""
    if not REGISTER.exists():
        if os.environ.get("ASSESS_REQUIRE_SHARED_DATA"):
            pytest.fail(f"{REGISTER} is missing, and ASSESS_REQUIRE_SHARED_DATA says it must be there")
        pytest.skip(f"{REGISTER} is not beside this checkout")
    result = runner.invoke(main, ["orgs", "import", str(REGISTER)])
    assert (result.exit_code, result.stdout) == (0, "317 created, 0 updated, 0 unchanged, 0 skipped\n")
    result = runner.invoke(main, ["orgs", "import", str(REGISTER)])
    assert (result.exit_code, result.stdout) == (0, "0 created, 0 updated, 317 unchanged, 0 skipped\n")
    assert count(app, Organisation) == 317
    with app.app_context():
        adur = db.session().scalar(select(Organisation).filter_by(code="ADU"))
        assert adur is not None
        assert (adur.name, adur.official_name, adur.gss_code, adur.type, adur.region, adur.population) == (
            "Adur", "Adur District Council", "E07000223", "Non-metropolitan district", "South East", 64187)
        types = db.session().scalars(select(Organisation.type).distinct()).all()
        assert len(types) >= 5


def test_orgs_import_skips_bad_rows(app: Flask, runner: FlaskCliRunner) -> None:
    register = REGISTERS / "with-bad-rows.csv"
    result = runner.invoke(main, ["orgs", "import", str(register)])
    assert (result.exit_code, result.stdout) == (0, "2 created, 0 updated, 0 unchanged, 5 skipped\n")
    assert [line for line in result.stderr.splitlines() if line.startswith(str(register))] == [
        f"{register}: line 3: 'name' is empty; row skipped",
        f"{register}: line 4: gss_code 'X1234' is not an ONS code like E07000223; row skipped",
        f"{register}: line 5: population 'about 70k' is not a whole number; row skipped",
        f"{register}: line 6: the row has more fields than the header; row skipped",
        f"{register}: line 8: code 'GDA' is already on line 2; row skipped",
    ]
    with app.app_context():
        rows = db.session().execute(select(Organisation.code, Organisation.name, Organisation.official_name,
                                           Organisation.gss_code, Organisation.population)
                                    .order_by(Organisation.code)).all()
    assert [tuple(row) for row in rows] == [
        ("GDA", "Goodtown", "Goodtown Borough Council", "E07000901", 100000),
        ("GDB", "Goodville", None, None, None),
    ]
    # Running it again changes nothing, and says the same about the same rows.
    again = runner.invoke(main, ["orgs", "import", str(register)])
    assert again.stdout == "0 created, 0 updated, 2 unchanged, 5 skipped\n"


def test_orgs_import_updates_changed_rows(app: Flask, runner: FlaskCliRunner, tmp_path: Path) -> None:
    register = tmp_path / "register.csv"
    header = "code,name,type,region,population\n"
    register.write_text(header + "AAA,Alpha,Unitary authority,London,100\nBBB,Beta,Unitary authority,London,200\n")
    assert runner.invoke(main, ["orgs", "import", str(register)]).stdout == (
        "2 created, 0 updated, 0 unchanged, 0 skipped\n")
    register.write_text(header + "AAA,Alpha,Unitary authority,London,150\nBBB,Beta,Unitary authority,London,200\n")
    assert runner.invoke(main, ["orgs", "import", str(register)]).stdout == (
        "0 created, 1 updated, 1 unchanged, 0 skipped\n")
    with app.app_context():
        assert db.session().scalar(select(Organisation.population).filter_by(code="AAA")) == 150


def test_orgs_import_refuses_a_register_without_a_column(app: Flask, runner: FlaskCliRunner) -> None:
    register = REGISTERS / "missing-column.csv"
    result = runner.invoke(main, ["orgs", "import", str(register)])
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == (f"Error: {register}: missing column(s) region; the header needs code, name, type, "
                             "region (and optionally official_name, gss_code, population_2020)\n")
    assert count(app, Organisation) == 0


def test_orgs_import_refuses_a_file_that_is_not_utf8(app: Flask, runner: FlaskCliRunner, tmp_path: Path) -> None:
    register = tmp_path / "latin1.csv"
    register.write_bytes("code,name,type,region\nAAA,Bourne\xe9,Unitary authority,London\n".encode("latin-1"))
    result = runner.invoke(main, ["orgs", "import", str(register)])
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: {register}: cannot read the file as UTF-8 text (")
    assert result.stderr.endswith("); save it as UTF-8 CSV\n")


# users add


def import_fixture_councils(runner: FlaskCliRunner) -> None:
    assert runner.invoke(main, ["orgs", "import", str(REGISTERS / "with-bad-rows.csv")]).exit_code == 0


def test_users_add_with_roles_and_membership(app: Flask, runner: FlaskCliRunner) -> None:
    import_fixture_councils(runner)
    result = runner.invoke(main, ["users", "add", " Ann.Lee@Example.org ", "--name", "Ann Lee",
                                  "--password", "correct horse battery", "--role", "facilitator", "--role", "admin",
                                  "--member-of", "GDA", "--org-role", "lead", "--group", "member"])
    assert (result.exit_code, result.stdout) == (0, "Saved ann.lee@example.org (member of GDA)\n")
    with app.app_context():
        user = db.session().scalar(select(User).filter_by(email="ann.lee@example.org"))
        assert user is not None
        assert (user.name, user.site_roles, user.active) == ("Ann Lee", ["admin", "facilitator"], True)
        assert user.password_hash is not None and check_password_hash(user.password_hash, "correct horse battery")
        [membership] = db.session().scalars(select(Membership).filter_by(user_id=user.id)).all()
        assert (membership.organisation.code, membership.role.value, membership.group.value) == (
            "GDA", "lead", "member")


def test_users_add_again_updates_the_same_user(app: Flask, runner: FlaskCliRunner) -> None:
    import_fixture_councils(runner)
    first = ["users", "add", "bo@example.org", "--name", "Bo", "--password", "first password", "--role", "analyst"]
    assert runner.invoke(main, first).exit_code == 0
    second = ["users", "add", "BO@example.org", "--name", "Bo Smith", "--password", "second password",
              "--member-of", "GDB"]
    result = runner.invoke(main, second)
    assert (result.exit_code, result.stdout) == (0, "Saved bo@example.org (member of GDB)\n")
    with app.app_context():
        [user] = db.session().scalars(select(User)).all()
        assert (user.name, user.site_roles) == ("Bo Smith", ["analyst"])
        assert user.password_hash is not None and check_password_hash(user.password_hash, "second password")
        assert [(m.role.value, m.group.value) for m in user.memberships] == [("respondent", "officer")]


def test_users_add_asks_for_the_password(app: Flask, runner: FlaskCliRunner) -> None:
    result = runner.invoke(main, ["users", "add", "cy@example.org", "--name", "Cy"],
                           input="a long password\na long password\n")
    assert result.exit_code == 0
    assert result.stdout.endswith("Saved cy@example.org\n")
    assert count(app, User) == 1


def test_users_add_refuses_a_short_password(app: Flask, runner: FlaskCliRunner) -> None:
    result = runner.invoke(main, ["users", "add", "dee@example.org", "--name", "Dee", "--password", "short"])
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr.endswith(
        "Error: Invalid value for --password: passwords must be at least 10 characters long\n")
    assert count(app, User) == 0


@pytest.mark.parametrize("email", ["dee.example.org", "dee@example", "dee @example.org", "d" * 250 + "@example.org"])
def test_users_add_refuses_an_unusable_email_as_an_email_problem(app: Flask, runner: FlaskCliRunner,
                                                                 email: str) -> None:
    result = runner.invoke(main, ["users", "add", email, "--name", "Dee", "--password", "long enough pw"])
    assert (result.exit_code, result.stdout) == (2, "")
    assert "Error: Invalid value for EMAIL: " in result.stderr
    assert "password" not in result.stderr
    assert count(app, User) == 0


def test_users_add_refuses_an_unknown_organisation(app: Flask, runner: FlaskCliRunner) -> None:
    result = runner.invoke(main, ["users", "add", "eve@example.org", "--name", "Eve", "--password", "long enough pw",
                                  "--member-of", "NOPE"])
    assert result.exit_code == 2
    assert result.stderr.endswith("Error: Invalid value for --member-of: no organisation has the code 'NOPE'\n")
    assert count(app, User) == 0


def test_users_add_refuses_an_unknown_role(app: Flask, runner: FlaskCliRunner) -> None:
    result = runner.invoke(main, ["users", "add", "fay@example.org", "--name", "Fay", "--password", "long enough pw",
                                  "--role", "superuser"])
    assert result.exit_code == 2
    assert "Invalid value for '--role': 'superuser' is not one of 'admin', 'analyst', 'facilitator'." in result.stderr


# demo

DEMO_EMAILS = ["lead@demo.example", "officer@demo.example", "member@demo.example", "finance@demo.example",
               "digital@demo.example", "ceo@demo.example", "cllr.khan@demo.example", "cllr.lewis@demo.example",
               "cllr.brown@demo.example", "facilitator@demo.example", "analyst@demo.example", "admin@demo.example"]


def demo_counts(app: Flask) -> tuple[int, ...]:
    return tuple(count(app, model) for model in (User, Organisation, Membership, Response, Score,
                                                 QuestionnaireVersion))


def check_demo_output(output: str, password: str) -> None:
    lines = output.splitlines()
    assert lines[:3] == ["Demo council: Demo Borough (code DEMO), rounds 'Before the 2027 peer challenge' (open: every "
                         "respondent is asked) and 'Self-assessment 2025-26' (published: asked 5 of them)", "",
                         "Demo accounts:"]
    accounts = lines[3:3 + len(DEMO_EMAILS)]
    assert [line.split()[0] for line in accounts] == DEMO_EMAILS
    assert all(f"  password: {password}  (" in line for line in accounts)
    assert lines[3 + len(DEMO_EMAILS):] == [
        "", "Invited, not yet joined (their emails, with the links, are in the outbox):",
        "  new.officer@demo.example", "  cllr.new@demo.example"]


def check_officer_submitted(app: Flask, questionnaires: int) -> None:
    with app.app_context():
        session = db.session()
        officer = session.scalar(select(User).filter_by(email="officer@demo.example"))
        assert officer is not None
        # In this year's round (the officer answered last year's too).
        responses = session.scalars(select(Response).join(Assessment).where(
            Response.respondent_id == officer.id, Assessment.title == DEMO_ROUND)).all()
        assert len(responses) == questionnaires
        for response in responses:
            assert response.status == ResponseStatus.SUBMITTED
            assert response.submitted_at is not None and response.submitted_at.tzinfo is not None
            sections = response.questionnaire_version.definition["sections"]
            assert sorted((s.section_id or "") for s in response.scores) == sorted(
                ["", *(section["id"] for section in sections)])
            overall = next(s for s in response.scores if s.section_id is None)
            assert overall.level is not None and overall.explanation
        member = session.scalar(select(User).filter_by(email="member@demo.example"))
        assert member is not None
        [started] = session.scalars(select(Response).filter_by(respondent_id=member.id)).all()
        assert started.status == ResponseStatus.IN_PROGRESS


def check_demo_participants(app: Flask) -> None:
    """The demo's two rounds ask different people: every respondent now, five of them last year (not the lead)."""
    with app.app_context():
        session = db.session()
        asked = {title: {p.user.email for p in participants_of(session, assessment)}
                 for title, assessment in ((a.title, a) for a in session.scalars(select(Assessment)))}
    respondents = {email for email in DEMO_EMAILS if email.startswith(("officer", "member", "finance", "digital",
                                                                       "ceo", "cllr."))}
    assert asked[DEMO_ROUND] == respondents and len(respondents) == 8
    assert asked[LAST_YEAR] == {"officer@demo.example", "finance@demo.example", "cllr.khan@demo.example",
                                "cllr.lewis@demo.example", "ceo@demo.example"}


def test_demo_on_the_fixture_library(fixture_app: Flask, fixture_runner: FlaskCliRunner) -> None:
    result = fixture_runner.invoke(main, ["demo", "--password", "demo password 1"])
    assert result.exit_code == 0, result.output
    check_demo_output(result.stdout, "demo password 1")
    # 12 users, the council, 9 memberships; 12 individual responses (11 submitted: 5 people's to both
    # questionnaires and one person's to full-example) and 3 agreed ones (last year's two, confirmed, and this
    # round's draft); scores for each submitted one (overall and each section: 3 for full-example, 2 for
    # staged-example), so 6 x 5 + 3 = 33; 2 versions.
    assert demo_counts(fixture_app) == (12, 1, 9, 21, 48, 2)
    outbox = sorted((Path(fixture_app.instance_path) / "outbox").glob("*.eml"))
    assert [p.name.split("-", 1)[1] for p in outbox] == ["new.officer@demo.example.eml", "cllr.new@demo.example.eml"]
    check_officer_submitted(fixture_app, 2)
    check_demo_participants(fixture_app)
    again = fixture_runner.invoke(main, ["demo", "--password", "demo password 2"])
    assert again.exit_code == 0, again.output
    check_demo_output(again.stdout, "demo password 2")
    assert demo_counts(fixture_app) == (12, 1, 9, 21, 48, 2)
    with fixture_app.app_context():
        lead = db.session().scalar(select(User).filter_by(email="lead@demo.example"))
        assert lead is not None and lead.password_hash is not None
        assert check_password_hash(lead.password_hash, "demo password 2")


def test_demo_on_the_shipped_library(app: Flask, runner: FlaskCliRunner) -> None:
    result = runner.invoke(main, ["demo", "--password", "demo password 1"])
    assert result.exit_code == 0, result.output
    check_demo_output(result.stdout, "demo password 1")
    shipped = len(app.extensions["assess.library"].files)
    counts = demo_counts(app)
    # Individual responses: 3 people submitted all 7, one 3 and started a 4th, one 2 and started a 3rd, one
    # submitted 1 and one started 1 (30); last year, the 3 who have submitted everything did so too (21);
    # agreed ones: last year's 7 and this round's draft (8).
    assert shipped == 7 and counts[:4] == (12, 1, 9, 59)
    check_officer_submitted(app, shipped)
    again = runner.invoke(main, ["demo", "--password", "demo password 1"])
    assert again.exit_code == 0, again.output
    assert demo_counts(app) == counts


def test_demo_random_passwords(fixture_app: Flask, fixture_runner: FlaskCliRunner) -> None:
    result = fixture_runner.invoke(main, ["demo"])
    assert result.exit_code == 0, result.output
    passwords = [line.split("password: ")[1].split("  (")[0] for line in result.stdout.splitlines()
                 if "password: " in line]
    assert len(passwords) == len(DEMO_EMAILS) == len(set(passwords))
    assert all(len(p) >= 12 for p in passwords)


def test_demo_refuses_a_short_password(fixture_app: Flask, fixture_runner: FlaskCliRunner) -> None:
    result = fixture_runner.invoke(main, ["demo", "--password", "short"])
    assert result.exit_code == 2
    assert result.stderr.endswith(
        "Error: Invalid value for --password: passwords must be at least 10 characters long\n")
    assert demo_counts(fixture_app) == (0, 0, 0, 0, 0, 0)


# a broken library


def test_help_survives_a_broken_library() -> None:
    result = CliRunner().invoke(main, ["--help"], env={"ASSESS_QUESTIONNAIRES": str(INVALID),
                                                       "ASSESS_SECRET_KEY": "not written to instance/"})
    assert result.exit_code == 0
    assert result.stderr == ("Error: the questionnaire library has problems; "
                             "run `assess validate` to list them.\n\n")
    commands = result.stdout.split("Commands:\n")[1].split()
    assert {"db", "demo", "orgs", "questionnaires", "score", "users", "validate"} <= set(commands)


def test_a_command_that_needs_the_library_reports_its_problems(tmp_path: Path) -> None:
    shutil.copy(FULL, tmp_path)
    shutil.copy(INVALID / "duplicate-key.yaml", tmp_path)
    env = {"ASSESS_QUESTIONNAIRES": str(tmp_path), "ASSESS_DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite'}",
           "ASSESS_SECRET_KEY": "not written to instance/"}
    result = CliRunner().invoke(main, ["questionnaires", "sync"], env=env)
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == ("Error: the questionnaire library has problems:\n"
                             f"{tmp_path / 'duplicate-key.yaml'}:17:9: duplicate key 'text': keep only one of them\n")


def test_db_upgrade_needs_no_questionnaire_library(tmp_path: Path) -> None:
    env = {"ASSESS_QUESTIONNAIRES": str(INVALID), "ASSESS_DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite'}",
           "ASSESS_SECRET_KEY": "not written to instance/", "ASSESS_INSTANCE_PATH": str(tmp_path / "instance")}
    result = CliRunner().invoke(main, ["db", "upgrade"], env=env)
    assert (result.exit_code, result.stdout) == (0, "Database is up to date.\n")
    assert f"the questionnaire library {INVALID} has" in result.stderr and "run `assess validate`" in result.stderr
    assert CliRunner().invoke(main, ["db", "current"], env=env).stdout.endswith("(up to date)\n")


# doctor


def test_doctor_prints_the_settings_in_force_and_what_needs_attention(tmp_path: Path) -> None:
    instance = tmp_path / "instance"
    env = {"ASSESS_QUESTIONNAIRES": str(VALID), "ASSESS_DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite'}",
           "ASSESS_INSTANCE_PATH": str(instance)}
    before = CliRunner().invoke(main, ["doctor"], env=env)
    assert before.exit_code == 1
    assert f"Instance folder    {instance}\n" in before.stdout
    assert f"Secret key         generated into {instance / 'secret_key'}" in before.stdout
    assert "Schema             empty; newest is" in before.stdout and "run `assess db upgrade`" in before.stdout
    assert f"Questionnaires     {VALID}: 2 valid\n" in before.stdout
    assert CliRunner().invoke(main, ["db", "upgrade"], env=env).exit_code == 0
    after = CliRunner().invoke(main, ["doctor"], env={**env, "ASSESS_SECRET_KEY": "s3cret"})
    assert after.exit_code == 0, after.stdout
    assert "(up to date)" in after.stdout and "Secret key         from ASSESS_SECRET_KEY" in after.stdout
    assert "Encryption key     derived from the secret key" in after.stdout
    key = "x" * 43 + "="
    dedicated = CliRunner().invoke(main, ["doctor"], env={**env, "ASSESS_ENCRYPTION_KEY": key})
    assert "Encryption key     ENCRYPTION_KEY (1 key(s)" in dedicated.stdout and key not in dedicated.stdout
    assert "s3cret" not in after.stdout and "[needs attention]" not in after.stdout
    broken = CliRunner().invoke(main, ["doctor"], env={**env, "ASSESS_QUESTIONNAIRES": str(INVALID)})
    assert broken.exit_code == 1 and "invalid: run `assess validate`  [needs attention]" in broken.stdout


def test_doctor_hides_the_database_password(tmp_path: Path) -> None:
    env = {"ASSESS_DATABASE_URL": "postgresql://assess:hunter22@127.0.0.1:1/assess",
           "ASSESS_INSTANCE_PATH": str(tmp_path), "ASSESS_QUESTIONNAIRES": str(VALID)}
    result = CliRunner().invoke(main, ["doctor"], env=env)
    assert result.exit_code == 1 and "hunter22" not in result.stdout
    assert "Database           postgresql://assess:***@127.0.0.1:1/assess" in result.stdout
    assert "Schema             cannot reach the database: OperationalError" in result.stdout


# questionnaires copy


def test_questionnaires_copy_puts_the_standard_library_in_a_new_folder(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["questionnaires", "copy", str(tmp_path / "mine")])
    assert result.exit_code == 0
    copied = sorted(p.name for p in (tmp_path / "mine").glob("*.yaml"))
    assert copied == sorted(p.name for p in SHIPPED_QUESTIONNAIRES.glob("*.yaml")) and len(copied) == 7
    again = CliRunner().invoke(main, ["questionnaires", "copy", str(tmp_path / "mine")])
    assert again.exit_code == 1 and "is not empty" in again.stderr


# rescore and assign-facilitator


def test_rescore_all_renews_stored_scores_and_lists_what_changed(fixture_app: Flask, places: Places,
                                                                 fixture_runner: FlaskCliRunner) -> None:
    with fixture_app.app_context():
        session = db.session()
        overall = session.scalar(select(Score).where(Score.section_id.is_(None),
                                                     Score.response_id == places.own.response_id))
        assert overall is not None and overall.level == 1
        overall.level = 4  # changed behind the scorer's back: same scorer, version and options
        session.commit()
    untouched = fixture_runner.invoke(main, ["rescore"])
    assert untouched.stdout.endswith("2 submitted response(s), 0 rescored, 0 score(s) changed\n")
    dry = fixture_runner.invoke(main, ["rescore", "--all", "--dry-run"])
    assert dry.exit_code == 0
    assert (f"round 'Own round' ({_round_uid(fixture_app, places.own.round_id)}) response {places.own.response_id} "
            "full-example v1 (overall): Leading") in dry.stdout and "-> Starting" in dry.stdout
    assert dry.stdout.endswith("2 submitted response(s), 2 rescored, 1 score(s) would change; nothing was saved\n")
    with fixture_app.app_context():
        assert db.session().scalar(select(Score.level).where(Score.response_id == places.own.response_id,
                                                             Score.section_id.is_(None))) == 4
    done = fixture_runner.invoke(main, ["rescore", "--all"])
    assert done.stdout.endswith("2 submitted response(s), 2 rescored, 1 score(s) changed\n")
    with fixture_app.app_context():
        assert db.session().scalar(select(Score.level).where(Score.response_id == places.own.response_id,
                                                             Score.section_id.is_(None))) == 1
    assert fixture_runner.invoke(main, ["rescore", "--all"]).stdout.endswith(
        "2 submitted response(s), 2 rescored, 0 score(s) changed\n")


def _round_uid(app: Flask, round_id: int) -> str:
    with app.app_context():
        assessment = db.session().get(Assessment, round_id)
        assert assessment is not None
        return assessment.uid


def _scored_by_version_2(app: Flask, places: Places, status: AssessmentStatus = AssessmentStatus.OPEN) -> int:
    """A submitted staged response (stage 2 missed) whose stored scores are version 2's Managed; its id."""
    with app.app_context():
        session = db.session()
        assessment = session.get(Assessment, places.own.round_id)
        respondent = session.get(User, places.own.person_id)
        assert assessment is not None and respondent is not None
        staged = assessment.questionnaires[1].questionnaire_version
        response = individual_response(session, assessment, staged, respondent, "member")
        save_answers(session, response, {"has-policy": Answer("yes"), "tested": Answer("no"),
                                         "improved": Answer("yes")}, respondent)
        submit_response(session, response, respondent)
        assert [score.level for score in response.scores] == [1, 1]  # Basic: it stops at the missed stage 2
        for score in response.scores:  # what version 2 stored: one missed stage cost one level, to Managed
            score.level, score.scorer_version, score.explanation = 2, "2", "Reached Managed; Optimised needs: tested."
        assessment.status = status
        session.commit()
        return response.id


def test_rescore_rescores_what_an_older_scorer_made_and_reports_each_level_that_changes(
    fixture_app: Flask, places: Places, fixture_runner: FlaskCliRunner
) -> None:
    """A staged file scored by version 2's lenient rule is put back to the format's rule, in the open."""
    staged_id = _scored_by_version_2(fixture_app, places)
    result = fixture_runner.invoke(main, ["rescore"])
    assert result.exit_code == 0
    uid = _round_uid(fixture_app, places.own.round_id)
    lines = result.stdout.splitlines()
    assert lines == [
        f"round 'Own round' ({uid}) response {staged_id} staged-example v1 (overall): "
        "Managed: Reached Managed; Optimised needs: tested. -> Basic: Held at Basic by: Controls.",
        f"round 'Own round' ({uid}) response {staged_id} staged-example v1 controls: "
        "Managed: Reached Managed; Optimised needs: tested. -> Basic: Reached Basic; Managed needs: tested.",
        "3 submitted response(s), 1 rescored, 2 score(s) changed",
    ]
    with fixture_app.app_context():
        session = db.session()
        rows = session.scalars(select(Score).filter_by(response_id=staged_id)).all()
        assert {(row.level, row.method, row.scorer_version, json.dumps(row.scorer_options)) for row in rows} == {
            (1, "staged", "3", "{}")}
        event = session.scalar(select(AuditEvent).filter_by(action="response-rescored"))
        assert event is not None and event.subject == f"response:{staged_id}" and event.detail is not None
        assert event.detail["made_by"] == {"method": "staged", "scorer_version": "2", "scorer_options": {}}
        assert [(c["section"], c["level_before"], c["level_after"]) for c in event.detail["changes"]] == [
            (None, 2, 1), ("controls", 2, 1)]
    assert fixture_runner.invoke(main, ["rescore"]).stdout.endswith("3 submitted response(s), 0 rescored, "
                                                                    "0 score(s) changed\n")


def test_rescore_leaves_a_published_rounds_levels_as_published_unless_asked(
    fixture_app: Flask, places: Places, fixture_runner: FlaskCliRunner
) -> None:
    staged_id = _scored_by_version_2(fixture_app, places, AssessmentStatus.PUBLISHED)

    def levels() -> set[int | None]:
        with fixture_app.app_context():
            return set(db.session().scalars(select(Score.level).filter_by(response_id=staged_id)))

    left = fixture_runner.invoke(main, ["rescore"])
    assert left.exit_code == 0 and left.stdout.splitlines() == [
        "3 submitted response(s), 0 rescored, 1 in published rounds left as published (--include-published to "
        "rescore them), 0 score(s) changed"]
    assert levels() == {2}
    renewed = fixture_runner.invoke(main, ["rescore", "--include-published"])
    assert renewed.exit_code == 0 and "1 rescored, 2 score(s) changed" in renewed.stdout
    assert levels() == {1}


def test_assign_facilitator_obeys_the_access_policy(fixture_app: Flask, places: Places,
                                                     fixture_runner: FlaskCliRunner) -> None:
    code, round_id = places.own.code, places.own.round_id
    refused = fixture_runner.invoke(main, ["rounds", "assign-facilitator", code, str(round_id),
                                           "facilitator@example.org", "--by", "respondent@example.org"])
    assert refused.exit_code == 1 and "is neither OWN's lead nor an admin" in refused.stderr
    not_one = fixture_runner.invoke(main, ["rounds", "assign-facilitator", code, str(round_id),
                                           "analyst@example.org", "--by", "admin@example.org"])
    assert not_one.exit_code == 1 and "does not have the facilitator role" in not_one.stderr
    other_code, other_round = places.other.code, places.other.round_id
    assigned = fixture_runner.invoke(main, ["rounds", "assign-facilitator", other_code, str(other_round),
                                            "facilitator@example.org", "--by", "admin@example.org"])
    assert assigned.exit_code == 0, assigned.output
    with fixture_app.app_context():
        facilitator = db.session().scalar(select(User).filter_by(email="facilitator@example.org"))
        assessment = db.session().get(Assessment, other_round)
        assert facilitator is not None and assessment is not None
        assert allowed(db.session(), facilitator, Action.FACILITATE, assessment)
    missing = fixture_runner.invoke(main, ["rounds", "assign-facilitator", code, "99999999999", "x", "--by", "y"])
    assert missing.exit_code == 1 and f"{code} has no round with id 99999999999" in missing.stderr


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_doctor_warns_when_the_base_address_does_not_answer_and_says_when_it_does(tmp_path: Path) -> None:
    port = _free_port()
    env = {"ASSESS_QUESTIONNAIRES": str(VALID), "ASSESS_DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite'}",
           "ASSESS_INSTANCE_PATH": str(tmp_path), "ASSESS_BASE_URL": f"http://127.0.0.1:{port}"}
    silent = CliRunner().invoke(main, ["doctor"], env=env)
    assert f"Base address       http://127.0.0.1:{port} — warning: http://127.0.0.1:{port}/healthz does not " \
           "answer" in silent.stdout
    assert "set ASSESS_BASE_URL to the address people reach the service at" in silent.stdout

    class Health(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (the name http.server calls)
            self.send_response(200 if self.path == "/healthz" else 404)
            self.end_headers()

        def log_message(self, *_args: object) -> None:
            pass

    server = http.server.HTTPServer(("127.0.0.1", port), Health)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        answering = CliRunner().invoke(main, ["doctor"], env=env)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
    assert f"Base address       http://127.0.0.1:{port} (answers)\n" in answering.stdout


def test_make_run_links_emails_to_the_port_it_serves_on(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    recipe = subprocess.run(["make", "-n", "run", "PORT=5151"], cwd=ROOT, capture_output=True, text=True,
                            check=True).stdout
    assert "export ASSESS_RUN_PORT=5151;" in recipe and "assess run --port 5151" in recipe
    monkeypatch.setenv("ASSESS_RUN_PORT", "5151")
    monkeypatch.delenv("ASSESS_BASE_URL", raising=False)
    app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite'}", "SECRET_KEY": "k"})
    with app.app_context():
        assert external_url("auth.reset_request_page").startswith("http://127.0.0.1:5151/")
