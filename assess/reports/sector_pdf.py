"""The sector report as a PDF, in the style of the maturity-profile pack; the dashboard page is its HTML twin.

It draws the same :class:`~assess.reports.sector.Report` as the dashboard and the exports: the
disclosure rule and the filters first, then each table with a stacked bar chart of its figures (the
shares of each level are the chart's proportions, left out of the printed tables for width), and the
officers' and members' means as a dot plot marked as the peer-challenge pack marks the two groups.
Hidden figures read "hidden"; colours are Okabe-Ito and every count is also printed in the table.
"""

from __future__ import annotations

from collections.abc import Sequence
from io import BytesIO

from reportlab.graphics.shapes import Drawing, Line, Rect, String
from reportlab.lib import colors
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import KeepTogether, Paragraph, SimpleDocTemplate, Spacer
from reportlab.platypus.flowables import Flowable

from assess.reports.charts import GROUP_MARKS, level_colour
from assess.reports.data import long_date
from assess.reports.pdf import (
    BOLD,
    BOTTOM,
    FRAME_WIDTH,
    INK,
    MARGIN,
    REGULAR,
    RULE,
    TOP,
    _fit,
    _lines,
    _mark,
    _p,
    _table,
)
from assess.reports.sector import Report, Table
from assess.services.sector import SIMULATED_NOTE


def render_sector_pdf(report: Report) -> bytes:
    """The sector report as PDF bytes."""
    buffer = BytesIO()
    document = SimpleDocTemplate(buffer, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=TOP, bottomMargin=BOTTOM,
                                 title=report.title, author="assess", subject="Sector figures",
                                 creator="assess (self-assessment maturity questionnaires)", lang="en-GB",
                                 displayDocTitle=1)
    story: list[Flowable] = [_p("Sector figures", "cover-kicker"), _p(report.title, "h1"),
                             _p(f"Generated {long_date(report.generated)}", "lead"),
                             *([_p(SIMULATED_NOTE, "lead")] if report.simulated else []),
                             _p("Disclosure rule", "h2"), _p(report.rule)]
    if report.filters:
        story += [_p("Filters", "h2"), *(_p(f"{key}: {value}") for key, value in report.filters.items())]
    for table in report.tables:
        story += _table_part(table)
    document.build(story)
    return buffer.getvalue()


def _table_part(table: Table) -> list[Flowable]:
    part: list[Flowable] = [_p(table.title, "h2")]
    chart = _chart(table)
    if chart is not None:
        part += [chart, Spacer(1, 6)]
    # An A4 page has no room for the shares beside the counts.
    kept = table.summary_columns
    first = min(0.3, 2 / len(kept))
    rest = (1 - first) / max(1, len(kept) - 1)
    rows: list[list[Paragraph]] = [[_p(table.columns[i], "cell-head") for i in kept]]
    rows += [[_p(row[i], "cell") for i in kept] for row in table.cells()]
    part.append(_table(rows, [first, *([rest] * (len(kept) - 1))]))
    return [KeepTogether(part[:2]), *part[2:]]


def _chart(table: Table) -> Drawing | None:
    """Stacked bars of the table's counts per category for the tables of levels, a dot plot for mean levels."""
    if table.chart and table.scale:
        return gap_drawing(table.scale, [(str(row[0]), row[1], row[2]) for row in table.rows])
    if not table.chart or "Councils" not in table.columns or "Median" not in table.columns:
        return None
    first = table.columns.index("Councils") + 1
    last = next(i for i, column in enumerate(table.columns) if column.startswith("Share "))
    labels = table.columns[first:last]
    label_w, bar_h, gap = 150.0, 12.0, 6.0
    bar_w = FRAME_WIDTH - label_w - 10
    height = 24 + len(table.rows) * (bar_h + gap)
    drawing = Drawing(FRAME_WIDTH, height)
    x = 0.0
    for i, label in enumerate(labels):
        drawing.add(Rect(x, height - 10, 8, 8, fillColor=colors.HexColor(level_colour(i, len(labels))),
                         strokeColor=INK, strokeWidth=0.5))
        drawing.add(String(x + 11, height - 9, label, fontName=REGULAR, fontSize=7.5, fillColor=INK))
        x += 18 + len(label) * 4.2
    y = height - 24 - bar_h
    for row in table.rows:
        drawing.add(String(label_w - 4, y + 3, _fit(str(row[0]), REGULAR, 8, label_w - 8), fontName=REGULAR,
                           fontSize=8, fillColor=INK, textAnchor="end"))
        counts = row[first:last]
        total = sum(c for c in counts if isinstance(c, int))
        if any(c is None for c in counts) or total == 0:
            drawing.add(String(label_w + 4, y + 3, "Figures hidden (too few councils)", fontName=REGULAR,
                               fontSize=8, fillColor=INK))
        else:
            left = label_w
            for i, count in enumerate(counts):
                segment = bar_w * count / total
                if segment > 0:
                    drawing.add(Rect(left, y, segment, bar_h, strokeColor=INK, strokeWidth=0.5,
                                     fillColor=colors.HexColor(level_colour(i, len(labels)))))
                    if segment > 14:
                        drawing.add(String(left + segment / 2, y + 3, str(count), fontName=BOLD, fontSize=7.5,
                                           fillColor=INK, textAnchor="middle"))
                left += segment
        y -= bar_h + gap
    return drawing


def gap_drawing(scale: Sequence[tuple[int, str]], rows: Sequence[tuple[str, float | None, float | None]],
                width: float = FRAME_WIDTH) -> Drawing:
    """Officers' against members' mean level per row on the level scale, marked as the pack marks the two groups.

    Officers are circles, members triangles (each in its own colour too), a line joins a row's two means
    so that the gap reads as its length, and each mean is printed by its mark (officers' below the row's
    line, members' above, so close means never print over each other). A row with neither mean shown says so.
    """
    size, small, r = 8.5, 7.5, 3.4
    label_w = 0.27 * width
    left, right = label_w + 14, width - 24
    low, top = scale[0][0], scale[-1][0]
    step = (right - left) / max(1, top - low)
    axis = [_lines(f"{level} {label}", REGULAR, small, step - 4, 3) for level, label in scale]
    axis_h = 6 + 9 * max(len(words) for words in axis)
    titles = [_lines(title, REGULAR, size, label_w, 3) for title, _officers, _members in rows]
    heights = [max(30.0, 10.5 * len(title) + 10) for title in titles]
    legend_h = 20.0
    height = legend_h + sum(heights) + axis_h
    drawing = Drawing(width, height)

    def x_of(value: float) -> float:
        return left + (value - low) * step

    x = 0.0
    for group, legend in (("officer", "Officers' mean"), ("member", "Members' mean")):
        _name, shape, colour = GROUP_MARKS[group]
        drawing.add(_mark(shape, x + 4, height - 8, r, colour))
        drawing.add(String(x + 11, height - 11, legend, fontName=REGULAR, fontSize=small, fillColor=INK))
        x += 22 + stringWidth(legend, REGULAR, small)
    for i, (level, _label) in enumerate(scale):
        drawing.add(Line(x_of(level), axis_h, x_of(level), height - legend_h, strokeColor=RULE, strokeWidth=0.5,
                         strokeDashArray=[2, 2]))
        for j, line in enumerate(axis[i]):
            drawing.add(String(x_of(level), axis_h - 9 - 9 * j, line, fontName=REGULAR, fontSize=small,
                               textAnchor="middle", fillColor=INK))
    y = height - legend_h
    for (_title, officers, members), title, row_h in zip(rows, titles, heights, strict=True):
        mid = y - row_h / 2
        first = mid + (len(title) - 1) * 10.5 / 2 - 3
        for j, line in enumerate(title):
            drawing.add(String(label_w, first - 10.5 * j, line, fontName=REGULAR, fontSize=size, textAnchor="end",
                               fillColor=INK))
        drawing.add(Line(left, y - row_h, right, y - row_h, strokeColor=RULE, strokeWidth=0.5))
        if officers is None and members is None:
            drawing.add(String(left + 4, mid - 3, "Figures hidden (too few councils)", fontName=REGULAR,
                               fontSize=small, fillColor=INK))
        if officers is not None and members is not None:
            drawing.add(Line(x_of(officers), mid, x_of(members), mid, strokeColor=INK, strokeWidth=1.2))
        for group, mean, above in (("officer", officers, False), ("member", members, True)):
            if mean is None:
                continue
            _name, shape, colour = GROUP_MARKS[group]
            drawing.add(_mark(shape, x_of(mean), mid, r, colour))
            drawing.add(String(x_of(mean), mid + (r + 3 if above else -r - 9), f"{mean:.2f}", fontName=BOLD,
                               fontSize=small, fillColor=INK, textAnchor="middle"))
        y -= row_h
    return drawing
