"""The questionnaire model: frozen dataclasses that loaders build and scorers read.

This module is the shared vocabulary between the engine (``assess``) and the scorers. It
holds no I/O: ``assess.library`` turns YAML into these objects, scorers turn them plus a set
of answers into a :class:`scoring.results.Profile`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

QuestionType = Literal["level", "yes-no", "choice", "multi-choice", "number", "text"]
CommentPolicy = Literal["none", "optional", "required"]
ResourceKind = Literal["guidance", "case-study", "tool", "training", "support"]

#: An answer's value: a level (int), "yes"/"no", an option value (str), several option
#: values (tuple of str), a number (int or float) or free text (str).
AnswerValue = int | float | str | tuple[str, ...]

QUESTION_TYPES: tuple[QuestionType, ...] = (
    "level",
    "yes-no",
    "choice",
    "multi-choice",
    "number",
    "text",
)


@dataclass(frozen=True)
class ScaleLevel:
    """One maturity level of a questionnaire's scale."""

    level: int
    label: str
    description: str | None = None


@dataclass(frozen=True)
class Option:
    """One option of a choice or multi-choice question."""

    value: str
    label: str
    score: float | None = None


@dataclass(frozen=True)
class ShowIf:
    """Condition under which a question is shown (and scored).

    Exactly one of ``equals``, ``in_`` or ``at_least`` is set. yes/no values are held as the
    strings ``"yes"`` and ``"no"`` whatever the author wrote.
    """

    question: str
    equals: str | int | float | None = None
    in_: tuple[str | int | float, ...] | None = None
    at_least: float | None = None


@dataclass(frozen=True)
class Critical:
    """How a critical question's answer caps its section and the questionnaire (see the README)."""

    #: The highest level allowed while the answer is at the bottom of the scale (None: the lowest
    #: level); each level higher the answer is raises it by one.
    cap: int | None = None
    #: Completes "Capped at <level> because ..." when the answer is at the bottom.
    because: str | None = None


@dataclass(frozen=True)
class Question:
    """One question of a section."""

    id: str
    type: QuestionType
    text: str
    hint: str | None = None
    weight: float = 1.0
    required: bool = True
    not_applicable: bool = False
    comment: CommentPolicy = "none"
    show_if: ShowIf | None = None
    statements: Mapping[int, str] = field(default_factory=dict)
    options: tuple[Option, ...] = ()
    scores: Mapping[str, float] = field(default_factory=dict)
    minimum: float | None = None
    maximum: float | None = None
    unit: str | None = None
    max_length: int | None = None
    stage: int | None = None
    label: str | None = None
    critical: Critical | None = None

    def option(self, value: str) -> Option | None:
        """Return the option with this value, if there is one."""
        return next((o for o in self.options if o.value == value), None)

    @property
    def is_scored(self) -> bool:
        """Whether an answer to this question can carry a score."""
        if self.type == "level":
            return True
        if self.type == "yes-no":
            return bool(self.scores)
        if self.type in ("choice", "multi-choice"):
            return any(o.score is not None for o in self.options)
        return False


@dataclass(frozen=True)
class Section:
    """A titled group of questions, scored together."""

    id: str
    title: str
    questions: tuple[Question, ...]
    description: str | None = None
    weight: float = 1.0


@dataclass(frozen=True)
class ResourceTarget:
    """When a resource is signposted: for a section (or any) at or below a level."""

    section: str | None = None
    max_level: int | None = None


@dataclass(frozen=True)
class Resource:
    """Improvement support signposted from results."""

    title: str
    kind: ResourceKind = "guidance"
    url: str | None = None
    applies_to: ResourceTarget | None = None
    #: Who publishes it; a resource with a publisher and no url is cited by title because no page could be confirmed.
    publisher: str | None = None


@dataclass(frozen=True)
class ScoringSpec:
    """Which scorer scores the questionnaire, with its options."""

    method: str
    options: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Questionnaire:
    """A whole questionnaire at one version."""

    id: str
    version: int
    title: str
    scale: tuple[ScaleLevel, ...]
    scoring: ScoringSpec
    sections: tuple[Section, ...]
    description: str | None = None
    audience: tuple[str, ...] = ()
    resources: tuple[Resource, ...] = ()

    @property
    def questions(self) -> tuple[Question, ...]:
        """Every question in order, across sections."""
        return tuple(q for s in self.sections for q in s.questions)

    def question(self, question_id: str) -> Question:
        """Return the question with this id (KeyError if there is none)."""
        for q in self.questions:
            if q.id == question_id:
                return q
        raise KeyError(question_id)

    def section_of(self, question_id: str) -> Section:
        """The section a question is in (KeyError if there is none)."""
        for s in self.sections:
            if any(q.id == question_id for q in s.questions):
                return s
        raise KeyError(question_id)

    def section(self, section_id: str) -> Section:
        """Return the section with this id (KeyError if there is none)."""
        for s in self.sections:
            if s.id == section_id:
                return s
        raise KeyError(section_id)

    @property
    def levels(self) -> tuple[int, ...]:
        """The scale's level numbers, lowest first."""
        return tuple(s.level for s in self.scale)

    def label(self, level: int | None) -> str | None:
        """The label of a level number, or None for no level."""
        if level is None:
            return None
        return next((s.label for s in self.scale if s.level == level), None)


@dataclass(frozen=True)
class Answer:
    """A respondent's answer to one question, as scorers see it."""

    value: AnswerValue | None = None
    not_applicable: bool = False
    comment: str | None = None

    @property
    def is_given(self) -> bool:
        """Whether the respondent gave a value (or marked the question not applicable)."""
        return self.not_applicable or (self.value is not None and self.value != "" and self.value != ())


Answers = Mapping[str, Answer]


def condition_holds(condition: ShowIf, answer: Answer | None) -> bool:
    """Whether a show_if condition holds for the answer to the question it points at."""
    if answer is None or answer.not_applicable or answer.value is None:
        return False
    value = answer.value
    if condition.equals is not None:
        return _same(value, condition.equals)
    if condition.in_ is not None:
        return any(_same(value, v) for v in condition.in_)
    if condition.at_least is not None:
        return isinstance(value, int | float) and value >= condition.at_least
    return False


def _same(value: AnswerValue, expected: str | int | float) -> bool:
    if isinstance(value, tuple):
        return str(expected) in value
    if isinstance(value, int | float) and isinstance(expected, int | float):
        return value == expected
    return str(value) == str(expected)


def visible_questions(questionnaire: Questionnaire, answers: Answers) -> frozenset[str]:
    """Ids of the questions shown for these answers.

    A question with ``show_if`` is shown only when the question it points at is itself shown
    and its answer meets the condition; so hiding a question hides everything that depends on it.
    """
    visible: set[str] = set()
    for question in questionnaire.questions:
        condition = question.show_if
        if condition is None or (
            condition.question in visible and condition_holds(condition, answers.get(condition.question))
        ):
            visible.add(question.id)
    return frozenset(visible)


def question_score(questionnaire: Questionnaire, question: Question, answer: Answer | None) -> float | None:
    """The score an answer carries on the questionnaire's scale, or None when it carries none."""
    if answer is None or answer.not_applicable or answer.value is None:
        return None
    value = answer.value
    if question.type == "level":
        return float(value) if isinstance(value, int | float) else None
    if question.type == "yes-no":
        return question.scores.get(str(value))
    if question.type == "choice":
        option = question.option(str(value))
        return option.score if option else None
    if question.type == "multi-choice":
        chosen = value if isinstance(value, tuple) else (str(value),)
        scores = [o.score for o in question.options if o.value in chosen and o.score is not None]
        if not scores:
            return None
        lowest, highest = min(questionnaire.levels), max(questionnaire.levels)
        return float(min(max(sum(scores), lowest), highest))
    return None
