"""Which scorers exist: the built-ins plus any installed through the ``assess.scorers`` entry points."""

from __future__ import annotations

import functools
from importlib.metadata import EntryPoint, entry_points

from scoring.base import Scorer
from scoring.builtin import Outcomes, Staged, WeakestLink, WeightedMean

ENTRY_POINT_GROUP = "assess.scorers"

BUILTIN_SCORERS: dict[str, Scorer] = {
    scorer.name: scorer for scorer in (WeightedMean(), WeakestLink(), Staged(), Outcomes())
}


class UnknownScorer(KeyError):
    """No scorer is registered under the name asked for."""

    def __init__(self, name: str, allowed: list[str]) -> None:
        super().__init__(name)
        self.name = name
        self.allowed = allowed

    def __str__(self) -> str:
        return f"Unknown scoring method '{self.name}'; allowed methods: {', '.join(self.allowed)}."


class ScorerPluginError(RuntimeError):
    """An installed ``assess.scorers`` entry point that cannot be used as a scorer."""


def available_scorers() -> dict[str, Scorer]:
    """Every usable scorer by name: the built-ins and the installed plugins."""
    return {**BUILTIN_SCORERS, **_discovered()}


def get_scorer(name: str) -> Scorer:
    """The scorer registered under ``name`` (UnknownScorer, listing the allowed methods, if none)."""
    scorers = available_scorers()
    try:
        return scorers[name]
    except KeyError:
        raise UnknownScorer(name, sorted(scorers)) from None


def clear_cache() -> None:
    """Forget the discovered plugins, so the next lookup looks for them again."""
    _discovered.cache_clear()


@functools.cache
def _discovered() -> dict[str, Scorer]:
    found: dict[str, Scorer] = {}
    for entry_point in entry_points(group=ENTRY_POINT_GROUP):
        scorer = _load(entry_point)
        if scorer.name in BUILTIN_SCORERS or scorer.name in found:
            raise ScorerPluginError(
                f"Scorer entry point '{entry_point.name}' ({entry_point.value}) uses the name "
                f"'{scorer.name}', which another scorer already has."
            )
        found[scorer.name] = scorer
    return found


def _load(entry_point: EntryPoint) -> Scorer:
    where = f"Scorer entry point '{entry_point.name}' ({entry_point.value})"
    try:
        loaded = entry_point.load()
        scorer = loaded() if isinstance(loaded, type) else loaded
    except Exception as error:
        raise ScorerPluginError(f"{where} failed to load: {error!r}") from error
    if not (
        isinstance(scorer, Scorer)
        and isinstance(scorer.name, str)
        and callable(scorer.check)
        and callable(scorer.score)
    ):
        raise ScorerPluginError(
            f"{where} is not a scorer: it needs a `name` (text) and `check` and `score` methods."
        )
    if scorer.name != entry_point.name:
        raise ScorerPluginError(
            f"{where} names its scorer '{scorer.name}'; the entry point must have the same name."
        )
    return scorer
