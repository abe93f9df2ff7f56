"""Organisations (councils): importing a register and looking them up."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from assess.models import AuditEvent, Organisation, User
from assess.policy import Action, require

REQUIRED_COLUMNS = ("code", "name", "type", "region")
#: The longest value each text column can hold (PostgreSQL refuses longer ones).
MAXIMUM_LENGTHS = {"code": 20, "name": 200, "official_name": 300, "type": 60, "region": 60}
GSS_CODE = re.compile(r"[EWSN][0-9]{8}")
# PostgreSQL refuses NUL in text; the other control characters are as surely a damaged file.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


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
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise RegisterError(f"{path}: cannot read the file as UTF-8 text ({error}); save it as UTF-8 CSV") from None
    return read_register_text(text, str(path))


def read_register_text(text: str, name: str) -> tuple[list[dict[str, str]], int]:
    """Read a register CSV's text (named `name` in messages): its rows (line numbers under '_line') and the count."""
    try:
        reader = csv.DictReader(io.StringIO(text.removeprefix("\ufeff"), newline=""))
        missing = [c for c in REQUIRED_COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise RegisterError(f"{name}: missing column(s) {', '.join(missing)}; the header needs "
                                f"{', '.join(REQUIRED_COLUMNS)} (and optionally official_name, gss_code, "
                                "population_2020)")
        rows = [{**row, "_line": str(reader.line_num)} for row in reader]
    except csv.Error as error:
        raise RegisterError(f"{name}: not a readable CSV file: {error}") from None
    return rows, len(rows)


def _row_problem(row: Mapping[str, str | None]) -> str | None:
    if None in row:
        # Checked first: a stray comma shifts every later field, so other complaints would mislead.
        return "the row has more fields than the header"
    for column in REQUIRED_COLUMNS:
        if not (row.get(column) or "").strip():
            return f"'{column}' is empty"
    for column, value in row.items():
        if isinstance(value, str) and CONTROL_CHARACTERS.search(value):
            return f"'{column}' holds a control character (such as NUL), which no council's details need"
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


@dataclass(frozen=True)
class PlannedRow:
    """One good row of a register: the council it adds or changes, and each field that changes (before, after)."""

    line: str
    code: str
    values: dict[str, object]
    changes: dict[str, tuple[object, object]]


@dataclass
class RegisterPlan:
    """What importing a register would do: councils added, changed and unchanged, and each bad row's problem."""

    added: list[PlannedRow] = field(default_factory=list)
    changed: list[PlannedRow] = field(default_factory=list)
    unchanged: list[PlannedRow] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def plan_register(
    session: Session, rows: Iterable[dict[str, str]], progress: Callable[[], None] = lambda: None,
) -> RegisterPlan:
    """Compare register rows with the councils recorded, keyed by code, without changing anything."""
    plan = RegisterPlan()
    existing = {o.code: o for o in session.scalars(select(Organisation))}
    lines_by_code: dict[str, str] = {}
    for row in rows:
        progress()
        problem = _row_problem(row)
        code = (row.get("code") or "").strip()
        if problem is None and code in lines_by_code:
            problem = f"code '{code}' is already on line {lines_by_code[code]}"
        if problem:
            plan.problems.append(f"line {row['_line']}: {problem}")
            continue
        lines_by_code[code] = row["_line"]
        population = (row.get("population_2020") or row.get("population") or "").strip()
        values: dict[str, object] = {
            "name": row["name"].strip(),
            "official_name": (row.get("official_name") or "").strip() or None,
            "gss_code": (row.get("gss_code") or "").strip() or None,
            "type": row["type"].strip(),
            "region": row["region"].strip(),
            "population": int(population) if population else None,
        }
        organisation = existing.get(code)
        changes = {key: (getattr(organisation, key), value) for key, value in values.items()
                   if organisation is not None and getattr(organisation, key) != value}
        planned = PlannedRow(row["_line"], code, values, changes)
        (plan.added if organisation is None else plan.changed if changes else plan.unchanged).append(planned)
    return plan


def apply_plan(session: Session, plan: RegisterPlan) -> None:
    """Add and change the councils a plan says (its bad rows are left out)."""
    existing = {o.code: o for o in session.scalars(select(Organisation).where(
        Organisation.code.in_([row.code for row in plan.changed])))}
    for row in plan.added:
        session.add(Organisation(code=row.code, **row.values))
    for row in plan.changed:
        for key, value in row.values.items():
            setattr(existing[row.code], key, value)
    session.flush()


def import_register(
    session: Session, rows: Iterable[dict[str, str]], progress: Callable[[], None] = lambda: None,
) -> ImportSummary:
    """Create or update organisations from register rows, keyed by code; bad rows are skipped whole.

    Running it again with the same file changes nothing.
    """
    plan = plan_register(session, rows, progress)
    apply_plan(session, plan)
    return ImportSummary(created=len(plan.added), updated=len(plan.changed), unchanged=len(plan.unchanged),
                         skipped=[f"{problem}; row skipped" for problem in plan.problems])


def import_checked(session: Session, text: str, name: str, by: User) -> RegisterPlan:
    """Import an uploaded register only if every row is good (RegisterError listing the bad rows if not); audited."""
    require(session, by, Action.ADMINISTER)
    rows, _count = read_register_text(text, name)
    plan = plan_register(session, rows)
    if plan.problems:
        raise RegisterError("\n".join(plan.problems))
    apply_plan(session, plan)
    session.add(AuditEvent(action="councils-imported", user_id=by.id, subject=f"register:{name[:300]}",
                           detail={"added": [row.code for row in plan.added],
                                   "changed": {row.code: {key: [str(before), str(after)]
                                                          for key, (before, after) in row.changes.items()}
                                               for row in plan.changed},
                                   "unchanged": len(plan.unchanged)}))
    session.flush()
    return plan


def organisation_by_code(session: Session, code: str) -> Organisation | None:
    """The organisation with this code, if any."""
    return session.scalar(select(Organisation).filter_by(code=code))
