"""The maturity-profile PDF: content, structure (qpdf), rendering (pdftoppm), outline, metadata, stress."""

from __future__ import annotations

from io import BytesIO
from typing import TYPE_CHECKING

import pytest
from pypdf import PdfReader

from assess.reports.charts import level_text
from assess.reports.data import ReportData
from assess.reports.pdf import render_pdf

if TYPE_CHECKING:
    from tests.reports.conftest import PdfChecks


def outline_titles(reader: PdfReader) -> tuple[list[str], list[str]]:
    """Top-level outline titles and nested ones."""
    top: list[str] = []
    nested: list[str] = []
    for item in reader.outline:
        if isinstance(item, list):
            nested += [child.title for child in item if not isinstance(child, list)]
        else:
            top.append(item.title)
    return top, nested


def test_pdf_holds_every_questionnaire_section_and_level(demo_report: ReportData, pdf_checks: PdfChecks) -> None:
    text = pdf_checks.text(render_pdf(demo_report))
    assert len(demo_report.questionnaires) == 7
    for part in demo_report.questionnaires:
        assert pdf_checks.squash(part.title) in text
        assert pdf_checks.squash(level_text(part.profile.level, part.profile.label, part.top)) in text
        for section in part.profile.sections:
            assert pdf_checks.squash(section.title) in text, section.title
            assert section.label and pdf_checks.squash(section.label) in text
        for scale_level in part.questionnaire.scale:
            assert pdf_checks.squash(scale_level.label) in text
    assert "Demo Borough Council" in text
    assert "Tom Hughes (officer)" in text


def test_pdf_passes_qpdf_and_every_page_renders(demo_report: ReportData, pdf_checks: PdfChecks) -> None:
    pdf = render_pdf(demo_report)
    pdf_checks.qpdf_check(pdf)
    reader = PdfReader(BytesIO(pdf))
    pages = pdf_checks.render_pages(pdf)
    assert len(pages) == len(reader.pages) > 2 + len(demo_report.questionnaires)
    assert all(page.stat().st_size > 500 for page in pages)


def test_pdf_outline_has_one_entry_per_questionnaire(demo_report: ReportData, pdf_checks: PdfChecks) -> None:
    reader = PdfReader(BytesIO(render_pdf(demo_report)))
    top, nested = outline_titles(reader)
    for part in demo_report.questionnaires:
        assert top.count(part.title) == 1
        assert nested.count(f"Answers: {part.title}") == 1
    assert top == ["Cover", "Summary", *(p.title for p in demo_report.questionnaires),
                   "Appendix: every answer and comment"]
    # Each questionnaire's bookmark goes to the page where its part starts.
    for item in reader.outline:
        if not isinstance(item, list) and item.title in {p.title for p in demo_report.questionnaires}:
            page = reader.get_destination_page_number(item)
            assert item.title in pdf_checks.squash(reader.pages[page].extract_text())


def test_pdf_metadata_page_numbers_and_running_header(demo_report: ReportData, pdf_checks: PdfChecks) -> None:
    reader = PdfReader(BytesIO(render_pdf(demo_report)))
    meta = reader.metadata
    assert meta is not None
    assert meta.title == "Maturity profile: Demo Borough Council, Before the 2027 peer challenge"
    assert meta.author == "Demo Borough Council"
    assert meta.subject and "Cyber security" in meta.subject
    total = len(reader.pages)
    for number, page in enumerate(reader.pages, start=1):
        text = pdf_checks.squash(page.extract_text())
        assert f"Page {number} of {total}" in text
        if number > 1:
            assert "Demo Borough Council" in text and "Before the 2027 peer challenge" in text


def test_pdf_appendix_holds_every_answer_and_comment(demo_report: ReportData, pdf_checks: PdfChecks) -> None:
    text = pdf_checks.text(render_pdf(demo_report))
    for part in demo_report.questionnaires:
        for row in part.answers:
            assert pdf_checks.squash(row.question) in text
            assert pdf_checks.squash(row.answer) in text
    assert "Evidence: reported to the leadership team" in text


def test_stress_case_renders_without_overflow(stress_report: ReportData, pdf_checks: PdfChecks) -> None:
    pdf = render_pdf(stress_report)  # platypus raises LayoutError when anything cannot fit
    pdf_checks.qpdf_check(pdf)
    reader = PdfReader(BytesIO(pdf))
    pages = pdf_checks.render_pages(pdf)
    assert len(pages) == len(reader.pages)
    text = pdf_checks.text(pdf)
    part = stress_report.questionnaires[0]
    assert len(part.profile.sections) == 8
    for section in part.profile.sections:
        assert pdf_checks.squash(section.title) in text
    assert "evidence & <markup> that must be escaped" in text
    assert "Innovator & <pioneer>" in text
    # The running header is cut to fit one line, never spilling over the page.
    for page in reader.pages[1:]:
        first_line = page.extract_text().splitlines()[0]
        assert len(first_line) < 140


@pytest.mark.parametrize("count", [1, 2])
def test_round_with_one_or_two_questionnaires(demo_report: ReportData, count: int, pdf_checks: PdfChecks) -> None:
    report = ReportData(demo_report.organisation, demo_report.round, demo_report.generated, demo_report.respondents,
                        demo_report.questionnaires[:count])
    pdf = render_pdf(report)
    pdf_checks.qpdf_check(pdf)
    text = pdf_checks.squash(pdf_checks.text(pdf))
    assert demo_report.questionnaires[0].title in pdf_checks.text(pdf)
    # Fewer questionnaires than a radar needs: bars, each "level/top" at its end, not a line or a point.
    assert "Each bar runs from no level" in text and "Each spoke" not in text
    for part in report.questionnaires:
        assert f"{part.profile.level}/{part.top}" in text


def test_three_questionnaires_or_more_make_a_radar(demo_report: ReportData, pdf_checks: PdfChecks) -> None:
    assert len(demo_report.questionnaires) >= 3
    text = pdf_checks.squash(pdf_checks.text(render_pdf(demo_report)))
    assert "Each spoke runs from the centre" in text and "Each bar runs from no level" not in text


def test_headings_stay_with_what_follows_and_strengths_say_what_set_the_level(demo_report: ReportData,
                                                                               pdf_checks: PdfChecks) -> None:
    reader = PdfReader(BytesIO(render_pdf(demo_report)))
    pages = [pdf_checks.squash(page.extract_text()) for page in reader.pages]
    # The radar's heading is on the page of the radar itself (its caption), never alone at a page foot.
    [radar] = [i for i, text in enumerate(pages) if "Overall levels across questionnaires" in text]
    assert "Each spoke runs from the centre" in pages[radar]
    # No forced break leaves a page half empty: a questionnaire starts part-way down a page where there is room.
    starts = [(item.title, reader.get_destination_page_number(item)) for item in reader.outline
              if not isinstance(item, list) and item.title in {p.title for p in demo_report.questionnaires}]
    assert any(pages[page].index(pdf_checks.squash(title)) > 200 for title, page in starts)
    text = " ".join(pages)
    assert "what set their level" in text
    assert "Lifted by" in text and "Held back by" in text
    # The demo round has targets for its first questionnaire: the strengths say how far there is to go.
    assert "Target level" in text
    for part in demo_report.questionnaires:
        for result in (*part.strengths, *part.improvements):
            assert pdf_checks.squash(part.what_set(result, result in part.strengths)) in text
