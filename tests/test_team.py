"""Team rounds: invitations by real email (aiosmtpd), joining, completion, returns, reminders, a round's life."""

from __future__ import annotations

import csv
import io
import re
import socket
from datetime import timedelta
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from assess import db
from assess.answers import COMMENT_MISSING
from assess.cli import main
from assess.models import (
    Assessment,
    AssessmentStatus,
    AuditEvent,
    Invitation,
    Membership,
    RespondentGroup,
    Response,
    ResponseStatus,
    SiteRole,
    User,
)
from assess.services.invitations import hash_token, parse_addresses, parse_csv
from assess.services.questionnaires import questionnaire_of
from assess.services.responses import (
    Incomplete,
    answers_of,
    individual_response,
    missing_in_section,
    save_section,
    section_progress,
    submit_response,
)
from assess.services.users import new_password_problem
from scoring import Answer as ScoredAnswer
from tests.conftest import Inbox, Places, agree_everything, ask, hidden_fields, signed_in_client


def post(client: FlaskClient, url: str, data: dict[str, Any], page_url: str | None = None) -> Any:
    """Post a form as a browser does, with the page's hidden fields."""
    page = client.get(page_url or url).get_data(as_text=True)
    return client.post(url, data={**hidden_fields(page), **data})


def round_url(places: Places, *parts: str) -> str:
    return "/".join([f"/councils/{places.own.code}/rounds/{places.own.round_id}", *parts])


def path_of(link: str) -> str:
    return link.removeprefix("https://assess.council.example")


def test_invitation_by_email_then_a_new_account_joins_and_the_link_is_spent(fixture_app: Flask, places: Places,
                                                                             inbox: Inbox) -> None:
    lead = signed_in_client(fixture_app, "lead")
    sent = post(lead, round_url(places, "invite"), {
        "group": "member", "addresses": "Cllr Ada Lovelace <ada@council.example>\nbob@council.example\n"})
    assert sent.status_code == 302
    [message] = [m for m in inbox.messages if m["To"] == "ada@council.example"]
    assert message["Subject"] == "Take part in OWN Council’s self-assessment"
    assert message["From"] == "Council self-assessment <assess@council.example>"
    assert message.get_body(("html",)) is not None
    [link] = inbox.links("ada@council.example")
    token = link.rsplit("/", 1)[1]
    assert link.startswith("https://assess.council.example/invitations/") and len(token) >= 43
    with fixture_app.app_context():
        stored = db.session().scalar(select(Invitation).filter_by(email="ada@council.example"))
        assert stored is not None and stored.token_hash == hash_token(token) and token not in stored.token_hash
        assert stored.name == "Cllr Ada Lovelace" and stored.sent_at is not None

    ada = fixture_app.test_client()
    page = ada.get(path_of(link)).get_data(as_text=True)
    assert "Create your account" in page and 'value="Cllr Ada Lovelace"' in page
    weak = post(ada, path_of(link), {"name": "Ada Lovelace", "password": "password1234", "confirm": "password1234"})
    assert weak.status_code == 400 and "Choose a password that is harder to guess" in weak.get_data(as_text=True)
    joined = post(ada, path_of(link), {"name": "Ada Lovelace", "password": "lantern orbit teacup",
                                       "confirm": "lantern orbit teacup"})
    assert joined.status_code == 302 and joined.headers["Location"] == round_url(places, "")
    assert "Full example" in ada.get(round_url(places, "")).get_data(as_text=True)
    with fixture_app.app_context():
        user = db.session().scalar(select(User).filter_by(email="ada@council.example"))
        assert user is not None and user.name == "Ada Lovelace"
        membership = db.session().scalar(select(Membership).filter_by(user_id=user.id))
        assert membership is not None and membership.group.value == "member"
    used = fixture_app.test_client().get(path_of(link))
    assert used.status_code == 410 and "already been used" in used.get_data(as_text=True)


def test_expired_revoked_and_resent_links_each_say_what_to_do(fixture_app: Flask, places: Places,
                                                               inbox: Inbox) -> None:
    lead = signed_in_client(fixture_app, "lead")
    post(lead, round_url(places, "invite"), {"group": "officer", "addresses": "late@council.example\n"
                                                                             "gone@council.example"})
    [late], [gone] = inbox.links("late@council.example"), inbox.links("gone@council.example")
    with fixture_app.app_context():
        session = db.session()
        invitation = session.scalar(select(Invitation).filter_by(email="late@council.example"))
        assert invitation is not None
        invitation.expires_at -= timedelta(days=30)
        session.commit()
        gone_id = session.scalar(select(Invitation.id).filter_by(email="gone@council.example"))
    expired = fixture_app.test_client().get(path_of(late))
    assert expired.status_code == 410 and "This invitation has expired" in expired.get_data(as_text=True)
    invitations = round_url(places, "invitations")
    assert post(lead, f"{invitations}/{gone_id}/revoke", {}, page_url=invitations).status_code == 302
    revoked = fixture_app.test_client().get(path_of(gone))
    assert revoked.status_code == 410 and "withdrawn" in revoked.get_data(as_text=True)
    post(lead, f"{invitations}/{gone_id}/resend", {}, page_url=invitations)
    fresh = inbox.links("gone@council.example")[-1]
    assert fresh != gone
    assert fixture_app.test_client().get(path_of(gone)).status_code == 404  # the old link is gone for good
    assert "Create your account" in fixture_app.test_client().get(path_of(fresh)).get_data(as_text=True)
    unknown = fixture_app.test_client().get("/invitations/" + "x" * 43)
    assert unknown.status_code == 404 and "not valid" in unknown.get_data(as_text=True)


def test_an_existing_account_signs_in_to_accept(fixture_app: Flask, places: Places, inbox: Inbox) -> None:
    other_lead = signed_in_client(fixture_app, "other-lead")
    url = f"/councils/{places.other.code}/rounds/{places.other.round_id}/invite"
    post(other_lead, url, {"group": "officer", "addresses": "respondent@example.org"})
    [link] = inbox.links("respondent@example.org")
    client = fixture_app.test_client()
    assert "already has an account" in client.get(path_of(link)).get_data(as_text=True)
    wrong = post(client, path_of(link), {"password": "not the password"})
    assert wrong.status_code == 400 and "Enter the correct password" in wrong.get_data(as_text=True)
    joined = post(client, path_of(link), {"password": "places-password-1"})
    assert joined.status_code == 302
    assert "Other round" in client.get(f"/councils/{places.other.code}/").get_data(as_text=True)


def test_someone_signed_in_as_another_person_is_told_to_sign_out(fixture_app: Flask, places: Places,
                                                                 inbox: Inbox) -> None:
    post(signed_in_client(fixture_app, "lead"), round_url(places, "invite"),
         {"group": "officer", "addresses": "someone.else@council.example"})
    [link] = inbox.links("someone.else@council.example")
    page = signed_in_client(fixture_app, "respondent").get(path_of(link)).get_data(as_text=True)
    assert "This invitation is for someone.else@council.example" in page and "Sign out" in page


def test_a_facilitator_invited_by_email_joins_the_round_and_sees_everyone(fixture_app: Flask, places: Places,
                                                                           inbox: Inbox) -> None:
    lead = signed_in_client(fixture_app, "lead")
    assert post(lead, round_url(places, "facilitators"), {"email": "peer@lga.example", "name": "Pat Peer"}
                ).status_code == 302
    [link] = inbox.links("peer@lga.example")
    assert "Facilitate OWN Council’s self-assessment" in inbox.messages[-1]["Subject"]
    peer = fixture_app.test_client()
    joined = post(peer, path_of(link), {"name": "Pat Peer", "password": "harbour violet engine",
                                        "confirm": "harbour violet engine"})
    assert joined.headers["Location"] == round_url(places, "manage")
    assert "Each person’s progress" in peer.get(round_url(places, "completion")).get_data(as_text=True)
    with fixture_app.app_context():
        user = db.session().scalar(select(User).filter_by(email="peer@lga.example"))
        assert user is not None and user.has_role(SiteRole.FACILITATOR) and user.memberships == []
    # Only this round: the other council stays hidden.
    assert peer.get(f"/councils/{places.other.code}/").status_code == 404


def test_completion_shows_each_person_by_questionnaire_with_filters_and_csv(fixture_app: Flask,
                                                                            places: Places) -> None:
    lead = signed_in_client(fixture_app, "lead")
    page = lead.get(round_url(places, "completion")).get_data(as_text=True)
    assert "Respondent" in page and "Submitted" in page and "Not started" in page
    # The respondent (an elected member) has submitted one of the two questionnaires: part-way.
    members = lead.get(round_url(places, "completion") + "?group=member&state=in-progress").get_data(as_text=True)
    # The lead is not asked in the round, so is not counted.
    assert "1 of the 1 people asked" in members and "respondent@example.org" not in members
    finished = lead.get(round_url(places, "completion") + "?state=finished").get_data(as_text=True)
    assert "Nobody matches these choices" in finished
    download = lead.get(round_url(places, "completion.csv"))
    rows = list(csv.reader(io.StringIO(download.get_data(as_text=True))))
    assert rows[0] == ["name", "email", "group", "role", "Full example", "Staged example"]
    assert ["Respondent", "respondent@example.org", "member", "respondent", "Submitted", "Not started"] in rows
    name = f"completion-OWN-round-{places.own.round_id}.csv"
    assert download.headers["Content-Disposition"] == f'attachment; filename="{name}"'


def test_returning_a_response_lets_the_respondent_change_and_resubmit(fixture_app: Flask, places: Places,
                                                                      inbox: Inbox) -> None:
    facilitator = signed_in_client(fixture_app, "facilitator")
    url = round_url(places, "responses", str(places.own.response_id), "return")
    empty = post(facilitator, url, {"message": ""})
    assert empty.status_code == 400 and "Say what the respondent should look at again" in empty.get_data(as_text=True)
    returned = post(facilitator, url, {"message": "Please add evidence for the delivery model."})
    assert returned.status_code == 302
    [message] = [m for m in inbox.messages if m["To"] == "respondent@example.org"]
    assert "Please add evidence for the delivery model." in message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    with fixture_app.app_context():
        response = db.session().get(Response, places.own.response_id)
        assert response is not None and response.status == ResponseStatus.IN_PROGRESS and response.scores == []
        event = db.session().scalar(select(AuditEvent).filter_by(action="response-returned"))
        assert event is not None and event.detail == {"message": "Please add evidence for the delivery model."}
    respondent = signed_in_client(fixture_app, "respondent")
    tasks = respondent.get(round_url(places, "")).get_data(as_text=True)
    assert "Returned to you for changes: “Please add evidence for the delivery model.”" in tasks
    post(respondent, round_url(places, "full-example", "delivery"),
         {"delivery-model": "in-house", "delivery-model--comment": "Our shared services review, 2026."})
    assert post(respondent, round_url(places, "full-example", "check"), {}).status_code == 302
    with fixture_app.app_context():
        response = db.session().get(Response, places.own.response_id)
        assert response is not None and response.status == ResponseStatus.SUBMITTED
        assert response.returned_message is None and len(response.scores) == 3


def test_reminders_go_to_those_not_finished_at_most_once_a_day(fixture_app: Flask, places: Places,
                                                               inbox: Inbox) -> None:
    lead = signed_in_client(fixture_app, "lead")
    manage, remind = round_url(places, "manage"), round_url(places, "remind")
    # The preview names who will get one and what each still has to do: the respondent, not the lead (not asked).
    preview = lead.get(remind).get_data(as_text=True)
    assert "respondent@example.org" in preview and "Staged example" in preview and "lead@example.org" not in preview
    assert inbox.messages == []  # looking sends nothing
    assert post(lead, remind, {}).status_code == 302
    [message] = inbox.messages
    text = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert message["To"] == "respondent@example.org" and "- Staged example" in text and "Full example" not in text
    again = post(lead, remind, {})
    assert again.status_code == 302 and len(inbox.messages) == 1
    assert "1 person was reminded in the last day, so not again" in lead.get(manage).get_data(as_text=True)
    assert "Reminded in the last day" in lead.get(remind).get_data(as_text=True)


def test_a_round_moves_on_and_back_with_reasons_and_publishing_asks_how_it_is_shared(fixture_app: Flask,
                                                                                     places: Places) -> None:
    lead = signed_in_client(fixture_app, "lead")
    status = round_url(places, "status")
    assert post(lead, f"{status}/in-review", {}).status_code == 302
    back = post(lead, f"{status}/open", {"reason": ""})
    assert back.status_code == 400 and "say why this step is being undone".capitalize() in back.get_data(as_text=True)
    unshared = post(lead, f"{status}/published", {})
    assert unshared.status_code == 400 and "Choose how the published round is shared" in unshared.get_data(as_text=True)
    unagreed = post(lead, f"{status}/published", {"sharing": "anonymous"})
    assert unagreed.status_code == 400
    assert "Confirm the agreed answers to Full example, Staged example first" in unagreed.get_data(as_text=True)
    agree_everything(fixture_app, places.own.round_id)
    assert post(lead, f"{status}/published", {"sharing": "anonymous"}).status_code == 302
    assert lead.get(f"{status}/open").status_code == 404  # not a step from published
    assert post(lead, f"{status}/in-review", {"reason": "The agreed cyber answers need another look."}
                ).status_code == 302
    with fixture_app.app_context():
        assessment = db.session().get(Assessment, places.own.round_id)
        assert assessment is not None and assessment.status == AssessmentStatus.IN_REVIEW
        assert assessment.published_at is None and assessment.sharing.value == "anonymous"
        reasons = db.session().scalars(select(AuditEvent.detail).filter(AuditEvent.action.like("round-%"))
                                       .order_by(AuditEvent.id)).all()
        assert reasons[-1]["reason"] == "The agreed cyber answers need another look."  # type: ignore[index]
    # In review, nobody (here the respondent, who is asked in the round) can change their own answers.
    section = signed_in_client(fixture_app, "respondent").get(round_url(places, "staged-example", "controls"))
    assert section.status_code == 302


def test_a_questionnaire_with_answers_cannot_be_taken_out_of_a_round(fixture_app: Flask, places: Places) -> None:
    lead = signed_in_client(fixture_app, "lead")
    edit = round_url(places, "edit")
    refused = post(lead, edit, {"title": "Own round", "questionnaires": ["staged-example"],
                                "expected_groups": ["officer"], "comments_named": "named"})
    assert refused.status_code == 400
    assert "Full example already has answers, so it cannot be taken out" in refused.get_data(as_text=True)
    saved = post(lead, edit, {"title": "Own round, renamed", "questionnaires": ["full-example", "staged-example"],
                              "expected_groups": ["officer", "member"], "comments_named": "named",
                              "closes_on": ["30", "4", "2027"]})
    assert saved.status_code == 302
    page = lead.get(round_url(places, "manage")).get_data(as_text=True)
    assert "Own round, renamed" in page and "30 April 2027" in page and "With names" in page
    bad_date = post(lead, edit, {"title": "x", "questionnaires": ["full-example"], "expected_groups": ["officer"],
                                 "comments_named": "named", "closes_on": ["31", "2", "2027"]})
    assert bad_date.status_code == 400 and "Closing date (optional) must be a real date" in bad_date.get_data(
        as_text=True)


def test_pasted_addresses_and_csv_files_are_read_with_every_problem_named() -> None:

    people, problems = parse_addresses("a@x.org\n\n  Jo Bloggs <JO@X.ORG>,\nnot an address\nb@x.org c@x.org",
                                       RespondentGroup.OFFICER)
    assert [(p.email, p.name) for p in people] == [("a@x.org", None), ("jo@x.org", "Jo Bloggs")]
    assert problems == ["Line 4 (‘not an address’) is not one email address",
                        "Line 5 (‘b@x.org c@x.org’) is not one email address"]
    data = "name,email,group\nAda,ada@x.org,councillor\nBob,bob@x.org,\nEve,eve@x.org,chief\n,nope,officer\n"
    people, problems = parse_csv(data, RespondentGroup.OFFICER)
    assert [(p.email, p.group.value) for p in people] == [("ada@x.org", "member"), ("bob@x.org", "officer")]
    assert problems == ["Row 4: group ‘chief’ is not officer, member or other", "Row 5: ‘nope’ is not an email address"]
    assert parse_csv("who,where\n", RespondentGroup.OFFICER)[1] == [
        "The file needs a header row with the columns name, email and group"]


@pytest.mark.parametrize(("password", "problem"), [
    ("short", "Password must be 12 characters or more"),
    ("password1234", "harder to guess"),
    ("councilcouncil", "harder to guess"),
    ("ada.lovelace@x.org", "harder to guess"),
    ("lantern orbit teacup", None),
])
def test_new_passwords_are_long_and_not_common(password: str, problem: str | None) -> None:
    found = new_password_problem(password, "ada.lovelace@x.org", "Ada Lovelace")
    assert (found is None) if problem is None else (found is not None and problem in found)


def test_the_invite_command_reads_a_csv_and_mails_each_person(fixture_app: Flask, places: Places, inbox: Inbox,
                                                              tmp_path: Path) -> None:
    people = tmp_path / "people.csv"
    people.write_text("name,email,group\nAda,ada@x.org,member\nBob,bob@x.org,officer\n")
    runner = fixture_app.test_cli_runner()
    result = runner.invoke(main, ["invite", "OWN", str(people), "--round", str(places.own.round_id),
                                  "--by", "lead@example.org"])
    assert result.exit_code == 0, result.output
    assert result.stdout == "2 of 2 invitation(s) sent for 'Own round'\n" and "Sending invitations" in result.stderr
    assert sorted(m["To"] for m in inbox.messages) == ["ada@x.org", "bob@x.org"]
    refused = runner.invoke(main, ["invite", "OWN", "x@y.org", "--round", str(places.own.round_id),
                                   "--by", "respondent@example.org"])
    assert refused.exit_code == 1 and "may not invite people to this round" in refused.stderr
    assert runner.invoke(main, ["mail", "test", "it@council.example"]).exit_code == 0
    assert inbox.messages[-1]["Subject"] == "Test message from Council self-assessment"


def test_a_mail_server_that_is_down_is_a_clear_message_not_an_error(fixture_app: Flask, places: Places) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    fixture_app.config.update(MAIL_BACKEND="smtp", MAIL_SERVER="127.0.0.1", MAIL_PORT=closed, MAIL_SECURITY="none")
    lead = signed_in_client(fixture_app, "lead")
    sent = post(lead, round_url(places, "invite"), {"group": "officer", "addresses": "a@x.org"})
    assert sent.status_code == 302
    page = lead.get(sent.headers["Location"]).get_data(as_text=True)
    assert "The email to a@x.org could not be sent" in page and "Not sent" in page
    result = fixture_app.test_cli_runner().invoke(main, ["mail", "test", "a@x.org"])
    assert result.exit_code == 1 and f"could not send the email to a@x.org through 127.0.0.1:{closed}" in result.stderr


def test_the_outbox_keeps_each_message_as_an_eml_file(fixture_app: Flask, places: Places) -> None:
    post(signed_in_client(fixture_app, "lead"), round_url(places, "invite"),
         {"group": "officer", "addresses": "a@x.org"})
    [saved] = (Path(fixture_app.instance_path) / "outbox").glob("*a@x.org.eml")
    message = message_from_bytes(saved.read_bytes(), policy=policy.default)
    assert message["Subject"] == "Take part in OWN Council’s self-assessment"
    assert "http://127.0.0.1:5000/invitations/" in message.get_body(("plain",)).get_content()  # type: ignore[union-attr]


def test_home_pages_by_role(fixture_app: Flask, places: Places) -> None:
    pages = {persona: signed_in_client(fixture_app, persona).get("/") for persona in
             ("lead", "facilitator", "analyst", "admin", "respondent")}
    assert "Rounds you run" in pages["lead"].get_data(as_text=True)
    assert "Open: 0 of 1 people have submitted everything" in pages["lead"].get_data(as_text=True)
    assert "Rounds you facilitate" in pages["facilitator"].get_data(as_text=True)
    assert "Sector figures" in pages["analyst"].get_data(as_text=True)
    assert "Users and councils" in pages["admin"].get_data(as_text=True)
    # One council, one open round, nothing else: straight to it.
    assert pages["respondent"].headers["Location"] == round_url(places, "")
    assert "respondent@example.org" in signed_in_client(fixture_app, "admin").get("/admin/").get_data(as_text=True)


def test_save_later_keeps_an_answer_whose_required_comment_is_missing(fixture_app: Flask, places: Places) -> None:
    ask(fixture_app, places.own.round_id, "lead@example.org")
    lead = signed_in_client(fixture_app, "lead")
    url = round_url(places, "full-example", "delivery")
    page = lead.get(url).get_data(as_text=True)
    assert "Full example: section 2 of 2" in page and "Needed beside your answer to complete this section." in page
    later = post(lead, url, {"delivery-model": "in-house", "delivery-model--comment": "", "action": "later"})
    assert later.status_code == 302 and later.headers["Location"] == round_url(places, "")
    assert 'value="in-house" checked' in lead.get(url).get_data(as_text=True)  # the answer was kept
    tasks = lead.get(round_url(places, "")).get_data(as_text=True)
    assert re.search(r"Delivery</a>.*?In progress", tasks, re.S)


def test_saving_keeps_an_answer_without_its_required_comment_and_completing_names_what_is_missing(
        fixture_app: Flask, places: Places) -> None:
    ask(fixture_app, places.own.round_id, "lead@example.org")
    with fixture_app.app_context():
        session = db.session()
        assessment = session.get(Assessment, places.own.round_id)
        lead = session.scalar(select(User).filter_by(email="lead@example.org"))
        assert assessment is not None and lead is not None
        version = next(link.questionnaire_version for link in assessment.questionnaires
                       if link.questionnaire_version.questionnaire_id == "full-example")
        response = individual_response(session, assessment, version, lead, "officer")
        save_section(session, response, "delivery", {"delivery-model": ScoredAnswer("in-house", comment="  ")}, lead)
        session.commit()
        assert answers_of(response)["delivery-model"].value == "in-house"  # kept, the comment missing or not
        assert missing_in_section(response, "delivery") == [("delivery-model", COMMENT_MISSING)]
        progress = {p.section.id: p.status for p in section_progress(questionnaire_of(version), answers_of(response))}
        assert progress["delivery"] == "in-progress"
        with pytest.raises(Incomplete) as refused:
            submit_response(session, response, lead)
        assert ("delivery-model", COMMENT_MISSING) in refused.value.missing


def test_the_task_list_says_who_sees_the_answers_before_the_first_question(fixture_app: Flask,
                                                                          places: Places) -> None:
    respondent = signed_in_client(fixture_app, "respondent")
    tasks = respondent.get(round_url(places, "")).get_data(as_text=True)
    who = tasks.index("Who sees your answers")
    assert who < tasks.index("govuk-task-list")
    with fixture_app.app_context():
        lead = db.session().scalar(select(User).filter_by(email="lead@example.org"))
        assessment = db.session().get(Assessment, places.own.round_id)
        assert lead is not None and assessment is not None
        named = assessment.comments_named
    assert f"The council’s lead ({lead.name})" in tasks
    assert "can read your answers and comments, with your name" in tasks
    assert ("with your name." if named else "without your name.") in tasks
    assert "your own answers are never published" in tasks and "you will be emailed a link to them" in tasks


def test_completing_a_section_saves_it_then_names_the_missing_comment_in_full(fixture_app: Flask,
                                                                            places: Places) -> None:
    ask(fixture_app, places.own.round_id, "lead@example.org")
    lead = signed_in_client(fixture_app, "lead")
    url = round_url(places, "full-example", "delivery")
    missing = post(lead, url, {"delivery-model": "in-house", "delivery-model--comment": "", "action": "continue"})
    html = missing.get_data(as_text=True)
    assert missing.status_code == 400 and "govuk-error-summary" in html
    assert "Your answers have been saved. Before this section is complete:" in html
    assert "Add a comment or evidence for your answer to ‘How are services mainly delivered?’" in html
    assert 'value="in-house" checked' in html and 'value="in-house" checked' in lead.get(url).get_data(as_text=True)
    # The page shown again carries the section's new version: saving it again is no conflict.
    done = lead.post(url, data={**hidden_fields(html), "delivery-model": "in-house",
                                "delivery-model--comment": "The 2026 review.", "action": "continue"})
    assert done.status_code == 302


def test_submitting_shows_a_panel_that_says_what_happens_next(fixture_app: Flask, places: Places) -> None:
    ask(fixture_app, places.own.round_id, "lead@example.org")
    lead = signed_in_client(fixture_app, "lead")
    post(lead, round_url(places, "full-example", "strategy"), {"has-strategy": "no"})
    post(lead, round_url(places, "full-example", "delivery"),
         {"delivery-model": "in-house", "delivery-model--comment": "The 2026 review."})
    submitted = post(lead, round_url(places, "full-example", "check"), {})
    page = lead.get(submitted.headers["Location"]).get_data(as_text=True)
    assert "Answers submitted" in page and "What happens next" in page
    assert "The council’s lead and the round’s facilitator can read everyone’s answers" in page
    assert "Answers submitted" not in lead.get(submitted.headers["Location"]).get_data(as_text=True)


def test_a_respondents_profile_is_their_own_answers_without_colleagues_names(fixture_app: Flask,
                                                                             places: Places) -> None:
    mine = signed_in_client(fixture_app, "respondent").get(round_url(places, "profile")).get_data(as_text=True)
    assert "<h1 class=\"govuk-heading-l\">Your answers: OWN Council</h1>" in mine and "Respondents" not in mine
    leads = signed_in_client(fixture_app, "lead").get(round_url(places, "profile")).get_data(as_text=True)
    assert "Maturity profile: OWN Council" in leads and "Respondent (member): 1 of 2" in leads


def test_not_applicable_is_exclusive_among_checkboxes(fixture_app: Flask) -> None:
    from werkzeug.datastructures import MultiDict

    from assess.web.forms import read_form, section_form_class
    from scoring.model import Option, Question, Section

    question = Question(id="partners", type="multi-choice", text="Which partners?", not_applicable=True,
                        options=(Option("nhs", "The NHS", 1), Option("police", "The police", 1)))
    section = Section(id="s", title="S", questions=(question,))
    with fixture_app.test_request_context():
        fixture_app.config["WTF_CSRF_ENABLED"] = False
        both = section_form_class(section)(formdata=MultiDict([("partners", "nhs"), ("partners", "n/a")]))
        assert both.validate() and read_form(both, section) == {}
        assert both["partners"].errors == [
            "Select the options that apply, or ‘Not applicable to our council’, not both"]
        alone = section_form_class(section)(formdata=MultiDict([("partners", "n/a")]))
        assert alone.validate() and read_form(alone, section)["partners"].not_applicable
        rendered = str(alone["partners"]())
        assert 'data-behaviour="exclusive"' in rendered and "govuk-checkboxes__divider" in rendered


def test_the_next_round_starts_from_the_previous_ones_questionnaires_and_people(fixture_app: Flask,
                                                                                places: Places) -> None:
    lead = signed_in_client(fixture_app, "lead")
    post(lead, round_url(places, "edit"), {"title": "Own round", "questionnaires": ["full-example", "staged-example"],
                                           "expected_groups": ["member"], "comments_named": "named"})
    page = lead.get(f"/councils/OWN/rounds/new?from={places.own.round_id}").get_data(as_text=True)
    assert 'value="staged-example" checked' in page and 'value="member" checked' in page
    assert 'value="officer" checked' not in page and 'value="named" checked' in page
    # Another council's round (or nonsense) starts nothing.
    other = lead.get(f"/councils/OWN/rounds/new?from={places.other.round_id}").get_data(as_text=True)
    assert 'value="staged-example" checked' not in other
    assert lead.get("/councils/OWN/rounds/new?from=x").status_code == 200


def test_home_page_counts_agree_with_the_completion_table(fixture_app: Flask) -> None:
    from assess import questionnaire_library
    from assess.models import Assessment, User
    from assess.services.completion import completion, finished_counts
    from assess.services.demo import create_demo

    with fixture_app.app_context():
        session = db.session()
        create_demo(session, questionnaire_library(fixture_app), "demo-password-1")
        lead = session.scalar(select(User).filter_by(email="lead@demo.example"))
        assert lead is not None
        rounds = list(session.scalars(select(Assessment)))
        counted = finished_counts(session, rounds, lead)
        people = {a.id: completion(session, a, lead).people for a in rounds}
        assert counted == {a.id: (sum(p.finished for p in people[a.id]), len(people[a.id])) for a in rounds}
        assert any(finished for finished, _ in counted.values())  # the demo has people who submitted everything
