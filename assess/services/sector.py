"""Sector figures: SQL aggregates over the stored scores of published rounds that councils shared.

What counts: a round that is published (or closed after publishing) and shared anonymously or by
name; each council once per questionnaire, with its latest such round in the period asked for.
Every table or chart here is one query; Python only arranges the aggregated rows and applies the
disclosure rule (:func:`hidden_groups`), so pages, exports, the CLI and the API show the same figures.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any, NamedTuple

from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    Integer,
    ScalarSelect,
    Select,
    String,
    Subquery,
    and_,
    case,
    cast,
    exists,
    func,
    literal,
    literal_column,
    or_,
    select,
    tuple_,
    union_all,
)
from sqlalchemy.orm import InstrumentedAttribute, Session, aliased, defer

from assess.models import (
    Action,
    ActionStatus,
    Assessment,
    AssessmentStatus,
    Organisation,
    QuestionnaireVersion,
    RespondentGroup,
    Response,
    ResponseKind,
    ResponseStatus,
    Score,
    Sharing,
    Target,
)
from assess.services.questionnaires import questionnaire_of
from scoring import Questionnaire

#: Groups of fewer councils than this show no figure (the SECTOR_THRESHOLD setting; never below 3).
DEFAULT_THRESHOLD = 5
LOWEST_THRESHOLD = 3
#: How many of the nearest councils by population (of the same type) a benchmark compares with.
NEIGHBOURS = 10
SHARED = (Sharing.ANONYMOUS, Sharing.NAMED)
ALL_COUNCILS = "All councils"
GROUPINGS = ("type", "region")

SUPPRESSION_RULE = (
    "No figure (count, share, median or quartile) is shown for a group of fewer than {threshold} councils. "
    "Where a total is shown or can be asked for, further groups are hidden as well, smallest first, until the "
    "hidden groups together cover at least {threshold} councils, at least two groups, and more councils than "
    "groups, so that no hidden group's figures can be worked out by subtraction. Each council counts once per "
    "questionnaire: its latest published round in the period that counts. Private rounds never count, and councils "
    "that shared anonymously are never named. A round shared anonymously counts only if its council shared no "
    "published round by name and at least {threshold} councils of its type and region are named nowhere in the "
    "published levels, so that a figure could be any of them; otherwise it counts as private. Benchmarks compare "
    "councils that shared by name only. In the published levels (the API's published.csv), a round shared "
    "anonymously also has its type and region left empty unless it may count (its council is named nowhere and at "
    "least {threshold} councils of that type in that region are named nowhere in them), so that the type and region "
    "never narrow it down to fewer councils; the column counted says which rows make the figures."
)


def suppression_rule(threshold: int) -> str:
    """The disclosure rule in words, for pages and exports."""
    return SUPPRESSION_RULE.format(threshold=threshold)


@dataclass(frozen=True)
class Filters:
    """Which published rounds a figure covers."""

    questionnaire: str | None = None
    section: str | None = None
    type: str | None = None
    region: str | None = None
    start: date | None = None
    end: date | None = None


def _period(column: InstrumentedAttribute[datetime | None], filters: Filters) -> list[ColumnElement[bool]]:
    conditions = []
    if filters.start is not None:
        conditions.append(column >= datetime.combine(filters.start, time(), UTC))
    if filters.end is not None:
        conditions.append(column < datetime.combine(filters.end + timedelta(days=1), time(), UTC))
    return conditions


def _published_shared(filters: Filters, sharing: Sequence[Sharing] = SHARED,
                       threshold: int | None = None) -> list[ColumnElement[bool]]:
    """Conditions for agreed responses of published rounds shared in these ways, within the filters.

    Given a threshold, an anonymous round counts only where its council is itself named nowhere and at least that
    many councils of its type and region are named nowhere (an open place); elsewhere it is taken as private, so that
    no figure, nor any difference between figures, can be traced to fewer councils than the threshold (ADR 0010).
    A council named in another round is left out of those it could be: its anonymous round would replace its named
    one in the figures, and tie itself to it.
    """
    shared: ColumnElement[bool] = Assessment.sharing.in_(sharing)
    if threshold is not None and Sharing.ANONYMOUS in sharing:
        places = open_places(threshold)
        shared = or_(Assessment.sharing.in_([way for way in sharing if way != Sharing.ANONYMOUS]),
                     and_(Assessment.sharing == Sharing.ANONYMOUS, Organisation.id.not_in(named_councils()),
                          tuple_(Organisation.type, Organisation.region).in_(select(places.c.type, places.c.region))))
    conditions = [
        Response.kind == ResponseKind.CONSENSUS,
        Assessment.status.in_((AssessmentStatus.PUBLISHED, AssessmentStatus.CLOSED)),
        Assessment.published_at.is_not(None),
        shared,
        *_period(Assessment.published_at, filters),
    ]
    if filters.questionnaire is not None:
        conditions.append(QuestionnaireVersion.questionnaire_id == filters.questionnaire)
    if filters.type is not None:
        conditions.append(Organisation.type == filters.type)
    if filters.region is not None:
        conditions.append(Organisation.region == filters.region)
    return conditions


def _year(column: InstrumentedAttribute[datetime | None]) -> ColumnElement[int]:
    return cast(func.extract("year", column), Integer)


# Built once per set of filters: building the statement costs more than running it on a small sector, and a
# statement is immutable, so it is safe to share between requests and threads.
@lru_cache(maxsize=512)
def ranked(filters: Filters, sharing: tuple[Sharing, ...] = SHARED, per_year: bool = False,
           threshold: int | None = None) -> Subquery:
    """Every scored agreed response of a published, shared round, ranked newest first per council and questionnaire.

    Anonymous rounds need the disclosure threshold, which decides where they count (see _published_shared).
    """
    if Sharing.ANONYMOUS in sharing and threshold is None:
        raise ValueError("anonymous rounds count only with the disclosure threshold")
    partition: list[ColumnElement[Any]] = [Assessment.organisation_id.expression,
                                           QuestionnaireVersion.questionnaire_id.expression]
    if per_year:
        partition.append(_year(Assessment.published_at))
    rank = func.row_number().over(partition_by=partition,
                                  order_by=(Assessment.published_at.desc(), Assessment.id.desc()))
    return (
        # Only the columns some figure reads: SQLite carries every one through the window's sort.
        select(Response.id.label("response_id"), Assessment.id.label("round_id"),
               Assessment.organisation_id.label("organisation_id"), Assessment.published_at.label("published_at"),
               QuestionnaireVersion.id.label("version_id"),
               QuestionnaireVersion.questionnaire_id.label("questionnaire_id"), Organisation.type.label("type"),
               Organisation.region.label("region"), Organisation.population.label("population"),
               _year(Assessment.published_at).label("year"), rank.label("rank"))
        .join(Assessment, Response.assessment_id == Assessment.id)
        .join(QuestionnaireVersion, Response.questionnaire_version_id == QuestionnaireVersion.id)
        .join(Organisation, Assessment.organisation_id == Organisation.id)
        .join(Score, and_(Score.response_id == Response.id, Score.section_id.is_(None)))
        .where(*_published_shared(filters, sharing, threshold))
        .subquery("ranked")
    )


@lru_cache(maxsize=512)
def counted(filters: Filters, threshold: int | None, sharing: tuple[Sharing, ...] = SHARED,
            per_year: bool = False) -> Subquery:
    """The agreed responses that count: each council's latest published, shared round per questionnaire (and year)."""
    inner = ranked(filters, sharing, per_year, threshold)
    return select(inner).where(inner.c.rank == 1).subquery("counted")


def _section_is(section: str | None) -> ColumnElement[bool]:
    return Score.section_id.is_(None) if section is None else Score.section_id == section


# Disclosure control --------------------------------------------------------------------------------------------


def hidden_groups(sizes: Mapping[str, int], threshold: int) -> set[str]:
    """Groups to hide: each under the threshold, then the smallest others until none can be worked out from the total.

    Whatever can be derived by subtracting the shown groups from the total is the union of the hidden
    ones, so the union must cover at least ``threshold`` councils and two groups, and more councils
    than groups (otherwise every hidden group would be known to hold exactly one).
    """
    hidden = {group for group, size in sizes.items() if size < threshold}
    rest = sorted((size, group) for group, size in sizes.items() if group not in hidden)

    def exposed() -> bool:
        total = sum(sizes[group] for group in hidden)
        return len(hidden) < 2 or total < threshold or total <= len(hidden)

    while hidden and rest and exposed():
        hidden.add(rest.pop(0)[1])
    return hidden


def total_hidden(sizes: Mapping[str, int], hidden: set[str], threshold: int) -> bool:
    """Whether the total must be hidden too: under the threshold, or every group hidden with one council each."""
    total = sum(sizes.values())
    return total < threshold or (hidden == set(sizes) and total <= len(hidden))


# Level distributions -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Distribution:
    """How many councils are at each level in one group; figures are None when the group is hidden."""

    group: str
    councils: int | None
    levels: dict[int, int | None]
    labels: dict[int, str]

    @property
    def suppressed(self) -> bool:
        """Whether the group's figures are hidden."""
        return self.councils is None

    def share(self, level: int) -> float | None:
        """The share of the group's councils at a level (None when hidden)."""
        count = self.levels.get(level)
        return None if count is None or not self.councils else count / self.councils

    def quantile(self, fraction: float) -> int | None:
        """The level at which the given fraction of the group's councils is reached (lower median for 0.5)."""
        if self.councils is None or self.councils == 0:
            return None
        needed = max(1, math.ceil(self.councils * fraction))
        running = 0
        for level in sorted(self.levels):
            running += self.levels[level] or 0
            if running >= needed:
                return level
        return None

    @property
    def median(self) -> int | None:
        """The median level."""
        return self.quantile(0.5)

    @property
    def lower_quartile(self) -> int | None:
        """The lower quartile level."""
        return self.quantile(0.25)

    @property
    def upper_quartile(self) -> int | None:
        """The upper quartile level."""
        return self.quantile(0.75)


def _distributions(rows: Sequence[tuple[str, int | None, int]], questionnaire: Questionnaire,
                   threshold: int) -> list[Distribution]:
    """Distributions from (group, level, count) rows, with groups hidden by the disclosure rule."""
    counts: dict[str, dict[int, int]] = {}
    for group, level, count in rows:
        if level is not None:
            counts.setdefault(group, {})[level] = count
    labels = {level: questionnaire.label(level) or str(level) for level in questionnaire.levels}
    hidden = hidden_groups({group: sum(by_level.values()) for group, by_level in counts.items()}, threshold)
    return [Distribution(name, None, dict.fromkeys(labels), labels) if name in hidden
            else Distribution(name, sum(by_level.values()), {level: by_level.get(level, 0) for level in labels},
                              labels)
            for name, by_level in sorted(counts.items())]


def levels(session: Session, filters: Filters, questionnaire: Questionnaire, threshold: int,
           group_by: str | None = None) -> list[Distribution]:
    """The distribution of overall (or one section's) levels: one group for all councils, or one per type or region.

    Grouped, the groups are hidden so that none can be worked out from the all-councils figure.
    """
    rows = session.connection().execute(_levels_query(filters, group_by, threshold)).tuples().all()
    found = _distributions(rows, questionnaire, threshold)
    if group_by is None and not found:
        return _distributions([(ALL_COUNCILS, questionnaire.levels[0], 0)], questionnaire, threshold)
    return found


# Each figure's statement is built once per set of filters (see ranked).
@lru_cache(maxsize=512)
def _levels_query(filters: Filters, group_by: str | None, threshold: int) -> Select[tuple[str, int | None, int]]:
    shown = counted(filters, threshold)
    group = literal(ALL_COUNCILS) if group_by is None else shown.c[group_by]
    return (select(group, Score.level, func.count())
            .select_from(shown).join(Score, Score.response_id == shown.c.response_id)
            .where(_section_is(filters.section), Score.level.is_not(None))
            .group_by(group, Score.level))


def section_levels(session: Session, filters: Filters, questionnaire: Questionnaire,
                   threshold: int) -> list[Distribution]:
    """Each section's distribution of levels across the councils counted (one query for every section).

    Sections are not parts of a whole, so each is judged on its own size.
    """
    rows = session.connection().execute(_section_levels_query(filters, threshold)).tuples().all()
    return [distribution for section in questionnaire.sections
            for distribution in _distributions([(section.title, level, count) for s, level, count in rows
                                                if s == section.id], questionnaire, threshold)]


@lru_cache(maxsize=512)
def _section_levels_query(filters: Filters, threshold: int) -> Select[tuple[str | None, int | None, int]]:
    shown = counted(filters, threshold)
    return (select(Score.section_id, Score.level, func.count())
            .select_from(shown).join(Score, Score.response_id == shown.c.response_id)
            .where(Score.section_id.is_not(None), Score.level.is_not(None))
            .group_by(Score.section_id, Score.level))


# Participation -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Participation:
    """Councils in the register and councils counted (None when hidden) for one type or region."""

    group: str
    register: int
    published: int | None

    @property
    def share(self) -> float | None:
        """The share of the register counted."""
        return None if self.published is None or not self.register else self.published / self.register


def participation(session: Session, filters: Filters, group_by: str, threshold: int) -> list[Participation]:
    """Councils that published and shared a round (of the questionnaire, if chosen) against the register.

    A count of one to ``threshold - 1`` councils is hidden, and others with it so that it cannot be
    worked out from the total (the first row).
    """
    rows = session.connection().execute(_participation_query(filters, group_by, threshold)).tuples().all()
    sizes = {name: count for name, _register, count in rows if count > 0}
    hidden = hidden_groups(sizes, threshold)
    total = Participation(ALL_COUNCILS, sum(r for _n, r, _c in rows),
                          None if sizes and total_hidden(sizes, hidden, threshold) else sum(sizes.values()))
    return [total, *(Participation(name, register, None if name in hidden else count)
                     for name, register, count in rows)]


@lru_cache(maxsize=512)
def _participation_query(filters: Filters, group_by: str, threshold: int) -> Select[tuple[str, int, int]]:
    shown = counted(filters, threshold)
    # IN rather than a join to the counted councils: SQLite scans a joined subquery once per council (time
    # growing with the square of the register), but looks IN up in an index it builds once.
    published = Organisation.id.in_(select(shown.c.organisation_id))
    group = Organisation.type if group_by == "type" else Organisation.region
    conditions = [c for c in (Organisation.type == filters.type if filters.type else None,
                              Organisation.region == filters.region if filters.region else None) if c is not None]
    return (select(group, func.count(Organisation.id), func.count(case((published, 1))))
            .where(*conditions)
            .group_by(group).order_by(group))


# Officers and members ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Gap:
    """Officers' and members' mean section levels in their own responses (None when too few councils)."""

    section: str
    title: str
    officers: float | None
    members: float | None
    officer_councils: int | None
    member_councils: int | None

    @property
    def gap(self) -> float | None:
        """How far members rate the section above (+) or below (-) officers."""
        return None if self.officers is None or self.members is None else self.members - self.officers


def perception_gap(session: Session, filters: Filters, questionnaire: Questionnaire, threshold: int) -> list[Gap]:
    """Officers' against members' mean section levels, over individual responses in the rounds counted."""
    means: dict[tuple[str | None, str], tuple[float, int]] = {
        (section, str(group)): (float(mean), councils) for section, group, mean, councils
        in session.connection().execute(_gap_query(filters, threshold)).tuples()
    }

    def figure(section: str, group: RespondentGroup) -> tuple[float | None, int | None]:
        mean, councils = means.get((section, group.value), (None, 0))
        return (mean, councils) if councils >= threshold else (None, None)

    result = []
    for section in questionnaire.sections:
        officers, officer_councils = figure(section.id, RespondentGroup.OFFICER)
        members, member_councils = figure(section.id, RespondentGroup.MEMBER)
        result.append(Gap(section.id, section.title, officers, members, officer_councils, member_councils))
    return result


@lru_cache(maxsize=512)
def _gap_query(filters: Filters, threshold: int) -> Select[tuple[str | None, RespondentGroup | None, float, int]]:
    shown = counted(filters, threshold)
    return (
        select(Score.section_id, Response.respondent_group, func.avg(Score.level),
               func.count(shown.c.organisation_id.distinct()))
        .select_from(shown).join(Response, and_(Response.assessment_id == shown.c.round_id,
                             Response.questionnaire_version_id == shown.c.version_id))
        .join(Score, Score.response_id == Response.id)
        .where(Response.kind == ResponseKind.INDIVIDUAL, Response.status == ResponseStatus.SUBMITTED,
               Response.respondent_group.in_((RespondentGroup.OFFICER, RespondentGroup.MEMBER)),
               Score.section_id.is_not(None), Score.level.is_not(None))
        .group_by(Score.section_id, Response.respondent_group)
    )


# Change over time ----------------------------------------------------------------------------------------------


def by_year(session: Session, filters: Filters, questionnaire: Questionnaire, threshold: int) -> list[Distribution]:
    """Each year's distribution of levels: each council's latest round in that year."""
    rows = session.connection().execute(_by_year_query(filters, threshold)).tuples().all()
    years = sorted({year for year, _level, _count in rows})
    # Years are not parts of one total: each is judged on its own size.
    return [d for year in years
            for d in _distributions([(str(year), lv, n) for y, lv, n in rows if y == year], questionnaire,
                                    threshold)]


@lru_cache(maxsize=512)
def _by_year_query(filters: Filters, threshold: int) -> Select[tuple[int, int | None, int]]:
    shown = counted(filters, threshold, per_year=True)
    return (select(shown.c.year, Score.level, func.count())
            .select_from(shown).join(Score, Score.response_id == shown.c.response_id)
            .where(_section_is(filters.section), Score.level.is_not(None))
            .group_by(shown.c.year, Score.level))


# Benchmark -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Benchmark:
    """A council's agreed levels beside those of similar councils (nearest by population, same type)."""

    councils: int
    shown: bool
    own: dict[str | None, int | None]
    group: list[tuple[str | None, Distribution]] = field(default_factory=list)


def benchmark(session: Session, organisation: Organisation, own_response_id: int | ScalarSelect[int] | None,
              questionnaire: Questionnaire, threshold: int, neighbours: int = NEIGHBOURS) -> Benchmark:
    """Compare one council's agreed levels with its nearest councils of the same type by population."""
    rows = session.connection().execute(_benchmark_query(questionnaire.id, organisation.id, organisation.type,
                                                         organisation.population or 0, neighbours,
                                                         own_response_id)).tuples().all()
    own: dict[str | None, int | None] = {section: level for section, level, count in rows if count == OWN}
    found: list[tuple[str | None, int | None, int]] = [row for row in rows if row[2] != OWN]
    size = sum(count for section, _level, count in found if section is None)
    if size < threshold:
        return Benchmark(size, False, own)
    order = [None, *(section.id for section in questionnaire.sections)]
    group = [(section, _distributions([(str(section), lv, n) for s, lv, n in found if s == section], questionnaire,
                                      threshold)[0])
             for section in order if any(s == section for s, _lv, _n in found)]
    return Benchmark(size, True, own, group)


#: The count that marks a row of the council's own levels in the benchmark's statement (a group's counts are >= 1).
OWN = 0


@lru_cache(maxsize=512)
def _benchmark_query(questionnaire_id: str, organisation_id: int, type_: str, population: int, neighbours: int,
                     own_response_id: int | ScalarSelect[int] | None) -> Select[Any] | CompoundSelect[Any]:
    # The comparison group's counts of each section's (and the overall) levels, then the council's own levels
    # (found by their response id, or a query of it), in one statement.
    # Councils that shared by name only: comparing one council's benchmark with another's could single out the
    # council that is in one comparison group and not the other, by its population.
    shown = counted(Filters(questionnaire=questionnaire_id, type=type_), None, sharing=(Sharing.NAMED,))
    nearest = (
        select(shown.c.response_id)
        .where(shown.c.organisation_id != organisation_id, shown.c.population.is_not(None))
        .order_by(func.abs(shown.c.population - population), shown.c.organisation_id)
        .limit(neighbours)
        .subquery("nearest")
    )
    group = (select(Score.section_id, Score.level, func.count())
             .select_from(nearest).join(Score, nearest.c.response_id == Score.response_id)
             .where(Score.level.is_not(None))
             .group_by(Score.section_id, Score.level))
    if own_response_id is None:
        return group
    return union_all(group, select(Score.section_id, Score.level, literal_column(str(OWN)))
                     .where(Score.response_id == own_response_id))


@lru_cache(maxsize=512)
def latest_published_response_id(organisation_id: int, questionnaire_id: str,
                                 sharing: tuple[Sharing, ...]) -> ScalarSelect[int]:
    """A query (to use inside another) of the council's latest published agreed response shared in these ways."""
    return (
        select(Response.id)
        .join(Assessment, Response.assessment_id == Assessment.id)
        .join(QuestionnaireVersion, Response.questionnaire_version_id == QuestionnaireVersion.id)
        .join(Score, and_(Score.response_id == Response.id, Score.section_id.is_(None)))
        .where(Assessment.organisation_id == organisation_id,
               *_published_shared(Filters(questionnaire=questionnaire_id), sharing))
        .order_by(Assessment.published_at.desc(), Assessment.id.desc())
        .limit(1)
        .scalar_subquery()
    )


# Finding a council ---------------------------------------------------------------------------------------------


class CouncilFound(NamedTuple):
    """A council of the register matching a search, and whether it shared a published round by name."""

    code: str
    name: str
    type: str
    region: str
    shares_by_name: bool


#: At most this many councils answer a search: a name narrower than that finds the one wanted.
MOST_FOUND = 50


def find_councils(session: Session, text: str) -> list[CouncilFound]:
    """Councils of the register whose name or code holds the text (any case), an exact code first, then by name.

    The register is public, and so is sharing by name (published.csv names those councils); nothing here says
    whether a council published otherwise.
    """
    wanted = text.strip().lower()
    pattern = "%" + wanted.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    query = (select(Organisation.code, Organisation.name, Organisation.type, Organisation.region,
                    Organisation.id.in_(named_councils()))
             .where(or_(func.lower(Organisation.name).like(pattern, escape="\\"),
                        func.lower(Organisation.code).like(pattern, escape="\\")))
             .order_by(func.lower(Organisation.code) != wanted, Organisation.name)
             .limit(MOST_FOUND))
    return [CouncilFound(code, name, type_, region, bool(named))
            for code, name, type_, region, named in session.execute(query).tuples()]


# Targeting -----------------------------------------------------------------------------------------------------


class TargetingRow(NamedTuple):
    """A council shared by name, with what says it may need support (a named tuple: a list has hundreds)."""

    code: str
    name: str
    type: str
    region: str
    round_id: int
    published_on: date
    level: int | None
    label: str | None
    previous: int | None
    previous_label: str | None
    target: int | None
    overdue_actions: int

    @property
    def change(self) -> int | None:
        """The change in level since the council's previous round shared by name."""
        return None if self.level is None or self.previous is None else self.level - self.previous

    @property
    def shortfall(self) -> int | None:
        """How many levels below its own target the council is."""
        return None if self.level is None or self.target is None else max(0, self.target - self.level)


TARGETING_SORTS = ("level", "change", "shortfall", "overdue", "name")
#: Targets are set for sections, so the overall level has none to fall short of.
SHORTFALL_NEEDS_SECTION = ("Choose a section to sort by how far below target councils are: targets are set for "
                           "sections, not the overall level")


def sort_problem(sort: str, filters: Filters) -> str | None:
    """Why the targeting list cannot be sorted this way for these filters (None when it can)."""
    return SHORTFALL_NEEDS_SECTION if sort == "shortfall" and filters.section is None else None


def targeting(session: Session, filters: Filters, questionnaire: Questionnaire, today: date,
              sort: str = "level") -> list[TargetingRow]:
    """Councils shared by name that most need support in a questionnaire (or a section of it), by the chosen order."""
    rows = session.connection().execute(_targeting_query(filters, questionnaire.id, today, sort)).tuples().all()
    labels: dict[int | None, str | None] = {level: questionnaire.label(level) for level in questionnaire.levels}
    return [TargetingRow(code, name, type_, region, round_id, published.date(), level, labels.get(level), before,
                         labels.get(before), goal, late)
            for code, name, type_, region, round_id, published, level, before, goal, late in rows]


@lru_cache(maxsize=256)
def _targeting_query(filters: Filters, questionnaire_id: str, today: date, sort: str
                     ) -> Select[tuple[str, str, str, str, int, datetime, int | None, int | None, int | None, int]]:
    # Each council's rounds shared by name, newest first, each with the response of the round before it
    # (lead: the next row in that order) rather than a join of the rounds to themselves, which SQLite
    # answers by scanning every council's rounds once per council.
    inner = ranked(filters, sharing=(Sharing.NAMED,))
    before = func.lead(inner.c.response_id).over(partition_by=(inner.c.organisation_id, inner.c.questionnaire_id),
                                                  order_by=inner.c.rank)
    current = select(inner, before.label("previous_response_id")).subquery("current")
    now, then = aliased(Score, name="now_score"), aliased(Score, name="then_score")
    section = filters.section
    overdue = (
        select(func.count(Action.id))
        .where(Action.assessment_id == current.c.round_id, Action.questionnaire_id == questionnaire_id,
               Action.due_on < today, Action.status != ActionStatus.DONE,
               *([Action.section_id == section] if section is not None else []))
        .scalar_subquery()
    )
    target: ColumnElement[int | None] = (
        select(Target.level).where(Target.assessment_id == current.c.round_id,
                                   Target.questionnaire_id == questionnaire_id, Target.section_id == section)
        .scalar_subquery() if section is not None else literal(None, Integer)
    )
    orders: dict[str, list[ColumnElement[Any]]] = {
        "level": [now.level.asc().nulls_last()],
        "change": [(now.level - then.level).asc().nulls_last()],
        "shortfall": [(target - now.level).desc().nulls_last()],
        "overdue": [overdue.desc()],
        "name": [],
    }
    query: Select[tuple[str, str, str, str, int, datetime, int | None, int | None, int | None, int]] = (
        select(Organisation.code, Organisation.name, Organisation.type, Organisation.region, current.c.round_id,
               current.c.published_at, now.level, then.level, target, overdue)
        .select_from(current).join(Organisation, Organisation.id == current.c.organisation_id)
        .join(now, and_(now.response_id == current.c.response_id,
                        now.section_id.is_(None) if section is None else now.section_id == section))
        .outerjoin(then, and_(then.response_id == current.c.previous_response_id,
                              then.section_id.is_(None) if section is None else then.section_id == section))
        .where(current.c.rank == 1)
        .order_by(*orders[sort], Organisation.name)
    )
    return query


# The published levels (one row per section and overall level) ---------------------------------------------------

PUBLISHED_COLUMNS = ("council_code", "council_name", "council_type", "region", "round_id", "published_on",
                     "questionnaire", "version", "section", "level", "label", "counted", "counted_in_year")
#: What each column of published.csv means: its data dictionary (README, OpenAPI description). New columns go at the
#: end, and a column never changes its meaning, so scripts written against the file keep working.
PUBLISHED_MEANINGS = {
    "council_code": "The council's code in the register; empty for a round shared anonymously.",
    "council_name": "The council's name; empty for a round shared anonymously.",
    "council_type": "The council's type; empty for a round shared anonymously that counts as private in sector "
                    "figures (ADR 0008, 0010): its council shared another round by name, or fewer than the threshold "
                    "of councils of its type in its region are named nowhere in this file.",
    "region": "The council's region; empty exactly when council_type is.",
    "round_id": "The round's number; for a round shared anonymously, its random uid.",
    "published_on": "The day the round was published (YYYY-MM-DD).",
    "questionnaire": "The questionnaire's id.",
    "version": "The questionnaire's version the round answered.",
    "section": "The section's id; empty for the overall level.",
    "level": "The agreed level (empty: none could be worked out).",
    "label": "The level's label in that version of the questionnaire.",
    "counted": "yes if the round counts in the sector figures asked for with the same filters (the dashboard, its "
               "exports, the sector PDF and the API's levels): its council's latest round that counts in the period. "
               "Every other row (an earlier round, or a round shared anonymously with its type and region empty) is "
               "no. Counting the rows with yes by level, for one questionnaire and section (empty: overall), gives "
               "each figure, before groups are hidden by the disclosure rule.",
    "counted_in_year": "yes if the round counts in the levels by year: its council's latest round that counts "
                       "published that year (in the period asked for).",
}


def named_councils() -> Select[tuple[int]]:
    """Councils named somewhere in the published set: any published round they shared by name, in any period."""
    return (select(Assessment.organisation_id)
            .where(Assessment.sharing == Sharing.NAMED, Assessment.published_at.is_not(None),
                   Assessment.status.in_((AssessmentStatus.PUBLISHED, AssessmentStatus.CLOSED))))


def open_places(threshold: int) -> Subquery:
    """Each council type and region with at least ``threshold`` councils in the register that are named nowhere.

    An anonymous council could be any of those councils. Elsewhere it could be picked out of the few it
    could be, so published.csv leaves its type and region empty (ADR 0008).
    """
    unnamed = func.count(Organisation.id)
    return (select(Organisation.type, Organisation.region)
            .where(Organisation.id.not_in(named_councils()))
            .group_by(Organisation.type, Organisation.region)
            .having(unnamed >= threshold)
            .subquery("open_places"))


def level_labels(session: Session) -> ColumnElement[str]:
    """The label of a score's level in its questionnaire version, worked out in SQL (labels live in the files)."""
    versions = session.scalars(select(QuestionnaireVersion).options(defer(QuestionnaireVersion.definition))).all()
    branches = [(and_(Score.questionnaire_version_id == version.id, Score.level == scale.level), scale.label)
                for version in versions for scale in questionnaire_of(version).scale]
    return case(*branches, else_="") if branches else literal("")


def published_levels(session: Session, filters: Filters, threshold: int) -> Select[Any]:
    """The query for every published section and overall level of shared rounds, in PUBLISHED_COLUMNS.

    Councils that shared anonymously are unnamed, and their type and region are left empty (and never
    match a type or region filter) where the round counts as private in figures: fewer than ``threshold``
    councils of that type and region are named nowhere (see :func:`open_places`), or the council itself is
    named somewhere. The last two columns say whether each row counts in the figures for the same filters.
    """
    named = Assessment.sharing == Sharing.NAMED
    places = open_places(threshold)
    # An anonymous round's type and region are shown exactly where it may count in figures (ADR 0010): shown for a
    # council named elsewhere, they would single it out among the few named councils of its place, since it would
    # be the one anonymous round there that never counts.
    shown = or_(named, and_(places.c.type.is_not(None), Organisation.id.not_in(named_councils())))
    everywhere = replace(filters, section=None, type=None, region=None)
    conditions = _published_shared(everywhere)
    if filters.type is not None:
        conditions += [Organisation.type == filters.type, shown]
    if filters.region is not None:
        conditions += [Organisation.region == filters.region, shown]
    query = (
        select(case((named, Organisation.code), else_=""), case((named, Organisation.name), else_=""),
               case((shown, Organisation.type), else_=""), case((shown, Organisation.region), else_=""),
               # An anonymous round by its random uid: round numbers run in order, so a number could be matched
               # to the council's rounds shared by name.
               case((named, cast(Assessment.id, String)), else_=Assessment.uid),
               # The day as text in SQL (sessions run in UTC), rather than a timestamp per row in Python.
               cast(func.date(Assessment.published_at), String), QuestionnaireVersion.questionnaire_id,
               QuestionnaireVersion.version, func.coalesce(Score.section_id, ""), Score.level, level_labels(session),
               _counted_flag(counted(everywhere, threshold)),
               _counted_flag(counted(everywhere, threshold, per_year=True)))
        .select_from(Response)
        .join(Assessment, Response.assessment_id == Assessment.id)
        .join(QuestionnaireVersion, Response.questionnaire_version_id == QuestionnaireVersion.id)
        .join(Organisation, Assessment.organisation_id == Organisation.id)
        .outerjoin(places, and_(places.c.type == Organisation.type, places.c.region == Organisation.region))
        .join(Score, Score.response_id == Response.id)
        .where(*conditions)
        .order_by(Assessment.published_at, Assessment.id, QuestionnaireVersion.questionnaire_id,
                  Score.section_id.is_not(None), Score.section_id)
    )
    return query


def _counted_flag(shown: Subquery) -> ColumnElement[str]:
    """yes for a row of a response that counts in figures (``shown``), no for any other: a column of published.csv."""
    return case((Response.id.in_(select(shown.c.response_id)), "yes"), else_="no")


SIMULATED_NOTE = ("These figures come from a simulated sector, made by the command assess simulate for demonstration "
                  "and testing: they describe no real council's answers.")


#: Built once, as a constant (see ranked): a page asks it on every request.
HOLDS_SIMULATED = select(exists().where(Assessment.simulated))


def holds_simulated(session: Session) -> bool:
    """Whether any round is part of a simulated sector (`assess simulate`), which figures must say."""
    return bool(session.connection().execute(HOLDS_SIMULATED).scalar())


def register_values(session: Session) -> tuple[list[str], list[str]]:
    """The council types and regions in the register, for filters."""
    # One statement for both: the register holds a few dozen pairs of type and region.
    pairs = session.connection().execute(select(Organisation.type, Organisation.region).distinct()).tuples().all()
    return sorted({type_ for type_, _region in pairs}), sorted({region for _type, region in pairs})
