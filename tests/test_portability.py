"""Moving a round between installations: `assess export` and `assess import`, nothing lost, conflicts refused."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from assess import create_app, db, questionnaire_library
from assess.cli import main
from assess.db import Base, make_engine
from assess.migrations import alembic_config
from assess.models import (
    ActionStatus,
    Assessment,
    AssessmentStatus,
    AuditEvent,
    JoinedBy,
    Organisation,
    QuestionnaireVersion,
    RespondentGroup,
    Response,
    Sharing,
    User,
    VersionStatus,
)
from assess.services import participants
from assess.services.agreement import ActionDetails, agreed_response, save_action, set_targets
from assess.services.demo import demo_answers
from assess.services.portability import FORMAT_VERSION, ImportRefused, read_export
from assess.services.questionnaires import questionnaire_of, record_library
from assess.services.responses import (
    individual_response,
    return_response,
    save_answers,
    stored_profile,
    submit_response,
)
from assess.services.rounds import change_status
from scoring import Answer
from tests.conftest import VALID, Places


def _user(session: Session, persona: str) -> User:
    user = session.scalar(select(User).filter_by(email=f"{persona}@example.org"))
    assert user is not None
    return user


@pytest.fixture
def rich_round(fixture_app: Flask, places: Places) -> int:
    """The own council's round taken all the way: answers in every state, agreed answers with notes, published."""
    with fixture_app.app_context():
        session = db.session()
        assessment = session.get(Assessment, places.own.round_id)
        assert assessment is not None
        lead, facilitator = _user(session, "lead"), _user(session, "facilitator")
        full, staged = (link.questionnaire_version for link in assessment.questionnaires)
        participants.join(session, assessment, lead, RespondentGroup.OFFICER, JoinedBy.ADDED, lead)
        started = individual_response(session, assessment, staged, lead, "officer")
        save_answers(session, started, {"has-policy": Answer("yes", comment="Since 2024.")}, lead)
        returned = individual_response(session, assessment, full, lead, "officer")
        save_answers(session, returned, demo_answers(questionnaire_of(full), "lead"), lead)
        submit_response(session, returned, lead)
        return_response(session, returned, lead, "Please look at the strategy section again.")
        for version in (full, staged):
            agreed = agreed_response(session, assessment, version, facilitator)
            answers = demo_answers(questionnaire_of(version), "agreed")
            first = next(iter(answers))
            answers[first] = Answer(answers[first].value, comment="Agreed after a long talk: note for the peer team.")
            save_answers(session, agreed, answers, facilitator)
            submit_response(session, agreed, facilitator)
        set_targets(session, assessment, questionnaire_of(full), {"strategy": 3}, facilitator)
        save_action(session, assessment, ActionDetails("full-example", "strategy", "=Write the strategy", "Chief exec",
                                                       date(2027, 3, 31), ActionStatus.IN_PROGRESS), facilitator)
        save_action(session, assessment, ActionDetails("staged-example", None, "Review", None, None,
                                                       ActionStatus.NOT_STARTED), facilitator)
        change_status(session, assessment, AssessmentStatus.IN_REVIEW, lead)
        change_status(session, assessment, AssessmentStatus.PUBLISHED, lead, sharing=Sharing.ANONYMOUS)
        lead.totp_secret = "gAAAAA-not-a-real-token"
        session.commit()
        return assessment.id


@pytest.fixture
def elsewhere(scratch_url: str, tmp_path: Path) -> Iterator[Flask]:
    """Another installation: the app on a fresh, migrated database, with no councils, people or versions."""
    engine = make_engine(scratch_url)
    command.upgrade(alembic_config(engine), "head")
    engine.dispose()
    app = create_app({"TESTING": True, "SECRET_KEY": "another installation", "DATABASE_URL": scratch_url,
                      "QUESTIONNAIRES": str(VALID)})
    app.instance_path = str(tmp_path / "elsewhere")
    yield app
    app.extensions["assess.engine"].dispose()


def _export(app: Flask, code: str, round_id: int, out: Path) -> dict[str, Any]:
    result = app.test_cli_runner().invoke(main, ["export", code, "--round", str(round_id), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert f"Wrote {out}" in result.output and "Exporting responses" in result.output
    exported: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    return exported


def _import(app: Flask, file: Path) -> Any:
    return app.test_cli_runner().invoke(main, ["import", str(file)])


def _row_counts(app: Flask) -> dict[str, int]:
    with app.app_context():
        session = db.session()
        return {table.name: session.scalar(select(func.count()).select_from(table)) or 0
                for table in Base.metadata.sorted_tables}


def _profiles(app: Flask, uid: str) -> dict[tuple[str, str, str], dict[str, Any]]:
    with app.app_context():
        session = db.session()
        assessment = session.scalar(select(Assessment).filter_by(uid=uid))
        assert assessment is not None
        return {(r.questionnaire_version.questionnaire_id, r.kind.value, r.respondent.email if r.respondent else ""):
                stored_profile(r).to_dict() for r in assessment.responses if r.scores}


def _moves(app: Flask) -> list[str]:
    """The audit trail's exports and imports, oldest first."""
    with app.app_context():
        return list(db.session().scalars(select(AuditEvent.action).where(AuditEvent.action.like("round-%ported"))
                                         .order_by(AuditEvent.id)))


def _add_council(app: Flask, code: str = "OWN") -> None:
    with app.app_context():
        db.session().add(Organisation(code=code, name=f"{code} Council", type="District", region="London"))
        db.session().commit()


def test_a_round_goes_to_another_installation_and_back_with_nothing_lost(
        fixture_app: Flask, rich_round: int, elsewhere: Flask, tmp_path: Path) -> None:
    exported = _export(fixture_app, "OWN", rich_round, tmp_path / "round.json")
    assert exported["format_version"] == FORMAT_VERSION
    assert (tmp_path / "round.json").stat().st_mode & 0o777 == 0o600  # it holds answers and names
    assert len(exported["responses"]) == 5 and {r["kind"] for r in exported["responses"]} == {"individual",
                                                                                                "consensus"}
    before = _row_counts(elsewhere)
    refused = _import(elsewhere, tmp_path / "round.json")
    assert refused.exit_code == 1
    assert "$.council.code: OWN (OWN Council) is not in this installation's register" in refused.output
    assert _row_counts(elsewhere) == before  # nothing changed
    _add_council(elsewhere)
    imported = _import(elsewhere, tmp_path / "round.json")
    assert imported.exit_code == 0, imported.output
    assert "5 response(s), 3 new account(s)" in imported.output and "2 new questionnaire version(s)" in imported.output
    with elsewhere.app_context():
        round_id = db.session().scalar(select(Assessment.id).filter_by(uid=exported["round"]["uid"]))
        assert round_id is not None
        # Another installation's versions are staged here: new rounds get them only once an admin offers them.
        assert set(db.session().scalars(select(QuestionnaireVersion.status))) == {VersionStatus.STAGED}
    again = _export(elsewhere, "OWN", round_id, tmp_path / "again.json")
    assert {**again, "exported_at": None} == {**exported, "exported_at": None}
    assert _profiles(elsewhere, exported["round"]["uid"]) == _profiles(fixture_app, exported["round"]["uid"])
    # And back: the round is there already.
    back = _import(fixture_app, tmp_path / "again.json")
    assert back.exit_code == 1 and "this round is here already, as round" in back.output
    assert _moves(fixture_app) == ["round-exported"]
    assert _moves(elsewhere) == ["round-imported", "round-exported"]


def test_an_export_holds_no_password_hash_secret_or_token(fixture_app: Flask, rich_round: int, tmp_path: Path) -> None:
    text = json.dumps(_export(fixture_app, "OWN", rich_round, tmp_path / "round.json"))
    with fixture_app.app_context():
        session = db.session()
        hashes = session.scalars(select(User.password_hash).where(User.password_hash.is_not(None))).all()
        invitation = session.scalar(select(func.count()).select_from(Base.metadata.tables["invitation"]))
    assert hashes and invitation
    assert not any(h in text for h in hashes)
    assert "gAAAAA" not in text and "totp" not in text and "password" not in text and "token" not in text


def test_people_and_versions_already_here_are_used_as_they_are(
        fixture_app: Flask, rich_round: int, elsewhere: Flask, tmp_path: Path) -> None:
    _export(fixture_app, "OWN", rich_round, tmp_path / "round.json")
    _add_council(elsewhere)
    with elsewhere.app_context():
        db.session().add(User(email="lead@example.org", name="Lead Here", site_roles=[]))
        record_library(db.session(), questionnaire_library(elsewhere))  # the same versions, recorded here already
        db.session().commit()
    imported = _import(elsewhere, tmp_path / "round.json")
    assert imported.exit_code == 0 and "2 new account(s)" in imported.output
    assert "0 new questionnaire version(s)" in imported.output
    with elsewhere.app_context():
        lead = _user(db.session(), "lead")
        assert lead.name == "Lead Here" and [m.role.value for m in lead.memberships] == ["lead"]
        facilitator = _user(db.session(), "facilitator")
        assert facilitator.site_roles == ["facilitator"] and facilitator.password_hash is None


def _refused(app: Flask, file: Path, message: str) -> None:
    before = _row_counts(app)
    result = _import(app, file)
    assert result.exit_code == 1 and "nothing was imported" in result.output
    assert message in result.output, result.output
    assert _row_counts(app) == before


def test_a_version_recorded_with_other_content_is_a_conflict(
        fixture_app: Flask, rich_round: int, elsewhere: Flask, tmp_path: Path) -> None:
    exported = _export(fixture_app, "OWN", rich_round, tmp_path / "round.json")
    _add_council(elsewhere)
    with elsewhere.app_context():
        item = exported["questionnaires"][1]
        db.session().add(QuestionnaireVersion(questionnaire_id=item["questionnaire_id"], version=item["version"],
                                              title="Changed", content_hash="0" * 64, definition={}))
        db.session().commit()
    _refused(elsewhere, tmp_path / "round.json",
             "$.questionnaires[1]: 'staged-example' version 1 is recorded here with different content")


def test_a_facilitator_whose_account_here_is_not_one_is_a_conflict(
        fixture_app: Flask, rich_round: int, elsewhere: Flask, tmp_path: Path) -> None:
    _export(fixture_app, "OWN", rich_round, tmp_path / "round.json")
    _add_council(elsewhere)
    with elsewhere.app_context():
        db.session().add(User(email="facilitator@example.org", name="F", site_roles=[]))
        db.session().commit()
    _refused(elsewhere, tmp_path / "round.json", "facilitator@example.org facilitates this round, but their account")


def _edited(exported: dict[str, Any], tmp_path: Path, change: Any) -> Path:
    document = json.loads(json.dumps(exported))
    change(document)
    file = tmp_path / "edited.json"
    file.write_text(json.dumps(document), encoding="utf-8")
    return file


@pytest.mark.parametrize(("change", "message"), [
    (lambda d: d.update(format_version=2), "$.format_version: 2 is not a format this installation reads"),
    (lambda d: d.update(format="something"), "$.format: this is not a round exported by `assess export`"),
    (lambda d: d["responses"][0]["answers"][0].update(not_applicable="no"),
     "$.responses[0].answers[0].not_applicable: 'no' is not of type 'boolean'"),
    (lambda d: d["round"].update(status="finished"), "$.round.status: 'finished' is not one of"),
    (lambda d: d["people"][0].update(password_hash="x"),
     "$.people[0]: Additional properties are not allowed ('password_hash' was unexpected)"),
    (lambda d: d["responses"][0].update(respondent="stranger@example.org"),
     "$.responses[0].respondent: stranger@example.org is not among $.people"),
    (lambda d: d["questionnaires"][0]["definition"].update(title="Edited"),
     "$.questionnaires[0].definition: does not match its content_hash"),
    (lambda d: d["round"].update(published_at="2026-02-30T10:00:00+00:00"),
     "$.round.published_at: '2026-02-30T10:00:00+00:00' is not a 'date-time'"),
    (lambda d: d["actions"][0].update(due_on="2027-13-01"), "$.actions[0].due_on: '2027-13-01' is not a 'date'"),
    (lambda d: d["targets"].append(d["targets"][0]), "$.targets: two targets for full-example section strategy"),
    (lambda d: d["responses"].append(d["responses"][0]), "$.responses[5]: a second consensus response to full-example"),
])
def test_a_bad_file_is_refused_naming_the_bad_path(fixture_app: Flask, rich_round: int, elsewhere: Flask,
                                                   tmp_path: Path, change: Any, message: str) -> None:
    exported = _export(fixture_app, "OWN", rich_round, tmp_path / "round.json")
    _add_council(elsewhere)
    _refused(elsewhere, _edited(exported, tmp_path, change), message)


def test_a_file_that_is_not_json_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ImportRefused, match="not JSON: Expecting value at line 1, column 1"):
        read_export("<html>")


def test_export_refuses_a_round_of_another_council(fixture_app: Flask, places: Places, tmp_path: Path) -> None:
    result = fixture_app.test_cli_runner().invoke(main, ["export", "OTH", "--round", str(places.own.round_id),
                                                         "--out", str(tmp_path / "x.json")])
    assert result.exit_code == 1 and "OTH has no round with id" in result.output
    assert not (tmp_path / "x.json").exists()


def test_an_erased_person_travels_as_nobody(fixture_app: Flask, rich_round: int, elsewhere: Flask,
                                            tmp_path: Path) -> None:
    from assess.services.personal_data import erase_person

    with fixture_app.app_context():
        session = db.session()
        erase_person(session, _user(session, "respondent"), _user(session, "admin"))
        session.commit()
    exported = _export(fixture_app, "OWN", rich_round, tmp_path / "round.json")
    assert "erased" not in json.dumps(exported)
    assert any(r["respondent"] is None and r["kind"] == "individual" for r in exported["responses"])
    _add_council(elsewhere)
    assert _import(elsewhere, tmp_path / "round.json").exit_code == 0
    with elsewhere.app_context():
        round_id = db.session().scalar(select(Assessment.id))
    assert round_id is not None
    again = _export(elsewhere, "OWN", round_id, tmp_path / "again.json")
    assert {**again, "exported_at": None} == {**exported, "exported_at": None}


def test_every_round_has_its_own_uid(fixture_app: Flask, places: Places) -> None:
    with fixture_app.app_context():
        uids = db.session().scalars(select(Assessment.uid)).all()
        responses = db.session().scalar(select(func.count(Response.id)))
    assert len(uids) == 2 and len(set(uids)) == 2 and all(len(uid) == 36 for uid in uids) and responses
