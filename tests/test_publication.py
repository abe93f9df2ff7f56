"""Published means fixed: a published round's details cannot change, its sharing changes on its own (audited,
with the sector following), going back to review is its own clearly named step, and publishing emails the round's
participants a link to the council's agreed profile (real SMTP)."""

from __future__ import annotations

import re
from datetime import date

import pytest
from flask import Flask
from sqlalchemy import select

from assess import db, questionnaire_library
from assess.models import Assessment, AssessmentStatus, AuditEvent, Sharing, User
from assess.policy import NotAllowed
from assess.services.rounds import RoundDetails, RoundRefused, change_sharing, change_status, update_round
from assess.services.sector import named_councils
from tests.conftest import Inbox, Places, agree_everything, signed_in_client
from tests.test_team import path_of, post, round_url


def _published(app: Flask, places: Places, sharing: Sharing = Sharing.NAMED) -> None:
    """The own council's round, agreed and published by its lead."""
    agree_everything(app, places.own.round_id)
    with app.app_context():
        session = db.session()
        assessment, lead = _round_and_lead(places)
        change_status(session, assessment, AssessmentStatus.IN_REVIEW, lead)
        change_status(session, assessment, AssessmentStatus.PUBLISHED, lead, sharing=sharing)
        session.commit()


def _round_and_lead(places: Places) -> tuple[Assessment, User]:
    session = db.session()
    assessment = session.get(Assessment, places.own.round_id)
    lead = session.scalar(select(User).filter_by(email="lead@example.org"))
    assert assessment is not None and lead is not None
    return assessment, lead


def test_a_published_round_refuses_new_questionnaires_and_dates(fixture_app: Flask, places: Places) -> None:
    _published(fixture_app, places)
    with fixture_app.app_context():
        session = db.session()
        assessment, lead = _round_and_lead(places)
        chosen = [link.questionnaire_version.questionnaire_id for link in assessment.questionnaires]
        for details in (RoundDetails(assessment.title, [*chosen, "procurement-maturity"]),
                        RoundDetails(assessment.title, chosen, closes_on=date(2030, 1, 1))):
            with pytest.raises(RoundRefused, match="this round is published, so its questionnaires, dates"):
                update_round(session, assessment, lead, details, questionnaire_library(fixture_app))
        session.rollback()
        assessment, _lead = _round_and_lead(places)
        assert [link.questionnaire_version.questionnaire_id for link in assessment.questionnaires] == chosen
        assert assessment.closes_on is None


def test_sharing_changes_on_its_own_only_when_published_audited_and_the_sector_follows(fixture_app: Flask,
                                                                                     places: Places) -> None:
    with fixture_app.app_context():
        session = db.session()
        assessment, lead = _round_and_lead(places)
        with pytest.raises(RoundRefused, match="only a published round's sharing changes on its own"):
            change_sharing(session, assessment, Sharing.NAMED, lead)
    _published(fixture_app, places, Sharing.NAMED)
    with fixture_app.app_context():
        session = db.session()
        assessment, lead = _round_and_lead(places)
        assert assessment.organisation_id in session.scalars(named_councils()).all()
        with pytest.raises(RoundRefused, match="already shared with the sector by name"):
            change_sharing(session, assessment, Sharing.NAMED, lead)
        respondent = session.scalar(select(User).filter_by(email="respondent@example.org"))
        assert respondent is not None
        with pytest.raises(NotAllowed):
            change_sharing(session, assessment, Sharing.PRIVATE, respondent)
        published_at, status = assessment.published_at, assessment.status
        change_sharing(session, assessment, Sharing.ANONYMOUS, lead)
        session.commit()
        assert (assessment.published_at, assessment.status) == (published_at, status)  # nothing else changed
        assert assessment.organisation_id not in session.scalars(named_councils()).all()
        event = session.scalars(select(AuditEvent).filter_by(action="round-sharing-changed")).one()
        assert (event.detail, event.user_id) == ({"from": "named", "to": "anonymous"}, lead.id)


def test_the_published_round_page_says_how_it_is_shared_and_changes_it_in_one_step(fixture_app: Flask,
                                                                                  places: Places) -> None:
    _published(fixture_app, places, Sharing.ANONYMOUS)
    lead = signed_in_client(fixture_app, "lead")
    page = lead.get(round_url(places, "manage")).get_data(as_text=True)
    assert re.search(r"Shared\s*</dt>\s*<dd[^>]*>\s*Shared with the sector without the council’s name, since \d+ \w+ "
                     r"\d{4}", page)
    assert "Close answering and start the review" not in page
    assert "Withdraw the published results and return to review" in page and "govuk-button--warning" in page
    assert round_url(places, "edit") not in page  # no Change link for its fixed details
    changed = post(lead, round_url(places, "sharing"), {"sharing": "named"})
    assert changed.status_code == 302 and changed.headers["Location"] == round_url(places, "manage")
    assert "now shared with the sector by name" in lead.get(changed.headers["Location"]).get_data(as_text=True)
    with fixture_app.app_context():
        assessment, _lead = _round_and_lead(places)
        assert (assessment.status, assessment.sharing) == (AssessmentStatus.PUBLISHED, Sharing.NAMED)
    edit = post(lead, round_url(places, "edit"), {"title": "Own round", "questionnaires": ["full-example",
                "staged-example"], "expected_groups": ["officer"], "comments_named": "named",
                "closes_on": ["30", "4", "2030"]})
    assert edit.status_code == 400 and "This round is published, so its questionnaires" in edit.get_data(as_text=True)
    withdraw = lead.get(round_url(places, "status", "in-review")).get_data(as_text=True)
    assert "Withdraw the published results and return to review" in withdraw and "Why is this step" in withdraw
    assert round_url(places, "sharing") in withdraw  # changing only the sharing is offered instead


def test_publishing_emails_each_participant_a_link_to_the_agreed_profile(fixture_app: Flask, places: Places,
                                                                         inbox: Inbox) -> None:
    agree_everything(fixture_app, places.own.round_id)
    lead = signed_in_client(fixture_app, "lead")
    assert post(lead, round_url(places, "status", "in-review"), {}).status_code == 302
    assert inbox.messages == []
    assert post(lead, round_url(places, "status", "published"), {"sharing": "private"}).status_code == 302
    assert [m["To"] for m in inbox.messages] == ["respondent@example.org"]  # the participants only
    message = inbox.messages[0]
    assert message["Subject"] == "OWN Council’s self-assessment results are published"
    text = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "not shared with the sector" in text and "Your own answers are not part of it" in text
    link = path_of(inbox.links("respondent@example.org")[0])
    assert link == round_url(places, "profile")
    profile = signed_in_client(fixture_app, "respondent").get(link)
    # The council's agreed profile, not the respondent's own answers (a profile of those is titled so).
    assert profile.status_code == 200 and "Your answers" not in profile.get_data(as_text=True)


def test_a_respondents_task_list_says_the_round_is_published_and_links_the_agreed_profile(fixture_app: Flask,
                                                                                        places: Places) -> None:
    respondent = signed_in_client(fixture_app, "respondent")
    tasks = round_url(places) + "/"
    before = respondent.get(tasks).get_data(as_text=True)
    assert "you will be emailed a link to them" in before and "agreed maturity profile" not in before
    _published(fixture_app, places)
    after = respondent.get(tasks).get_data(as_text=True)
    assert "The council published its agreed results on" in after and "you will be emailed" not in after
    assert f'href="{round_url(places)}/profile">agreed maturity profile</a>' in after
    assert "Your answers as a maturity profile" not in after  # the profile is now the council's, not theirs
