"""Long lists a page at a time: which page was asked for, and GOV.UK pagination links to the others."""

from __future__ import annotations

from typing import Any

from flask import abort, request, url_for


def page_number(pages: int) -> int:
    """The page asked for (``page`` in the address, 1 if none); 404 for one that does not exist."""
    asked = request.args.get("page", "1")
    if not asked.isdigit() or not 1 <= int(asked) <= pages:
        abort(404)
    return int(asked)


def pages_of(count: int, per_page: int) -> int:
    """How many pages ``count`` items fill (at least one, which may be empty)."""
    return max(1, -(-count // per_page))


def pagination(endpoint: str, number: int, pages: int, label: str) -> dict[str, Any] | None:
    """GOV.UK pagination for page ``number`` of ``pages`` of the current address (None for a single page).

    The first and last pages and those either side of the current one are linked, with ellipses between, as the
    GOV.UK pattern has it for long lists.
    """
    if pages <= 1:
        return None
    # The address is built once and each page's number added to it: a url_for a page cost more than the list.
    others: dict[str, Any] = {key: value for key, value in request.args.items() if key != "page"}
    start = url_for(endpoint, **(request.view_args or {}), **others) + ("&" if others else "?") + "page="
    items: list[dict[str, Any]] = []
    last = 0
    for shown in sorted({1, number - 1, number, number + 1, pages} & set(range(1, pages + 1))):
        if shown > last + 1:
            items.append({"ellipsis": True})
        items.append({"number": shown, "href": f"{start}{shown}", "current": shown == number})
        last = shown
    return {"items": items,
            "previous": {"href": f"{start}{number - 1}"} if number > 1 else None,
            "next": {"href": f"{start}{number + 1}"} if number < pages else None,
            "landmarkLabel": label}
