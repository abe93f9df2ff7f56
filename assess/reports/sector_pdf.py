"""The sector report as a PDF, in the style of the maturity-profile pack; the dashboard page is its HTML twin.

It draws the same :class:`~assess.reports.sector.Report` as the dashboard and the exports: the
disclosure rule and the filters first, then each table with a stacked bar chart of its figures (the
shares of each level are the chart's proportions, left out of the printed tables for width).
Hidden figures read "hidden"; colours are Okabe-Ito and every count is also printed in the table.
"""

from __future__ import annotations

from io import BytesIO

from reportlab.graphics.shapes import Drawing, Rect, String
from reportlab.lib import colors
from reportlab.platypus import KeepTogether, Paragraph, SimpleDocTemplate, Spacer
from reportlab.platypus.flowables import Flowable

from assess.reports.charts import level_colour
from assess.reports.data import long_date
from assess.reports.pdf import BOLD, BOTTOM, FRAME_WIDTH, INK, MARGIN, REGULAR, TOP, _fit, _p, _table
from assess.reports.sector import Report, Table


def render_sector_pdf(report: Report) -> bytes:
    """The sector report as PDF bytes."""
    buffer = BytesIO()
    document = SimpleDocTemplate(buffer, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=TOP, bottomMargin=BOTTOM,
                                 title=report.title, author="assess", subject="Sector figures",
                                 creator="assess (self-assessment maturity questionnaires)", lang="en-GB",
                                 displayDocTitle=1)
    story: list[Flowable] = [_p("Sector figures", "cover-kicker"), _p(report.title, "h1"),
                             _p(f"Generated {long_date(report.generated)}", "lead"), _p("Disclosure rule", "h2"),
                             _p(report.rule)]
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
    # The shares are the chart's proportions; an A4 page has no room for them beside the counts.
    kept = [i for i, column in enumerate(table.columns) if not column.startswith("Share ")]
    first = min(0.3, 2 / len(kept))
    rest = (1 - first) / max(1, len(kept) - 1)
    rows: list[list[Paragraph]] = [[_p(table.columns[i], "cell-head") for i in kept]]
    rows += [[_p(row[i], "cell") for i in kept] for row in table.cells()]
    part.append(_table(rows, [first, *([rest] * (len(kept) - 1))]))
    return [KeepTogether(part[:2]), *part[2:]]


def _chart(table: Table) -> Drawing | None:
    """Stacked bars of the table's counts per category, for the tables of levels (other tables have none)."""
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
