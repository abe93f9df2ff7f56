"""Fuzzing: mutated questionnaire files through the loader, and generated form posts to every POST route.

The loader must never raise and must place every problem at FILE:LINE:COL; no post, however odd,
may get a 5xx. The suite runs a bounded number of examples; `make fuzz` runs many more
(ASSESS_FUZZ_EXAMPLES sets how many each test tries).
"""

from __future__ import annotations

import copy
import os
import re
import string
from pathlib import Path
from typing import Any

import yaml
from flask import Flask, url_for
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select
from werkzeug.routing.converters import AnyConverter, BaseConverter, NumberConverter

from assess import db, questionnaire_library
from assess.config import SHIPPED_QUESTIONNAIRES
from assess.library import _load_text, _scorer_names, read_yaml
from assess.models import Assessment, Organisation, SignInThrottle
from tests.conftest import Places, csrf_token, signed_in_client
from tests.test_access import PERSONAS

EXAMPLES = int(os.environ.get("ASSESS_FUZZ_EXAMPLES", "120"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow],
                database=None)

SHIPPED = {path.name: path.read_text() for path in sorted(SHIPPED_QUESTIONNAIRES.glob("*.yaml"))}
#: The shipped files' data, read once: the mutations work on copies.
DATA = {name: read_yaml(text, name)[0] for name, text in SHIPPED.items()}

#: Values of every JSON kind, small and large, well-formed and not.
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.floats(allow_nan=True),
                    st.text(max_size=30), st.sampled_from(["yes", "no", "level", "choice", "", "0", "-1", "1e309"]))
#: Characters YAML gives meaning to, and any other a UTF-8 file can hold (not lone surrogates).
YAML_CHARACTERS = st.sampled_from(":-[]{}&*!|>'\"#%@`,? \t\n\r\x00\ufeff\u2028\x85") | st.characters(
    exclude_categories=["Cs"])
VALUES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=4)
                      | st.dictionaries(st.text(max_size=12), inner, max_size=4), max_leaves=12)


def _paths(data: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path to a value inside the data, the root included."""
    found = [path]
    if isinstance(data, dict):
        for key, value in data.items():
            found.extend(_paths(value, (*path, key)))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            found.extend(_paths(value, (*path, index)))
    return found


def _at(data: Any, path: tuple[Any, ...]) -> Any:
    for step in path:
        data = data[step]
    return data


@st.composite
def mutated_files(draw: st.DrawFn) -> tuple[str, str]:
    """A shipped file with one to three structure-aware mutations, or its text with a few characters changed."""
    name = draw(st.sampled_from(sorted(SHIPPED)))
    if draw(st.integers(0, 4)) == 0:  # text-level: what YAML itself makes of a slip of the keyboard
        text = SHIPPED[name]
        for _ in range(draw(st.integers(1, 3))):
            at = draw(st.integers(0, len(text)))
            text = text[:at] + draw(st.text(YAML_CHARACTERS, max_size=3)) + text[at + draw(st.integers(0, 5)):]
        return name, text
    data = copy.deepcopy(DATA[name])
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(_paths(data)))
        if not path:
            data = draw(VALUES)
            continue
        parent, step = _at(data, path[:-1]), path[-1]
        mutation = draw(st.sampled_from(["replace", "delete", "rename", "duplicate", "copy-elsewhere"]))
        if mutation == "replace":
            parent[step] = draw(VALUES)
        elif mutation == "delete":
            del parent[step]
        elif mutation == "rename" and isinstance(parent, dict):
            parent[draw(st.text(max_size=12))] = parent.pop(step)
        elif mutation == "duplicate" and isinstance(parent, list):
            parent.insert(step, copy.deepcopy(parent[step]))
        else:  # a value from another place in the file: an id, a level or a whole question where it does not fit
            parent[step] = copy.deepcopy(_at(DATA[name], draw(st.sampled_from(_paths(DATA[name])))))
    return name, yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


@FUZZ
@given(mutated_files())
def test_mutated_questionnaires_never_crash_the_loader_and_every_problem_has_a_place(file: tuple[str, str]) -> None:
    name, text = file
    loaded, problems = _load_text(Path(name), name, text, _scorer_names())
    assert (loaded is None) == bool(problems)
    lines = text.count("\n") + 1
    for problem in problems:
        assert re.fullmatch(rf"{re.escape(name)}:\d+:\d+: .+", str(problem), re.S), problem
        assert 1 <= problem.line <= lines and problem.column >= 1, problem


def _post_routes(app: Flask) -> list[str]:
    return sorted(rule.endpoint for rule in app.url_map.iter_rules() if "POST" in (rule.methods or ()))


def _argument(name: str, converter: BaseConverter, known: dict[str, list[Any]]) -> st.SearchStrategy[Any]:
    """Values for one argument of a route: real ones where the test knows them, else what its converter takes."""
    if name in known:
        return st.sampled_from(known[name])
    if isinstance(converter, AnyConverter):
        return st.sampled_from(sorted(converter.items))
    if isinstance(converter, NumberConverter):
        return st.integers(1, 40) | st.just(2**31 - 1)
    return st.text(string.ascii_lowercase + string.digits + "-", min_size=1, max_size=40)


def test_generated_form_posts_to_every_post_route_never_get_a_5xx(fixture_app: Flask, places: Places) -> None:
    library = questionnaire_library(fixture_app)
    questionnaires = [file.questionnaire for file in library]
    questions = sorted({question.id for q in questionnaires for s in q.sections for question in s.questions})
    fields = [*questions, *(f"{q}--comment" for q in questions), *(f"{q}--na" for q in questions), "lock_version",
              "action", "email", "password", "name", "title", "questionnaires", "reason", "group", "csrf_token",
              "next", "council", "role", "roles", "upload", "text", "file"]
    with fixture_app.app_context():
        session = db.session()
        known: dict[str, list[Any]] = {
            "code": [*session.scalars(select(Organisation.code)), "NOPE"],
            "round_id": [*session.scalars(select(Assessment.id)), 2**31 - 1],
            "questionnaire_id": [q.id for q in questionnaires] + ["nope"],
            "section_id": sorted({s.id for q in questionnaires for s in q.sections}) + ["check", "nope"],
        }
    clients = {persona: signed_in_client(fixture_app, persona) for persona in PERSONAS}
    tokens = {persona: csrf_token(client.get("/sign-in").get_data(as_text=True)) for persona, client in clients.items()}
    awkward = st.one_of(st.text(max_size=40), st.sampled_from(["", "0", "-1", "2147483648", "99999999999999999999",
                                                               "yes", "no", "later", "continue", "1", "5", "\x00",
                                                               "nobody@example.org", "in-review"]))
    rules = {endpoint: next(fixture_app.url_map.iter_rules(endpoint)) for endpoint in _post_routes(fixture_app)}
    seen: set[str] = set()

    @st.composite
    def addresses(draw: st.DrawFn) -> tuple[str, str]:
        endpoint = draw(st.sampled_from(sorted(rules)))
        rule = rules[endpoint]
        values = {name: draw(_argument(name, rule._converters[name], known)) for name in sorted(rule.arguments)}
        with fixture_app.test_request_context():
            url = url_for(endpoint, **values)
        return endpoint, url + draw(st.sampled_from(["", "?change=1", "?next=//evil.example"]))

    @FUZZ
    @given(address=addresses(), persona=st.sampled_from(PERSONAS), real_token=st.booleans(),
           form=st.dictionaries(st.sampled_from(fields) | st.text(max_size=10), awkward | st.lists(awkward, max_size=3),
                                max_size=8))
    def post(address: tuple[str, str], persona: str, real_token: bool, form: dict[str, Any]) -> None:
        endpoint, url = address
        if real_token:
            form = {**form, "csrf_token": tokens[persona]}
        response = clients[persona].post(url, data=form)
        response.close()
        assert response.status_code < 500, f"{persona} POST {url} {form!r}: {response.status_code}"
        seen.add(endpoint)
        if endpoint == "auth.sign_out":  # sign back in, so that the persona keeps being who it is
            with fixture_app.app_context():  # past the pause the fuzzed wrong passwords from this address earned
                db.session().execute(delete(SignInThrottle))
                db.session().commit()
            clients[persona] = signed_in_client(fixture_app, persona)
            tokens[persona] = csrf_token(clients[persona].get("/sign-in").get_data(as_text=True))

    for endpoint, rule in rules.items():  # each route once for certain, whatever the random draws reach
        values = {name: known[name][0] if name in known else sorted(converter.items)[0]
                  if isinstance(converter, AnyConverter) else 1 if isinstance(converter, NumberConverter) else "x"
                  for name, converter in rule._converters.items()}
        with fixture_app.test_request_context():
            first = url_for(endpoint, **values)
        post = example(address=(endpoint, first), persona="anonymous", real_token=False, form={})(post)
    post()
    assert seen == set(rules)
