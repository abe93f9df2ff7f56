"""The staged scorer."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from scoring.base import ScorerProblem

if TYPE_CHECKING:
    from conftest import Builder


def test_check_reports_each_scored_question_without_a_stage(build: Builder) -> None:
    q = build.questionnaire(
        build.section("s", build.level("a", stage=1), build.level("b"), build.question("notes", "text")),
        build.section("t", build.yes_no("c")),
        method="staged",
    )
    problems = build.scorer(q).check(q)
    assert [p.path for p in problems] == [("sections", 0, "questions", 1), ("sections", 1, "questions", 0)]
    assert problems[0].message == (
        "Question 'b' needs a stage for the staged method; "
        "add `stage: N` with N one of the scale levels (1, 2, 3, 4, 5)."
    )


def test_check_reports_a_stage_off_the_scale(build: Builder) -> None:
    q = build.questionnaire(build.section("s", build.level("a", stage=7)), method="staged")
    assert build.scorer(q).check(q) == [
        ScorerProblem(
            ("sections", 0, "questions", 0, "stage"),
            "Stage 7 is not a scale level; use one of: 1, 2, 3, 4, 5.",
        )
    ]


def test_check_rejects_options(build: Builder) -> None:
    q = build.questionnaire(build.section("s", build.level("a", stage=1)), method="staged", options={"x": 1})
    assert [p.path for p in build.scorer(q).check(q)] == [("scoring", "options", "x")]


@pytest.mark.parametrize(
    ("board_reporting", "level", "explanation"),
    [
        # Only stage 3 is missed, and the other requirements are met all the way up: one level lost.
        ("yes", 4, "Reached Mature; Leading needs: cloud strategy."),
        # Two of the three are missed: at most one of them is forgiven at any stage.
        ("no", 2, "Reached Developing; Established needs: cloud strategy."),
    ],
)
def test_a_missed_requirement_costs_one_level_and_a_stage_most_miss_is_not_reached(
    build: Builder, board_reporting: str, level: int, explanation: str
) -> None:
    q = build.questionnaire(
        build.section(
            "s",
            build.yes_no("has-policy", stage=2),
            build.level("cloud-strategy", stage=3),
            build.yes_no("board-reporting", stage=4),
        ),
        method="staged",
    )
    answers = build.answers({"has-policy": "yes", "cloud-strategy": 2, "board-reporting": board_reporting})
    section = build.score(q, answers).section("s")
    assert (section.level, section.value, section.explanation) == (level, None, explanation)


def test_each_missed_requirement_costs_a_level(build: Builder) -> None:
    q = build.questionnaire(
        build.section("s", *(build.yes_no(f"q{n}", stage=2) for n in range(5))), method="staged"
    )
    levels = [
        build.score(q, build.answers({f"q{n}": "no" if n < missed else "yes" for n in range(5)})).level
        for missed in range(6)
    ]
    assert levels == [5, 4, 3, 1, 1, 1]


def test_a_question_must_keep_up_with_every_level_above_its_stage(build: Builder) -> None:
    q = build.questionnaire(
        build.section("s", build.level("a", stage=1), build.level("b", stage=2)), method="staged"
    )
    section = build.score(q, build.answers(a=3, b=5)).section("s")
    assert section.level == 3
    assert section.explanation == "Reached Established; Mature needs: a."


def test_yes_is_met_at_every_level_and_no_at_none(build: Builder) -> None:
    q = build.questionnaire(build.section("s", build.yes_no("a", stage=1, yes=2, no=5)), method="staged")
    assert build.score(q, build.answers(a="yes")).section("s").level == 5
    no = build.score(q, build.answers(a="no")).section("s")
    assert no.level == 1
    assert no.explanation == "Reached Minimum; Developing needs: a."


def test_unanswered_applicable_questions_are_not_met(build: Builder) -> None:
    q = build.questionnaire(
        build.section("s", build.level("a", stage=1), build.level("b", stage=3)), method="staged"
    )
    section = build.score(q, build.answers(a=5)).section("s")
    assert (section.level, section.answered, section.applicable) == (2, 1, 2)
    assert section.explanation == "Reached Developing; Established needs: b."


def test_not_applicable_and_hidden_questions_are_not_needed(build: Builder) -> None:
    q = build.questionnaire(
        build.section(
            "s",
            build.level("a", stage=1),
            build.level("b", stage=2, not_applicable=True),
            build.level("c", stage=2, show_if=build.show_if("a", at_least=5)),
        ),
        method="staged",
    )
    section = build.score(q, build.answers(a=4, b=build.na)).section("s")
    assert section.level == 4


def test_all_stages_met_reaches_the_top(build: Builder) -> None:
    q = build.questionnaire(build.section("s", build.level("a", stage=2)), method="staged")
    profile = build.score(q, build.answers(a=5))
    assert profile.section("s").explanation == "Reached Leading, the top of the scale."
    assert (profile.level, profile.explanation) == (5, "At Leading, the top of the scale.")


def test_overall_is_the_lowest_section_named_by_title(build: Builder) -> None:
    q = build.questionnaire(
        build.section("showing-leadership", build.level("a", stage=1)),
        build.section("managing-contracts", build.level("b", stage=1)),
        build.section("untouched", build.level("c", stage=1)),
        method="staged",
    )
    profile = build.score(q, build.answers(a=4, b=2))
    assert (profile.level, profile.label, profile.value) == (2, "Developing", None)
    assert profile.explanation == "Held at Developing by: Managing contracts."
    assert profile.section("untouched").level is None


def test_nothing_answered_gives_no_level(build: Builder) -> None:
    q = build.questionnaire(build.section("s", build.level("a", stage=1)), method="staged")
    profile = build.score(q, build.answers(a=build.na))
    assert (profile.level, profile.section("s").level, profile.explanation) == (
        None,
        None,
        "No scored answers yet.",
    )
