"""The OpenAPI 3.1 description of the read-only API."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from assess.services.sector import PUBLISHED_MEANINGS

#: A text parameter as the API reads it: at most 100 characters, none of them a control character.
_TEXT: dict[str, Any] = {"type": "string", "maxLength": 100, "pattern": "^[^\\u0000-\\u001f\\u007f-\\u009f]*$"}
#: A day the filters may name (YYYY-MM-DD, 1900 to 2999), or empty for no limit.
_DAY: dict[str, Any] = {"type": "string", "anyOf": [
    {"format": "date", "pattern": "^(19[0-9]{2}|2[0-9]{3})-[0-9]{2}-[0-9]{2}$"}, {"maxLength": 0}]}
_FILTERS: list[dict[str, Any]] = [
    {"name": "type", "in": "query", "schema": _TEXT,
     "description": "Only councils of this type, as the register names it (empty: any)."},
    {"name": "region", "in": "query", "schema": _TEXT,
     "description": "Only councils in this region, as the register names it (empty: any)."},
    {"name": "from", "in": "query", "schema": _DAY,
     "description": "Only rounds published on or after this day (YYYY-MM-DD; empty: no limit). Not after `to`."},
    {"name": "to", "in": "query", "schema": _DAY,
     "description": "Only rounds published on or before this day (YYYY-MM-DD; empty: no limit)."},
]
_PROBLEM = {"description": "An error, as problem details (RFC 9457).",
            "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}
_ERRORS = {"400": _PROBLEM, "401": _PROBLEM, "404": _PROBLEM}
_NULLABLE_INT = {"type": ["integer", "null"]}


def openapi_document(server: str, sections: Mapping[str, Collection[str]]) -> dict[str, Any]:
    """The description, with the API's own address as its server and the library's questionnaires and sections."""
    questionnaires = sorted(sections)
    every_section = sorted({section for ids in sections.values() for section in ids})
    questionnaire = {"name": "questionnaire", "in": "query", "required": True,
                     "schema": {"type": "string", "enum": questionnaires}, "description": "A questionnaire's id."}
    section = {"name": "section", "in": "query", "schema": {"type": "string", "enum": [*every_section, ""]},
               "description": "A section id of the questionnaire; without it (or empty), the overall level."}
    return {
        "openapi": "3.1.0",
        "info": {"title": "Council self-assessment: sector API", "version": "1",
                 "description": "Read-only figures from published self-assessment rounds that councils shared with "
                                "the sector. No figure is given for a group of fewer councils than the threshold, "
                                "and councils that shared anonymously are never named."},
        "servers": [{"url": server}],
        "security": [{"bearer": []}],
        "paths": {
            "/sector/levels": {"get": {
                "summary": "Councils at each level of a questionnaire or section",
                "parameters": [
                    questionnaire,
                    section,
                    {"name": "group_by", "in": "query", "schema": {"type": "string", "enum": ["type", "region", ""]},
                     "description": "Without it (or empty), one group for all councils."},
                    *_FILTERS,
                ],
                "responses": {"200": {"description": "The distribution of levels per group.", "content": {
                    "application/json": {"schema": {"$ref": "#/components/schemas/Levels"}}}}, **_ERRORS},
            }},
            "/sector/targeting": {"get": {
                "summary": "Councils shared by name that most need support in a questionnaire or section",
                "parameters": [
                    questionnaire,
                    section,
                    {"name": "sort", "in": "query", "schema": {
                        "type": "string", "enum": ["level", "change", "shortfall", "overdue", "name"]},
                     "description": "Lowest level, fallen furthest, furthest below target, most overdue actions "
                                    "first, or by name (default: level)."},
                    *_FILTERS,
                ],
                "responses": {"200": {"description": "The councils, most in need first.", "content": {
                    "application/json": {"schema": {"type": "object"}}}}, **_ERRORS},
            }},
            "/sector/published.csv": {"get": {
                "summary": "Every published section and overall level of shared rounds",
                "parameters": [{**questionnaire, "required": False,
                                "schema": {"type": "string", "enum": [*questionnaires, ""]},
                                "description": "Only this questionnaire (empty: every one)."},
                               *_FILTERS],
                "responses": {"200": {
                    "description": "CSV with the columns council_code, council_name, council_type, region, round_id, "
                                   "published_on, questionnaire, version, section, level, label, counted, "
                                   "counted_in_year (new columns are only ever added at the end); section is empty "
                                   "for the overall level, council_code and council_name for councils that shared "
                                   "anonymously. A council that shared anonymously also has council_type and region "
                                   "empty unless at least `threshold` councils (the same threshold as the levels) of "
                                   "its type in its region are named nowhere in this file and it is itself named "
                                   "nowhere (else the round counts as private in the figures); such rows never match "
                                   "a type or region filter, and their round_id is the round's random uid rather "
                                   "than its number. The rows with counted = yes, counted by level, are the levels' "
                                   "figures for the same filters before groups are hidden. Each column: "
                                   + " ".join(f"{column}: {meaning}" for column, meaning in PUBLISHED_MEANINGS.items()),
                    "content": {"text/csv": {"schema": {"type": "string"}}}}, **_ERRORS},
            }},
            "/councils/{code}/profile": {"get": {
                "summary": "A council's agreed levels in its latest published round that the token may read",
                "parameters": [{"name": "code", "in": "path", "required": True, "schema": {"type": "string"}}],
                "responses": {"200": {"description": "The agreed profile.", "content": {
                    "application/json": {"schema": {"$ref": "#/components/schemas/Profile"}}}}, **_ERRORS},
            }},
            "/openapi.json": {"get": {"summary": "This description", "security": [],
                                      "responses": {"200": {"description": "OpenAPI 3.1"}}}},
        },
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer",
                                           "description": "A token from the Tokens page or `assess tokens create`."}},
            "schemas": {
                "Problem": {"type": "object", "required": ["title", "status"], "properties": {
                    "type": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "integer"},
                    "detail": {"type": "string"}}},
                "Levels": {"type": "object", "required": ["questionnaire", "section", "threshold", "groups"],
                           "properties": {
                               "questionnaire": {"type": "string"},
                               "section": {"type": ["string", "null"]},
                               "threshold": {"type": "integer"},
                               "groups": {"type": "array", "items": {
                                   "type": "object",
                                   "required": ["group", "councils", "suppressed", "levels", "median"],
                                   "properties": {
                                       "group": {"type": "string"},
                                       "councils": _NULLABLE_INT,
                                       "suppressed": {"type": "boolean"},
                                       "levels": {"type": "object", "additionalProperties": _NULLABLE_INT,
                                                  "description": "Councils at each level, by the level's label."},
                                       "median": _NULLABLE_INT}}}}},
                "Profile": {"type": "object", "properties": {
                    "council": {"type": "object"}, "round_id": {"type": "integer"}, "title": {"type": "string"},
                    "published_on": {"type": ["string", "null"], "format": "date"},
                    "questionnaires": {"type": "array", "items": {"type": "object"}}}},
            },
        },
    }
