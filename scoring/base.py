"""The contract every scorer meets, built in or third-party."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from scoring.model import Answers, Questionnaire
from scoring.results import Profile

#: A place in a questionnaire file, as the keys and list indexes that lead to it from the top,
#: for example ``("scoring", "options", "rounding")`` or ``("sections", 0, "questions", 2, "stage")``.
Path = tuple[str | int, ...]


@dataclass(frozen=True)
class ScorerProblem:
    """Something a scorer cannot accept in a questionnaire, and where it is."""

    path: Path
    message: str


@runtime_checkable
class Scorer(Protocol):
    """A scoring method, registered under ``name``.

    ``check`` is called once when a questionnaire is loaded: it validates ``scoring.options``
    and anything else the method needs of the questionnaire (for example ``stage`` on every
    scored question) and returns every problem it finds (an empty list when all is well).
    ``score`` is only ever called with questionnaires that passed ``check``; it must treat
    hidden questions (``show_if`` false) and not-applicable answers as absent.

    A scorer may also have a ``version`` (text): raise it whenever a change to the method can
    change a level. Stored scores record it, and ``assess rescore`` recomputes them after a change.
    """

    name: str

    def check(self, questionnaire: Questionnaire) -> list[ScorerProblem]: ...

    def score(self, questionnaire: Questionnaire, answers: Answers) -> Profile: ...


def scorer_version(scorer: Scorer) -> str:
    """The scorer's ``version`` (optional for plug-ins; "1" when it has none), recorded with stored scores."""
    return str(getattr(scorer, "version", "1"))


def options_of(questionnaire: Questionnaire) -> Mapping[str, Any]:
    """The scorer options a questionnaire gives (empty when it gives none)."""
    return questionnaire.scoring.options or {}
