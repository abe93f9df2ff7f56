"""The profile page's body is kept by content: served again without building the report, rebuilt on any change."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update

from assess import db, questionnaire_library
from assess.models import (
    ActionStatus,
    Assessment,
    AssessmentStatus,
    Response,
    ResponseKind,
    ResponseStatus,
    Score,
    Sharing,
    User,
)
from assess.reports.profile_cache import profile_cache
from assess.services.agreement import ActionDetails, agreed_response, save_action, set_targets
from assess.services.demo import DEMO_ROUND, create_demo, demo_answers
from assess.services.questionnaires import questionnaire_of
from assess.services.responses import individual_response, rescore, save_answers, submit_response
from assess.services.rounds import change_status
from assess.web import respond
from tests.conftest import submit_form

PASSWORD = "demo-password-1"


@pytest.fixture
def builds(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Each call of build_report by the profile page, as the round's id."""
    calls: list[int] = []
    real = respond.build_report

    def counted(session: Any, assessment: Assessment, **options: Any) -> Any:
        calls.append(assessment.id)
        return real(session, assessment, **options)

    monkeypatch.setattr(respond, "build_report", counted)
    return calls


@pytest.fixture
def round_id(app: Flask) -> int:
    """The demo council's round."""
    with app.app_context():
        create_demo(db.session(), questionnaire_library(app), PASSWORD)
        db.session().commit()
        found = db.session().scalar(select(Assessment.id).filter_by(title=DEMO_ROUND))
    assert found is not None
    return found


def _signed_in(app: Flask, email: str) -> FlaskClient:
    client = app.test_client()
    assert submit_form(client, "/sign-in", {"email": email, "password": PASSWORD}).status_code == 302
    return client


def _change(app: Flask, round_id: int, act: Callable[[Any, Assessment, User], None]) -> None:
    with app.app_context():
        session = db.session()
        assessment = session.get(Assessment, round_id)
        lead = session.scalar(select(User).filter_by(email="lead@demo.example"))
        assert assessment is not None and lead is not None
        act(session, assessment, lead)
        session.commit()


def _shown_response(session: Any, assessment: Assessment) -> Response:
    """The latest submitted individual response: what the lead's profile takes a questionnaire's figures from."""
    return session.scalars(select(Response).filter_by(assessment_id=assessment.id, status=ResponseStatus.SUBMITTED,
                                                      kind=ResponseKind.INDIVIDUAL)
                           .order_by(Response.submitted_at.desc(), Response.id.desc())).first()


def _main(page: str) -> str:
    """The page's main content (the layout around it carries this request's nonce)."""
    return page[page.index("<main"):page.index("</main>")]


def test_the_profile_body_is_built_once_per_content(app: Flask, round_id: int, builds: list[int]) -> None:
    url = f"/councils/DEMO/rounds/{round_id}/profile"
    lead = _signed_in(app, "lead@demo.example")

    def page() -> str:
        response = lead.get(url)
        assert response.status_code == 200
        return _main(response.get_data(as_text=True))

    def changed_by(act: Callable[[Any, Assessment, User], None], *, shows: bool = True) -> str:
        before, count = page(), len(builds)
        _change(app, round_id, act)
        after = page()
        assert len(builds) == count + 1, "the change gives the page another key"
        assert (after != before) == shows
        return after

    first = page()
    assert builds == [round_id]
    assert page() == first and builds == [round_id], "an unchanged profile is served without building the report"

    def member_response(session: Any, assessment: Assessment) -> Response:
        member = session.scalar(select(User).filter_by(email="member@demo.example"))
        return individual_response(session, assessment, assessment.questionnaires[0].questionnaire_version, member,
                                   "member")

    def save(session: Any, assessment: Assessment, lead_user: User) -> None:
        response = member_response(session, assessment)
        save_answers(session, response, demo_answers(questionnaire_of(response.questionnaire_version), "other"),
                     response.respondent)

    # A draft is not on the profile, but the profile is built from the round's responses, so it is rebuilt.
    changed_by(save, shows=False)

    def submit(session: Any, assessment: Assessment, lead_user: User) -> None:
        response = member_response(session, assessment)
        submit_response(session, response, response.respondent)

    assert "Cllr Jean Evans" in changed_by(submit)

    def agree(session: Any, assessment: Assessment, lead_user: User) -> None:
        for link in assessment.questionnaires:
            agreed = agreed_response(session, assessment, link.questionnaire_version, lead_user)
            save_answers(session, agreed, demo_answers(questionnaire_of(link.questionnaire_version), "agreed"),
                         lead_user)
            submit_response(session, agreed, lead_user)

    assert "Consensus response" in changed_by(agree)

    def target(session: Any, assessment: Assessment, lead_user: User) -> None:
        questionnaire = questionnaire_of(assessment.questionnaires[0].questionnaire_version)
        set_targets(session, assessment, questionnaire, {questionnaire.sections[0].id: max(questionnaire.levels)},
                    lead_user)

    # The page does not show targets (the pack does), but the report it is built from carries them.
    changed_by(target, shows=False)

    count = len(builds)
    _change(app, round_id, lambda session, assessment, lead_user: save_action(session, assessment, ActionDetails(
        assessment.questionnaires[0].questionnaire_version.questionnaire_id, None, "Train the team", None, None,
        ActionStatus.NOT_STARTED), lead_user))
    page()
    assert len(builds) == count, "actions are not on the profile, so adding one keeps the kept page"

    # Stored scores changed behind the services' back are only seen once the kept page is gone; a rescore then
    # puts the true figures back, and the page follows it.
    _change(app, round_id, lambda session, assessment, lead_user: session.execute(
        update(Score).where(Score.response_id.in_(select(Response.id).filter_by(assessment_id=assessment.id)))
        .values(explanation="Tampered with")))
    with app.app_context():
        profile_cache(app).clear()
    assert "Tampered with" in page()

    def rescore_round(session: Any, assessment: Assessment, lead_user: User) -> None:
        rescore(session, session.scalars(select(Response).filter_by(assessment_id=assessment.id)).all())

    assert "Tampered with" not in changed_by(rescore_round)

    changed_by(lambda session, assessment, lead_user: change_status(
        session, assessment, AssessmentStatus.IN_REVIEW, lead_user), shows=False)
    changed_by(lambda session, assessment, lead_user: change_status(
        session, assessment, AssessmentStatus.PUBLISHED, lead_user, sharing=Sharing.ANONYMOUS), shows=False)

    # Another viewer never gets the lead's kept page: whose figures a profile shows depends on who asks.
    officer = _main(_signed_in(app, "officer@demo.example").get(url).get_data(as_text=True))
    assert "Respondents" in page() and "Respondents" not in officer


def test_a_drawn_pdf_is_found_by_content_without_building_the_report(app: Flask, round_id: int,
                                                                      builds: list[int]) -> None:
    url = f"/councils/DEMO/rounds/{round_id}/profile.pdf"
    lead = _signed_in(app, "lead@demo.example")
    first = lead.get(url)
    assert first.mimetype == "application/pdf" and builds == [round_id]
    assert lead.get(url).data == first.data and lead.get(url + "/status").get_json() == {"ready": True}
    assert builds == [round_id], "a repeat request and the status find the drawn PDF by the profile's content key"

    def target(session: Any, assessment: Assessment, lead_user: User) -> None:
        questionnaire = questionnaire_of(assessment.questionnaires[0].questionnaire_version)
        set_targets(session, assessment, questionnaire, {questionnaire.sections[0].id: max(questionnaire.levels)},
                    lead_user)

    _change(app, round_id, target)
    again = lead.get(url)
    assert again.mimetype == "application/pdf" and again.data != first.data and len(builds) == 2
