"""Answers: raw values checked against their question, and what blocks submission."""

from __future__ import annotations

from typing import Any

import pytest

from assess.answers import (
    AnswerError,
    answers_from_mapping,
    coerce_value,
    from_stored,
    missing_answers,
    to_stored,
)
from assess.library import load_file
from scoring import Answer, Questionnaire
from scoring.model import Question
from tests.conftest import FIXTURES


def full() -> Questionnaire:
    loaded, problems = load_file(FIXTURES / "questionnaires" / "valid" / "full.yaml")
    assert loaded is not None, problems
    return loaded.questionnaire


Q = full()


@pytest.mark.parametrize(("question_id", "raw", "expected"), [
    ("strategy-use", 3, 3),
    ("strategy-use", "4", 4),
    ("strategy-use", " 1 ", 1),
    ("strategy-use", 2.0, 2),
    ("has-strategy", "yes", "yes"),
    ("has-strategy", " No ", "no"),
    ("has-strategy", True, "yes"),
    ("has-strategy", False, "no"),
    ("delivery-model", "partnership", "partnership"),
    ("partners", ["voluntary", "nhs"], ("nhs", "voluntary")),
    ("partners", ("police",), ("police",)),
    ("partners", "police", ("police",)),
    ("partners", ["nhs", "nhs"], ("nhs",)),
    ("partners", [], ()),
    ("strategy-age", 12, 12),
    ("strategy-age", "3.5", 3.5),
    ("strategy-age", " 7 ", 7),
    ("strategy-age", 4.0, 4),
    ("strategy-age", "0", 0),
    ("strategy-age", "20", 20),
    ("notes", "Some notes.", "Some notes."),
    ("notes", 42, "42"),
    ("notes", "x" * 200, "x" * 200),
])
def test_coerce_value(question_id: str, raw: Any, expected: Any) -> None:
    value = coerce_value(Q.question(question_id), raw)
    assert value == expected
    assert type(value) is type(expected)


@pytest.mark.parametrize(("question_id", "raw", "message"), [
    ("strategy-use", 5, "choose one of the levels 1, 2, 3, 4"),
    ("strategy-use", 0, "choose one of the levels 1, 2, 3, 4"),
    ("strategy-use", 2.5, "choose one of the levels 1, 2, 3, 4"),
    ("strategy-use", "two", "choose one of the levels 1, 2, 3, 4"),
    ("strategy-use", True, "choose one of the levels 1, 2, 3, 4"),
    ("strategy-use", None, "choose one of the levels 1, 2, 3, 4"),
    ("strategy-use", [1], "choose one of the levels 1, 2, 3, 4"),
    ("has-strategy", "maybe", "answer yes or no"),
    ("has-strategy", 1, "answer yes or no"),
    ("has-strategy", "on", "answer yes or no"),
    ("delivery-model", "in house", "choose one of: in-house, partnership, outsourced"),
    ("delivery-model", ["in-house"], "choose one of: in-house, partnership, outsourced"),
    ("partners", ["nhs", "council"], "'council' is not an option: choose from nhs, police, voluntary"),
    ("partners", 3, "'3' is not an option: choose from nhs, police, voluntary"),
    ("strategy-age", "ten", "enter a number, like 12 or 3.5"),
    ("strategy-age", True, "enter a number, like 12 or 3.5"),
    ("strategy-age", "nan", "enter a number, like 12 or 3.5"),
    ("strategy-age", "inf", "enter a number, like 12 or 3.5"),
    ("strategy-age", -1, "enter a number of 0 or more"),
    ("strategy-age", "20.5", "enter a number of 20 or less"),
    ("notes", "x" * 201, "use 200 characters or fewer (this has 201)"),
    ("notes", ["a", "b"], "enter text, not a list"),
])
def test_coerce_value_errors(question_id: str, raw: Any, message: str) -> None:
    with pytest.raises(AnswerError) as raised:
        coerce_value(Q.question(question_id), raw)
    assert str(raised.value) == message


def test_numbers_with_thousands_separators() -> None:
    big = Question(id="n", type="number", text="How many?")
    assert coerce_value(big, "1,250") == 1250
    assert coerce_value(big, "-3") == -3


def test_answers_from_mapping() -> None:
    answers, problems = answers_from_mapping(Q, {
        "has-strategy": "yes",
        "strategy-age": "4",
        "strategy-use": 3,
        "delivery-model": "partnership",
        "partners": ["police"],
        "delivery-review": "N/A",
        "notes": None,
    })
    assert problems == []
    assert answers == {
        "has-strategy": Answer("yes"),
        "strategy-age": Answer(4),
        "strategy-use": Answer(3),
        "delivery-model": Answer("partnership"),
        "partners": Answer(("police",)),
        "delivery-review": Answer(not_applicable=True),
    }


def test_answers_from_mapping_reports_every_problem() -> None:
    answers, problems = answers_from_mapping(Q, {
        "has-strategy": "perhaps",
        "strategy-use": "n/a",
        "unknown-question": 1,
        "delivery-model": "outsourced",
        "partners": ["nhs", "army"],
    })
    assert answers == {"delivery-model": Answer("outsourced")}
    assert problems == [
        "has-strategy: answer yes or no",
        "strategy-use: this question does not offer 'not applicable'",
        "unknown-question: no such question in 'full-example'",
        "partners: 'army' is not an option: choose from nhs, police, voluntary",
    ]


def test_stored_round_trip() -> None:
    assert to_stored(("nhs", "police")) == ["nhs", "police"]
    assert to_stored(3) == 3
    assert to_stored(None) is None
    assert from_stored(["nhs", "police"], comment="c") == Answer(("nhs", "police"), comment="c")
    assert from_stored(None, not_applicable=True) == Answer(not_applicable=True)


def missing(answers: dict[str, Answer]) -> list[tuple[str, str]]:
    return [(question.id, reason) for question, reason in missing_answers(Q, answers)]


def test_nothing_answered_blocks_on_the_shown_required_questions() -> None:
    # strategy-age, strategy-use, partners and delivery-review are hidden until earlier answers show them;
    # notes is optional.
    assert missing({}) == [("has-strategy", "Answer this question"), ("delivery-model", "Answer this question")]


def test_answers_reveal_more_questions() -> None:
    answers = {"has-strategy": Answer("yes"), "strategy-age": Answer(2), "delivery-model": Answer("outsourced")}
    assert missing(answers) == [
        ("strategy-use", "Answer this question"),
        ("delivery-model", "Add a comment or evidence note"),
        ("partners", "Answer this question"),
    ]
    answers |= {"strategy-use": Answer(2), "delivery-model": Answer("outsourced", comment="We buy most services."),
                "partners": Answer(("nhs",))}
    assert missing(answers) == [("delivery-review", "Answer this question")]
    answers["delivery-review"] = Answer(not_applicable=True)
    assert missing(answers) == []


def test_hidden_questions_never_block_even_when_answered_badly() -> None:
    answers = {
        "has-strategy": Answer("no"),
        "strategy-use": Answer(None),  # hidden: its condition's question is hidden too
        "delivery-model": Answer("in-house", comment="All in house."),
        "partners": Answer(()),  # hidden: in-house is not in [partnership, outsourced]
    }
    assert missing(answers) == []


def test_a_condition_below_at_least_hides_the_question() -> None:
    answers = {"has-strategy": Answer("yes"), "strategy-age": Answer(0),
               "delivery-model": Answer("partnership", comment="With the NHS."), "partners": Answer(("nhs",))}
    assert missing(answers) == []
    answers["strategy-age"] = Answer(1)
    assert missing(answers) == [("strategy-use", "Answer this question")]


def test_required_comment_needs_more_than_whitespace() -> None:
    base = {"has-strategy": Answer("no"), "delivery-model": Answer("in-house", comment="   ")}
    assert missing(base) == [("delivery-model", "Add a comment or evidence note")]


def test_empty_values_do_not_count_as_answers() -> None:
    answers = {"has-strategy": Answer(""), "delivery-model": Answer(None, comment="Said something")}
    assert missing(answers) == [("has-strategy", "Answer this question"), ("delivery-model", "Answer this question")]
