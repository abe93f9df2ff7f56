"""Moving a round between installations: `assess export` writes it as one JSON document, `assess import` reads it.

The document carries the round (identified everywhere by its uid), the questionnaire versions it offers (their
stored definitions), its council by code, the people it mentions by email (names, their place in the council,
never a password hash, two-factor secret or token), every response with its section versions, answers and
stored scores, and the targets and actions. Importing checks everything before it writes anything, refuses
any conflict with what the installation already holds, and writes in the caller's one transaction.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import jsonschema
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from assess.library import content_hash, definition_problems
from assess.models import Action as ImprovementAction
from assess.models import (
    ActionStatus,
    Answer,
    Assessment,
    AssessmentQuestionnaire,
    AssessmentStatus,
    Assignment,
    AuditEvent,
    JoinedBy,
    Membership,
    Organisation,
    OrganisationRole,
    Participant,
    QuestionnaireVersion,
    RespondentGroup,
    Response,
    ResponseKind,
    ResponseSection,
    ResponseStatus,
    Score,
    Sharing,
    SiteRole,
    Target,
    User,
    VersionStatus,
    utcnow,
)
from assess.services.users import normalise_email

FORMAT = "assess-round"
FORMAT_VERSION = 1
SCHEMA_PATH = Path(__file__).resolve().parent.parent / "schema" / "round-export.schema.json"

Progress = Callable[[], None]
#: The domain of the placeholder addresses erased people get (services/personal_data.py).
ERASED = "@erased.invalid"


class ImportRefused(Exception):
    """An export that cannot be imported here; the text says why, and nothing was changed."""


def _when(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _day(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _email(user: User | None) -> str | None:
    """A person's email; None for nobody, or for someone erased (their placeholder address names nobody)."""
    return user.email if user is not None and not user.email.endswith(ERASED) else None


def _who(people: Mapping[int, User], user_id: int | None) -> str | None:
    return _email(people.get(user_id or 0))


def round_for_export(session: Session, round_id: int) -> Assessment | None:
    """A round with everything an export reads loaded at once."""
    return session.scalar(select(Assessment).where(Assessment.id == round_id).options(
        selectinload(Assessment.questionnaires).selectinload(AssessmentQuestionnaire.questionnaire_version),
        selectinload(Assessment.assignments),
        selectinload(Assessment.responses).selectinload(Response.answers),
        selectinload(Assessment.responses).selectinload(Response.sections),
        selectinload(Assessment.responses).selectinload(Response.scores),
        selectinload(Assessment.responses).selectinload(Response.questionnaire_version),
        selectinload(Assessment.responses).selectinload(Response.respondent)))


def export_round(session: Session, assessment: Assessment, progress: Progress = lambda: None) -> dict[str, Any]:
    """The round as a document for `import_round` (records an audit event); `progress` is called per response."""
    ids: set[int | None] = {assessment.created_by_id}
    positions = {link.questionnaire_version_id: link.position for link in assessment.questionnaires}
    # Ids last: anonymous responses keep their order, which an import keeps too.
    responses = sorted(assessment.responses, key=lambda r: (
        positions[r.questionnaire_version_id], r.kind.value, _email(r.respondent) or "", r.id))
    for response in responses:
        ids |= {response.respondent_id, *(a.changed_by_id for a in response.answers),
                *(s.saved_by_id for s in response.sections)}
    for assignment in assessment.assignments:
        ids |= {assignment.user_id, assignment.assigned_by_id}
    members = {m.user_id: m for m in session.scalars(
        select(Membership).where(Membership.organisation_id == assessment.organisation_id))}
    people = {user.id: user for user in session.scalars(
        select(User).where(User.id.in_({i for i in ids | set(members) if i is not None})))
        if _email(user) is not None}
    document = {
        "format": FORMAT, "format_version": FORMAT_VERSION, "exported_at": utcnow().isoformat(),
        "council": {"code": assessment.organisation.code, "name": assessment.organisation.name},
        "questionnaires": [{
            "questionnaire_id": v.questionnaire_id, "version": v.version, "title": v.title,
            "content_hash": v.content_hash, "definition": v.definition,
        } for v in (link.questionnaire_version for link in assessment.questionnaires)],
        "people": [{
            "email": user.email, "name": user.name, "facilitator": user.has_role(SiteRole.FACILITATOR),
            "membership": {"role": members[user.id].role.value, "group": members[user.id].group.value}
            if user.id in members else None,
        } for user in sorted(people.values(), key=lambda u: u.email)],
        "round": {
            "uid": assessment.uid, "title": assessment.title, "status": assessment.status.value,
            "sharing": assessment.sharing.value, "opens_on": _day(assessment.opens_on),
            "closes_on": _day(assessment.closes_on), "expected_groups": list(assessment.expected_groups),
            "comments_named": assessment.comments_named, "created_by": _who(people, assessment.created_by_id),
            "created_at": _when(assessment.created_at), "published_at": _when(assessment.published_at),
            "facilitators": sorted(({
                "email": people[a.user_id].email, "assigned_by": _who(people, a.assigned_by_id),
                "assigned_at": _when(a.assigned_at)} for a in assessment.assignments if a.user_id in people),
                key=lambda f: str(f["email"])),
        },
        "responses": [_export_response(response, people, progress) for response in responses],
        "targets": [{"questionnaire_id": t.questionnaire_id, "section_id": t.section_id, "level": t.level}
                    for t in session.scalars(select(Target).filter_by(assessment_id=assessment.id).order_by(
                        Target.questionnaire_id, Target.section_id))],
        "actions": [{"questionnaire_id": a.questionnaire_id, "section_id": a.section_id, "description": a.description,
                     "owner": a.owner, "due_on": _day(a.due_on), "status": a.status.value}
                    for a in session.scalars(select(ImprovementAction).filter_by(assessment_id=assessment.id)
                                             .order_by(ImprovementAction.id))],
    }
    session.add(AuditEvent(action="round-exported", organisation_id=assessment.organisation_id,
                           subject=f"assessment:{assessment.id}",
                           detail={"uid": assessment.uid, "responses": len(responses), "people": len(people)}))
    session.flush()
    return document


def _export_response(response: Response, people: Mapping[int, User], progress: Progress) -> dict[str, Any]:
    def who(user_id: int | None) -> str | None:
        return _who(people, user_id)

    version = response.questionnaire_version
    exported = {
        "questionnaire_id": version.questionnaire_id, "version": version.version, "kind": response.kind.value,
        "respondent": who(response.respondent_id),
        "respondent_group": response.respondent_group.value if response.respondent_group else None,
        "status": response.status.value, "started_at": _when(response.started_at),
        "submitted_at": _when(response.submitted_at), "updated_at": _when(response.updated_at),
        "returned_at": _when(response.returned_at), "returned_message": response.returned_message,
        "sections": [{"section_id": s.section_id, "version": s.version, "saved_at": _when(s.saved_at),
                      "saved_by": who(s.saved_by_id)} for s in sorted(response.sections, key=lambda s: s.section_id)],
        "answers": [{"question_id": a.question_id, "value": a.value, "not_applicable": a.not_applicable,
                     "comment": a.comment, "changed_at": _when(a.changed_at), "changed_by": who(a.changed_by_id)}
                    for a in sorted(response.answers, key=lambda a: a.question_id)],
        "scores": [{"section_id": s.section_id, "level": s.level, "value": s.value, "answered": s.answered,
                    "applicable": s.applicable, "explanation": s.explanation, "method": s.method,
                    "scorer_version": s.scorer_version, "scorer_options": s.scorer_options,
                    "computed_at": _when(s.computed_at)}
                   for s in sorted(response.scores, key=lambda s: (s.section_id is not None, s.section_id or ""))],
    }
    progress()
    return exported


# Reading ---------------------------------------------------------------------------------------------------------


def _path(error: jsonschema.ValidationError) -> str:
    return "$" + "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in error.absolute_path)


#: Days and times that must exist (the schema's patterns only check their shape).
_FORMATS = jsonschema.FormatChecker(formats=())


@_FORMATS.checks("date", raises=ValueError)
def _real_day(value: object) -> bool:
    return not isinstance(value, str) or bool(date.fromisoformat(value))


@_FORMATS.checks("date-time", raises=ValueError)
def _real_time(value: object) -> bool:
    return not isinstance(value, str) or bool(datetime.fromisoformat(value))


def read_export(text: str) -> dict[str, Any]:
    """Parse and check an export's text against the format (its version first); ImportRefused naming each bad path."""
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise ImportRefused(f"not JSON: {error.msg} at line {error.lineno}, column {error.colno}") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise ImportRefused(f"$.format: this is not a round exported by `assess export` (expected \"{FORMAT}\")")
    if document.get("format_version") != FORMAT_VERSION:
        raise ImportRefused(f"$.format_version: {document.get('format_version')!r} is not a format this installation "
                            f"reads (it reads version {FORMAT_VERSION}); export the round again with this version")
    validator = jsonschema.Draft202012Validator(json.loads(SCHEMA_PATH.read_text(encoding="utf-8")),
                                                format_checker=_FORMATS)
    errors = sorted(validator.iter_errors(document), key=lambda e: [str(p) for p in e.absolute_path])
    if errors:
        raise ImportRefused("\n".join(f"{_path(error)}: {error.message}" for error in errors[:20]) +
                            (f"\n... and {len(errors) - 20} more" if len(errors) > 20 else ""))
    return document


@dataclass(frozen=True)
class Imported:
    """What an import made: the round, and how many people and questionnaire versions were new here."""

    assessment: Assessment
    new_people: int
    new_versions: int


def _twice(items: Iterable[Hashable]) -> list[Any]:
    """The items that appear more than once, each once, in order."""
    return [item for item, count in Counter(items).items() if count > 1]


def _check_references(document: Mapping[str, Any]) -> None:
    """Everything the document mentions is in it, and nothing is there twice; ImportRefused naming the path."""
    problems = []
    emails = [normalise_email(p["email"]) for p in document["people"]]
    versions = [(q["questionnaire_id"], q["version"]) for q in document["questionnaires"]]
    problems += [f"$.people: {email} appears twice" for email in _twice(emails)]
    problems += [f"$.questionnaires: {q} version {v} appears twice" for q, v in _twice(versions)]
    known, offered = set(emails), {q for q, _ in versions}

    def person(path: str, email: str | None) -> None:
        if email is not None and normalise_email(email) not in known:
            problems.append(f"{path}: {email} is not among $.people")

    round_ = document["round"]
    person("$.round.created_by", round_["created_by"])
    for i, facilitator in enumerate(round_["facilitators"]):
        person(f"$.round.facilitators[{i}].email", facilitator["email"])
        person(f"$.round.facilitators[{i}].assigned_by", facilitator["assigned_by"])
    seen: set[tuple[Any, ...]] = set()
    for i, response in enumerate(document["responses"]):
        path = f"$.responses[{i}]"
        if (response["questionnaire_id"], response["version"]) not in versions:
            problems.append(f"{path}: {response['questionnaire_id']} version {response['version']} is not among "
                            "$.questionnaires")
        person(f"{path}.respondent", response["respondent"])
        key = (response["questionnaire_id"], response["kind"],
               response["respondent"] if response["kind"] == "individual" else None)
        if key in seen and (response["kind"] == "consensus" or response["respondent"] is not None):
            problems.append(f"{path}: a second {response['kind']} response to {response['questionnaire_id']}"
                            + (f" by {response['respondent']}" if response["respondent"] else ""))
        seen.add(key)
        for j, section in enumerate(response["sections"]):
            person(f"{path}.sections[{j}].saved_by", section["saved_by"])
        for j, answer in enumerate(response["answers"]):
            person(f"{path}.answers[{j}].changed_by", answer["changed_by"])
        for what, rows, field in (("section", response["sections"], "section_id"),
                                  ("answer", response["answers"], "question_id"),
                                  ("score", response["scores"], "section_id")):
            problems += [f"{path}: two {what}s for {key!r}" for key in _twice([row[field] for row in rows])]
    targets = [(t["questionnaire_id"], t["section_id"]) for t in document["targets"]]
    problems += [f"$.targets: two targets for {q} section {s}" for q, s in _twice(targets)]
    for what in ("targets", "actions"):
        for i, row in enumerate(document[what]):
            if row["questionnaire_id"] not in offered:
                problems.append(f"$.{what}[{i}].questionnaire_id: {row['questionnaire_id']} is not among "
                                "$.questionnaires")
    if problems:
        raise ImportRefused("\n".join(problems))


def _questionnaire_versions(session: Session, document: Mapping[str, Any]) -> tuple[list[QuestionnaireVersion], int]:
    """The round's versions here: the ones recorded already (with the same content), and new ones added."""
    versions, new = [], 0
    for i, item in enumerate(document["questionnaires"]):
        path = f"$.questionnaires[{i}]"
        name = f"'{item['questionnaire_id']}' version {item['version']}"
        if content_hash(item["definition"]) != item["content_hash"]:
            raise ImportRefused(f"{path}.definition: does not match its content_hash (was the file edited?)")
        existing = session.scalar(select(QuestionnaireVersion).filter_by(
            questionnaire_id=item["questionnaire_id"], version=item["version"]))
        if existing is not None:
            if existing.content_hash != item["content_hash"]:
                raise ImportRefused(f"{path}: {name} is recorded here with different content; the two installations "
                                    "must not give one version number to two different questionnaires")
            versions.append(existing)
            continue
        problems = definition_problems(item["definition"], f"{path}.definition")
        if problems:
            raise ImportRefused("\n".join(str(problem) for problem in problems))
        definition = item["definition"]
        if (definition["id"], definition["version"]) != (item["questionnaire_id"], item["version"]):
            raise ImportRefused(f"{path}.definition: says it is '{definition['id']}' version {definition['version']}")
        version = QuestionnaireVersion(questionnaire_id=item["questionnaire_id"], version=item["version"],
                                       title=item["title"], content_hash=item["content_hash"],
                                       definition=item["definition"], source="imported with a round",
                                       # Another installation's version: an admin here decides to offer it.
                                       status=VersionStatus.STAGED)
        session.add(version)
        versions.append(version)
        new += 1
    return versions, new


def _people(session: Session, document: Mapping[str, Any], organisation: Organisation) -> tuple[dict[str, User], int]:
    """The people of the document here by email: existing accounts as they are, new ones (with no password) added."""
    facilitating = {normalise_email(f["email"]) for f in document["round"]["facilitators"]}
    emails = [normalise_email(p["email"]) for p in document["people"]]
    existing = {u.email: u for u in session.scalars(select(User).where(User.email.in_(emails)))} if emails else {}
    members = {m.user_id for m in session.scalars(select(Membership).filter_by(organisation_id=organisation.id))}
    people, new = {}, 0
    for item, email in zip(document["people"], emails, strict=True):
        user = existing.get(email)
        if user is None:
            roles = [SiteRole.FACILITATOR.value] if item["facilitator"] else []
            user = User(email=email, name=item["name"], password_hash=None, site_roles=roles)
            session.add(user)
            new += 1
        elif email in facilitating and not user.has_role(SiteRole.FACILITATOR):
            raise ImportRefused(f"{email} facilitates this round, but their account here is not a facilitator: give "
                                "it the role first (`assess users add ... --role facilitator`)")
        membership = item["membership"]
        if membership is not None and user.id not in members:
            user.memberships.append(Membership(organisation=organisation, role=OrganisationRole(membership["role"]),
                                               group=RespondentGroup(membership["group"])))
        people[email] = user
    return people, new


def _day_or_none(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def _time_or_none(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def import_round(session: Session, document: Mapping[str, Any], progress: Progress = lambda: None) -> Imported:
    """Add an exported round (as read by read_export) to this installation; ImportRefused on any conflict.

    Everything is checked before it is written; the caller commits, or rolls back after ImportRefused.
    """
    _check_references(document)
    round_ = document["round"]
    code = document["council"]["code"]
    organisation = session.scalar(select(Organisation).filter_by(code=code))
    if organisation is None:
        raise ImportRefused(f"$.council.code: {code} ({document['council']['name']}) is not in this installation's "
                            "register: import it first with `assess orgs import`")
    already = session.scalar(select(Assessment).filter_by(uid=round_["uid"]))
    if already is not None:
        raise ImportRefused(f"$.round.uid: this round is here already, as round {already.id} of "
                            f"{already.organisation.code} ('{already.title}')")
    versions, new_versions = _questionnaire_versions(session, document)
    by_key = {(v.questionnaire_id, v.version): v for v in versions}
    people, new_people = _people(session, document, organisation)

    def who_id(email: str | None) -> int | None:
        return people[normalise_email(email)].id if email is not None else None

    session.flush()  # ids for the new versions and people
    assessment = Assessment(
        uid=round_["uid"], organisation=organisation, title=round_["title"], status=AssessmentStatus(round_["status"]),
        sharing=Sharing(round_["sharing"]), opens_on=_day_or_none(round_["opens_on"]),
        closes_on=_day_or_none(round_["closes_on"]), expected_groups=list(round_["expected_groups"]),
        comments_named=round_["comments_named"], created_by_id=who_id(round_["created_by"]),
        created_at=datetime.fromisoformat(round_["created_at"]), published_at=_time_or_none(round_["published_at"]),
        questionnaires=[AssessmentQuestionnaire(questionnaire_version=version, position=position)
                        for position, version in enumerate(versions)],
        assignments=[Assignment(user_id=who_id(f["email"]), assigned_by_id=who_id(f["assigned_by"]),
                                assigned_at=datetime.fromisoformat(f["assigned_at"])) for f in round_["facilitators"]])
    session.add(assessment)
    for item in document["responses"]:
        assessment.responses.append(_response(item, by_key[(item["questionnaire_id"], item["version"])], who_id))
        progress()
    assessment.participants = [Participant(user_id=who_id(email), group=group, how=JoinedBy.ADDED)
                               for email, group in _asked(document).items()]
    session.flush()
    session.add_all(Target(assessment_id=assessment.id, questionnaire_id=t["questionnaire_id"],
                           section_id=t["section_id"], level=t["level"]) for t in document["targets"])
    session.add_all(ImprovementAction(
        assessment_id=assessment.id, questionnaire_id=a["questionnaire_id"], section_id=a["section_id"],
        description=a["description"], owner=a["owner"], due_on=_day_or_none(a["due_on"]),
        status=ActionStatus(a["status"])) for a in document["actions"])
    session.flush()
    session.add(AuditEvent(action="round-imported", organisation_id=organisation.id,
                           subject=f"assessment:{assessment.id}",
                           detail={"uid": assessment.uid, "responses": len(document["responses"]),
                                   "new_people": new_people, "new_versions": new_versions}))
    session.flush()
    return Imported(assessment, new_people, new_versions)


def _asked(document: Mapping[str, Any]) -> dict[str, RespondentGroup]:
    """Who was asked in the exported round (everyone with their own response in it), with the group they answered in."""
    member_groups = {normalise_email(p["email"]): p["membership"]["group"] for p in document["people"]
                     if p["membership"] is not None}
    asked: dict[str, RespondentGroup] = {}
    for item in document["responses"]:
        if item["kind"] == ResponseKind.INDIVIDUAL.value and item["respondent"] is not None:
            email = normalise_email(item["respondent"])
            asked.setdefault(email, RespondentGroup(item["respondent_group"] or member_groups.get(email, "other")))
    return asked


def _response(item: Mapping[str, Any], version: QuestionnaireVersion,
              who_id: Callable[[str | None], int | None]) -> Response:
    return Response(
        questionnaire_version=version, respondent_id=who_id(item["respondent"]),
        respondent_group=RespondentGroup(item["respondent_group"]) if item["respondent_group"] else None,
        kind=ResponseKind(item["kind"]), status=ResponseStatus(item["status"]),
        started_at=_time_or_none(item["started_at"]), submitted_at=_time_or_none(item["submitted_at"]),
        updated_at=datetime.fromisoformat(item["updated_at"]), returned_at=_time_or_none(item["returned_at"]),
        returned_message=item["returned_message"],
        sections=[ResponseSection(section_id=s["section_id"], version=s["version"],
                                  saved_at=datetime.fromisoformat(s["saved_at"]), saved_by_id=who_id(s["saved_by"]))
                  for s in item["sections"]],
        answers=[Answer(question_id=a["question_id"], value=a["value"], not_applicable=a["not_applicable"],
                        comment=a["comment"], changed_at=datetime.fromisoformat(a["changed_at"]),
                        changed_by_id=who_id(a["changed_by"])) for a in item["answers"]],
        scores=_scores(item["scores"], version))


def _scores(rows: Iterable[Mapping[str, Any]], version: QuestionnaireVersion) -> list[Score]:
    # Exports made before scores recorded their options were scored with the options their version declares.
    declared = (version.definition.get("scoring") or {}).get("options") or {}
    return [Score(questionnaire_version_id=version.id, section_id=s["section_id"], level=s["level"], value=s["value"],
                  answered=s["answered"], applicable=s["applicable"], explanation=s["explanation"],
                  method=s["method"], scorer_version=s["scorer_version"],
                  scorer_options=s.get("scorer_options", declared),
                  computed_at=datetime.fromisoformat(s["computed_at"])) for s in rows]
