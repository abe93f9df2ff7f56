"""Benchmarks of the maturity-profile report (run by `make bench`; not part of the test suite).

1. The demo round's PDF drawn by reportlab against WeasyPrint rendering the HTML twin of the same
   round (the page as served, GOV.UK Frontend CSS included): time (median of several runs) and
   peak memory, measured in one run, printed as ratios.
2. One batch of PDFs for 300 councils (imported from the English councils register, each with a
   submitted response to every questionnaire, generated like the demo's): total time and time per PDF.

Everything runs on a throwaway SQLite database in a temporary folder. Peak memory is given two
ways: tracemalloc's peak of Python allocations, and the growth of the process's resident set
(VmHWM) while rendering, which also counts C libraries (WeasyPrint's Pango, cairo-free PDF writer).
Each memory measurement runs in a child forked before that renderer has run in the parent, so
one renderer's high-water mark does not hide the other's; its RSS growth is that of a cold first
render (fonts and caches included), its tracemalloc peak that of the second render.

Usage: python -m bench [--councils 300] [--repeat 5] [--skip-batch] [--skip-weasyprint]
"""

from __future__ import annotations

import argparse
import gc
import logging
import multiprocessing
import os
import platform
import statistics
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
REGISTER = ROOT.parent / "shared" / "data" / "english-councils.csv"


@dataclass(frozen=True)
class Measure:
    """Timing and memory of one renderer."""

    name: str
    seconds: list[float]
    traced_peak: int
    rss_growth: int
    size: int
    pages: int

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)


def _vm(field: str) -> int:
    """A /proc/self/status figure in bytes (0 where /proc is missing)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def _memory_child(render: Callable[[], bytes], queue: Any) -> None:
    # Forked before the parent has rendered anything with this renderer: the first render is cold.
    gc.collect()
    before = _vm("VmRSS")
    render()
    rss_growth = max(0, _vm("VmHWM") - before)
    gc.collect()
    tracemalloc.start()
    render()
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    queue.put((peak, rss_growth))


def measure(name: str, render: Callable[[], bytes], repeat: int) -> Measure:
    """Peak memory in a forked child (before any render here), then the median time of ``repeat`` warm runs."""
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    child = context.Process(target=_memory_child, args=(render, queue))
    child.start()
    traced_peak, rss_growth = queue.get()
    child.join()
    output = render()  # warm-up: font loading, template compilation
    seconds = []
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        render()
        seconds.append(time.perf_counter() - start)
    from pypdf import PdfReader

    return Measure(name, seconds, traced_peak, rss_growth, len(output), len(PdfReader(BytesIO(output)).pages))


def _mb(value: float) -> str:
    return f"{value / 1_048_576:.1f} MB"


def setup_database(folder: Path) -> Any:
    """A migrated SQLite database in ``folder`` and an app on it, with the demo council."""
    os.environ["ASSESS_DATABASE_URL"] = f"sqlite:///{folder / 'bench.sqlite'}"
    from alembic import command

    from assess import create_app, db, questionnaire_library
    from assess.migrations import alembic_config
    from assess.services.demo import create_demo

    app = create_app({"DATABASE_URL": os.environ["ASSESS_DATABASE_URL"], "SECRET_KEY": "bench"})
    with app.app_context():
        command.upgrade(alembic_config(db.engine()), "head")
        create_demo(db.session(), questionnaire_library(app), "bench-password-1")
        db.session().commit()
    return app


def weasyprint_renderer(app: Any, report: Any) -> Callable[[], bytes]:
    """WeasyPrint rendering the HTML twin (as served, stylesheets read from assess/static)."""
    from weasyprint import HTML  # type: ignore[import-untyped]
    from weasyprint.urls import URLFetcher  # type: ignore[import-untyped]

    from assess.reports.html import render_report_html

    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    static = (ROOT / "assess" / "static").as_uri() + "/"
    fetcher = URLFetcher(allowed_protocols=["file", "data"])

    def render() -> bytes:
        with app.test_request_context():
            html = render_report_html(report)
        html = html.replace('="/static/', f'="{static}')
        pdf: bytes = HTML(string=html, base_url=static, url_fetcher=fetcher).write_pdf()
        return pdf

    return render


def compare(app: Any, repeat: int, with_weasyprint: bool) -> None:
    """Part 1: reportlab PDF against WeasyPrint on the HTML twin, for the demo round."""
    from sqlalchemy import select

    from assess import db
    from assess.models import Assessment, Organisation
    from assess.reports.data import build_report
    from assess.reports.pdf import render_pdf

    with app.app_context():
        session = db.session()
        assessment = session.scalar(select(Assessment).join(Organisation).where(Organisation.code == "DEMO"))
        assert assessment is not None, "the demo council is missing"
        start = time.perf_counter()
        report = build_report(session, assessment)
        gather = time.perf_counter() - start
    print(f"Demo round: {len(report.questionnaires)} questionnaires, "
          f"{sum(len(q.profile.sections) for q in report.questionnaires)} sections, "
          f"{sum(len(q.answers) for q in report.questionnaires)} answers; "
          f"gathering the data took {gather * 1000:.0f} ms")

    def reportlab_pdf() -> bytes:
        return render_pdf(report)

    results = [measure("reportlab PDF", reportlab_pdf, repeat)]
    if with_weasyprint:
        try:
            results.append(measure("WeasyPrint on the HTML twin", weasyprint_renderer(app, report), repeat))
        except ImportError:
            print("WeasyPrint is not installed: pip install weasyprint (the `bench` extra)")
    print(f"\n{'renderer':<30} {'median time':>12} {'runs (s)':>28} {'tracemalloc peak':>17} "
          f"{'RSS growth':>11} {'PDF size':>10} {'pages':>6}")
    for m in results:
        runs = ", ".join(f"{s:.2f}" for s in m.seconds)
        print(f"{m.name:<30} {m.median * 1000:>9.0f} ms {runs:>28} {_mb(m.traced_peak):>17} "
              f"{_mb(m.rss_growth):>11} {m.size / 1024:>7.0f} KB {m.pages:>6}")
    if len(results) == 2:
        ours, theirs = results
        print(f"\nWeasyPrint / reportlab: time x{theirs.median / ours.median:.1f}, "
              f"tracemalloc peak x{theirs.traced_peak / max(ours.traced_peak, 1):.1f}, "
              f"RSS growth x{theirs.rss_growth / max(ours.rss_growth, 1):.1f}")


def create_councils(app: Any, count: int) -> list[int]:
    """``count`` councils from the register, each with a round and a submitted response to every questionnaire."""
    from sqlalchemy import select

    from assess import db, questionnaire_library
    from assess.models import (
        Assessment,
        AssessmentQuestionnaire,
        Organisation,
        OrganisationRole,
        RespondentGroup,
        Response,
        ResponseKind,
        ResponseStatus,
        User,
    )
    from assess.services.demo import demo_answers
    from assess.services.organisations import import_register, read_register
    from assess.services.questionnaires import record_library
    from assess.services.responses import save_answers, submit_response
    from assess.services.users import add_membership

    with app.app_context():
        session = db.session()
        rows, _count = read_register(REGISTER)
        import_register(session, rows)
        versions = [r.version for r in record_library(session, questionnaire_library(app))]
        councils = session.scalars(
            select(Organisation).where(Organisation.code != "DEMO").order_by(Organisation.code).limit(count)
        ).all()
        if len(councils) < count:
            raise SystemExit(f"{REGISTER} has only {len(councils)} councils; asked for {count}")
        ids = []
        for council in councils:
            officer = User(email=f"officer@{council.code.lower()}.example", name=f"Officer of {council.name}")
            assessment = Assessment(organisation=council, title="Before the 2027 peer challenge")
            assessment.questionnaires = [AssessmentQuestionnaire(questionnaire_version=v, position=i)
                                         for i, v in enumerate(versions)]
            session.add_all([officer, assessment])
            session.flush()
            add_membership(session, officer, council, OrganisationRole.RESPONDENT, RespondentGroup.OFFICER)
            for version in versions:
                questionnaire = questionnaire_library(app).get(version.questionnaire_id)
                response = Response(assessment=assessment, questionnaire_version=version, respondent=officer,
                                    respondent_group=RespondentGroup.OFFICER, kind=ResponseKind.INDIVIDUAL,
                                    status=ResponseStatus.NOT_STARTED)
                session.add(response)
                session.flush()
                save_answers(session, response, demo_answers(questionnaire, seed=f"{council.code}-{version.id}"),
                             officer)
                submit_response(session, response, officer)
            ids.append(assessment.id)
            session.commit()
            session.expunge_all()
        return ids


def batch(app: Any, count: int, out_dir: Path) -> None:
    """Part 2: the PDFs of ``count`` councils in one batch (as `assess report --all` writes them)."""
    from assess import db
    from assess.models import Assessment
    from assess.reports.data import build_report
    from assess.reports.pdf import render_pdf

    start = time.perf_counter()
    ids = create_councils(app, count)
    print(f"\nCreated {count} councils with 7 submitted responses each in {time.perf_counter() - start:.0f} s "
          "(set-up, not timed below)")
    gc.collect()
    before = _vm("VmRSS")
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass
    total_bytes = 0
    with app.app_context():
        session = db.session()
        start = time.perf_counter()
        for assessment_id in ids:
            assessment = session.get(Assessment, assessment_id)
            assert assessment is not None
            report = build_report(session, assessment)
            pdf = render_pdf(report)
            (out_dir / f"{assessment.organisation.code}.pdf").write_bytes(pdf)
            total_bytes += len(pdf)
            session.expunge_all()
        elapsed = time.perf_counter() - start
    print(f"Batch of {count} council PDFs: {elapsed:.1f} s in all, {elapsed / count * 1000:.0f} ms a PDF, "
          f"{total_bytes / 1_048_576:.1f} MB written; resident memory {_mb(before)} before, "
          f"peak {_mb(_vm('VmHWM'))} during the batch, {_mb(_vm('VmRSS'))} after")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--councils", type=int, default=300, help="councils in the batch (default 300)")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs per renderer (default 5)")
    parser.add_argument("--skip-batch", action="store_true", help="only compare the renderers")
    parser.add_argument("--skip-weasyprint", action="store_true", help="only time the reportlab PDF")
    args = parser.parse_args()

    import reportlab

    try:
        from weasyprint import __version__ as weasyprint_version
    except ImportError:
        weasyprint_version = "not installed"
    print(f"Python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} CPUs; "
          f"reportlab {reportlab.Version}, WeasyPrint {weasyprint_version}")
    with tempfile.TemporaryDirectory(prefix="assess-bench-") as folder:
        app = setup_database(Path(folder))
        compare(app, args.repeat, not args.skip_weasyprint)
        if not args.skip_batch:
            out_dir = Path(folder) / "pdfs"
            out_dir.mkdir()
            batch(app, args.councils, out_dir)


if __name__ == "__main__":
    main()
