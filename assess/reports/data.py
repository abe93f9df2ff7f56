"""Everything a maturity-profile report shows, gathered once into plain dataclasses.

The PDF and the HTML twin both render from :class:`ReportData` only, never from the database,
so the two always say the same thing, and a report can be built from data in tests.

Which response a questionnaire's figures come from is a *chooser*'s decision. The default
(:func:`default_chooser`) takes the submitted consensus response when there is one, otherwise
the given respondent's own submitted response, otherwise the most recently submitted
individual response. The figures' source is recorded on each questionnaire as ``basis``
(for example "Tom Hughes (officer), submitted 3 May 2027" or "Consensus response, agreed
...") and its ``sources``. A spread of individual answers per question (``AnswerRow.spread``)
is gathered when ``include_spread`` is set; both renderers show it whenever it is present.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from assess.answers import describe_answer
from assess.models import (
    Assessment,
    Organisation,
    QuestionnaireVersion,
    Response,
    ResponseKind,
    ResponseStatus,
    Target,
    User,
)
from assess.services.questionnaires import questionnaire_of
from assess.services.responses import answers_of, stored_profile
from scoring import Answer, Profile, Questionnaire, SectionResult, visible_questions
from scoring.model import Resource


class NoSubmittedResponse(LookupError):
    """The round has no submitted response to report on."""


def long_date(value: date | datetime | None) -> str:
    """A date the GOV.UK way: "3 May 2027" (empty for none)."""
    if value is None:
        return ""
    return f"{value.day} {value:%B %Y}"


@dataclass(frozen=True)
class OrganisationInfo:
    """The council a report is about."""

    code: str
    name: str
    official_name: str
    type: str
    region: str


@dataclass(frozen=True)
class RoundInfo:
    """The assessment round a report is about."""

    id: int
    title: str
    status: str
    created: date | None
    opens_on: date | None = None
    closes_on: date | None = None


@dataclass(frozen=True)
class Respondent:
    """A person who has submitted at least one response in the round."""

    name: str
    group: str | None
    submitted: int
    of: int

    @property
    def description(self) -> str:
        """ "Tom Hughes (officer): 7 of 7 questionnaires submitted"."""
        who = f"{self.name} ({self.group})" if self.group else self.name
        return f"{who}: {self.submitted} of {self.of} questionnaire{'s' if self.of != 1 else ''} submitted"


@dataclass(frozen=True)
class SourceResponse:
    """A response the figures come from."""

    id: int
    kind: str  # individual | consensus
    respondent: str | None
    group: str | None
    submitted: datetime | None

    @property
    def description(self) -> str:
        """Whose answers these are, in words."""
        when = long_date(self.submitted)
        if self.kind == ResponseKind.CONSENSUS.value:
            return "Consensus response" + (f", agreed {when}" if when else "")
        who = self.respondent or "A former respondent"
        if self.group:
            who = f"{who} ({self.group})"
        return who + (f", submitted {when}" if when else "")


@dataclass(frozen=True)
class SpreadItem:
    """How many individual respondents gave one answer to a question."""

    answer: str
    count: int


@dataclass(frozen=True)
class AnswerRow:
    """One question with the answer the report is built from."""

    section_id: str
    question_id: str
    question: str
    answer: str
    level: int | None = None
    level_label: str | None = None
    not_applicable: bool = False
    comment: str | None = None
    spread: tuple[SpreadItem, ...] = ()


@dataclass(frozen=True)
class ResourceItem:
    """A signposted resource, with the section it was signposted for (None: the questionnaire)."""

    resource: Resource
    section_title: str | None

    @property
    def reason(self) -> str:
        """Why the resource is shown."""
        target = self.resource.applies_to
        if target is None:
            return "Relevant at every level"
        where = f"'{self.section_title}'" if self.section_title else "the questionnaire"
        if target.max_level is None:
            return f"For {where}"
        return f"Because {where} is at level {target.max_level} or below"


@dataclass(frozen=True)
class QuestionnaireReport:
    """One questionnaire's part of the report."""

    questionnaire: Questionnaire
    profile: Profile
    sources: tuple[SourceResponse, ...]
    strengths: tuple[SectionResult, ...]
    improvements: tuple[SectionResult, ...]
    resources: tuple[ResourceItem, ...]
    answers: tuple[AnswerRow, ...]
    targets: dict[str, int] = field(default_factory=dict)  # section id -> the round's target level

    @property
    def title(self) -> str:
        """The questionnaire's title."""
        return self.questionnaire.title

    @property
    def top(self) -> int:
        """The top level of the questionnaire's scale."""
        return max(self.questionnaire.levels)

    @property
    def basis(self) -> str:
        """Whose answers the figures come from."""
        return "; ".join(s.description for s in self.sources)

    @property
    def anchor(self) -> str:
        """An id for links and bookmarks."""
        return f"q-{self.questionnaire.id}"

    def answers_in(self, section_id: str) -> list[AnswerRow]:
        """The answer rows of one section, in question order."""
        return [a for a in self.answers if a.section_id == section_id]

    def gap(self, result: SectionResult) -> int | None:
        """Levels still to go to the section's target (negative: beyond it; None: no target or no level)."""
        target = self.targets.get(result.id)
        return target - result.level if target is not None and result.level is not None else None

    def target_text(self, result: SectionResult) -> str:
        """The section's target and the gap to it, in words ("" when it has no target)."""
        target = self.targets.get(result.id)
        gap = self.gap(result)
        if target is None:
            return ""
        if gap is None:
            return f"Target level {target}; no level yet to compare."
        if gap > 0:
            return f"Target level {target}: {gap} level{'s' if gap != 1 else ''} to go."
        return f"Target level {target}: " + (f"passed by {-gap} level{'s' if gap != -1 else ''}." if gap else "met.")

    def what_set(self, result: SectionResult, high: bool) -> str:
        """What set a section's level: its highest (or lowest) rated questions, and the gap to its target."""
        rated = [a for a in self.answers_in(result.id) if a.level is not None]
        if not rated:
            told = result.explanation  # no question is rated on the scale: the scorer's own account says it
        else:
            extreme = max(a.level for a in rated if a.level is not None) if high \
                else min(a.level for a in rated if a.level is not None)
            hits = [a for a in rated if a.level == extreme]
            named = "; ".join(f"\u201c{_short(a.question)}\u201d" for a in hits[:2])
            more = f" and {len(hits) - 2} more" if len(hits) > 2 else ""
            verb = "Lifted by" if high else "Held back by"
            told = (f"{verb} {len(hits)} of {len(rated)} rated question{'s' if len(rated) != 1 else ''} at "
                    f"level {extreme} ({self.questionnaire.label(extreme) or 'no label'}): {named}{more}.")
        return f"{told} {self.target_text(result)}".strip()


def _short(text: str, longest: int = 110) -> str:
    """Text cut at a word to at most `longest` characters, with an ellipsis."""
    text = " ".join(text.split())
    if len(text) <= longest:
        return text
    return text[:longest].rsplit(" ", 1)[0].rstrip(",;:") + "\u2026"


@dataclass(frozen=True)
class ReportData:
    """A whole maturity-profile report: one round of one council."""

    organisation: OrganisationInfo
    round: RoundInfo
    generated: date
    respondents: tuple[Respondent, ...]
    questionnaires: tuple[QuestionnaireReport, ...]
    pending: tuple[str, ...] = ()  # titles of the round's questionnaires with nothing submitted yet
    title: str = field(default="Maturity profile")
    # A respondent's own copy leaves out who else answered (they may not see colleagues' names).
    respondents_hidden: bool = False

    @property
    def subject(self) -> str:
        """A one-line subject for document metadata."""
        titles = ", ".join(q.title for q in self.questionnaires)
        return f"Self-assessment maturity profile of {self.organisation.official_name}, {self.round.title}: {titles}"


#: Picks the response a questionnaire's figures come from, among the round's responses to it.
Chooser = Callable[[QuestionnaireVersion, Sequence[Response]], Response | None]


EARLIEST = datetime.min.replace(tzinfo=UTC)


def _submitted(responses: Sequence[Response]) -> list[Response]:
    return [r for r in responses if r.status == ResponseStatus.SUBMITTED]


def respondent_chooser(respondent: User) -> Chooser:
    """Consensus if submitted, else the respondent's own submitted response; never anyone else's."""

    def choose(version: QuestionnaireVersion, responses: Sequence[Response]) -> Response | None:
        submitted = _submitted(responses)
        consensus = [r for r in submitted if r.kind == ResponseKind.CONSENSUS]
        own = [r for r in submitted if r.kind == ResponseKind.INDIVIDUAL and r.respondent_id == respondent.id]
        return next(iter(consensus or own), None)

    return choose


def default_chooser(respondent: User | None = None) -> Chooser:
    """Consensus if submitted, else ``respondent``'s own submitted response, else the latest submitted one."""
    preferred = respondent_chooser(respondent) if respondent is not None else None

    def choose(version: QuestionnaireVersion, responses: Sequence[Response]) -> Response | None:
        chosen = preferred(version, responses) if preferred else None
        if chosen is not None:
            return chosen
        submitted = _submitted(responses)
        consensus = [r for r in submitted if r.kind == ResponseKind.CONSENSUS]
        individual = [r for r in submitted if r.kind == ResponseKind.INDIVIDUAL]
        if consensus:
            return consensus[0]
        return max(individual, key=lambda r: (r.submitted_at or EARLIEST, r.id), default=None)

    return choose


def chosen_responses(response_ids: Collection[int], fallback: Chooser | None = None) -> Chooser:
    """A chooser for responses a lead picked by id; other questionnaires fall back (default chooser)."""
    wanted = set(response_ids)
    otherwise = fallback or default_chooser()

    def choose(version: QuestionnaireVersion, responses: Sequence[Response]) -> Response | None:
        picked = [r for r in _submitted(responses) if r.id in wanted]
        return picked[0] if picked else otherwise(version, responses)

    return choose


def build_report(
    session: Session,
    assessment: Assessment,
    *,
    respondent: User | None = None,
    choose: Chooser | None = None,
    include_spread: bool = False,
    generated: date | None = None,
) -> ReportData:
    """Gather a round's maturity profile; NoSubmittedResponse if no questionnaire has a submitted response."""
    chooser = choose or default_chooser(respondent)
    responses = session.scalars(
        select(Response)
        .where(Response.assessment_id == assessment.id)
        .options(selectinload(Response.answers), selectinload(Response.respondent), selectinload(Response.scores))
        .order_by(Response.id)
    ).all()
    by_version: dict[int, list[Response]] = {}
    for response in responses:
        by_version.setdefault(response.questionnaire_version_id, []).append(response)

    targets: dict[str, dict[str, int]] = {}
    for questionnaire_id, section_id, level in session.execute(
            select(Target.questionnaire_id, Target.section_id, Target.level).filter_by(assessment_id=assessment.id)):
        targets.setdefault(questionnaire_id, {})[section_id] = level
    parts: list[QuestionnaireReport] = []
    pending: list[str] = []
    for link in assessment.questionnaires:
        version = link.questionnaire_version
        candidates = by_version.get(version.id, [])
        chosen = chooser(version, candidates)
        if chosen is None or chosen.status != ResponseStatus.SUBMITTED:
            pending.append(version.title)
            continue
        others = [r for r in _submitted(candidates) if r.kind == ResponseKind.INDIVIDUAL] if include_spread else []
        part = questionnaire_report(questionnaire_of(version), chosen, others)
        parts.append(replace(part, targets=targets.get(version.questionnaire_id, {})))
    if not parts:
        raise NoSubmittedResponse(
            f"{assessment.organisation.name} has no submitted response in the round '{assessment.title}'"
        )
    return ReportData(
        organisation=organisation_info(assessment.organisation),
        round=RoundInfo(
            id=assessment.id,
            title=assessment.title,
            status=str(assessment.status or "open"),
            created=assessment.created_at.date() if assessment.created_at else None,
            opens_on=assessment.opens_on,
            closes_on=assessment.closes_on,
        ),
        generated=generated or date.today(),
        respondents=_respondents(responses, len(assessment.questionnaires)),
        questionnaires=tuple(parts),
        pending=tuple(pending),
    )


def organisation_info(organisation: Organisation) -> OrganisationInfo:
    """The plain facts about a council that a report shows."""
    return OrganisationInfo(
        code=organisation.code,
        name=organisation.name,
        official_name=organisation.official_name or organisation.name,
        type=organisation.type,
        region=organisation.region,
    )


def _respondents(responses: Sequence[Response], questionnaire_count: int) -> tuple[Respondent, ...]:
    submitted: Counter[int] = Counter()
    people: dict[int, Response] = {}
    for response in responses:
        if response.kind == ResponseKind.INDIVIDUAL and response.status == ResponseStatus.SUBMITTED:
            key = response.respondent_id or -response.id
            submitted[key] += 1
            people.setdefault(key, response)
    result = []
    for key, count in submitted.items():
        response = people[key]
        name = response.respondent.name if response.respondent else "A former respondent"
        group = str(response.respondent_group) if response.respondent_group else None
        result.append(Respondent(name, group, count, questionnaire_count))
    return tuple(sorted(result, key=lambda r: r.name.lower()))


def source_of(response: Response) -> SourceResponse:
    """A response described as a source of figures."""
    return SourceResponse(
        id=response.id,
        kind=str(response.kind),
        respondent=response.respondent.name if response.respondent else None,
        group=str(response.respondent_group) if response.respondent_group else None,
        submitted=response.submitted_at,
    )


def questionnaire_report(
    questionnaire: Questionnaire, response: Response, others: Sequence[Response] = ()
) -> QuestionnaireReport:
    """One questionnaire's report from the chosen response's stored scores (and, for a spread, the individual ones)."""
    profile = stored_profile(response)
    answers = answers_of(response)
    spreads = _spreads(questionnaire, [answers_of(r) for r in others]) if others else {}
    return assemble(questionnaire, profile, answers, (source_of(response),), spreads)


def assemble(
    questionnaire: Questionnaire,
    profile: Profile,
    answers: dict[str, Answer],
    sources: tuple[SourceResponse, ...],
    spreads: dict[str, tuple[SpreadItem, ...]] | None = None,
) -> QuestionnaireReport:
    """Put one questionnaire's report together from a profile and the answers it was scored from."""
    strengths, improvements = strengths_and_improvements(profile)
    return QuestionnaireReport(
        questionnaire=questionnaire,
        profile=profile,
        sources=sources,
        strengths=strengths,
        improvements=improvements,
        resources=applicable_resources(questionnaire, profile),
        answers=answer_rows(questionnaire, answers, spreads or {}),
    )


def strengths_and_improvements(profile: Profile) -> tuple[tuple[SectionResult, ...], tuple[SectionResult, ...]]:
    """The sections at the highest level reached, and those at the lowest (none when all are level)."""
    levelled = [s for s in profile.sections if s.level is not None]
    if not levelled:
        return (), ()
    high = max(s.level for s in levelled if s.level is not None)
    low = min(s.level for s in levelled if s.level is not None)
    if high == low:
        return (), ()
    return (
        tuple(s for s in levelled if s.level == high),
        tuple(s for s in levelled if s.level == low),
    )


def applicable_resources(questionnaire: Questionnaire, profile: Profile) -> tuple[ResourceItem, ...]:
    """The resources to signpost: always-relevant ones, and those whose section is at or below max_level."""
    items: list[ResourceItem] = []
    for resource in questionnaire.resources:
        target = resource.applies_to
        if target is None:
            items.append(ResourceItem(resource, None))
            continue
        if target.section is not None:
            try:
                result = profile.section(target.section)
            except KeyError:
                continue
            level, title = result.level, result.title
        else:
            level, title = profile.level, None
        if target.max_level is None or (level is not None and level <= target.max_level):
            items.append(ResourceItem(resource, title))
    return tuple(items)


def answer_rows(
    questionnaire: Questionnaire, answers: dict[str, Answer], spreads: dict[str, tuple[SpreadItem, ...]]
) -> tuple[AnswerRow, ...]:
    """Every shown question with its answer and comment, in questionnaire order."""
    shown = visible_questions(questionnaire, answers)
    rows: list[AnswerRow] = []
    for section in questionnaire.sections:
        for question in section.questions:
            if question.id not in shown:
                continue
            answer = answers.get(question.id)
            level = answer.value if (
                question.type == "level" and answer is not None and isinstance(answer.value, int)
                and not answer.not_applicable
            ) else None
            rows.append(AnswerRow(
                section_id=section.id,
                question_id=question.id,
                question=question.text,
                answer=describe_answer(questionnaire, question, answer, with_level=False),
                level=level,
                level_label=questionnaire.label(level),
                not_applicable=bool(answer and answer.not_applicable),
                comment=(answer.comment or None) if answer else None,
                spread=spreads.get(question.id, ()),
            ))
    return tuple(rows)


def _spreads(
    questionnaire: Questionnaire, all_answers: Sequence[dict[str, Answer]]
) -> dict[str, tuple[SpreadItem, ...]]:
    result: dict[str, tuple[SpreadItem, ...]] = {}
    shown = [visible_questions(questionnaire, answers) for answers in all_answers]  # once per respondent
    for question in questionnaire.questions:
        counts: Counter[str] = Counter()
        for answers, visible in zip(all_answers, shown, strict=True):
            if question.id in visible:
                answer = answers.get(question.id)
                if question.type == "level" and answer is not None and isinstance(answer.value, int):
                    counts[f"{answer.value} {questionnaire.label(answer.value) or ''}".strip()] += 1
                else:
                    counts[describe_answer(questionnaire, question, answer, with_level=False)] += 1
        if counts:
            result[question.id] = tuple(SpreadItem(text, n) for text, n in sorted(counts.items()))
    return result
