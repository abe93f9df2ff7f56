"""Questionnaire versions: recording a library, refusing silent changes, keeping old versions readable."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from assess import db
from assess.library import Library, load_library
from assess.models import QuestionnaireVersion
from assess.services.questionnaires import (
    VersionConflict,
    latest_version_number,
    questionnaire_of,
    record_library,
)
from tests.conftest import FIXTURES, FULL, VALID


@pytest.fixture
def session(app: Flask) -> Iterator[Session]:
    with app.app_context():
        yield db.session()


def library_of(folder: Path, *files: tuple[str, str]) -> Library:
    """A library folder holding these (name, text) files."""
    folder.mkdir(exist_ok=True)
    for old in folder.glob("*.yaml"):
        old.unlink()
    for name, text in files:
        (folder / name).write_text(text)
    return load_library(folder)


def stored(session: Session) -> list[tuple[str, int, str]]:
    rows = session.scalars(select(QuestionnaireVersion).order_by("questionnaire_id", "version"))
    return [(row.questionnaire_id, row.version, row.title) for row in rows]


def test_recording_twice_records_then_finds_unchanged(session: Session) -> None:
    library = load_library(VALID)
    first = record_library(session, library)
    assert [(r.file.questionnaire.id, r.outcome) for r in first] == [
        ("full-example", "recorded"), ("staged-example", "recorded")]
    second = record_library(session, load_library(VALID))
    assert [(r.file.questionnaire.id, r.outcome) for r in second] == [
        ("full-example", "unchanged"), ("staged-example", "unchanged")]
    assert [r.version.id for r in second] == [r.version.id for r in first]
    assert stored(session) == [("full-example", 1, "Full example"), ("staged-example", 1, "Staged example")]
    version = second[0].version
    assert version.content_hash == library.files["full-example"].content_hash
    assert version.source == str(FULL)
    assert version.recorded_at.tzinfo is not None


def test_recorded_definition_rebuilds_the_same_questionnaire(session: Session) -> None:
    library = load_library(VALID)
    record_library(session, library)
    session.expire_all()
    for row in session.scalars(select(QuestionnaireVersion)):
        assert questionnaire_of(row) == library.get(row.questionnaire_id)


def test_changed_content_under_the_same_version_is_refused(session: Session, tmp_path: Path) -> None:
    record_library(session, library_of(tmp_path / "lib", ("full.yaml", FULL.read_text())))
    session.commit()
    changed = FULL.read_text().replace("label: Leading", "label: Excelling")
    staged = (VALID / "staged.yaml").read_text()
    library = library_of(tmp_path / "lib", ("full.yaml", changed), ("staged.yaml", staged))
    with pytest.raises(VersionConflict) as raised:
        record_library(session, library)
    assert str(raised.value) == (
        f"{tmp_path / 'lib' / 'full.yaml'}: 'full-example' version 1 is already recorded with different content; "
        "raise `version` to 2 to publish the change (responses keep the version they answered)"
    )
    # The caller rolls back: nothing of that library is recorded, not even the file that did not conflict.
    session.rollback()
    assert stored(session) == [("full-example", 1, "Full example")]


def test_every_conflict_is_listed(session: Session, tmp_path: Path) -> None:
    full, staged = FULL.read_text(), (VALID / "staged.yaml").read_text()
    record_library(session, library_of(tmp_path / "lib", ("full.yaml", full), ("staged.yaml", staged)))
    library = library_of(tmp_path / "lib", ("full.yaml", full.replace("title: Full example", "title: Full")),
                         ("staged.yaml", staged.replace("label: Basic", "label: Starting")))
    with pytest.raises(VersionConflict) as raised:
        record_library(session, library)
    assert [line.split(": ", 1)[1][:40] for line in str(raised.value).splitlines()] == [
        "'full-example' version 1 is already reco", "'staged-example' version 1 is already re"]


def test_raising_the_version_keeps_the_old_one(session: Session, tmp_path: Path) -> None:
    first = record_library(session, library_of(tmp_path / "lib", ("full.yaml", FULL.read_text())))
    old_row = first[0].version
    changed = FULL.read_text().replace("label: Leading", "label: Excelling").replace("version: 1", "version: 2")
    result = record_library(session, library_of(tmp_path / "lib", ("full.yaml", changed)))
    assert [(r.file.questionnaire.version, r.outcome) for r in result] == [(2, "recorded")]
    assert stored(session) == [("full-example", 1, "Full example"), ("full-example", 2, "Full example")]
    assert latest_version_number(session, "full-example") == 2
    assert latest_version_number(session, "nothing") == 0
    session.expire_all()
    old = session.get(QuestionnaireVersion, old_row.id)
    assert old is not None
    assert old.definition["scale"][3]["label"] == "Leading"
    assert questionnaire_of(old).version == 1
    assert questionnaire_of(old).label(4) == "Leading"
    assert questionnaire_of(result[0].version).label(4) == "Excelling"
    # The next conflict names the next free version.
    clash = changed.replace("label: Excelling", "label: Exemplary")
    with pytest.raises(VersionConflict, match=r"version 2 is already recorded .* raise `version` to 3 "):
        record_library(session, library_of(tmp_path / "lib", ("full.yaml", clash)))


def test_comments_and_whitespace_do_not_conflict(session: Session, tmp_path: Path) -> None:
    record_library(session, library_of(tmp_path / "lib", ("full.yaml", FULL.read_text())))
    edited = "# Edited: comments and layout only.\n\n" + FULL.read_text().replace(
        "audience: [officer, member]", "audience:   # who answers\n  - officer\n  - member\n"
    ).replace("\n  - level: 2\n    label: Developing\n", "\n  - {label: Developing, level: 2}\n\n")
    result = record_library(session, library_of(tmp_path / "lib", ("full.yaml", edited)))
    assert [r.outcome for r in result] == ["unchanged"]
    assert stored(session) == [("full-example", 1, "Full example")]


def test_true_false_spelling_is_the_same_version(session: Session, tmp_path: Path) -> None:
    record_library(session, library_of(tmp_path / "lib", ("full.yaml", FULL.read_text())))
    variant = FIXTURES / "questionnaires" / "variants" / "full-true-false.yaml"
    shutil.copy(variant, tmp_path / "variant.yaml")
    result = record_library(session, library_of(tmp_path / "lib", ("full.yaml", variant.read_text())))
    assert [r.outcome for r in result] == ["unchanged"]
