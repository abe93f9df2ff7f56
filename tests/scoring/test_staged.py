"""The staged scorer."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from scoring.base import ScorerProblem

if TYPE_CHECKING:
    from conftest import Builder

    from scoring.model import Questionnaire


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


def test_check_takes_only_a_known_tolerance(build: Builder) -> None:
    q = build.questionnaire(
        build.section("s", build.level("a", stage=1)), method="staged", options={"x": 1, "tolerance": "lenient"}
    )
    paths = [p.path for p in build.scorer(q).check(q)]
    assert paths == [("scoring", "options", "x"), ("scoring", "options", "tolerance")]
    for tolerance in ("none", "one-level-each"):
        allowed = build.questionnaire(
            build.section("s", build.level("a", stage=1)), method="staged", options={"tolerance": tolerance}
        )
        assert build.scorer(allowed).check(allowed) == []


LENIENT = {"tolerance": "one-level-each"}


def stage_two_missed(build: Builder, options: dict[str, str]) -> Questionnaire:
    """The issue's case: a stage-2 requirement answered no in one section, every higher stage met."""
    return build.questionnaire(
        build.section(
            "controls",
            build.yes_no("has-policy", stage=1),
            build.yes_no("tested", stage=2),
            build.yes_no("improved", stage=3),
            build.level("reported", stage=4),
            build.yes_no("benchmarked", stage=5),
        ),
        build.section("people", build.level("trained", stage=1)),
        method="staged",
        options=options,
    )


@pytest.mark.parametrize(
    ("options", "level", "explanation"),
    [
        # The contract: the section stops at its first missed stage, and overall is the lowest section.
        ({}, 1, "Reached Minimum; Developing needs: tested."),
        ({"tolerance": "none"}, 1, "Reached Minimum; Developing needs: tested."),
        # Opted in: four of five stages met all the way up; the one missed costs a level.
        (LENIENT, 4, "Reached Mature; Leading needs: tested."),
    ],
)
def test_a_section_stops_at_its_first_missed_stage_unless_the_file_opts_in(
    build: Builder, options: dict[str, str], level: int, explanation: str
) -> None:
    answers = build.answers(
        {"has-policy": "yes", "tested": "no", "improved": "yes", "reported": 5, "benchmarked": "yes", "trained": 5}
    )
    profile = build.score(stage_two_missed(build, options), answers)
    section = profile.section("controls")
    assert (section.level, section.explanation) == (level, explanation)
    assert profile.section("people").level == 5
    assert (profile.level, profile.explanation) == (level, f"Held at {section.label} by: Controls.")


@pytest.mark.parametrize(
    ("options", "board_reporting", "level", "explanation"),
    [
        ({}, "yes", 2, "Reached Developing; Established needs: cloud strategy."),
        ({}, "no", 2, "Reached Developing; Established needs: cloud strategy."),
        # Only stage 3 is missed, and the other requirements are met all the way up: one level lost.
        (LENIENT, "yes", 4, "Reached Mature; Leading needs: cloud strategy."),
        # Two of the three are missed: at most one of them is forgiven at any stage.
        (LENIENT, "no", 2, "Reached Developing; Established needs: cloud strategy."),
    ],
)
def test_a_missed_requirement_holds_the_stage_or_under_tolerance_costs_one_level(
    build: Builder, options: dict[str, str], board_reporting: str, level: int, explanation: str
) -> None:
    q = build.questionnaire(
        build.section(
            "s",
            build.yes_no("has-policy", stage=2),
            build.level("cloud-strategy", stage=3),
            build.yes_no("board-reporting", stage=4),
        ),
        method="staged",
        options=options,
    )
    answers = build.answers({"has-policy": "yes", "cloud-strategy": 2, "board-reporting": board_reporting})
    section = build.score(q, answers).section("s")
    assert (section.level, section.value, section.explanation) == (level, None, explanation)


@pytest.mark.parametrize(("options", "levels"), [({}, [5, 1, 1, 1, 1, 1]), (LENIENT, [5, 4, 3, 1, 1, 1])])
def test_missed_requirements(build: Builder, options: dict[str, str], levels: list[int]) -> None:
    q = build.questionnaire(
        build.section("s", *(build.yes_no(f"q{n}", stage=2) for n in range(5))), method="staged", options=options
    )
    got = [
        build.score(q, build.answers({f"q{n}": "no" if n < missed else "yes" for n in range(5)})).level
        for missed in range(6)
    ]
    assert got == levels


@pytest.mark.parametrize("options", [{}, LENIENT])
def test_a_question_must_keep_up_with_every_level_above_its_stage(build: Builder, options: dict[str, str]) -> None:
    q = build.questionnaire(
        build.section("s", build.level("a", stage=1), build.level("b", stage=2)), method="staged", options=options
    )
    section = build.score(q, build.answers(a=3, b=5)).section("s")
    assert section.level == 3
    assert section.explanation == "Reached Established; Mature needs: a."


@pytest.mark.parametrize(
    ("options", "explanation"),
    [
        ({}, "Placed at Minimum, the lowest level; Minimum needs: a."),
        (LENIENT, "Reached Minimum; Developing needs: a."),
    ],
)
def test_yes_is_met_at_every_level_and_no_at_none(build: Builder, options: dict[str, str], explanation: str) -> None:
    q = build.questionnaire(
        build.section("s", build.yes_no("a", stage=1, yes=2, no=5)), method="staged", options=options
    )
    assert build.score(q, build.answers(a="yes")).section("s").level == 5
    no = build.score(q, build.answers(a="no")).section("s")
    assert (no.level, no.explanation) == (1, explanation)


@pytest.mark.parametrize("options", [{}, LENIENT])
def test_unanswered_applicable_questions_are_not_met(build: Builder, options: dict[str, str]) -> None:
    q = build.questionnaire(
        build.section("s", build.level("a", stage=1), build.level("b", stage=3)), method="staged", options=options
    )
    section = build.score(q, build.answers(a=5)).section("s")
    assert (section.level, section.answered, section.applicable) == (2, 1, 2)
    assert section.explanation == "Reached Developing; Established needs: b."


@pytest.mark.parametrize("options", [{}, LENIENT])
def test_not_applicable_and_hidden_questions_are_not_needed(build: Builder, options: dict[str, str]) -> None:
    q = build.questionnaire(
        build.section(
            "s",
            build.level("a", stage=1),
            build.level("b", stage=2, not_applicable=True),
            build.level("c", stage=2, show_if=build.show_if("a", at_least=5)),
        ),
        method="staged",
        options=options,
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
