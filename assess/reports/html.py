"""The HTML twin of the maturity-profile PDF: the same content as an accessible web page."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import render_template
from markupsafe import Markup

from assess.reports.charts import SpreadRow, group_levels, level_text, overall_chart_svg, section_bars_svg, spread_svg
from assess.reports.data import ReportData, long_date
from assess.reports.pack import Pack

TEMPLATE = "reports/profile.html"
BODY_TEMPLATE = "reports/_profile_body.html"


@dataclass(frozen=True)
class RenderedReport:
    """A report's page title and body, rendered from the report alone (so they can be kept and reused)."""

    title: str
    body: Markup


def render_report_body(report: ReportData, *, pdf_url: str | None = None) -> RenderedReport:
    """The report's title and page body; needs an app context, uses nothing of the request."""
    overall_chart = overall_chart_svg([(q.title, q.profile.level, q.top) for q in report.questionnaires],
                                      id_prefix="overall-chart")
    bars = {
        q.questionnaire.id: section_bars_svg(q.questionnaire, q.profile, id_prefix=f"bars-{q.anchor}")
        for q in report.questionnaires
    }
    shared = {q.basis for q in report.questionnaires}
    body = render_template(
        BODY_TEMPLATE,
        report=report,
        overall_chart=overall_chart,
        bars=bars,
        shared_basis=shared.pop() if len(shared) == 1 else None,
        pdf_url=pdf_url,
        level_text=level_text,
        long_date=long_date,
    )
    title = f"{report.title} \u2013 {report.organisation.official_name}, {report.round.title}"
    return RenderedReport(title, Markup(body))  # rendered by our own autoescaping template


def render_report_page(rendered: RenderedReport, **context: Any) -> str:
    """A rendered report in the site's layout (extends base.html); needs a request context.

    ``context`` is passed on to the layout (for example ``back_url``).
    """
    return render_template(TEMPLATE, title=rendered.title, body=rendered.body, **context)


def render_report_html(report: ReportData, *, pdf_url: str | None = None, **context: Any) -> str:
    """The report as a page of the site (extends base.html); needs an app (and request) context.

    ``pdf_url`` adds a link to the PDF version; ``context`` is passed on to the template (for
    example ``back_url``).
    """
    return render_report_page(render_report_body(report, pdf_url=pdf_url), **context)


PACK_TEMPLATE = "reports/pack.html"


def render_pack_html(pack: Pack, *, pdf_url: str | None = None, **context: Any) -> str:
    """The peer-challenge pack as a page of the site (the PDF's accessible twin); needs an app (and request) context."""
    report = pack.report
    overall_chart = overall_chart_svg([(q.title, q.profile.level, q.top) for q in report.questionnaires],
                                      id_prefix="overall-chart")
    spreads = {
        part.anchor: spread_svg(part.report.questionnaire,
                                [SpreadRow(v.title, v.marks, v.agreed) for v in part.sections],
                                id_prefix=f"spread-{part.anchor}")
        for part in pack.parts
    }
    return render_template(PACK_TEMPLATE, pack=pack, report=report, overall_chart=overall_chart, spreads=spreads,
                           pdf_url=pdf_url, level_text=level_text, long_date=long_date, group_levels=group_levels,
                           **context)
