"""The scorer registry: built-ins, plugin discovery through entry points, and lookups."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest

from scoring import registry
from scoring.base import ScorerProblem
from scoring.model import Answers, Questionnaire
from scoring.registry import BUILTIN_SCORERS, ScorerPluginError, UnknownScorer, available_scorers, get_scorer
from scoring.results import Profile


class ConstantScorer:
    """A plugin scorer that accepts everything and scores nothing."""

    name = "constant"

    def check(self, questionnaire: Questionnaire) -> list[ScorerProblem]:
        return []

    def score(self, questionnaire: Questionnaire, answers: Answers) -> Profile:
        return Profile(questionnaire.id, questionnaire.version, self.name, None, None, None, (), "Constant.")


@dataclass
class FakeEntryPoint:
    """Just enough of importlib.metadata.EntryPoint for the registry."""

    name: str
    value: str
    target: Callable[[], object]

    def load(self) -> object:
        return self.target()


@pytest.fixture(autouse=True)
def fresh_discovery() -> Iterator[None]:
    registry.clear_cache()
    yield
    registry.clear_cache()


def install(monkeypatch: pytest.MonkeyPatch, *points: FakeEntryPoint) -> list[str]:
    """Make the registry see these entry points; returns the groups it asked for."""
    asked: list[str] = []

    def entry_points(*, group: str) -> list[FakeEntryPoint]:
        asked.append(group)
        return list(points)

    monkeypatch.setattr(registry, "entry_points", entry_points)
    return asked


def point(name: str, target: object) -> FakeEntryPoint:
    return FakeEntryPoint(name, f"plugin:{name}", lambda: target)


def test_builtins_are_registered_by_name() -> None:
    assert sorted(BUILTIN_SCORERS) == ["outcomes", "staged", "weakest-link", "weighted-mean"]
    assert all(scorer.name == name for name, scorer in BUILTIN_SCORERS.items())
    assert get_scorer("weighted-mean") is BUILTIN_SCORERS["weighted-mean"]


def test_unknown_scorer_lists_the_allowed_methods(monkeypatch: pytest.MonkeyPatch) -> None:
    install(monkeypatch)
    with pytest.raises(UnknownScorer) as caught:
        get_scorer("median")
    assert isinstance(caught.value, KeyError)
    assert str(caught.value) == (
        "Unknown scoring method 'median'; allowed methods: outcomes, staged, weakest-link, weighted-mean."
    )


def test_a_plugin_class_is_discovered_and_instantiated(monkeypatch: pytest.MonkeyPatch) -> None:
    asked = install(monkeypatch, point("constant", ConstantScorer))
    scorer = get_scorer("constant")
    assert isinstance(scorer, ConstantScorer)
    assert asked == ["assess.scorers"]
    assert set(available_scorers()) == {*BUILTIN_SCORERS, "constant"}


def test_a_plugin_instance_is_used_as_it_is(monkeypatch: pytest.MonkeyPatch) -> None:
    instance = ConstantScorer()
    install(monkeypatch, point("constant", instance))
    assert get_scorer("constant") is instance


def test_discovery_is_cached_until_cleared(monkeypatch: pytest.MonkeyPatch) -> None:
    asked = install(monkeypatch, point("constant", ConstantScorer))
    get_scorer("constant")
    get_scorer("weighted-mean")
    assert len(asked) == 1
    registry.clear_cache()
    available_scorers()
    assert len(asked) == 2


def test_available_scorers_returns_a_copy(monkeypatch: pytest.MonkeyPatch) -> None:
    install(monkeypatch)
    available_scorers().clear()
    assert "weighted-mean" in available_scorers()


def broken() -> object:
    raise ImportError("No module named 'plugin'")


@pytest.mark.parametrize(
    ("entry_point", "message"),
    [
        (
            FakeEntryPoint("broken", "plugin:Broken", broken),
            "Scorer entry point 'broken' (plugin:Broken) failed to load: "
            "ImportError(\"No module named 'plugin'\")",
        ),
        (
            point("no-score", object()),
            "Scorer entry point 'no-score' (plugin:no-score) is not a scorer: "
            "it needs a `name` (text) and `check` and `score` methods.",
        ),
        (
            point("other-name", ConstantScorer),
            "Scorer entry point 'other-name' (plugin:other-name) names its scorer 'constant'; "
            "the entry point must have the same name.",
        ),
    ],
)
def test_unusable_entry_points_raise_naming_the_entry_point(
    monkeypatch: pytest.MonkeyPatch, entry_point: FakeEntryPoint, message: str
) -> None:
    install(monkeypatch, entry_point)
    with pytest.raises(ScorerPluginError) as caught:
        available_scorers()
    assert str(caught.value) == message


def test_a_plugin_cannot_replace_a_builtin(monkeypatch: pytest.MonkeyPatch) -> None:
    class Impostor(ConstantScorer):
        name = "weighted-mean"

    install(monkeypatch, point("weighted-mean", Impostor))
    with pytest.raises(ScorerPluginError, match="'weighted-mean', which another scorer already has"):
        get_scorer("weighted-mean")


def test_a_class_that_fails_to_instantiate_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    class NeedsArguments(ConstantScorer):
        def __init__(self, setting: str) -> None:
            self.setting = setting

    install(monkeypatch, point("constant", NeedsArguments))
    with pytest.raises(ScorerPluginError, match="entry point 'constant' .* failed to load: TypeError"):
        available_scorers()
