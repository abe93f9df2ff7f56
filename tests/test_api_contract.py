"""The API against its own OpenAPI description: requests generated from the document by Schemathesis.

Every generated request (valid ones, and ones the document says are invalid) must get no 5xx, a
status, content type and body the document describes, a refusal whenever the document says the
request is invalid, and 405 with `Allow` for a method the API does not offer. ASSESS_FUZZ_EXAMPLES
raises the number of examples per operation (a few in the suite; thousands for a real search).
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, Phase, given, settings
from jsonschema import Draft202012Validator
from schemathesis import Case, GenerationMode, Response
from schemathesis.specs.openapi.checks import positive_data_acceptance

from assess import db
from assess.services.tokens import create_token
from assess.services.users import user_by_email
from assess.web.openapi import openapi_document
from tests.conftest import Places

EXAMPLES = int(os.environ.get("ASSESS_FUZZ_EXAMPLES", "25"))


@pytest.fixture
def analyst_token(fixture_app: Flask, places: Places) -> dict[str, str]:
    """A bearer token of an analyst, who may read every call."""
    with fixture_app.app_context():
        analyst = user_by_email(db.session(), "analyst@example.org")
        assert analyst is not None
        _record, secret = create_token(db.session(), analyst, "contract test")
        db.session().commit()
    return {"Authorization": f"Bearer {secret}"}


#: The operations the description lists (each test loads the description its own app serves).
DOCUMENT = openapi_document("http://localhost/api/v1", {})
OPERATIONS = [f"{method.upper()} {path}" for path, methods in DOCUMENT["paths"].items() for method in methods]
#: Each operation with the kinds of request to generate: invalid ones only where it has a query to make invalid.
GENERATED = [pytest.param(f"{method.upper()} {path}", mode, id=f"{method.upper()} {path}-{mode.value}")
             for path, methods in DOCUMENT["paths"].items() for method, operation in methods.items()
             for mode in GenerationMode
             if mode is GenerationMode.POSITIVE or any(p["in"] == "query" for p in operation.get("parameters", []))]


def assert_refused_if_invalid(case: Case, response: Response) -> None:
    """A request whose listed parameters the description says are invalid (formats asserted too) is not answered 2xx."""
    declared = {p.name: p.definition.get("schema", {}) for p in case.operation.query}
    # As sent: a list is the parameter repeated, once or not at all.
    query = {name: value[0] if isinstance(value, list) and len(value) == 1 else value
             for name, value in (case.query or {}).items() if value != []}
    # A parameter the description does not list is not invalid (OpenAPI leaves a query open): the API ignores it.
    invalid = [
        name for name, value in query.items() if name in declared and (
            not isinstance(value, str)
            or next(Draft202012Validator(declared[name], format_checker=FORMAT_CHECKER).iter_errors(value), None))]
    missing = [p.name for p in case.operation.query if p.is_required and p.name not in query]
    if invalid or missing:
        assert response.status_code >= 400, f"{case.method} {case.formatted_path} {query} was accepted"


FORMAT_CHECKER = Draft202012Validator.FORMAT_CHECKER
# Every Schemathesis check runs but "a request the description allows is accepted": whether a council
# type or region is in the register, a section in its questionnaire, `from` before `to`, is the data's to say.


@pytest.mark.parametrize(("label", "mode"), GENERATED)
def test_the_api_keeps_to_its_description(fixture_app: Flask, analyst_token: dict[str, str], label: str,
                                          mode: GenerationMode) -> None:
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", fixture_app)
    schema.config.update(headers=analyst_token)  # so the generator knows the token is sent, and never "drops" it
    operation = schema.find_operation_by_label(label)
    assert operation is not None

    # No shrinking: a failure is reported as it was found, so the suite never spends minutes on one.
    @settings(max_examples=EXAMPLES, deadline=None, database=None, phases=[Phase.explicit, Phase.generate],
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
    @given(case=operation.as_strategy(generation_mode=mode))
    def generated(case: Case) -> None:
        response = case.call_and_validate(excluded_checks=[positive_data_acceptance])
        assert_refused_if_invalid(case, response)
        statuses.add(response.status_code)

    statuses: set[int] = set()
    generated()
    if mode is GenerationMode.POSITIVE and not label.startswith("GET /councils"):  # (no council is published here)
        assert 200 in statuses, f"no generated request got an answer to check, only {sorted(statuses)}"


def test_a_method_the_api_does_not_offer_is_405_with_allow(fixture_app: Flask, analyst_token: dict[str, str]) -> None:
    for path in ("/api/v1/sector/levels", "/api/v1/openapi.json"):
        refused = fixture_app.test_client().post(path, headers=analyst_token)
        assert refused.status_code == 405 and refused.mimetype == "application/problem+json"
        assert set(refused.headers["Allow"].split(", ")) == {"GET", "HEAD", "OPTIONS"}


def test_a_page_refusing_a_method_says_which_it_allows(fixture_app: Flask) -> None:
    refused = fixture_app.test_client().delete("/sign-in")
    assert refused.status_code == 405 and refused.mimetype == "text/html"
    assert set(refused.headers["Allow"].split(", ")) == {"GET", "HEAD", "OPTIONS", "POST"}


def test_a_repeated_parameter_is_refused_and_one_the_call_does_not_take_ignored_as_before(
        fixture_app: Flask, analyst_token: dict[str, str]) -> None:
    client = fixture_app.test_client()
    # Clients written against v1 may send parameters a call does not take (a cache buster, a format): they keep
    # getting the answer they always got.
    plain = client.get("/api/v1/sector/published.csv", headers=analyst_token)
    extra = client.get("/api/v1/sector/published.csv?_=1734000000&format=csv", headers=analyst_token)
    assert plain.status_code == extra.status_code == 200 and extra.data == plain.data
    twice = client.get("/api/v1/sector/published.csv?to=2026-01-01&to=2020-01-01", headers=analyst_token)
    assert twice.status_code == 400 and "give each parameter once: to" in twice.json["detail"]  # type: ignore[index]
    assert client.get("/api/v1/sector/published.csv?to=&from=", headers=analyst_token).status_code == 200


@pytest.mark.parametrize("label", OPERATIONS)
def test_the_apis_boundary_cases_keep_to_its_description(fixture_app: Flask, analyst_token: dict[str, str],
                                                         label: str) -> None:
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", fixture_app)
    schema.config.update(headers=analyst_token)
    operation = schema.find_operation_by_label(label)
    assert operation is not None
    cases = list(schema.iter_coverage_cases(operation, generation_modes=list(GenerationMode),
                                            generation_config=schema.config.generation_for(operation=operation)))
    for case in cases:
        assert_refused_if_invalid(case, case.call_and_validate(excluded_checks=[positive_data_acceptance]))
    print(f"{label}: {len(cases)} boundary cases")
