"""Scoring: turns a questionnaire and a respondent's answers into a maturity profile.

This package never imports ``assess``; the engine hands it :class:`Questionnaire` objects and
answers, and gets :class:`Profile` objects back.

Writing a scorer plugin
-----------------------
A scorer is any object with a ``name`` (the ``scoring.method`` questionnaires use) and two
methods (see :class:`Scorer`):

* ``check(questionnaire) -> list[ScorerProblem]``: called once when a questionnaire is loaded;
  report every problem with ``scoring.options`` or anything else the method needs, each with
  its path in the file, for example ``ScorerProblem(("scoring", "options", "cut"), "...")``.
* ``score(questionnaire, answers) -> Profile``: only called for questionnaires that passed
  ``check``. Use :func:`visible_questions` so that hidden questions never count, skip answers
  marked not applicable, and use :func:`question_score` for the score an answer carries.

Register it in your package's ``pyproject.toml`` under the ``assess.scorers`` entry-point group,
with the entry point named as the scorer; the value may be a class (instantiated with no
arguments) or an instance::

    [project.entry-points."assess.scorers"]
    my-method = "my_package.scoring:MyScorer"

Once the package is installed, :func:`get_scorer` and :func:`available_scorers` find it.
"""

from scoring.base import Scorer, ScorerProblem, scorer_version
from scoring.model import Answer, Questionnaire, question_score, visible_questions
from scoring.registry import BUILTIN_SCORERS, UnknownScorer, available_scorers, get_scorer
from scoring.results import Profile, SectionResult

__all__ = [
    "BUILTIN_SCORERS",
    "Answer",
    "Profile",
    "Questionnaire",
    "Scorer",
    "ScorerProblem",
    "SectionResult",
    "UnknownScorer",
    "available_scorers",
    "get_scorer",
    "question_score",
    "scorer_version",
    "visible_questions",
]
