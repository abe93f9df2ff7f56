"""A readable difference between two questionnaire versions: sections and questions added, removed or changed."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from scoring import Questionnaire
from scoring.model import Question, Section


@dataclass(frozen=True)
class Change:
    """One thing that differs: what it is, and how it read before and after ('' where it had none)."""

    what: str
    before: str
    after: str


@dataclass(frozen=True)
class ItemDiff:
    """A section or question that was added, removed or changed (with what changed)."""

    id: str
    title: str
    state: str  # "added", "removed" or "changed"
    changes: list[Change] = field(default_factory=list)
    questions: list[ItemDiff] = field(default_factory=list)


@dataclass(frozen=True)
class VersionDiff:
    """Everything that differs between two versions, from the questionnaire down to each question."""

    changes: list[Change]
    sections: list[ItemDiff]

    @property
    def empty(self) -> bool:
        """Whether the two versions say the same."""
        return not self.changes and not self.sections


def _text(value: object) -> str:
    if value is None or value == () or value == {}:
        return ""
    if isinstance(value, Mapping):
        return "; ".join(f"{key}: {_text(item)}" for key, item in value.items())
    if isinstance(value, tuple | list):
        return "; ".join(_text(item) for item in value)
    return str(value)


def _changes(old: object, new: object, fields: Mapping[str, Callable[[Any], object]]) -> list[Change]:
    found = []
    for what, read in fields.items():
        before, after = read(old), read(new)
        if isinstance(before, Mapping) and isinstance(after, Mapping):
            # Level by level (or option by option), so a changed statement shows on its own.
            for key in dict.fromkeys([*before, *after]):
                if _text(before.get(key)) != _text(after.get(key)):
                    found.append(Change(f"{what}: {key}", _text(before.get(key)), _text(after.get(key))))
        elif _text(before) != _text(after):
            found.append(Change(what, _text(before), _text(after)))
    return found


QUESTIONNAIRE_FIELDS: dict[str, Callable[[Any], object]] = {
    "Title": lambda q: q.title,
    "Description": lambda q: q.description,
    "Level": lambda q: {level.level: level.label for level in q.scale},
    "Scoring": lambda q: q.scoring.method,
    "Scoring options": lambda q: dict(q.scoring.options),
    "Resources": lambda q: [resource.title for resource in q.resources],
}
SECTION_FIELDS: dict[str, Callable[[Any], object]] = {
    "Title": lambda s: s.title,
    "Description": lambda s: s.description,
    "Weight": lambda s: s.weight,
}
QUESTION_FIELDS: dict[str, Callable[[Any], object]] = {
    "Wording": lambda q: q.text,
    "Hint": lambda q: q.hint,
    "Type": lambda q: q.type,
    "Level statement": lambda q: dict(q.statements),
    "Options": lambda q: [option.label for option in q.options],
    "Score of option": lambda q: dict(q.scores),
    "Weight": lambda q: q.weight,
    "Required": lambda q: "yes" if q.required else "no",
    "Not applicable allowed": lambda q: "yes" if q.not_applicable else "no",
    "Shown only if": lambda q: q.show_if,
    "Critical": lambda q: q.critical,
    "Range": lambda q: (q.minimum, q.maximum, q.unit),
}

Item = TypeVar("Item", Section, Question)


def _items(old: Sequence[Item], new: Sequence[Item], title: Callable[[Item], str],
           fields: Mapping[str, Callable[[Any], object]],
           inner: Callable[[Item, Item], list[ItemDiff]] | None = None) -> list[ItemDiff]:
    """Items matched by id: those removed, then each of the new version's in its order (added or changed)."""
    before = {item.id: item for item in old}
    after_ids = {item.id for item in new}
    found = [ItemDiff(item.id, title(item), "removed") for item in old if item.id not in after_ids]
    for item in new:
        if item.id not in before:
            found.append(ItemDiff(item.id, title(item), "added"))
            continue
        changes = _changes(before[item.id], item, fields)
        questions = inner(before[item.id], item) if inner else []
        if changes or questions:
            found.append(ItemDiff(item.id, title(item), "changed", changes, questions))
    return found


def diff_versions(old: Questionnaire, new: Questionnaire) -> VersionDiff:
    """What changed from one version of a questionnaire to another."""
    def questions(a: Section, b: Section) -> list[ItemDiff]:
        return _items(a.questions, b.questions, lambda q: q.text, QUESTION_FIELDS)

    return VersionDiff(_changes(old, new, QUESTIONNAIRE_FIELDS),
                       _items(old.sections, new.sections, lambda s: s.title, SECTION_FIELDS, questions))
