"""PDFs are drawn once per content: the cache the downloads and `assess report --all` share."""

from __future__ import annotations

from dataclasses import replace

import pytest
from flask import Flask

from assess.reports import downloads
from assess.reports.data import ReportData
from assess.reports.downloads import cached_pdf, fingerprint, pdf_cache


@pytest.fixture
def draws(monkeypatch: pytest.MonkeyPatch) -> list[ReportData]:
    """Every report actually drawn (the drawing itself is the real one)."""
    drawn: list[ReportData] = []
    real = downloads.render_pdf

    def counting(report: ReportData) -> bytes:
        drawn.append(report)
        return real(report)

    monkeypatch.setattr(downloads, "render_pdf", counting)
    return drawn


def test_the_same_content_is_drawn_once(app: Flask, demo_report: ReportData, draws: list[ReportData]) -> None:
    first = cached_pdf(app, demo_report)
    again = cached_pdf(app, replace(demo_report))  # an equal report built afresh, as the next request builds it
    assert first == again and first.startswith(b"%PDF")
    assert len(draws) == 1
    assert any(pdf_cache(app).cache._list_dir())  # type: ignore[attr-defined]  # kept as a file in the instance folder


def test_any_change_to_what_it_shows_draws_it_afresh(app: Flask, demo_report: ReportData,
                                                     draws: list[ReportData]) -> None:
    cached_pdf(app, demo_report)
    part = demo_report.questionnaires[0]
    changed_answer = replace(part, answers=(replace(part.answers[0], comment="A new comment"), *part.answers[1:]))
    for changed in (replace(demo_report, questionnaires=(changed_answer, *demo_report.questionnaires[1:])),
                    replace(demo_report, title="Your answers"),
                    replace(demo_report, organisation=replace(demo_report.organisation, name="Renamed Council"))):
        assert fingerprint(changed) != fingerprint(demo_report)
        cached_pdf(app, changed)
    assert len(draws) == 4
