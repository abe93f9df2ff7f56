"""The respondent's journey: task list, one section a page, check answers, submit, results."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from assess import db
from assess.answers import missing_answers
from assess.models import (
    Assessment,
    AssessmentQuestionnaire,
    AssessmentStatus,
    Membership,
    OrganisationRole,
    Response,
    ResponseStatus,
)
from assess.reports.charts import section_bars_svg
from assess.reports.data import (
    NoSubmittedResponse,
    ReportData,
    applicable_resources,
    build_report,
    default_chooser,
    respondent_chooser,
)
from assess.reports.downloads import html_response, pdf_response
from assess.services.questionnaires import questionnaire_of
from assess.services.responses import (
    EditConflict,
    Incomplete,
    ResponseLocked,
    answers_of,
    individual_response,
    save_answers,
    score,
    submit_response,
)
from assess.services.rounds import rounds_of, task
from assess.web.access import (
    assessment_or_404,
    current_user,
    login_required,
    membership_or_404,
    questionnaire_link_or_404,
)
from assess.web.forms import SectionForm, fill_form, read_form, section_form_class
from scoring import Answer, visible_questions
from scoring.model import Questionnaire, Section, ShowIf

blueprint = Blueprint("respond", __name__)


@blueprint.route("/")
@login_required
def home() -> str:
    """The councils the signed-in person belongs to."""
    memberships: list[Membership] = sorted(current_user().memberships, key=lambda m: m.organisation.name)
    return render_template("respond/home.html", memberships=memberships)


@blueprint.route("/councils/<code>/")
@login_required
def council(code: str) -> str:
    """A council's assessment rounds."""
    membership = membership_or_404(code)
    return render_template("respond/council.html", membership=membership,
                           rounds=rounds_of(db.session(), membership.organisation))


@blueprint.route("/councils/<code>/rounds/<int:round_id>/")
@login_required
def round_tasks(code: str, round_id: int) -> str:
    """The respondent's task list: each questionnaire of the round with the status of its sections."""
    membership = membership_or_404(code)
    assessment = assessment_or_404(membership, round_id)
    tasks = [task(db.session(), link, questionnaire_of(link.questionnaire_version), current_user())
             for link in assessment.questionnaires]
    return render_template("respond/round.html", membership=membership, assessment=assessment, tasks=tasks)


@dataclass(frozen=True)
class _Page:
    """What every page of one questionnaire in a round works from (each part checked for access)."""

    membership: Membership
    assessment: Assessment
    link: AssessmentQuestionnaire
    questionnaire: Questionnaire

    def own_response(self) -> Response:
        """The signed-in respondent's response to this questionnaire, created on first visit."""
        session = db.session()
        response = individual_response(session, self.assessment, self.link.questionnaire_version, current_user(),
                                       self.membership.group)
        session.commit()
        return response


def _page(code: str, round_id: int, questionnaire_id: str) -> _Page:
    membership = membership_or_404(code)
    assessment = assessment_or_404(membership, round_id)
    link = questionnaire_link_or_404(assessment, questionnaire_id)
    return _Page(membership, assessment, link, questionnaire_of(link.questionnaire_version))


@blueprint.route("/councils/<code>/rounds/<int:round_id>/<questionnaire_id>/<section_id>",
                 methods=["GET", "POST"])
@login_required
def section(code: str, round_id: int, questionnaire_id: str, section_id: str) -> ResponseReturnValue:
    """One section of a questionnaire as a question page; every save stores the whole page."""
    page = _page(code, round_id, questionnaire_id)
    membership, assessment, questionnaire = page.membership, page.assessment, page.questionnaire
    try:
        section = questionnaire.section(section_id)
    except KeyError:
        abort(404)
    session = db.session()
    response = page.own_response()
    if response.status == ResponseStatus.SUBMITTED or assessment.status != AssessmentStatus.OPEN:
        flash("These answers have been submitted and can no longer be changed."
              if response.status == ResponseStatus.SUBMITTED else "This round is no longer taking answers.")
        return redirect(url_for(".results", code=code, round_id=round_id, questionnaire_id=questionnaire_id))
    form_class = section_form_class(section)
    stored = answers_of(response)
    if request.method == "GET":
        form: SectionForm = form_class(formdata=None)
        fill_form(form, section, stored)
        form.lock_version.data = str(response.lock_version)
    else:
        form = form_class()
        if form.validate():
            changes = read_form(form, section, skip=_hidden_by_earlier_pages(questionnaire, section, stored))
            if not form.errors:
                try:
                    save_answers(session, response, changes, current_user(),
                                 expected_version=_int(form.lock_version.data))
                except EditConflict:
                    session.refresh(response)
                    form.lock_version.data = str(response.lock_version)
                    conflict = ("These answers were changed in another window or tab after you opened this page, "
                                "so your changes have not been saved. Check the answers below and save again")
                    return render_template("respond/section.html", **_section_page(
                        membership, assessment, questionnaire, section, form, stored, conflict)), 409
                return redirect(_after_save(code, round_id, questionnaire, section.id))
        return render_template("respond/section.html", **_section_page(
            membership, assessment, questionnaire, section, form, stored)), 400
    return render_template("respond/section.html", **_section_page(
        membership, assessment, questionnaire, section, form, stored))


def _int(value: object) -> int | None:
    try:
        return int(str(value))
    except ValueError:
        return None


def _after_save(code: str, round_id: int, questionnaire: Questionnaire, section_id: str) -> str:
    if request.form.get("action") == "later":
        return url_for(".round_tasks", code=code, round_id=round_id)
    if request.args.get("change"):
        # Came from a Change link on Check your answers: go back there (the GOV.UK pattern).
        return url_for(".check", code=code, round_id=round_id, questionnaire_id=questionnaire.id)
    ids = [s.id for s in questionnaire.sections]
    position = ids.index(section_id)
    if position + 1 < len(ids):
        return url_for(".section", code=code, round_id=round_id, questionnaire_id=questionnaire.id,
                       section_id=ids[position + 1])
    return url_for(".check", code=code, round_id=round_id, questionnaire_id=questionnaire.id)


def _section_page(membership: Membership, assessment: Assessment, questionnaire: Questionnaire, section: Section,
                  form: SectionForm, stored: Mapping[str, Answer], conflict: str | None = None) -> dict[str, object]:
    """What the section template needs: which questions are shown, and the conditions for the others."""
    in_section = {q.id for q in section.questions}
    return {
        "membership": membership, "assessment": assessment, "questionnaire": questionnaire, "section": section,
        "form": form, "conflict": conflict,
        "hidden": _hidden_by_earlier_pages(questionnaire, section, stored),
        "conditions": {q.id: _condition_json(q.show_if) for q in section.questions
                       if q.show_if and q.show_if.question in in_section},
    }


def _hidden_by_earlier_pages(questionnaire: Questionnaire, section: Section, stored: Mapping[str, Answer]) -> set[str]:
    """Questions of this section that stored answers on earlier pages hide.

    A condition on a question of the same page is decided in the browser (or, without
    JavaScript, by the respondent reading when it applies).
    """
    visible = visible_questions(questionnaire, stored)
    in_section = {q.id for q in section.questions}
    return {q.id for q in section.questions
            if q.show_if and q.show_if.question not in in_section and q.id not in visible}


def _condition_json(condition: ShowIf) -> str:
    """A show_if condition as the JSON that static/conditional.js reads."""
    rule = {"equals": condition.equals, "in": list(condition.in_) if condition.in_ else None,
            "at_least": condition.at_least}
    return json.dumps({"question": condition.question, **{k: v for k, v in rule.items() if v is not None}})


@blueprint.route("/councils/<code>/rounds/<int:round_id>/<questionnaire_id>/check", methods=["GET", "POST"])
@login_required
def check(code: str, round_id: int, questionnaire_id: str) -> ResponseReturnValue:
    """Check your answers, with Change links; submitting is refused until nothing required is missing."""
    page = _page(code, round_id, questionnaire_id)
    membership, assessment, questionnaire = page.membership, page.assessment, page.questionnaire
    session = db.session()
    response = page.own_response()
    if response.status == ResponseStatus.SUBMITTED:
        return redirect(url_for(".results", code=code, round_id=round_id, questionnaire_id=questionnaire_id))
    form = SectionForm()
    missing: list[tuple[str, str]] = []
    if request.method == "POST" and form.validate_on_submit():
        try:
            submit_response(session, response, current_user())
        except Incomplete as incomplete:
            missing = incomplete.missing
        except (EditConflict, ResponseLocked):
            return redirect(url_for(".results", code=code, round_id=round_id, questionnaire_id=questionnaire_id))
        else:
            flash("Your answers have been submitted.")
            return redirect(url_for(".results", code=code, round_id=round_id, questionnaire_id=questionnaire_id))
    answers = answers_of(response)
    html = render_template("respond/check.html", membership=membership, assessment=assessment,
                           questionnaire=questionnaire, answers=answers, form=form,
                           visible=visible_questions(questionnaire, answers), missing=missing,
                           incomplete=missing_answers(questionnaire, answers))
    return (html, 400) if missing else html


@blueprint.route("/councils/<code>/rounds/<int:round_id>/<questionnaire_id>/results")
@login_required
def results(code: str, round_id: int, questionnaire_id: str) -> ResponseReturnValue:
    """The respondent's own results: levels, the scorer's explanations, a chart with its table, resources."""
    page = _page(code, round_id, questionnaire_id)
    membership, assessment, questionnaire = page.membership, page.assessment, page.questionnaire
    response = page.own_response()
    if response.status != ResponseStatus.SUBMITTED:
        return redirect(url_for(".check", code=code, round_id=round_id, questionnaire_id=questionnaire_id))
    profile = score(response)
    answers = answers_of(response)
    return render_template("respond/results.html", membership=membership, assessment=assessment,
                           questionnaire=questionnaire, profile=profile, answers=answers,
                           visible=visible_questions(questionnaire, answers),
                           chart=section_bars_svg(questionnaire, profile),
                           resources=applicable_resources(questionnaire, profile))


def _round_report(code: str, round_id: int) -> ReportData:
    """The round's maturity profile as the signed-in person may see it.

    A lead's report falls back to the latest submitted response of anyone in the council; a
    respondent's report only ever holds the consensus or their own answers.
    """
    membership = membership_or_404(code)
    assessment = assessment_or_404(membership, round_id)
    user = current_user()
    choose = default_chooser(user) if membership.role == OrganisationRole.LEAD else respondent_chooser(user)
    try:
        return build_report(db.session(), assessment, choose=choose)
    except NoSubmittedResponse:
        abort(404)


@blueprint.route("/councils/<code>/rounds/<int:round_id>/profile")
@login_required
def profile(code: str, round_id: int) -> ResponseReturnValue:
    """The maturity profile of a round as an accessible web page (the PDF's twin)."""
    return html_response(
        _round_report(code, round_id),
        pdf_url=url_for(".profile_pdf", code=code, round_id=round_id),
        back_url=url_for(".round_tasks", code=code, round_id=round_id),
    )


@blueprint.route("/councils/<code>/rounds/<int:round_id>/profile.pdf")
@login_required
def profile_pdf(code: str, round_id: int) -> ResponseReturnValue:
    """The maturity profile of a round as a PDF download."""
    return pdf_response(_round_report(code, round_id))
