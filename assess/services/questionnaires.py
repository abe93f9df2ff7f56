"""Questionnaire versions: recording the library's files, and reading back the version a response used."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from assess.library import Library, LoadedFile, build_questionnaire
from assess.models import QuestionnaireVersion
from scoring import Questionnaire


class VersionConflict(Exception):
    """A file changed without its version being raised."""


@dataclass(frozen=True)
class Recorded:
    """What recording one file did: 'recorded' (new) or 'unchanged'."""

    file: LoadedFile
    version: QuestionnaireVersion
    outcome: str


def record_version(session: Session, loaded: LoadedFile) -> Recorded:
    """Record a file as a QuestionnaireVersion, or find it already recorded.

    A recorded version never changes: responses point at it. A file that keeps an existing id
    and version but says something different is refused.
    """
    questionnaire = loaded.questionnaire
    existing = session.scalar(
        select(QuestionnaireVersion).filter_by(questionnaire_id=questionnaire.id, version=questionnaire.version)
    )
    if existing is not None:
        if existing.content_hash != loaded.content_hash:
            raise VersionConflict(
                f"{loaded.path}: '{questionnaire.id}' version {questionnaire.version} is already recorded with "
                f"different content; raise `version` to {latest_version_number(session, questionnaire.id) + 1} "
                "to publish the change (responses keep the version they answered)"
            )
        return Recorded(loaded, existing, "unchanged")
    version = QuestionnaireVersion(
        questionnaire_id=questionnaire.id,
        version=questionnaire.version,
        title=questionnaire.title,
        content_hash=loaded.content_hash,
        definition=loaded.definition,
        source=str(loaded.path),
    )
    session.add(version)
    session.flush()
    return Recorded(loaded, version, "recorded")


def record_library(session: Session, library: Library) -> list[Recorded]:
    """Record every file of a library; VersionConflict, listing every conflict, if any (the caller rolls back)."""
    results: list[Recorded] = []
    conflicts: list[str] = []
    for loaded in library:
        try:
            results.append(record_version(session, loaded))
        except VersionConflict as conflict:
            conflicts.append(str(conflict))
    if conflicts:
        raise VersionConflict("\n".join(conflicts))
    return results


def latest_version_number(session: Session, questionnaire_id: str) -> int:
    """The highest version recorded for a questionnaire id (0 if none)."""
    versions = session.scalars(
        select(QuestionnaireVersion.version).filter_by(questionnaire_id=questionnaire_id)
    ).all()
    return max(versions, default=0)


def questionnaire_of(version: QuestionnaireVersion) -> Questionnaire:
    """The questionnaire model of a recorded version, built once per content hash."""
    questionnaire = _BUILT.get(version.content_hash)
    if questionnaire is None:
        questionnaire = _BUILT[version.content_hash] = build_questionnaire(version.definition)
    return questionnaire


# Recorded versions never change, so a model built from one stays right for the process's life.
_BUILT: dict[str, Questionnaire] = {}
