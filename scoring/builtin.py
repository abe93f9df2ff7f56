"""The built-in scorers: weighted-mean, weakest-link, staged and outcomes.

Each is a small class on :class:`BuiltinScorer`, which walks the sections, works out which
questions count (visible, scored, not marked not applicable) and assembles the
:class:`~scoring.results.Profile`; a scorer only decides a verdict (level, value, explanation)
for a section and for the whole questionnaire. :class:`BuiltinScorer` then applies the caps of
the questions the file declares critical, the same way for every method: no other single answer
can cap a level.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from scoring.base import Path, ScorerProblem, options_of
from scoring.model import Answer, Answers, Question, Questionnaire, Section, question_score, visible_questions
from scoring.results import Profile, SectionResult

OPTIONS_PATH: Path = ("scoring", "options")
NOTHING_YET = "No scored answers yet."
ROUNDINGS = ("floor", "nearest")
#: How weakest-link and staged treat an answer below the rest: ``none`` is the format's own rule
#: (a section is as strong as its weakest answer, or stops at its first missed stage);
#: ``one-level-each`` is the lenient rule a file may opt in to, where each such answer costs one level.
TOLERANCES = ("none", "one-level-each")
DEFAULT_CREDIT: Mapping[str, float] = {"achieved": 1.0, "partially-achieved": 0.5, "not-achieved": 0.0}


@dataclass(frozen=True)
class Item:
    """An applicable question of a section, with its answer (None until answered) and score."""

    question: Question
    answer: Answer | None
    score: float | None


@dataclass(frozen=True)
class Verdict:
    """What a scorer concludes for a section or the whole questionnaire."""

    level: int | None
    value: float | None
    explanation: str


@dataclass(frozen=True)
class Cap:
    """The highest level a critical answer allows, and why, in words that complete "because ..."."""

    level: int
    reason: str


@dataclass(frozen=True)
class ScoredSection:
    """A section with its applicable items and the result the scorer gave it."""

    section: Section
    items: tuple[Item, ...]
    result: SectionResult


class BuiltinScorer(ABC):
    """Shared shape of the built-in scorers: option-key checking and the walk over sections."""

    name: str
    #: Raised whenever a change to the method can change a level, so stored scores say what made them.
    #: Version 2: critical questions cap levels. Version 3: weakest-link and staged keep the format's
    #: strict rule again unless a file opts in to ``tolerance: one-level-each`` (version 2's rule).
    version = "3"
    option_keys: tuple[str, ...] = ()

    def check(self, questionnaire: Questionnaire) -> list[ScorerProblem]:
        """Report unknown option keys, then whatever else the method needs."""
        options = options_of(questionnaire)
        problems = [
            ScorerProblem((*OPTIONS_PATH, key), self._unknown_option(key))
            for key in options
            if key not in self.option_keys
        ]
        return problems + self.check_method(questionnaire, options)

    def check_method(self, questionnaire: Questionnaire, options: Mapping[str, Any]) -> list[ScorerProblem]:
        """Problems specific to this method (none unless a subclass says otherwise)."""
        return []

    def score(self, questionnaire: Questionnaire, answers: Answers) -> Profile:
        """Score every section, then the questionnaire as a whole."""
        visible = visible_questions(questionnaire, answers)
        scored = []
        for section in questionnaire.sections:
            items = applicable_items(questionnaire, section, answers, visible)
            verdict = capped(questionnaire, self.section_verdict(questionnaire, items), items)
            result = SectionResult(
                id=section.id,
                title=section.title,
                level=verdict.level,
                label=questionnaire.label(verdict.level),
                value=verdict.value,
                answered=sum(1 for item in items if item.answer is not None),
                applicable=len(items),
                explanation=verdict.explanation,
            )
            scored.append(ScoredSection(section, items, result))
        every_item = [item for s in scored for item in s.items]
        overall = capped(questionnaire, self.overall_verdict(questionnaire, scored), every_item)
        return Profile(
            questionnaire_id=questionnaire.id,
            version=questionnaire.version,
            method=self.name,
            level=overall.level,
            label=questionnaire.label(overall.level),
            value=overall.value,
            sections=tuple(s.result for s in scored),
            explanation=overall.explanation,
        )

    @abstractmethod
    def section_verdict(self, questionnaire: Questionnaire, items: Sequence[Item]) -> Verdict:
        """The verdict for one section's applicable items."""

    @abstractmethod
    def overall_verdict(self, questionnaire: Questionnaire, scored: Sequence[ScoredSection]) -> Verdict:
        """The verdict for the whole questionnaire, given every section's."""

    def _unknown_option(self, key: str) -> str:
        if not self.option_keys:
            return f"The {self.name} method takes no options; remove '{key}'."
        return f"Unknown option '{key}' for {self.name}; allowed: {', '.join(self.option_keys)}."


class WeightedMean(BuiltinScorer):
    """Weighted mean of scores per section, and of section values overall."""

    name = "weighted-mean"
    option_keys = ("rounding",)

    def check_method(self, questionnaire: Questionnaire, options: Mapping[str, Any]) -> list[ScorerProblem]:
        """Check that ``rounding`` is one of the known modes."""
        return choice_problems(options, "rounding", ROUNDINGS, "floor")

    def section_verdict(self, questionnaire: Questionnaire, items: Sequence[Item]) -> Verdict:
        """Weighted mean (question weight) of the section's scores."""
        pairs = [(item.score, item.question.weight) for item in items if item.score is not None]
        return self._mean_verdict(questionnaire, pairs, "answer")

    def overall_verdict(self, questionnaire: Questionnaire, scored: Sequence[ScoredSection]) -> Verdict:
        """Weighted mean (section weight) of the section values there are."""
        pairs = [(s.result.value, s.section.weight) for s in scored if s.result.value is not None]
        return self._mean_verdict(questionnaire, pairs, "section")

    def _mean_verdict(
        self, questionnaire: Questionnaire, pairs: Sequence[tuple[float, float]], noun: str
    ) -> Verdict:
        mean = weighted_mean(pairs)
        if mean is None:
            return Verdict(None, None, "Only answers with weight 0 so far." if pairs else NOTHING_YET)
        # The level follows the value as reported, so the explanation can be checked by hand.
        value = round(mean, 2)
        if options_of(questionnaire).get("rounding", "floor") == "nearest":
            level = nearest_level(questionnaire.levels, value)
        else:
            level = floor_level(questionnaire.levels, value)
        if level < value:
            how = "rounds down to"
        elif level > value:
            how = "rounds up to"
        else:
            how = "is"
        counted = sum(1 for _, weight in pairs if weight > 0)
        return Verdict(
            level,
            value,
            f"Weighted mean of {plural(counted, noun)} is {number(value)}, "
            f"which {how} {questionnaire.label(level)}.",
        )


class WeakestLink(BuiltinScorer):
    """A section at its lowest answer (or, with tolerance, most answers less one level each); overall the lowest."""

    name = "weakest-link"
    option_keys = ("tolerance",)

    def check_method(self, questionnaire: Questionnaire, options: Mapping[str, Any]) -> list[ScorerProblem]:
        """Check that ``tolerance`` is one of the known rules."""
        return tolerance_problems(options)

    def section_verdict(self, questionnaire: Questionnaire, items: Sequence[Item]) -> Verdict:
        """The level of the lowest answer, or under tolerance the graded level, naming what holds it."""
        reached = [
            (item.question, item.score, floor_level(questionnaire.levels, item.score))
            for item in items
            if item.score is not None
        ]
        if not reached:
            return Verdict(None, None, NOTHING_YET)
        if tolerant(questionnaire):
            level = graded_level(
                questionnaire.levels,
                lambda _: len(reached),
                lambda n: sum(1 for _, _, got in reached if got < n),
            )
            value = None
        else:
            lowest = min(score for _, score, _ in reached)
            level = floor_level(questionnaire.levels, lowest)
            value = round(lowest, 2)
        holders = [short_name(question) for question, _, got in reached if got <= level]
        return Verdict(level, value, held_by(questionnaire, level, holders))

    def overall_verdict(self, questionnaire: Questionnaire, scored: Sequence[ScoredSection]) -> Verdict:
        """The lowest section level."""
        return lowest_section(questionnaire, scored)


class Staged(BuiltinScorer):
    """Levels reached stage by stage, stopping at the first stage missed (or, with tolerance, one level each)."""

    name = "staged"
    option_keys = ("tolerance",)

    def check_method(self, questionnaire: Questionnaire, options: Mapping[str, Any]) -> list[ScorerProblem]:
        """A known ``tolerance``, and on every scored question a ``stage`` that is a scale level."""
        levels = ", ".join(str(level) for level in questionnaire.levels)
        problems = tolerance_problems(options)
        for path, question in question_paths(questionnaire):
            if not question.is_scored:
                continue
            if question.stage is None:
                message = (
                    f"Question '{question.id}' needs a stage for the staged method; "
                    f"add `stage: N` with N one of the scale levels ({levels})."
                )
                problems.append(ScorerProblem(path, message))
            elif question.stage not in questionnaire.levels:
                message = f"Stage {question.stage} is not a scale level; use one of: {levels}."
                problems.append(ScorerProblem((*path, "stage"), message))
        return problems

    def section_verdict(self, questionnaire: Questionnaire, items: Sequence[Item]) -> Verdict:
        """The highest stage met with every stage below it, or under tolerance the graded level."""
        if not any(item.answer is not None for item in items):
            return Verdict(None, None, NOTHING_YET)

        def counted(level: int) -> list[Item]:
            return [item for item in items if item.question.stage is not None and item.question.stage <= level]

        def missing(level: int) -> list[Item]:
            return [item for item in counted(level) if not is_met(item, level)]

        levels = sorted(questionnaire.levels)
        if tolerant(questionnaire):
            level = graded_level(levels, lambda n: len(counted(n)), lambda n: len(missing(n)))
            following = next((n for n in levels if n > level), None)
        else:
            following = next((n for n in levels if missing(n)), None)
            level = max((n for n in levels if following is None or n < following), default=levels[0])
        if following is None:
            return Verdict(level, None, f"Reached {questionnaire.label(level)}, the top of the scale.")
        needs = ", ".join(short_name(item.question) for item in missing(following))
        where = "Placed at {}, the lowest level" if level == following else "Reached {}"
        return Verdict(
            level, None, f"{where.format(questionnaire.label(level))}; {questionnaire.label(following)} needs: {needs}."
        )

    def overall_verdict(self, questionnaire: Questionnaire, scored: Sequence[ScoredSection]) -> Verdict:
        """The lowest section level."""
        return lowest_section(questionnaire, scored)


class Outcomes(BuiltinScorer):
    """Levels by the credit-weighted share of outcomes achieved, against thresholds."""

    name = "outcomes"
    option_keys = ("thresholds", "credit")

    def check_method(self, questionnaire: Questionnaire, options: Mapping[str, Any]) -> list[ScorerProblem]:
        """Check thresholds and credit, and that every scored question is a creditable choice."""
        _, threshold_errors = parse_thresholds(questionnaire, options.get("thresholds"))
        credit, credit_errors = parse_credit(options.get("credit", DEFAULT_CREDIT))
        problems = [ScorerProblem((*OPTIONS_PATH, "thresholds"), e) for e in threshold_errors]
        problems += [ScorerProblem((*OPTIONS_PATH, "credit"), e) for e in credit_errors]
        allowed = ", ".join(credit)
        for path, question in question_paths(questionnaire):
            if not question.is_scored:
                continue
            if question.type != "choice":
                message = (
                    f"Question '{question.id}' is {question.type}, but the outcomes method scores only "
                    f"choice questions with the options: {allowed}."
                )
                problems.append(ScorerProblem(path, message))
                continue
            unknown = [option.value for option in question.options if option.value not in credit]
            if unknown and not credit_errors:
                message = (
                    f"Question '{question.id}' has options with no credit ({', '.join(unknown)}); "
                    f"use {allowed}, or give them credit in options.credit."
                )
                problems.append(ScorerProblem(path, message))
        return problems

    def section_verdict(self, questionnaire: Questionnaire, items: Sequence[Item]) -> Verdict:
        """The share of the section's outcomes achieved, against the thresholds."""
        return self._share_verdict(questionnaire, items)

    def overall_verdict(self, questionnaire: Questionnaire, scored: Sequence[ScoredSection]) -> Verdict:
        """The share of all outcomes achieved, against the same thresholds."""
        return self._share_verdict(questionnaire, [item for s in scored for item in s.items])

    def _share_verdict(self, questionnaire: Questionnaire, items: Sequence[Item]) -> Verdict:
        options = options_of(questionnaire)
        thresholds, _ = parse_thresholds(questionnaire, options.get("thresholds"))
        credit, _ = parse_credit(options.get("credit", DEFAULT_CREDIT))
        credited = [
            (credit[str(item.answer.value)], item.question.weight)
            for item in items
            if item.answer is not None and str(item.answer.value) in credit
        ]
        share = weighted_mean(credited)
        if share is None:
            return Verdict(None, None, "Only answers with weight 0 so far." if credited else NOTHING_YET)
        share = round(share, 2)
        met = [level for level, threshold in thresholds.items() if threshold <= share]
        level = max(met, default=min(questionnaire.levels))
        achieved = sum(1 for value, _ in credited if value >= 1)
        partially = sum(1 for value, _ in credited if 0 < value < 1)
        summary = f"{achieved} of {plural(len(credited), 'outcome')} achieved"
        if partially:
            summary += f", {partially} partially"
        summary += f" ({percent(share)} achieved)"
        if met:
            judgement = f"meets the threshold for {questionnaire.label(level)} ({percent(thresholds[level])})"
        else:
            # Thresholds never fall as levels rise, so the next level up has the lowest bar.
            bar = min(thresholds)
            judgement = f"is below the threshold for {questionnaire.label(bar)} ({percent(thresholds[bar])})"
        return Verdict(level, share, f"{summary}, which {judgement}.")


def applicable_items(
    questionnaire: Questionnaire, section: Section, answers: Answers, visible: frozenset[str]
) -> tuple[Item, ...]:
    """The section's visible, scored questions not marked not applicable, with their answers."""
    items = []
    for question in section.questions:
        answer = answers.get(question.id)
        marked_na = answer is not None and answer.not_applicable
        if question.id not in visible or not question.is_scored or marked_na:
            continue
        given = answer if answer is not None and answer.is_given else None
        items.append(Item(question, given, question_score(questionnaire, question, given)))
    return tuple(items)


def question_paths(questionnaire: Questionnaire) -> Iterable[tuple[Path, Question]]:
    """Every question with its path in the questionnaire file."""
    for i, section in enumerate(questionnaire.sections):
        for j, question in enumerate(section.questions):
            yield ("sections", i, "questions", j), question


def is_met(item: Item, level: int) -> bool:
    """Whether an answer meets a stage at ``level``: a yes, or a score at or above it."""
    if item.answer is None:
        return False
    if item.question.type == "yes-no":
        return item.answer.value == "yes"
    return item.score is not None and item.score >= level


def tolerance_problems(options: Mapping[str, Any]) -> list[ScorerProblem]:
    """What is wrong with a ``tolerance`` option (nothing when it is absent or known)."""
    meaning = (
        " (none: the lowest answer or first missed stage sets the level; "
        "one-level-each: each answer below the rest costs one level)"
    )
    return choice_problems(options, "tolerance", TOLERANCES, "none", meaning)


def choice_problems(
    options: Mapping[str, Any], key: str, allowed: Sequence[str], default: str, meaning: str = ""
) -> list[ScorerProblem]:
    """What is wrong with an option that must be one of ``allowed`` (nothing when it is absent or allowed)."""
    value = options.get(key, default)
    if value in allowed:
        return []
    return [
        ScorerProblem((*OPTIONS_PATH, key), f"Unknown {key} '{value}'; use one of: {', '.join(allowed)}{meaning}.")
    ]


def tolerant(questionnaire: Questionnaire) -> bool:
    """Whether the file opts in to the lenient rule, where each answer below the rest costs one level."""
    return bool(options_of(questionnaire).get("tolerance", "none") == "one-level-each")


def graded_level(levels: Sequence[int], counted: Callable[[int], int], missed: Callable[[int], int]) -> int:
    """The highest level that most questions counted there meet, one level lower for each that misses it."""
    ordered = sorted(levels)
    best = 0
    for position, level in enumerate(ordered):
        misses = missed(level)
        if misses == 0 or 2 * misses < counted(level):
            best = max(best, position - misses)
    return ordered[best]


def capped(questionnaire: Questionnaire, verdict: Verdict, items: Sequence[Item]) -> Verdict:
    """The verdict held at the lowest cap the critical answers among ``items`` set, saying why."""
    caps = critical_caps(questionnaire, items)
    if verdict.level is None or not caps:
        return verdict
    limit = min(cap.level for cap in caps)
    if limit > verdict.level:
        return verdict
    label = questionnaire.label(limit)
    because = "; and ".join(dict.fromkeys(cap.reason for cap in caps if cap.level == limit))
    if limit == verdict.level:
        return Verdict(limit, verdict.value, f"{verdict.explanation} Capped there because {because}.")
    otherwise = verdict.explanation[:1].lower() + verdict.explanation[1:]
    return Verdict(limit, verdict.value, f"Capped at {label} because {because}; without that cap: {otherwise}")


def critical_caps(questionnaire: Questionnaire, items: Sequence[Item]) -> list[Cap]:
    """The caps the answered critical questions among ``items`` set (none for answers high enough)."""
    ordered = sorted(questionnaire.levels)
    caps = []
    for item in items:
        critical = item.question.critical
        if critical is None or item.score is None:
            continue
        reached = ordered.index(floor_level(ordered, item.score))
        at_bottom = ordered.index(floor_level(ordered, critical.cap)) if critical.cap is not None else 0
        if reached + at_bottom >= len(ordered) - 1:
            continue
        if reached == 0 and critical.because:
            reason = critical.because
        else:
            reason = (
                f"a critical question, {short_name(item.question)}, is answered "
                f"'{answer_label(questionnaire, item, item.score)}'"
            )
        caps.append(Cap(ordered[reached + at_bottom], reason))
    return caps


def answer_label(questionnaire: Questionnaire, item: Item, score: float) -> str:
    """An answer as the respondent saw it: the option or yes/no chosen, or the label of the level it scores."""
    value = item.answer.value if item.answer is not None else None
    option = item.question.option(str(value)) if item.question.type == "choice" else None
    if option is not None:
        return option.label
    if item.question.type == "yes-no":
        return str(value).capitalize()
    return questionnaire.label(floor_level(questionnaire.levels, score)) or str(value)


def lowest_section(questionnaire: Questionnaire, scored: Sequence[ScoredSection]) -> Verdict:
    """The lowest section level (and value), naming the sections that hold it there."""
    results = [s.result for s in scored if s.result.level is not None]
    if not results:
        return Verdict(None, None, NOTHING_YET)
    level = min(r.level for r in results if r.level is not None)
    value = min((r.value for r in results if r.value is not None), default=None)
    holders = [r.title for r in results if r.level == level]
    return Verdict(level, value, held_by(questionnaire, level, holders))


def held_by(questionnaire: Questionnaire, level: int, names: Sequence[str]) -> str:
    """Explain that ``names`` hold the level where it is."""
    if level == max(questionnaire.levels):
        return f"At {questionnaire.label(level)}, the top of the scale."
    return f"Held at {questionnaire.label(level)} by: {', '.join(names)}."


def weighted_mean(pairs: Iterable[tuple[float, float]]) -> float | None:
    """The mean of (value, weight) pairs, or None when the weights add up to 0."""
    pairs = list(pairs)
    total = sum(weight for _, weight in pairs)
    return sum(value * weight for value, weight in pairs) / total if total > 0 else None


def floor_level(levels: Sequence[int], value: float) -> int:
    """The highest level at or below ``value`` (the lowest level when it is below them all)."""
    return max((level for level in levels if level <= value), default=min(levels))


def nearest_level(levels: Sequence[int], value: float) -> int:
    """The level nearest ``value``, the higher one on a tie."""
    return min(levels, key=lambda level: (abs(level - value), -level))


def parse_thresholds(questionnaire: Questionnaire, raw: object) -> tuple[dict[int, float], list[str]]:
    """The outcomes thresholds by level, with what is wrong with them."""
    lowest, *above_lowest = sorted(questionnaire.levels)
    expected = ", ".join(str(level) for level in above_lowest)
    if not isinstance(raw, Mapping):
        return {}, [
            f"Give thresholds: the minimum share (0 to 1) achieved for each level above the lowest "
            f"({expected}), for example {{{above_lowest[0]}: 0.5}}."
        ]
    thresholds: dict[int, float] = {}
    errors = []
    for key, share in raw.items():
        level = level_key(key)
        if level == lowest:
            errors.append(f"Level {lowest} is the lowest level, which needs no threshold; remove it.")
        elif level is None or level not in above_lowest:
            errors.append(f"Unknown level '{key}' in thresholds; give one for each of: {expected}.")
        elif not is_share(share):
            errors.append(f"The threshold for level {level} must be a share from 0 to 1, not '{share}'.")
        else:
            thresholds[level] = float(share)
    named = {level_key(key) for key in raw}
    missing = [str(level) for level in above_lowest if level not in named]
    if missing:
        errors.append(f"Missing thresholds for levels {', '.join(missing)}.")
    ordered = sorted(thresholds.items())
    for (lower, low_share), (higher, high_share) in zip(ordered, ordered[1:], strict=False):
        if high_share < low_share:
            errors.append(
                f"Thresholds must not fall as levels rise: level {higher} ({high_share}) "
                f"is below level {lower} ({low_share})."
            )
    return thresholds, errors


def level_key(key: object) -> int | None:
    """A level given as an int or a string of one (YAML allows both), else None."""
    if isinstance(key, bool):
        return None
    if isinstance(key, int):
        return key
    if isinstance(key, str):
        try:
            return int(key.strip())
        except ValueError:
            return None
    return None


def parse_credit(raw: object) -> tuple[dict[str, float], list[str]]:
    """The outcomes credit by option value, with what is wrong with it."""
    if not isinstance(raw, Mapping) or not raw:
        return {}, ["Give credit as a mapping from option value to a share from 0 to 1, e.g. {achieved: 1}."]
    credit: dict[str, float] = {}
    errors = []
    for key, share in raw.items():
        if not isinstance(key, str):
            errors.append(f"Credit keys are option values (text), not '{key}'; quote it.")
        elif not is_share(share):
            errors.append(f"The credit for '{key}' must be a share from 0 to 1, not '{share}'.")
        else:
            credit[key] = float(share)
    return credit, errors


def is_share(value: object) -> bool:
    """Whether ``value`` is a number from 0 to 1."""
    return isinstance(value, int | float) and not isinstance(value, bool) and 0 <= value <= 1


def short_name(question: Question) -> str:
    """A short name for a question in explanations: its label, or else its id in words."""
    return question.label or question.id.replace("-", " ")


def plural(count: int, noun: str) -> str:
    """``count`` with ``noun``, pluralised with an s when it is not 1."""
    return f"{count} {noun}{'' if count == 1 else 's'}"


def number(value: float) -> str:
    """A value to at most 2 decimals, without trailing zeros."""
    return f"{value:.2f}".rstrip("0").rstrip(".")


def percent(share: float) -> str:
    """A share from 0 to 1 as a percentage."""
    return f"{round(share * 100, 1):g}%"
