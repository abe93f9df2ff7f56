"""Load and validate questionnaire files into the questionnaire model.

Every problem is reported with the file, line and column and what to change; one bad file
never hides the problems of another. See the README's questionnaire format section.
"""

from __future__ import annotations

import copy
import datetime as dt
import difflib
import hashlib
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from functools import cache, lru_cache
from pathlib import Path
from typing import Any, cast

import jsonschema
import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from scoring import Questionnaire, ScorerProblem
from scoring.model import (
    Critical,
    Option,
    Question,
    Resource,
    ResourceTarget,
    ScaleLevel,
    ScoringSpec,
    Section,
    ShowIf,
)
from scoring.registry import ScorerPluginError, UnknownScorer, available_scorers, get_scorer

SCHEMA_PATH = Path(__file__).parent / "schema" / "questionnaire.schema.json"

Path_ = tuple[str | int, ...]


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with a questionnaire file, where it is, and what to change."""

    file: str
    line: int
    column: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}: {self.message}"


class LibraryError(Exception):
    """A questionnaire library that cannot be used, with every problem found."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


@dataclass(frozen=True)
class LoadedFile:
    """A questionnaire file that passed every check."""

    path: Path
    questionnaire: Questionnaire
    definition: dict[str, Any]
    content_hash: str
    #: Where the file's `id:` is (line, column), to point at it when another file has the same id.
    id_position: tuple[int, int] = (1, 1)


@dataclass
class Library:
    """The questionnaires of a library folder, by id."""

    folder: Path
    files: dict[str, LoadedFile] = field(default_factory=dict)

    def __iter__(self) -> Iterator[LoadedFile]:
        return iter(sorted(self.files.values(), key=lambda f: f.questionnaire.title))

    def get(self, questionnaire_id: str) -> Questionnaire:
        """The questionnaire with this id (KeyError if the library has none)."""
        return self.files[questionnaire_id].questionnaire


class _Loader(yaml.SafeLoader):
    """A safe YAML loader that reads booleans the YAML 1.2 way.

    PyYAML follows YAML 1.1, where yes/no/on/off are booleans; authors write `equals: yes` and
    `scores: {yes: 5, no: 1}` meaning the answer "yes", so only true/false are booleans here.
    """


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)

#: The same reading on libyaml's parser, when PyYAML has it: many times faster than the pure-Python
#: parser, which matters because every app start reads the whole library. Its error messages are
#: terser, so a file it cannot read is read again with _Loader to describe the error.
_FastLoader: type[yaml.SafeLoader] | None = None
if getattr(yaml, "__with_libyaml__", False):  # pragma: no branch

    class _CLoader(yaml.CSafeLoader):
        yaml_implicit_resolvers = _Loader.yaml_implicit_resolvers

    _FastLoader = cast(type[yaml.SafeLoader], _CLoader)


#: Far more values than any questionnaire needs (the largest shipped file has about 500): a file
#: whose aliases of aliases expand beyond it is refused rather than read without end.
MAXIMUM_VALUES = 100_000


class _TooBig(Exception):
    """A file that expands (through aliases) to more than MAXIMUM_VALUES values."""


class _FileChecker:
    """Collects the problems of one file, placing each at the line of the path it concerns."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.marks: dict[Path_, tuple[int, int]] = {}
        self.problems: list[Problem] = []
        self._open: set[int] = set()  # the collections being built, to catch an alias inside itself
        self._built = 0  # values built, to stop aliases of aliases expanding without end

    def add(self, path: Path_, message: str) -> None:
        """Record a problem at a path (or at its nearest parent that is in the file)."""
        while path and path not in self.marks:
            path = path[:-1]
        line, column = self.marks.get(path, (1, 1))
        self.problems.append(Problem(self.name, line, column, message))

    def mark(self, path: Path_, node: Node) -> None:
        """Remember where a path starts in the file."""
        self.marks.setdefault(path, (node.start_mark.line + 1, node.start_mark.column + 1))

    def construct(self, loader: yaml.SafeLoader, node: Node, path: Path_) -> Any:
        """Build JSON-compatible data from a YAML node, remembering each path's position."""
        self.mark(path, node)
        self._built += 1
        if self._built > MAXIMUM_VALUES:
            raise _TooBig()
        if id(node) in self._open:
            line, column = node.start_mark.line + 1, node.start_mark.column + 1
            self.problems.append(Problem(self.name, line, column, "this block contains an alias (*name) to "
                                                                  "itself: write the value out instead"))
            return None
        if isinstance(node, MappingNode | SequenceNode):
            self._open.add(id(node))
            try:
                return self._construct_collection(loader, node, path)
            finally:
                self._open.discard(id(node))
        assert isinstance(node, ScalarNode)
        value = loader.construct_object(node)
        if isinstance(value, dt.date):
            return value.isoformat()
        if value is not None and not isinstance(value, str | int | float | bool):
            line, column = node.start_mark.line + 1, node.start_mark.column + 1
            self.problems.append(Problem(self.name, line, column, f"{node.tag} values are not allowed here: "
                                                                  "write plain text, a number or true/false"))
            return None
        return value

    def _construct_collection(self, loader: yaml.SafeLoader, node: MappingNode | SequenceNode, path: Path_) -> Any:
        if isinstance(node, MappingNode):
            # Keys written in this mapping (not brought in by a `<<:` merge): only these can clash.
            own = {id(key_node) for key_node, _ in node.value if key_node.tag != "tag:yaml.org,2002:merge"}
            loader.flatten_mapping(node)
            result: dict[str, Any] = {}
            written: set[str] = set()
            for key_node, value_node in node.value:
                key = _json_key(loader.construct_object(key_node, deep=True))
                if id(key_node) in own:
                    if key in written:
                        line, column = key_node.start_mark.line + 1, key_node.start_mark.column + 1
                        self.problems.append(
                            Problem(self.name, line, column, f"duplicate key '{key}': keep only one of them")
                        )
                        continue
                    written.add(key)
                if key in result:
                    # A key written here overrides a merged one, and a later merge an earlier one
                    # (flatten_mapping orders them so): forget where the replaced value was.
                    prefix = (*path, key)
                    for stale in [m for m in self.marks if m[: len(prefix)] == prefix]:
                        del self.marks[stale]
                self.mark((*path, key), key_node)
                result[key] = self.construct(loader, value_node, (*path, key))
            return result
        return [self.construct(loader, item, (*path, i)) for i, item in enumerate(node.value)]

    def read(self, text: str) -> Any:
        """The data of a YAML document (None for an empty one); raises yaml.YAMLError."""
        if _FastLoader is not None:
            try:
                return self._read(_FastLoader, text)
            except yaml.YAMLError:
                self.marks.clear()
                self.problems.clear()
        return self._read(_Loader, text)

    def _read(self, loader_class: type[yaml.SafeLoader], text: str) -> Any:
        self._built = 0
        loader = loader_class(text)
        try:
            node = loader.get_single_node()
            return self.construct(loader, node, ()) if node is not None else None
        finally:
            loader.dispose()

    def yaml_problem(self, text: str, error: yaml.YAMLError | _TooBig) -> Problem:
        """A YAML error as a problem at its place in the file."""
        if isinstance(error, _TooBig):
            return Problem(self.name, 1, 1, f"the file expands to more than {MAXIMUM_VALUES} values through "
                                            "aliases (*name): write the values out instead")
        if isinstance(error, yaml.MarkedYAMLError):
            mark = error.problem_mark or error.context_mark
            line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
            reason = error.problem or error.context or "invalid YAML"
            return Problem(self.name, line, column,
                           f"not valid YAML: {reason}; check the indentation and quoting on this line")
        if isinstance(error, yaml.reader.ReaderError):
            before = text[: error.position]
            line, column = before.count("\n") + 1, error.position - (before.rfind("\n") + 1) + 1
            code = error.character if isinstance(error.character, int) else ord(error.character)
            return Problem(self.name, line, column, f"not valid YAML: {error.reason} (U+{code:04X}): "
                                                    "remove the character")
        return Problem(self.name, 1, 1, f"not valid YAML: {error}")


def read_yaml(text: str, name: str = "<string>") -> tuple[Any, list[Problem]]:
    """Read YAML the way questionnaire files are read: only true/false are booleans (yes/no stay
    text), keys become text (`true:`/`false:` keys mean yes and no), dates become ISO text, and a
    key written twice is a problem. Returns the data (None when unreadable) and every problem."""
    checker = _FileChecker(name)
    try:
        data = checker.read(text)
    except (yaml.YAMLError, _TooBig) as error:
        return None, [checker.yaml_problem(text, error)]
    return (None if checker.problems else data), checker.problems


def _json_key(key: Any) -> str:
    # JSON (and so the schema) only has string keys; statement levels arrive as ints and an
    # author's `true:`/`false:` keys as booleans, which mean yes and no.
    if isinstance(key, bool):
        return "yes" if key else "no"
    return str(key)


def _yes_no(value: Any) -> Any:
    return ("yes" if value else "no") if isinstance(value, bool) else value


@cache
def _schema_validator() -> jsonschema.Draft202012Validator:
    schema = json.loads(SCHEMA_PATH.read_text())
    return jsonschema.Draft202012Validator(schema)


def content_hash(definition: Mapping[str, Any]) -> str:
    """A hash of a questionnaire's meaning: layout, comments and key order do not change it."""
    canonical = json.dumps(definition, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def load_file(path: Path, display_name: str | None = None) -> tuple[LoadedFile | None, list[Problem]]:
    """Load and check one questionnaire file: the file (or None) and every problem found."""
    name = display_name or str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        return None, [Problem(name, 1, 1, f"cannot read the file: {error}")]
    loaded, problems = _load_text(path, name, text, _scorer_names())
    if loaded is not None:
        # The cached definition stays as it was read, whatever a caller does with its copy.
        loaded = replace(loaded, definition=copy.deepcopy(loaded.definition))
    return loaded, list(problems)


def load_text(text: str, name: str) -> tuple[LoadedFile | None, list[Problem]]:
    """Load and check a questionnaire's text (an upload, called `name` in problems): the file or None, and problems."""
    loaded, problems = _load_text(Path(name), name, text, _scorer_names())
    if loaded is not None:
        loaded = replace(loaded, definition=copy.deepcopy(loaded.definition))
    return loaded, list(problems)


def _scorer_names() -> tuple[str, ...]:
    try:
        return tuple(sorted(available_scorers()))
    except ScorerPluginError:
        return ()  # reported for each file that uses a scorer


@lru_cache(maxsize=256)
def _load_text(path: Path, name: str, text: str, _scorers: tuple[str, ...]) -> tuple[LoadedFile | None, list[Problem]]:
    """Load a file's text; cached, because the same library is read at every app start (and the
    result only depends on the text, its name and the scorers installed)."""
    checker = _FileChecker(name)
    try:
        data = checker.read(text)
    except (yaml.YAMLError, _TooBig) as error:
        return None, [checker.yaml_problem(text, error)]
    if not isinstance(data, dict):
        checker.add((), "a questionnaire file must be a mapping with id, version, title, scale, scoring, sections")
        return None, checker.problems
    if checker.problems:
        return None, checker.problems
    for schema_error in _schema_validator().iter_errors(data):
        checker.add(*_describe_schema_error(schema_error))
    if checker.problems:
        return None, checker.problems
    _normalise(data)
    _check_rules(data, checker)
    if checker.problems:
        return None, checker.problems
    questionnaire = build_questionnaire(data)
    _check_scorer(questionnaire, checker)
    if checker.problems:
        return None, checker.problems
    return LoadedFile(path, questionnaire, data, content_hash(data), checker.marks.get(("id",), (1, 1))), []


def _describe_schema_error(error: jsonschema.ValidationError) -> tuple[Path_, str]:
    """Turn a JSON Schema error into a place and a message that says what to change."""
    path: Path_ = tuple(error.absolute_path)
    where = f"'{path[-1]}'" if path and isinstance(path[-1], str) else "this entry"
    instance: Any = error.instance
    kind, expected = str(error.validator), cast(Any, error.validator_value)
    schema = cast(dict[str, Any], error.schema)
    if kind == "required":
        # One error per missing key, each with the whole list: its message names the key it is about.
        absent = [k for k in expected if k not in instance]
        missing = next((k for k in absent if error.message.startswith(repr(k))), absent[0])
        return path, f"missing required key '{missing}': add `{missing}:` here"
    if kind == "additionalProperties" and isinstance(instance, dict):
        allowed = sorted(schema.get("properties", {}))
        unknown = [k for k in instance if k not in allowed]
        key = unknown[0] if unknown else "?"
        close = _closest(key, allowed)
        suggestion = f" (did you mean '{close}'?)" if close else ""
        return (*path, key), f"unknown key '{key}'{suggestion}; allowed keys here: {', '.join(allowed)}"
    if kind == "enum":
        choices = ", ".join(str(c) for c in expected)
        return path, f"{where} is {instance!r}, which is not allowed; use one of: {choices}"
    if kind == "const":
        return path, f"{where} must be {expected!r}"
    if kind == "pattern" and "propertyNames" in error.schema_path and path and path[-1] == "statements":
        return path, f"statements are keyed by scale level number, not {instance!r}: write `1: ...`, `2: ...`"
    if kind == "pattern" and path and path[-1] == "url":
        return path, f"'{instance}' is not a web address: start it with https://"
    if kind == "pattern":
        suggestion = re.sub(r"[^a-z0-9]+", "-", str(instance).lower()).strip("-")
        return path, f"{instance!r} is not a valid id: use lower-case letters, digits and hyphens, like '{suggestion}'"
    if kind == "type":
        names = {"integer": "a whole number", "number": "a number", "string": "text", "boolean": "true or false",
                 "object": "a mapping (key: value lines)", "array": "a list (lines starting with '- ')"}
        wanted = expected if isinstance(expected, list) else [expected]
        return path, f"{where} must be {' or '.join(names.get(str(w), str(w)) for w in wanted)}, not {instance!r}"
    if kind == "oneOf" and path and path[-1] == "critical":
        return path, ("critical must be true, false, or a mapping such as `{cap: 2, because: ...}` "
                      "with cap a scale level and because a reason")
    if kind in ("minProperties", "maxProperties") and path and path[-1] == "show_if":
        return path, "show_if needs `question:` and exactly one of `equals:`, `in:` or `at_least:`"
    if kind == "minItems":
        return path, f"{where} needs at least {expected} entr{'y' if expected == 1 else 'ies'}"
    if kind == "minLength":
        return path, f"{where} must not be empty"
    if kind in ("minimum", "exclusiveMinimum"):
        return path, f"{where} must be at least {expected}, not {instance!r}"
    if kind == "uniqueItems":
        return path, f"{where} lists the same value twice: list each once"
    return path, error.message


def _closest(word: str, choices: list[str]) -> str | None:
    """The choice the author most likely meant: fewest typing slips (a swap of two neighbouring
    letters counts as one), then the longest shared start (slips are rarer in the first letters),
    then the most similar; None when nothing is close."""
    candidates = difflib.get_close_matches(word, choices, n=5)
    return min(candidates, key=lambda choice: (_slips(word, choice), -_shared_start(word, choice)), default=None)


def _shared_start(a: str, b: str) -> int:
    return next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b)))


def _slips(a: str, b: str) -> int:
    """Optimal string alignment distance: insertions, deletions, substitutions and adjacent swaps."""
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        current = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                current[j] = min(current[j], previous2[j - 2] + 1)
        previous2, previous = previous, current
    return previous[len(b)]


def _normalise(data: dict[str, Any]) -> None:
    """Write yes/no conditions the one way, whatever the author wrote (yes, true, ...)."""
    for section in data["sections"]:
        for question in section["questions"]:
            condition = question.get("show_if")
            if condition is None:
                continue
            if "equals" in condition:
                condition["equals"] = _yes_no(condition["equals"])
            if "in" in condition:
                condition["in"] = [_yes_no(v) for v in condition["in"]]


TYPE_KEYS = {
    "statements": ("level",),
    "options": ("choice", "multi-choice"),
    "scores": ("yes-no",),
    "min": ("number",),
    "max": ("number",),
    "unit": ("number",),
    "max_length": ("text",),
}


def _check_rules(data: dict[str, Any], checker: _FileChecker) -> None:
    """Check the rules a JSON Schema cannot express."""
    levels = [entry["level"] for entry in data["scale"]]
    if levels != sorted(set(levels)):
        checker.add(("scale",), f"scale levels must go up one entry at a time, lowest first; found {levels}")
    lowest, highest = min(levels), max(levels)
    level_list = ", ".join(str(level) for level in levels)

    seen_sections: set[str] = set()
    seen_questions: dict[str, dict[str, Any]] = {}
    all_questions = {question["id"] for section in data["sections"] for question in section["questions"]}
    for s, section in enumerate(data["sections"]):
        if section["id"] in seen_sections:
            checker.add(("sections", s, "id"),
                        f"section id '{section['id']}' is used twice: give each section its own id")
        seen_sections.add(section["id"])
        for q, question in enumerate(section["questions"]):
            path: Path_ = ("sections", s, "questions", q)
            qid = question["id"]
            if qid in seen_questions:
                checker.add((*path, "id"), f"question id '{qid}' is used twice: give each question its own id")
            for key, types in TYPE_KEYS.items():
                if key in question and question["type"] not in types:
                    checker.add((*path, key), f"'{key}' only applies to {' and '.join(types)} questions: remove it")
            if question["type"] == "level" and "statements" in question:
                _check_statements(question["statements"], levels, (*path, "statements"), checker)
            for o, option in enumerate(question.get("options", [])):
                score = option.get("score")
                if score is not None and not lowest <= score <= highest:
                    checker.add((*path, "options", o, "score"),
                                f"score {score} is outside the scale: use a value from {lowest} to {highest}")
            values = [o["value"] for o in question.get("options", [])]
            for duplicate in sorted({v for v in values if values.count(v) > 1}):
                checker.add((*path, "options"),
                            f"option value '{duplicate}' is used twice: give each option its own value")
            for answer, score in question.get("scores", {}).items():
                if not lowest <= score <= highest:
                    checker.add((*path, "scores", answer),
                                f"score {score} is outside the scale: use a value from {lowest} to {highest}")
            if "min" in question and "max" in question and question["min"] > question["max"]:
                checker.add((*path, "max"), f"max ({question['max']}) is below min ({question['min']}): swap them")
            if "stage" in question and question["stage"] not in levels:
                checker.add((*path, "stage"),
                            f"stage {question['stage']} is not a scale level: use one of {level_list}")
            if "critical" in question:
                _check_critical(question, levels, (*path, "critical"), checker)
            if "show_if" in question:
                _check_condition(question["show_if"], seen_questions, all_questions, levels, (*path, "show_if"),
                                 checker)
            seen_questions[qid] = question

    for r, resource in enumerate(data.get("resources", [])):
        target = resource.get("applies_to", {})
        if "section" in target and target["section"] not in seen_sections:
            checker.add(("resources", r, "applies_to", "section"),
                        f"no section has the id '{target['section']}': use one of {', '.join(sorted(seen_sections))}")
        if "max_level" in target and target["max_level"] not in levels:
            checker.add(("resources", r, "applies_to", "max_level"),
                        f"max_level {target['max_level']} is not a scale level: use one of {level_list}")


def _check_statements(statements: dict[str, str], levels: list[int], path: Path_, checker: _FileChecker) -> None:
    given = {int(key) for key in statements}
    for level in levels:
        if level not in given:
            checker.add(path, f"no statement for level {level}: add `{level}: ...` (one statement per scale level)")
    for key in statements:
        if int(key) not in levels:
            checker.add((*path, key), f"level {key} is not on the scale ({', '.join(map(str, levels))}): remove it")
    texts = [text.strip() for text in statements.values()]
    if len(set(texts)) < len(texts):
        checker.add(path, "two levels have the same statement: each level needs its own description")


def _check_critical(question: dict[str, Any], levels: list[int], path: Path_, checker: _FileChecker) -> None:
    """Check that `critical` is on a scored question and that its cap is a scale level below the top."""
    critical = question["critical"]
    if critical is not False and not _is_scored(question):
        checker.add(path, "critical only applies to a scored question (its answer must carry a score): remove it")
    if not isinstance(critical, dict) or "cap" not in critical:
        return
    cap = critical["cap"]
    if cap not in levels:
        checker.add((*path, "cap"), f"cap {cap} is not a scale level: use one of {', '.join(map(str, levels))}")
    elif cap == max(levels):
        checker.add((*path, "cap"), f"cap {cap} is the top level, so it would never cap anything: use a lower level")


def _is_scored(question: dict[str, Any]) -> bool:
    """Whether answers to a question (as written in a file) can carry a score."""
    if question["type"] in ("choice", "multi-choice"):
        return any(option.get("score") is not None for option in question["options"])
    return question["type"] == "level" or bool(question.get("scores"))


def _check_condition(
    condition: dict[str, Any], earlier: Mapping[str, dict[str, Any]], every_id: set[str], levels: list[int],
    path: Path_, checker: _FileChecker,
) -> None:
    target_id = condition["question"]
    target = earlier.get(target_id)
    if target is None and target_id in every_id:
        checker.add((*path, "question"),
                    f"show_if points at '{target_id}', which is not an earlier question: "
                    f"move '{target_id}' above this question, or point at a question that comes before it")
        return
    if target is None:
        checker.add((*path, "question"),
                    f"show_if points at '{target_id}', but no question has that id: "
                    "use the id of a question that comes before this one")
        return
    kind = target["type"]
    if "at_least" in condition:
        at_least = condition["at_least"]
        if kind not in ("level", "number"):
            checker.add((*path, "at_least"), f"at_least only works with level or number questions; "
                                             f"'{target_id}' is {kind}: use equals or in")
        elif kind == "level" and at_least > max(levels):
            checker.add((*path, "at_least"), f"'{target_id}' can never be at least {at_least}: "
                                             f"the highest level is {max(levels)}")
        elif kind == "number" and "max" in target and at_least > target["max"]:
            checker.add((*path, "at_least"), f"'{target_id}' can never be at least {at_least}: "
                                             f"its max is {target['max']}")
        return
    if kind in ("text", "number"):
        return
    allowed: list[Any]
    if kind == "yes-no":
        allowed = ["yes", "no"]
    elif kind == "level":
        allowed = levels
    else:
        allowed = [o["value"] for o in target.get("options", [])]
    wanted = [condition["equals"]] if "equals" in condition else condition["in"]
    for value in wanted:
        if value not in allowed:
            choices = ", ".join(str(a) for a in allowed)
            checker.add((*path, "equals" if "equals" in condition else "in"),
                        f"'{target_id}' can never be {value!r}: use one of {choices}")


def _check_scorer(questionnaire: Questionnaire, checker: _FileChecker) -> None:
    try:
        scorer = get_scorer(questionnaire.scoring.method)
    except UnknownScorer:
        allowed = ", ".join(sorted(available_scorers()))
        checker.add(("scoring", "method"),
                    f"unknown scoring method '{questionnaire.scoring.method}': use one of {allowed}")
        return
    except ScorerPluginError as error:
        checker.add(("scoring", "method"), f"the scoring method cannot be used: {error}")
        return
    problem: ScorerProblem
    try:
        problems = scorer.check(questionnaire)
    except Exception as error:  # a plugin's bug must not stop the other files being checked
        checker.add(("scoring", "method"), f"the {questionnaire.scoring.method} scorer failed to check this "
                                          f"questionnaire ({error!r}): report it to the scorer's authors")
        return
    for problem in problems:
        checker.add(problem.path, f"{questionnaire.scoring.method}: {problem.message}")


def build_questionnaire(definition: Mapping[str, Any]) -> Questionnaire:
    """Build the questionnaire model from a checked definition (a file's data, or a stored version)."""
    return Questionnaire(
        id=definition["id"],
        version=definition["version"],
        title=definition["title"],
        description=definition.get("description"),
        audience=tuple(definition.get("audience", ())),
        scale=tuple(ScaleLevel(e["level"], e["label"], e.get("description")) for e in definition["scale"]),
        scoring=ScoringSpec(definition["scoring"]["method"], dict(definition["scoring"].get("options", {}))),
        sections=tuple(
            Section(
                id=s["id"],
                title=s["title"],
                description=s.get("description"),
                weight=float(s.get("weight", 1)),
                questions=tuple(_build_question(q) for q in s["questions"]),
            )
            for s in definition["sections"]
        ),
        resources=tuple(_build_resource(r) for r in definition.get("resources", ())),
    )


def _build_question(q: Mapping[str, Any]) -> Question:
    condition = q.get("show_if")
    return Question(
        id=q["id"],
        type=q["type"],
        text=q["text"],
        hint=q.get("hint"),
        weight=float(q.get("weight", 1)),
        required=q.get("required", True),
        not_applicable=q.get("not_applicable", False),
        comment=q.get("comment", "none"),
        show_if=ShowIf(
            question=condition["question"],
            equals=condition.get("equals"),
            in_=tuple(condition["in"]) if "in" in condition else None,
            at_least=condition.get("at_least"),
        ) if condition else None,
        statements={int(k): v for k, v in q.get("statements", {}).items()},
        options=tuple(Option(o["value"], o["label"], o.get("score")) for o in q.get("options", ())),
        scores={k: float(v) for k, v in q.get("scores", {}).items()},
        minimum=q.get("min"),
        maximum=q.get("max"),
        unit=q.get("unit"),
        max_length=q.get("max_length"),
        stage=q.get("stage"),
        label=q.get("label"),
        critical=_build_critical(q.get("critical", False)),
    )


def _build_critical(raw: bool | Mapping[str, Any]) -> Critical | None:
    """A question's `critical:` as the model has it: true, false or `{cap, because}`."""
    if raw is True:
        return Critical()
    if raw is False:
        return None
    return Critical(raw.get("cap"), raw.get("because"))


def _build_resource(r: Mapping[str, Any]) -> Resource:
    target = r.get("applies_to")
    return Resource(
        title=r["title"],
        kind=r.get("kind", "guidance"),
        url=r.get("url"),
        applies_to=ResourceTarget(target.get("section"), target.get("max_level")) if target else None,
        publisher=r.get("publisher"),
    )


def questionnaire_files(paths: Iterable[Path]) -> list[Path]:
    """The YAML files named, or found directly in the folders named, in a stable order."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(sorted(p for p in path.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file()))
        else:
            files.append(path)
    return files


def load_paths(paths: Iterable[Path]) -> tuple[list[LoadedFile], list[Problem]]:
    """Load every questionnaire file in these files and folders; ids must be unique across them."""
    loaded: list[LoadedFile] = []
    problems: list[Problem] = []
    first_seen: dict[str, LoadedFile] = {}
    for path in questionnaire_files(paths):
        if not path.exists():
            problems.append(Problem(str(path), 1, 1, "no such file or folder"))
            continue
        result, file_problems = load_file(path)
        problems.extend(file_problems)
        if result is None:
            continue
        earlier = first_seen.get(result.questionnaire.id)
        if earlier is not None:
            problems.append(Problem(str(path), *result.id_position,
                                    f"id '{result.questionnaire.id}' is already used by {earlier.path}: "
                                    "ids must be unique in the library, so give this questionnaire its own id"))
            continue
        first_seen[result.questionnaire.id] = result
        loaded.append(result)
    return loaded, problems


def load_library(folder: Path) -> Library:
    """Load a whole library folder, raising LibraryError with every problem if any file is invalid."""
    if not folder.is_dir():
        raise LibraryError([Problem(str(folder), 1, 1, "the questionnaire library folder does not exist: "
                                                        "set ASSESS_QUESTIONNAIRES to a folder of YAML files")])
    loaded, problems = load_paths([folder])
    if problems:
        raise LibraryError(problems)
    return Library(folder, {f.questionnaire.id: f for f in loaded})


def definition_problems(definition: Mapping[str, Any], name: str) -> list[Problem]:
    """Every problem of a recorded definition (one carried by an export, say), checked as its file would be."""
    _, problems = _load_text(Path(name), name, json.dumps(definition), _scorer_names())
    return list(problems)
