"""Sector figures as tables: what the dashboard shows beside its charts, and what every export writes.

The tables are built once from the sector service's queries; the pages, the CSV, XLSX and JSON
exports, and `assess sector export` all write these same tables, with the disclosure rule.
"""

from __future__ import annotations

import io
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font
from sqlalchemy.orm import Session

from assess.reports.charts import gap_svg, shares_svg
from assess.services import sector
from assess.services.sector import Distribution, Filters
from assess.spreadsheets import csv_text, formula_safe
from scoring import Questionnaire

HIDDEN = "hidden"
#: An empty cell of a table in which nothing is hidden (the targeting list of councils shared by name).
NONE = "none"
FORMATS = ("csv", "xlsx", "json")
#: What each column means, for the "Read me" sheet and the JSON export.
COLUMN_MEANINGS = {
    "Group": "The council type, region, section or year the row describes.",
    "Councils in register": "Councils of that type or in that region in the register.",
    "Councils counted": "Councils whose latest published round in the period was shared with the sector.",
    "Share counted": "Councils counted as a share of the register.",
    "Councils": "Councils counted in the group (each once: its latest published, shared round in the period).",
    "Median": "The median level (the lower middle one for an even number of councils).",
    "Lower quartile": "The level a quarter of the councils are at or below.",
    "Upper quartile": "The level three quarters of the councils are at or below.",
    "Officers' mean": "The mean section level in officers' own responses in the rounds counted.",
    "Members' mean": "The mean section level in elected members' own responses in the rounds counted.",
    "Gap": "Members' mean minus officers' mean: positive when members rate the council higher.",
    "Councils with officers": "Councils whose officers' responses make up the officers' mean.",
    "Councils with members": "Councils whose members' responses make up the members' mean.",
    "Council": "A council that shared its round by name.",
    "This council": "The council's own agreed level in its latest published round.",
    "Code": "The council's code in the register.",
    "Type": "The council's type.",
    "Region": "The council's region.",
    "Published": "The day the council's latest round shared by name was published (a later round it shared "
                 "anonymously or kept private is not shown).",
    "Level": "The agreed level in the council's latest published round shared by name.",
    "Previous level": "The agreed level in the council's previous published round shared by name (empty: none).",
    "Change": "Level minus previous level.",
    "Target": "The level the council set itself as a target for the section (empty: none set, or the overall "
              "level, which has no target).",
    "Below target by": "Target minus level (0 when at or above it; empty without a target).",
    "Overdue actions": "Improvement actions not done whose due date has passed.",
}
LEVEL_MEANING = "Councils whose agreed level is {label}."
#: Columns of mean levels, shown to two places.
MEANS = ("Officers' mean", "Members' mean", "Gap")
EMPTY_CELLS = ("An empty cell in a table is a figure hidden by the rule; in the targeting list, where nothing is "
               "hidden, it is a figure there is none of.")
SHARE_MEANING = "The share of the group's councils whose agreed level is {label}."


@dataclass(frozen=True)
class Table:
    """One table of figures (a sheet of the XLSX), with the chart drawn from it if any."""

    key: str
    title: str
    columns: tuple[str, ...]
    rows: list[tuple[Any, ...]]
    chart: str | None = None
    notes: tuple[str, ...] = field(default=())
    #: The questionnaire's (level, label) pairs, for a table of mean levels (the PDF draws its chart on them).
    scale: tuple[tuple[int, str], ...] = field(default=())
    #: What an empty cell says on a page: a figure hidden by the rule, or (where nothing is hidden) none to show.
    blank: str = HIDDEN
    #: Row by row, the column of a cell to mark on a page (a benchmarked council's own level), if any.
    marks: tuple[int | None, ...] = field(default=())

    @property
    def summary_columns(self) -> list[int]:
        """The columns a page or the PDF shows: the shares are the chart's proportions, and are in the exports."""
        return [i for i, column in enumerate(self.columns) if not column.startswith("Share ")]

    def cells(self) -> list[list[str]]:
        """Every row as text for a page: empty cells say why, shares as percentages, means to two places."""
        return [[_text(value, column, self.blank) for value, column in zip(row, self.columns, strict=True)]
                for row in self.rows]


def _text(value: object, column: str, blank: str) -> str:
    if value is None:
        return blank
    if isinstance(value, float):
        return f"{value:.0%}" if column.startswith("Share") else f"{value:.2f}"
    return str(value)


@dataclass(frozen=True)
class Report:
    """Every table for one set of filters, with the rule and what was asked for."""

    title: str
    threshold: int
    filters: dict[str, str]
    generated: date
    tables: list[Table]
    #: Whether the database holds a simulated sector (`assess simulate`), which every copy of the figures says.
    simulated: bool = False
    #: Councils counted in all (None when the rule hides how many): the dashboard says when there are too few.
    counted: int | None = None

    @property
    def too_few(self) -> bool:
        """Whether too few councils count for any figure to show (straight after set-up, say)."""
        return not self.counted

    @property
    def simulated_note(self) -> str | None:
        """What every copy of figures from a simulated sector says (None for a real one)."""
        return sector.SIMULATED_NOTE if self.simulated else None

    @property
    def rule(self) -> str:
        """The disclosure rule in force."""
        return sector.suppression_rule(self.threshold)


def _distribution_table(key: str, title: str, heading: str, groups: Sequence[Distribution],
                        questionnaire: Questionnaire) -> Table:
    labels = [questionnaire.label(level) or str(level) for level in questionnaire.levels]
    rows = [(d.group, d.councils, *(d.levels[level] for level in questionnaire.levels),
             *(d.share(level) for level in questionnaire.levels), questionnaire.label(d.median),
             questionnaire.label(d.lower_quartile), questionnaire.label(d.upper_quartile)) for d in groups]
    chart = shares_svg(title, labels, [(d.group, None if d.suppressed else [d.levels[lv] or 0 for lv in d.levels])
                                       for d in groups])
    return Table(key, title, (heading, "Councils", *labels, *(f"Share {label}" for label in labels), "Median",
                              "Lower quartile", "Upper quartile"), rows, chart)


def _participation_table(session: Session, filters: Filters, group_by: str, threshold: int) -> Table:
    heading = "Type" if group_by == "type" else "Region"
    found = sector.participation(session, filters, group_by, threshold)
    rows = [(p.group, p.register, p.published, p.share) for p in found]
    chart = shares_svg(f"Councils counted by {group_by}", ["Counted", "Not counted"],
                       [(p.group, None if p.published is None else [p.published, p.register - p.published])
                        for p in found])
    return Table(f"participation-{group_by}", f"Participation by council {group_by}",
                 (heading, "Councils in register", "Councils counted", "Share counted"), rows, chart)


def dashboard(session: Session, filters: Filters, questionnaire: Questionnaire, threshold: int,
              today: date) -> Report:
    """Every dashboard table for a questionnaire and filters: one query each."""
    section_title = (questionnaire.section(filters.section).title if filters.section else "overall level")
    tables = [_participation_table(session, filters, group, threshold) for group in sector.GROUPINGS]
    everyone = sector.levels(session, filters, questionnaire, threshold)
    for group in sector.GROUPINGS:
        groups = [*everyone, *sector.levels(session, filters, questionnaire, threshold, group)]
        tables.append(_distribution_table(f"levels-{group}", f"{questionnaire.title}, {section_title}: levels by "
                                          f"council {group}", group.title(), groups, questionnaire))
    tables.append(_distribution_table("sections", f"{questionnaire.title}: levels by section", "Section",
                                      sector.section_levels(session, filters, questionnaire, threshold),
                                      questionnaire))
    gaps = sector.perception_gap(session, filters, questionnaire, threshold)
    gap_title = f"{questionnaire.title}: officers' and members' views by section"
    scale = tuple((s.level, s.label) for s in questionnaire.scale)
    tables.append(Table("perception-gap", gap_title,
                        ("Section", "Officers' mean", "Members' mean", "Gap", "Councils with officers",
                         "Councils with members"),
                        [(g.title, g.officers, g.members, g.gap, g.officer_councils, g.member_councils)
                         for g in gaps],
                        gap_svg(gap_title, scale, [(g.title, g.officers, g.members) for g in gaps]), scale=scale))
    tables.append(_distribution_table("years", f"{questionnaire.title}, {section_title}: levels by year", "Year",
                                      sector.by_year(session, filters, questionnaire, threshold), questionnaire))
    return Report(f"Sector figures: {questionnaire.title}", threshold, describe(filters), today, tables,
                  sector.holds_simulated(session), counted=tables[0].rows[0][2])


def describe(filters: Filters) -> dict[str, str]:
    """The filters asked for, in words (only those given)."""
    named = {"Questionnaire": filters.questionnaire, "Section": filters.section, "Council type": filters.type,
             "Region": filters.region, "Published from": filters.start.isoformat() if filters.start else None,
             "Published to": filters.end.isoformat() if filters.end else None}
    return {key: value for key, value in named.items() if value}


def targeting_table(rows: Sequence[sector.TargetingRow]) -> Table:
    """The targeting list as a table."""
    return Table("targeting", "Councils shared by name that may need support",
                 ("Council", "Code", "Type", "Region", "Published", "Level", "Previous level", "Change", "Target",
                  "Below target by", "Overdue actions"),
                 [(r.name, r.code, r.type, r.region, r.published_on, r.label or "No level", r.previous_label,
                   r.change, r.target, r.shortfall, r.overdue_actions) for r in rows], blank=NONE)


def benchmark_table(result: sector.Benchmark, questionnaire: Questionnaire) -> Table:
    """A shown benchmark as a table: each section (and the overall level) for the council and its comparison group."""
    titles: dict[str | None, str] = {None: "Overall level", **{s.id: s.title for s in questionnaire.sections}}
    labels = [questionnaire.label(level) or str(level) for level in questionnaire.levels]
    rows = [(titles.get(section, section), questionnaire.label(result.own.get(section)) or "No published level",
             questionnaire.label(d.median), questionnaire.label(d.lower_quartile),
             questionnaire.label(d.upper_quartile), *(d.levels[level] for level in questionnaire.levels))
            for section, d in result.group]
    # Where the council's own level sits among the group's, row by row (the column of its level's count).
    marks = tuple(questionnaire.levels.index(own) if (own := result.own.get(section)) in questionnaire.levels
                  else None for section, _d in result.group)
    chart = shares_svg(f"{questionnaire.title}: levels of similar councils", labels,
                       [(titles.get(section, str(section)), [d.levels[lv] or 0 for lv in questionnaire.levels])
                        for section, d in result.group], marks=marks, mark_label="This council's level")
    return Table("benchmark", f"{questionnaire.title}: this council and {result.councils} similar councils",
                 ("Section", "This council", "Median", "Lower quartile", "Upper quartile", *labels), rows, chart,
                 marks=tuple(None if mark is None else BENCHMARK_LEVELS_FROM + mark for mark in marks))


#: The benchmark table's first column of counts at each level (after section, this council, median and quartiles).
BENCHMARK_LEVELS_FROM = 5


# Exports -------------------------------------------------------------------------------------------------------


def _plain(value: object) -> object:
    return value.isoformat() if isinstance(value, date) else value


#: The first column of a table of groups: what its rows are.
GROUP_MEANINGS = {
    "Type": "The council type the row describes (All councils: every type together).",
    "Region": "The region the row describes (All councils: every region together).",
    "Section": "The section of the questionnaire the row describes (or the overall level).",
    "Year": "The year the row describes: each council once, with its latest round that counts published that year.",
}


def column_meaning(table: str, column: str) -> str:
    """What a column of a table means, for the data dictionary."""
    if table != "targeting" and column in GROUP_MEANINGS:
        return GROUP_MEANINGS[column]
    if column in COLUMN_MEANINGS:
        return COLUMN_MEANINGS[column]
    if column.startswith("Share "):
        return SHARE_MEANING.format(label=column.removeprefix("Share "))
    return LEVEL_MEANING.format(label=column)


def to_json(report: Report) -> str:
    """The report as JSON: the rule, the filters, the data dictionary and every table's columns and rows."""
    return json.dumps({
        "title": report.title, "generated": report.generated.isoformat(), "threshold": report.threshold,
        "suppression_rule": report.rule, "empty_cells": EMPTY_CELLS, "simulated": report.simulated,
        "simulated_note": report.simulated_note, "filters": report.filters,
        "tables": [{"key": t.key, "title": t.title, "columns": list(t.columns),
                    "data_dictionary": {column: column_meaning(t.key, column) for column in t.columns},
                    "rows": [[_plain(v) for v in row] for row in t.rows]} for t in report.tables],
    }, indent=2)


def to_csv(report: Report) -> str:
    """The report as one tidy CSV: a row per figure (table, group, measure, value; empty value: hidden)."""
    rows: list[tuple[object, ...]] = [("table", "group", "measure", "value"),
                                      *([("read-me", "simulated sector", "text", report.simulated_note)]
                                        if report.simulated else []),
                                      ("read-me", "suppression rule", "text", report.rule)]
    rows += [("read-me", "filter", key, value) for key, value in report.filters.items()]
    rows += [(table.key, row[0], column, value) for table in report.tables for row in table.rows
             for column, value in zip(table.columns[1:], row[1:], strict=True)]
    return csv_text(rows)


def to_xlsx(report: Report) -> bytes:
    """The report as a workbook: a "Read me" sheet (rule, filters, data dictionary), then one sheet a table."""
    book = Workbook()
    readme = book.active
    assert readme is not None
    readme.title = "Read me"
    bold = Font(bold=True)
    lines: list[tuple[object, ...]] = [(report.title,), (f"Generated {report.generated.isoformat()}",),
                                       (report.simulated_note,) if report.simulated else (),
                                       ("Disclosure rule",), (report.rule,), (), (EMPTY_CELLS,), ()]
    lines += [("Filters",), *((key, value) for key, value in report.filters.items()), ()]
    lines += [("Data dictionary",), ("Sheet", "Column", "Meaning")]
    lines += [(table.key, column, column_meaning(table.key, column)) for table in report.tables
              for column in table.columns]
    for line in lines:
        readme.append([formula_safe(v) for v in line])
    for heading_row in (1, 4, 9):
        readme.cell(row=heading_row, column=1).font = bold
    for table in report.tables:
        sheet = book.create_sheet(table.key[:31])
        sheet.append([formula_safe(table.title)])
        sheet.cell(row=1, column=1).font = bold
        sheet.append([formula_safe(column) for column in table.columns])
        for cell in sheet[2]:
            cell.font = bold
        for row in table.rows:
            sheet.append([formula_safe(_plain(v)) for v in row])
        # Shares as percentages and means to two places, as on the page, while the cells keep their exact values.
        for number, column in enumerate(table.columns, start=1):
            shown = "0%" if column.startswith("Share") else "0.00" if column in MEANS else None
            if shown:
                for (cell,) in sheet.iter_rows(min_row=3, min_col=number, max_col=number):
                    cell.number_format = shown
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


MEDIA_TYPES = {"csv": "text/csv", "json": "application/json",
               "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def export(report: Report, fmt: str) -> bytes:
    """The report in one of FORMATS, as bytes."""
    if fmt == "xlsx":
        return to_xlsx(report)
    return (to_csv(report) if fmt == "csv" else to_json(report)).encode("utf-8")
