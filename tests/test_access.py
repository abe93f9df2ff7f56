"""The access policy: every registered route, for every role, on its own council and on another; GET never writes.

The matrix fails when the app has a route (and method) it gives no expected outcome for, so a new
page cannot ship without its access being decided here.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask, url_for
from sqlalchemy import event, func, select

from assess import db, questionnaire_library
from assess.models import (
    Assessment,
    AssessmentStatus,
    Organisation,
    QuestionnaireVersion,
    Sharing,
    User,
    utcnow,
)
from assess.policy import Action, allowed
from assess.services.rounds import RoundDetails, start_round
from tests.conftest import Places, csrf_token, signed_in_client

PERSONAS = ("anonymous", "respondent", "lead", "facilitator", "analyst", "admin")


# (own council, other council) outcome for each persona, per route and method. "302" on its own is a
# redirect; for the anonymous persona it is always the redirect to the sign-in page.
ALL = dict.fromkeys(PERSONAS)
MEMBERS_AND_FACILITATOR = {"anonymous": (302, 302), "respondent": (200, 404), "lead": (200, 404),
                           "facilitator": (200, 404), "analyst": (404, 404), "admin": (404, 404)}
# Only the round's participants answer it: the respondent is asked in the own round, its lead is not.
ANSWERING = {"anonymous": (302, 302), "respondent": (200, 404), "lead": (404, 404),
             "facilitator": (404, 404), "analyst": (404, 404), "admin": (404, 404)}
NOBODY = {**dict.fromkeys(PERSONAS, (404, 404)), "anonymous": (302, 302)}
LEAD_ONLY = {**NOBODY, "lead": (200, 404)}
LEAD_ONLY_FORM = {**NOBODY, "lead": (400, 404)}  # posted empty: the form again, with its errors
LEAD_AND_FACILITATOR = {**NOBODY, "lead": (200, 404), "facilitator": (200, 404)}
ANALYSTS = {**NOBODY, "analyst": (200, 200)}
EXPECTED: dict[tuple[str, str], dict[str, tuple[int, int]]] = {
    ("static", "GET"): dict.fromkeys(PERSONAS, (200, 200)),
    ("health.healthz", "GET"): dict.fromkeys(PERSONAS, (200, 200)),  # for load balancers: no sign-in
    ("auth.sign_in", "GET"): dict.fromkeys(PERSONAS, (200, 200)),
    ("auth.sign_in", "POST"): dict.fromkeys(PERSONAS, (200, 200)),  # wrong password: the form again
    ("auth.sign_out", "POST"): dict.fromkeys(PERSONAS, (302, 302)),
    ("auth.keep_alive", "GET"): {**dict.fromkeys(PERSONAS, (204, 204)), "anonymous": (302, 302)},
    # Nothing was held for this browser.
    ("auth.resume_form", "GET"): {**dict.fromkeys(PERSONAS, (404, 404)), "anonymous": (302, 302)},
    ("auth.my_data", "GET"): {**dict.fromkeys(PERSONAS, (200, 200)), "anonymous": (302, 302)},
    ("auth.password_page", "GET"): {**dict.fromkeys(PERSONAS, (200, 200)), "anonymous": (302, 302)},
    # Posted without the new password: the form again, with its errors.
    ("auth.password_page", "POST"): {**dict.fromkeys(PERSONAS, (400, 400)), "anonymous": (302, 302)},
    # No sign-in waits for a code; an unknown reset link; the setup page (and a wrong code posted).
    ("auth.code_page", "GET"): dict.fromkeys(PERSONAS, (404, 404)),
    ("auth.code_page", "POST"): dict.fromkeys(PERSONAS, (404, 404)),
    ("auth.reset_request_page", "GET"): dict.fromkeys(PERSONAS, (200, 200)),
    ("auth.reset_request_page", "POST"): dict.fromkeys(PERSONAS, (200, 200)),  # the same answer for any address
    ("auth.reset_page", "GET"): dict.fromkeys(PERSONAS, (404, 404)),
    ("auth.reset_page", "POST"): dict.fromkeys(PERSONAS, (404, 404)),
    ("auth.two_factor_page", "GET"): {**dict.fromkeys(PERSONAS, (200, 200)), "anonymous": (302, 302)},
    ("auth.two_factor_page", "POST"): {**dict.fromkeys(PERSONAS, (400, 400)), "anonymous": (302, 302)},
    ("pages.accessibility", "GET"): dict.fromkeys(PERSONAS, (200, 200)),
    ("pages.privacy", "GET"): dict.fromkeys(PERSONAS, (200, 200)),
    ("pages.cookies", "GET"): dict.fromkeys(PERSONAS, (200, 200)),
    # The respondent has one open round and nothing else to do here, so goes straight to it.
    ("respond.home", "GET"): {**dict.fromkeys(PERSONAS, (200, 200)), "anonymous": (302, 302),
                              "respondent": (302, 302)},
    ("respond.council", "GET"): MEMBERS_AND_FACILITATOR,
    # Nor does a facilitator, nor a lead not asked: the round's page for them is the management page.
    ("respond.round_tasks", "GET"): {**MEMBERS_AND_FACILITATOR, "facilitator": (302, 404), "lead": (302, 404)},
    ("respond.section", "GET"): ANSWERING,
    # Saved, but the section is not complete: the page again, saying what is missing.
    ("respond.section", "POST"): {**ANSWERING, "respondent": (400, 404)},
    ("respond.check", "GET"): ANSWERING,
    ("respond.check", "POST"): {**ANSWERING, "respondent": (400, 404)},  # not complete yet
    ("respond.results", "GET"): ANSWERING,  # the respondent submitted full-example
    ("respond.profile", "GET"): MEMBERS_AND_FACILITATOR,
    ("respond.profile_pdf", "GET"): MEMBERS_AND_FACILITATOR,
    ("respond.profile_pdf_status", "GET"): MEMBERS_AND_FACILITATOR,
    ("manage.new_round", "GET"): LEAD_ONLY,
    ("manage.new_round", "POST"): LEAD_ONLY_FORM,
    ("manage.edit_round", "GET"): LEAD_ONLY,
    ("manage.edit_round", "POST"): LEAD_ONLY_FORM,
    ("manage.round_page", "GET"): LEAD_AND_FACILITATOR,
    ("manage.completion_page", "GET"): LEAD_AND_FACILITATOR,
    ("manage.completion_csv", "GET"): LEAD_AND_FACILITATOR,
    ("manage.person", "GET"): LEAD_AND_FACILITATOR,
    ("manage.return_page", "GET"): LEAD_AND_FACILITATOR,
    ("manage.return_page", "POST"): {**LEAD_AND_FACILITATOR, "lead": (400, 404), "facilitator": (400, 404)},
    ("manage.invite_page", "GET"): LEAD_ONLY,
    ("manage.invite_page", "POST"): LEAD_ONLY_FORM,
    ("manage.invitations_page", "GET"): LEAD_ONLY,
    # The view needs the round to be visible; revoking is the lead's (the service refuses the facilitator).
    ("manage.change_invitation", "POST"): {**NOBODY, "lead": (302, 404)},
    ("manage.remind", "GET"): LEAD_ONLY,  # the preview: who would get a reminder
    ("manage.remind", "POST"): {**NOBODY, "lead": (302, 404)},
    ("participants.participants_page", "GET"): LEAD_ONLY,
    ("participants.participants_page", "POST"): LEAD_ONLY_FORM,  # nobody chosen: the form again
    # The person tried (the respondent) has answered, so is not removed: back to the list with why.
    ("participants.remove_participant", "POST"): {**NOBODY, "lead": (302, 404)},
    ("manage.status_page", "GET"): LEAD_ONLY,
    ("manage.status_page", "POST"): {**NOBODY, "lead": (302, 404)},
    # Only a published round's sharing changes on its own: the lead is sent back to the (open) round's page.
    ("publication.sharing_page", "GET"): {**NOBODY, "lead": (302, 404)},
    ("publication.sharing_page", "POST"): {**NOBODY, "lead": (302, 404)},
    # An admin may assign a facilitator to any council's round, as the council's lead may to its own.
    ("manage.facilitators_page", "GET"): {**LEAD_ONLY, "admin": (200, 200)},
    ("manage.facilitators_page", "POST"): {**NOBODY, "lead": (302, 404), "admin": (302, 302)},  # invites the email
    ("admin.home", "GET"): {**NOBODY, "admin": (200, 200)},
    ("facilitate.overview", "GET"): LEAD_AND_FACILITATOR,
    ("facilitate.divergence_page", "GET"): LEAD_AND_FACILITATOR,
    ("facilitate.agree_section", "GET"): LEAD_AND_FACILITATOR,
    # Saved, but the section is not complete: the page again, saying what is missing.
    ("facilitate.agree_section", "POST"): {**NOBODY, "lead": (400, 404), "facilitator": (400, 404)},
    ("facilitate.session_question", "GET"): LEAD_AND_FACILITATOR,
    # Posted with the page's lock at 0, after agree_section's POST saved the same section: a conflict, refused.
    ("facilitate.session_question", "POST"): {**NOBODY, "lead": (409, 404), "facilitator": (409, 404)},
    ("facilitate.confirm", "GET"): LEAD_AND_FACILITATOR,
    ("facilitate.confirm", "POST"): {**NOBODY, "lead": (400, 404), "facilitator": (400, 404)},  # not complete
    ("facilitate.targets", "GET"): LEAD_AND_FACILITATOR,
    ("facilitate.pack", "GET"): LEAD_AND_FACILITATOR,
    # Nothing is agreed yet in the round, so the PDF sends its lead and facilitator to the page that says so.
    ("facilitate.pack_pdf", "GET"): {**NOBODY, "lead": (302, 404), "facilitator": (302, 404)},
    ("facilitate.pack_pdf_status", "GET"): NOBODY,  # and there is no PDF to wait for
    ("facilitate.actions", "GET"): LEAD_AND_FACILITATOR,
    ("facilitate.actions", "POST"): {**NOBODY, "lead": (400, 404), "facilitator": (400, 404)},  # posted empty
    ("facilitate.targets", "POST"): {**NOBODY, "lead": (302, 404), "facilitator": (302, 404)},  # no targets
    ("admin.user_page", "GET"): {**NOBODY, "admin": (200, 200)},
    ("admin.change_user", "POST"): {**NOBODY, "admin": (302, 302)},  # signs the person out everywhere
    ("admin.audit_page", "GET"): {**NOBODY, "admin": (200, 200)},
    ("admin.audit_csv", "POST"): {**NOBODY, "admin": (200, 200)},
    ("admin.invite_user", "GET"): {**NOBODY, "admin": (200, 200)},
    ("admin.invite_user", "POST"): {**NOBODY, "admin": (400, 400)},  # no name: the form again
    ("admin.add_membership", "POST"): {**NOBODY, "admin": (400, 400)},  # no council chosen
    ("admin.resend_invitation", "POST"): {**NOBODY, "admin": (302, 302)},  # refused: they have a password
    ("admin.remove_user_membership", "POST"): {**NOBODY, "admin": (400, 400)},  # no council named
    ("admin.import_councils", "GET"): {**NOBODY, "admin": (200, 200)},
    ("admin.import_councils", "POST"): {**NOBODY, "admin": (400, 400)},  # no file
    ("admin.confirm_import", "POST"): {**NOBODY, "admin": (400, 400)},  # no preview held
    ("admin.library", "GET"): {**NOBODY, "admin": (200, 200)},
    ("admin.library", "POST"): {**NOBODY, "admin": (400, 400)},  # no file
    ("admin.version_page", "GET"): {**NOBODY, "admin": (200, 200)},
    ("admin.version_preview", "GET"): {**NOBODY, "admin": (200, 200)},  # the first version's first section
    ("admin.change_version", "POST"): {**NOBODY, "admin": (302, 302)},  # offered already: nothing changes
    ("admin.diff_page", "GET"): {**NOBODY, "admin": (200, 200)},  # nothing chosen yet
    # An invitation link with an unknown token: the same for everyone, signed in or not.
    ("invitations.accept_page", "GET"): dict.fromkeys(PERSONAS, (404, 404)),
    ("invitations.accept_page", "POST"): dict.fromkeys(PERSONAS, (404, 404)),
    # The sector body's pages: analysts only (the token pages, analysts and admins).
    ("sector.dashboard", "GET"): ANALYSTS,
    ("sector.export", "GET"): ANALYSTS,
    ("sector.report_pdf", "GET"): ANALYSTS,
    ("sector.targeting", "GET"): ANALYSTS,
    ("sector.targeting_export", "GET"): ANALYSTS,
    # Neither council shared a published round by name, so analysts see neither benchmark.
    ("sector.benchmark", "GET"): {**NOBODY, "lead": (200, 404)},
    ("sector.councils", "GET"): ANALYSTS,
    ("sector.rules", "GET"): ANALYSTS,
    # Neither council has published a round here (tests/test_sector.py opens one shared by name).
    ("sector.profile", "GET"): NOBODY,
    ("sector.tokens", "GET"): {**NOBODY, "analyst": (200, 200), "admin": (200, 200)},
    ("sector.tokens", "POST"): {**NOBODY, "analyst": (400, 400), "admin": (400, 400)},  # no name given
    ("sector.revoke_token", "POST"): NOBODY,  # token 1 is nobody's here
    # The API reads bearer tokens only: a signed-in browser session is not enough.
    ("api.sector_levels", "GET"): dict.fromkeys(PERSONAS, (401, 401)),
    ("api.published_csv", "GET"): dict.fromkeys(PERSONAS, (401, 401)),
    ("api.sector_targeting", "GET"): dict.fromkeys(PERSONAS, (401, 401)),
    ("api.council_profile", "GET"): dict.fromkeys(PERSONAS, (401, 401)),
    ("api.openapi", "GET"): dict.fromkeys(PERSONAS, (200, 200)),
}

#: Which change a route with a choice of them is tried with.
WHAT = {"admin.change_user": "sign-out-everywhere", "admin.change_version": "offer"}
#: Which questionnaire each page is tried with (the respondent submitted full-example).
QUESTIONNAIRE = {"respond.results": "full-example"}
#: Which section each page is tried with (the first version recorded is full-example's).
SECTION = {"admin.version_preview": "strategy"}


def _routes(app: Flask) -> set[tuple[str, str]]:
    return {(rule.endpoint, method) for rule in app.url_map.iter_rules()
            for method in rule.methods or () if method not in ("HEAD", "OPTIONS")}


def test_every_route_has_an_expected_outcome_for_every_role(fixture_app: Flask) -> None:
    assert _routes(fixture_app) == set(EXPECTED)
    for outcomes in EXPECTED.values():
        assert set(outcomes) == set(PERSONAS)


@pytest.fixture
def writes(fixture_app: Flask) -> Iterator[list[str]]:
    """Every INSERT, UPDATE or DELETE the app's engine runs while the test goes on."""
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().split(" ", 1)[0].upper() in ("INSERT", "UPDATE", "DELETE"):
            statements.append(statement)

    engine = fixture_app.extensions["assess.engine"]
    event.listen(engine, "before_cursor_execute", record)
    yield statements
    event.remove(engine, "before_cursor_execute", record)


@pytest.mark.parametrize("persona", PERSONAS)
def test_role_by_route_matrix(fixture_app: Flask, places: Places, persona: str, writes: list[str]) -> None:
    client = signed_in_client(fixture_app, persona)
    token = csrf_token(client.get("/sign-in").get_data(as_text=True))
    with fixture_app.app_context():
        version_id = db.session().scalar(select(func.min(QuestionnaireVersion.id)))
    # GETs first: the POSTs change what some pages show.
    # Then the round moves on to review, and last of all the person signs out.
    last = ("manage.status_page", "auth.sign_out")
    for endpoint, method in sorted(EXPECTED, key=lambda key: (key[1] != "GET", last.index(key[0]) if key[0] in last
                                                              else -1, key)):
        rule = next(fixture_app.url_map.iter_rules(endpoint))
        # A route about no council is tried once; one about a council, on both.
        targets = (("own", places.own), ("other", places.other)) if "code" in rule.arguments else (("own", places.own),)
        for where, place in targets:
            with fixture_app.test_request_context():
                values = {"code": place.code, "round_id": place.round_id, "user_id": place.person_id,
                          "response_id": place.response_id, "invitation_id": place.invitation_id,
                          "what": WHAT.get(endpoint, "revoke"), "kind": "csv", "to": "in-review",
                          "token": "not-a-real-token",
                          "section_id": SECTION.get(endpoint, "controls"), "question_id": "has-policy",
                          "filename": "service.css", "fmt": "csv", "token_id": 1,
                          "version_id": version_id,
                          "questionnaire_id": QUESTIONNAIRE.get(endpoint, "staged-example")}
                url = url_for(endpoint, **{k: v for k, v in values.items() if k in rule.arguments})
            before = len(writes)
            if method == "GET":
                response = client.get(url)
                assert writes[before:] == [], f"GET {url} wrote to the database"
            else:
                response = client.post(url, data={"csrf_token": token, "lock_version": "0",
                                                  "email": "nobody@example.org", "password": "not the password"})
            response.close()
            expected = EXPECTED[(endpoint, method)][persona][0 if where == "own" else 1]
            assert response.status_code == expected, f"{persona} {method} {url} ({where} council)"
            if persona == "anonymous" and expected == 302 and endpoint != "auth.sign_out":
                assert response.headers["Location"].startswith("/sign-in?next=")


def test_a_facilitator_sees_only_the_rounds_they_are_assigned_to(fixture_app: Flask, places: Places) -> None:
    with fixture_app.app_context():
        session = db.session()
        lead = session.scalar(select(User).filter_by(email="lead@example.org"))
        own = session.scalar(select(Organisation).filter_by(code="OWN"))
        assert lead is not None and own is not None
        start_round(session, own, lead, RoundDetails("A later round", ["staged-example"]),
                    questionnaire_library(fixture_app))
        session.commit()
    client = signed_in_client(fixture_app, "facilitator")
    page = client.get("/councils/OWN/").get_data(as_text=True)
    assert "Own round" in page and "A later round" not in page
    assert "OWN Council" in client.get("/").get_data(as_text=True)


RoundAndPeople = tuple[Any, Assessment, dict[str, User]]


@pytest.fixture
def round_and_people(fixture_app: Flask, places: Places) -> Iterator[RoundAndPeople]:
    """Inside an app context: the session, the own council's round and each persona's account."""
    with fixture_app.app_context():
        session = db.session()
        people = {u.email.split("@")[0]: u for u in session.scalars(select(User))}
        assessment = session.get(Assessment, places.own.round_id)
        assert assessment is not None
        yield session, assessment, people


def test_published_profiles_follow_the_sharing_choice(round_and_people: RoundAndPeople) -> None:
    session, assessment, people = round_and_people
    may = {name: allowed(session, people[name], Action.VIEW_PUBLISHED_PROFILE, assessment)
           for name in ("respondent", "analyst", "admin")}
    assert may == {"respondent": False, "analyst": False, "admin": False}
    assessment.status, assessment.published_at = AssessmentStatus.PUBLISHED, utcnow()
    assessment.sharing = Sharing.ANONYMOUS
    assert allowed(session, people["respondent"], Action.VIEW_PUBLISHED_PROFILE, assessment)
    assert not allowed(session, people["analyst"], Action.VIEW_PUBLISHED_PROFILE, assessment)
    assessment.sharing = Sharing.NAMED
    assert allowed(session, people["analyst"], Action.VIEW_PUBLISHED_PROFILE, assessment)
    # Never an individual response, whatever the sharing; the admin needs a membership like anyone.
    individual = assessment.responses[0]
    assert not allowed(session, people["analyst"], Action.VIEW_RESPONSE, individual)
    assert not allowed(session, people["admin"], Action.VIEW_RESPONSE, individual)
    assert allowed(session, people["lead"], Action.VIEW_RESPONSE, individual)
    assert allowed(session, people["facilitator"], Action.VIEW_RESPONSE, individual)
    assert allowed(session, people["respondent"], Action.VIEW_RESPONSE, individual)


def test_site_roles_grant_their_own_actions_only(round_and_people: RoundAndPeople) -> None:
    session, assessment, people = round_and_people
    assert [name for name in people if allowed(session, people[name], Action.VIEW_SECTOR)] == ["analyst"]
    assert [name for name in people if allowed(session, people[name], Action.ADMINISTER)] == ["admin"]
    assert {name for name in people if allowed(session, people[name], Action.ASSIGN_FACILITATOR, assessment)} == {
        "lead", "admin"}
    assert {name for name in people if allowed(session, people[name], Action.FACILITATE, assessment)} == {
        "lead", "facilitator"}
    people["lead"].active = False
    assert not allowed(session, people["lead"], Action.VIEW_ROUND, assessment)
