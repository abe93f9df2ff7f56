"""Fixtures for the report tests: the demo round's report, and a stress case built without a database."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterator
from datetime import UTC, date, datetime
from io import BytesIO
from pathlib import Path

import pytest
from flask import Flask
from pypdf import PdfReader
from sqlalchemy import select

from assess import db, questionnaire_library
from assess.models import Assessment, Organisation
from assess.reports.data import (
    OrganisationInfo,
    ReportData,
    Respondent,
    RoundInfo,
    SourceResponse,
    assemble,
    build_report,
)
from assess.services.demo import DEMO_CODE, create_demo, demo_answers
from scoring import get_scorer
from scoring.model import Question, Questionnaire, Resource, ResourceTarget, ScaleLevel, ScoringSpec, Section


def need_tool(name: str, package: str) -> str:
    """The path of a command-line tool the checks need; fail (not skip) when it is missing."""
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"`{name}` is missing: install it with `apt-get install {package}` (make pytest does)")
    return path


def squash(text: str) -> str:
    """Whitespace collapsed, for comparing wrapped text."""
    return re.sub(r"\s+", " ", text).strip()


class PdfChecks:
    """Reading and checking PDFs with pypdf, qpdf and pdftoppm."""

    squash = staticmethod(squash)

    def __init__(self, tmp_path: Path) -> None:
        self.tmp_path = tmp_path
        self.count = 0

    def _write(self, pdf: bytes) -> Path:
        self.count += 1
        path = self.tmp_path / f"check-{self.count}.pdf"
        path.write_bytes(pdf)
        return path

    def text(self, pdf: bytes) -> str:
        """Every page's text, with whitespace (line breaks from wrapping) collapsed to single spaces."""
        reader = PdfReader(BytesIO(pdf))
        return squash(" ".join(page.extract_text() or "" for page in reader.pages))

    def qpdf_check(self, pdf: bytes) -> None:
        """Assert that `qpdf --check` finds nothing wrong."""
        result = subprocess.run([need_tool("qpdf", "qpdf"), "--check", str(self._write(pdf))],
                                capture_output=True, text=True)
        assert result.returncode == 0, result.stdout + result.stderr

    def render_pages(self, pdf: bytes) -> list[Path]:
        """Every page rendered to PNG by pdftoppm (poppler)."""
        path = self._write(pdf)
        prefix = self.tmp_path / f"page{self.count}"
        subprocess.run([need_tool("pdftoppm", "poppler-utils"), "-png", "-r", "40", str(path), str(prefix)],
                       check=True, capture_output=True)
        return sorted(self.tmp_path.glob(f"page{self.count}-*.png"))


@pytest.fixture
def pdf_checks(tmp_path: Path) -> PdfChecks:
    """PDF reading and checking helpers."""
    return PdfChecks(tmp_path)


@pytest.fixture
def demo_assessment(app: Flask) -> Iterator[Assessment]:
    """The demo council's current round (the officer has submitted every questionnaire), inside an app context."""
    with app.test_request_context():
        session = db.session()
        create_demo(session, questionnaire_library(app), "demo-password-1")
        assessment = session.scalar(
            select(Assessment).join(Organisation).where(Organisation.code == DEMO_CODE)
            .order_by(Assessment.created_at.desc()).limit(1)  # this year's round, not last year's published one
        )
        assert assessment is not None
        yield assessment


@pytest.fixture
def demo_report(demo_assessment: Assessment) -> ReportData:
    """The demo round's report data (default chooser)."""
    return build_report(db.session(), demo_assessment, generated=date(2027, 5, 3))


LONG = (
    "The Royal Borough of Extraordinarily Long Council Names upon the River Thames and its Surrounding "
    "Parishes, Wards and Unparished Areas Metropolitan District Council"
)


def stress_questionnaire() -> Questionnaire:
    """Eight sections with very long titles, long questions and very long statements; a sixth-level scale."""
    labels = ("Minimum", "Developing but not yet consistently applied across directorates", "Established",
              "Mature", "Leader", "Innovator & <pioneer>")
    scale = tuple(ScaleLevel(i + 1, label) for i, label in enumerate(labels))
    sections = []
    for s in range(1, 9):
        questions = tuple(
            Question(
                id=f"s{s}-q{q}",
                type="level",
                text=(f"Question {q} of section {s}: " + "how does the council make sure that its arrangements "
                      "for this area are understood, resourced, reviewed and improved? " * (3 if q == 1 else 1)),
                statements={lvl: f"Statement {lvl}: " + "a very long description of what happens in practice, "
                            "with examples, evidence and caveats " * (12 if q == 1 else 2) for lvl in range(1, 7)},
                comment="optional",
                not_applicable=True,
            )
            for q in range(1, 4)
        )
        title = (f"Section {s}: " + "a very long section title about governance, partnerships and resources " * 2)
        sections.append(Section(id=f"section-{s}", title=title.strip(), questions=questions))
    resources = tuple(
        Resource(title=f"Resource {i} with a long title " * 3, url=f"https://example.org/{'very-long-path/' * 8}{i}",
                 applies_to=ResourceTarget(section=f"section-{i}", max_level=6) if i % 2 else None)
        for i in range(1, 9)
    )
    return Questionnaire(
        id="stress-test",
        version=1,
        title="A stress-test questionnaire with a title long enough to wrap over more than one line of the page",
        scale=scale,
        scoring=ScoringSpec("weighted-mean"),
        sections=tuple(sections),
        description="A questionnaire made to stress the layout. " * 20,
        resources=resources,
    )


@pytest.fixture
def stress_report() -> ReportData:
    """A report with a very long council name, round title, statements and comments, and 8 sections."""
    questionnaire = stress_questionnaire()
    answers = demo_answers(questionnaire, seed="stress")
    long_comment = "A long comment with evidence & <markup> that must be escaped. " * 60
    answers = {k: type(v)(v.value, v.not_applicable, long_comment if i % 4 == 0 else v.comment)
               for i, (k, v) in enumerate(answers.items())}
    profile = get_scorer("weighted-mean").score(questionnaire, answers)
    source = SourceResponse(1, "individual", "Dr Bartholomew Featherstonehaugh-Cholmondeley " * 2, "officer",
                            datetime(2027, 5, 3, tzinfo=UTC))
    part = assemble(questionnaire, profile, answers, (source,))
    return ReportData(
        organisation=OrganisationInfo("E09999999", LONG, LONG, "Metropolitan district", "Yorkshire and The Humber"),
        round=RoundInfo(1, "Before the corporate peer challenge of 2027, including the follow-up visit " * 2, "open",
                        date(2027, 1, 1)),
        generated=date(2027, 5, 3),
        respondents=tuple(Respondent(f"Respondent number {i} with a long name", "member", 1, 1) for i in range(30)),
        questionnaires=(part, part),
        pending=("A pending questionnaire",),
    )
