"""Facilitation: the divergence figures and the suggestion on a worked example, agreed answers, targets."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from assess import db
from assess.library import load_library
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
from assess.services.agreement import TargetsRefused, _spread, divergence, set_targets, targets_of
from assess.services.questionnaires import questionnaire_of
from assess.services.responses import individual_response, save_answers, submit_response
from assess.services.users import add_membership, add_user
from scoring import Answer
from tests.conftest import Places, agree_everything, hidden_fields, signed_in_client
from tests.test_shipped_questionnaires import LIBRARY_FOLDER

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
        # The suggestion is the median the spread shows: 3.0, level 3, though nobody chose it.
        assert use.suggested is not None and use.suggested.answer == Answer(3)
        assert use.suggested.reason == "3 Established: the middle (median) of the 4 levels given is 3."
        assert use.summary == "4 answered: 1 to 4, median 3"
        # Officers and members counted apart (Olu and Pam officers at 1 and 2; Mo and Nia members at 4).
        assert [(t.answer, t.by_group) for t in use.rows] == [
            ("1 Starting", (1, 0, 0)), ("2 Developing", (1, 0, 0)),
            ("3 Established", (0, 0, 0)), ("4 Leading", (0, 2, 0))]
        # Comments are anonymous unless the round says otherwise; the group is kept.
        assert [(r.who, r.group, r.text, r.answer) for r in use.remarks] == [
            (None, RespondentGroup.OFFICER, "It is rarely mentioned.", "1 Starting"),
            (None, RespondentGroup.MEMBER, "We use it at every cabinet.", "4 Leading")]

        model = by_id["delivery-model"]
        assert [(t.answer, t.count) for t in model.tallies] == [("In house", 3), ("In partnership", 1),
                                                               ("Outsourced", 0)]
        # Scores 2, 2 (officers) and 2, 3 (members): range 1, medians 2 and 2.5: not split.
        assert (model.range, model.group_gap, model.split) == (1.0, 0.5, False)
        assert model.suggested is not None and model.suggested.answer == Answer("in-house")

        assert [s.question.id for s in view.by_divergence()][0] == "strategy-use"
        assert by_id["notes"].tallies == () and by_id["notes"].suggested is None
        # Shown to the three whose level was 2 or more; all three said "not applicable".
        review = by_id["delivery-review"]
        assert (review.answered, review.not_applicable) == (3, 3)
        assert review.suggested is not None and review.suggested.answer == Answer(not_applicable=True)
        assert [(t.answer, t.count, t.by_group) for t in review.rows][-1] == ("Not applicable", 3, (1, 2, 0))


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
    # The same suggestion, in the same words, as the session's question page (one service rule).
    assert "Suggestion" in page and "3 Established: the middle (median) of the 4 levels given is 3. Confirm" in page
    assert 'name="strategy-use" type="radio" value="3" checked' in page
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


def _level_spread(levels: list[int | None]) -> Any:
    """full-example's strategy-use as answered by a team: a level each, None for "not applicable"."""
    from dataclasses import replace

    from assess.library import load_file
    from assess.services.agreement import QuestionSpread, _suggest
    from tests.conftest import FULL

    loaded, _problems = load_file(FULL)
    assert loaded is not None
    questionnaire = loaded.questionnaire
    section = questionnaire.section("strategy")
    question = questionnaire.question("strategy-use")
    spread = QuestionSpread(section, question, (), len(levels), sum(v is None for v in levels),
                            tuple((RespondentGroup.OFFICER, float(v)) for v in levels if v is not None), ())
    return replace(spread, suggested=_suggest(questionnaire, spread))


def test_the_suggestion_is_the_median_the_spread_shows() -> None:
    between = _level_spread([2, 3])
    assert between.median() == 2.5 and between.summary == "2 answered: 2 to 3, median 2.5"
    assert between.suggested.answer == Answer(2)
    assert between.suggested.reason == ("2 Developing: the middle (median) of the 2 levels given is 2.5, between "
                                        "levels 2 and 3: the lower is suggested.")
    odd = _level_spread([1, 4, 4])
    assert odd.median() == 4 and odd.suggested.answer == Answer(4)


def test_not_applicable_is_suggested_when_half_or_more_chose_it() -> None:
    # Two of four chose not applicable: half, so not applicable (they are not ignored).
    half = _level_spread([None, None, 2, 4])
    assert half.suggested.answer == Answer(not_applicable=True)
    assert half.suggested.reason == "Not applicable: 2 of the 4 who answered chose it: half or more."
    # One of four: fewer than half; the median of the three levels, saying who it leaves out.
    fewer = _level_spread([None, 1, 2, 4])
    assert fewer.suggested.answer == Answer(2) and fewer.summary == "4 answered: 1 to 4, median 2; 1 not applicable"
    assert fewer.suggested.reason.endswith("The 1 who chose not applicable (fewer than half) are not counted.")
    assert _level_spread([]).suggested is None


def _lead_and_round(fixture_app: Flask, round_id: int) -> tuple[Any, Assessment, User]:
    session = db.session()
    assessment = session.get(Assessment, round_id)
    lead = session.scalar(select(User).filter_by(email="lead@example.org"))
    assert assessment is not None and lead is not None
    return session, assessment, lead


def test_a_target_at_or_below_the_agreed_level_is_refused(fixture_app: Flask, places: Places) -> None:
    from assess.services.agreement import section_levels

    agree_everything(fixture_app, places.own.round_id, "agreed")
    with fixture_app.app_context():
        session, assessment, lead = _lead_and_round(fixture_app, places.own.round_id)
        questionnaire = questionnaire_of(assessment.questionnaires[0].questionnaire_version)
        agreed = {row.section.id: row.agreed for row in section_levels(session, assessment, questionnaire)}
        reached = agreed["strategy"]
        assert reached is not None and reached < max(questionnaire.levels)
        for level in (reached, min(questionnaire.levels)):
            with pytest.raises(TargetsRefused) as refused:
                set_targets(session, assessment, questionnaire, {"strategy": level}, lead)
            assert refused.value.problems["strategy"].startswith(
                f"The target for Strategy must be above its agreed level, {reached} ")
        set_targets(session, assessment, questionnaire, {"strategy": reached + 1}, lead)
        assert targets_of(session, assessment, questionnaire.id) == {"strategy": reached + 1}
    # The form keeps what was chosen and says why, beside the section (its error summary links there).
    lead_client = signed_in_client(fixture_app, "lead")
    url = f"/councils/OWN/rounds/{places.own.round_id}/targets/full-example"
    page = lead_client.get(url).get_data(as_text=True)
    assert f"Agreed level: {reached} " in page and "Last round: not assessed." in page
    refused_page = _post(lead_client, url, {"target-strategy": str(reached)})
    text = refused_page.get_data(as_text=True)
    assert refused_page.status_code == 400 and 'href="#target-strategy"' in text
    assert f'value="{reached}" checked' in text and "must be above its agreed level" in text


def test_new_actions_cannot_be_due_in_the_past_and_overdue_ones_are_flagged(fixture_app: Flask,
                                                                          places: Places) -> None:
    from datetime import date, timedelta

    from assess.models import ActionStatus
    from assess.services.agreement import ActionDetails, ActionRefused, action_list, save_action

    today = date(2027, 3, 31)
    with fixture_app.app_context():
        session, assessment, lead = _lead_and_round(fixture_app, places.own.round_id)
        due = ActionDetails("full-example", "strategy", "Refresh the strategy", "Director", today - timedelta(days=1),
                            ActionStatus.NOT_STARTED)
        with pytest.raises(ActionRefused, match="cannot be due in the past"):
            save_action(session, assessment, due, lead, today=today)
        on_time = save_action(session, assessment, replace_due(due, today), lead, today=today)
        # An existing action keeps its date, even once it has passed.
        later = today + timedelta(days=10)
        save_action(session, assessment, replace_due(due, today - timedelta(days=5)), lead, on_time, today=later)
        done = save_action(session, assessment, ActionDetails("full-example", None, "Publish the plan", "Chief",
                                                              today, ActionStatus.DONE), lead, today=today)
        listed = action_list(session, assessment, later)
        assert [(line.action.id, line.where, line.overdue) for line in listed.this_round] == [
            (on_time.id, "Full example: Strategy", True), (done.id, "Full example: the whole questionnaire", False)]
        assert listed.owners == ["Chief", "Director"]
        assert [line.action.id for line in action_list(session, assessment, later, owner="Chief").this_round] == [
            done.id]
        assert [line.action.id for line in action_list(session, assessment, later,
                                                       status=ActionStatus.NOT_STARTED).this_round] == [on_time.id]


def test_the_actions_page_refuses_a_past_date_keeping_what_was_typed(fixture_app: Flask, places: Places) -> None:
    from datetime import date, timedelta

    lead = signed_in_client(fixture_app, "lead")
    url = f"/councils/OWN/rounds/{places.own.round_id}/actions"
    yesterday = date.today() - timedelta(days=1)
    refused = _post(lead, url, {"where": "full-example/strategy", "description": "Refresh the strategy",
                                "due_on": [str(yesterday.day), str(yesterday.month), str(yesterday.year)],
                                "status": "not-started"})
    text = refused.get_data(as_text=True)
    assert refused.status_code == 400 and "A new action cannot be due in the past" in text
    assert "Refresh the strategy</textarea>" in text and f'value="{yesterday.year}"' in text


def replace_due(details: Any, due: Any) -> Any:
    """The same action details due on another day."""
    from dataclasses import replace

    return replace(details, due_on=due)


def test_the_session_agrees_question_by_question_with_the_index_showing_the_same_figures(
        fixture_app: Flask, places: Places, team: Assessment) -> None:
    facilitator, lead = signed_in_client(fixture_app, "facilitator"), signed_in_client(fixture_app, "lead")
    index_url = f"/councils/OWN/rounds/{team.id}/divergence/full-example"
    base = f"/councils/OWN/rounds/{team.id}/session/full-example"
    index = facilitator.get(index_url).get_data(as_text=True)
    assert "0 of 7 questions agreed" in index and "4 answered: 1 to 4, median 3" in index
    split_first = facilitator.get(f"{index_url}?order=divergence").get_data(as_text=True)
    assert split_first.index("How is the strategy used?") < split_first.index(
        "Does the council have a published strategy?")
    page = facilitator.get(f"{base}/strategy-use").get_data(as_text=True)
    assert "question 3 of 7 · 0 agreed" in page and "4 answered: 1 to 4, median 3" in page
    assert "Suggested: 3 Established" in page and 'name="strategy-use" type="radio" value="3" checked' in page
    assert "“It is rarely mentioned.” (senior officers)" in page and "Olu" not in page
    # Counts by group: one officer at level 1, two members at 4; a mark a person.
    assert page.count('class="app-mark app-mark--member"') == 2 + 1  # two in the table, one in the key
    # Two people open the question; the first saves; the second's save is refused, not written over.
    second = hidden_fields(lead.get(f"{base}/strategy-use").get_data(as_text=True))
    saved = _post(facilitator, f"{base}/strategy-use", {"strategy-use": "2", "action": "next"})
    assert saved.status_code == 302 and saved.headers["Location"].endswith(f"{base}/delivery-model")
    refused = lead.post(f"{base}/strategy-use", data={**second, "strategy-use": "4"})
    assert refused.status_code == 409 and "your answer has not been saved" in refused.get_data(as_text=True)
    again = facilitator.get(f"{base}/strategy-use").get_data(as_text=True)
    assert "Agreed so far: <strong>2 Developing</strong>" in again and "· 1 agreed" in again
    assert 'value="2" checked' in again
    assert "2 Developing" in facilitator.get(index_url).get_data(as_text=True)
    assert facilitator.get(f"{base}/no-such-question").status_code == 404
    # A question that needs a comment says so, and an answer saved without one is told at once, not at confirming.
    needs = facilitator.get(f"{base}/delivery-model").get_data(as_text=True)
    assert "Needed before the agreed answers can be confirmed." in needs
    told = _post(facilitator, f"{base}/delivery-model", {"delivery-model": "in-house", "action": "next"})
    assert told.status_code == 302
    following = facilitator.get(told.headers["Location"]).get_data(as_text=True)
    assert "It still needs a comment or evidence note" in following


def test_neighbouring_outcomes_do_not_split_the_team_but_opposite_ones_do() -> None:
    """Cyber's outcomes are scored 5, 3 and 1: achieved and partially achieved are neighbours, one step apart."""
    cyber = load_library(LIBRARY_FOLDER).files["cyber"].questionnaire
    section = next(s for s in cyber.sections if any(q.id == "patching" for q in s.questions))
    patching = next(q for q in section.questions if q.id == "patching")
    values = {option.score: option.value for option in patching.options}

    def spread(*officers: float) -> bool:
        views = [(Response(respondent_group=RespondentGroup.OFFICER), {"patching": Answer(values[score])})
                 for score in officers]
        return _spread(cyber, section, patching, views, named=False).split

    assert not spread(5, 5, 3) and not spread(3, 1)
    assert spread(5, 1)
