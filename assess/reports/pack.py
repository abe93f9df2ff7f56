"""The peer-challenge pack: a round's agreed answers with participation, the spread of views, targets, actions,
similar councils and the change since the last round, gathered once for the PDF and its HTML twin.

Built from stored scores only: the agreed levels are the confirmed consensus responses' scores, each
respondent's mark in the spread of views is their submitted response's stored section level. A pack of a
round that is not yet published is a draft, and both renderers say so on every page.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from assess.models import (
    Assessment,
    QuestionnaireVersion,
    RespondentGroup,
    Response,
    ResponseKind,
    ResponseStatus,
)
from assess.reports.charts import level_text
from assess.reports.data import NoSubmittedResponse, QuestionnaireReport, ReportData, _submitted, build_report
from assess.services import sector
from assess.services.agreement import SpreadRule, actions_of, is_overdue, previous_agreed
from assess.services.participants import asked
from assess.services.responses import stored_profile

GROUPS = (RespondentGroup.OFFICER, RespondentGroup.MEMBER)


class NoAgreedAnswers(NoSubmittedResponse):
    """The round has no confirmed agreed answers to make a pack of."""


def agreed_chooser(_version: QuestionnaireVersion, responses: Sequence[Response]) -> Response | None:
    """The confirmed agreed (consensus) response, and never an individual one."""
    return next((r for r in _submitted(responses) if r.kind == ResponseKind.CONSENSUS), None)


@dataclass(frozen=True)
class GroupParticipation:
    """How many of a group were asked, answered at least one questionnaire, and answered them all."""

    group: str
    invited: int
    responded: int
    finished: int


@dataclass(frozen=True)
class SectionView(SpreadRule):
    """One section of a questionnaire in the pack: the agreed level, each respondent's, the target and last time."""

    id: str
    title: str
    agreed: int | None
    label: str | None
    explanation: str
    target: int | None
    marks: tuple[tuple[str, int], ...]  # (group, level) for each respondent whose section has a level
    previous: int | None = None
    previously_asked: bool = False

    def levels(self, group: str | None = None) -> list[int]:
        """The individual levels (of one group)."""
        return sorted(level for who, level in self.marks if group is None or who == group)

    def views(self) -> Iterable[tuple[str | None, float]]:
        """Each respondent's level with their group (the divergence view's rule then applies as it is)."""
        return self.marks

    @property
    def gap(self) -> int | None:
        """Levels still to go to the target (negative: beyond it)."""
        return self.target - self.agreed if self.target is not None and self.agreed is not None else None

    @property
    def change(self) -> int | None:
        """The change in agreed level since the previous round."""
        return self.agreed - self.previous if self.agreed is not None and self.previous is not None else None


@dataclass(frozen=True)
class ActionRow:
    """An improvement action as the pack lists it."""

    description: str
    section: str
    owner: str
    due: date | None
    status: str
    carried_from: str | None  # the earlier round an open action carried on from
    overdue: bool


@dataclass(frozen=True)
class ComparisonRow:
    """A section (or the overall level) beside similar councils'."""

    title: str
    own: int | None
    councils: int | None
    lower_quartile: int | None
    median: int | None
    upper_quartile: int | None


@dataclass(frozen=True)
class Comparison:
    """The questionnaire's agreed levels beside similar councils', or why they are not shown."""

    shown: bool
    councils: int
    rows: tuple[ComparisonRow, ...]
    reason: str


@dataclass(frozen=True)
class PackPart:
    """One questionnaire's part of the pack."""

    report: QuestionnaireReport
    sections: tuple[SectionView, ...]
    respondents: dict[str, int]  # group -> how many submitted this questionnaire
    actions: tuple[ActionRow, ...]
    comparison: Comparison
    previous_round: str | None
    previous_level: int | None
    version_note: str | None

    @property
    def title(self) -> str:
        """The questionnaire's title."""
        return self.report.title

    @property
    def anchor(self) -> str:
        """An id for links and bookmarks."""
        return self.report.anchor

    @property
    def top(self) -> int:
        """The top level of the questionnaire's scale."""
        return self.report.top

    def level_text(self, level: int | None) -> str:
        """A level of this questionnaire in words."""
        return level_text(level, self.report.questionnaire.label(level), self.top)


@dataclass(frozen=True)
class Pack:
    """A whole peer-challenge pack."""

    report: ReportData
    draft: bool
    participation: tuple[GroupParticipation, ...]
    parts: tuple[PackPart, ...]
    messages: tuple[str, ...]
    threshold: int

    @property
    def status_text(self) -> str:
        """Whether the agreed answers are published, in words."""
        if self.draft:
            return "DRAFT: the round's agreed answers are not yet published and may still change"
        return f"Published agreed answers ({self.report.round.status.replace('-', ' ')})"


def build_pack(session: Session, assessment: Assessment, *, threshold: int = sector.DEFAULT_THRESHOLD,
               generated: date | None = None) -> Pack:
    """Gather a round's peer-challenge pack; NoAgreedAnswers when no questionnaire's agreed answers are confirmed."""
    try:
        report = build_report(session, assessment, choose=agreed_chooser, include_spread=True, generated=generated)
    except NoSubmittedResponse:
        raise NoAgreedAnswers(f"{assessment.organisation.name} has no confirmed agreed answers in the round "
                              f"'{assessment.title}'") from None
    report = replace(report, title="Peer-challenge pack", respondents_hidden=True)
    today = report.generated
    individual = session.scalars(
        select(Response).where(Response.assessment_id == assessment.id, Response.kind == ResponseKind.INDIVIDUAL,
                               Response.status == ResponseStatus.SUBMITTED)
        .options(selectinload(Response.scores), selectinload(Response.questionnaire_version))
    ).all()
    this_round, earlier = actions_of(session, assessment)
    titles = {a.id: a.title for a in assessment.organisation.assessments}
    parts = []
    for part in report.questionnaires:
        questionnaire = part.questionnaire
        mine = [r for r in individual if r.questionnaire_version.questionnaire_id == questionnaire.id]
        levels = {(r.id, s.section_id): s.level for r in mine for s in r.scores if s.level is not None}
        previous = previous_agreed(session, assessment, questionnaire.id)
        before = {s.id: s.level for s in stored_profile(previous.response).sections} if previous else {}
        sections = tuple(SectionView(
            id=result.id, title=result.title, agreed=result.level, label=result.label,
            explanation=result.explanation, target=part.targets.get(result.id),
            marks=tuple((str(r.respondent_group or "other"), levels[(r.id, result.id)]) for r in mine
                        if (r.id, result.id) in levels),
            previous=before.get(result.id), previously_asked=result.id in before,
        ) for result in part.profile.sections)
        section_titles = {s.id: s.title for s in questionnaire.sections}
        actions = tuple(ActionRow(
            description=a.description, section=section_titles.get(a.section_id or "", "The whole questionnaire"),
            owner=a.owner or "Not given", due=a.due_on, status=a.status.value.replace("-", " ").capitalize(),
            carried_from=titles.get(a.assessment_id) if a.assessment_id != assessment.id else None,
            overdue=is_overdue(a, today),
        ) for a in [*this_round, *earlier] if a.questionnaire_id == questionnaire.id)
        own_id = part.sources[0].id
        parts.append(PackPart(
            report=part, sections=sections,
            respondents={g.value: sum(r.respondent_group == g for r in mine) for g in GROUPS},
            actions=actions,
            comparison=_comparison(session, assessment, part, own_id, threshold),
            previous_round=previous.assessment.title if previous else None,
            previous_level=stored_profile(previous.response).level if previous else None,
            version_note=(f"The questions changed between version {previous.questionnaire.version} (in "
                          f"{previous.assessment.title}) and version {questionnaire.version}; sections are "
                          "matched by their id." if previous and not previous.same_questions(questionnaire) else None),
        ))
    participation = _participation(session, assessment)
    draft = assessment.published_at is None
    return Pack(report, draft, participation, tuple(parts), key_messages(participation, parts), threshold)


def _participation(session: Session, assessment: Assessment) -> tuple[GroupParticipation, ...]:
    """Counted in SQL: the completion service's per-person progress reads every answer, which a pack needs not."""
    submitted = (select(Response.respondent_id, func.count().label("done"))
                 .where(Response.assessment_id == assessment.id, Response.kind == ResponseKind.INDIVIDUAL,
                        Response.status == ResponseStatus.SUBMITTED)
                 .group_by(Response.respondent_id).subquery())
    who = asked([assessment.id]).subquery()
    rows = session.execute(
        select(who.c.group, submitted.c.done).select_from(who)
        .outerjoin(submitted, submitted.c.respondent_id == who.c.user_id)).tuples().all()
    every = len(assessment.questionnaires)
    return tuple(GroupParticipation(group.label, sum(g == group for g, _done in rows),
                                    sum(g == group and bool(done) for g, done in rows),
                                    sum(g == group and (done or 0) >= every for g, done in rows))
                 for group in GROUPS)


def _comparison(session: Session, assessment: Assessment, part: QuestionnaireReport, own_id: int,
                threshold: int) -> Comparison:
    organisation = assessment.organisation
    result = sector.benchmark(session, organisation, own_id, part.questionnaire, threshold)
    if not result.shown:
        found = "no similar council has" if result.councils == 0 else (
            f"only {result.councils} similar council{' has' if result.councils == 1 else 's have'}")
        return Comparison(False, result.councils, (), (
            f"Not shown: {found} published agreed answers to this questionnaire and shared them with the sector by "
            f"name (councils of the same type, {organisation.type.lower()}, nearest in population). Figures need at "
            f"least {threshold} councils, so that no council's answers can be singled out."))
    titles = {s.id: s.title for s in part.questionnaire.sections}
    rows = tuple(ComparisonRow(
        "Overall level" if section is None else titles.get(section, section), result.own.get(section),
        dist.councils, dist.lower_quartile, dist.median, dist.upper_quartile) for section, dist in result.group)
    return Comparison(True, result.councils, rows, (
        f"The {result.councils} councils of the same type nearest in population that have published agreed answers "
        "to this questionnaire and shared them by name."))


def _names(items: Sequence[str]) -> str:
    """ "A", "A and B", "A, B and C"."""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def key_messages(participation: Sequence[GroupParticipation], parts: Sequence[PackPart]) -> tuple[str, ...]:
    """The executive summary: what a reader should take from the pack, across questionnaires, in sentences."""
    messages: list[str] = []
    invited = sum(g.invited for g in participation)
    responded = sum(g.responded for g in participation)
    if invited:
        by_group = "; ".join(f"{g.responded} of {g.invited} {g.group.lower()}" for g in participation if g.invited)
        messages.append(f"{responded} of the {invited} people asked ({round(100 * responded / invited)}%) gave their "
                        f"own views before the agreed answers were settled ({by_group}).")
    levelled = [(p, s) for p in parts for s in p.sections if s.agreed is not None]

    def place(item: tuple[PackPart, SectionView]) -> str:
        part, section = item
        return f"{section.title} ({part.title}, level {section.agreed} of {part.top})"

    if levelled:
        ranked = sorted(levelled, key=lambda ps: (ps[1].agreed or 0) / ps[0].top)
        high = (ranked[-1][1].agreed or 0) / ranked[-1][0].top
        low = (ranked[0][1].agreed or 0) / ranked[0][0].top
        strongest = [ps for ps in reversed(ranked) if (ps[1].agreed or 0) / ps[0].top == high]
        weakest = [ps for ps in ranked if (ps[1].agreed or 0) / ps[0].top == low]
        if high == low:
            messages.append("Every section was agreed at the same point on its scale; none stands out.")
        else:
            messages.append(f"Strongest: {_names([place(ps) for ps in strongest[:3]])}"
                            + (f", and {len(strongest) - 3} more at that level" if len(strongest) > 3 else "") + ".")
            messages.append(f"Weakest: {_names([place(ps) for ps in weakest[:3]])}"
                            + (f", and {len(weakest) - 3} more at that level" if len(weakest) > 3 else "") + ".")
    targeted = [(p, s) for p, s in levelled if s.gap is not None]
    short = sorted([ps for ps in targeted if (ps[1].gap or 0) > 0], key=lambda ps: -(ps[1].gap or 0))
    if not targeted:
        messages.append("No targets have been set yet, so there are no gaps to report.")
    elif not short:
        messages.append(f"All {len(targeted)} sections with a target already meet it.")
    else:
        largest = [f"{s.title} ({p.title}: level {s.agreed}, target {s.target})" for p, s in short[:3]]
        messages.append(f"{len(short)} of the {len(targeted)} sections with a target fall short of it; the largest "
                        f"gaps are in {_names(largest)}.")
    split = sorted([ps for ps in levelled if ps[1].split], key=lambda ps: (-ps[1].range, -ps[1].group_gap))
    if split:
        described = []
        for part, section in split[:3]:
            levels = section.levels()
            text = f"{section.title} ({part.title}: individual views from level {levels[0]} to {levels[-1]}"
            officers = section.median(RespondentGroup.OFFICER.value)
            members = section.median(RespondentGroup.MEMBER.value)
            if officers is not None and members is not None and officers != members:
                text += f"; officers' median {officers:g}, members' {members:g}"
            described.append(text + ")")
        messages.append(f"Views diverged most on {_names(described)}; {len(split)} section"
                        f"{'s' if len(split) != 1 else ''} in all had views two or more levels apart or officers and "
                        "members a level or more apart.")
    elif any(s.marks for _p, s in levelled):
        messages.append("Individual views were close in every section: none spanned two levels or more, and "
                        "officers and members never differed by a level.")
    compared = [(p, s) for p, s in levelled if s.change is not None]
    if compared:
        rose = [ps for ps in compared if (ps[1].change or 0) > 0]
        fell = [ps for ps in compared if (ps[1].change or 0) < 0]
        since = _names(sorted({p.previous_round for p, _s in compared if p.previous_round}))
        text = (f"Since {since}, {len(rose)} section{'s' if len(rose) != 1 else ''} rose, {len(fell)} fell and "
                f"{len(compared) - len(rose) - len(fell)} stayed the same")
        if fell:
            worst = min(fell, key=lambda ps: ps[1].change or 0)
            text += f"; the largest fall was in {worst[1].title} ({worst[0].title}, {worst[1].change:+d})"
        elif rose:
            best = max(rose, key=lambda ps: ps[1].change or 0)
            text += f"; the largest rise was in {best[1].title} ({best[0].title}, {best[1].change:+d})"
        changed = [p.title for p in parts if p.version_note]
        messages.append(text + "." + (f" The questions of {_names(changed)} changed between the rounds."
                                      if changed else ""))
    else:
        messages.append("There is no earlier published round to compare with, so no change is reported.")
    actions = [a for p in parts for a in p.actions]
    if actions:
        done = sum(a.status == "Done" for a in actions)
        overdue = sum(a.overdue for a in actions)
        messages.append(f"{len(actions)} improvement action{'s support' if len(actions) != 1 else ' supports'} the "
                        "targets: "
                        f"{done} done, {len(actions) - done} still open"
                        + (f", {overdue} of them overdue." if overdue else ", none overdue."))
    return tuple(messages)
