"""The outcomes scorer."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from scoring.model import Questionnaire

if TYPE_CHECKING:
    from conftest import Builder

THRESHOLDS: dict[int | str, float] = {2: 0.2, 3: 0.4, 4: 0.6, 5: 0.9}
THRESHOLDS_PATH = ("scoring", "options", "thresholds")


def outcomes(build: Builder, *sections: Any, **options: Any) -> Questionnaire:
    return build.questionnaire(*sections, method="outcomes", options={"thresholds": THRESHOLDS, **options})


def messages(build: Builder, q: Questionnaire) -> list[tuple[tuple[str | int, ...], str]]:
    return [(p.path, p.message) for p in build.scorer(q).check(q)]


def test_section_level_follows_the_share_achieved(build: Builder) -> None:
    q = outcomes(build, build.section("s", *(build.outcome(f"o{n}") for n in range(5))))
    answers = build.answers(
        o0="achieved", o1="achieved", o2="achieved", o3="partially-achieved", o4="not-achieved"
    )
    section = build.score(q, answers).section("s")
    assert (section.level, section.label, section.value) == (4, "Mature", 0.7)
    assert section.explanation == (
        "3 of 5 outcomes achieved, 1 partially (70% achieved), which meets the threshold for Mature (60%)."
    )


def test_below_every_threshold_is_the_lowest_level(build: Builder) -> None:
    q = outcomes(build, build.section("s", build.outcome("a"), build.outcome("b")))
    section = build.score(q, build.answers(a="not-achieved", b="not-achieved")).section("s")
    assert (section.level, section.value) == (1, 0.0)
    assert section.explanation == (
        "0 of 2 outcomes achieved (0% achieved), which is below the threshold for Developing (20%)."
    )


def test_a_share_exactly_on_a_threshold_meets_it(build: Builder) -> None:
    q = outcomes(build, build.section("s", *(build.outcome(f"o{n}") for n in range(5))))
    answers = build.answers(o0="achieved", o1="achieved", o2="not-achieved", o3="not-achieved")
    assert build.score(q, answers).section("s").level == 3


def test_question_weights_weigh_the_share(build: Builder) -> None:
    q = outcomes(build, build.section("s", build.outcome("a", weight=3), build.outcome("b")))
    section = build.score(q, build.answers(a="achieved", b="not-achieved")).section("s")
    assert (section.value, section.level) == (0.75, 4)


def test_custom_credit(build: Builder) -> None:
    q = outcomes(
        build,
        build.section("s", build.choice("a", {"yes": 5, "mostly": 4, "no": 1})),
        credit={"yes": 1, "mostly": 0.8, "no": 0},
    )
    section = build.score(q, build.answers(a="mostly")).section("s")
    assert (section.value, section.level) == (0.8, 4)
    assert section.explanation.startswith("0 of 1 outcome achieved, 1 partially (80% achieved)")


def test_overall_pools_every_answered_outcome(build: Builder) -> None:
    q = outcomes(
        build,
        build.section("s1", build.outcome("a"), build.outcome("b"), weight=5),
        build.section("s2", build.outcome("c"), build.outcome("d")),
    )
    profile = build.score(q, build.answers(a="achieved", b="achieved", c="not-achieved"))
    assert (profile.section("s1").level, profile.section("s2").level) == (5, 1)
    assert (profile.value, profile.level) == (0.67, 4)
    assert profile.explanation == (
        "2 of 3 outcomes achieved (67% achieved), which meets the threshold for Mature (60%)."
    )


def test_not_applicable_hidden_and_unanswered_outcomes(build: Builder) -> None:
    q = outcomes(
        build,
        build.section(
            "s",
            build.outcome("a"),
            build.outcome("b", not_applicable=True),
            build.outcome("c", show_if=build.show_if("a", equals="not-achieved")),
            build.outcome("d"),
        ),
    )
    section = build.score(q, build.answers(a="achieved", b=build.na, c="not-achieved")).section("s")
    assert (section.value, section.answered, section.applicable) == (1.0, 1, 2)


def test_nothing_answered_gives_no_level(build: Builder) -> None:
    q = outcomes(build, build.section("s", build.outcome("a")))
    profile = build.score(q, {})
    assert (profile.level, profile.value, profile.explanation) == (None, None, "No scored answers yet.")


def test_threshold_keys_may_be_strings_of_levels(build: Builder) -> None:
    q = build.questionnaire(
        build.section("s", build.outcome("a")),
        method="outcomes",
        options={"thresholds": {"2": 0.2, "3": 0.4, " 4": 0.6, 5: 1}},
    )
    assert build.score(q, build.answers(a="partially-achieved")).section("s").level == 3


@pytest.mark.parametrize(
    ("thresholds", "message"),
    [
        (None, "Give thresholds: the minimum share (0 to 1) achieved for each level above the lowest"),
        ([0.2, 0.4], "Give thresholds"),
        ({2: 0.2, 3: 0.4}, "Missing thresholds for levels 4, 5."),
        (
            {2: 0.2, 3: 1.5, 4: 0.6, 5: 0.9},
            "The threshold for level 3 must be a share from 0 to 1, not '1.5'.",
        ),
        (
            {2: 0.2, 3: True, 4: 0.6, 5: 0.9},
            "The threshold for level 3 must be a share from 0 to 1, not 'True'.",
        ),
        (
            {2: 0.2, 3: 0.7, 4: 0.6, 5: 0.9},
            "Thresholds must not fall as levels rise: level 4 (0.6) is below level 3 (0.7).",
        ),
        ({**THRESHOLDS, 6: 1.0}, "Unknown level '6' in thresholds; give one for each of: 2, 3, 4, 5."),
        ({**THRESHOLDS, "top": 1.0}, "Unknown level 'top' in thresholds; give one for each of: 2, 3, 4, 5."),
        ({**THRESHOLDS, 1: 0.0}, "Level 1 is the lowest level, which needs no threshold; remove it."),
    ],
)
def test_thresholds_are_validated(build: Builder, thresholds: object, message: str) -> None:
    options: dict[str, object] = {} if thresholds is None else {"thresholds": thresholds}
    q = build.questionnaire(build.section("s", build.outcome("a")), method="outcomes", options=options)
    [(path, found)] = messages(build, q)
    assert path == THRESHOLDS_PATH
    assert found.startswith(message)


@pytest.mark.parametrize(
    ("credit", "message"),
    [
        ({"achieved": 2}, "The credit for 'achieved' must be a share from 0 to 1, not '2'."),
        ({True: 1}, "Credit keys are option values (text), not 'True'; quote it."),
        ({}, "Give credit as a mapping"),
    ],
)
def test_credit_is_validated(build: Builder, credit: object, message: str) -> None:
    q = outcomes(build, build.section("s", build.outcome("a")), credit=credit)
    problems = messages(build, q)
    assert problems[0][0] == ("scoring", "options", "credit")
    assert problems[0][1].startswith(message)


def test_scored_questions_must_be_creditable_choices(build: Builder) -> None:
    q = outcomes(
        build,
        build.section(
            "s",
            build.outcome("fine"),
            build.level("a-level"),
            build.choice("odd", {"achieved": 5, "sort-of": 3}),
            build.question("notes", "text"),
            build.choice("unscored", {"whatever": None}),
        ),
    )
    assert messages(build, q) == [
        (
            ("sections", 0, "questions", 1),
            "Question 'a-level' is level, but the outcomes method scores only choice questions "
            "with the options: achieved, partially-achieved, not-achieved.",
        ),
        (
            ("sections", 0, "questions", 2),
            "Question 'odd' has options with no credit (sort-of); "
            "use achieved, partially-achieved, not-achieved, or give them credit in options.credit.",
        ),
    ]


def test_unknown_option_keys_are_reported(build: Builder) -> None:
    q = outcomes(build, build.section("s", build.outcome("a")), rounding="floor")
    assert messages(build, q) == [
        (
            ("scoring", "options", "rounding"),
            "Unknown option 'rounding' for outcomes; allowed: thresholds, credit.",
        )
    ]
