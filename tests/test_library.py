"""The questionnaire loader: valid files load to the right model, and every problem is placed exactly."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from assess import create_app, library
from assess.library import (
    LibraryError,
    Problem,
    load_file,
    load_library,
    load_paths,
    read_yaml,
)
from scoring.model import (
    Critical,
    Option,
    Question,
    Questionnaire,
    Resource,
    ResourceTarget,
    ScaleLevel,
    ScoringSpec,
    Section,
    ShowIf,
)
from tests.conftest import FULL, INVALID, QUESTIONNAIRES, VALID

FULL_TRUE_FALSE = QUESTIONNAIRES / "variants" / "full-true-false.yaml"

#: Every invalid fixture and exactly the LINE:COL: message lines the loader reports for it.
EXPECTED_PROBLEMS: dict[str, list[str]] = {
    "yaml-syntax.yaml": [
        "15:8: not valid YAML: expected <block end>, but found '<block mapping start>'; "
        "check the indentation and quoting on this line",
    ],
    "missing-key.yaml": ["2:1: missing required key 'title': add `title:` here"],
    "unknown-key.yaml": [
        "16:9: unknown key 'hnit' (did you mean 'hint'?); allowed keys here: comment, critical, hint, id, label, max, "
        "max_length, min, not_applicable, options, required, scores, show_if, stage, statements, text, type, unit, "
        "weight",
    ],
    "bad-slug.yaml": [
        "13:9: 'First Question' is not a valid id: use lower-case letters, digits and hyphens, like 'first-question'",
    ],
    "duplicate-question.yaml": ["20:9: question id 'progress' is used twice: give each question its own id"],
    "duplicate-key.yaml": ["17:9: duplicate key 'text': keep only one of them"],
    "show-if-forward.yaml": [
        "18:11: show_if points at 'second', which is not an earlier question: "
        "move 'second' above this question, or point at a question that comes before it",
    ],
    "show-if-missing.yaml": [
        "21:19: show_if points at 'has-started', but no question has that id: "
        "use the id of a question that comes before this one",
    ],
    "show-if-at-least-choice.yaml": [
        "25:11: at_least only works with level or number questions; 'approach' is choice: use equals or in",
    ],
    "show-if-unknown-option.yaml": ["25:11: 'approach' can never be 'plan': use one of ad-hoc, planned"],
    "statements-levels.yaml": [
        "17:9: no statement for level 3: add `3: ...` (one statement per scale level)",
        "20:11: level 4 is not on the scale (1, 2, 3): remove it",
    ],
    "statements-same.yaml": ["17:9: two levels have the same statement: each level needs its own description"],
    "score-outside-scale.yaml": [
        "19:46: score 5 is outside the scale: use a value from 1 to 3",
        "25:11: score 0 is outside the scale: use a value from 1 to 3",
    ],
    "unknown-method.yaml": [
        "8:3: unknown scoring method 'average': use one of outcomes, staged, weakest-link, weighted-mean",
    ],
    "scorer-option.yaml": ["10:5: weighted-mean: Unknown rounding 'ceiling'; use one of: floor, nearest."],
    "scorer-tolerance.yaml": [
        "10:5: 'tolerance' is 'forgiving', which is not allowed; use one of: none, one-level-each"
    ],
    "staged-without-stage.yaml": [
        "18:9: staged: Question 'more' needs a stage for the staged method; "
        "add `stage: N` with N one of the scale levels (1, 2).",
    ],
    "resource-section.yaml": ["21:7: no section has the id 'the-only-section': use one of only"],
}


def lines(problems: list[Problem]) -> list[str]:
    return [str(problem) for problem in sorted(problems)]


def test_every_invalid_fixture_has_its_expected_problems() -> None:
    assert sorted(p.name for p in INVALID.glob("*.yaml")) == sorted(EXPECTED_PROBLEMS)


@pytest.mark.parametrize("name", sorted(EXPECTED_PROBLEMS))
def test_invalid_file_reports_each_problem_at_its_place(name: str) -> None:
    path = INVALID / name
    loaded, problems = load_file(path)
    assert loaded is None
    assert lines(problems) == [f"{path}:{expected}" for expected in EXPECTED_PROBLEMS[name]]


@pytest.mark.parametrize("name", sorted(EXPECTED_PROBLEMS))
def test_load_paths_reports_the_same_problems(name: str) -> None:
    path = INVALID / name
    loaded, problems = load_paths([path])
    assert loaded == []
    assert lines(problems) == [f"{path}:{expected}" for expected in EXPECTED_PROBLEMS[name]]


def test_display_name_replaces_the_path() -> None:
    _, problems = load_file(INVALID / "missing-key.yaml", display_name="upload.yaml")
    assert lines(problems) == ["upload.yaml:2:1: missing required key 'title': add `title:` here"]


EXPECTED_FULL = Questionnaire(
    id="full-example",
    version=1,
    title="Full example",
    description="A small questionnaire that uses every key of the questionnaire format.\n",
    audience=("officer", "member"),
    scale=(
        ScaleLevel(1, "Starting", "Little is in place yet."),
        ScaleLevel(2, "Developing"),
        ScaleLevel(3, "Established"),
        ScaleLevel(4, "Leading", "Others learn from the council."),
    ),
    scoring=ScoringSpec("weighted-mean", {"rounding": "nearest"}),
    sections=(
        Section(
            id="strategy",
            title="Strategy",
            description="Whether there is a strategy, and how it is used.",
            weight=2.0,
            questions=(
                Question(id="has-strategy", type="yes-no", text="Does the council have a published strategy?",
                         hint="Look on the council's website.", scores={"yes": 4.0, "no": 1.0}),
                Question(id="strategy-age", type="number", text="How many years old is the strategy?",
                         unit="years", minimum=0, maximum=20, required=False,
                         show_if=ShowIf("has-strategy", equals="yes")),
                Question(id="strategy-use", type="level", text="How is the strategy used?", weight=2.0,
                         comment="optional", stage=2, show_if=ShowIf("strategy-age", at_least=1),
                         statements={1: "It sits on a shelf.", 2: "Some teams refer to it.",
                                     3: "Every service plan refers to it.",
                                     4: "It is reviewed with partners every year."}),
            ),
        ),
        Section(
            id="delivery",
            title="Delivery",
            questions=(
                Question(id="delivery-model", type="choice", text="How are services mainly delivered?",
                         comment="required",
                         options=(Option("in-house", "In house", 2), Option("partnership", "In partnership", 3),
                                  Option("outsourced", "Outsourced"))),
                Question(id="partners", type="multi-choice", text="Which partners are involved?",
                         show_if=ShowIf("delivery-model", in_=("partnership", "outsourced")),
                         options=(Option("nhs", "The NHS", 1), Option("police", "The police", 1),
                                  Option("voluntary", "Voluntary groups", 2))),
                Question(id="delivery-review", type="level", text="How is delivery reviewed?",
                         not_applicable=True, show_if=ShowIf("strategy-use", at_least=2),
                         statements={1: "It is not reviewed.", 2: "It is reviewed when something goes wrong.",
                                     3: "It is reviewed every year.",
                                     4: "It is reviewed continuously, with residents."}),
                Question(id="notes", type="text", text="Anything else to add?", required=False, comment="none",
                         max_length=200),
            ),
        ),
    ),
    resources=(
        Resource("Writing a strategy", "guidance", "https://example.org/strategy", ResourceTarget("strategy", 2)),
        Resource("Peer support", "support"),
    ),
)


def test_full_fixture_loads_every_key_into_the_model() -> None:
    loaded, problems = load_file(FULL)
    assert problems == []
    assert loaded is not None
    assert loaded.path == FULL
    assert loaded.questionnaire == EXPECTED_FULL
    assert loaded.id_position == (4, 1)


def test_full_fixture_uses_every_question_type_and_condition() -> None:
    loaded, _ = load_file(FULL)
    assert loaded is not None
    questions = loaded.questionnaire.questions
    assert sorted({q.type for q in questions}) == ["choice", "level", "multi-choice", "number", "text", "yes-no"]
    conditions = [q.show_if for q in questions if q.show_if]
    assert [c.equals is not None for c in conditions].count(True) == 1
    assert [c.in_ is not None for c in conditions].count(True) == 1
    assert [c.at_least is not None for c in conditions].count(True) == 2


def test_true_false_spelling_loads_identically_to_yes_no() -> None:
    yes_no, yes_no_problems = load_file(FULL)
    true_false, true_false_problems = load_file(FULL_TRUE_FALSE)
    assert yes_no_problems == true_false_problems == []
    assert yes_no is not None and true_false is not None
    assert "true" in FULL_TRUE_FALSE.read_text() and "yes:" not in FULL_TRUE_FALSE.read_text()
    assert true_false.definition == yes_no.definition
    assert true_false.content_hash == yes_no.content_hash
    assert true_false.questionnaire == yes_no.questionnaire == EXPECTED_FULL
    assert yes_no.definition["sections"][0]["questions"][0]["scores"] == {"yes": 4, "no": 1}
    assert yes_no.definition["sections"][0]["questions"][1]["show_if"] == {"question": "has-strategy", "equals": "yes"}


def test_content_hash_ignores_comments_and_layout_but_not_meaning(tmp_path: Path) -> None:
    original, _ = load_file(FULL)
    relaid = tmp_path / "relaid.yaml"
    relaid.write_text("# a new comment\n\n" + FULL.read_text().replace(
        "  - level: 2\n    label: Developing\n", "  - {label: Developing,   level: 2}  # flow style\n"))
    changed = tmp_path / "changed.yaml"
    changed.write_text(FULL.read_text().replace("label: Leading", "label: Excelling"))
    relaid_file, _ = load_file(relaid)
    changed_file, _ = load_file(changed)
    assert original is not None and relaid_file is not None and changed_file is not None
    assert relaid_file.content_hash == original.content_hash
    assert changed_file.content_hash != original.content_hash
    assert len(original.content_hash) == 64


def test_one_bad_file_does_not_stop_the_others(tmp_path: Path) -> None:
    for path in (FULL, VALID / "staged.yaml", INVALID / "missing-key.yaml", INVALID / "statements-levels.yaml"):
        shutil.copy(path, tmp_path / path.name)
    (tmp_path / "notes.txt").write_text("not a questionnaire, and not read")
    loaded, problems = load_paths([tmp_path])
    assert [f.questionnaire.id for f in loaded] == ["full-example", "staged-example"]
    assert lines(problems) == [
        f"{tmp_path / 'missing-key.yaml'}:2:1: missing required key 'title': add `title:` here",
        f"{tmp_path / 'statements-levels.yaml'}:17:9: no statement for level 3: add `3: ...` "
        "(one statement per scale level)",
        f"{tmp_path / 'statements-levels.yaml'}:20:11: level 4 is not on the scale (1, 2, 3): remove it",
    ]


def test_load_paths_reports_a_missing_path(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.yaml"
    loaded, problems = load_paths([FULL, missing])
    assert [f.questionnaire.id for f in loaded] == ["full-example"]
    assert lines(problems) == [f"{missing}:1:1: no such file or folder"]


def test_duplicate_ids_across_files_point_at_the_second_id() -> None:
    folder = QUESTIONNAIRES / "duplicate-ids"
    loaded, problems = load_paths([folder])
    assert [(f.path.name, f.questionnaire.title) for f in loaded] == [("first.yaml", "First file with the id")]
    assert lines(problems) == [
        f"{folder / 'second.yaml'}:2:1: id 'shared-id' is already used by {folder / 'first.yaml'}: "
        "ids must be unique in the library, so give this questionnaire its own id",
    ]


def test_load_library_raises_with_every_problem(tmp_path: Path) -> None:
    shutil.copy(FULL, tmp_path)
    for name in ("missing-key.yaml", "unknown-method.yaml"):
        shutil.copy(INVALID / name, tmp_path)
    with pytest.raises(LibraryError) as raised:
        load_library(tmp_path)
    expected = [
        f"{tmp_path / 'missing-key.yaml'}:2:1: missing required key 'title': add `title:` here",
        f"{tmp_path / 'unknown-method.yaml'}:8:3: unknown scoring method 'average': "
        "use one of outcomes, staged, weakest-link, weighted-mean",
    ]
    assert lines(raised.value.problems) == expected
    assert str(raised.value) == "\n".join(expected)


def test_load_library_of_a_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(LibraryError) as raised:
        load_library(tmp_path / "missing")
    assert str(raised.value) == (
        f"{tmp_path / 'missing'}:1:1: the questionnaire library folder does not exist: "
        "set ASSESS_QUESTIONNAIRES to a folder of YAML files"
    )


def test_load_library_of_the_valid_fixtures() -> None:
    library = load_library(VALID)
    assert [f.questionnaire.id for f in library] == ["full-example", "staged-example"]
    assert library.get("staged-example").scoring.method == "staged"
    with pytest.raises(KeyError):
        library.get("nothing")


def test_create_app_refuses_an_invalid_library(tmp_path: Path) -> None:
    shutil.copy(FULL, tmp_path)
    shutil.copy(INVALID / "duplicate-key.yaml", tmp_path)
    settings = {"TESTING": True, "SECRET_KEY": "x", "QUESTIONNAIRES": str(tmp_path),
                "DATABASE_URL": f"sqlite:///{tmp_path / 'never.sqlite'}"}
    with pytest.raises(LibraryError) as raised:
        create_app(settings)
    assert lines(raised.value.problems) == [
        f"{tmp_path / 'duplicate-key.yaml'}:17:9: duplicate key 'text': keep only one of them"
    ]
    assert not (tmp_path / "never.sqlite").exists()


def test_create_app_serves_a_valid_library(tmp_path: Path) -> None:
    app = create_app({"TESTING": True, "SECRET_KEY": "x", "QUESTIONNAIRES": str(VALID),
                      "DATABASE_URL": f"sqlite:///{tmp_path / 'app.sqlite'}"})
    try:
        assert sorted(app.extensions["assess.library"].files) == ["full-example", "staged-example"]
    finally:
        app.extensions["assess.engine"].dispose()


# Smaller cases, written inline: each changes one thing in a valid questionnaire.

BASE = """\
id: small
version: 1
title: Small
scale:
  - {level: 1, label: Low}
  - {level: 2, label: High}
scoring:
  method: weighted-mean
sections:
  - id: only
    title: Only
    questions:
      - id: first
        type: level
        text: How far along?
        statements: {1: Not started., 2: Done.}
"""


def load_text(tmp_path: Path, text: str | bytes) -> tuple[Questionnaire | None, list[str]]:
    path = tmp_path / "small.yaml"
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    loaded, problems = load_file(path, display_name="small.yaml")
    return (loaded.questionnaire if loaded else None), lines(problems)


def test_base_is_valid(tmp_path: Path) -> None:
    questionnaire, problems = load_text(tmp_path, BASE)
    assert problems == []
    assert questionnaire is not None and questionnaire.question("first").statements == {1: "Not started.", 2: "Done."}


def test_label_and_critical_are_loaded(tmp_path: Path) -> None:
    text = BASE.replace("type: level", "type: level\n        label: progress\n        critical: {cap: 1, because: x}")
    questionnaire, problems = load_text(tmp_path, text)
    assert problems == []
    assert questionnaire is not None
    assert questionnaire.question("first").label == "progress"
    assert questionnaire.question("first").critical == Critical(1, "x")
    plain, _ = load_text(tmp_path, BASE.replace("type: level", "type: level\n        critical: true"))
    assert plain is not None and plain.question("first").critical == Critical()
    uncritical, _ = load_text(tmp_path, BASE.replace("type: level", "type: level\n        critical: false"))
    assert uncritical is not None and uncritical.question("first").critical is None


@pytest.mark.parametrize(("critical", "expected"), [
    ("{cap: 2}", "small.yaml:15:20: cap 2 is the top level, so it would never cap anything: use a lower level"),
    ("{cap: 7}", "small.yaml:15:20: cap 7 is not a scale level: use one of 1, 2"),
    ("yes", "small.yaml:15:9: critical must be true, false, or a mapping such as `{cap: 2, because: ...}` with cap "
            "a scale level and because a reason"),
    ("{cap: 1, reason: x}", "small.yaml:15:9: critical must be true, false, or a mapping such as "
                            "`{cap: 2, because: ...}` with cap a scale level and because a reason"),
])
def test_critical_is_checked(tmp_path: Path, critical: str, expected: str) -> None:
    _, problems = load_text(tmp_path, BASE.replace("type: level", f"type: level\n        critical: {critical}"))
    assert problems == [expected]


def test_critical_needs_a_scored_question(tmp_path: Path) -> None:
    text = BASE.replace("type: level\n        text: How far along?\n        statements: {1: Not started., 2: Done.}",
                        "type: text\n        text: Notes?\n        critical: true")
    _, problems = load_text(tmp_path, text)
    assert problems == ["small.yaml:16:9: critical only applies to a scored question (its answer must carry a score): "
                        "remove it"]


@pytest.mark.parametrize(("text", "expected"), [
    ("", ["small.yaml:1:1: a questionnaire file must be a mapping with id, version, title, scale, scoring, sections"]),
    ("- a\n- b\n",
     ["small.yaml:1:1: a questionnaire file must be a mapping with id, version, title, scale, scoring, sections"]),
    (BASE + "---\nid: other\n",
     ["small.yaml:17:1: not valid YAML: but found another document; check the indentation and quoting on this line"]),
    (BASE.replace("How far along?", "How far\x07 along?"),
     ["small.yaml:15:22: not valid YAML: special characters are not allowed (U+0007): remove the character"]),
    (b"\xff\xfeid: small\n",
     ["small.yaml:1:1: cannot read the file: 'utf-8' codec can't decode byte 0xff in position 0: "
      "invalid start byte"]),
    (BASE.replace("version: 1", "version: yes"), ["small.yaml:2:1: 'version' must be a whole number, not 'yes'"]),
    (BASE.replace("{1: Not started., 2: Done.}", "{one: Not started., 2: Done.}"),
     ["small.yaml:16:9: statements are keyed by scale level number, not 'one': write `1: ...`, `2: ...`"]),
    (BASE.replace("  method: weighted-mean", "  method: weighted-mean\n  options: {rounding: !!binary aGk=}"),
     ["small.yaml:9:23: tag:yaml.org,2002:binary values are not allowed here: write plain text, a number or "
      "true/false"]),
    (BASE.replace("type: level", "type: levels"),
     ["small.yaml:14:9: 'type' is 'levels', which is not allowed; use one of: level, yes-no, choice, multi-choice, "
      "number, text"]),
    (BASE.replace("    title: Only\n", "    title: Only\n    weight: -1\n"),
     ["small.yaml:12:5: 'weight' must be at least 0, not -1"]),
    (BASE + "      - id: second\n        type: yes-no\n        text: Done?\n        statements: {1: a, 2: b}\n",
     ["small.yaml:20:9: 'statements' only applies to level questions: remove it"]),
    (BASE + "      - id: second\n        type: level\n        text: Done?\n        statements: {1: a, 2: b}\n"
            "        show_if: {question: first, at_least: 1, equals: 2}\n",
     ["small.yaml:21:9: show_if needs `question:` and exactly one of `equals:`, `in:` or `at_least:`"]),
    (BASE + "      - id: second\n        type: level\n        text: Done?\n        statements: {1: a, 2: b}\n"
            "        show_if: {question: first, at_least: 3}\n",
     ["small.yaml:21:36: 'first' can never be at least 3: the highest level is 2"]),
    (BASE + "      - id: count\n        type: number\n        text: How many?\n        max: 10\n"
            "      - id: second\n        type: text\n        text: Why?\n"
            "        show_if: {question: count, at_least: 11}\n",
     ["small.yaml:24:36: 'count' can never be at least 11: its max is 10"]),
    (BASE + "      - id: second\n        type: text\n        text: Why?\n"
            "        show_if: {question: first, equals: 3}\n",
     ["small.yaml:20:36: 'first' can never be 3: use one of 1, 2"]),
    (BASE.replace("version: 1", "version: 1\ndescription: &loop [*loop]"),
     ["small.yaml:3:14: this block contains an alias (*name) to itself: write the value out instead"]),
    ("a: &a [x, x, x, x, x, x, x, x, x, x]\n"
     + "".join(f"{n}: &{n} [{', '.join([f'*{p}'] * 10)}]\n" for p, n in zip("abcdefgh", "bcdefghi", strict=True)),
     ["small.yaml:1:1: the file expands to more than 100000 values through aliases (*name): "
      "write the values out instead"]),
    (BASE.replace("title: Small", "title: Small\nresources:\n  - title: Guide\n    url: ftp://example.org"),
     ["small.yaml:6:5: 'ftp://example.org' is not a web address: start it with https://"]),
])
def test_small_problems(tmp_path: Path, text: str, expected: list[str]) -> None:
    questionnaire, problems = load_text(tmp_path, text)
    assert questionnaire is None
    assert problems == expected


def test_merge_keys_share_settings_and_a_written_key_overrides_a_merged_one(tmp_path: Path) -> None:
    text = BASE.replace("      - id: first\n", "      - id: first\n"
                        "        <<: &usual {hint: Shared hint., comment: optional}\n"
                        "        comment: required\n")
    text += ("      - id: second\n        <<: *usual\n        type: level\n        text: And now?\n"
             "        statements: {1: a, 2: b}\n")
    questionnaire, problems = load_text(tmp_path, text)
    assert problems == []
    assert questionnaire is not None
    first, second = questionnaire.questions
    assert (first.hint, first.comment) == ("Shared hint.", "required")
    assert (second.hint, second.comment) == ("Shared hint.", "optional")


def test_a_key_written_twice_next_to_a_merge_is_still_a_duplicate(tmp_path: Path) -> None:
    text = BASE.replace("      - id: first\n", "      - id: first\n        <<: {hint: Shared.}\n"
                                                "        hint: One.\n        hint: Two.\n")
    _, problems = load_text(tmp_path, text)
    assert problems == ["small.yaml:16:9: duplicate key 'hint': keep only one of them"]


def test_problems_under_an_overridden_merge_point_at_the_written_value(tmp_path: Path) -> None:
    text = BASE.replace("      - id: first\n", "      - id: first\n        <<: {show_if: {question: a, equals: b}}\n"
                                                "        show_if: {question: nowhere, equals: b}\n")
    _, problems = load_text(tmp_path, text)
    assert problems == ["small.yaml:15:19: show_if points at 'nowhere', but no question has that id: "
                        "use the id of a question that comes before this one"]


def test_did_you_mean_prefers_a_swap_of_letters(tmp_path: Path) -> None:
    _, problems = load_text(tmp_path, BASE.replace("text: How far along?", "txet: How far along?"))
    assert problems == [
        "small.yaml:13:9: missing required key 'text': add `text:` here",
        "small.yaml:15:9: unknown key 'txet' (did you mean 'text'?); allowed keys here: comment, critical, hint, id, "
        "label, max, max_length, min, not_applicable, options, required, scores, show_if, stage, statements, text, "
        "type, unit, weight",
    ]


def test_no_suggestion_when_nothing_is_close(tmp_path: Path) -> None:
    _, problems = load_text(tmp_path, BASE.replace("version: 1", "version: 1\nzzzzzz: 1"))
    assert problems == ["small.yaml:3:1: unknown key 'zzzzzz'; allowed keys here: audience, description, id, "
                        "resources, scale, scoring, sections, title, version"]


def test_read_yaml_reads_the_loader_way() -> None:
    data, problems = read_yaml("a: yes\nb: no\nc: on\nd: true\n1: x\nfalse: y\ne: 2024-01-31\nf: [yes, 1.5]\n")
    assert problems == []
    assert data == {"a": "yes", "b": "no", "c": "on", "d": True, "1": "x", "no": "y", "e": "2024-01-31",
                    "f": ["yes", 1.5]}
    assert read_yaml("a: 1\na: 2\n", "answers.yaml") == (
        None, [Problem("answers.yaml", 2, 1, "duplicate key 'a': keep only one of them")]
    )
    assert read_yaml("a: [1\n", "answers.yaml") == (None, [Problem(
        "answers.yaml", 2, 1, "not valid YAML: expected ',' or ']', but got '<stream end>'; "
        "check the indentation and quoting on this line")])


def test_loading_again_rereads_the_file_and_hands_out_independent_copies(tmp_path: Path) -> None:
    path = tmp_path / "full.yaml"
    path.write_text(FULL.read_text())
    first, _ = load_file(path)
    assert first is not None
    first.definition["title"] = "Changed by a caller"
    second, _ = load_file(path)
    assert second is not None and second.definition["title"] == "Full example"
    path.write_text(FULL.read_text().replace("title: Full example", "title: Edited"))
    third, _ = load_file(path)
    assert third is not None and third.questionnaire.title == "Edited"


ALL_FIXTURES = sorted(QUESTIONNAIRES.rglob("*.yaml"))


def test_the_pure_python_parser_reads_every_fixture_the_same(monkeypatch: pytest.MonkeyPatch) -> None:
    fast = [load_file(path) for path in ALL_FIXTURES]
    library._load_text.cache_clear()
    monkeypatch.setattr(library, "_FastLoader", None)
    try:
        slow = [load_file(path) for path in ALL_FIXTURES]
    finally:
        library._load_text.cache_clear()
    assert slow == fast


class BrokenScorer:
    name = "weighted-mean"

    def check(self, questionnaire: Questionnaire) -> list[object]:
        raise ZeroDivisionError("division by zero")


def test_a_scorer_that_fails_its_check_is_reported_not_raised(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(library, "get_scorer", lambda name: BrokenScorer())
    library._load_text.cache_clear()
    try:
        loaded, problems = load_paths([FULL, VALID / "staged.yaml"])
    finally:
        library._load_text.cache_clear()
    assert loaded == []
    message = ("scorer failed to check this questionnaire (ZeroDivisionError('division by zero')): "
               "report it to the scorer's authors")
    assert lines(problems) == [f"{FULL}:22:3: the weighted-mean {message}",
                               f"{VALID / 'staged.yaml'}:10:3: the staged {message}"]
