"""Files people open in a spreadsheet: CSV text whose cells never run as formulas (OWASP "CSV injection")."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence

#: A cell starting with one of these runs as a formula (or starts one) in Excel, LibreOffice or Google Sheets.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
#: Where a cell of written CSV text (after a line break put in front of it) could start with one: after a line
#: break or a comma, quoted or not. It can also match inside a quoted cell (a comma or a line break followed by one),
#: which only costs time. A character class rather than ^ in MULTILINE mode: the search is a few times faster.
_FORMULA_CELL = re.compile(r'[\n,]"?[=+\-@\t\r]')


def formula_safe(value: object) -> object:
    """Text that a spreadsheet would run as a formula, with a leading apostrophe so it stays text; else unchanged."""
    return f"'{value}" if isinstance(value, str) and value.startswith(FORMULA_STARTS) else value


def _written(rows: Iterable[Iterable[object]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue()


def csv_text(rows: Iterable[Sequence[object]]) -> str:
    """Rows (the header first) as CSV text with every cell formula-safe; None is an empty cell.

    Each row is a sequence, not an iterator: the text may be written twice.
    """
    rows = rows if isinstance(rows, list) else list(rows)
    # Written as they are first (the csv module's C loop), and cell by cell only when some cell of the text could
    # start a formula: tens of thousands of rows of levels have none, and checking each cell in Python cost more
    # than the query that found them.
    text = _written(rows)
    if _FORMULA_CELL.search("\n" + text) is None:
        return text
    return _written([formula_safe(value) for value in row] for row in rows)
