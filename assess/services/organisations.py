"""Organisations (councils): importing a register and looking them up."""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from assess.models import Organisation

REQUIRED_COLUMNS = ("code", "name", "type", "region")
#: The longest value each text column can hold (PostgreSQL refuses longer ones).
MAXIMUM_LENGTHS = {"code": 20, "name": 200, "official_name": 300, "type": 60, "region": 60}
GSS_CODE = re.compile(r"[EWSN][0-9]{8}")


@dataclass
class ImportSummary:
    """What importing a register did, with every row it refused and why."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: list[str] = field(default_factory=list)


class RegisterError(Exception):
    """A register file that cannot be imported at all (for example, a missing column)."""


def read_register(path: Path) -> tuple[list[dict[str, str]], int]:
    """Read a register CSV: its rows (with line numbers under '_line') and the count."""
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            missing = [c for c in REQUIRED_COLUMNS if c not in (reader.fieldnames or [])]
            if missing:
                raise RegisterError(f"{path}: missing column(s) {', '.join(missing)}; the header needs "
                                    f"{', '.join(REQUIRED_COLUMNS)} (and optionally official_name, gss_code, "
                                    "population_2020)")
            rows = [{**row, "_line": str(reader.line_num)} for row in reader]
    except UnicodeDecodeError as error:
        raise RegisterError(f"{path}: cannot read the file as UTF-8 text ({error}); save it as UTF-8 CSV") from None
    except csv.Error as error:
        raise RegisterError(f"{path}: not a readable CSV file: {error}") from None
    return rows, len(rows)


def _row_problem(row: Mapping[str, str | None]) -> str | None:
    if None in row:
        # Checked first: a stray comma shifts every later field, so other complaints would mislead.
        return "the row has more fields than the header"
    for column in REQUIRED_COLUMNS:
        if not (row.get(column) or "").strip():
            return f"'{column}' is empty"
    for column, longest in MAXIMUM_LENGTHS.items():
        if len((row.get(column) or "").strip()) > longest:
            return f"'{column}' is longer than {longest} characters"
    gss = (row.get("gss_code") or "").strip()
    if gss and not GSS_CODE.fullmatch(gss):
        return f"gss_code '{gss}' is not an ONS code like E07000223"
    population = (row.get("population_2020") or row.get("population") or "").strip()
    if population and not re.fullmatch(r"[0-9]+", population):
        return f"population '{population}' is not a whole number"
    if population and int(population) > 2**31 - 1:
        return f"population '{population}' is too large"
    return None


def import_register(
    session: Session, rows: Iterable[dict[str, str]], progress: Callable[[], None] = lambda: None,
) -> ImportSummary:
    """Create or update organisations from register rows, keyed by code; bad rows are skipped whole.

    Running it again with the same file changes nothing.
    """
    summary = ImportSummary()
    existing = {o.code: o for o in session.scalars(select(Organisation))}
    lines_by_code: dict[str, str] = {}
    for row in rows:
        progress()
        problem = _row_problem(row)
        code = (row.get("code") or "").strip()
        if problem is None and code in lines_by_code:
            problem = f"code '{code}' is already on line {lines_by_code[code]}"
        if problem:
            summary.skipped.append(f"line {row['_line']}: {problem}; row skipped")
            continue
        lines_by_code[code] = row["_line"]
        population = (row.get("population_2020") or row.get("population") or "").strip()
        values = {
            "name": row["name"].strip(),
            "official_name": (row.get("official_name") or "").strip() or None,
            "gss_code": (row.get("gss_code") or "").strip() or None,
            "type": row["type"].strip(),
            "region": row["region"].strip(),
            "population": int(population) if population else None,
        }
        organisation = existing.get(code)
        if organisation is None:
            organisation = existing[code] = Organisation(code=code, **values)
            session.add(organisation)
            summary.created += 1
        elif any(getattr(organisation, k) != v for k, v in values.items()):
            for key, value in values.items():
                setattr(organisation, key, value)
            summary.updated += 1
        else:
            summary.unchanged += 1
    session.flush()
    return summary


def organisation_by_code(session: Session, code: str) -> Organisation | None:
    """The organisation with this code, if any."""
    return session.scalar(select(Organisation).filter_by(code=code))
