"""Facilitation: the divergence figures and the suggestion on a worked example, agreed answers, targets."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from assess import db
from assess.models import (
    Assessment,
    AssessmentStatus,
    AuditEvent,
    JoinedBy,
    OrganisationRole,
    RespondentGroup,
    Response,
    ResponseKind,
    ResponseStatus,
    User,
)
from assess.policy import NotAllowed
from assess.services import participants
from assess.services.agreement import TargetsRefused, divergence, set_targets, suggestion, targets_of
from assess.services.questionnaires import questionnaire_of
from assess.services.responses import individual_response, save_answers, submit_response
from assess.services.users import add_membership, add_user
from scoring import Answer
from tests.conftest import Places, agree_everything, hidden_fields, signed_in_client

#: The worked example: four people's answers to full-example, checked by hand below.
TEAM = {
    # name: (group, has-strategy, years, strategy-use level, delivery model, comment on the level)
    "Olu": (RespondentGroup.OFFICER, "yes", 2, 1, "in-house", "It is rarely mentioned."),
    "Pam": (RespondentGroup.OFFICER, "yes", 3, 2, "in-house", None),
    "Mo": (RespondentGroup.MEMBER, "yes", 1, 4, "in-house", "We use it at every cabinet."),
    "Nia": (RespondentGroup.MEMBER, "yes", 5, 4, "partnership", None),
}


@pytest.fixture
def team(fixture_app: Flask, places: Places) -> Assessment:
    """The own council's round with the worked example's four submitted responses (and nothing else)."""
    with fixture_app.app_context():
        session = db.session()
        assessment = session.get(Assessment, places.own.round_id)
        assert assessment is not None
        session.query(Response).filter_by(assessment_id=assessment.id).delete()
        version = assessment.questionnaires[0].questionnaire_version
        for name, (group, has, years, level, model, comment) in TEAM.items():
            person = add_user(session, f"{name.lower()}@example.org", name, "a long enough password")
            add_membership(session, person, assessment.organisation, OrganisationRole.RESPONDENT, group)
            participants.join(session, assessment, person, group, JoinedBy.ADDED, None)
            response = individual_response(session, assessment, version, person, group.value)
            answers = {"has-strategy": Answer(has), "strategy-age": Answer(years),
                       "strategy-use": Answer(level, comment=comment),
                       "delivery-model": Answer(model, comment="Evidence."),
                       "delivery-review": Answer(not_applicable=True)}
            if model == "partnership":
                answers["partners"] = Answer(("nhs",))
            save_answers(session, response, answers, person)
            submit_response(session, response, person)
        session.commit()
        return assessment


def _view(fixture_app: Flask, assessment_id: int, who: str = "facilitator") -> Any:
    session = db.session()
    assessment = session.get(Assessment, assessment_id)
    user = session.scalar(select(User).filter_by(email=f"{who}@example.org"))
    assert assessment is not None and user is not None
    version = assessment.questionnaires[0].questionnaire_version
    return divergence(session, assessment, version, questionnaire_of(version), user)


def test_the_worked_example_by_hand(fixture_app: Flask, team: Assessment) -> None:
    with fixture_app.app_context():
        view = _view(fixture_app, team.id)
        assert view.responses == 4
        by_id = {spread.question.id: spread for spread in view.questions}

        use = by_id["strategy-use"]
        # Levels 1, 2, 4, 4: one each at 1 and 2, none at 3, two at 4.
        assert [(t.answer, t.count) for t in use.tallies] == [
            ("1 Starting", 1), ("2 Developing", 1), ("3 Established", 0), ("4 Leading", 2)]
        assert (use.answered, use.not_applicable) == (4, 0)
        assert use.median() == 3.0  # (2 + 4) / 2
        assert use.median(RespondentGroup.OFFICER) == 1.5 and use.median(RespondentGroup.MEMBER) == 4.0
        assert (use.range, use.group_gap, use.split) == (3.0, 2.5, True)
        assert suggestion(use) == Answer(2)  # the lower middle level: an answer someone could give
        # Comments are anonymous unless the round says otherwise; the group is kept.
        assert [(r.who, r.group, r.text) for r in use.remarks] == [
            (None, RespondentGroup.OFFICER, "It is rarely mentioned."),
            (None, RespondentGroup.MEMBER, "We use it at every cabinet.")]

        model = by_id["delivery-model"]
        assert [(t.answer, t.count) for t in model.tallies] == [("In house", 3), ("In partnership", 1),
                                                               ("Outsourced", 0)]
        # Scores 2, 2 (officers) and 2, 3 (members): range 1, medians 2 and 2.5: not split.
        assert (model.range, model.group_gap, model.split) == (1.0, 0.5, False)
        assert suggestion(model) == Answer("in-house")

        assert [s.question.id for s in view.by_divergence()][0] == "strategy-use"
        assert by_id["notes"].tallies == () and suggestion(by_id["notes"]) is None
        # Shown to the three whose level was 2 or more; all three said "not applicable".
        review = by_id["delivery-review"]
        assert (review.answered, review.not_applicable) == (3, 3) and suggestion(review) == Answer(not_applicable=True)


def test_names_appear_with_comments_only_when_the_round_says_so(fixture_app: Flask, team: Assessment) -> None:
    with fixture_app.app_context():
        db.session().get(Assessment, team.id).comments_named = True  # type: ignore[union-attr]
        db.session().commit()
        use = {s.question.id: s for s in _view(fixture_app, team.id).questions}["strategy-use"]
        assert [r.who for r in use.remarks] == ["Olu", "Mo"]


def test_only_the_lead_and_the_rounds_facilitator_see_divergence(fixture_app: Flask, team: Assessment) -> None:
    with fixture_app.app_context():
        assert _view(fixture_app, team.id, "lead").responses == 4
        for who in ("respondent", "analyst", "admin"):
            with pytest.raises(NotAllowed):
                _view(fixture_app, team.id, who)


def _post(client: Any, url: str, data: dict[str, Any]) -> Any:
    page = client.get(url).get_data(as_text=True)
    return client.post(url, data={**hidden_fields(page), **data})


def test_the_agreed_answers_start_from_the_suggestion_are_audited_and_scored(fixture_app: Flask, places: Places,
                                                                            team: Assessment) -> None:
    facilitator = signed_in_client(fixture_app, "facilitator")
    base = f"/councils/OWN/rounds/{team.id}/agree/full-example"
    page = facilitator.get(f"{base}/strategy").get_data(as_text=True)
    assert "Suggestion" in page and "the middle (median) level of 4 individual answers" in page
    assert 'name="strategy-use" type="radio" value="2" checked' in page
    saved = _post(facilitator, f"{base}/strategy", {"has-strategy": "yes", "strategy-age": "2", "strategy-use": "3",
                                                    "strategy-use--comment": "Agreed after discussion."})
    assert saved.status_code == 302 and saved.headers["Location"].endswith(f"{base}/delivery")
    _post(facilitator, f"{base}/delivery", {"delivery-model": "in-house", "delivery-model--comment": "Agreed.",
                                            "delivery-review": "n/a"})
    confirmed = _post(facilitator, f"{base}/confirm", {})
    assert confirmed.status_code == 302
    result = facilitator.get(f"{base}/confirm").get_data(as_text=True)
    assert "Agreed overall level" in result and "Why: Agreed after discussion." in result
    with fixture_app.app_context():
        session = db.session()
        agreed = session.scalar(select(Response).filter_by(assessment_id=team.id, kind=ResponseKind.CONSENSUS))
        assert agreed is not None and agreed.status == ResponseStatus.SUBMITTED and agreed.respondent_id is None
        assert {s.section_id for s in agreed.scores} == {None, "strategy", "delivery"}
        event = session.scalar(select(AuditEvent).filter_by(action="answers-saved").order_by(AuditEvent.id.desc())
                               .where(AuditEvent.subject == f"response:{agreed.id}"))
        assert event is not None and event.detail["answers"]["delivery-model"] == {  # type: ignore[index]
            "before": [None, False, None], "after": ["in-house", False, "Agreed."]}


def test_two_facilitators_on_different_sections_do_not_conflict_but_on_one_section_do(
        fixture_app: Flask, places: Places, team: Assessment) -> None:
    first, second = signed_in_client(fixture_app, "facilitator"), signed_in_client(fixture_app, "lead")
    base = f"/councils/OWN/rounds/{team.id}/agree/full-example"
    pages = {who: {s: hidden_fields(c.get(f"{base}/{s}").get_data(as_text=True)) for s in ("strategy", "delivery")}
             for who, c in (("first", first), ("second", second))}
    ok = first.post(f"{base}/strategy", data={**pages["first"]["strategy"], "has-strategy": "no"})
    also_ok = second.post(f"{base}/delivery", data={**pages["second"]["delivery"], "delivery-model": "in-house",
                                                    "delivery-model--comment": "Agreed."})
    refused = second.post(f"{base}/strategy", data={**pages["second"]["strategy"], "has-strategy": "yes"})
    assert (ok.status_code, also_ok.status_code, refused.status_code) == (302, 302, 409)
    assert "Someone else saved the agreed answers to this section" in refused.get_data(as_text=True)


def test_targets_are_set_per_section_and_refused_once_published(fixture_app: Flask, places: Places,
                                                                team: Assessment) -> None:
    lead = signed_in_client(fixture_app, "lead")
    url = f"/councils/OWN/rounds/{team.id}/targets/full-example"
    assert _post(lead, url, {"target-strategy": "3", "target-delivery": ""}).status_code == 302
    with fixture_app.app_context():
        session = db.session()
        assessment = session.get(Assessment, team.id)
        assert assessment is not None
        assert targets_of(session, assessment, "full-example") == {"strategy": 3}
        questionnaire = questionnaire_of(assessment.questionnaires[0].questionnaire_version)
        lead_user = session.scalar(select(User).filter_by(email="lead@example.org"))
        assert lead_user is not None
        with pytest.raises(TargetsRefused, match="is not a level"):
            set_targets(session, assessment, questionnaire, {"strategy": 9}, lead_user)
        assessment.status = AssessmentStatus.PUBLISHED
        with pytest.raises(TargetsRefused, match="published"):
            set_targets(session, assessment, questionnaire, {"strategy": 4}, lead_user)


def test_actions_are_added_changed_audited_and_open_ones_carry_into_the_next_round(
        fixture_app: Flask, places: Places, team: Assessment) -> None:
    lead = signed_in_client(fixture_app, "lead")
    url = f"/councils/OWN/rounds/{team.id}/actions"
    empty = _post(lead, url, {})
    assert empty.status_code == 400 and "Say what will be done" in empty.get_data(as_text=True)
    added = _post(lead, url, {"where": "full-example/strategy", "description": "Refresh the strategy with partners",
                              "owner": "Director of Policy", "due_on": ["31", "3", "2027"], "status": "not-started"})
    assert added.status_code == 302
    page = lead.get(url).get_data(as_text=True)
    assert "Refresh the strategy with partners" in page and "31 March 2027" in page and "Full example: Strategy" in page
    with fixture_app.app_context():
        from assess.models import Action as ImprovementAction

        action_id = db.session().scalar(select(ImprovementAction.id))
        later = Assessment(organisation_id=team.organisation_id, title="Next year", questionnaires=[])
        db.session().add(later)
        db.session().commit()
        later_id = later.id
    carried = lead.get(f"/councils/OWN/rounds/{later_id}/actions").get_data(as_text=True)
    assert "Still open from earlier rounds" in carried and "Refresh the strategy with partners" in carried
    done = _post(lead, f"{url}/{action_id}", {"where": "full-example/strategy", "description": "Refresh the strategy",
                                              "owner": "", "status": "done"})
    assert done.status_code == 302
    assert "Still open from earlier rounds" not in lead.get(f"/councils/OWN/rounds/{later_id}/actions").get_data(
        as_text=True)
    assert lead.get(f"/councils/OWN/rounds/{later_id}/actions/{action_id}").status_code == 404  # another round's
    with fixture_app.app_context():
        event = db.session().scalar(select(AuditEvent).filter_by(action="action-saved").order_by(AuditEvent.id.desc()))
        assert event is not None and event.detail["before"]["status"] == "not-started"  # type: ignore[index]
        assert event.detail["after"]["status"] == "done"  # type: ignore[index]


def test_last_time_and_the_change_since_come_from_the_last_published_round(fixture_app: Flask) -> None:
    from assess import questionnaire_library
    from assess.services.demo import DEMO_ROUND, LAST_YEAR, create_demo

    with fixture_app.app_context():
        create_demo(db.session(), questionnaire_library(fixture_app), "demo-password-1")
        db.session().commit()
        round_id = db.session().scalar(select(Assessment.id).filter_by(title=DEMO_ROUND))
    client = fixture_app.test_client()
    page = client.get("/sign-in").get_data(as_text=True)
    client.post("/sign-in", data={**hidden_fields(page), "email": "lead@demo.example", "password": "demo-password-1"})
    base = f"/councils/DEMO/rounds/{round_id}"
    agree = client.get(f"{base}/agree/full-example/strategy").get_data(as_text=True)
    assert f"Last time ({LAST_YEAR}), the council agreed: " in agree
    member = fixture_app.test_client()  # asked in the round (its lead is not)
    page = member.get("/sign-in").get_data(as_text=True)
    member.post("/sign-in", data={**hidden_fields(page), "email": "member@demo.example", "password": "demo-password-1"})
    own = member.get(f"{base}/full-example/strategy").get_data(as_text=True)
    # Shown only when the person opens it, after the question (never above it, to anchor the answer).
    earlier = re.search(r'<details class="govuk-details app-last-time">\s*<summary class="govuk-details__summary">\s*'
                        r'<span class="govuk-details__summary-text">\s*See what the council agreed last time\s*'
                        r'</span>\s*</summary>\s*<div class="govuk-details__text">\s*Last time \('
                        + re.escape(LAST_YEAR) + r'\), the council agreed: ', own)
    assert earlier is not None
    first_question = own.index('class="app-question"')
    assert own.index("govuk-fieldset", first_question) < earlier.start()
    # Confirm this year's agreed answers, then the table shows last year's level and the change.
    with fixture_app.app_context():
        from assess.services.agreement import agreed_response
        from assess.services.demo import demo_answers

        session = db.session()
        assessment = session.get(Assessment, round_id)
        lead = session.scalar(select(User).filter_by(email="lead@demo.example"))
        assert assessment is not None and lead is not None
        version = assessment.questionnaires[0].questionnaire_version
        agreed = agreed_response(session, assessment, version, lead)
        save_answers(session, agreed, demo_answers(questionnaire_of(version), "agreed-now"), lead)
        submit_response(session, agreed, lead)
        session.commit()
    confirmed = client.get(f"{base}/agree/full-example/confirm").get_data(as_text=True)
    assert f"“Last time” is {LAST_YEAR}." in confirmed and "Change" in confirmed
    assert "The questions changed between version" not in confirmed  # the same version both years


def _agree_and_publish(app: Flask, assessment_id: int, seed: str) -> None:
    """Confirm agreed answers to every questionnaire of a round and publish it by name (as its lead)."""
    from assess.models import Sharing
    from assess.services.rounds import change_status

    agree_everything(app, assessment_id, seed)
    with app.app_context():
        session = db.session()
        assessment = session.get(Assessment, assessment_id)
        lead = session.scalar(select(User).filter_by(email="lead@example.org"))
        assert assessment is not None and lead is not None
        assessment.status = AssessmentStatus.IN_REVIEW
        change_status(session, assessment, AssessmentStatus.PUBLISHED, lead, sharing=Sharing.NAMED)
        session.commit()


def test_a_published_round_refuses_changes_to_its_agreed_answers(fixture_app: Flask, places: Places) -> None:
    _agree_and_publish(fixture_app, places.own.round_id, "agreed")
    lead = signed_in_client(fixture_app, "lead")
    url = f"/councils/OWN/rounds/{places.own.round_id}/agree/full-example/strategy"
    refused = _post(lead, url, {"has-strategy": "yes"})
    assert refused.status_code == 302
    assert "no longer taking these answers" in lead.get(refused.headers["Location"]).get_data(as_text=True)
    # Nor may a respondent change their own, nor anyone set targets.
    assert signed_in_client(fixture_app, "respondent").get(
        f"/councils/OWN/rounds/{places.own.round_id}/full-example/strategy").status_code == 302
    targets = _post(lead, f"/councils/OWN/rounds/{places.own.round_id}/targets/full-example",
                    {"target-strategy": "2"})
    assert targets.status_code == 400 and "its targets can no longer change" in targets.get_data(as_text=True)


def test_change_over_time_across_a_new_version_says_the_questions_changed(fixture_app: Flask, places: Places,
                                                                          tmp_path: Any) -> None:
    from assess.library import load_file
    from assess.services.questionnaires import record_version
    from assess.services.rounds import RoundDetails, start_round
    from tests.conftest import FULL

    _agree_and_publish(fixture_app, places.own.round_id, "last year")
    newer = tmp_path / "full.yaml"
    newer.write_text(FULL.read_text().replace("version: 1", "version: 2", 1)
                     .replace("title: Delivery", "title: Delivering services"))
    with fixture_app.app_context():
        session = db.session()
        loaded, problems = load_file(newer)
        assert loaded is not None and not problems
        version = record_version(session, loaded).version
        own = session.get(Assessment, places.own.round_id)
        lead = session.scalar(select(User).filter_by(email="lead@example.org"))
        assert own is not None and lead is not None
        from assess import questionnaire_library

        later = start_round(session, own.organisation, lead, RoundDetails("This year", ["staged-example"]),
                            questionnaire_library(fixture_app))
        later.questionnaires[0].questionnaire_version = version  # this year asks version 2 of full-example
        session.commit()
        later_id = later.id
    _agree_and_publish(fixture_app, later_id, "this year")
    page = signed_in_client(fixture_app, "lead").get(
        f"/councils/OWN/rounds/{later_id}/agree/full-example/confirm").get_data(as_text=True)
    assert "The questions changed between version 1 and version 2, so sections are compared by name" in page
    assert "Delivering services" in page and "Last time" in page


def test_the_agreed_levels_table_gives_change_and_gap_to_target() -> None:
    from assess.web.facilitate import _level_rows
    from scoring import Profile, SectionResult

    def section(id_: str, level: int | None) -> SectionResult:
        return SectionResult(id_, id_.title(), level, f"L{level}" if level else None, None, 1, 1, "")

    profile = Profile("q", 1, "weighted-mean", 2, "L2", 2.0, (
        section("up", 3), section("down", 1), section("same", 2), section("unscored", None)), "")
    rows = _level_rows(profile, {"up": 4, "down": 1, "same": 1}, {"up": 2, "down": 2, "same": 2})
    assert [[cell["text"] for cell in row] for row in rows] == [
        ["Up", "3 L3", "2", "+1", "4", "+1"],
        ["Down", "1 L1", "2", "-1", "1", "Reached"],
        ["Same", "2 L2", "2", "0", "1", "Reached"],
        ["Unscored", "Not enough answers", "–", "–", "–", "–"],
    ]
