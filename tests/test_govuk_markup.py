"""GOV.UK components written out in our templates for speed give the very HTML the GOV.UK Frontend macros give.

The sector pages write out the text input, button and pagination components (sector/_parts.html)
rather than calling govukInput, govukButton and govukPagination, and the layout calls some macros
as template globals (web/__init__.py: GovukMacro). These tests render both ways with the same
parameters, so an upgrade of govuk-frontend-jinja that changes a component's markup fails here
rather than drifting unnoticed.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask, render_template_string

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
    html = re.sub(r">\s+", ">", re.sub(r"\s+<", "<", html.strip()))
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
