"""Hostile and careless input gets a clear 4xx or a form error, never a 500, on SQLite and PostgreSQL."""

from __future__ import annotations

import time

import pytest
from flask import Flask
from sqlalchemy import select

from assess import db
from assess.answers import AnswerError, coerce_value
from assess.models import Answer, Assessment, AuditEvent
from assess.reports.pdf import LONGEST_PARAGRAPH, text_pieces
from scoring.model import Question
from tests.conftest import Places, ask, csrf_token, signed_in_client
from tests.test_fuzz import multipart_body


def test_a_nul_byte_in_a_sign_in_email_is_a_wrong_email_not_a_server_error(fixture_app: Flask, places: Places) -> None:
    client = signed_in_client(fixture_app, "anonymous")
    token = csrf_token(client.get("/sign-in").get_data(as_text=True))
    answer = client.post("/sign-in", data={"csrf_token": token, "email": "lead\x00@example.org", "password": "x"})
    assert answer.status_code == 200 and "Enter a correct email address and password" in answer.get_data(as_text=True)


def test_an_email_longer_than_200_characters_can_fail_and_succeed_to_sign_in(fixture_app: Flask,
                                                                            places: Places) -> None:
    from assess.services.users import add_user

    email = f"{'a' * 64}@{'long-subdomain-of-a-council.' * 6}example.org"
    assert 200 < len(email) <= 254
    with fixture_app.app_context():
        add_user(db.session(), email, "Long Address", "a-long-enough-password")
        db.session().commit()
    client = fixture_app.test_client()
    token = csrf_token(client.get("/sign-in").get_data(as_text=True))
    wrong = client.post("/sign-in", data={"csrf_token": token, "email": email, "password": "wrong password"})
    assert wrong.status_code == 200
    right = client.post("/sign-in", data={"csrf_token": token, "email": email, "password": "a-long-enough-password"})
    assert right.status_code == 302
    with fixture_app.app_context():
        subjects = db.session().scalars(select(AuditEvent.subject).order_by(AuditEvent.id)).all()
        assert subjects[-2:] == [email, email]


def test_control_characters_are_taken_out_of_comments_and_round_titles(fixture_app: Flask, places: Places) -> None:
    ask(fixture_app, places.own.round_id, "lead@example.org")  # the lead answers too
    client = signed_in_client(fixture_app, "lead")
    code, round_id = places.own.code, places.own.round_id
    url = f"/councils/{code}/rounds/{round_id}/full-example/delivery"
    page = client.get(url).get_data(as_text=True)
    saved = client.post(url, data={"csrf_token": csrf_token(page), "lock_version": "0",
                                   "delivery-model": "in-house", "delivery-model--comment": "Shared\x00 with\x1b us"})
    assert saved.status_code == 302
    new = client.get(f"/councils/{code}/rounds/new").get_data(as_text=True)
    started = client.post(f"/councils/{code}/rounds/new", data={
        "csrf_token": csrf_token(new), "title": "Spring\x00 2028", "questionnaires": ["full-example", "full-example"],
        "expected_groups": ["officer"], "comments_named": "anonymous"})
    assert started.status_code == 302
    with fixture_app.app_context():
        session = db.session()
        comments = session.scalars(select(Answer.comment).filter_by(question_id="delivery-model").order_by(Answer.id))
        assert comments.all()[-1] == "Shared with us"
        spring = session.scalar(select(Assessment).filter_by(title="Spring 2028"))
        # The questionnaire named twice is offered once.
        assert spring is not None and len(spring.questionnaires) == 1


@pytest.mark.parametrize("path", [
    "/councils/OWN/rounds/99999999999999999999/",
    "/councils/OWN/rounds/2147483648/",
    "/councils/OWN/rounds/0/",
    "/councils/OWN/rounds/-1/",
    "/councils/OWN/rounds/2147483648/profile.pdf",
    "/councils/%00/",
    "/councils/OWN%00/rounds/1/",
    "/councils/OWN/rounds/1/full-example%00/check",
])
def test_addresses_out_of_range_or_with_control_characters_are_404(fixture_app: Flask, places: Places,
                                                                   path: str) -> None:
    assert signed_in_client(fixture_app, "lead").get(path).status_code == 404


@pytest.mark.parametrize("target", ["/%0d%0aX", "/%0aSet-Cookie:x=1", "//evil.example/", "/\\evil.example",
                                    "https://evil.example/"])
def test_sign_in_never_redirects_off_the_site_or_with_control_characters(fixture_app: Flask, places: Places,
                                                                         target: str) -> None:
    client = fixture_app.test_client()
    page = client.get(f"/sign-in?next={target}").get_data(as_text=True)
    signed_in = client.post(f"/sign-in?next={target}", data={
        "csrf_token": csrf_token(page), "email": "lead@example.org", "password": "places-password-1"})
    assert (signed_in.status_code, signed_in.headers["Location"]) == (302, "/")


def test_a_lock_version_out_of_range_is_a_conflict_not_an_error(fixture_app: Flask, places: Places) -> None:
    ask(fixture_app, places.own.round_id, "lead@example.org")  # the lead answers too
    client = signed_in_client(fixture_app, "lead")
    code, round_id = places.own.code, places.own.round_id
    url = f"/councils/{code}/rounds/{round_id}/full-example/strategy"
    page = client.get(url).get_data(as_text=True)
    for lock in ("99999999999999999999", "-5", "x"):
        refused = client.post(url, data={"csrf_token": csrf_token(page), "lock_version": lock, "has-strategy": "yes"})
        assert refused.status_code == 409, lock


def test_text_answers_default_to_10000_characters_at_most() -> None:
    question = Question(id="notes", type="text", text="Notes?")
    assert coerce_value(question, "x" * 10_000) == "x" * 10_000
    with pytest.raises(AnswerError, match="use 10,000 characters or fewer"):
        coerce_value(question, "x" * 10_001)
    own_limit = Question(id="notes", type="text", text="Notes?", max_length=20_000)
    assert coerce_value(own_limit, "x" * 15_000) == "x" * 15_000


def test_a_text_answer_over_its_limit_shows_the_error_and_keeps_the_text(fixture_app: Flask, places: Places) -> None:
    ask(fixture_app, places.own.round_id, "lead@example.org")  # the lead answers too
    client = signed_in_client(fixture_app, "lead")
    code, round_id = places.own.code, places.own.round_id
    url = f"/councils/{code}/rounds/{round_id}/full-example/delivery"
    typed = "Our partners and us. " * 12  # the fixture's notes question takes 200 characters
    page = client.get(url).get_data(as_text=True)
    refused = client.post(url, data={"csrf_token": csrf_token(page), "lock_version": "0", "notes": typed})
    html = refused.get_data(as_text=True)
    assert refused.status_code == 400 and "govuk-error-summary" in html
    assert "Use 200 characters or fewer (this has 252)" in html and typed.strip() in html


def test_long_text_is_cut_into_bounded_pieces_without_losing_any() -> None:
    text = ("word " * 1000) + "\n" + ("x" * 4000) + "\n\nlast line"
    pieces = text_pieces(text)
    assert all(len(piece) <= LONGEST_PARAGRAPH for piece in pieces)
    assert "".join(pieces).replace(" ", "") == text.replace(" ", "").replace("\n", "")


def test_a_very_long_answer_draws_in_pieces(stress_report_with_long_text: bytes) -> None:
    assert stress_report_with_long_text.startswith(b"%PDF")


@pytest.fixture
def stress_report_with_long_text() -> bytes:
    """The PDF of a report whose one answer holds 300 KB of text (reportlab drew it in minutes before)."""
    from datetime import UTC, date, datetime

    from assess.reports.data import OrganisationInfo, ReportData, RoundInfo, SourceResponse, assemble
    from assess.reports.pdf import render_pdf
    from assess.services.demo import demo_answers
    from scoring import Answer as Given
    from scoring import get_scorer
    from tests.reports.conftest import stress_questionnaire

    questionnaire = stress_questionnaire()
    text = ("Evidence from the plan and the committee minutes. " * 6000)[:300_000]
    answers = {k: Given(v.value, v.not_applicable, text if i == 0 else None)
               for i, (k, v) in enumerate(demo_answers(questionnaire, seed="long").items())}
    part = assemble(questionnaire, get_scorer("weighted-mean").score(questionnaire, answers), answers,
                    (SourceResponse(1, "individual", "A Respondent", "officer", datetime(2027, 5, 3, tzinfo=UTC)),))
    report = ReportData(OrganisationInfo("E1", "Testshire", "Testshire", "County", "London"),
                        RoundInfo(1, "Round", "open", date(2027, 1, 1)), date(2027, 5, 3), (), (part,))
    started = time.perf_counter()
    pdf = render_pdf(report)
    print(f"300 KB answer drawn in {time.perf_counter() - started:.2f} s")  # for the record, never asserted
    return pdf


@pytest.mark.parametrize("most", [4 * 1024 * 1024, None], ids=["with a size limit", "without one"])
def test_a_pasted_text_past_the_limit_gets_the_too_large_page_and_the_person_stays_signed_in(
        fixture_app: Flask, places: Places, most: int | None) -> None:
    fixture_app.config["MAX_CONTENT_LENGTH"] = most  # an installation may turn the overall limit off
    client = signed_in_client(fixture_app, "admin")
    token = csrf_token(client.get("/admin/questionnaires").get_data(as_text=True))
    text = "é" * (fixture_app.config["MAX_FORM_MEMORY_SIZE"] // 2 + 1)  # two bytes each: one byte past the limit
    # Encoded here: the test client spools a large multipart body it encodes to a file it leaves open.
    content_type, body = multipart_body(token, text.encode())
    refused = client.post("/admin/questionnaires", data=body, content_type=content_type)
    page = refused.get_data(as_text=True)
    assert refused.status_code == 413 and "What you sent is too large" in page and "at most 2 MB of text" in page
    assert ("at most 4 MB at once" in page) == (most is not None)
    assert client.get("/session/keep-alive").status_code == 204


@pytest.mark.parametrize("boxes", [["31"], ["31", "12"], ["31", "12", "2027", "9"]])
def test_a_date_posted_with_too_few_or_too_many_boxes_is_an_error_on_the_page_not_a_500(
        fixture_app: Flask, places: Places, boxes: list[str]) -> None:
    client = signed_in_client(fixture_app, "lead")
    url = f"/councils/{places.own.code}/rounds/new"
    refused = client.post(url, data={"csrf_token": csrf_token(client.get(url).get_data(as_text=True)),
                                     "title": "Spring 2028", "questionnaires": ["full-example"], "closes_on": boxes,
                                     "expected_groups": ["officer"], "comments_named": "anonymous"})
    page = refused.get_data(as_text=True)
    assert refused.status_code == 400 and "Closing date (optional) must be a real date" in page
    assert 'value="Spring 2028"' in page  # what was typed is kept
