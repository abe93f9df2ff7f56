"""The shipped questionnaire library: valid, complete, varied, and scored the way its descriptions say."""

from __future__ import annotations

from pathlib import Path

import pytest

from assess.library import Library, load_library
from scoring import Answer, Questionnaire, get_scorer
from scoring.model import Question

LIBRARY_FOLDER = Path(__file__).resolve().parent.parent / "assess" / "questionnaires"
EXPECTED = {
    "leadership.yaml": "leadership",
    "financial-planning.yaml": "financial-planning",
    "data.yaml": "data",
    "digital.yaml": "digital",
    "procurement.yaml": "procurement",
    "procurement-maturity.yaml": "procurement-maturity",
    "cyber.yaml": "cyber",
}


@pytest.fixture(scope="module")
def library() -> Library:
    return load_library(LIBRARY_FOLDER)


def questionnaires() -> list[str]:
    return sorted(EXPECTED.values())


def test_the_library_holds_the_seven_questionnaires_each_in_its_own_file(library: Library) -> None:
    assert {f.path.name: f.questionnaire.id for f in library} == EXPECTED


def test_every_built_in_scorer_is_used(library: Library) -> None:
    used = {f.questionnaire.scoring.method for f in library}
    assert used == {"weighted-mean", "weakest-link", "staged", "outcomes"}
    assert library.get("cyber").scoring.method == "outcomes"
    assert library.get("procurement-maturity").scoring.method in ("weighted-mean", "staged")


@pytest.mark.parametrize("questionnaire_id", questionnaires())
def test_size_and_shape(library: Library, questionnaire_id: str) -> None:
    questionnaire = library.get(questionnaire_id)
    assert 15 <= len(questionnaire.questions) <= 45
    assert 4 <= len(questionnaire.sections) <= 8
    for section in questionnaire.sections:
        assert 3 <= len(section.questions) <= 6, section.id
    level_questions = [q for q in questionnaire.questions if q.type == "level"]
    outcome_questions = [q for q in questionnaire.questions if q.type == "choice" and q.is_scored]
    # Mostly level questions (outcome-based frameworks use outcome questions instead).
    assert len(level_questions) + len(outcome_questions) >= 0.8 * len(questionnaire.questions)


@pytest.mark.parametrize("questionnaire_id", questionnaires())
def test_every_question_has_a_hint_and_every_statement_is_its_own(library: Library, questionnaire_id: str) -> None:
    questionnaire = library.get(questionnaire_id)
    seen: dict[str, str] = {}
    for question in questionnaire.questions:
        assert question.hint and len(question.hint) > 40, question.id
        if question.type == "level":
            assert sorted(question.statements) == list(questionnaire.levels), question.id
            statements = [text.strip() for text in question.statements.values()]
            assert len(set(statements)) == len(statements), f"{question.id} repeats a statement"
        for text in question.statements.values():
            assert text.strip() not in seen, f"{question.id} repeats a statement of {seen.get(text.strip())}"
            seen[text.strip()] = question.id


@pytest.mark.parametrize("questionnaire_id", questionnaires())
def test_the_description_says_how_the_level_is_worked_out(library: Library, questionnaire_id: str) -> None:
    questionnaire = library.get(questionnaire_id)
    assert questionnaire.description and "level" in questionnaire.description.lower()
    assert len(questionnaire.scale) == 5


@pytest.mark.parametrize("questionnaire_id", questionnaires())
def test_every_section_signposts_help_at_low_levels(library: Library, questionnaire_id: str) -> None:
    questionnaire = library.get(questionnaire_id)
    lowest = min(questionnaire.levels)
    for section in questionnaire.sections:
        targeted = [r for r in questionnaire.resources if r.applies_to and r.applies_to.section == section.id]
        assert any((r.applies_to.max_level or lowest) >= lowest for r in targeted if r.applies_to), section.id
    for resource in questionnaire.resources:
        assert resource.url is None or resource.url.startswith("https://"), resource.title


def test_the_library_uses_not_applicable_show_if_and_comments(library: Library) -> None:
    questions = [q for f in library for q in f.questionnaire.questions]
    assert any(q.not_applicable for q in questions)
    assert any(q.show_if for q in questions)
    assert any(q.comment == "required" for q in questions) and any(q.comment == "optional" for q in questions)


def test_procurement_maturity_follows_the_national_procurement_strategy(library: Library) -> None:
    questionnaire = library.get("procurement-maturity")
    assert [s.label for s in questionnaire.scale] == ["Minimum", "Developing", "Mature", "Leader", "Innovator"]
    key_areas = {q.id for q in questionnaire.questions if q.type == "level"}
    assert {"engaging-councillors", "engaging-senior-managers", "working-with-partners",
            "engaging-strategic-suppliers", "managing-contracts", "managing-strategic-risk",
            "obtaining-social-value", "developing-talent", "embedding-change"} <= key_areas
    assert len(key_areas) == 14


def _uniform_answer(questionnaire: Questionnaire, question: Question, level: int) -> Answer | None:
    """The answer a council picking `level` everywhere gives (None where no answer means that level)."""
    if question.type == "level":
        return Answer(level)
    if question.type == "yes-no" and question.scores:
        if questionnaire.scoring.method == "staged":
            return Answer("yes")  # a staged yes is met at every stage
        matching = [answer for answer, score in question.scores.items() if score == level]
        return Answer(matching[0]) if matching else None
    if question.type in ("choice", "multi-choice") and question.is_scored:
        matching = [o.value for o in question.options if o.score == level]
        return Answer(matching[0] if question.type == "choice" else (matching[0],)) if matching else None
    return None


@pytest.mark.parametrize("questionnaire_id", [q for q in questionnaires() if q != "cyber"])
@pytest.mark.parametrize("level", [1, 2, 3, 4, 5])
def test_the_same_level_everywhere_gives_that_level(library: Library, questionnaire_id: str, level: int) -> None:
    # Not for cyber: its outcomes scorer reads a share of outcomes achieved, not levels.
    questionnaire = library.get(questionnaire_id)
    answers = {q.id: a for q in questionnaire.questions if (a := _uniform_answer(questionnaire, q, level))}
    profile = get_scorer(questionnaire.scoring.method).score(questionnaire, answers)
    assert profile.level == level, profile.explanation
    assert {s.level for s in profile.sections} == {level}


@pytest.mark.parametrize("share, expected", [(0.0, 1), (0.3, 2), (0.55, 3), (0.75, 4), (1.0, 5)])
def test_cyber_levels_follow_the_share_of_outcomes_achieved(library: Library, share: float, expected: int) -> None:
    questionnaire = library.get("cyber")
    outcomes = questionnaire.questions
    achieved = round(share * len(outcomes))
    answers = {q.id: Answer("achieved" if i < achieved else "not-achieved") for i, q in enumerate(outcomes)}
    assert get_scorer("outcomes").score(questionnaire, answers).level == expected
