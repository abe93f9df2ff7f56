"""Critical questions: the only single answers that can cap a level, honoured the same way by every built-in scorer."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scoring.model import Answer, Critical, Question, Questionnaire, ScaleLevel, ScoringSpec, Section
from scoring.registry import BUILTIN_SCORERS

if TYPE_CHECKING:
    from conftest import Builder

OUTCOMES = {"thresholds": {2: 0.25, 3: 0.5, 4: 0.7, 5: 0.9}}
#: The options under which each built-in method forgives one answer below the rest (a level, not all).
FORGIVING: dict[str, dict[str, Any]] = {
    "outcomes": OUTCOMES,
    "weakest-link": {"tolerance": "one-level-each"},
    "staged": {"tolerance": "one-level-each"},
}
TOP = {"level": 5, "outcome": "achieved", "yes-no": "yes"}
BOTTOM = {"level": 1, "outcome": "not-achieved", "yes-no": "no"}


def four_questions(build: Builder, method: str, critical: Critical | None, label: str | None = None) -> Questionnaire:
    """A questionnaire of one section: a critical question 'backups' and three others, for ``method``."""
    make = build.outcome if method == "outcomes" else build.level
    extra: dict[str, Any] = {"stage": 2} if method == "staged" else {}
    questions = [make("backups", critical=critical, label=label, **extra)]
    questions += [make(f"other-{n}", **extra) for n in range(3)]
    return build.questionnaire(build.section("s", *questions), method=method, options=FORGIVING.get(method))


def answers(build: Builder, method: str, backups: str) -> dict[str, Answer]:
    """Every answer at the top, except 'backups' at ``backups`` (top, bottom or middle)."""
    kind = "outcome" if method == "outcomes" else "level"
    middle = "partially-achieved" if method == "outcomes" else 3
    value = {"top": TOP[kind], "bottom": BOTTOM[kind], "middle": middle}[backups]
    return build.answers({"backups": value, **{f"other-{n}": TOP[kind] for n in range(3)}})


@pytest.mark.parametrize("method", sorted(BUILTIN_SCORERS))
def test_a_critical_answer_at_the_bottom_caps_the_section_and_the_questionnaire(build: Builder, method: str) -> None:
    q = four_questions(build, method, Critical(cap=2, because="backups are not protected from ransomware"))
    profile = build.score(q, answers(build, method, "bottom"))
    assert (profile.level, profile.section("s").level) == (2, 2)
    assert profile.section("s").explanation.startswith(
        "Capped at Developing because backups are not protected from ransomware; without that cap: "
    )
    # Overall, the section's cap may already hold the level there; the reason is given either way.
    assert "because backups are not protected from ransomware" in profile.explanation


@pytest.mark.parametrize("method", sorted(BUILTIN_SCORERS))
def test_without_critical_the_same_answer_costs_at_most_one_level(build: Builder, method: str) -> None:
    q = four_questions(build, method, None)
    profile = build.score(q, answers(build, method, "bottom"))
    assert profile.level is not None and profile.level >= 4
    assert "Capped" not in profile.explanation


@pytest.mark.parametrize("method", ["weakest-link", "staged"])
def test_under_the_strict_rule_one_answer_at_the_bottom_holds_the_level_there(build: Builder, method: str) -> None:
    strict = build.questionnaire(*four_questions(build, method, None).sections, method=method)
    profile = build.score(strict, answers(build, method, "bottom"))
    assert (profile.level, profile.section("s").level) == (1, 1)


@pytest.mark.parametrize("method", sorted(BUILTIN_SCORERS))
def test_a_critical_answer_higher_up_raises_the_cap_one_level_per_level(build: Builder, method: str) -> None:
    q = four_questions(build, method, Critical(cap=2, because="backups are not protected"), label="backups offline")
    profile = build.score(q, answers(build, method, "middle"))
    assert profile.level == 4
    answer = "Partially-achieved" if method == "outcomes" else "Established"  # the builder's option label
    # The reason written for the bottom answer no longer fits, so the explanation names the answer given.
    assert profile.explanation.endswith(
        f" Capped there because a critical question, backups offline, is answered '{answer}'."
    )


@pytest.mark.parametrize("method", sorted(BUILTIN_SCORERS))
def test_a_critical_answer_at_the_top_caps_nothing(build: Builder, method: str) -> None:
    q = four_questions(build, method, Critical(cap=4))
    profile = build.score(q, answers(build, method, "top"))
    assert profile.level == 5
    assert "Capped" not in profile.explanation


def test_critical_true_caps_at_the_answers_own_level(build: Builder) -> None:
    q = build.questionnaire(
        build.section("s", build.level("reserves", critical=Critical(), label="reserves strategy"), build.level("b")),
        build.section("t", build.level("c"), build.level("d")),
        method="weighted-mean",
    )
    profile = build.score(q, build.answers(reserves=3, b=5, c=5, d=5))
    assert (profile.level, profile.value, profile.section("t").level) == (3, 4.5, 5)
    assert profile.explanation == (
        "Capped at Established because a critical question, reserves strategy, is answered 'Established'; "
        "without that cap: weighted mean of 2 sections is 4.5, which rounds down to Mature."
    )


def test_a_cap_at_the_level_already_reached_says_so_too(build: Builder) -> None:
    q = build.questionnaire(
        build.section("s", build.yes_no("mfa", critical=Critical(cap=2, because="there is no MFA")), build.level("b")),
        method="weighted-mean",
    )
    profile = build.score(q, build.answers(mfa="no", b=4))
    assert profile.level == 2
    assert profile.explanation == (
        "Weighted mean of 1 section is 2.5, which rounds down to Developing. Capped there because there is no MFA."
    )


def test_unanswered_not_applicable_and_hidden_critical_questions_cap_nothing(build: Builder) -> None:
    critical = Critical(cap=1)
    q = build.questionnaire(
        build.section(
            "s",
            build.yes_no("has-companies"),
            build.level("unanswered", critical=critical),
            build.level("not-applicable", critical=critical, not_applicable=True),
            build.level("hidden", critical=critical, show_if=build.show_if("has-companies", equals="yes")),
        ),
        method="weighted-mean",
    )
    answered = build.answers({"has-companies": "no", "not-applicable": build.na, "hidden": 1})
    assert build.score(q, answered).level == 1  # the "no" (score 1) alone, uncapped
    assert build.score(q, answered).explanation == "Weighted mean of 1 section is 1, which is Minimum."


def test_caps_name_every_critical_answer_that_holds_the_level(build: Builder) -> None:
    q = build.questionnaire(
        build.section(
            "s",
            build.outcome("backups", critical=Critical(cap=2, because="backups are not protected from ransomware")),
            build.outcome("mfa", critical=Critical(cap=2, because="accounts lack multi-factor authentication")),
            build.outcome("patching", critical=Critical(cap=3, because="patches are late")),
        ),
        method="outcomes",
        options=OUTCOMES,
    )
    profile = build.score(q, build.answers(backups="not-achieved", mfa="not-achieved", patching="not-achieved"))
    assert profile.level == 1
    section = build.score(q, build.answers(backups="not-achieved", mfa="not-achieved", patching="achieved"))
    assert section.level == 2
    assert section.explanation == (
        "1 of 3 outcomes achieved (33% achieved), which meets the threshold for Developing (25%). Capped there "
        "because backups are not protected from ransomware; and accounts lack multi-factor authentication."
    )


def test_labels_name_questions_in_explanations(build: Builder) -> None:
    q = build.questionnaire(
        build.section("s", build.level("hra", label="council housing finances"), build.level("b"), build.level("c")),
        method="weakest-link",
        options=FORGIVING["weakest-link"],
    )
    section = build.score(q, build.answers(hra=1, b=5, c=5)).section("s")
    assert section.explanation == "Held at Mature by: council housing finances."


@st.composite
def level_sections(draw: st.DrawFn, stages: bool) -> tuple[Section, ...]:
    """1-4 sections of 3-6 level questions, with random weights (and stages)."""
    sections = []
    for i in range(draw(st.integers(1, 4))):
        questions = tuple(
            Question(
                id=f"q{i}-{j}",
                type="level",
                text="?",
                weight=draw(st.sampled_from([0.5, 1.0, 2.0])),
                stage=draw(st.integers(1, 5)) if stages else None,
                statements={n: f"{n}" for n in range(1, 6)},
            )
            for j in range(draw(st.integers(3, 6)))
        )
        sections.append(Section(f"s{i}", f"Section {i}", questions))
    return tuple(sections)


@pytest.mark.parametrize("method", ["weakest-link", "staged"])
@settings(max_examples=100, deadline=None)
@given(data=st.data())
def test_from_the_top_one_answer_at_the_bottom_costs_one_level_and_a_critical_one_caps(
    method: str, data: st.DataObject
) -> None:
    sections = data.draw(level_sections(method == "staged"))
    questionnaire = Questionnaire(
        id="random", version=1, title="Random", scale=tuple(ScaleLevel(n, f"L{n}") for n in range(1, 6)),
        scoring=ScoringSpec(method, FORGIVING[method]), sections=sections,
    )
    scorer = BUILTIN_SCORERS[method]
    top = {q.id: Answer(5) for q in questionnaire.questions}
    assert scorer.score(questionnaire, top).level == 5
    weak = data.draw(st.sampled_from(questionnaire.questions))
    profile = scorer.score(questionnaire, {**top, weak.id: Answer(1)})
    assert profile.level == 4
    assert [s.level for s in profile.sections if s.id != questionnaire.section_of(weak.id).id] == [5] * (
        len(sections) - 1
    )
