"""Answers as people give them (forms, YAML files) and as they are stored, checked against their question."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from scoring import Answer, Questionnaire, visible_questions
from scoring.model import AnswerValue, Question

NOT_APPLICABLE = "n/a"
#: Question types whose answers are chosen from a list, where "not applicable" is one more choice.
CHOSEN = ("level", "yes-no", "choice", "multi-choice")
#: The longest text answer a question takes when its file sets no `max_length`.
DEFAULT_TEXT_LENGTH = 10_000


class AnswerError(ValueError):
    """An answer that its question cannot take; the message says what it can take."""


def coerce_value(question: Question, raw: Any) -> AnswerValue:
    """Turn a raw answer (from a form or a YAML file) into the value its question type takes."""
    if question.type == "level":
        try:
            # int(2.5) would quietly answer 2: only whole numbers are levels.
            level = int(raw) if not isinstance(raw, float) or raw.is_integer() else None
        except (TypeError, ValueError):
            level = None
        if level is None or isinstance(raw, bool) or level not in question.statements:
            allowed = ", ".join(str(k) for k in sorted(question.statements))
            raise AnswerError(f"choose one of the levels {allowed}")
        return level
    if question.type == "yes-no":
        value = ("yes" if raw else "no") if isinstance(raw, bool) else str(raw).strip().lower()
        if value not in ("yes", "no"):
            raise AnswerError("answer yes or no")
        return value
    if question.type == "choice":
        if question.option(str(raw)) is None:
            raise AnswerError(f"choose one of: {', '.join(o.value for o in question.options)}")
        return str(raw)
    if question.type == "multi-choice":
        chosen = list(raw) if isinstance(raw, list | tuple | set | frozenset) else [] if raw is None else [raw]
        unknown = [str(c) for c in chosen if question.option(str(c)) is None]
        if unknown:
            allowed = ", ".join(o.value for o in question.options)
            raise AnswerError(f"'{unknown[0]}' is not an option: choose from {allowed}")
        # Keep the questionnaire's order, so the same choices always store the same way.
        return tuple(o.value for o in question.options if o.value in {str(c) for c in chosen})
    if question.type == "number":
        return _number(question, raw)
    if isinstance(raw, list | tuple | set | frozenset | dict):
        raise AnswerError("enter text, not a list")
    text = str(raw)
    limit = text_limit(question)
    if len(text) > limit:
        raise AnswerError(f"use {limit:,} characters or fewer (this has {len(text):,})")
    return text


def text_limit(question: Question) -> int:
    """The longest text answer a question takes: its own `max_length`, or 10,000 characters."""
    return question.max_length or DEFAULT_TEXT_LENGTH


def _number(question: Question, raw: Any) -> int | float:
    try:
        number = float(str(raw).replace(",", "").strip())
    except ValueError:
        raise AnswerError("enter a number, like 12 or 3.5") from None
    if not math.isfinite(number):  # float() also reads "nan" and "inf"
        raise AnswerError("enter a number, like 12 or 3.5")
    if question.minimum is not None and number < question.minimum:
        raise AnswerError(f"enter a number of {question.minimum:g} or more")
    if question.maximum is not None and number > question.maximum:
        raise AnswerError(f"enter a number of {question.maximum:g} or less")
    return int(number) if number.is_integer() else number


def answers_from_mapping(questionnaire: Questionnaire, raw: Mapping[str, Any]) -> tuple[dict[str, Answer], list[str]]:
    """Answers from a mapping of question id to raw value (`n/a` for not applicable), with every problem."""
    answers: dict[str, Answer] = {}
    problems: list[str] = []
    known = {q.id: q for q in questionnaire.questions}
    for question_id, value in raw.items():
        question = known.get(str(question_id))
        if question is None:
            problems.append(f"{question_id}: no such question in '{questionnaire.id}'")
            continue
        if value is None or (isinstance(value, str | list) and not value):
            continue  # left blank: not answered
        if isinstance(value, str) and value.strip().lower() == NOT_APPLICABLE:
            if not question.not_applicable:
                problems.append(f"{question_id}: this question does not offer 'not applicable'")
                continue
            answers[question.id] = Answer(not_applicable=True)
            continue
        try:
            answers[question.id] = Answer(coerce_value(question, value))
        except AnswerError as error:
            problems.append(f"{question_id}: {error}")
    return answers, problems


def to_stored(value: AnswerValue | None) -> Any:
    """An answer value as JSON (tuples become lists)."""
    return list(value) if isinstance(value, tuple) else value


def from_stored(value: Any, not_applicable: bool = False, comment: str | None = None) -> Answer:
    """An answer read back from JSON storage."""
    return Answer(tuple(value) if isinstance(value, list) else value, not_applicable, comment)


#: What missing_answers says is missing from a question: its answer, or the comment its answer needs.
ANSWER_MISSING = "Answer this question"
COMMENT_MISSING = "Add a comment or evidence note"


def missing_answers(questionnaire: Questionnaire, answers: Mapping[str, Answer]) -> list[tuple[Question, str]]:
    """The shown questions that block submission, each with what is missing (ANSWER_MISSING or COMMENT_MISSING)."""
    visible = visible_questions(questionnaire, answers)
    missing: list[tuple[Question, str]] = []
    for question in questionnaire.questions:
        if question.id not in visible:
            continue
        answer = answers.get(question.id)
        if question.required and (answer is None or not answer.is_given):
            missing.append((question, ANSWER_MISSING))
        elif question.comment == "required" and answer is not None and answer.is_given \
                and not (answer.comment or "").strip():
            missing.append((question, COMMENT_MISSING))
    return missing


def describe_answer(
    questionnaire: Questionnaire, question: Question, answer: Answer | None, *, with_level: bool = True,
) -> str:
    """An answer in words, as the respondent chose it (a level's statement led by its label, unless not wanted)."""
    if answer is None or not answer.is_given:
        return "Not answered"
    if answer.not_applicable:
        return "Not applicable"
    value = answer.value
    if question.type == "level" and isinstance(value, int):
        statement = question.statements.get(value, str(value))
        return f"{questionnaire.label(value)}: {statement}" if with_level else statement
    if question.type == "yes-no":
        return "Yes" if value == "yes" else "No"
    if question.type in ("choice", "multi-choice"):
        chosen = value if isinstance(value, tuple) else (str(value),)
        return "; ".join(o.label for o in question.options if o.value in chosen) or "None chosen"
    if question.type == "number" and isinstance(value, int | float):
        return f"{value:,g}" + (f" {question.unit}" if question.unit else "")
    return str(value)


def describe_condition(questionnaire: Questionnaire, question: Question) -> str:
    """When a conditional question applies, in words."""
    condition = question.show_if
    if condition is None:
        return ""
    target = questionnaire.question(condition.question)
    if condition.at_least is not None:
        wanted = (f"{questionnaire.label(int(condition.at_least))} or higher" if target.type == "level"
                  else f"{condition.at_least:g} or more")
    else:
        values = [condition.equals] if condition.equals is not None else list(condition.in_ or ())
        wanted = " or ".join(f"‘{_value_name(questionnaire, target, v)}’" for v in values)
    return f"Answer this only if your answer to ‘{target.text}’ is {wanted}."


def _value_name(questionnaire: Questionnaire, question: Question, value: str | int | float) -> str:
    if question.type == "level" and isinstance(value, int):
        return questionnaire.label(value) or str(value)
    typed: AnswerValue = (value,) if question.type == "multi-choice" and isinstance(value, str) else value
    return describe_answer(questionnaire, question, Answer(typed))
