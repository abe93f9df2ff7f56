"""The accessible HTML twin and the SVG charts."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from flask import Flask

from assess.reports.charts import level_text, overall_chart_svg, radar_svg, section_bars_svg
from assess.reports.data import ReportData
from assess.reports.html import render_report_html


class Outline(HTMLParser):
    """Headings, ids and SVG structure of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.headings: list[tuple[str, str]] = []
        self.ids: set[str] = set()
        self.svgs: list[dict[str, str | None]] = []
        self._heading: str | None = None
        self._text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if attributes.get("id"):
            self.ids.add(str(attributes["id"]))
        if tag == "svg" and "assess-chart" in (attributes.get("class") or ""):
            self.svgs.append(attributes)
        if re.fullmatch(r"h[1-6]", tag):
            self._heading, self._text = tag, ""

    def handle_endtag(self, tag: str) -> None:
        if tag == self._heading:
            self.headings.append((tag, " ".join(self._text.split())))
            self._heading = None

    def handle_data(self, data: str) -> None:
        if self._heading:
            self._text += data


def text_of(html: str) -> str:
    """The page's text, tags removed, entities left as they are, whitespace collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_html_twin_holds_the_same_content(app: Flask, demo_report: ReportData) -> None:
    html = render_report_html(demo_report, pdf_url="/report.pdf")
    text = text_of(html)
    outline = Outline()
    outline.feed(html)
    assert outline.headings[0] == ("h1", "Maturity profile: Demo Borough Council")
    h2s = [title for tag, title in outline.headings if tag == "h2"]
    assert h2s == ["Summary", *(p.title for p in demo_report.questionnaires), "Appendix: every answer and comment"]
    for part in demo_report.questionnaires:
        assert level_text(part.profile.level, part.profile.label, part.top) in text
        for section in part.profile.sections:
            assert " ".join(section.title.split()) in text
            assert section.label and section.label in text
        for row in part.answers:
            assert " ".join(row.question.split()).replace("&", "&amp;").replace("'", "&#39;") in text
    assert 'href="/report.pdf"' in html
    assert "Tom Hughes (officer)" in text


def test_html_charts_have_text_alternatives(app: Flask, demo_report: ReportData) -> None:
    html = render_report_html(demo_report)
    outline = Outline()
    outline.feed(html)
    assert len(outline.svgs) == 1 + len(demo_report.questionnaires)
    for svg in outline.svgs:
        assert svg["role"] == "img"
        labelled_by = (svg["aria-labelledby"] or "").split()
        assert len(labelled_by) == 2 and all(i in outline.ids for i in labelled_by)
    assert len(outline.ids) == len(set(outline.ids))
    part = demo_report.questionnaires[0]
    assert "style=" not in html  # the Content-Security-Policy (style-src 'self') would block it
    desc = re.search(rf'<desc id="bars-{part.anchor}-desc">([^<]+)</desc>', html)
    assert desc
    for section in part.profile.sections:
        assert f"{section.title}: {level_text(section.level, section.label, part.top)}" in desc.group(1)


def test_stress_report_html_escapes_everything(app: Flask, stress_report: ReportData) -> None:
    with app.test_request_context():
        html = render_report_html(stress_report)
    assert "<markup>" not in html and "<pioneer>" not in html
    assert "&lt;markup&gt;" in html and "Innovator &amp; &lt;pioneer&gt;" in html


def test_section_bars_svg_escapes_and_describes(stress_report: ReportData) -> None:
    part = stress_report.questionnaires[0]
    svg = section_bars_svg(part.questionnaire, part.profile, id_prefix="x")
    assert svg.startswith("<svg") and 'role="img"' in svg and 'aria-labelledby="x-title x-desc"' in svg
    assert "<pioneer>" not in svg and "&lt;pioneer&gt;" in svg
    assert svg.count("<rect") == len([s for s in part.profile.sections if s.level is not None])
    # Each bar's level is printed as text, not told by colour alone.
    for section in part.profile.sections:
        assert f"(level {section.level} of 6)" in svg


def test_radar_svg_handles_few_items_and_no_level() -> None:
    cases = ([("One", 3, 5)], [("One", 3, 5), ("Two & <b>", None, 5)], [(f"Q{i}", i % 5 + 1, 5) for i in range(8)])
    for items in cases:
        svg = radar_svg(items, id_prefix="r")
        assert 'role="img"' in svg and '<title id="r-title">' in svg and '<desc id="r-desc">' in svg
        assert "<b>" not in svg
        for name, level, top in items:
            shown = name.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            assert f"{shown}: " + (f"level {level} of {top}" if level else "no level") in svg


def test_the_overall_chart_is_bars_below_three_questionnaires_and_a_radar_from_three() -> None:
    two = overall_chart_svg([("One", 3, 5), ("Two & <b>", None, 4)], id_prefix="o")
    assert "assess-chart--bars" in two and "<polygon" not in two and "<b>" not in two
    assert ">3/5</text>" in two and ">none</text>" in two
    assert "Bar chart of the overall level of 2 questionnaires. One: level 3 of 5; Two &amp; &lt;b&gt;: no level" in two
    three = overall_chart_svg([("One", 3, 5), ("Two", 2, 4), ("Three", 1, 5)], id_prefix="o")
    assert "assess-chart--radar" in three and "<polygon" in three


def test_charts_size_themselves_by_attributes_not_inline_style() -> None:
    # An inline style is refused by the Content-Security-Policy; the stylesheet scales the chart from these sizes.
    svg = radar_svg([("One", 3, 5), ("Two", 2, 5), ("Three", None, 5)], id_prefix="r")
    assert "style=" not in svg
    size = re.search(r'viewBox="0 0 (\d+) (\d+)" width="(\d+)" height="(\d+)"', svg)
    assert size and size.group(1, 2) == size.group(3, 4)
