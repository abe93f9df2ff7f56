"""What every question page needs, whether a respondent's own answers or the team's agreed ones."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from flask import url_for

from assess.models import Response
from assess.services.responses import missing_in_section, section_version
from assess.web.forms import SectionForm, mark_missing
from scoring import Answer, Questionnaire, visible_questions
from scoring.model import Section, ShowIf


@dataclass(frozen=True)
class Wording:
    """What the one section template says differently for a respondent's own answers and the team's agreed ones."""

    title: str  # before the section's title in the window title
    caption: str  # before the questionnaire's title above the heading
    later: str  # the second button


RESPONDING = Wording("", "", "Save and come back later")
AGREEING = Wording("Agreed answers: ", "Agreed answers, ", "Save and check the agreed answers")


def missing_answer_errors(questionnaire: Questionnaire, missing: Sequence[tuple[str, str]], endpoint: str, code: str,
                          round_id: int) -> list[dict[str, str]]:
    """The error summary's list for answers still missing: each links to its question on its section's page
    (``endpoint``, in the council's round)."""
    return [{"text": f"{reason}: {questionnaire.question(question_id).text}",
             "href": url_for(endpoint, code=code, round_id=round_id, questionnaire_id=questionnaire.id,
                             section_id=questionnaire.section_of(question_id).id) + f"#{question_id}"}
            for question_id, reason in missing]


def incomplete_section(form: SectionForm, section: Section, response: Response) -> bool:
    """After a save that completes a section: whether anything is still missing from it (then marked on the form,
    which now carries the section's new version, so that saving again does not conflict)."""
    missing = missing_in_section(response, section.id)
    if missing:
        mark_missing(form, section, missing)
        form.lock_version.data = str(section_version(response, section.id))
    return bool(missing)


def parse_version(value: object) -> int | None:
    """The section version a page carries (its lock), or None when it cannot be read."""
    try:
        number = int(str(value))
    except ValueError:
        return None
    return number if 0 <= number < 2**31 else None


def section_context(questionnaire: Questionnaire, section: Section, stored: Mapping[str, Answer]) -> dict[str, object]:
    """The questionnaire and section, the section's number, and which questions show when."""
    in_section = {q.id for q in section.questions}
    return {
        "questionnaire": questionnaire, "section": section,
        "number": [s.id for s in questionnaire.sections].index(section.id) + 1,
        "hidden": hidden_by_earlier_pages(questionnaire, section, stored),
        "conditions": {q.id: condition_json(q.show_if) for q in section.questions
                       if q.show_if and q.show_if.question in in_section},
    }


def hidden_by_earlier_pages(questionnaire: Questionnaire, section: Section, stored: Mapping[str, Answer]) -> set[str]:
    """Questions of this section that stored answers on earlier pages hide.

    A condition on a question of the same page is decided in the browser (or, without
    JavaScript, by the respondent reading when it applies).
    """
    visible = visible_questions(questionnaire, stored)
    in_section = {q.id for q in section.questions}
    return {q.id for q in section.questions
            if q.show_if and q.show_if.question not in in_section and q.id not in visible}


def condition_json(condition: ShowIf) -> str:
    """A show_if condition as the JSON that static/conditional.js reads."""
    rule = {"equals": condition.equals, "in": list(condition.in_) if condition.in_ else None,
            "at_least": condition.at_least}
    return json.dumps({"question": condition.question, **{k: v for k, v in rule.items() if v is not None}})
