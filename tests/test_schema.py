"""The JSON Schema and the loader agree, and the shipped library is valid."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from click.testing import CliRunner

from assess.cli import main
from assess.library import SCHEMA_PATH, load_file, read_yaml
from tests.conftest import QUESTIONNAIRES, ROOT

SCHEMA: dict[str, Any] = json.loads(SCHEMA_PATH.read_text())
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)
ALL_FIXTURES = sorted(QUESTIONNAIRES.rglob("*.yaml"))

#: Fixtures whose YAML cannot be read at all (so there is nothing to check against the schema).
UNREADABLE = {"yaml-syntax.yaml", "duplicate-key.yaml"}
#: Fixtures the schema itself rejects; every other fixture breaks only rules the schema cannot express.
SCHEMA_LEVEL = {"missing-key.yaml", "unknown-key.yaml", "bad-slug.yaml", "scorer-tolerance.yaml"}


def fixture_id(path: Path) -> str:
    return str(path.relative_to(QUESTIONNAIRES))


def test_fixtures_are_found() -> None:
    assert len(ALL_FIXTURES) == 23
    assert {p.name for p in ALL_FIXTURES} >= UNREADABLE | SCHEMA_LEVEL


def test_schema_is_valid_draft_2020_12() -> None:
    assert SCHEMA["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    assert jsonschema.validators.validator_for(SCHEMA) is jsonschema.Draft202012Validator


def test_schema_knows_every_key_of_the_format() -> None:
    defs = SCHEMA["$defs"]
    assert set(SCHEMA["properties"]) == {
        "id", "version", "title", "description", "audience", "scale", "scoring", "sections", "resources"}
    assert set(SCHEMA["required"]) == {"id", "version", "title", "scale", "scoring", "sections"}
    assert set(SCHEMA["properties"]["scale"]["items"]["properties"]) == {"level", "label", "description"}
    assert set(SCHEMA["properties"]["scoring"]["properties"]) == {"method", "options"}
    assert set(defs["section"]["properties"]) == {"id", "title", "description", "weight", "questions"}
    assert set(defs["question"]["properties"]) == {
        "id", "type", "text", "hint", "weight", "required", "not_applicable", "comment", "show_if", "statements",
        "options", "scores", "min", "max", "unit", "max_length", "stage", "label", "critical"}
    assert set(defs["question"]["properties"]["show_if"]["properties"]) == {"question", "equals", "in", "at_least"}
    assert set(defs["option"]["properties"]) == {"value", "label", "score"}
    assert set(defs["resource"]["properties"]) == {"title", "url", "publisher", "kind", "applies_to"}
    assert set(SCHEMA["properties"]["scoring"]["properties"]["options"]["properties"]) == {"tolerance"}
    assert set(defs["resource"]["properties"]["applies_to"]["properties"]) == {"section", "max_level"}


@pytest.mark.parametrize("path", ALL_FIXTURES, ids=fixture_id)
def test_schema_and_loader_agree(path: Path) -> None:
    data, yaml_problems = read_yaml(path.read_text(encoding="utf-8"), str(path))
    loaded, problems = load_file(path)
    if path.name in UNREADABLE:
        assert data is None and loaded is None
        assert problems == yaml_problems != []
        return
    assert yaml_problems == []
    schema_errors = list(VALIDATOR.iter_errors(data))
    if path.name in SCHEMA_LEVEL:
        assert schema_errors != []
        assert loaded is None
        # One problem per schema error, and nothing else: the loader stops at the schema.
        assert len(problems) == len(schema_errors)
    else:
        assert schema_errors == []
        if path.parent.name == "invalid":
            # Wrong only by the rules the schema cannot express (and the loader checks after it).
            assert loaded is None and problems != []
        else:
            assert (loaded is not None, problems) == (True, [])


def test_schema_accepts_yes_no_written_as_booleans() -> None:
    # Tools that read YAML 1.1 (where `yes` is true) must still find `equals: yes` valid.
    data, _ = read_yaml((QUESTIONNAIRES / "valid" / "full.yaml").read_text())
    data["sections"][0]["questions"][1]["show_if"]["equals"] = True
    assert list(VALIDATOR.iter_errors(data)) == []
    data["sections"][0]["questions"][1]["show_if"]["equals"] = None
    assert [e.message for e in VALIDATOR.iter_errors(data)] == ["None is not of type 'string', 'number', 'boolean'"]


SHIPPED = sorted((ROOT / "assess" / "questionnaires").glob("*.yaml"))


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_shipped_files_the_loader_accepts_pass_the_schema(path: Path) -> None:
    loaded, problems = load_file(path)
    assert loaded is not None, problems
    data, _ = read_yaml(path.read_text(encoding="utf-8"))
    assert list(VALIDATOR.iter_errors(data)) == []


def test_shipped_library_is_valid() -> None:
    result = CliRunner().invoke(main, ["validate", str(ROOT / "assess" / "questionnaires")])
    assert result.stdout == ""
    assert result.stderr == f"{len(SHIPPED)} valid, 0 invalid\n"
    assert result.exit_code == 0
    assert len(SHIPPED) >= 7
