"""The weakest-link scorer."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from scoring.base import ScorerProblem

if TYPE_CHECKING:
    from conftest import Builder


LENIENT = {"tolerance": "one-level-each"}


@pytest.mark.parametrize(
    ("options", "level", "value", "explanation"),
    [
        # The contract: a section is as strong as its weakest answer.
        ({}, 2, 2.0, "Held at Developing by: managing contracts."),
        ({"tolerance": "none"}, 2, 2.0, "Held at Developing by: managing contracts."),
        # Opted in: the level most answers reach (4), one lower for the answer below it.
        (LENIENT, 3, None, "Held at Established by: managing contracts."),
    ],
)
def test_one_weak_answer_holds_its_section_unless_the_file_opts_in_to_tolerance(
    build: Builder, options: dict[str, str], level: int, value: float | None, explanation: str
) -> None:
    q = build.questionnaire(
        build.section(
            "s",
            build.level("engaging-councillors"),
            build.level("managing-contracts"),
            build.yes_no("has-strategy", yes=5, no=2),
        ),
        method="weakest-link",
        options=options,
    )
    result = build.score(
        q, build.answers({"engaging-councillors": 4, "managing-contracts": 2, "has-strategy": "yes"})
    )
    section = result.section("s")
    assert (section.level, section.value, section.explanation) == (level, value, explanation)
    assert (result.level, result.explanation) == (level, f"Held at {section.label} by: S.")


@pytest.mark.parametrize(
    ("options", "levels"),
    [({}, [5, 1, 1, 1, 1, 1]), (LENIENT, [5, 4, 3, 1, 1, 1])],
)
def test_weak_answers_at_the_bottom(build: Builder, options: dict[str, str], levels: list[int]) -> None:
    q = build.questionnaire(
        build.section("s", *(build.level(f"q{n}") for n in range(5))), method="weakest-link", options=options
    )
    got = [
        build.score(q, build.answers({f"q{n}": 1 if n < weak else 5 for n in range(5)})).level
        for weak in range(6)
    ]
    assert got == levels


def test_a_section_with_one_answer_is_at_that_answer(build: Builder) -> None:
    q = build.questionnaire(build.section("s", build.level("a")), method="weakest-link")
    assert build.score(q, build.answers(a=1)).level == 1


def test_every_question_at_the_lowest_level_is_named(build: Builder) -> None:
    q = build.questionnaire(
        build.section("s", build.level("a"), build.choice("b", {"some": 2.5}), build.level("c")),
        method="weakest-link",
    )
    section = build.score(q, build.answers(a=2, b="some", c=3)).section("s")
    assert (section.level, section.value) == (2, 2.0)
    assert section.explanation == "Held at Developing by: a, b."


def test_overall_is_the_lowest_section_named_by_title(build: Builder) -> None:
    q = build.questionnaire(
        build.section("showing-leadership", build.level("a")),
        build.section("managing-contracts", build.level("b"), build.level("c")),
        build.section("nothing-yet", build.level("d")),
        method="weakest-link",
    )
    profile = build.score(q, build.answers(a=4, b=3, c=2))
    assert (profile.level, profile.label, profile.value) == (2, "Developing", 2.0)
    assert profile.explanation == "Held at Developing by: Managing contracts."
    assert profile.section("nothing-yet").level is None


def test_weights_do_not_matter(build: Builder) -> None:
    q = build.questionnaire(
        build.section("s", build.level("a", weight=10), build.level("b", weight=0)), method="weakest-link"
    )
    assert build.score(q, build.answers(a=5, b=1)).section("s").level == 1


def test_not_applicable_and_hidden_answers_do_not_hold_it_down(build: Builder) -> None:
    q = build.questionnaire(
        build.section(
            "s",
            build.level("a"),
            build.level("b", not_applicable=True),
            build.level("c", show_if=build.show_if("a", at_least=5)),
        ),
        method="weakest-link",
    )
    section = build.score(q, build.answers(a=4, b=build.na, c=1)).section("s")
    assert (section.level, section.answered, section.applicable) == (4, 1, 1)


def test_all_at_the_top_says_so(build: Builder) -> None:
    q = build.questionnaire(build.section("s", build.level("a")), method="weakest-link")
    profile = build.score(q, build.answers(a=5))
    assert profile.section("s").explanation == profile.explanation == "At Leading, the top of the scale."


def test_nothing_answered_gives_no_level(build: Builder) -> None:
    q = build.questionnaire(build.section("s", build.level("a")), method="weakest-link")
    profile = build.score(q, {})
    assert (profile.level, profile.value, profile.explanation) == (None, None, "No scored answers yet.")


def test_takes_only_a_known_tolerance(build: Builder) -> None:
    q = build.questionnaire(
        build.section("s", build.level("a")),
        method="weakest-link",
        options={"rounding": "floor", "tolerance": "some"},
    )
    assert build.scorer(q).check(q) == [
        ScorerProblem(
            ("scoring", "options", "rounding"), "Unknown option 'rounding' for weakest-link; allowed: tolerance."
        ),
        ScorerProblem(
            ("scoring", "options", "tolerance"),
            "Unknown tolerance 'some'; use one of: none, one-level-each (none: the lowest answer or first missed "
            "stage sets the level; one-level-each: each answer below the rest costs one level).",
        ),
    ]
    for tolerance in ("none", "one-level-each"):
        allowed = build.questionnaire(
            build.section("s", build.level("a")), method="weakest-link", options={"tolerance": tolerance}
        )
        assert build.scorer(allowed).check(allowed) == []
