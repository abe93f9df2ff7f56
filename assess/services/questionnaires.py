"""Questionnaire versions: recording library files and uploads, offering them for new rounds, reading them back."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, defer, selectinload

from assess.library import Library, LoadedFile, Problem, build_questionnaire, load_text
from assess.models import Assessment, AssessmentQuestionnaire, AuditEvent, QuestionnaireVersion, User, VersionStatus
from assess.policy import Action, require
from scoring import Questionnaire, get_scorer, scorer_version


def score_provenance(questionnaire: Questionnaire) -> dict[str, Any]:
    """What makes a questionnaire's scores today: the scorer's name, its version and the file's options for it."""
    scorer = get_scorer(questionnaire.scoring.method)
    return {"method": scorer.name, "scorer_version": scorer_version(scorer),
            "scorer_options": dict(questionnaire.scoring.options or {})}


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


def questionnaire_by_hash(session: Session, version_id: int, content_hash: str) -> Questionnaire:
    """The questionnaire model of recorded version ``version_id`` with this content hash, read only if not yet built."""
    questionnaire = _BUILT.get(content_hash)
    if questionnaire is not None:
        return questionnaire
    version = session.get(QuestionnaireVersion, version_id)
    assert version is not None  # the caller read its id and hash from the database
    return questionnaire_of(version)


# Recorded versions never change, so a model built from one stays right for the process's life.
_BUILT: dict[str, Questionnaire] = {}


class UploadRefused(ValueError):
    """An uploaded questionnaire that cannot be staged, with every problem found (each with its line and column)."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("\n".join(str(problem) for problem in problems))
        self.problems = problems


def stage_upload(session: Session, text: str, name: str, by: User) -> QuestionnaireVersion:
    """Check an uploaded questionnaire file and record it as a staged version (not yet offered for new rounds)."""
    require(session, by, Action.ADMINISTER)
    loaded, problems = load_text(text, name)
    if loaded is None:
        raise UploadRefused(problems)
    questionnaire = loaded.questionnaire
    same = session.scalar(select(QuestionnaireVersion).filter_by(questionnaire_id=questionnaire.id,
                                                                 content_hash=loaded.content_hash))
    latest = latest_version_number(session, questionnaire.id)
    if same is not None:
        problem = f"this is '{questionnaire.id}' version {same.version} exactly, which is already recorded"
    elif questionnaire.version <= latest:
        problem = (f"'{questionnaire.id}' is already recorded up to version {latest}: raise `version` to "
                   f"{latest + 1} (rounds keep the versions they use)")
    else:
        version = record_version(session, loaded).version
        version.status, version.source = VersionStatus.STAGED, f"upload:{name}"[:500]
        session.add(AuditEvent(action="questionnaire-staged", user_id=by.id,
                               subject=f"questionnaire-version:{version.id}",
                               detail={"questionnaire": questionnaire.id, "version": questionnaire.version}))
        session.flush()
        return version
    line, column = loaded.id_position
    raise UploadRefused([Problem(name, line, column, problem)])


#: Which status each change moves a version to, from which statuses.
CHANGES = {"offer": (VersionStatus.OFFERED, (VersionStatus.STAGED, VersionStatus.RETIRED)),
           "retire": (VersionStatus.RETIRED, (VersionStatus.STAGED, VersionStatus.OFFERED))}


def change_status(session: Session, version: QuestionnaireVersion, change: str, by: User) -> bool:
    """Offer a version for new rounds, or retire it (rounds using it keep it); False if it is already so."""
    require(session, by, Action.ADMINISTER)
    to, starts = CHANGES[change]
    if version.status not in starts:
        return False
    before, version.status = version.status, to
    session.add(AuditEvent(action=f"questionnaire-{'offered' if change == 'offer' else 'retired'}", user_id=by.id,
                           subject=f"questionnaire-version:{version.id}",
                           detail={"questionnaire": version.questionnaire_id, "version": version.version,
                                   "before": before.value, "after": to.value}))
    session.flush()
    return True


@dataclass(frozen=True)
class Offered:
    """The version of a questionnaire new rounds get: a recorded one, or a library file not recorded yet."""

    questionnaire_id: str
    version: int
    title: str
    recorded: QuestionnaireVersion | None
    file: LoadedFile | None


def offered(session: Session, library: Library) -> dict[str, Offered]:
    """For each questionnaire offered for new rounds, its highest offered version (reads only: GET pages ask it).

    A library file not recorded yet counts as offered (recording it offers it); once recorded, its status rules.
    """
    recorded = session.scalars(select(QuestionnaireVersion).options(defer(QuestionnaireVersion.definition))).all()
    known = {(v.questionnaire_id, v.version) for v in recorded}
    best: dict[str, Offered] = {}
    candidates = [Offered(v.questionnaire_id, v.version, v.title, v, None)
                  for v in recorded if v.status == VersionStatus.OFFERED]
    candidates += [Offered(f.questionnaire.id, f.questionnaire.version, f.questionnaire.title, None, f)
                   for f in library if (f.questionnaire.id, f.questionnaire.version) not in known]
    for candidate in candidates:
        if candidate.questionnaire_id not in best or candidate.version > best[candidate.questionnaire_id].version:
            best[candidate.questionnaire_id] = candidate
    return dict(sorted(best.items(), key=lambda item: item[1].title))


def use_offered(session: Session, choice: Offered) -> QuestionnaireVersion:
    """The recorded version of an offered choice, recording its library file first if need be."""
    if choice.recorded is not None:
        return choice.recorded
    assert choice.file is not None
    return record_version(session, choice.file).version


def recorded_versions(session: Session, newest_first: bool = False) -> list[QuestionnaireVersion]:
    """Every recorded version, by questionnaire, without its stored definition."""
    number = QuestionnaireVersion.version.desc() if newest_first else QuestionnaireVersion.version
    return list(session.scalars(select(QuestionnaireVersion).options(defer(QuestionnaireVersion.definition))
                                .order_by(QuestionnaireVersion.questionnaire_id, number)))


def recorded_version(session: Session, questionnaire_id: str, number: int) -> QuestionnaireVersion | None:
    """One recorded version of a questionnaire, by its version number."""
    return session.scalar(select(QuestionnaireVersion).filter_by(questionnaire_id=questionnaire_id, version=number))


def rounds_using(session: Session) -> dict[int, list[Assessment]]:
    """Every round, by the id of each questionnaire version it uses."""
    links = session.execute(select(AssessmentQuestionnaire.questionnaire_version_id, Assessment)
                            .join(Assessment, Assessment.id == AssessmentQuestionnaire.assessment_id)
                            .options(selectinload(Assessment.organisation))
                            .order_by(Assessment.created_at)).tuples().all()
    using: dict[int, list[Assessment]] = {}
    for version_id, assessment in links:
        using.setdefault(version_id, []).append(assessment)
    return using
