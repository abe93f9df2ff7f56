"""Files people open in a spreadsheet: CSV text whose cells never run as formulas (OWASP "CSV injection")."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

#: A cell starting with one of these runs as a formula (or starts one) in Excel, LibreOffice or Google Sheets.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def formula_safe(value: object) -> object:
    """Text that a spreadsheet would run as a formula, with a leading apostrophe so it stays text; else unchanged."""
    return f"'{value}" if isinstance(value, str) and value.startswith(FORMULA_STARTS) else value


def csv_text(rows: Iterable[Iterable[object]]) -> str:
    """Rows (the header first) as CSV text with every cell formula-safe; None is an empty cell."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerows([formula_safe(value) for value in row] for row in rows)
    return buffer.getvalue()
