"""Benchmark of the peer-challenge pack (run by `make bench-pack`; not part of the test suite).

A council with a team of 30 (15 officers, 15 members) answers 7 questionnaires in a round that is in
review, with confirmed agreed answers, targets and actions, after a published round a year before (for
the change since last time). The pack of that round (data gathered from the database, then the PDF; and
the HTML twin) is timed and its peak Python memory measured (tracemalloc), against a one-response
maturity profile PDF (one respondent's 7 questionnaires in a round of their own), in the same run, as
ratios. Runs on SQLite (a temporary file) and, given a URL, on PostgreSQL (a database it may empty).

Usage: python -m bench.pack [--postgres URL] [--repeat 5] [--team 30]
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from io import BytesIO
from pathlib import Path

from pypdf import PdfReader
from sqlalchemy import insert

from assess import create_app, db, questionnaire_library
from assess.db import make_engine
from assess.migrations import rebuild
from assess.models import (
    Assessment,
    AssessmentQuestionnaire,
    AssessmentStatus,
    JoinedBy,
    Membership,
    Organisation,
    OrganisationRole,
    Participant,
    RespondentGroup,
    Sharing,
    User,
)
from assess.reports.data import build_report
from assess.reports.html import render_pack_html
from assess.reports.pack import build_pack
from assess.reports.pdf import render_pack_pdf, render_pdf
from assess.services.questionnaires import questionnaire_of, record_library
from assess.services.simulate import _answers, _targets_and_actions, _write_responses
from bench import median_times

Run = Callable[[], bytes]


def team(organisation: Organisation, size: int) -> list[tuple[int, RespondentGroup]]:
    """`size` people of the council, officers and members in turn, as (user id, group)."""
    groups = [RespondentGroup.OFFICER if i % 2 == 0 else RespondentGroup.MEMBER for i in range(size)]
    ids = db.session().scalars(insert(User).returning(User.id, sort_by_parameter_order=True), [
        {"email": f"person-{i + 1}@bench.example", "name": f"Bench {group.value} {i + 1}", "password_hash": None,
         "site_roles": [], "active": True} for i, group in enumerate(groups)]).all()
    db.session().execute(insert(Membership), [
        {"user_id": user_id, "organisation_id": organisation.id, "group": group,
         "role": OrganisationRole.LEAD if i == 0 else OrganisationRole.RESPONDENT}
        for i, (user_id, group) in enumerate(zip(ids, groups, strict=True))])
    return list(zip(ids, groups, strict=True))


def seed(app: object, size: int) -> tuple[int, int]:
    """The council's round with the team's answers and agreed answers, and a one-response round: their ids."""
    session = db.session()
    rng = random.Random(7)
    versions = [recorded.version for recorded in record_library(session, questionnaire_library(app))]
    council = Organisation(code="BENCH", name="Bench Borough", official_name="Bench Borough Council",
                           type="Unitary authority", region="North West", population=200_000)
    session.add(council)
    session.flush()
    people = team(council, size)
    today = date.today()
    rounds = []
    for title, status, published, who, agreed in (
            ("Last year", AssessmentStatus.PUBLISHED, today - timedelta(days=365), people[:10], True),
            ("This year", AssessmentStatus.IN_REVIEW, None, people, True),
            ("One response", AssessmentStatus.OPEN, None, people[:1], False)):
        when = published or today
        assessment = Assessment(
            organisation_id=council.id, title=title, status=status, sharing=Sharing.NAMED,
            created_at=datetime.combine(when - timedelta(days=60), clock(9), UTC),
            published_at=datetime.combine(published, clock(12), UTC) if published else None,
            questionnaires=[AssessmentQuestionnaire(questionnaire_version_id=v.id, position=i)
                            for i, v in enumerate(versions)])
        session.add(assessment)
        session.flush()
        session.execute(insert(Participant), [
            {"assessment_id": assessment.id, "user_id": user_id, "group": group, "how": JoinedBy.ADDED,
             "added_at": datetime.now(UTC)} for user_id, group in who])
        for version in versions:
            questionnaire = questionnaire_of(version)
            centres = {s.id: rng.uniform(questionnaire.levels[0], questionnaire.levels[-1])
                       for s in questionnaire.sections}
            answer_sets = [(user_id, group, _answers(questionnaire, rng, centres, 0.8, 0.0)) for user_id, group in who]
            if agreed:
                answer_sets.append((None, None, _answers(questionnaire, rng, centres, 0.3, 0.0)))
                _targets_and_actions(session, assessment, questionnaire, rng, when)
            _write_responses(session, assessment, version, questionnaire, answer_sets, when)
        rounds.append(assessment.id)
    session.commit()
    return rounds[1], rounds[2]


def measure(run: Run) -> tuple[int, int]:
    """Peak Python memory of one run (tracemalloc, bytes) and the size of what it made."""
    tracemalloc.start()
    made = run()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak, len(made)


def run_database(label: str, url: str, size: int, repeat: int) -> None:
    """Seed one database and print the pack's time and memory against the one-response profile's."""
    print(f"\n== {label} ==")
    engine = make_engine(url)
    rebuild(engine)
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench"})
    with app.app_context():
        started = time.perf_counter()
        round_id, single_id = seed(app, size)
        print(f" seeded {size} respondents x 7 questionnaires in {time.perf_counter() - started:.1f}s")

        def pack_pdf() -> bytes:
            db.session().expunge_all()
            assessment = db.session().get(Assessment, round_id)
            assert assessment is not None
            return render_pack_pdf(build_pack(db.session(), assessment))

        def pack_html() -> bytes:
            db.session().expunge_all()
            assessment = db.session().get(Assessment, round_id)
            assert assessment is not None
            with app.test_request_context():
                return render_pack_html(build_pack(db.session(), assessment)).encode()

        def profile_pdf() -> bytes:
            db.session().expunge_all()
            assessment = db.session().get(Assessment, single_id)
            assert assessment is not None
            return render_pdf(build_report(db.session(), assessment))

        runs = {"one-response profile PDF": profile_pdf, "pack PDF": pack_pdf, "pack HTML": pack_html}
        pages = {name: len(PdfReader(BytesIO(runs[name]())).pages) for name in runs if "PDF" in name}
        memory = {name: measure(run) for name, run in runs.items()}
        times = median_times(runs, repeat)
    app.extensions["assess.engine"].dispose()
    engine.dispose()
    base = "one-response profile PDF"
    for name in runs:
        peak, made = memory[name]
        detail = f"{pages[name]:3d} pages" if name in pages else "         "
        print(f"  {name:<26} {times[name] * 1000:8.0f} ms (x{times[name] / times[base]:5.2f})   "
              f"peak {peak / 2**20:6.1f} MiB (x{peak / memory[base][0]:5.2f})   {made / 1024:6.0f} KB  {detail}")


def main() -> None:
    """Run the benchmark on SQLite and, if asked, PostgreSQL."""
    parser = argparse.ArgumentParser(prog="python -m bench.pack", description=__doc__.split("\n\n")[0])
    parser.add_argument("--postgres", help="a PostgreSQL URL of a database the benchmark may empty")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs of each (default 5)")
    parser.add_argument("--team", type=int, default=30, help="respondents in the round (default 30)")
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        run_database("SQLite", f"sqlite:///{Path(folder) / 'bench.sqlite'}", arguments.team, arguments.repeat)
    if arguments.postgres:
        run_database("PostgreSQL", arguments.postgres, arguments.team, arguments.repeat)


if __name__ == "__main__":
    main()
