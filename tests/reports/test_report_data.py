"""Gathering the report: which response the figures come from, resources, strengths, spread, downloads."""

from __future__ import annotations

from datetime import date

from flask import Flask
from sqlalchemy import select

from assess import db, questionnaire_library
from assess.models import (
    Assessment,
    QuestionnaireVersion,
    RespondentGroup,
    Response,
    ResponseKind,
    ResponseStatus,
    User,
)
from assess.reports.data import (
    QuestionnaireReport,
    ReportData,
    applicable_resources,
    build_report,
    chosen_responses,
    strengths_and_improvements,
)
from assess.reports.downloads import cached_pdf, pdf_file, report_filename
from assess.services.demo import DEMO_ROUND, demo_answers
from assess.services.questionnaires import questionnaire_of
from assess.services.responses import save_answers, submit_response
from scoring import Profile, SectionResult
from scoring.model import Resource, ResourceTarget


def submit(assessment: Assessment, version_index: int, kind: ResponseKind, respondent: User | None,
           seed: str) -> Response:
    """Submit a response to one questionnaire of the round (an agreed one on the lead's authority)."""
    session = db.session()
    by = respondent or session.scalar(select(User).filter_by(email="lead@demo.example"))
    assert by is not None
    version = assessment.questionnaires[version_index].questionnaire_version
    response = Response(assessment=assessment, questionnaire_version=version, respondent=respondent, kind=kind,
                        respondent_group=RespondentGroup.MEMBER if respondent else None,
                        status=ResponseStatus.NOT_STARTED)
    session.add(response)
    session.flush()
    save_answers(session, response, demo_answers(questionnaire_of(version), seed=seed), by)
    submit_response(session, response, by)
    return response


def _submitted_individuals(questionnaire_id: str) -> list[Response]:
    """The demo round's submitted individual responses to a questionnaire (last year's round has its own)."""
    return list(db.session().scalars(
        select(Response).join(QuestionnaireVersion).join(Assessment).where(
            QuestionnaireVersion.questionnaire_id == questionnaire_id, Response.kind == ResponseKind.INDIVIDUAL,
            Response.status == ResponseStatus.SUBMITTED, Assessment.title == DEMO_ROUND)))


def latest_submitted(questionnaire_id: str) -> int:
    """The id of the most recently submitted individual response to a questionnaire."""
    return max(_submitted_individuals(questionnaire_id), key=lambda r: (r.submitted_at, r.id)).id


def submitted_count(questionnaire_id: str) -> int:
    """How many individual responses to a questionnaire are submitted."""
    return len(_submitted_individuals(questionnaire_id))


def always_shown(part: QuestionnaireReport) -> set[str]:
    """The questions of a questionnaire that no condition hides."""
    return {q.id for q in part.questionnaire.questions if q.show_if is None}


def test_demo_report_basis_and_respondents(demo_report: ReportData) -> None:
    assert demo_report.organisation.code == "DEMO"
    assert [r.description for r in demo_report.respondents] == [
        "Ben Carter (officer): 3 of 7 questionnaires submitted",
        "Cllr Amir Khan (member): 7 of 7 questionnaires submitted",
        "Cllr Peter Brown (member): 2 of 7 questionnaires submitted",
        "Helen Ward (officer): 1 of 7 questionnaires submitted",
        "Nadia Rahman (officer): 7 of 7 questionnaires submitted",
        "Tom Hughes (officer): 7 of 7 questionnaires submitted",
    ]
    for part in demo_report.questionnaires:
        assert part.sources[0].id == latest_submitted(part.questionnaire.id)
        assert part.answers and all(row.answer for row in part.answers)
    assert demo_report.pending == ()


def test_chooser_prefers_consensus_then_own_then_latest(app: Flask, demo_assessment: Assessment) -> None:
    session = db.session()
    member = session.scalar(select(User).filter_by(email="member@demo.example"))
    assert member is not None
    # The member's first-questionnaire response is in progress: submit a fresh one for the second questionnaire.
    own = submit(demo_assessment, 1, ResponseKind.INDIVIDUAL, member, "member-two")
    title = demo_assessment.questionnaires[1].questionnaire_version.title

    mine = build_report(session, demo_assessment, respondent=member)
    part = next(p for p in mine.questionnaires if p.title == title)
    assert part.sources[0].id == own.id and part.basis.startswith("Cllr Jean Evans (member)")
    # Where the member has submitted nothing, the latest submitted response is used.
    assert all(p.sources[0].id == latest_submitted(p.questionnaire.id) for p in mine.questionnaires if p.title != title)
    # With no respondent given, the latest submitted one: the member's, submitted after the officer's.
    latest = build_report(session, demo_assessment)
    assert next(p for p in latest.questionnaires if p.title == title).sources[0].id == own.id

    consensus = submit(demo_assessment, 1, ResponseKind.CONSENSUS, None, "agreed")
    agreed = build_report(session, demo_assessment, respondent=member)
    part = next(p for p in agreed.questionnaires if p.title == title)
    assert part.sources[0].id == consensus.id and part.basis.startswith("Consensus response, agreed ")

    officer_response = next(r for r in own.assessment.responses
                            if r.respondent and r.respondent.email == "officer@demo.example"
                            and r.questionnaire_version_id == own.questionnaire_version_id)
    picked = build_report(session, demo_assessment, choose=chosen_responses([officer_response.id]))
    assert next(p for p in picked.questionnaires if p.title == title).sources[0].id == officer_response.id


def test_spread_of_individual_answers(app: Flask, demo_assessment: Assessment) -> None:
    session = db.session()
    member = session.scalar(select(User).filter_by(email="member@demo.example"))
    submit(demo_assessment, 1, ResponseKind.INDIVIDUAL, member, "member-two")
    report = build_report(session, demo_assessment, include_spread=True)
    for part in report.questionnaires:
        # Every submitted individual response counts once in each shown question's spread.
        assert all(sum(item.count for item in row.spread) == submitted_count(part.questionnaire.id)
                   for row in part.answers if row.question_id in always_shown(part))


def test_pending_questionnaires_are_listed(app: Flask, demo_assessment: Assessment) -> None:
    session = db.session()
    link = demo_assessment.questionnaires[0]
    for response in list(demo_assessment.responses):
        if response.questionnaire_version_id == link.questionnaire_version_id:
            session.delete(response)
    session.commit()
    report = build_report(session, demo_assessment)
    assert report.pending == (link.questionnaire_version.title,)
    assert len(report.questionnaires) == len(demo_assessment.questionnaires) - 1


def _profile(levels: list[int | None]) -> Profile:
    sections = tuple(SectionResult(f"s{i}", f"Section {i}", level, f"L{level}" if level else None, None, 1, 1, "")
                     for i, level in enumerate(levels))
    return Profile("q", 1, "weighted-mean", 2, "L2", None, sections, "")


def test_strengths_and_improvements() -> None:
    strengths, improvements = strengths_and_improvements(_profile([2, 4, None, 1, 4, 1]))
    assert [s.id for s in strengths] == ["s1", "s4"]
    assert [s.id for s in improvements] == ["s3", "s5"]
    assert strengths_and_improvements(_profile([3, 3])) == ((), ())
    assert strengths_and_improvements(_profile([None])) == ((), ())


def test_resources_apply_by_section_level(app: Flask) -> None:
    questionnaire = next(iter(questionnaire_library(app))).questionnaire
    first, second = questionnaire.sections[0].id, questionnaire.sections[1].id
    resources = (
        Resource("Always"),
        Resource("Low first", applies_to=ResourceTarget(section=first, max_level=2)),
        Resource("Low second", applies_to=ResourceTarget(section=second, max_level=2)),
        Resource("Overall low", applies_to=ResourceTarget(max_level=2)),
        Resource("Unknown section", applies_to=ResourceTarget(section="nope", max_level=5)),
    )
    from dataclasses import replace

    questionnaire = replace(questionnaire, resources=resources)
    base = _profile([2, 3])
    profile = replace(base, sections=(replace(base.sections[0], id=first, title="First"),
                                      replace(base.sections[1], id=second, title="Second")))
    chosen = applicable_resources(questionnaire, profile)
    assert [item.resource.title for item in chosen] == ["Always", "Low first", "Overall low"]
    assert chosen[1].reason == "Because 'First' is at level 2 or below"
    assert chosen[0].reason == "Relevant at every level"


def test_download_responses(app: Flask, demo_report: ReportData) -> None:
    assert report_filename("DEMO", 3, "pdf") == "maturity-profile-DEMO-round-3.pdf"
    assert report_filename("../x y", 3, "pdf") == "maturity-profile-x-y-round-3.pdf"
    pdf = pdf_file(cached_pdf(app, demo_report), report_filename("DEMO", 3, "pdf"))
    assert pdf.mimetype == "application/pdf" and pdf.get_data().startswith(b"%PDF")
    assert "attachment" in pdf.headers["Content-Disposition"]
    assert demo_report.generated == date(2027, 5, 3)
