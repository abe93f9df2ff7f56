"""A round's participants: only they count, answer and are reminded; adding, removing, carrying them over."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import select

from assess import db
from assess.models import (
    Assessment,
    AssessmentStatus,
    Assignment,
    AuditEvent,
    Invitation,
    JoinedBy,
    Organisation,
    OrganisationRole,
    RespondentGroup,
    Response,
    SiteRole,
    User,
)
from assess.services import participants
from assess.services.completion import completion, finished_counts, reminder_plan
from assess.services.invitations import create_account
from assess.services.users import add_membership, add_user
from tests.conftest import PLACES_PASSWORD, Inbox, Places, ask, hidden_fields, signed_in_client
from tests.test_team import post, round_url


def _member(app: Flask, email: str, group: RespondentGroup = RespondentGroup.OFFICER) -> int:
    """A new respondent of the own council (asked in no round), signed in with the places password."""
    with app.app_context():
        session = db.session()
        council = session.scalar(select(Organisation).filter_by(code="OWN"))
        assert council is not None
        user = add_user(session, email, email.split("@")[0].title(), PLACES_PASSWORD, ())
        add_membership(session, user, council, OrganisationRole.RESPONDENT, group)
        session.commit()
        return user.id


def _asked(app: Flask, round_id: int) -> dict[str, tuple[str, str]]:
    with app.app_context():
        assessment = db.session().get(Assessment, round_id)
        assert assessment is not None
        return {p.user.email: (p.group.value, p.how.value) for p in participants.participants_of(db.session(),
                                                                                                  assessment)}


def test_accepting_an_invitation_makes_the_person_a_participant_in_the_invited_group(fixture_app: Flask,
                                                                                     places: Places) -> None:
    with fixture_app.app_context():
        session = db.session()
        invitation = session.get(Invitation, places.own.invitation_id)
        assert invitation is not None
        create_account(session, invitation, "New Colleague", "a long enough passphrase 42")
        session.commit()
    assert _asked(fixture_app, places.own.round_id) == {"respondent@example.org": ("member", "added"),
                                                        "new.colleague@example.org": ("officer", "invited")}
    with fixture_app.app_context():
        session = db.session()
        assessment = session.get(Assessment, places.own.round_id)
        lead = session.scalar(select(User).filter_by(email="lead@example.org"))
        assert assessment is not None and lead is not None
        # The lead, a member of the council, is not asked: completion counts the two participants only.
        assert [p.user.email for p in completion(session, assessment, lead).people] == [
            "new.colleague@example.org", "respondent@example.org"]
        assert finished_counts(session, [assessment], lead) == {assessment.id: (0, 2)}


def test_a_member_not_asked_neither_sees_nor_answers_the_round_until_the_lead_adds_them(fixture_app: Flask,
                                                                                        places: Places) -> None:
    _member(fixture_app, "bystander@example.org")
    bystander = signed_in_client(fixture_app, "bystander")
    assert "Own round" not in bystander.get("/").get_data(as_text=True)
    assert "Own round" not in bystander.get(f"/councils/{places.own.code}/").get_data(as_text=True)
    assert bystander.get(round_url(places, "full-example", "strategy")).status_code == 404
    lead = signed_in_client(fixture_app, "lead")
    page = lead.get(round_url(places, "participants")).get_data(as_text=True)
    assert "Bystander (senior officers)" in page and "1 person asked" in page
    nothing = post(lead, round_url(places, "participants"), {})
    assert nothing.status_code == 400 and "Choose at least one person or group to add" in nothing.get_data(as_text=True)
    with fixture_app.app_context():
        bystander_id = db.session().scalar(select(User.id).filter_by(email="bystander@example.org"))
    added = post(lead, round_url(places, "participants"), {"people": str(bystander_id)})
    assert added.status_code == 302
    assert _asked(fixture_app, places.own.round_id)["bystander@example.org"] == ("officer", "added")
    assert bystander.get(round_url(places, "full-example", "strategy")).status_code == 200
    assert "2 people asked" in lead.get(round_url(places, "participants")).get_data(as_text=True)
    with fixture_app.app_context():
        event = db.session().scalar(select(AuditEvent).filter_by(action="participants-added"))
        assert event is not None and event.detail == {"people": ["bystander@example.org"]}


def test_the_lead_adds_everyone_in_a_group(fixture_app: Flask, places: Places) -> None:
    _member(fixture_app, "cllr.a@example.org", RespondentGroup.MEMBER)
    _member(fixture_app, "cllr.b@example.org", RespondentGroup.MEMBER)
    _member(fixture_app, "officer.c@example.org", RespondentGroup.OFFICER)
    lead = signed_in_client(fixture_app, "lead")
    assert post(lead, round_url(places, "participants"), {"groups": "member"}).status_code == 302
    asked = _asked(fixture_app, places.own.round_id)
    assert asked["cllr.a@example.org"] == asked["cllr.b@example.org"] == ("member", "added")
    assert "officer.c@example.org" not in asked and "lead@example.org" not in asked


def test_the_lead_removes_only_someone_who_has_not_answered_while_the_round_is_open(fixture_app: Flask,
                                                                                    places: Places) -> None:
    silent_id = _member(fixture_app, "silent@example.org")
    ask(fixture_app, places.own.round_id, "silent@example.org")
    silent = signed_in_client(fixture_app, "silent")
    assert silent.get(round_url(places, "full-example", "strategy")).status_code == 200  # looked, saved nothing
    lead = signed_in_client(fixture_app, "lead")
    listing = round_url(places, "participants")
    # The respondent has answered: no Remove button, and removing is refused.
    page = lead.get(listing).get_data(as_text=True)
    assert "Remove<span class=\"govuk-visually-hidden\"> Silent</span>" in page
    assert "Remove<span class=\"govuk-visually-hidden\"> Respondent</span>" not in page
    refused = post(lead, f"{listing}/{places.own.person_id}/remove", {}, page_url=listing)
    assert refused.status_code == 302
    assert "Respondent has already answered, so they stay in the round" in lead.get(listing).get_data(as_text=True)
    assert post(lead, f"{listing}/{silent_id}/remove", {}, page_url=listing).status_code == 302
    assert set(_asked(fixture_app, places.own.round_id)) == {"respondent@example.org"}
    assert silent.get(round_url(places, "full-example", "strategy")).status_code == 404
    with fixture_app.app_context():
        event = db.session().scalar(select(AuditEvent).filter_by(action="participant-removed"))
        assert event is not None and event.detail == {"person": "silent@example.org", "group": "officer"}
    # Once answering has closed, nobody leaves the round (its figures are being agreed).
    ask(fixture_app, places.own.round_id, "silent@example.org")
    assert post(lead, round_url(places, "status", "in-review"), {}).status_code == 302
    assert post(lead, f"{listing}/{silent_id}/remove", {}, page_url=round_url(places, "invitations")).status_code == 302
    assert "silent@example.org" in _asked(fixture_app, places.own.round_id)


def test_removing_someone_not_asked_in_the_round_is_not_found_and_names_nobody(fixture_app: Flask,
                                                                                places: Places) -> None:
    lead = signed_in_client(fixture_app, "lead")
    listing = round_url(places, "participants")
    # The other council's respondent (its lead), an analyst and an id no account has: all alike, a 404.
    with fixture_app.app_context():
        strangers = [db.session().scalar(select(User.id).filter_by(email=email))
                     for email in ("other-lead@example.org", "analyst@example.org")]
    for user_id in (*strangers, 999_999):
        refused = post(lead, f"{listing}/{user_id}/remove", {}, page_url=listing)
        assert refused.status_code == 404
    page = lead.get(listing).get_data(as_text=True)
    assert "Other-Lead" not in page and "Analyst" not in page


def test_the_next_round_asks_the_same_people_again(fixture_app: Flask, places: Places) -> None:
    _member(fixture_app, "officer.c@example.org")
    ask(fixture_app, places.own.round_id, "officer.c@example.org")
    lead = signed_in_client(fixture_app, "lead")
    new = f"/councils/{places.own.code}/rounds/new?from={places.own.round_id}"
    started = post(lead, new, {"title": "Next year", "questionnaires": ["full-example"],
                               "expected_groups": ["officer", "member"], "comments_named": "anonymous"})
    assert started.status_code == 302
    with fixture_app.app_context():
        round_id = db.session().scalar(select(Assessment.id).filter_by(title="Next year"))
        assert round_id is not None
    assert _asked(fixture_app, round_id) == {"respondent@example.org": ("member", "carried-over"),
                                             "officer.c@example.org": ("officer", "carried-over")}
    assert "asking the 2 people of ‘Own round’" in lead.get(started.headers["Location"]).get_data(as_text=True)


def test_a_facilitator_with_an_account_is_assigned_directly_and_told_by_email(fixture_app: Flask, places: Places,
                                                                              inbox: Inbox) -> None:
    with fixture_app.app_context():
        add_user(db.session(), "adviser@lga.example", "Ada Adviser", PLACES_PASSWORD, (SiteRole.FACILITATOR,))
        db.session().commit()
    lead = signed_in_client(fixture_app, "lead")
    assigned = post(lead, round_url(places, "facilitators"), {"email": "Adviser@LGA.example"})
    assert assigned.status_code == 302
    assert "Ada Adviser is now a facilitator of this round, and has been emailed" in lead.get(
        assigned.headers["Location"]).get_data(as_text=True)
    [message] = inbox.messages
    assert message["To"] == "adviser@lga.example"
    assert f"/councils/OWN/rounds/{places.own.round_id}/manage" in inbox.links("adviser@lga.example")[0]
    with fixture_app.app_context():
        session = db.session()
        adviser = session.scalar(select(User).filter_by(email="adviser@lga.example"))
        assert adviser is not None
        assert session.scalar(select(Assignment).filter_by(assessment_id=places.own.round_id, user_id=adviser.id))
        assert session.scalar(select(Invitation).filter_by(email="adviser@lga.example")) is None
    adviser = fixture_app.test_client()
    form = hidden_fields(adviser.get("/sign-in").get_data(as_text=True))
    adviser.post("/sign-in", data={**form, "email": "adviser@lga.example", "password": PLACES_PASSWORD})
    assert adviser.get(round_url(places, "manage")).status_code == 200


def test_the_invitations_list_shows_name_group_sent_expiry_and_state(fixture_app: Flask, places: Places,
                                                                     inbox: Inbox) -> None:
    lead = signed_in_client(fixture_app, "lead")
    post(lead, round_url(places, "invite"), {"group": "member", "addresses": "Cllr Dee Jones <dee@example.org>"})
    page = lead.get(round_url(places, "invitations")).get_data(as_text=True)
    for text in ("Cllr Dee Jones", "dee@example.org", "Elected members", "Pending", "New Colleague", "Not sent"):
        assert text in page, text
    with fixture_app.app_context():
        invitation = db.session().scalar(select(Invitation).filter_by(email="dee@example.org"))
        assert invitation is not None and invitation.sent_at is not None
        assert f"{invitation.expires_at.day} {invitation.expires_at:%B %Y}" in page
    assert post(lead, round_url(places, "invitations", str(places.own.invitation_id), "revoke"), {},
                page_url=round_url(places, "invitations")).status_code == 302
    assert "Revoked" in lead.get(round_url(places, "invitations")).get_data(as_text=True)


def test_closing_answering_says_how_many_have_not_finished_and_offers_a_reminder(fixture_app: Flask,
                                                                                 places: Places) -> None:
    lead = signed_in_client(fixture_app, "lead")
    page = lead.get(round_url(places, "status", "in-review")).get_data(as_text=True)
    assert "1 of the 1 people asked in this round has not submitted everything yet" in page
    assert f'href="{round_url(places, "remind")}"' in page


def test_reminders_go_to_the_lead_only_when_she_is_asked(fixture_app: Flask, places: Places) -> None:
    with fixture_app.app_context():
        session = db.session()
        assessment = session.get(Assessment, places.own.round_id)
        lead = session.scalar(select(User).filter_by(email="lead@example.org"))
        assert assessment is not None and lead is not None
        assert [d.user.email for d in reminder_plan(session, assessment, lead)] == ["respondent@example.org"]
        participants.join(session, assessment, lead, RespondentGroup.OFFICER, JoinedBy.ADDED, lead)
        plan = {d.user.email: d.unfinished for d in reminder_plan(session, assessment, lead)}
        assert plan == {"lead@example.org": ("Full example", "Staged example"),
                        "respondent@example.org": ("Staged example",)}
        assessment.status = AssessmentStatus.IN_REVIEW
        with pytest.raises(ValueError, match="no longer taking answers"):
            reminder_plan(session, assessment, lead)


def test_answers_count_in_the_group_the_person_is_asked_in(fixture_app: Flask, places: Places) -> None:
    """The divergence view and sector figures read each response's group: the round's, not the council's."""
    _member(fixture_app, "adviser@example.org", RespondentGroup.OFFICER)
    ask(fixture_app, places.own.round_id, "adviser@example.org", RespondentGroup.OTHER)
    adviser = signed_in_client(fixture_app, "adviser")
    assert post(adviser, round_url(places, "full-example", "strategy"), {"has-strategy": "no"}).status_code == 302
    with fixture_app.app_context():
        groups = db.session().scalars(select(Response.respondent_group).join(User, User.id == Response.respondent_id)
                                      .where(User.email == "adviser@example.org")).all()
    assert groups == [RespondentGroup.OTHER]
