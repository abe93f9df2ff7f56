"""GOV.UK components written out in our templates for speed give the very HTML the GOV.UK Frontend macros give.

The sector pages write out the text input, button and pagination components (sector/_parts.html),
the task list its items (respond/_task_list.html) and the layout the service navigation (base.html),
rather than calling the macros; and the layout calls some macros as template globals
(web/__init__.py: GovukMacro). These tests render both ways with the same
parameters, so an upgrade of govuk-frontend-jinja that changes a component's markup fails here
rather than drifting unnoticed.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask, render_template_string
from markupsafe import Markup

from tests.conftest import Places, signed_in_client

PAGES: dict[str, Any] = {
    "landmarkLabel": "Pages of the list",
    "previous": {"href": "/sector/targeting?page=1"},
    "next": {"href": "/sector/targeting?page=3"},
    "items": [{"number": 1, "href": "/sector/targeting?page=1"},
              {"number": 2, "href": "/sector/targeting?page=2", "current": True},
              {"number": 3, "href": "/sector/targeting?page=3"}],
}


def _normalised(html: str) -> str:
    """The HTML with whitespace between and inside tags made uniform (the macros indent differently)."""
    html = re.sub(r">\s+", ">", re.sub(r"\s+<", "<", re.sub(r"\s+>", ">", html.strip())))
    return re.sub(r"\s+", " ", html)


def _render(app: Flask, source: str, **context: Any) -> str:
    with app.test_request_context("/"):
        return _normalised(render_template_string(source, **context))


@pytest.mark.parametrize("pages", [
    PAGES,
    {**PAGES, "previous": None, "items": [{**item, "current": item["number"] == 1} for item in PAGES["items"]]},
    {**PAGES, "next": None},
], ids=["middle page", "first page", "last page"])
def test_written_out_pagination_is_govuk_pagination(app: Flask, pages: dict[str, Any]) -> None:
    ours = _render(app, '{% from "sector/_parts.html" import pagination %}{{ pagination(pages) }}', pages=pages)
    govuk = _render(app, '{% from "govuk_frontend_jinja/components/pagination/macro.html" import govukPagination %}'
                    "{{ govukPagination(pages) }}", pages={k: v for k, v in pages.items() if v is not None})
    assert 'aria-current="page"' in ours
    assert ours == govuk


@pytest.mark.parametrize("error", [None, "Enter a date like 2026-04-01"], ids=["valid", "with an error"])
def test_written_out_text_input_is_govuk_input(app: Flask, error: str | None) -> None:
    ours = _render(app, '{% from "sector/_parts.html" import input_field %}'
                   '{{ input_field("from", "Published from", "2026-04-01", "For example, 2026-04-01", error, '
                   '"govuk-input--width-10") }}', error=error)
    params = {"id": "from", "name": "from", "label": {"text": "Published from"},
              "hint": {"text": "For example, 2026-04-01"}, "value": "2026-04-01", "classes": "govuk-input--width-10",
              "errorMessage": {"text": error} if error else None}
    govuk = _render(app, '{% from "govuk_frontend_jinja/components/input/macro.html" import govukInput %}'
                    "{{ govukInput(params) }}", params=params)
    assert 'class="govuk-input govuk-input--width-10' in ours
    assert ours == govuk


@pytest.mark.parametrize("classes", ["", "govuk-button--secondary"])
def test_written_out_button_is_govuk_button(app: Flask, classes: str) -> None:
    ours = _render(app, '{% from "sector/_parts.html" import button %}{{ button("Compare", classes) }}',
                   classes=classes)
    govuk = _render(app, '{% from "govuk_frontend_jinja/components/button/macro.html" import govukButton %}'
                    '{{ govukButton({"text": "Compare", "classes": classes}) }}', classes=classes)
    assert ">Compare</button>" in ours
    assert ours == govuk


def test_macros_as_globals_give_what_importing_them_gives(app: Flask) -> None:
    params = {"text": "Back to the overview", "href": "/councils/DEMO"}
    imported = _render(app, '{% from "govuk_frontend_jinja/components/back-link/macro.html" import govukBackLink %}'
                       "{{ govukBackLink(params) }}", params=params)
    assert _render(app, "{{ govukBackLink(params) }}", params=params) == imported
    assert _render(app, "{{ govukBackLink(params) }}", params=params) == imported  # the remembered HTML too


def test_every_block_a_page_fills_is_one_its_layout_has(app: Flask) -> None:
    # Jinja drops a block the parent lacks without a word: a page's script put in a block the layout no longer
    # had never reached the browser.
    environment = app.jinja_env
    names = [name for name in environment.list_templates() if name.endswith(".html")
             and not name.startswith(("govuk_frontend_jinja/", "govuk_frontend_wtf/"))]
    pages = 0
    for name in names:
        template = environment.get_template(name)
        source = environment.loader.get_source(environment, name)[0]  # type: ignore[union-attr]
        parent = re.search(r'{%-?\s*extends\s+"([^"]+)"', source)
        if parent is None:
            continue
        pages += 1
        missing = set(template.blocks) - set(environment.get_template(parent.group(1)).blocks)
        assert not missing, f"{name} fills blocks {sorted(missing)} that {parent.group(1)} does not have"
    assert pages > 30


def test_written_out_task_list_is_govuk_task_list(app: Flask) -> None:
    items = [
        {"title": {"text": "Showing leadership"}, "href": "/section/1",
         "status": {"tag": {"text": "In progress", "classes": "govuk-tag--light-blue"}}},
        {"title": {"text": "Working with partners"}, "href": "/section/2", "status": {"text": "Completed"}},
        {"title": {"text": "Check and submit your answers"},
         "status": {"text": "Cannot start yet", "classes": "govuk-task-list__status--cannot-start-yet"}},
    ]
    ours = _render(app, '{% from "respond/_task_list.html" import task_item %}<ul class="govuk-task-list">'
                   '{{ task_item("q-1", "Showing leadership", "/section/1", '
                   '("In progress", "govuk-tag--light-blue")) }}'
                   '{{ task_item("q-2", "Working with partners", "/section/2", "Completed") }}'
                   '{{ task_item("q-3", "Check and submit your answers", none, "Cannot start yet", '
                   '"govuk-task-list__status--cannot-start-yet") }}</ul>')
    govuk = _render(app, '{% from "govuk_frontend_jinja/components/task-list/macro.html" import govukTaskList %}'
                    '{{ govukTaskList({"idPrefix": "q", "items": items}) }}', items=items)
    assert 'aria-describedby="q-2-status"' in ours
    assert ours == govuk


SERVICE_NAVIGATION = re.compile(r'<section aria-label="Service information".*?</section>', re.S)
SIGN_OUT = re.compile(r'<li class="govuk-service-navigation__item"><form method="post".*?</li>', re.S)


@pytest.mark.parametrize(("persona", "path", "items"), [
    ("anonymous", "/sign-in", []),
    ("respondent", "/account/password", [("/", "Home", False), ("/account/password", "Your account", True)]),
    ("analyst", "/sector/", [("/", "Home", False), ("/sector/", "Sector figures", True),
                             ("/sector/targeting", "Targeting", False), ("/tokens/", "API tokens", False),
                             ("/account/password", "Your account", False)]),
])
def test_written_out_service_navigation_is_govuk_service_navigation(app: Flask, places: Places, persona: str, path: str,
                                                                    items: list[tuple[str, str, bool]]) -> None:
    answer = signed_in_client(app, persona).get(path)
    assert answer.status_code == 200
    page = answer.get_data(as_text=True)
    ours = _normalised(SERVICE_NAVIGATION.search(page).group(0))  # type: ignore[union-attr]
    sign_out = SIGN_OUT.search(ours)
    params = {"serviceName": app.config["SERVICE_NAME"], "serviceUrl": "/", "classes": "app-service-navigation",
              "navigation": [{"href": href, "text": text, "active": active} for href, text, active in items],
              "slots": {"navigationEnd": Markup(sign_out.group(0)) if sign_out else ""}}
    govuk = _render(app, '{% from "govuk_frontend_jinja/components/service-navigation/macro.html" '
                    'import govukServiceNavigation %}{{ govukServiceNavigation(params) }}', params=params)
    assert (sign_out is None) == (persona == "anonymous")
    assert ours == govuk
