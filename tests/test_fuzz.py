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
from collections.abc import Callable
from io import BytesIO
from pathlib import Path
from typing import Any

import yaml
from flask import Flask, url_for
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select
from werkzeug.routing.converters import AnyConverter, BaseConverter, NumberConverter
from werkzeug.test import TestResponse

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


class Posts:
    """Every POST route, addresses for it, and a client signed in as each persona with its CSRF token (signed in
    again after a post signs it out)."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        questionnaires = [file.questionnaire for file in questionnaire_library(app)]
        self.questions = sorted({question.id for q in questionnaires for s in q.sections for question in s.questions})
        with app.app_context():
            session = db.session()
            self.known: dict[str, list[Any]] = {
                "code": [*session.scalars(select(Organisation.code)), "NOPE"],
                "round_id": [*session.scalars(select(Assessment.id)), 2**31 - 1],
                "questionnaire_id": [q.id for q in questionnaires] + ["nope"],
                "section_id": sorted({s.id for q in questionnaires for s in q.sections}) + ["check", "nope"],
            }
        self.clients = {persona: signed_in_client(app, persona) for persona in PERSONAS}
        self.tokens = {persona: csrf_token(client.get("/sign-in").get_data(as_text=True))
                       for persona, client in self.clients.items()}
        self.rules = {endpoint: next(app.url_map.iter_rules(endpoint)) for endpoint in _post_routes(app)}
        self.seen: set[str] = set()

    def _url(self, endpoint: str, values: dict[str, Any]) -> str:
        with self.app.test_request_context():
            return url_for(endpoint, **values)

    def addresses(self) -> st.SearchStrategy[tuple[str, str]]:
        """An endpoint and an address of it (with real ids where the test knows them, and awkward queries)."""

        @st.composite
        def address(draw: st.DrawFn) -> tuple[str, str]:
            endpoint = draw(st.sampled_from(sorted(self.rules)))
            rule = self.rules[endpoint]
            values = {name: draw(_argument(name, rule._converters[name], self.known))
                      for name in sorted(rule.arguments)}
            query = draw(st.sampled_from(["", "?change=1", "?next=//evil.example"]))
            return endpoint, self._url(endpoint, values) + query

        return address()

    def first_addresses(self) -> list[tuple[str, str]]:
        """Each route once, with the first value of each argument: each is tried for certain, whatever the draws."""
        return [(endpoint, self._url(endpoint, {
            name: self.known[name][0] if name in self.known else sorted(converter.items)[0]
            if isinstance(converter, AnyConverter) else 1 if isinstance(converter, NumberConverter) else "x"
            for name, converter in rule._converters.items()})) for endpoint, rule in self.rules.items()]

    def post(self, persona: str, address: tuple[str, str], **request: Any) -> TestResponse:
        """Post as the persona, asserting no 5xx; a persona a post signed out is signed in again."""
        endpoint, url = address
        response = self.clients[persona].post(url, **request)
        response.close()
        assert response.status_code < 500, f"{persona} POST {url} {request!r:.300}: {response.status_code}"
        self.seen.add(endpoint)
        if endpoint == "auth.sign_out":  # sign back in, so that the persona keeps being who it is
            with self.app.app_context():  # past the pause the fuzzed wrong passwords from this address earned
                db.session().execute(delete(SignInThrottle))
                db.session().commit()
            self.clients[persona] = signed_in_client(self.app, persona)
            self.tokens[persona] = csrf_token(self.clients[persona].get("/sign-in").get_data(as_text=True))
        return response


def test_generated_form_posts_to_every_post_route_never_get_a_5xx(fixture_app: Flask, places: Places) -> None:
    posts = Posts(fixture_app)
    fields = [*posts.questions, *(f"{q}--comment" for q in posts.questions), *(f"{q}--na" for q in posts.questions),
              "lock_version", "action", "email", "password", "name", "title", "questionnaires", "reason", "group",
              "csrf_token", "next", "council", "role", "roles", "upload", "text", "file"]
    awkward = st.one_of(st.text(max_size=40), st.sampled_from(["", "0", "-1", "2147483648", "99999999999999999999",
                                                               "yes", "no", "later", "continue", "1", "5", "\x00",
                                                               "nobody@example.org", "in-review"]))

    @FUZZ
    @given(address=posts.addresses(), persona=st.sampled_from(PERSONAS), real_token=st.booleans(),
           form=st.dictionaries(st.sampled_from(fields) | st.text(max_size=10), awkward | st.lists(awkward, max_size=3),
                                max_size=8))
    def post(address: tuple[str, str], persona: str, real_token: bool, form: dict[str, Any]) -> None:
        posts.post(persona, address, data={**form, "csrf_token": posts.tokens[persona]} if real_token else form)

    for first in posts.first_addresses():
        post = example(address=first, persona="anonymous", real_token=False, form={})(post)
    post()
    assert posts.seen == set(posts.rules)


#: Bodies of a form post, as (content type, body) made from the CSRF token to put in it (or None), the largest body
#: accepted and the largest text field of a multipart body: sizes at and past the limits, and malformed encodings.
BODIES: dict[str, Callable[[str | None, int, int], tuple[str | None, bytes]]] = {
    "just within the limit": lambda token, most, _: (URLENCODED, _padded(_urlencoded(token), most)),
    "one byte too large": lambda token, most, _: (URLENCODED, _padded(_urlencoded(token), most + 1)),
    "twelve times the limit": lambda token, most, _: (URLENCODED, _padded(_urlencoded(token), most * 12)),
    "a thousand fields": lambda token, _, __: (URLENCODED, _urlencoded(token) + b"&a=" * 1000),
    "a million empty fields": lambda token, _, __: (URLENCODED, _urlencoded(token) + b"&" * 1_000_000),
    "250,000 characters": lambda token, _, __: (URLENCODED, _urlencoded(token) + b"&has-policy=" + b"y" * 250_000),
    "broken escapes and bytes": lambda token, _, __: (URLENCODED, _urlencoded(token) + b"&%zz=%&%%=\xff\xfe&=&&a"),
    "a multipart text field too large": lambda token, _, longest: multipart_body(token, b"t" * (longest + 1)),
    "a multipart file": lambda token, _, __: multipart_body(token, b"name,code\n" * 1000, filename="register.csv"),
    "truncated multipart": lambda token, _, __: (multipart_body(token, b"x")[0], multipart_body(token, b"x")[1][:-30]),
    "multipart without a boundary": lambda token, _, __: ("multipart/form-data", _urlencoded(token)),
    "JSON": lambda token, _, __: ("application/json", b'{"csrf_token": "%s"' % (token or "").encode()),
    "no content type": lambda token, _, __: (None, _urlencoded(token)),
}
URLENCODED = "application/x-www-form-urlencoded"
BOUNDARY = "fuzz-boundary"


def _urlencoded(token: str | None) -> bytes:
    return f"csrf_token={token}".encode() if token else b"action=continue"


def _padded(body: bytes, size: int) -> bytes:
    """The body with a comment field long enough to make it ``size`` bytes."""
    return body + b"&notes=" + b"n" * (size - len(body) - len(b"&notes="))


def multipart_body(token: str | None, content: bytes, filename: str | None = None) -> tuple[str, bytes]:
    """A multipart form of the CSRF token and a text field (or a file) of ``content``: its content type and body."""
    disposition = f'name="file"; filename="{filename}"' if filename else 'name="text"'
    parts = [('name="csrf_token"', (token or "").encode()), (disposition, content)]
    body = b"".join(f"--{BOUNDARY}\r\nContent-Disposition: form-data; {name}\r\n\r\n".encode() + value + b"\r\n"
                    for name, value in parts) + f"--{BOUNDARY}--\r\n".encode()
    return f"multipart/form-data; boundary={BOUNDARY}", body


def test_large_and_malformed_bodies_to_every_post_route_never_get_a_5xx(fixture_app: Flask, places: Places) -> None:
    """Signed in and not, with the session's token and without: a body past MAX_CONTENT_LENGTH (sent with its length,
    or streamed without one) is refused with 413 and the person is still signed in; nothing gets a 5xx."""
    posts = Posts(fixture_app)
    most, longest = fixture_app.config["MAX_CONTENT_LENGTH"], fixture_app.config["MAX_FORM_MEMORY_SIZE"]

    @settings(FUZZ, max_examples=min(EXAMPLES, 60))
    @given(address=posts.addresses(), persona=st.sampled_from(PERSONAS), real_token=st.booleans(),
           body=st.sampled_from(sorted(BODIES)), streamed=st.booleans())
    def post(address: tuple[str, str], persona: str, real_token: bool, body: str, streamed: bool) -> None:
        content_type, data = BODIES[body](posts.tokens[persona] if real_token else None, most, longest)
        headers = {"Content-Type": content_type} if content_type else {}
        if streamed:  # chunked, as a proxy may pass it on: no Content-Length, so the limit applies while reading
            sent = posts.post(persona, address, input_stream=BytesIO(data), headers=headers,
                              environ_overrides={"wsgi.input_terminated": True})
        else:
            sent = posts.post(persona, address, data=data, headers=headers)
        if len(data) > most:
            assert sent.status_code == 413, f"{persona} {body} {address}: {sent.status_code}"
            assert "What you sent is too large" in sent.get_data(as_text=True)
            if persona != "anonymous":
                assert posts.clients[persona].get("/session/keep-alive").status_code == 204, "signed out by a 413"

    for first in posts.first_addresses():
        post = example(address=first, persona="respondent", real_token=False, body="250,000 characters",
                       streamed=False)(post)
        post = example(address=first, persona="respondent", real_token=True, body="one byte too large",
                       streamed=False)(post)
    post()
    assert posts.seen == set(posts.rules)
