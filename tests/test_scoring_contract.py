"""The format's contract for weakest-link and staged, on a file written for the strict rule (tests/fixtures)."""

from __future__ import annotations

from assess.library import build_questionnaire, load_file
from scoring import Answer, get_scorer
from tests.conftest import VALID

#: The issue's case: a stage-2 requirement answered "no", the stage above it met.
STAGE_TWO_MISSED = {"has-policy": Answer("yes"), "tested": Answer("no"), "improved": Answer("yes")}


def test_a_staged_file_written_for_the_strict_rule_stops_at_its_first_missed_stage() -> None:
    loaded, problems = load_file(VALID / "staged.yaml")
    assert problems == [] and loaded is not None
    assert loaded.questionnaire.scoring.options == {}
    profile = get_scorer("staged").score(loaded.questionnaire, STAGE_TWO_MISSED)
    assert (profile.section("controls").level, profile.level) == (1, 1)
    assert profile.section("controls").explanation == "Reached Basic; Managed needs: tested."
    assert profile.explanation == "Held at Basic by: Controls."


def test_the_same_file_opting_in_to_tolerance_loses_one_level_for_the_missed_stage() -> None:
    loaded, _ = load_file(VALID / "staged.yaml")
    assert loaded is not None
    definition = {**loaded.definition, "scoring": {"method": "staged", "options": {"tolerance": "one-level-each"}}}
    profile = get_scorer("staged").score(build_questionnaire(definition), STAGE_TWO_MISSED)
    assert (profile.section("controls").level, profile.level) == (2, 2)
    assert profile.explanation == "Held at Managed by: Controls."


def test_tolerance_none_is_the_strict_rule_itself() -> None:
    loaded, _ = load_file(VALID / "staged.yaml")
    assert loaded is not None
    definition = {**loaded.definition, "scoring": {"method": "staged", "options": {"tolerance": "none"}}}
    assert get_scorer("staged").score(build_questionnaire(definition), STAGE_TWO_MISSED).level == 1
