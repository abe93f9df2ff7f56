"""The HTML twin of the maturity-profile PDF: the same content as an accessible web page."""

from __future__ import annotations

from typing import Any

from flask import render_template

from assess.reports.charts import level_text, radar_svg, section_bars_svg
from assess.reports.data import ReportData, long_date

TEMPLATE = "reports/profile.html"


def render_report_html(report: ReportData, *, pdf_url: str | None = None, **context: Any) -> str:
    """The report as a page of the site (extends base.html); needs an app (and request) context.

    ``pdf_url`` adds a link to the PDF version; ``context`` is passed on to the template (for
    example ``back_url``).
    """
    radar = radar_svg([(q.title, q.profile.level, q.top) for q in report.questionnaires], id_prefix="radar-overall")
    bars = {
        q.questionnaire.id: section_bars_svg(q.questionnaire, q.profile, id_prefix=f"bars-{q.anchor}")
        for q in report.questionnaires
    }
    shared = {q.basis for q in report.questionnaires}
    return render_template(
        TEMPLATE,
        report=report,
        radar=radar,
        bars=bars,
        shared_basis=shared.pop() if len(shared) == 1 else None,
        pdf_url=pdf_url,
        level_text=level_text,
        long_date=long_date,
        **context,
    )
