"""The weighted-mean scorer."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from scoring.base import ScorerProblem
from scoring.model import Answer

if TYPE_CHECKING:
    from conftest import Builder


def test_section_value_is_the_mean_and_floors_to_a_level(build: Builder) -> None:
    q = build.questionnaire(build.section("s", build.level("a"), build.level("b"), build.level("c")))
    profile = build.score(q, build.answers(a=2, b=3, c=3))
    result = profile.section("s")
    assert (result.level, result.label, result.value) == (2, "Developing", 2.67)
    assert result.explanation == "Weighted mean of 3 answers is 2.67, which rounds down to Developing."
    assert (profile.level, profile.value) == (2, 2.67)
    assert profile.explanation == "Weighted mean of 1 section is 2.67, which rounds down to Developing."


@pytest.mark.parametrize(
    ("values", "level", "how"),
    [
        ((2, 3), 3, "rounds up to"),  # 2.5: a tie goes up
        ((2, 2, 3), 2, "rounds down to"),  # 2.33
        ((2, 3, 3), 3, "rounds up to"),  # 2.67
        ((3, 3), 3, "is"),
    ],
)
def test_nearest_rounding_goes_to_the_nearest_level_and_up_on_ties(
    build: Builder, values: tuple[int, ...], level: int, how: str
) -> None:
    ids = [f"q{n}" for n in range(len(values))]
    q = build.questionnaire(
        build.section("s", *(build.level(i) for i in ids)), options={"rounding": "nearest"}
    )
    result = build.score(q, build.answers(dict(zip(ids, values, strict=True)))).section("s")
    assert result.level == level
    assert f" {how} " in result.explanation


def test_floor_is_the_default_and_can_be_named(build: Builder) -> None:
    section = build.section("s", build.level("a"), build.level("b"))
    answers = build.answers(a=2, b=3)
    default = build.score(build.questionnaire(section), answers)
    named = build.score(build.questionnaire(section, options={"rounding": "floor"}), answers)
    assert default.level == named.level == 2


def test_a_value_below_the_scale_maps_to_the_lowest_level(build: Builder) -> None:
    q = build.questionnaire(build.section("s", build.yes_no("a", yes=5, no=0)))
    result = build.score(q, build.answers(a="no")).section("s")
    assert (result.level, result.value) == (1, 0.0)
    assert result.explanation == "Weighted mean of 1 answer is 0, which rounds up to Minimum."


def test_question_weights_weigh_the_mean(build: Builder) -> None:
    q = build.questionnaire(build.section("s", build.level("a", weight=3), build.level("b")))
    assert build.score(q, build.answers(a=4, b=2)).section("s").value == 3.5


def test_weight_zero_questions_do_not_count_but_are_answered(build: Builder) -> None:
    q = build.questionnaire(build.section("s", build.level("a"), build.level("b", weight=0)))
    result = build.score(q, build.answers(a=4, b=1)).section("s")
    assert (result.level, result.value, result.answered, result.applicable) == (4, 4.0, 2, 2)
    assert result.explanation.startswith("Weighted mean of 1 answer is 4")


def test_only_weight_zero_answers_give_no_level(build: Builder) -> None:
    q = build.questionnaire(build.section("s", build.level("a"), build.level("b", weight=0)))
    profile = build.score(q, build.answers(b=3))
    assert (profile.section("s").level, profile.section("s").value) == (None, None)
    assert profile.section("s").explanation == "Only answers with weight 0 so far."
    assert profile.level is None


def test_section_weights_weigh_the_overall_mean(build: Builder) -> None:
    q = build.questionnaire(
        build.section("s1", build.level("a"), weight=2),
        build.section("s2", build.level("b")),
        build.section("s3", build.level("c"), weight=0),
    )
    profile = build.score(q, build.answers(a=4, b=1, c=1))
    assert (profile.value, profile.level) == (3.0, 3)
    assert profile.explanation == "Weighted mean of 2 sections is 3, which is Established."


def test_overall_ignores_sections_with_nothing_answered(build: Builder) -> None:
    q = build.questionnaire(build.section("s1", build.level("a")), build.section("s2", build.level("b")))
    profile = build.score(q, build.answers(a=4))
    assert profile.section("s2").level is None
    assert (profile.level, profile.value) == (4, 4.0)


def test_not_applicable_answers_are_left_out_of_applicable_and_answered(build: Builder) -> None:
    q = build.questionnaire(build.section("s", build.level("a"), build.level("b", not_applicable=True)))
    result = build.score(q, build.answers(a=2, b=build.na)).section("s")
    assert (result.value, result.answered, result.applicable) == (2.0, 1, 1)


def test_hidden_questions_do_not_count(build: Builder) -> None:
    q = build.questionnaire(
        build.section(
            "s",
            build.yes_no("has-strategy"),
            build.level("strategy-quality", show_if=build.show_if("has-strategy", equals="yes")),
        )
    )
    hidden = build.score(q, build.answers({"has-strategy": "no", "strategy-quality": 5})).section("s")
    assert (hidden.value, hidden.answered, hidden.applicable) == (1.0, 1, 1)
    shown = build.score(q, build.answers({"has-strategy": "yes", "strategy-quality": 3})).section("s")
    assert (shown.value, shown.answered, shown.applicable) == (4.0, 2, 2)


def test_unanswered_questions_count_as_applicable_only(build: Builder) -> None:
    q = build.questionnaire(build.section("s", build.level("a"), build.level("b")))
    result = build.score(q, build.answers(a=3, b=Answer(""))).section("s")
    assert (result.answered, result.applicable, result.value) == (1, 2, 3.0)


def test_unscored_questions_are_ignored(build: Builder) -> None:
    q = build.questionnaire(
        build.section(
            "s",
            build.level("a"),
            build.question("notes", "text"),
            build.question("staff", "number"),
            build.choice("kind", {"x": None, "y": None}),
        )
    )
    result = build.score(q, build.answers(a=3, notes="hello", staff=12, kind="x")).section("s")
    assert (result.value, result.answered, result.applicable) == (3.0, 1, 1)


def test_yes_no_and_choice_scores(build: Builder) -> None:
    q = build.questionnaire(
        build.section("s", build.yes_no("a", yes=4, no=2), build.choice("b", {"low": 1, "high": 5}))
    )
    assert build.score(q, build.answers(a="yes", b="low")).section("s").value == 2.5
    assert build.score(q, build.answers(a="no", b="high")).section("s").value == 3.5


def test_multi_choice_sums_capped_at_the_top_of_the_scale(build: Builder) -> None:
    q = build.questionnaire(build.section("s", build.multi("m", {"a": 2, "b": 2, "c": 3})))
    assert build.score(q, build.answers(m=("a", "b"))).section("s").value == 4.0
    assert build.score(q, build.answers(m=("a", "b", "c"))).section("s").value == 5.0


def test_nothing_answered_gives_no_level(build: Builder) -> None:
    q = build.questionnaire(build.section("s", build.level("a")))
    profile = build.score(q, {})
    assert (profile.level, profile.label, profile.value) == (None, None, None)
    assert profile.explanation == profile.section("s").explanation == "No scored answers yet."
    assert (profile.section("s").answered, profile.section("s").applicable) == (0, 1)


def test_profile_carries_identity_and_section_titles(build: Builder) -> None:
    q = build.questionnaire(build.section("managing-contracts", build.level("a")))
    profile = build.score(q, build.answers(a=1))
    assert (profile.questionnaire_id, profile.version, profile.method) == ("test", 1, "weighted-mean")
    assert profile.section("managing-contracts").title == "Managing contracts"


def test_unknown_option_keys_are_reported_with_the_allowed_ones(build: Builder) -> None:
    q = build.questionnaire(build.section("s", build.level("a")), options={"round": "up"})
    assert build.scorer(q).check(q) == [
        ScorerProblem(
            ("scoring", "options", "round"), "Unknown option 'round' for weighted-mean; allowed: rounding."
        )
    ]


def test_unknown_rounding_is_reported(build: Builder) -> None:
    q = build.questionnaire(build.section("s", build.level("a")), options={"rounding": "ceiling"})
    [problem] = build.scorer(q).check(q)
    assert problem.path == ("scoring", "options", "rounding")
    assert "floor, nearest" in problem.message
