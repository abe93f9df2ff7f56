"""The shipped questionnaire library: valid, complete, varied, and scored the way its descriptions say."""

from __future__ import annotations

from itertools import combinations
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from assess.library import Library, load_library
from scoring import Answer, Questionnaire, get_scorer, visible_questions
from scoring.model import Question

LIBRARY_FOLDER = Path(__file__).resolve().parent.parent / "assess" / "questionnaires"
EXPECTED = {
    "leadership.yaml": "leadership",
    "financial-planning.yaml": "financial-planning",
    "data.yaml": "data",
    "digital.yaml": "digital",
    "procurement.yaml": "procurement",
    "procurement-maturity.yaml": "procurement-maturity",
    "cyber.yaml": "cyber",
}


@pytest.fixture(scope="module")
def library() -> Library:
    return load_library(LIBRARY_FOLDER)


def questionnaires() -> list[str]:
    return sorted(EXPECTED.values())


def test_the_library_holds_the_seven_questionnaires_each_in_its_own_file(library: Library) -> None:
    assert {f.path.name: f.questionnaire.id for f in library} == EXPECTED


def test_every_built_in_scorer_is_used(library: Library) -> None:
    used = {f.questionnaire.scoring.method for f in library}
    assert used == {"weighted-mean", "weakest-link", "staged", "outcomes"}
    assert library.get("cyber").scoring.method == "outcomes"
    assert library.get("procurement-maturity").scoring.method in ("weighted-mean", "staged")


@pytest.mark.parametrize("questionnaire_id", questionnaires())
def test_size_and_shape(library: Library, questionnaire_id: str) -> None:
    questionnaire = library.get(questionnaire_id)
    assert 15 <= len(questionnaire.questions) <= 45
    assert 4 <= len(questionnaire.sections) <= 8
    for section in questionnaire.sections:
        # Scored questions with weight make the level; unscored ones (context, ambitions) and weightless
        # legal checks that only cap it may sit beside them.
        assert 3 <= sum(1 for q in section.questions if q.is_scored and q.weight > 0) <= 6, section.id
        assert len(section.questions) <= 20, section.id
    scored = [q for q in questionnaire.questions if q.is_scored]
    level_questions = [q for q in scored if q.type == "level"]
    outcome_questions = [q for q in scored if q.type == "choice"]
    # Mostly level questions (outcome-based frameworks use outcome questions instead).
    assert len(level_questions) + len(outcome_questions) >= 0.8 * len(scored)


@pytest.mark.parametrize("questionnaire_id", questionnaires())
def test_every_question_has_a_hint_and_every_statement_is_its_own(library: Library, questionnaire_id: str) -> None:
    questionnaire = library.get(questionnaire_id)
    seen: dict[str, str] = {}
    for question in questionnaire.questions:
        assert question.hint and len(question.hint) > 40, question.id
        if question.type == "level":
            assert sorted(question.statements) == list(questionnaire.levels), question.id
            statements = [text.strip() for text in question.statements.values()]
            assert len(set(statements)) == len(statements), f"{question.id} repeats a statement"
        for text in question.statements.values():
            assert text.strip() not in seen, f"{question.id} repeats a statement of {seen.get(text.strip())}"
            seen[text.strip()] = question.id


@pytest.mark.parametrize("questionnaire_id", questionnaires())
def test_the_description_says_how_the_level_is_worked_out(library: Library, questionnaire_id: str) -> None:
    questionnaire = library.get(questionnaire_id)
    assert questionnaire.description and "level" in questionnaire.description.lower()
    assert len(questionnaire.scale) == 5


@pytest.mark.parametrize("questionnaire_id", questionnaires())
def test_every_section_signposts_help_at_low_levels(library: Library, questionnaire_id: str) -> None:
    questionnaire = library.get(questionnaire_id)
    lowest = min(questionnaire.levels)
    for section in questionnaire.sections:
        targeted = [r for r in questionnaire.resources if r.applies_to and r.applies_to.section == section.id]
        assert any((r.applies_to.max_level or lowest) >= lowest for r in targeted if r.applies_to), section.id


def test_the_library_uses_not_applicable_show_if_and_comments(library: Library) -> None:
    questions = [q for f in library for q in f.questionnaire.questions]
    assert any(q.not_applicable for q in questions)
    assert any(q.show_if for q in questions)
    assert any(q.comment == "required" for q in questions) and any(q.comment == "optional" for q in questions)


def test_procurement_maturity_follows_the_national_procurement_strategy(library: Library) -> None:
    questionnaire = library.get("procurement-maturity")
    assert [s.label for s in questionnaire.scale] == ["Minimum", "Developing", "Mature", "Leader", "Innovator"]
    key_areas = {q.id for q in questionnaire.questions if q.type == "level"}
    assert {"engaging-councillors", "engaging-senior-managers", "working-with-partners",
            "engaging-strategic-suppliers", "managing-contracts", "managing-strategic-risk",
            "obtaining-social-value", "developing-talent", "embedding-change"} <= key_areas
    # The 2022 strategy's five enablers: adding value joined the four of 2018.
    assert {"adding-value", "developing-talent", "exploiting-digital-technology", "enabling-innovation",
            "embedding-change"} == {q.id for q in questionnaire.section("enablers").questions if q.type == "level"}
    assert len(key_areas) == 15
    # Once placed in every key area, the council sets its ambition key area by key area, Minimum included.
    areas = [q.id for q in questionnaire.questions if q.type == "level"]
    ambitions = questionnaire.sections[-1].questions[-len(areas):]
    assert [q.id for q in ambitions] == [f"{area}-ambition" for area in areas]
    for ambition in ambitions:
        assert not ambition.is_scored and not ambition.required and ambition.comment == "optional"
        assert [o.label for o in ambition.options] == [level.label for level in questionnaire.scale]


def _uniform_answer(questionnaire: Questionnaire, question: Question, level: int) -> Answer | None:
    """The answer a council picking `level` everywhere gives (None where no answer means that level)."""
    if question.type == "level":
        return Answer(level)
    if question.type == "yes-no" and question.scores:
        if questionnaire.scoring.method == "staged":
            return Answer("yes")  # a staged yes is met at every stage
        matching = [answer for answer, score in question.scores.items() if score == level]
        return Answer(matching[0]) if matching else None
    if question.type in ("choice", "multi-choice") and question.is_scored:
        matching = [o.value for o in question.options if o.score == level]
        return Answer(matching[0] if question.type == "choice" else (matching[0],)) if matching else None
    return None


@pytest.mark.parametrize("questionnaire_id", [q for q in questionnaires() if q != "cyber"])
@pytest.mark.parametrize("level", [1, 2, 3, 4, 5])
def test_the_same_level_everywhere_gives_that_level(library: Library, questionnaire_id: str, level: int) -> None:
    # Not for cyber: its outcomes scorer reads a share of outcomes achieved, not levels.
    questionnaire = library.get(questionnaire_id)
    answers = {q.id: a for q in questionnaire.questions if (a := _uniform_answer(questionnaire, q, level))}
    profile = get_scorer(questionnaire.scoring.method).score(questionnaire, answers)
    assert profile.level == level, profile.explanation
    assert {s.level for s in profile.sections} == {level}


@pytest.mark.parametrize("share, expected", [(0.0, 1), (0.3, 2), (0.55, 3), (0.75, 4), (1.0, 5)])
def test_cyber_levels_follow_the_share_of_outcomes_achieved(library: Library, share: float, expected: int) -> None:
    # Critical outcomes first, so that any share above nothing has them all achieved and no cap applies.
    questionnaire = library.get("cyber")
    outcomes = sorted(questionnaire.questions, key=lambda q: q.critical is None)
    achieved = round(share * len(outcomes))
    answers = {q.id: Answer("achieved" if i < achieved else "not-achieved") for i, q in enumerate(outcomes)}
    assert get_scorer("outcomes").score(questionnaire, answers).level == expected


def extreme(questionnaire: Questionnaire, question: Question, top: bool) -> Answer:
    """The answer at the top (or bottom) of the scale for a scored question."""
    pick = max if top else min
    if question.type == "level":
        return Answer(pick(questionnaire.levels))
    if question.type == "yes-no":
        return Answer(pick(question.scores, key=lambda answer: question.scores[answer]))
    scored = [o for o in question.options if o.score is not None]
    option = pick(scored, key=lambda o: o.score or 0)
    if question.type == "multi-choice":
        return Answer(tuple(o.value for o in scored) if top else (option.value,))
    return Answer(option.value)


def scenarios(questionnaire: Questionnaire) -> list[dict[str, Answer]]:
    """Every scored question at the top, with each answer to each unscored question that others depend on."""
    gates = {q.show_if.question for q in questionnaire.questions if q.show_if}
    base = {q.id: extreme(questionnaire, q, top=True) for q in questionnaire.questions if q.is_scored}
    choices: list[tuple[str, str]] = []
    for question in questionnaire.questions:
        if question.id in gates and not question.is_scored:
            values = [o.value for o in question.options] if question.options else ["yes", "no"]
            choices += [(question.id, value) for value in values]
    first = {qid: Answer(value) for qid, value in dict(reversed(choices)).items()}
    return [{**base, **first, qid: Answer(value)} for qid, value in choices] or [base]


def top_level(questionnaire: Questionnaire) -> int:
    return max(questionnaire.levels)


@pytest.mark.parametrize("questionnaire_id", questionnaires())
def test_every_answer_at_the_top_gives_the_top_level(library: Library, questionnaire_id: str) -> None:
    questionnaire = library.get(questionnaire_id)
    scorer = get_scorer(questionnaire.scoring.method)
    for answers in scenarios(questionnaire):
        profile = scorer.score(questionnaire, answers)
        assert profile.level == top_level(questionnaire), profile.explanation
        assert {s.level for s in profile.sections} == {top_level(questionnaire)}


@pytest.mark.parametrize("questionnaire_id", questionnaires())
def test_one_answer_at_the_bottom_costs_at_most_one_level_unless_it_is_critical(
    library: Library, questionnaire_id: str
) -> None:
    questionnaire = library.get(questionnaire_id)
    scorer = get_scorer(questionnaire.scoring.method)
    levels = sorted(questionnaire.levels)
    for answers in scenarios(questionnaire):
        shown = visible_questions(questionnaire, answers)
        for question in questionnaire.questions:
            if question.id not in shown or not question.is_scored:
                continue
            profile = scorer.score(questionnaire, {**answers, question.id: extreme(questionnaire, question, top=False)})
            assert profile.level is not None
            if question.critical is None:
                assert levels.index(profile.level) >= len(levels) - 2, (question.id, profile.explanation)
                continue
            cap = question.critical.cap if question.critical.cap is not None else levels[0]
            section = profile.section(questionnaire.section_of(question.id).id)
            assert profile.level <= cap and section.level is not None and section.level <= cap, question.id
            reason = question.critical.because or f"a critical question, {question.label}"
            assert reason in profile.explanation and reason in section.explanation, profile.explanation


@pytest.mark.parametrize("questionnaire_id", questionnaires())
def test_explanations_name_questions_in_plain_words(library: Library, questionnaire_id: str) -> None:
    questionnaire = library.get(questionnaire_id)
    for question in questionnaire.questions:
        if question.is_scored:
            assert question.label, f"{question.id} needs a label for explanations"
            assert len(question.label) <= 60 and question.label[0].islower(), question.label
        if question.critical is not None:
            because = question.critical.because
            assert because and because[0].islower() and not because.endswith("."), question.id


#: The questions each type of English council answers "not applicable": always (it has no such duty) or
#: sometimes (it may have none: council housing, a telecare service, a devolution deal to influence).
ALWAYS, SOMETIMES = "always", "sometimes"
#: Reorganisation: proposed where county and district councils remain (a unitary may be part of a proposal), not for
#: metropolitan districts or London boroughs in the current programme.
REORGANISATION = (
    "reorganisation-leadership", "reorganisation-finances", "reorganisation-systems", "reorganisation-data")
COUNCIL_TYPES: dict[str, dict[str, str]] = {
    # No education, social care or public health duties; council housing and devolution vary.
    "district": {"high-needs-deficit": ALWAYS, "adult-social-care-markets": ALWAYS, "care-record-sharing": ALWAYS,
                 "housing-revenue-account": SOMETIMES, "telecare-switchover": SOMETIMES,
                 "devolution-and-region": SOMETIMES, **dict.fromkeys(REORGANISATION, SOMETIMES)},
    # No council housing; telecare, devolution and reorganisation vary.
    "county": {"housing-revenue-account": ALWAYS, "telecare-switchover": SOMETIMES,
               "devolution-and-region": SOMETIMES, **dict.fromkeys(REORGANISATION, SOMETIMES)},
    "unitary": {"housing-revenue-account": SOMETIMES, "telecare-switchover": SOMETIMES,
                "devolution-and-region": SOMETIMES, **dict.fromkeys(REORGANISATION, SOMETIMES)},
    # Every metropolitan district is in a mayoral strategic authority.
    "metropolitan district": {"housing-revenue-account": SOMETIMES, "telecare-switchover": SOMETIMES,
                              **dict.fromkeys(REORGANISATION, ALWAYS)},
    # London's strategic authority is the Greater London Authority.
    "London borough": {"housing-revenue-account": SOMETIMES, "telecare-switchover": SOMETIMES,
                       **dict.fromkeys(REORGANISATION, ALWAYS)},
}


def not_applicable_patterns(questionnaire: Questionnaire, council_type: str) -> list[frozenset[str]]:
    """Every set of this questionnaire's questions a council of this type could mark not applicable."""
    pattern = COUNCIL_TYPES[council_type]
    ids = {q.id for q in questionnaire.questions}
    always = frozenset(qid for qid, how in pattern.items() if how == ALWAYS and qid in ids)
    sometimes = sorted(qid for qid, how in pattern.items() if how == SOMETIMES and qid in ids)
    return [always | frozenset(chosen) for n in range(len(sometimes) + 1) for chosen in combinations(sometimes, n)]


def test_every_not_applicable_pattern_names_questions_that_offer_not_applicable(library: Library) -> None:
    offered = {q.id for f in library for q in f.questionnaire.questions if q.not_applicable}
    named = {qid for pattern in COUNCIL_TYPES.values() for qid in pattern}
    assert named == offered


@pytest.mark.parametrize("council_type", sorted(COUNCIL_TYPES))
@pytest.mark.parametrize("questionnaire_id", questionnaires())
def test_fair_for_every_type_of_council(library: Library, questionnaire_id: str, council_type: str) -> None:
    """All at the top gives the top; one answer at the bottom costs a level at most, unless critical: then it caps."""
    questionnaire = library.get(questionnaire_id)
    scorer = get_scorer(questionnaire.scoring.method)
    levels = sorted(questionnaire.levels)
    for not_applicable in not_applicable_patterns(questionnaire, council_type):
        for scenario in scenarios(questionnaire):
            answers = {**scenario, **{qid: Answer(not_applicable=True) for qid in not_applicable}}
            top = scorer.score(questionnaire, answers)
            assert top.level == levels[-1], (sorted(not_applicable), top.explanation)
            shown = visible_questions(questionnaire, answers)
            for question in questionnaire.questions:
                if question.id not in shown or not question.is_scored or question.id in not_applicable:
                    continue
                bottom = {**answers, question.id: extreme(questionnaire, question, top=False)}
                profile = scorer.score(questionnaire, bottom)
                assert profile.level is not None
                where = (question.id, sorted(not_applicable), profile.explanation)
                if question.critical is None:
                    assert levels.index(profile.level) >= len(levels) - 2, where
                    continue
                cap = question.critical.cap if question.critical.cap is not None else levels[0]
                assert profile.level <= cap, where
                assert question.critical.because and question.critical.because in profile.explanation, where


def _all_top(questionnaire: Questionnaire) -> dict[str, Answer]:
    return {q.id: extreme(questionnaire, q, top=True) for q in questionnaire.questions if q.is_scored}


@pytest.mark.parametrize("questionnaire_id", ["procurement", "procurement-maturity"])
@pytest.mark.parametrize("duty", ["exclusion-checks", "conflicts-assessment"])
def test_an_unmet_procurement_act_duty_holds_either_file_below_the_level_it_calls_compliant(
    library: Library, questionnaire_id: str, duty: str
) -> None:
    questionnaire = library.get(questionnaire_id)
    compliant = {"procurement": "Compliant", "procurement-maturity": "Developing"}[questionnaire_id]
    compliant_level = next(s.level for s in questionnaire.scale if s.label == compliant)
    assert compliant.lower() in questionnaire.description.lower() or "meets its legal duties" in " ".join(
        s.description or "" for s in questionnaire.scale if s.label == compliant)
    profile = get_scorer(questionnaire.scoring.method).score(questionnaire, {**_all_top(questionnaire),
                                                                             duty: Answer("no")})
    assert profile.level is not None and profile.level < compliant_level, profile.explanation
    assert "a duty under the Procurement Act 2023" in profile.explanation


def test_both_procurement_files_word_the_legal_floor_the_same(library: Library) -> None:
    files = [library.get("procurement"), library.get("procurement-maturity")]
    for duty in ("exclusion-checks", "conflicts-assessment"):
        first, second = (questionnaire.question(duty) for questionnaire in files)
        assert (first.text, first.critical, first.scores, first.weight) == (
            second.text, second.critical, second.scores, second.weight)
    floor = ("an unmet duty under the Procurement Act 2023 holds the result at the lowest level, below the level "
             "this questionnaire treats as meeting the law")
    assert all(floor.lower() in " ".join((questionnaire.description or "").lower().split())
               for questionnaire in files)


def test_one_minimum_answer_in_an_otherwise_mature_council_leaves_it_mature(library: Library) -> None:
    questionnaire = library.get("procurement-maturity")
    scorer = get_scorer(questionnaire.scoring.method)
    mature = {q.id: Answer(3) for q in questionnaire.questions if q.type == "level"}
    mature |= {duty: Answer("yes") for duty in ("exclusion-checks", "conflicts-assessment")}
    for question in (q for q in questionnaire.questions if q.type == "level"):
        profile = scorer.score(questionnaire, {**mature, question.id: Answer(1)})
        assert profile.label == "Mature", (question.id, profile.explanation)


@pytest.mark.parametrize("outcome", ["security-monitoring", "exercising"])
def test_cyber_without_monitoring_or_exercises_is_not_resilient(library: Library, outcome: str) -> None:
    questionnaire = library.get("cyber")
    profile = get_scorer("outcomes").score(questionnaire, {**_all_top(questionnaire),
                                                          outcome: Answer("not-achieved")})
    assert profile.label == "Managed", profile.explanation
    assert profile.explanation.startswith("Capped at Managed because ")


def test_cyber_states_the_ransomware_payment_ban_as_a_proposal_not_law(library: Library) -> None:
    hint = " ".join((library.get("cyber").question("response-plan").hint or "").split())
    assert "government proposal that needs legislation, not yet the law" in hint


def test_digital_without_an_ai_policy_does_not_reach_the_top(library: Library) -> None:
    questionnaire = library.get("digital")
    profile = get_scorer("staged").score(questionnaire, {**_all_top(questionnaire), "ai-use-policy": Answer("no")})
    assert profile.level is not None and profile.level < max(questionnaire.levels), profile.explanation


def test_digital_accessibility_failures_outstanding_for_a_year_hold_it_at_the_bottom(library: Library) -> None:
    questionnaire = library.get("digital")
    hint = " ".join((questionnaire.question("accessibility-statement").hint or "").split())
    assert "outstanding for more than a year" in hint
    profile = get_scorer("staged").score(questionnaire, {**_all_top(questionnaire),
                                                         "accessibility-statement": Answer("no")})
    assert profile.label == "Starting out", profile.explanation
    assert "some disabled residents cannot use them" in profile.explanation


def resource_url_problem(url: str) -> str | None:
    """What is wrong with a resource's URL for the shipped library: not https, or a site's home page."""
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.netloc:
        return "is not an https address"
    if parts.path.strip("/") == "" and not parts.query:
        return "points at a site's home page, not a specific page"
    return None


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("https://www.local.gov.uk/publications/councillors-workbook-scrutiny", None),
        ("http://www.local.gov.uk/publications/councillors-workbook-scrutiny", "is not an https address"),
        ("https://www.ncsc.gov.uk", "points at a site's home page, not a specific page"),
        ("https://www.ncsc.gov.uk/", "points at a site's home page, not a specific page"),
    ],
)
def test_resource_url_check(url: str, problem: str | None) -> None:
    assert resource_url_problem(url) == problem


@pytest.mark.parametrize("questionnaire_id", questionnaires())
def test_every_resource_is_a_specific_https_page_or_cited_by_publisher(library: Library, questionnaire_id: str) -> None:
    for resource in library.get(questionnaire_id).resources:
        if resource.url is None:
            # No page could be confirmed: the file cites it by publisher and title instead.
            assert resource.publisher, f"{resource.title}: give a confirmed url, or a publisher"
        else:
            assert resource_url_problem(resource.url) is None, (resource.title, resource_url_problem(resource.url))
