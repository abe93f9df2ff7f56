"""The maturity-profile PDF pack, drawn with reportlab (platypus layout, reportlab.graphics charts).

Renders a :class:`~assess.reports.data.ReportData` only. Layout: a cover; a summary with every
questionnaire's overall level and a radar chart; a part per questionnaire (section levels as a
bar chart and a table, the scorer's explanations, strengths, areas for improvement, signposted
resources); and an appendix with every answer and comment. Every page after the cover has a
running header (council and round); every page has "Page N of M". The outline has one entry per
questionnaire. Levels are always printed as text; colours are Okabe-Ito (colour-blind safe).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from io import BytesIO
from typing import Any
from xml.sax.saxutils import escape

from reportlab.graphics.shapes import Circle, Drawing, Line, Polygon, Rect, Shape, String
from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    CondPageBreak,
    Flowable,
    Frame,
    KeepTogether,
    NextPageTemplate,
    PageBreak,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)
from reportlab.platypus.flowables import HRFlowable

from assess.reports.charts import (
    GROUP_MARKS,
    LEVEL_COLOURS,
    OKABE_ITO,
    RADAR_MINIMUM,
    SpreadRow,
    group_levels,
    level_colour,
    level_text,
    mark_cells,
)
from assess.reports.data import QuestionnaireReport, ReportData, long_date
from assess.reports.pack import Pack, PackPart
from scoring import Profile, Questionnaire

PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN = 18 * mm
TOP = 24 * mm
BOTTOM = 20 * mm
FRAME_WIDTH = PAGE_WIDTH - 2 * MARGIN

INK = colors.HexColor("#0b0c0c")
SECONDARY = colors.HexColor("#505a5f")
RULE = colors.HexColor("#b1b4b6")
LIGHT = colors.HexColor("#f3f2f1")
ACCENT = colors.HexColor(OKABE_ITO["blue"])

REGULAR, BOLD, ITALIC = "Helvetica", "Helvetica-Bold", "Helvetica-Oblique"


def _style(name: str, **kw: Any) -> ParagraphStyle:
    base: dict[str, Any] = {"fontName": REGULAR, "fontSize": 10, "leading": 13.5, "textColor": INK,
                            "alignment": TA_LEFT}
    base.update(kw)
    return ParagraphStyle(name, **base)


STYLES = {
    "cover-kicker": _style("cover-kicker", fontName=BOLD, fontSize=14, leading=18, textColor=ACCENT, spaceAfter=6),
    "cover-title": _style("cover-title", fontName=BOLD, fontSize=28, leading=33, spaceAfter=10),
    "cover-sub": _style("cover-sub", fontSize=16, leading=21, spaceAfter=18),
    "h1": _style("h1", fontName=BOLD, fontSize=20, leading=25, spaceAfter=8, keepWithNext=1),
    "h2": _style("h2", fontName=BOLD, fontSize=14, leading=18, spaceBefore=12, spaceAfter=6, keepWithNext=1),
    "h3": _style("h3", fontName=BOLD, fontSize=11.5, leading=15, spaceBefore=9, spaceAfter=4, keepWithNext=1),
    "body": _style("body", spaceAfter=6),
    "intro": _style("intro", spaceAfter=6, keepWithNext=1),
    "lead": _style("lead", fontSize=11.5, leading=15.5, spaceAfter=8),
    "small": _style("small", fontSize=8.5, leading=11, textColor=SECONDARY),
    "small-keep": _style("small-keep", fontSize=8.5, leading=11, textColor=SECONDARY, keepWithNext=1),
    "cell": _style("cell", fontSize=8.5, leading=11),
    "cell-bold": _style("cell-bold", fontName=BOLD, fontSize=8.5, leading=11),
    "cell-head": _style("cell-head", fontName=BOLD, fontSize=8.5, leading=11),
    "bullet": _style("bullet", leftIndent=12, bulletIndent=2, spaceAfter=3),
    "question": _style("question", fontName=BOLD, fontSize=9.5, leading=12.5, spaceBefore=6, spaceAfter=2,
                       keepWithNext=1),
    "answer": _style("answer", fontSize=9, leading=12, leftIndent=10, spaceAfter=1),
    "answer-keep": _style("answer-keep", fontSize=9, leading=12, leftIndent=10, spaceAfter=1, keepWithNext=1),
    "dl-term": _style("dl-term", fontName=BOLD, fontSize=10, leading=13.5),
}


def _p(text: str, style: str = "body") -> Paragraph:
    """A paragraph of plain text (escaped)."""
    return Paragraph(escape(text), STYLES[style])


def _pm(markup: str, style: str = "body") -> Paragraph:
    """A paragraph of trusted markup (callers escape every value in it)."""
    return Paragraph(markup, STYLES[style])


#: The most text one paragraph of the appendix holds. reportlab wraps a paragraph again each time it
#: splits it across a page, so one long paragraph costs time that grows with the square of its length;
#: pieces of this size keep a long answer's cost in proportion to its length.
LONGEST_PARAGRAPH = 1_500


def text_pieces(text: str, longest: int = LONGEST_PARAGRAPH) -> list[str]:
    """Text cut into pieces of at most `longest` characters: at line breaks, else at spaces, else anywhere."""
    pieces: list[str] = []
    for line in text.splitlines() or [""]:
        while len(line) > longest:
            cut = line.rfind(" ", 0, longest + 1)
            cut = cut if cut > 0 else longest
            pieces.append(line[:cut])
            line = line[cut:].lstrip(" ")
        if line.strip() or not pieces:
            pieces.append(line)
    return pieces


def _bookmarked(paragraph: Paragraph, key: str, title: str, level: int) -> Paragraph:
    paragraph._assess_bookmark = (key, title, level)
    return paragraph


# --- the document -----------------------------------------------------------------------------


class _Canvas(Canvas):  # type: ignore[misc]
    """A canvas that fills in the total page count (a form used by every footer) when saved."""

    def save(self) -> None:
        total = self.getPageNumber() - (0 if self._code else 1)
        self.beginForm("assess-page-total")
        self.setFont(REGULAR, 8.5)
        self.setFillColor(SECONDARY)
        self.drawString(0, 0, str(total))
        self.endForm()
        super().save()


class _Document(BaseDocTemplate):  # type: ignore[misc]
    def __init__(self, target: BytesIO, report: ReportData, draft: bool = False) -> None:
        self.report = report
        self.draft = draft
        super().__init__(
            target,
            pagesize=A4,
            leftMargin=MARGIN,
            rightMargin=MARGIN,
            topMargin=TOP,
            bottomMargin=BOTTOM,
            title=f"{report.title}: {report.organisation.official_name}, {report.round.title}",
            author=report.organisation.official_name,
            subject=report.subject,
            creator="assess (self-assessment maturity questionnaires)",
            keywords=["maturity profile", "self-assessment", report.organisation.code],
            lang="en-GB",
            displayDocTitle=1,
        )
        frame = Frame(MARGIN, BOTTOM, FRAME_WIDTH, PAGE_HEIGHT - TOP - BOTTOM, id="body", leftPadding=0,
                      rightPadding=0, topPadding=0, bottomPadding=0)
        self.addPageTemplates([
            PageTemplate(id="cover", frames=[frame], onPage=self._cover_page),
            PageTemplate(id="body", frames=[frame], onPage=self._body_page),
        ])

    def afterFlowable(self, flowable: Flowable) -> None:
        bookmark = getattr(flowable, "_assess_bookmark", None)
        if bookmark:
            key, title, level = bookmark
            self.canv.bookmarkPage(key)
            self.canv.addOutlineEntry(title, key, level=level, closed=level > 0)

    def _footer(self, canvas: Canvas) -> None:
        if self.draft:
            self._draft_mark(canvas)
        canvas.saveState()
        canvas.setStrokeColor(RULE)
        canvas.setLineWidth(0.5)
        canvas.line(MARGIN, BOTTOM - 7 * mm, PAGE_WIDTH - MARGIN, BOTTOM - 7 * mm)
        canvas.setFont(REGULAR, 8.5)
        canvas.setFillColor(SECONDARY)
        y = BOTTOM - 11 * mm
        text = f"Page {canvas.getPageNumber()} of "
        canvas.drawString(MARGIN, y, text)
        canvas.saveState()
        canvas.translate(MARGIN + stringWidth(text, REGULAR, 8.5), y)
        canvas.doForm("assess-page-total")
        canvas.restoreState()
        right = f"{self.report.title}, generated {long_date(self.report.generated)}"
        canvas.drawRightString(PAGE_WIDTH - MARGIN, y, _fit(right, REGULAR, 8.5, FRAME_WIDTH * (0.5 if self.draft
                                                                                              else 0.6)))
        canvas.restoreState()

    @staticmethod
    def _draft_mark(canvas: Canvas) -> None:
        """DRAFT across the page (behind the text) and at its foot, so no page can pass for the published pack."""
        canvas.saveState()
        canvas.setFillColor(colors.HexColor("#e8e8e8"))
        canvas.translate(PAGE_WIDTH / 2, PAGE_HEIGHT / 2)
        canvas.rotate(50)
        canvas.setFont(BOLD, 110)
        canvas.drawCentredString(0, -38, "DRAFT")
        canvas.restoreState()
        canvas.saveState()
        canvas.setFont(BOLD, 8.5)
        canvas.setFillColor(colors.HexColor("#d4351c"))
        canvas.drawString(MARGIN + 62, BOTTOM - 11 * mm, "DRAFT: not yet published")
        canvas.restoreState()

    def _cover_page(self, canvas: Canvas, _doc: BaseDocTemplate) -> None:
        canvas.saveState()
        canvas.setFillColor(ACCENT)
        canvas.rect(0, PAGE_HEIGHT - 10 * mm, PAGE_WIDTH, 10 * mm, stroke=0, fill=1)
        canvas.restoreState()
        self._footer(canvas)

    def _body_page(self, canvas: Canvas, _doc: BaseDocTemplate) -> None:
        canvas.saveState()
        y = PAGE_HEIGHT - 13 * mm
        canvas.setFont(BOLD, 8.5)
        canvas.setFillColor(INK)
        half = FRAME_WIDTH / 2 - 6
        canvas.drawString(MARGIN, y, _fit(self.report.organisation.official_name, BOLD, 8.5, half))
        canvas.setFont(REGULAR, 8.5)
        canvas.setFillColor(SECONDARY)
        canvas.drawRightString(PAGE_WIDTH - MARGIN, y, _fit(self.report.round.title, REGULAR, 8.5, half))
        canvas.setStrokeColor(ACCENT)
        canvas.setLineWidth(1.5)
        canvas.line(MARGIN, y - 4, PAGE_WIDTH - MARGIN, y - 4)
        canvas.restoreState()
        self._footer(canvas)


def _fit(text: str, font: str, size: float, width: float) -> str:
    """Text cut (with an ellipsis) to fit one line of ``width`` points."""
    if stringWidth(text, font, size) <= width:
        return text
    while text and stringWidth(text + "\u2026", font, size) > width:
        text = text[:-1]
    return text.rstrip() + "\u2026"


def render_pdf(report: ReportData) -> bytes:
    """The maturity-profile PDF of a report."""
    buffer = BytesIO()
    doc = _Document(buffer, report)
    story: list[Flowable] = []
    story += _cover(report)
    story += _summary(report)
    for part in report.questionnaires:
        story += _questionnaire(part)
    story += _appendix(report)
    doc.build(story, canvasmaker=_Canvas)
    return buffer.getvalue()


# --- cover and summary ------------------------------------------------------------------------


def _cover(report: ReportData, extra: Sequence[tuple[str, str]] = (),
           note: str = "An accessible HTML version of this report, with the same content, can be downloaded from "
                        "the results page.", pending: str = "Not yet submitted") -> list[Flowable]:
    org = report.organisation
    story: list[Flowable] = [
        NextPageTemplate("body"),
        Spacer(1, 30 * mm),
        _p(report.title, "cover-kicker"),
        _bookmarked(_p(org.official_name, "cover-title"), "cover", "Cover", 0),
        _p(report.round.title, "cover-sub"),
    ]
    facts = [
        ("Council", f"{org.official_name} ({org.code})"),
        ("Council type and region", f"{org.type}, {org.region}"),
        ("Assessment round", report.round.title),
        ("Report date", long_date(report.generated)),
        ("Questionnaires", "\n".join(q.title for q in report.questionnaires)),
    ]
    if report.pending:
        facts.append((pending, "\n".join(report.pending)))
    if not report.respondents_hidden:
        facts.append(("Respondents", "\n".join(r.description for r in report.respondents) or "None yet"))
    bases = {q.basis for q in report.questionnaires}
    facts.append(("Figures based on", bases.pop() if len(bases) == 1
                  else "\n".join(f"{q.title}: {q.basis}" for q in report.questionnaires)))
    facts += extra
    rows = [[_p(term, "dl-term"), _pm("<br/>".join(escape(line) for line in value.split("\n")))]
            for term, value in facts]
    table = Table(rows, colWidths=[48 * mm, FRAME_WIDTH - 48 * mm], splitInRow=1)
    table.setStyle(TableStyle([
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LINEBELOW", (0, 0), (-1, -1), 0.5, RULE),
        ("TOPPADDING", (0, 0), (-1, -1), 6),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
        ("LEFTPADDING", (0, 0), (-1, -1), 0),
    ]))
    story += [table, Spacer(1, 10 * mm), _p(
        f"Levels are given in words and numbers throughout; colours only repeat them. {note}", "small")]
    return story


def _level_cell(level: int | None, label: str | None, top: int, style: str = "cell") -> Paragraph:
    return _p(level_text(level, label, top), style)


def _summary(report: ReportData, title: str = "Summary", pending: str = "No submitted response yet") -> list[Flowable]:
    story: list[Flowable] = [PageBreak()]
    opening: list[Flowable] = [
        _bookmarked(_p(title, "h1"), "summary", title, 0),
        _p(f"The overall maturity level of each questionnaire answered in the round '{report.round.title}'.", "lead"),
    ]
    bases = {q.basis for q in report.questionnaires}
    shared_basis = bases.pop() if len(bases) == 1 else None
    headings = ["Questionnaire", "Overall level", "What set the level"] + ([] if shared_basis else ["Based on"])
    rows: list[list[Flowable]] = [[_p(h, "cell-head") for h in headings]]
    colours: list[tuple[int, colors.Color]] = []
    for i, part in enumerate(report.questionnaires, start=1):
        profile = part.profile
        row = [
            _p(part.title, "cell-bold"),
            _level_cell(profile.level, profile.label, part.top, "cell-bold"),
            _p(profile.explanation, "cell"),
        ]
        if not shared_basis:
            row.append(_p(part.basis, "cell"))
        rows.append(row)
        colours.append((i, _colour_of(part.questionnaire, profile.level)))
    widths = [0.3, 0.22, 0.48] if shared_basis else [0.26, 0.2, 0.34, 0.2]
    table = _table(rows, widths)
    for row_number, colour in colours:
        table.setStyle(TableStyle([("LINEBEFORE", (1, row_number), (1, row_number), 5, colour, "butt")]))
    story.append(KeepTogether([*opening, table]))  # the heading never stranded at a page foot
    if shared_basis:
        story.append(Spacer(1, 2 * mm))
        story.append(_pm(f"<b>Based on:</b> {escape(shared_basis)}", "body"))
    if report.pending:
        story.append(_p(f"{pending}: " + ", ".join(report.pending) + ".", "body"))
    items = [(q.title, q.profile.level, q.top) for q in report.questionnaires]
    story += [
        KeepTogether([
            _p("Overall levels across questionnaires", "h2"),
            *((radar_drawing(items),
               _p("Each spoke runs from the centre (no level) to the top level of its questionnaire; the figure "
                  "beside each point is the level reached out of the top level.", "small"))
              if len(items) >= RADAR_MINIMUM else
              (overall_bars_drawing(items),
               _p("Each bar runs from no level to the top level of its questionnaire; the figure at its end is the "
                  "level reached out of the top level.", "small"))),
        ]),
    ]
    return story


def _table(rows: Sequence[Sequence[Flowable]], fractions: Sequence[float], header: bool = True) -> Table:
    table = Table([list(r) for r in rows], colWidths=[f * FRAME_WIDTH for f in fractions],
                  repeatRows=1 if header else 0, splitInRow=1)
    commands: list[tuple[Any, ...]] = [
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LINEBELOW", (0, 0), (-1, -1), 0.5, RULE),
        ("TOPPADDING", (0, 0), (-1, -1), 4),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
        ("LEFTPADDING", (0, 0), (-1, -1), 5),
        ("RIGHTPADDING", (0, 0), (-1, -1), 5),
    ]
    if header:
        commands += [("BACKGROUND", (0, 0), (-1, 0), LIGHT), ("LINEBELOW", (0, 0), (-1, 0), 1, INK)]
    table.setStyle(TableStyle(commands))
    return table


def _colour_of(questionnaire: Questionnaire, level: int | None) -> colors.Color:
    if level is None or level not in questionnaire.levels:
        return colors.white
    levels = questionnaire.levels
    return colors.HexColor(level_colour(levels.index(level), len(levels)))


# --- one questionnaire ------------------------------------------------------------------------


def _questionnaire(part: QuestionnaireReport) -> list[Flowable]:
    q, profile = part.questionnaire, part.profile
    story: list[Flowable] = [
        CondPageBreak(110 * mm),
        _bookmarked(_p(q.title, "h1"), part.anchor, q.title, 0),
    ]
    if q.description:
        story.append(_p(q.description.strip(), "body"))
    story.append(_pm(f"<b>Based on:</b> {escape(part.basis)}", "body"))
    story.append(_pm(
        f"<b>Overall level:</b> {escape(level_text(profile.level, profile.label, part.top))}. "
        f"{escape(profile.explanation)}", "lead"))

    story += [_p("Section levels", "h2"), section_bars_drawing(q, profile), Spacer(1, 3 * mm)]
    head = [_p(h, "cell-head") for h in ("Section", "Level", "Answered", "What set the level")]
    rows: list[list[Flowable]] = [head]
    for result in profile.sections:
        rows.append([
            _p(result.title, "cell-bold"),
            _level_cell(result.level, result.label, part.top),
            _p(f"{result.answered} of {result.applicable}", "cell"),
            _p(result.explanation, "cell"),
        ])
    table = _table(rows, [0.3, 0.2, 0.12, 0.38])
    for row, result in enumerate(profile.sections, start=1):
        table.setStyle(TableStyle([("LINEBEFORE", (1, row), (1, row), 5, _colour_of(q, result.level), "butt")]))
    story.append(table)

    story += _strengths(part)

    story.append(_p("Signposted resources", "h2"))
    if part.resources:
        rows = [[_p(h, "cell-head") for h in ("Resource", "Kind", "Why it is suggested")]]
        for item in part.resources:
            title = escape(item.resource.title)
            if item.resource.url:
                url = escape(item.resource.url, {'"': "&quot;"})
                title = f'<link href="{url}" color="#1d70b8"><u>{title}</u></link><br/>' \
                        f'<font size="7.5" color="#505a5f">{escape(item.resource.url)}</font>'
            rows.append([_pm(title, "cell"), _p(item.resource.kind.replace("-", " ").capitalize(), "cell"),
                         _p(item.reason, "cell")])
        story.append(_table(rows, [0.5, 0.15, 0.35]))
    else:
        story.append(_p("No resources are signposted for these levels.", "body"))
    return story


def _strengths(part: QuestionnaireReport) -> list[Flowable]:
    """Strengths and areas for improvement: what set each level, and the gap to its target."""
    story: list[Flowable] = []
    for heading, sections, where, high in (("Strengths", part.strengths, "the highest level reached", True),
                                           ("Areas for improvement", part.improvements, "the lowest level reached",
                                            False)):
        if not sections:
            levelled = [s for s in part.profile.sections if s.level is not None]
            text = (f"Every section is at the same level "
                    f"({level_text(levelled[0].level, levelled[0].label, part.top)}), so none stands out."
                    if levelled else "Too few answers to tell.")
            story.append(KeepTogether([_p(heading, "h2"), _p(text, "body")]))
            continue
        items: list[Flowable] = [_p(heading, "h2"), _p(f"Sections at {where}, and what set their level:", "intro")]
        items += [Paragraph(f"<b>{escape(result.title)}</b> "
                            f"({escape(level_text(result.level, result.label, part.top))}): "
                            f"{escape(part.what_set(result, high))}", STYLES["bullet"], bulletText="\u2022")
                  for result in sections]
        story += [KeepTogether(items[:3]), *items[3:]]
    return story


# --- appendix ---------------------------------------------------------------------------------


def _appendix(report: ReportData, title: str = "Appendix: every answer and comment",
              intro: str = "Each question as it was shown, with the answer the figures are based on and any comment "
                           "or evidence note.", comment: str = "Comment") -> list[Flowable]:
    story: list[Flowable] = [
        CondPageBreak(120 * mm),
        _bookmarked(_p(title, "h1"), "appendix", title, 0),
        _p(intro, "body"),
    ]
    for part in report.questionnaires:
        key = f"appendix-{part.questionnaire.id}"
        story.append(CondPageBreak(60 * mm))
        story.append(_bookmarked(_p(part.title, "h2"), key, f"Answers: {part.title}", 1))
        story.append(_p(f"Based on: {part.basis}", "small-keep"))
        number = 0
        for section in part.questionnaire.sections:
            rows = part.answers_in(section.id)
            if not rows:
                continue
            story.append(_p(section.title, "h3"))
            for row in rows:
                number += 1
                block: list[Flowable] = [_p(f"{number}. {row.question}", "question")]
                first, *rest = text_pieces(row.answer)
                answer = escape(first)
                if row.level is not None:
                    answer = f"<b>{escape(level_text(row.level, row.level_label, part.top))}:</b> {answer}"
                paragraphs = [f"<i>Answer:</i> {answer}", *map(escape, rest)]
                if row.comment:
                    first, *rest = text_pieces(row.comment)
                    paragraphs += [f"<i>{comment}:</i> {escape(first)}", *map(escape, rest)]
                if row.spread:
                    spread = "; ".join(f"{escape(s.answer)} ({s.count})" for s in row.spread)
                    paragraphs.append(f"<i>Individual answers:</i> {spread}")
                # Question, answer and comment stay together (a long one may run on to the next page).
                last = len(paragraphs) - 1
                block += [_pm(text, "answer-keep" if i < last and len(paragraphs) <= 3 else "answer")
                          for i, text in enumerate(paragraphs)]
                block.append(HRFlowable(width="100%", thickness=0.3, color=RULE, spaceBefore=3, spaceAfter=0))
                # The question's style keeps it with its answer; a long comment may run on to the next page.
                story.extend(block)
    return story


# --- charts (reportlab.graphics) --------------------------------------------------------------


def _lines(text: str, font: str, size: float, width: float, max_lines: int) -> list[str]:
    lines = simpleSplit(text, font, size, width) or [""]
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        lines[-1] = _fit(lines[-1] + "\u2026", font, size, width)
    return list(lines)


def section_bars_drawing(questionnaire: Questionnaire, profile: Profile, width: float = FRAME_WIDTH) -> Drawing:
    """A horizontal bar chart of section levels: level labels on the axis, the level printed at each bar's end."""
    scale = questionnaire.scale
    levels = [s.level for s in scale]
    low, top = min(levels), max(levels)
    size, small = 8.5, 7.5
    label_w = 0.3 * width
    texts = [level_text(r.level, r.label, top) for r in profile.sections]
    # Room after the longest bar for its level; a long level label wraps rather than squeezing the bars.
    end_w: float = min(max(stringWidth(t, BOLD, small) for t in texts) + 8, 0.25 * width)
    left = label_w + 8
    bar_area = width - left - end_w - 2
    step = bar_area / (top - low + 1)

    def x_of(level: int) -> float:
        return left + (level - low + 1) * step

    # Axis labels wrap between ticks; shrink them when a single word would not fit.
    longest = max(stringWidth(word, REGULAR, 1) for s in scale for word in s.label.split() or [""])
    axis_size = max(5.0, min(small, (step - 3) / longest)) if longest else small
    axis = [_lines(s.label, REGULAR, axis_size, step - 3, 3) for s in scale]
    axis_h = 12 + 9 * max(len(a) for a in axis)
    rows = []
    for result, text in zip(profile.sections, texts, strict=True):
        title = _lines(result.title, REGULAR, size, label_w, 4)
        text_x = (x_of(result.level) if result.level is not None else left) + 4
        level_lines = _lines(text, BOLD, small, width - text_x - 2, 3)
        row_h = max(22.0, 10.5 * len(title) + 8, 9 * len(level_lines) + 10)
        rows.append((result, title, text_x, level_lines, row_h))
    height = sum(r[-1] for r in rows) + 6 + axis_h
    d = Drawing(width, height)
    d.add(Line(left, axis_h, left, height, strokeColor=INK, strokeWidth=0.8))
    for level, lines in zip(levels, axis, strict=True):
        x = x_of(level)
        d.add(Line(x, axis_h, x, height, strokeColor=RULE, strokeWidth=0.5, strokeDashArray=[2, 2]))
        d.add(String(x, axis_h - 10, str(level), fontName=BOLD, fontSize=small, textAnchor="middle", fillColor=INK))
        for j, line in enumerate(lines):
            d.add(String(x, axis_h - 19 - 9 * j, line, fontName=REGULAR, fontSize=axis_size, textAnchor="middle",
                         fillColor=INK))
    y = height
    for result, title, text_x, level_lines, row_h in rows:
        mid = y - row_h / 2
        first = mid + (len(title) - 1) * 10.5 / 2 - 3
        for j, line in enumerate(title):
            d.add(String(label_w, first - 10.5 * j, line, fontName=REGULAR, fontSize=size, textAnchor="end",
                         fillColor=INK))
        if result.level is not None:
            fill = colors.HexColor(level_colour(levels.index(result.level), len(levels))) \
                if result.level in levels else ACCENT
            d.add(Rect(left, mid - 7, x_of(result.level) - left, 14, fillColor=fill, strokeColor=INK,
                       strokeWidth=0.6))
        first = mid + (len(level_lines) - 1) * 9 / 2 - 2.7
        for j, line in enumerate(level_lines):
            d.add(Rect(text_x - 1.5, first - 9 * j - 2.3, stringWidth(line, BOLD, small) + 3, 9.5,
                       fillColor=colors.white, strokeColor=None))
            d.add(String(text_x, first - 9 * j, line, fontName=BOLD, fontSize=small, fillColor=INK))
        y -= row_h
    return d


def radar_drawing(items: Sequence[tuple[str, int | None, int]], width: float = FRAME_WIDTH) -> Drawing:
    """A radar chart of overall levels across questionnaires, each point labelled "level/top"."""
    n = len(items)
    radius = 90.0
    height = 2 * radius + 2 * 48  # room above and below for labels of up to three lines
    d = Drawing(width, height)
    cx, cy = width / 2, height / 2
    tops = {top for _name, _level, top in items}
    common_top = next(iter(tops)) if len(tops) == 1 else None
    rings = common_top or 4

    def angle(i: int) -> float:
        return math.pi / 2 - 2 * math.pi * i / max(n, 1)

    def point(i: int, fraction: float) -> tuple[float, float]:
        a = angle(i)
        return cx + radius * fraction * math.cos(a), cy + radius * fraction * math.sin(a)

    for ring in range(1, rings + 1):
        fraction = ring / rings
        if n >= 3:
            pts = [c for i in range(n) for c in point(i, fraction)]
            d.add(Polygon(pts, fillColor=None, strokeColor=RULE, strokeWidth=0.6))
        else:
            d.add(Circle(cx, cy, radius * fraction, fillColor=None, strokeColor=RULE, strokeWidth=0.6))
        label = str(ring) if common_top else f"{ring * 100 // rings}%"
        d.add(String(cx - 4, cy + radius * fraction - 9, label, fontName=REGULAR, fontSize=7, textAnchor="end",
                     fillColor=SECONDARY))
    label_w = (width - 2 * radius) / 2 - 22
    for i, (name, _level, _top) in enumerate(items):
        x, y = point(i, 1.0)
        d.add(Line(cx, cy, x, y, strokeColor=RULE, strokeWidth=0.6))
        cos, sin = math.cos(angle(i)), math.sin(angle(i))
        lx, ly = point(i, 1.0 + 12 / radius)
        anchor = "middle" if abs(cos) < 0.3 else ("start" if cos > 0 else "end")
        lines = _lines(name, BOLD, 8, 150 if anchor == "middle" else label_w, 3)
        if sin > 0.5:
            first = ly + 2 + 9.5 * (len(lines) - 1)
        elif sin < -0.5:
            first = ly - 8
        else:
            first = ly - 3 + 9.5 * (len(lines) - 1) / 2
        for j, line in enumerate(lines):
            d.add(String(lx, first - 9.5 * j, line, fontName=BOLD, fontSize=8, textAnchor=anchor, fillColor=INK))
    fractions = [(level / top if level is not None and top else 0.0) for _name, level, top in items]
    if n >= 2:
        pts = [c for i, f in enumerate(fractions) for c in point(i, f)]
        d.add(Polygon(pts, fillColor=colors.HexColor(OKABE_ITO["sky-blue"], hasAlpha=False), fillOpacity=0.35,
                      strokeColor=ACCENT, strokeWidth=1.8))
    for i, ((_name, level, top), fraction) in enumerate(zip(items, fractions, strict=True)):
        x, y = point(i, fraction)
        d.add(Circle(x, y, 3.2, fillColor=ACCENT, strokeColor=colors.white, strokeWidth=1))
        text = f"{level}/{top}" if level is not None else "none"
        tw = stringWidth(text, BOLD, 8)
        d.add(Rect(x + 4, y + 2, tw + 3, 10, fillColor=colors.white, strokeColor=None))
        d.add(String(x + 5.5, y + 4.5, text, fontName=BOLD, fontSize=8, fillColor=INK))
    return d


def overall_bars_drawing(items: Sequence[tuple[str, int | None, int]], width: float = FRAME_WIDTH) -> Drawing:
    """A bar per questionnaire (fewer than a radar needs), its length the level out of the top, "level/top" beside."""
    size, label_w = 8.5, 0.3 * width
    left = label_w + 8
    bar_area = width - left - 40
    rows = [(_lines(name, BOLD, size, label_w, 3), level, top) for name, level, top in items]
    heights = [max(24.0, 10.5 * len(lines) + 8) for lines, _level, _top in rows]
    height = sum(heights) + 16
    d = Drawing(width, height)
    d.add(Line(left, 12, left, height, strokeColor=INK, strokeWidth=0.8))
    d.add(Line(left + bar_area, 12, left + bar_area, height, strokeColor=RULE, strokeWidth=0.5,
               strokeDashArray=[2, 2]))
    d.add(String(left + bar_area, 2, "Top level", fontName=REGULAR, fontSize=7.5, textAnchor="middle",
                 fillColor=INK))
    y = height
    for (lines, level, top), row_h in zip(rows, heights, strict=True):
        mid = y - row_h / 2
        first = mid + (len(lines) - 1) * 10.5 / 2 - 3
        for j, line in enumerate(lines):
            d.add(String(label_w, first - 10.5 * j, line, fontName=BOLD, fontSize=size, textAnchor="end",
                         fillColor=INK))
        end = left + (bar_area * level / top if level is not None and top else 0.0)
        if level is not None and top:
            d.add(Rect(left, mid - 7, end - left, 14, fillColor=colors.HexColor(OKABE_ITO["sky-blue"]),
                       strokeColor=INK, strokeWidth=0.6))
        d.add(String(end + 4, mid - 3, f"{level}/{top}" if level is not None else "none", fontName=BOLD,
                     fontSize=8, fillColor=INK))
        y -= row_h
    return d


__all__ = ["LEVEL_COLOURS", "overall_bars_drawing", "radar_drawing", "render_pack_pdf", "render_pdf",
           "section_bars_drawing", "spread_drawing"]


# --- the peer-challenge pack ------------------------------------------------------------------


def render_pack_pdf(pack: Pack) -> bytes:
    """The peer-challenge pack as a PDF (DRAFT on every page until the round is published)."""
    buffer = BytesIO()
    report = pack.report
    doc = _Document(buffer, report, draft=pack.draft)
    invited = sum(g.invited for g in pack.participation)
    responded = sum(g.responded for g in pack.participation)
    story: list[Flowable] = _cover(report, [
        ("Status", pack.status_text),
        ("Participation", f"{responded} of {invited} people asked gave their own views"),
    ], note="An accessible HTML version of this pack, with the same content, is linked from the round's pages.",
        pending="Agreed answers not yet confirmed")
    story += [PageBreak(), _bookmarked(_p("Key messages", "h1"), "messages", "Key messages", 0)]
    story += [Paragraph(escape(m), STYLES["bullet"], bulletText="\u2022") for m in pack.messages]
    story += _participation(pack)
    # On the page of the key messages when there is room.
    story += _summary(report, "Overall levels", "Agreed answers not yet confirmed")[1:]
    for part in pack.parts:
        story += _pack_questionnaire(part)
    story += _appendix(report, "Appendix: agreed answers and their notes",
                       "Each question as it was shown, with the agreed answer, the note of why, and the individual "
                       "answers it was agreed from.", comment="Note")
    doc.build(story, canvasmaker=_Canvas)
    return buffer.getvalue()


def _heading(text: str, style: str, key: str, level: int, *following: Flowable) -> KeepTogether:
    """A bookmarked heading kept on the page of what follows it."""
    return KeepTogether([_bookmarked(_p(text, style), key, text, level), *following])


def _participation(pack: Pack) -> list[Flowable]:
    rows: list[list[Flowable]] = [[_p(h, "cell-head") for h in (
        "Group", "Asked", "Gave their own views", "Submitted every questionnaire")]]
    for g in pack.participation:
        rows.append([_p(g.group, "cell-bold"), _p(str(g.invited), "cell"), _p(str(g.responded), "cell"),
                     _p(str(g.finished), "cell")])
    by_part: list[list[Flowable]] = [[_p(h, "cell-head") for h in ("Questionnaire", "Officers", "Members")]]
    for part in pack.parts:
        by_part.append([_p(part.title, "cell"), _p(str(part.respondents.get("officer", 0)), "cell"),
                        _p(str(part.respondents.get("member", 0)), "cell")])
    return [
        _heading("Participation", "h1", "participation", 0, Spacer(1, 2 * mm),
                 _p("Everyone in the council's officer and member groups was asked for their own views before the "
                    "team agreed the council's answers.", "body"), _table(rows, [0.31, 0.17, 0.26, 0.26])),
        Spacer(1, 3 * mm),
        KeepTogether([_p("Individual responses submitted to each questionnaire", "h3"),
                      _table(by_part, [0.6, 0.2, 0.2])]),
    ]


def _pack_questionnaire(part: PackPart) -> list[Flowable]:
    report, q = part.report, part.report.questionnaire
    key = part.anchor
    opening: list[Flowable] = [
        _bookmarked(_p(q.title, "h1"), key, q.title, 0),
        _pm(f"<b>Overall agreed level:</b> {escape(part.level_text(report.profile.level))}. "
            f"{escape(report.profile.explanation)}", "lead"),
    ]
    story: list[Flowable] = [CondPageBreak(120 * mm)]
    # Agreed levels, with the scorer's explanation.
    rows: list[list[Flowable]] = [[_p(h, "cell-head") for h in ("Section", "Agreed level", "What set the level")]]
    for view in part.sections:
        rows.append([_p(view.title, "cell-bold"), _p(part.level_text(view.agreed), "cell"),
                     _p(view.explanation, "cell")])
    table = _table(rows, [0.3, 0.22, 0.48])
    for row, view in enumerate(part.sections, start=1):
        table.setStyle(TableStyle([("LINEBEFORE", (1, row), (1, row), 5, _colour_of(q, view.agreed), "butt")]))
    # The questionnaire's title, overall level and agreed levels start on one page.
    story.append(KeepTogether([*opening, _bookmarked(_p("Agreed levels", "h2"), f"{key}-agreed", "Agreed levels", 1),
                               table]))
    story += _strengths(report)

    # The spread of individual views.
    spread = spread_drawing(q, [SpreadRow(v.title, v.marks, v.agreed) for v in part.sections])
    rows = [[_p(h, "cell-head") for h in ("Section", "Agreed", "Officers' levels", "Members' levels",
                                          "Officers' median", "Members' median")]]
    for view in part.sections:
        medians = [view.median(g) for g in ("officer", "member")]
        rows.append([_p(view.title, "cell"), _p(str(view.agreed) if view.agreed is not None else "None", "cell"),
                     _p(group_levels(view.marks, "officer"), "cell"), _p(group_levels(view.marks, "member"), "cell"),
                     *[_p(f"{m:g}" if m is not None else "None", "cell") for m in medians]])
    story += [
        _heading("Spread of views", "h2", f"{key}-spread", 1,
                 _p("One mark for each respondent's own level in each section: officers as circles, members as "
                    "triangles. The box marks the level the team agreed.", "body"), spread),
        Spacer(1, 3 * mm),
        _table(rows, [0.28, 0.1, 0.18, 0.18, 0.13, 0.13]),
    ]

    # Targets and the gap to them.
    rows = [[_p(h, "cell-head") for h in ("Section", "Agreed level", "Target", "Gap")]]
    for view in part.sections:
        rows.append([_p(view.title, "cell"), _p(part.level_text(view.agreed), "cell"),
                     _p(part.level_text(view.target) if view.target is not None else "No target", "cell"),
                     _p(_gap_text(view.gap), "cell")])
    targets: Flowable = _table(rows, [0.32, 0.26, 0.26, 0.16]) if any(v.target is not None for v in part.sections) \
        else _p("No targets have been set for this questionnaire's sections.", "body")
    story.append(_heading("Targets and gaps", "h2", f"{key}-targets", 1, targets))

    # Actions.
    if part.actions:
        rows = [[_p(h, "cell-head") for h in ("What", "Section", "Owner", "Due", "Status")]]
        for action in part.actions:
            what = action.description + (f" (carried on from {action.carried_from})" if action.carried_from else "")
            status = action.status + (", overdue" if action.overdue else "")
            rows.append([_p(what, "cell"), _p(action.section, "cell"), _p(action.owner, "cell"),
                         _p(long_date(action.due) or "No date", "cell"), _p(status, "cell")])
        actions: Flowable = _table(rows, [0.34, 0.22, 0.16, 0.14, 0.14])
    else:
        actions = _p("No improvement actions have been recorded for this questionnaire.", "body")
    story.append(_heading("Actions", "h2", f"{key}-actions", 1, actions))

    # Similar councils.
    comparison = part.comparison
    if comparison.shown:
        rows = [[_p(h, "cell-head") for h in ("Section", "This council", "Lower quartile", "Median",
                                              "Upper quartile", "Councils")]]
        for c in comparison.rows:
            rows.append([_p(c.title, "cell"), *[_p(str(v) if v is not None else "None", "cell") for v in (
                c.own, c.lower_quartile, c.median, c.upper_quartile, c.councils)]])
        compared: list[Flowable] = [_p(comparison.reason, "body"), _table(rows, [0.34, 0.14, 0.14, 0.12, 0.14, 0.12])]
    else:
        compared = [_p(comparison.reason, "body")]
    story.append(_heading("Comparison with similar councils", "h2", f"{key}-sector", 1, *compared))

    # Change since the previous round.
    if part.previous_round is None:
        change: list[Flowable] = [_p("There is no earlier published round with agreed answers to this questionnaire, "
                                     "so no change is shown.", "body")]
    else:
        rows = [[_p(h, "cell-head") for h in ("Section", part.previous_round, "This round", "Change")]]
        rows.append([_p("Overall level", "cell-bold"), _p(_number(part.previous_level), "cell"),
                     _p(_number(report.profile.level), "cell"),
                     _p(_change_text(report.profile.level, part.previous_level, True), "cell")])
        for view in part.sections:
            rows.append([_p(view.title, "cell"), _p(_number(view.previous) if view.previously_asked else "Not asked",
                                                    "cell"),
                         _p(_number(view.agreed), "cell"),
                         _p(_change_text(view.agreed, view.previous, view.previously_asked), "cell")])
        change = [_p(f"Agreed levels now against {part.previous_round}.", "body")]
        if part.version_note:
            change.append(_p(part.version_note, "body"))
        change.append(_table(rows, [0.4, 0.2, 0.2, 0.2]))
    story.append(_heading("Change since last time", "h2", f"{key}-change", 1, *change))
    return story


def _number(level: int | None) -> str:
    return str(level) if level is not None else "None"


def _gap_text(gap: int | None) -> str:
    if gap is None:
        return "None"
    if gap > 0:
        return f"{gap} level{'s' if gap != 1 else ''} to go"
    return "Met" if gap == 0 else f"Passed by {-gap}"


def _change_text(now: int | None, before: int | None, asked: bool) -> str:
    if not asked:
        return "New section"
    if now is None or before is None:
        return "Cannot compare"
    return "No change" if now == before else f"{now - before:+d}"


def spread_drawing(questionnaire: Questionnaire, rows: Sequence[SpreadRow], width: float = FRAME_WIDTH) -> Drawing:
    """A dot plot of individual views per section: officers as circles, members as triangles, the agreed level boxed."""
    levels = list(questionnaire.levels)
    size, small, r = 8.5, 7.5, 3.2
    label_w, end_w = 0.27 * width, 48.0
    left = label_w + 6
    step = (width - left - end_w) / len(levels)
    per_line = max(1, int((step - 6) // (2 * r + 2)))
    groups = [g for g in GROUP_MARKS if any(who == g for row in rows for who, _lv in row.marks)]
    axis = [_lines(f"{lv} {questionnaire.label(lv) or ''}", REGULAR, small, step - 4, 3) for lv in levels]
    axis_h = 6 + 9 * max(len(a) for a in axis)
    heights = []
    for row in rows:
        cells = mark_cells(row.marks, per_line)
        count = sum(max([ln for (who, _lv), spots in cells.items() if who == g for ln, _c in spots], default=0) + 1
                    for g in groups)
        title = _lines(row.title, REGULAR, size, label_w, 4)
        heights.append((cells, title, max(count * (2 * r + 3) + 8, 10.5 * len(title) + 8, 22.0)))
    legend_h = 18.0
    height = legend_h + sum(h for _c, _t, h in heights) + axis_h
    d = Drawing(width, height)
    x = 0.0
    for group in groups:
        name, shape, colour = GROUP_MARKS[group]
        d.add(_mark(shape, x + 4, height - 8, r, colour))
        d.add(String(x + 11, height - 11, name, fontName=REGULAR, fontSize=small, fillColor=INK))
        x += 22 + stringWidth(name, REGULAR, small)
    d.add(Rect(x, height - 13, 16, 10, fillColor=None, strokeColor=INK, strokeWidth=1.6))
    d.add(String(x + 21, height - 11, "Agreed level", fontName=REGULAR, fontSize=small, fillColor=INK))
    y = height - legend_h
    for row, (cells, title, row_h) in zip(rows, heights, strict=True):
        mid = y - row_h / 2
        first = mid + (len(title) - 1) * 10.5 / 2 - 3
        for j, line in enumerate(title):
            d.add(String(label_w, first - 10.5 * j, line, fontName=REGULAR, fontSize=size, textAnchor="end",
                         fillColor=INK))
        d.add(Line(left, y - row_h, left + step * len(levels), y - row_h, strokeColor=RULE, strokeWidth=0.5))
        if row.agreed in levels:
            ax = left + step * levels.index(row.agreed)
            d.add(Rect(ax + 1.5, y - row_h + 1.5, step - 3, row_h - 3, fillColor=None, strokeColor=INK,
                       strokeWidth=1.6))
        line_y = y - 4 - r - 1
        for group in groups:
            _name, shape, colour = GROUP_MARKS[group]
            used = 1
            for (who, level), spots in cells.items():
                if who != group or level not in levels:
                    continue
                x0 = left + step * levels.index(level) + 4 + r
                for ln, column in spots:
                    d.add(_mark(shape, x0 + column * (2 * r + 2), line_y - ln * (2 * r + 3), r, colour))
                used = max(used, spots[-1][0] + 1)
            line_y -= used * (2 * r + 3)
        agreed = f"Agreed {row.agreed}" if row.agreed is not None else "No level"
        d.add(String(left + step * len(levels) + 5, mid - 3, agreed, fontName=BOLD, fontSize=small, fillColor=INK))
        y -= row_h
    for i, words in enumerate(axis):
        x0 = left + step * i
        d.add(Line(x0, axis_h, x0, height - legend_h, strokeColor=RULE, strokeWidth=0.5, strokeDashArray=[2, 2]))
        for j, line in enumerate(words):
            d.add(String(x0 + step / 2, axis_h - 9 - 9 * j, line, fontName=REGULAR, fontSize=small,
                         textAnchor="middle", fillColor=INK))
    d.add(Line(left + step * len(levels), axis_h, left + step * len(levels), height - legend_h, strokeColor=RULE,
               strokeWidth=0.5, strokeDashArray=[2, 2]))
    return d


def _mark(shape: str, x: float, y: float, r: float, colour: str) -> Shape:
    fill = colors.HexColor(colour)
    if shape == "circle":
        return Circle(x, y, r, fillColor=fill, strokeColor=INK, strokeWidth=0.5)
    if shape == "triangle":
        return Polygon([x, y + r * 1.2, x - r * 1.15, y - r * 0.9, x + r * 1.15, y - r * 0.9], fillColor=fill,
                       strokeColor=INK, strokeWidth=0.5)
    return Rect(x - r, y - r, 2 * r, 2 * r, fillColor=fill, strokeColor=INK, strokeWidth=0.5)
