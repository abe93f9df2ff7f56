"""The peer-challenge pack: its figures from stored scores, the PDF's text and outline, DRAFT marking, the HTML twin."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from io import BytesIO
from typing import TYPE_CHECKING

import pytest
from flask import Flask
from pypdf import PdfReader
from sqlalchemy import select, update

from assess import db, questionnaire_library
from assess.models import (
    Assessment,
    Organisation,
    RespondentGroup,
    Response,
    ResponseKind,
    ResponseStatus,
    Score,
    Sharing,
    User,
)
from assess.reports import downloads
from assess.reports.downloads import cached_pdf, fingerprint
from assess.reports.html import render_pack_html
from assess.reports.pack import NoAgreedAnswers, Pack, build_pack
from assess.reports.pdf import render_pack_pdf
from assess.services.agreement import agreed_response
from assess.services.demo import LAST_YEAR, demo_answers
from assess.services.questionnaires import questionnaire_of
from assess.services.responses import save_answers, submit_response
from assess.services.simulate import simulate

if TYPE_CHECKING:
    from tests.reports.conftest import PdfChecks

PARTS = ("Agreed levels", "Spread of views", "Targets and gaps", "Actions", "Comparison with similar councils",
         "Change since last time")


def confirm_agreed_answers(assessment: Assessment, count: int | None = None) -> None:
    """Confirm the agreed answers to the round's first `count` questionnaires (all by default), as its lead."""
    session = db.session()
    lead = session.scalar(select(User).filter_by(email="lead@demo.example"))
    assert lead is not None
    for link in assessment.questionnaires[:count]:
        version = link.questionnaire_version
        agreed = agreed_response(session, assessment, version, lead)
        save_answers(session, agreed, demo_answers(questionnaire_of(version), f"agreed-now-{version.id}"), lead)
        submit_response(session, agreed, lead)
    session.flush()


@pytest.fixture
def draft_pack(demo_assessment: Assessment) -> Pack:
    """The demo's current round (not published) with agreed answers confirmed to three questionnaires."""
    confirm_agreed_answers(demo_assessment, 3)
    return build_pack(db.session(), demo_assessment, generated=date(2027, 5, 3))


def outline(pdf: bytes) -> tuple[list[str], dict[str, list[str]]]:
    """Top-level outline titles, and the titles nested under each."""
    top: list[str] = []
    nested: dict[str, list[str]] = {}
    for item in PdfReader(BytesIO(pdf)).outline:
        if isinstance(item, list):
            nested[top[-1]] = [child.title for child in item if not isinstance(child, list)]
        else:
            top.append(item.title)
    return top, nested


def test_a_round_without_confirmed_agreed_answers_has_no_pack(demo_assessment: Assessment) -> None:
    with pytest.raises(NoAgreedAnswers, match="no confirmed agreed answers"):
        build_pack(db.session(), demo_assessment)


def test_the_spread_of_views_is_each_respondents_stored_section_level(draft_pack: Pack,
                                                                      demo_assessment: Assessment) -> None:
    session = db.session()
    part = draft_pack.parts[0]
    section = part.sections[0]
    stored = session.execute(
        select(Response.respondent_group, Score.level).join(Score)
        .where(Response.assessment_id == demo_assessment.id, Response.kind == ResponseKind.INDIVIDUAL,
               Response.status == ResponseStatus.SUBMITTED, Score.section_id == section.id,
               Score.level.is_not(None))).tuples().all()
    assert sorted((str(group), level) for group, level in stored) == sorted(section.marks)
    assert {group for group, _level in section.marks} == {"officer", "member"}
    # Participation counts the people asked by group (not the lead, who runs the round): asked, answered anything,
    # answered everything.
    officers, members = draft_pack.participation
    assert (officers.group, members.group) == (RespondentGroup.OFFICER.label, RespondentGroup.MEMBER.label)
    assert (officers.invited, officers.responded, officers.finished) == (4, 4, 2)
    assert (members.invited, members.responded, members.finished) == (4, 2, 1)
    assert part.respondents == {"officer": 4, "member": 2}
    # The agreed level, the target and the gap; the change since last year's published round.
    assert section.target is not None and section.gap == section.target - (section.agreed or 0)
    assert part.previous_round == LAST_YEAR and section.previously_asked and section.previous is not None
    assert [p.title for p in draft_pack.parts] == [link.questionnaire_version.title
                                                   for link in demo_assessment.questionnaires[:3]]
    assert len(draft_pack.report.pending) == 4


def test_draft_pack_pdf_holds_every_part_and_says_draft_on_every_page(draft_pack: Pack,
                                                                       pdf_checks: PdfChecks) -> None:
    pdf = render_pack_pdf(draft_pack)
    pdf_checks.qpdf_check(pdf)
    pages = PdfReader(BytesIO(pdf)).pages
    assert all("DRAFT" in (page.extract_text() or "") for page in pages)
    text = pdf_checks.text(pdf)
    for words in ("Key messages", "Participation", "Senior officers", "Elected members", "Gave their own views",
                  "Overall levels across questionnaires", *PARTS, "Officers' levels", "Members' levels",
                  "Agree an improvement plan for this area with partners", "Director of Strategy",
                  "Report progress on this area to the cabinet every quarter", "carried on from", LAST_YEAR,
                  "Appendix: agreed answers and their notes", "Agreed answers not yet confirmed"):
        assert words in text, words
    part = draft_pack.parts[0]
    row = " ".join([part.sections[0].title, str(part.sections[0].agreed)])
    assert pdf_checks.squash(row) in text
    for message in draft_pack.messages:
        assert pdf_checks.squash(message) in text
    top, nested = outline(pdf)
    assert top[:4] == ["Cover", "Key messages", "Participation", "Overall levels"]
    assert top[-1] == "Appendix: agreed answers and their notes"
    for each in draft_pack.parts:
        assert nested[each.title] == list(PARTS)


def test_key_messages_say_what_the_tables_do_not(draft_pack: Pack) -> None:
    text = " ".join(draft_pack.messages)
    assert "people asked" in text and "Strongest:" in text and "Weakest:" in text
    assert "sections with a target fall short of it" in text
    assert "Views diverged most on" in text or "Individual views were close" in text
    assert f"Since {LAST_YEAR}," in text
    assert "improvement actions support the targets" in text


def test_published_pack_is_not_marked_draft_and_explains_a_missing_comparison(
        demo_assessment: Assessment, pdf_checks: PdfChecks) -> None:
    session = db.session()
    last_year = session.scalar(select(Assessment).filter_by(title=LAST_YEAR))
    assert last_year is not None
    pack = build_pack(session, last_year)
    assert not pack.draft
    pdf = render_pack_pdf(pack)
    assert not any("DRAFT" in (page.extract_text() or "") for page in PdfReader(BytesIO(pdf)).pages)
    text = pdf_checks.text(pdf)
    assert "no similar council has published agreed answers" in text and "at least 5 councils" in text
    assert "There is no earlier published round" in text


def test_comparison_with_similar_councils_when_enough_have_shared(app: Flask, draft_pack: Pack,
                                                                  demo_assessment: Assessment,
                                                                  pdf_checks: PdfChecks) -> None:
    session = db.session()
    councils = [Organisation(code=f"UA{i}", name=f"Unitary {i}", type="Unitary authority", region="North West",
                             population=150_000 + 5_000 * i) for i in range(9)]
    session.add_all(councils)
    session.flush()
    simulate(session, councils, questionnaire_library(app), seed=3, rounds=1)
    # Compared with councils that shared by name only (ADR 0010).
    session.execute(update(Assessment).where(Assessment.organisation_id.in_([c.id for c in councils]))
                    .values(sharing=Sharing.NAMED))
    pack = build_pack(session, demo_assessment)
    comparison = pack.parts[0].comparison
    assert comparison.shown and comparison.councils >= 5
    assert comparison.rows[0].title == "Overall level" and comparison.rows[0].median is not None
    text = pdf_checks.text(render_pack_pdf(pack))
    assert f"The {comparison.councils} councils of the same type nearest in population" in text
    assert "Lower quartile" in text


def test_html_twin_holds_the_same_parts(app: Flask, draft_pack: Pack) -> None:
    with app.test_request_context():
        page = render_pack_html(draft_pack)
    for words in ("DRAFT", "Key messages", "Participation", "Senior officers", *PARTS, "Officers’ levels",
                  "Director of Strategy", "Appendix: agreed answers and their notes", 'class="assess-chart'
                  ' assess-chart--spread"'):
        assert words in page, words
    for part in draft_pack.parts:
        assert f'id="{part.anchor}-spread"' in page and f'id="{part.anchor}-change"' in page


def test_the_pack_pdf_is_drawn_once_per_content(app: Flask, draft_pack: Pack, monkeypatch: pytest.MonkeyPatch) -> None:
    drawn: list[Pack] = []

    def counting(pack: Pack) -> bytes:
        drawn.append(pack)
        return render_pack_pdf(pack)

    monkeypatch.setattr(downloads, "render_pack_pdf", counting)
    first = cached_pdf(app, draft_pack)
    assert cached_pdf(app, replace(draft_pack)) == first and len(drawn) == 1  # built afresh, as the next request does
    published = replace(draft_pack, draft=False)
    assert fingerprint(published) != fingerprint(draft_pack)
    assert cached_pdf(app, published) != first and len(drawn) == 2
