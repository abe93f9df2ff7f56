"""What a scorer returns: a maturity profile for a questionnaire and each of its sections."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SectionResult:
    """The scorer's result for one section."""

    id: str
    title: str
    level: int | None
    label: str | None
    value: float | None
    answered: int
    applicable: int
    explanation: str


@dataclass(frozen=True)
class Profile:
    """The scorer's result for a whole questionnaire."""

    questionnaire_id: str
    version: int
    method: str
    level: int | None
    label: str | None
    value: float | None
    sections: tuple[SectionResult, ...]
    explanation: str

    def section(self, section_id: str) -> SectionResult:
        """Return the result for one section (KeyError if there is none)."""
        for result in self.sections:
            if result.id == section_id:
                return result
        raise KeyError(section_id)

    def to_dict(self) -> dict[str, object]:
        """The profile as JSON-ready data (the shape `assess score --json` prints)."""
        return {
            "id": self.questionnaire_id,
            "version": self.version,
            "method": self.method,
            "level": self.level,
            "label": self.label,
            "value": self.value,
            "sections": [
                {
                    "id": s.id,
                    "level": s.level,
                    "label": s.label,
                    "value": s.value,
                    "answered": s.answered,
                    "applicable": s.applicable,
                    "explanation": s.explanation,
                }
                for s in self.sections
            ],
            "explanation": self.explanation,
        }
