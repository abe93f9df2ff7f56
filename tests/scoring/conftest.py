"""A small factory for building questionnaires and answers in scoring tests."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from scoring.base import Scorer
from scoring.model import (
    Answer,
    AnswerValue,
    Option,
    Question,
    Questionnaire,
    QuestionType,
    ScaleLevel,
    ScoringSpec,
    Section,
    ShowIf,
)
from scoring.registry import BUILTIN_SCORERS
from scoring.results import Profile

LABELS = ("Minimum", "Developing", "Established", "Mature", "Leading", "Exemplary")
OUTCOME_OPTIONS = {"achieved": 5.0, "partially-achieved": 3.0, "not-achieved": 1.0}


class Builder:
    """Builds questionnaires (scale 1..5 by default) and answers with little ceremony."""

    na = Answer(not_applicable=True)

    def question(self, qid: str, qtype: QuestionType = "level", **fields: Any) -> Question:
        """A question of any type; ``fields`` go straight to Question."""
        return Question(id=qid, type=qtype, text=f"About {qid}?", **fields)

    def level(self, qid: str, **fields: Any) -> Question:
        """A level question."""
        return self.question(qid, "level", **fields)

    def yes_no(self, qid: str, yes: float = 5, no: float = 1, **fields: Any) -> Question:
        """A scored yes-no question."""
        return self.question(qid, "yes-no", scores={"yes": yes, "no": no}, **fields)

    def choice(self, qid: str, options: Mapping[str, float | None], **fields: Any) -> Question:
        """A choice question with these option values and scores."""
        return self.question(qid, "choice", options=self._options(options), **fields)

    def multi(self, qid: str, options: Mapping[str, float | None], **fields: Any) -> Question:
        """A multi-choice question with these option values and scores."""
        return self.question(qid, "multi-choice", options=self._options(options), **fields)

    def outcome(self, qid: str, **fields: Any) -> Question:
        """A choice question with the default outcomes options."""
        return self.choice(qid, OUTCOME_OPTIONS, **fields)

    def section(self, sid: str, *questions: Question, weight: float = 1.0) -> Section:
        """A section titled after its id (``managing-contracts`` -> ``Managing contracts``)."""
        return Section(id=sid, title=sid.replace("-", " ").capitalize(), questions=questions, weight=weight)

    def questionnaire(
        self,
        *sections: Section,
        method: str = "weighted-mean",
        options: Mapping[str, Any] | None = None,
        levels: int = 5,
    ) -> Questionnaire:
        """A questionnaire over the scale 1..levels."""
        return Questionnaire(
            id="test",
            version=1,
            title="Test",
            scale=tuple(ScaleLevel(n, LABELS[n - 1]) for n in range(1, levels + 1)),
            scoring=ScoringSpec(method, options or {}),
            sections=sections,
        )

    def answers(
        self, values: Mapping[str, AnswerValue | Answer] | None = None, **more: Any
    ) -> dict[str, Answer]:
        """Answers by question id; plain values are wrapped in Answer, Answer objects kept."""
        merged = {**(values or {}), **more}
        return {qid: v if isinstance(v, Answer) else Answer(v) for qid, v in merged.items()}

    def scorer(self, questionnaire: Questionnaire) -> Scorer:
        """The built-in scorer the questionnaire names."""
        return BUILTIN_SCORERS[questionnaire.scoring.method]

    def score(self, questionnaire: Questionnaire, answers: Mapping[str, Answer]) -> Profile:
        """Check the questionnaire is acceptable to its scorer, then score the answers."""
        scorer = self.scorer(questionnaire)
        assert scorer.check(questionnaire) == []
        return scorer.score(questionnaire, answers)

    def show_if(self, qid: str, **condition: Any) -> ShowIf:
        """A show_if condition on question ``qid``."""
        return ShowIf(question=qid, **condition)

    def _options(self, options: Mapping[str, float | None]) -> tuple[Option, ...]:
        return tuple(Option(value, value.capitalize(), score) for value, score in options.items())


@pytest.fixture(scope="session")
def build() -> Builder:
    """The questionnaire and answer factory."""
    return Builder()
