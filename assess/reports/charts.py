"""Server-side SVG charts for the results page and the HTML report (no JavaScript).

Every chart is an ``<svg role="img">`` labelled by its own ``<title>`` and ``<desc>``; the
``<desc>`` is a full text alternative (every section or questionnaire with its level). Nothing
is told by colour alone: each bar and each radar point carries its level as printed text, and
the colours come from the Okabe-Ito palette, which stays distinguishable for colour-blind readers.
All text is XML-escaped.
"""

from __future__ import annotations

import itertools
import math
import re
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from scoring import Profile, Questionnaire

#: Okabe-Ito colours, chosen to stay distinct for the common colour-vision deficiencies.
OKABE_ITO = {
    "orange": "#E69F00",
    "sky-blue": "#56B4E9",
    "bluish-green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish-purple": "#CC79A7",
    "black": "#000000",
}

#: Bar colours from the lowest level to the highest (vermillion -> orange -> yellow -> sky blue -> blue).
LEVEL_COLOURS = ("#D55E00", "#E69F00", "#F0E442", "#56B4E9", "#0072B2")
INK = "#0b0c0c"
GRID = "#b1b4b6"
FONT = "Arial, Helvetica, sans-serif"

_ids = itertools.count(1)


def level_colour(position: int, count: int) -> str:
    """The bar colour of the level at ``position`` (0 = lowest) on a scale of ``count`` levels."""
    if count <= 1:
        return LEVEL_COLOURS[-1]
    index = round(position * (len(LEVEL_COLOURS) - 1) / (count - 1))
    return LEVEL_COLOURS[max(0, min(index, len(LEVEL_COLOURS) - 1))]


def level_text(level: int | None, label: str | None, top: int) -> str:
    """A level as words, for labels and text alternatives: "Developing (level 2 of 5)"."""
    if level is None:
        return "No level (too few answers)"
    return f"{label or 'Level'} (level {level} of {top})"


def _e(text: object) -> str:
    return escape(str(text), quote=True)


def _wrap(text: str, width_px: float, font_size: float, max_lines: int = 4) -> list[str]:
    """Wrap text to fit ``width_px`` at ``font_size`` (approximate glyph widths); ellipsise the rest."""
    chars = max(4, int(width_px / (font_size * 0.55)))
    if 0 < len(text) <= chars and text.isprintable() and not text[-1].isspace():
        # Most labels fit on one line: textwrap would give the text back unchanged, at many times the cost.
        return [text]
    lines = textwrap.wrap(text, chars, break_long_words=True) or [""]
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        lines[-1] = lines[-1][: max(1, chars - 1)].rstrip() + "\u2026"
    return lines


def _text_width(text: str, font_size: float) -> float:
    return len(text) * font_size * 0.58


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "chart"


def _tspans(lines: Sequence[str], x: float, first_y: float, line_height: float) -> str:
    return "".join(
        f'<tspan x="{x:.1f}" y="{first_y + i * line_height:.1f}">{_e(line)}</tspan>' for i, line in enumerate(lines)
    )


def _svg(kind: str, prefix: str, width: float, height: float, title: str, desc: str, parts: Sequence[str]) -> str:
    """A chart's SVG element: labelled by its title and text alternative, the drawing itself hidden from readers.

    Its natural size is in attributes, never an inline style (the Content-Security-Policy refuses those): the
    stylesheet lets it shrink to its column, keeping its shape (service.css, .app-chart).
    """
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="assess-chart assess-chart--{kind}" role="img" '
        f'aria-labelledby="{prefix}-title {prefix}-desc" viewBox="0 0 {width:.0f} {height:.0f}" '
        f'width="{width:.0f}" height="{height:.0f}" font-family="{FONT}">'
        f'<title id="{prefix}-title">{_e(title)}</title>'
        f'<desc id="{prefix}-desc">{_e(desc)}</desc>'
        f'<g aria-hidden="true">{"".join(parts)}</g>'
        "</svg>"
    )


def section_bars_svg(questionnaire: Questionnaire, profile: Profile, *, id_prefix: str | None = None) -> str:
    """A horizontal bar chart of a profile's section levels on the questionnaire's scale.

    Level labels are on the axis; each bar ends with its level printed as text. ``id_prefix``
    makes the title/desc ids unique when several charts share a page (default: generated).
    """
    prefix = id_prefix or f"bars-{_slug(questionnaire.id)}-{next(_ids)}"
    scale = questionnaire.scale
    levels = [s.level for s in scale]
    top = max(levels)
    low = min(levels)
    font = 13.0
    small = 11.5
    label_w = 230.0
    bar_area = max(300.0, 78.0 * len(scale))
    end_texts = [level_text(r.level, r.label, top) for r in profile.sections]
    # Room after the longest bar for its level; a very long level label wraps rather than widening the chart.
    end_w = min(max(_text_width(t, small) for t in [*end_texts, "No level"]) + 16, 230.0)
    left, right = label_w + 12, label_w + 12 + bar_area
    width = right + end_w + 8
    step = bar_area / (top - low + 1)

    def x_of(level: float) -> float:
        return left + (level - low + 1) * step

    # Axis labels wrapped to the width between ticks.
    axis_lines = [_wrap(s.label, step - 4, small, 3) for s in scale]
    axis_h = 18 + 14 * max(len(lines) for lines in axis_lines)

    rows: list[str] = []
    y = 10.0
    bar_h = 20.0
    for result, end_text in zip(profile.sections, end_texts, strict=True):
        lines = _wrap(result.title, label_w, font, 5)
        text_x = (x_of(result.level) if result.level is not None else left) + 6
        end_lines = _wrap(end_text, width - text_x - 4, small, 3)
        row_h = max(bar_h + 12, 16 * len(lines) + 10, 14 * len(end_lines) + 10)
        mid = y + row_h / 2
        text_top = mid - (len(lines) - 1) * 8 + 4.5
        rows.append(
            f'<text x="{label_w:.1f}" text-anchor="end" font-size="{font}" fill="{INK}">'
            f"{_tspans(lines, label_w, text_top, 16)}</text>"
        )
        if result.level is not None:
            position = levels.index(result.level) if result.level in levels else 0
            colour = level_colour(position, len(levels))
            end = x_of(result.level)
            rows.append(
                f'<rect x="{left:.1f}" y="{mid - bar_h / 2:.1f}" width="{end - left:.1f}" height="{bar_h:.1f}" '
                f'fill="{colour}" stroke="{INK}" stroke-width="1"/>'
            )
        else:
            rows.append(
                f'<line x1="{left:.1f}" y1="{mid - bar_h / 2:.1f}" x2="{left:.1f}" y2="{mid + bar_h / 2:.1f}" '
                f'stroke="{INK}" stroke-width="3"/>'
            )
        rows.append(
            f'<text font-size="{small}" fill="{INK}" font-weight="bold" stroke="#ffffff" stroke-width="3" '
            f'paint-order="stroke">{_tspans(end_lines, text_x, mid + 4 - (len(end_lines) - 1) * 7, 14)}</text>'
        )
        y += row_h
    plot_bottom = y + 4

    grid: list[str] = [
        f'<line x1="{left:.1f}" y1="6" x2="{left:.1f}" y2="{plot_bottom:.1f}" stroke="{INK}" stroke-width="1"/>'
    ]
    for level, lines in zip(levels, axis_lines, strict=True):
        x = x_of(level)
        grid.append(
            f'<line x1="{x:.1f}" y1="6" x2="{x:.1f}" y2="{plot_bottom:.1f}" stroke="{GRID}" '
            f'stroke-width="1" stroke-dasharray="3 3"/>'
        )
        grid.append(
            f'<text text-anchor="middle" font-size="{small}" fill="{INK}">'
            f"{_tspans([f'{level}', *lines], x, plot_bottom + 16, 14)}</text>"
        )
    height = plot_bottom + axis_h + 14

    title = f"{questionnaire.title}: level by section"
    desc = "; ".join(f"{r.title}: {text}" for r, text in zip(profile.sections, end_texts, strict=True))
    desc = f"Bar chart of {len(profile.sections)} sections on a scale of {low} to {top}. {desc}."
    return _svg("bars", prefix, width, height, title, desc, [*grid, *rows])


def radar_svg(items: list[tuple[str, int | None, int]], *, id_prefix: str | None = None,
              title: str = "Overall level by questionnaire") -> str:
    """A radar chart across questionnaires: ``items`` are (name, level or None, top level).

    Each axis runs from the centre (no level) to the questionnaire's top level; every point is
    labelled "level/top" as text. With fewer than three items it still draws (as a line or point).
    """
    prefix = id_prefix or f"radar-{next(_ids)}"
    n = len(items)
    size = 560.0
    label_room = 150.0
    width = size + 2 * label_room
    cx, cy = width / 2, size / 2 + 30
    radius = size / 2 - 40
    tops = {top for _name, _level, top in items}
    common_top = tops.pop() if len(tops) == 1 else None
    rings = common_top if common_top else 4

    def angle(i: int) -> float:
        return -math.pi / 2 + 2 * math.pi * i / max(n, 1)

    def point(i: int, fraction: float) -> tuple[float, float]:
        a = angle(i)
        return cx + radius * fraction * math.cos(a), cy + radius * fraction * math.sin(a)

    parts: list[str] = []
    for ring in range(1, rings + 1):
        fraction = ring / rings
        if n >= 3:
            pts = " ".join(f"{x:.1f},{y:.1f}" for x, y in (point(i, fraction) for i in range(n)))
            parts.append(f'<polygon points="{pts}" fill="none" stroke="{GRID}" stroke-width="1"/>')
        else:
            parts.append(
                f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="{radius * fraction:.1f}" fill="none" '
                f'stroke="{GRID}" stroke-width="1"/>'
            )
        ring_label = str(ring) if common_top else f"{ring * 100 // rings}%"
        parts.append(
            f'<text x="{cx - 5:.1f}" y="{cy - radius * fraction + 12:.1f}" font-size="11" '
            f'text-anchor="end" fill="#505a5f">{_e(ring_label)}</text>'
        )
    for i, (name, _level, _top) in enumerate(items):
        x, y = point(i, 1.0)
        parts.append(f'<line x1="{cx:.1f}" y1="{cy:.1f}" x2="{x:.1f}" y2="{y:.1f}" stroke="{GRID}"/>')
        lx, ly = point(i, 1.0 + 30 / radius)
        cos = math.cos(angle(i))
        anchor = "middle" if abs(cos) < 0.3 else ("start" if cos > 0 else "end")
        room = {"start": width - lx, "end": lx, "middle": 220.0}[anchor] - 6
        lines = _wrap(name, room / 1.1, 12.5, 3)  # bold glyphs run wider than _wrap's estimate
        sin = math.sin(angle(i))
        first = ly + 4 - (len(lines) - 1) * 15 * (0.5 if abs(sin) < 0.5 else (1.0 if sin < 0 else 0.0))
        parts.append(
            f'<text text-anchor="{anchor}" font-size="12.5" font-weight="bold" fill="{INK}">'
            f"{_tspans(lines, lx, first, 15)}</text>"
        )
    fractions = [(level / top if level is not None and top else 0.0) for _name, level, top in items]
    if n >= 2:
        pts = " ".join(f"{x:.1f},{y:.1f}" for x, y in (point(i, f) for i, f in enumerate(fractions)))
        parts.append(
            f'<polygon points="{pts}" fill="{OKABE_ITO["sky-blue"]}" fill-opacity="0.35" '
            f'stroke="{OKABE_ITO["blue"]}" stroke-width="2.5"/>'
        )
    for i, ((_name, level, top), fraction) in enumerate(zip(items, fractions, strict=True)):
        x, y = point(i, fraction)
        parts.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="5" fill="{OKABE_ITO["blue"]}" stroke="#ffffff" stroke-width="1.5"/>'
        )
        text = f"{level}/{top}" if level is not None else "none"
        parts.append(
            f'<text x="{x + 8:.1f}" y="{y - 7:.1f}" font-size="12" font-weight="bold" fill="{INK}" '
            f'stroke="#ffffff" stroke-width="3" paint-order="stroke">{_e(text)}</text>'
        )

    height = size + 60
    desc = "; ".join(
        f"{name}: " + (f"level {level} of {top}" if level is not None else "no level (too few answers)")
        for name, level, top in items
    )
    desc = f"Radar chart of the overall level of {n} questionnaire{'s' if n != 1 else ''}. {desc}."
    return _svg("radar", prefix, width, height, title, desc, parts)


#: A radar needs this many spokes to enclose an area; with fewer it is a line or a point, so bars are drawn instead.
RADAR_MINIMUM = 3


def overall_chart_svg(items: list[tuple[str, int | None, int]], *, id_prefix: str | None = None) -> str:
    """The overall levels across questionnaires: a radar from RADAR_MINIMUM questionnaires, bars below that."""
    if len(items) >= RADAR_MINIMUM:
        return radar_svg(items, id_prefix=id_prefix)
    return overall_bars_svg(items, id_prefix=id_prefix)


def overall_bars_svg(items: list[tuple[str, int | None, int]], *, id_prefix: str | None = None,
                     title: str = "Overall level by questionnaire") -> str:
    """A horizontal bar per questionnaire, its length the level reached out of the top level, "level/top" at its end."""
    prefix = id_prefix or f"overall-bars-{next(_ids)}"
    font, label_w, bar_area, bar_h = 13.0, 230.0, 360.0, 22.0
    left = label_w + 12
    width = left + bar_area + 70
    parts: list[str] = []
    y = 10.0
    for name, level, top in items:
        lines = _wrap(name, label_w, font, 3)
        row_h = max(bar_h + 14, 16 * len(lines) + 10)
        mid = y + row_h / 2
        parts.append(f'<text x="{label_w:.1f}" text-anchor="end" font-size="{font}" fill="{INK}">'
                     f"{_tspans(lines, label_w, mid - (len(lines) - 1) * 8 + 4.5, 16)}</text>")
        end = left + (bar_area * level / top if level is not None and top else 0.0)
        if level is not None and top:
            parts.append(f'<rect x="{left:.1f}" y="{mid - bar_h / 2:.1f}" width="{end - left:.1f}" '
                         f'height="{bar_h:.1f}" fill="{OKABE_ITO["sky-blue"]}" stroke="{INK}" stroke-width="1"/>')
        text = f"{level}/{top}" if level is not None else "none"
        parts.append(f'<text x="{end + 6:.1f}" y="{mid + 4.5:.1f}" font-size="12" font-weight="bold" '
                     f'fill="{INK}">{_e(text)}</text>')
        y += row_h
    parts.insert(0, f'<line x1="{left:.1f}" y1="6" x2="{left:.1f}" y2="{y + 4:.1f}" stroke="{INK}" stroke-width="1"/>')
    parts.append(f'<line x1="{left + bar_area:.1f}" y1="6" x2="{left + bar_area:.1f}" y2="{y + 4:.1f}" '
                 f'stroke="{GRID}" stroke-width="1" stroke-dasharray="3 3"/>')
    parts.append(f'<text x="{left + bar_area:.1f}" y="{y + 20:.1f}" text-anchor="middle" font-size="11.5" '
                 f'fill="{INK}">Top level</text>')
    desc = "; ".join(
        f"{name}: " + (f"level {level} of {top}" if level is not None else "no level (too few answers)")
        for name, level, top in items
    )
    desc = f"Bar chart of the overall level of {len(items)} questionnaire{'s' if len(items) != 1 else ''}. {desc}."
    return _svg("bars", prefix, width, y + 30, title, desc, parts)


def shares_svg(title: str, labels: Sequence[str], rows: Sequence[tuple[str, Sequence[int] | None]], *,
               id_prefix: str | None = None, marks: Sequence[int | None] = (), mark_label: str = "") -> str:
    """Stacked 100% bars: for each row (a group of councils), how many are in each category (levels, say).

    A row whose figures are hidden (None) is drawn as the words "Figures hidden (too few councils)".
    Each segment wide enough carries its count as text; the legend names the categories in order,
    and the text alternative gives every count. ``marks`` gives, row by row, a category to point at with
    a triangle (a council's own level), named ``mark_label`` in the legend.
    """
    prefix = id_prefix or f"shares-{_slug(title)}-{next(_ids)}"
    font, small = 13.0, 11.5
    label_w, bar_w, bar_h = 230.0, 420.0, 22.0
    left = label_w + 12
    width = left + bar_w + 16
    colours = [level_colour(i, len(labels)) for i in range(len(labels))]
    parts: list[str] = []
    y = 8.0
    legend_x = 0.0
    for label, colour in zip(labels, colours, strict=True):
        text_w = _text_width(label, small)
        if legend_x + 22 + text_w > width:
            legend_x, y = 0.0, y + 20
        parts.append(f'<rect x="{legend_x:.1f}" y="{y:.1f}" width="14" height="14" fill="{colour}" stroke="{INK}"/>'
                     f'<text x="{legend_x + 19:.1f}" y="{y + 11.5:.1f}" font-size="{small}" fill="{INK}">'
                     f"{_e(label)}</text>")
        legend_x += 34 + text_w
    if any(mark is not None for mark in marks):
        if legend_x + 22 + _text_width(mark_label, small) > width:
            legend_x, y = 0.0, y + 20
        parts.append(f'<path d="{_triangle_down(legend_x + 7, y + 7)}" fill="{INK}"/>'
                     f'<text x="{legend_x + 19:.1f}" y="{y + 11.5:.1f}" font-size="{small}" fill="{INK}">'
                     f"{_e(mark_label)}</text>")
    y += 30
    described: list[str] = []
    for number, (name, counts) in enumerate(rows):
        mark = marks[number] if number < len(marks) else None
        lines = _wrap(name, label_w, font, 3)
        # Room above the bar for a mark.
        row_h = max(bar_h + (18 if marks else 10), 16 * len(lines) + 8)
        mid = y + row_h / 2 + (4 if marks else 0)
        parts.append(f'<text x="{label_w:.1f}" text-anchor="end" font-size="{font}" fill="{INK}">'
                     f"{_tspans(lines, label_w, mid - (len(lines) - 1) * 8 + 4.5, 16)}</text>")
        total = sum(counts) if counts is not None else 0
        if counts is None or total == 0:
            parts.append(f'<text x="{left:.1f}" y="{mid + 4:.1f}" font-size="{small}" fill="{INK}">'
                         "Figures hidden (too few councils)</text>")
            described.append(f"{name}: figures hidden")
        else:
            x = left
            for category, (count, colour) in enumerate(zip(counts, colours, strict=True)):
                segment = bar_w * count / total
                if category == mark:
                    parts.append(f'<path d="{_triangle_down(x + segment / 2, mid - bar_h / 2 - 5)}" fill="{INK}"/>')
                if segment > 0:
                    parts.append(f'<rect x="{x:.1f}" y="{mid - bar_h / 2:.1f}" width="{segment:.1f}" '
                                 f'height="{bar_h:.1f}" fill="{colour}" stroke="{INK}" stroke-width="1"/>')
                    if segment >= _text_width(str(count), small) + 6:
                        parts.append(f'<text x="{x + segment / 2:.1f}" y="{mid + 4:.1f}" text-anchor="middle" '
                                     f'font-size="{small}" font-weight="bold" fill="{INK}" stroke="#ffffff" '
                                     f'stroke-width="3" paint-order="stroke">{count}</text>')
                x += segment
            described.append(f"{name}: " + ", ".join(f"{label} {count}" for label, count
                                                       in zip(labels, counts, strict=True))
                             + (f" ({mark_label}: {labels[mark]})" if mark is not None else ""))
        y += row_h
    height = y + 8
    desc = f"Stacked bar chart of {len(rows)} rows. " + "; ".join(described) + "."
    return _svg("shares", prefix, width, height, title, desc, parts)


def _triangle_down(x: float, y: float, size: float = 6.0) -> str:
    """An SVG path of a triangle pointing down at (x, y + size / 2): a mark above a bar."""
    return f"M{x - size:.1f} {y - size / 2:.1f}H{x + size:.1f}L{x:.1f} {y + size / 2:.1f}Z"


#: How every chart tells the groups apart: by shape as well as colour.
GROUP_MARKS = {"officer": ("Officer", "circle", OKABE_ITO["blue"]), "member": ("Member", "triangle",
                                                                               OKABE_ITO["vermillion"]),
               "other": ("Other", "square", OKABE_ITO["black"])}


def _mark_svg(shape: str, x: float, y: float, r: float, colour: str) -> str:
    if shape == "circle":
        return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{r:.1f}" fill="{colour}" stroke="{INK}" stroke-width="0.8"/>'
    if shape == "triangle":
        pts = f"{x:.1f},{y - r * 1.2:.1f} {x - r * 1.15:.1f},{y + r * 0.9:.1f} {x + r * 1.15:.1f},{y + r * 0.9:.1f}"
        return f'<polygon points="{pts}" fill="{colour}" stroke="{INK}" stroke-width="0.8"/>'
    return (f'<rect x="{x - r:.1f}" y="{y - r:.1f}" width="{2 * r:.1f}" height="{2 * r:.1f}" fill="{colour}" '
            f'stroke="{INK}" stroke-width="0.8"/>')


def gap_svg(title: str, scale: Sequence[tuple[int, str]], rows: Sequence[tuple[str, float | None, float | None]], *,
            id_prefix: str | None = None) -> str:
    """A dot plot of two means per row on a level scale: officers (circles) against members (triangles).

    ``scale`` is the questionnaire's (level, label) pairs; ``rows`` are (section, officers' mean,
    members' mean), a mean None when it is hidden. The two groups differ in shape as well as colour,
    each mark carries its mean as printed text, and a line joins the two means of a row so the gap
    reads as its length; the text alternative gives every mean and gap.
    """
    prefix = id_prefix or f"gap-{_slug(title)}-{next(_ids)}"
    font, small = 13.0, 11.5
    label_w, plot_w = 230.0, 420.0
    left = label_w + 24
    width = left + plot_w + 40
    low, top = scale[0][0], scale[-1][0]

    def x_of(value: float) -> float:
        return left + (value - low) / max(1, top - low) * plot_w

    def circle(x: float, y: float) -> str:
        return _mark_svg(GROUP_MARKS["officer"][1], x, y, 6, GROUP_MARKS["officer"][2])

    def triangle(x: float, y: float) -> str:
        return _mark_svg(GROUP_MARKS["member"][1], x, y, 6.5, GROUP_MARKS["member"][2])

    parts = [circle(7, 15), f'<text x="19" y="19.5" font-size="{small}" fill="{INK}">Officers\' mean</text>',
             triangle(137, 15), f'<text x="149" y="19.5" font-size="{small}" fill="{INK}">Members\' mean</text>']
    y = 40.0
    described: list[str] = []
    for name, officers, members in rows:
        lines = _wrap(name, label_w, font, 3)
        row_h = max(44.0, 16 * len(lines) + 12)
        mid = y + row_h / 2
        parts.append(f'<text x="{label_w:.1f}" text-anchor="end" font-size="{font}" fill="{INK}">'
                     f"{_tspans(lines, label_w, mid - (len(lines) - 1) * 8 + 4.5, 16)}</text>")
        parts.append(f'<line x1="{left:.1f}" y1="{mid:.1f}" x2="{left + plot_w:.1f}" y2="{mid:.1f}" '
                     f'stroke="{GRID}" stroke-width="1" stroke-dasharray="2 3"/>')
        shown = [(value, mark, above) for value, mark, above in ((officers, circle, False), (members, triangle, True))
                 if value is not None]
        if not shown:
            parts.append(f'<text x="{left:.1f}" y="{mid + 4:.1f}" font-size="{small}" fill="{INK}">'
                         "Figures hidden (too few councils)</text>")
            described.append(f"{name}: figures hidden")
            y += row_h
            continue
        if officers is not None and members is not None:
            parts.append(f'<line x1="{x_of(officers):.1f}" y1="{mid:.1f}" x2="{x_of(members):.1f}" y2="{mid:.1f}" '
                         f'stroke="{INK}" stroke-width="2"/>')
        for value, mark, above in shown:
            x = x_of(value)
            parts.append(mark(x, mid))
            # Officers' figure below the line, members' above, so close means never print over each other.
            parts.append(f'<text x="{x:.1f}" y="{mid + (-11 if above else 20):.1f}" text-anchor="middle" '
                         f'font-size="{small}" font-weight="bold" fill="{INK}" stroke="#ffffff" stroke-width="3" '
                         f'paint-order="stroke">{value:.2f}</text>')
        gap = "" if officers is None or members is None else f", gap {members - officers:+.2f}"
        described.append(f"{name}: officers {'hidden' if officers is None else f'{officers:.2f}'}, "
                         f"members {'hidden' if members is None else f'{members:.2f}'}{gap}")
        y += row_h
    plot_bottom = y + 2
    axis: list[str] = []
    for level, label in scale:
        x = x_of(level)
        lines = [str(level), *_wrap(label, plot_w / max(1, top - low) - 4, small, 2)]
        axis.append(f'<line x1="{x:.1f}" y1="36" x2="{x:.1f}" y2="{plot_bottom:.1f}" stroke="{GRID}" '
                    f'stroke-width="1"/>')
        axis.append(f'<text text-anchor="middle" font-size="{small}" fill="{INK}">'
                    f"{_tspans(lines, x, plot_bottom + 16, 14)}</text>")
    height = plot_bottom + 50
    desc = (f"Dot plot of officers' and members' mean levels in {len(rows)} sections, on a scale of {low} to {top}. "
            + "; ".join(described) + ".")
    return _svg("gap", prefix, width, height, title, desc, [*axis, *parts])


@dataclass(frozen=True)
class SpreadRow:
    """One section of a spread-of-views chart: each respondent's level by group, and the agreed level."""

    title: str
    marks: tuple[tuple[str, int], ...]  # (group, level)
    agreed: int | None


def group_levels(marks: Sequence[tuple[str, int]], group: str) -> str:
    """One group's levels in order, as text: "2, 3, 3" (or "none")."""
    return ", ".join(str(level) for who, level in sorted(marks) if who == group) or "none"


def mark_cells(marks: Sequence[tuple[str, int]], per_line: int) -> dict[tuple[str, int], list[tuple[int, int]]]:
    """Where each mark sits in its level's cell: (line, column) for each (group, level), a group's lines together."""
    cells: dict[tuple[str, int], list[tuple[int, int]]] = {}
    for group, level in marks:
        spots = cells.setdefault((group, level), [])
        spots.append(divmod(len(spots), per_line))
    return cells


def spread_svg(questionnaire: Questionnaire, rows: Sequence[SpreadRow], *, id_prefix: str | None = None) -> str:
    """A dot plot of individual views per section: one mark per respondent (officers circles, members triangles),
    the agreed level boxed and printed at the end of each row."""
    prefix = id_prefix or f"spread-{_slug(questionnaire.id)}-{next(_ids)}"
    levels = list(questionnaire.levels)
    top = max(levels)
    font, small, r = 13.0, 11.5, 5.0
    label_w, step, end_w = 230.0, 86.0, 120.0
    left = label_w + 12
    width = left + step * len(levels) + end_w
    per_line = int((step - 8) // (2 * r + 3))
    groups = [g for g in GROUP_MARKS if any(who == g for row in rows for who, _level in row.marks)]
    parts: list[str] = []
    # Legend: every shape named in words.
    x = 0.0
    for group in groups:
        name, shape, colour = GROUP_MARKS[group]
        parts.append(_mark_svg(shape, x + 6, 12, r, colour))
        parts.append(f'<text x="{x + 16:.1f}" y="16.5" font-size="{small}" fill="{INK}">{_e(name)}</text>')
        x += 30 + _text_width(name, small)
    parts.append(f'<rect x="{x:.1f}" y="4" width="22" height="16" fill="none" stroke="{INK}" stroke-width="2"/>'
                 f'<text x="{x + 28:.1f}" y="16.5" font-size="{small}" fill="{INK}">Agreed level</text>')
    y = 34.0
    axis_lines = [_wrap(f"{lv} {questionnaire.label(lv) or ''}", step - 4, small, 3) for lv in levels]
    described: list[str] = []
    for row in rows:
        cells = mark_cells(row.marks, per_line)
        lines_of = {g: max([line for (who, _lv), spots in cells.items() if who == g for line, _c in spots],
                           default=-1) + 1 for g in groups}
        marks_h = sum(max(n, 1) for n in lines_of.values()) * (2 * r + 4) + 8
        wrapped = _wrap(row.title, label_w, font, 4)
        row_h = max(marks_h, 16 * len(wrapped) + 10, 34.0)
        mid = y + row_h / 2
        parts.append(f'<text x="{label_w:.1f}" text-anchor="end" font-size="{font}" fill="{INK}">'
                     f"{_tspans(wrapped, label_w, mid - (len(wrapped) - 1) * 8 + 4.5, 16)}</text>")
        parts.append(f'<line x1="{left:.1f}" y1="{y + row_h:.1f}" x2="{left + step * len(levels):.1f}" '
                     f'y2="{y + row_h:.1f}" stroke="{GRID}" stroke-width="1"/>')
        if row.agreed in levels:
            ax = left + step * levels.index(row.agreed)
            parts.append(f'<rect x="{ax + 2:.1f}" y="{y + 2:.1f}" width="{step - 4:.1f}" height="{row_h - 4:.1f}" '
                         f'fill="none" stroke="{INK}" stroke-width="2.5"/>')
        line_y = y + 4 + r + 2
        for group in groups:
            for (who, level), spots in cells.items():
                if who != group or level not in levels:
                    continue
                name, shape, colour = GROUP_MARKS[group]
                cx0 = left + step * levels.index(level) + 6 + r
                for line, column in spots:
                    parts.append(_mark_svg(shape, cx0 + column * (2 * r + 3), line_y + line * (2 * r + 4), r, colour))
            line_y += max(lines_of[group], 1) * (2 * r + 4)
        agreed = f"Agreed {row.agreed}" if row.agreed is not None else "No agreed level"
        parts.append(f'<text x="{left + step * len(levels) + 8:.1f}" y="{mid + 4:.1f}" font-size="{small}" '
                     f'font-weight="bold" fill="{INK}">{_e(agreed)}</text>')
        counts = "; ".join(f"{GROUP_MARKS[g][0].lower()}s at levels {group_levels(row.marks, g)}"
                           for g in groups if any(who == g for who, _lv in row.marks)) or "no individual levels"
        described.append(f"{row.title}: agreed level {row.agreed if row.agreed is not None else 'none'}; {counts}")
        y += row_h
    plot_bottom = y
    for i, lines in enumerate(axis_lines):
        x0 = left + step * i
        parts.append(f'<line x1="{x0:.1f}" y1="34" x2="{x0:.1f}" y2="{plot_bottom:.1f}" stroke="{GRID}" '
                     f'stroke-width="1" stroke-dasharray="3 3"/>')
        parts.append(f'<text text-anchor="middle" font-size="{small}" fill="{INK}">'
                     f"{_tspans(lines, x0 + step / 2, plot_bottom + 16, 14)}</text>")
    height = plot_bottom + 20 + 14 * max(len(lines) for lines in axis_lines)
    title = f"{questionnaire.title}: the spread of individual views by section"
    desc = (f"Dot plot on a scale of {min(levels)} to {top}, one mark per respondent: officers as circles, members as "
            f"triangles; the agreed level is boxed. " + ". ".join(described) + ".")
    return _svg("spread", prefix, width, height, title, desc, parts)
