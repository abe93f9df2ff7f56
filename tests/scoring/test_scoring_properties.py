"""Properties every built-in scorer keeps, over random questionnaires and answers."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scoring.builtin import floor_level
from scoring.model import (
    Answer,
    AnswerValue,
    Critical,
    Option,
    Question,
    Questionnaire,
    QuestionType,
    ScaleLevel,
    ScoringSpec,
    Section,
    ShowIf,
    question_score,
    visible_questions,
)
from scoring.registry import BUILTIN_SCORERS
from scoring.results import Profile, SectionResult

SETTINGS = settings(max_examples=100, deadline=None)
SCORED_TYPES: tuple[QuestionType, ...] = ("level", "yes-no", "choice", "multi-choice")
ALL_TYPES: tuple[QuestionType, ...] = (*SCORED_TYPES, "number", "text")
# The outcomes method only accepts creditable choice questions among the scored ones.
METHOD_TYPES = {method: ALL_TYPES for method in BUILTIN_SCORERS} | {"outcomes": ("choice", "number", "text")}
OUTCOME_VALUES = ("achieved", "partially-achieved", "not-achieved")
WEIGHTS = st.sampled_from([0.0, 0.5, 1.0, 2.0, 3.0])


def scores_between(low: int, high: int) -> st.SearchStrategy[float]:
    """Scores in halves from low to high."""
    return st.integers(2 * low, 2 * high).map(lambda n: n / 2)


def draw_condition(draw: st.DrawFn, target: Question, levels: tuple[int, ...]) -> ShowIf:
    if target.type in ("level", "number"):
        return ShowIf(target.id, at_least=draw(st.sampled_from(levels)))
    if target.type == "yes-no":
        return ShowIf(target.id, equals=draw(st.sampled_from(["yes", "no"])))
    if target.type in ("choice", "multi-choice"):
        values = [o.value for o in target.options]
        return ShowIf(target.id, in_=tuple(draw(st.lists(st.sampled_from(values), min_size=1, unique=True))))
    return ShowIf(target.id, equals="x")


def draw_question(
    draw: st.DrawFn,
    qid: str,
    types: tuple[QuestionType, ...],
    levels: tuple[int, ...],
    earlier: list[Question],
) -> Question:
    qtype = draw(st.sampled_from(types))
    on_scale = scores_between(levels[0], levels[-1])
    fields: dict[str, Any] = {}
    if qtype == "yes-no":
        fields["scores"] = draw(st.just({}) | st.fixed_dictionaries({"yes": on_scale, "no": on_scale}))
    elif qtype == "choice":
        fields["options"] = tuple(Option(v, v, draw(st.none() | on_scale)) for v in OUTCOME_VALUES)
    elif qtype == "multi-choice":
        # Scores from 0 up to the top, so that sums are often capped.
        scores = st.none() | scores_between(0, levels[-1])
        fields["options"] = tuple(Option(v, v, draw(scores)) for v in "abc")
    show_if = None
    if draw(st.booleans()) and earlier:
        show_if = draw_condition(draw, draw(st.sampled_from(earlier)), levels)
    return Question(
        id=qid,
        type=qtype,
        text=f"Question {qid}?",
        weight=draw(WEIGHTS),
        show_if=show_if,
        stage=draw(st.sampled_from(levels)),
        critical=draw(st.none() | st.builds(Critical, cap=st.none() | st.sampled_from(levels[:-1]))),
        **fields,
    )


def draw_options(draw: st.DrawFn, method: str, levels: tuple[int, ...]) -> dict[str, Any]:
    if method == "weighted-mean":
        return draw(st.sampled_from([{}, {"rounding": "floor"}, {"rounding": "nearest"}]))
    if method == "outcomes":
        shares = sorted(
            draw(st.lists(st.integers(0, 100), min_size=len(levels) - 1, max_size=len(levels) - 1))
        )
        return {"thresholds": {level: share / 100 for level, share in zip(levels[1:], shares, strict=True)}}
    return draw(st.sampled_from([{}, {"tolerance": "none"}, {"tolerance": "one-level-each"}]))


@st.composite
def questionnaires(draw: st.DrawFn, method: str) -> Questionnaire:
    """A random questionnaire valid for ``method``: 2-6 levels, 1-4 sections of 1-5 questions."""
    start = draw(st.integers(0, 1))
    levels = tuple(range(start, start + draw(st.integers(2, 6))))
    earlier: list[Question] = []
    sections = []
    for i in range(draw(st.integers(1, 4))):
        questions = []
        for j in range(draw(st.integers(1, 5))):
            questions.append(draw_question(draw, f"q{i}-{j}", METHOD_TYPES[method], levels, earlier))
            earlier.append(questions[-1])
        sections.append(Section(f"s{i}", f"Section {i}", tuple(questions), weight=draw(WEIGHTS)))
    return Questionnaire(
        id="random",
        version=1,
        title="Random",
        scale=tuple(ScaleLevel(level, f"Level {level}") for level in levels),
        scoring=ScoringSpec(method, draw_options(draw, method, levels)),
        sections=tuple(sections),
    )


def values_for(question: Question, levels: tuple[int, ...]) -> st.SearchStrategy[AnswerValue]:
    if question.type == "level":
        return st.sampled_from(levels)
    if question.type == "yes-no":
        return st.sampled_from(["yes", "no"])
    values = [o.value for o in question.options]
    if question.type == "choice":
        return st.sampled_from(values)
    if question.type == "multi-choice":
        return st.lists(st.sampled_from(values), unique=True).map(tuple)
    if question.type == "number":
        return st.integers(0, 10)
    return st.text(max_size=3)


@st.composite
def answers_for(draw: st.DrawFn, questionnaire: Questionnaire) -> dict[str, Answer]:
    """Random answers: each question unanswered, not applicable or answered."""
    answers = {}
    for question in questionnaire.questions:
        kind = draw(st.sampled_from(["none", "not-applicable", "value", "value"]))
        if kind == "not-applicable":
            answers[question.id] = Answer(not_applicable=True)
        elif kind == "value":
            answers[question.id] = Answer(draw(values_for(question, questionnaire.levels)))
    return answers


@st.composite
def cases(draw: st.DrawFn, method: str) -> tuple[Questionnaire, dict[str, Answer]]:
    """A random questionnaire for ``method`` with random answers."""
    questionnaire = draw(questionnaires(method))
    return questionnaire, draw(answers_for(questionnaire))


def with_method(questionnaire: Questionnaire, method: str, **options: Any) -> Questionnaire:
    return replace(questionnaire, scoring=ScoringSpec(method, options))


@pytest.mark.parametrize("method", sorted(BUILTIN_SCORERS))
@SETTINGS
@given(data=st.data())
def test_levels_stay_on_the_scale(method: str, data: st.DataObject) -> None:
    questionnaire, answers = data.draw(cases(method))
    scorer = BUILTIN_SCORERS[method]
    assert scorer.check(questionnaire) == []
    profile = scorer.score(questionnaire, answers)
    results: list[Profile | SectionResult] = [profile, *profile.sections]
    for result in results:
        assert result.level is None or result.level in questionnaire.levels
        assert result.label == questionnaire.label(result.level)
    for section in profile.sections:
        assert 0 <= section.answered <= section.applicable


@pytest.mark.parametrize("method", sorted(BUILTIN_SCORERS))
@SETTINGS
@given(data=st.data())
def test_answering_hidden_questions_changes_nothing(method: str, data: st.DataObject) -> None:
    questionnaire, answers = data.draw(cases(method))
    other = data.draw(answers_for(questionnaire))
    visible = visible_questions(questionnaire, answers)
    changed = {qid: a for qid, a in answers.items() if qid in visible} | {
        qid: a for qid, a in other.items() if qid not in visible
    }
    scorer = BUILTIN_SCORERS[method]
    assert scorer.score(questionnaire, changed) == scorer.score(questionnaire, answers)


@SETTINGS
@given(cases("weakest-link"))
def test_weakest_link_sections_are_at_their_lowest_answer_or_under_tolerance_between_lowest_and_highest(
    case: tuple[Questionnaire, dict[str, Answer]],
) -> None:
    questionnaire, answers = case
    questionnaire = replace(
        questionnaire,
        scoring=ScoringSpec("weakest-link"),
        sections=tuple(
            replace(s, questions=tuple(replace(q, critical=None) for q in s.questions)) for s in questionnaire.sections
        ),
    )
    profile = BUILTIN_SCORERS["weakest-link"].score(questionnaire, answers)
    lenient = replace(questionnaire, scoring=ScoringSpec("weakest-link", {"tolerance": "one-level-each"}))
    tolerant = BUILTIN_SCORERS["weakest-link"].score(lenient, answers)
    visible = visible_questions(questionnaire, answers)
    for section in questionnaire.sections:
        scores = [
            score
            for q in section.questions
            if q.id in visible and (score := question_score(questionnaire, q, answers.get(q.id))) is not None
        ]
        if scores:
            level = tolerant.section(section.id).level
            assert level is not None
            lowest, highest = (floor_level(questionnaire.levels, score) for score in (min(scores), max(scores)))
            assert lowest <= level <= highest
            assert profile.section(section.id).level == lowest


@SETTINGS
@given(data=st.data())
def test_the_same_level_on_every_level_question_gives_that_level(data: st.DataObject) -> None:
    questionnaire = data.draw(questionnaires("weighted-mean"))
    level = data.draw(st.sampled_from(questionnaire.levels))
    answers = {q.id: Answer(level) for q in questionnaire.questions if q.type == "level"}
    visible = visible_questions(questionnaire, answers)
    answered = {
        s.id: [q for q in s.questions if q.id in answers and q.id in visible] for s in questionnaire.sections
    }
    weighted = {s.id for s in questionnaire.sections if any(q.weight > 0 for q in answered[s.id])}

    mean = BUILTIN_SCORERS["weighted-mean"].score(questionnaire, answers)
    weakest = BUILTIN_SCORERS["weakest-link"].score(with_method(questionnaire, "weakest-link"), answers)
    for section in questionnaire.sections:
        assert mean.section(section.id).level == (level if section.id in weighted else None)
        assert weakest.section(section.id).level == (level if answered[section.id] else None)
    counted = any(s.weight > 0 and s.id in weighted for s in questionnaire.sections)
    assert mean.level == (level if counted else None)
    assert weakest.level == (level if any(answered.values()) else None)
