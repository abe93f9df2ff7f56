"""The facilitator's (and the lead's) pages: where views diverge, the agreed answers, targets."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from werkzeug.utils import secure_filename
from wtforms.fields.choices import SelectChoice

from assess import db
from assess.answers import describe_answer
from assess.models import Action as ImprovementAction
from assess.models import ActionStatus, Assessment, AssessmentQuestionnaire, ResponseStatus
from assess.models import Response as ResponseRow
from assess.policy import Action
from assess.reports.html import render_pack_html
from assess.reports.pack import NoAgreedAnswers, Pack, build_pack
from assess.services.agreement import (
    ActionDetails,
    TargetsRefused,
    actions_of,
    agreed_response,
    divergence,
    find_agreed_response,
    last_time,
    previous_agreed,
    save_action,
    set_targets,
    suggestion,
    targets_of,
)
from assess.services.questionnaires import questionnaire_of
from assess.services.responses import (
    EditConflict,
    Incomplete,
    ResponseLocked,
    answers_of,
    save_section,
    section_progress,
    section_version,
    stored_profile,
    submit_response,
)
from assess.web.access import current_user, login_required, questionnaire_or_404, round_or_404
from assess.web.forms import (
    ActionForm,
    ConfirmForm,
    SectionForm,
    TargetsForm,
    fill_form,
    read_form,
    section_form_class,
    sentence,
)
from assess.web.pdfs import pdf_download, pdf_status
from assess.web.sections import (
    AGREEING,
    hidden_by_earlier_pages,
    incomplete_section,
    missing_answer_errors,
    parse_version,
    section_context,
)
from scoring import Answer, Profile, Questionnaire, visible_questions
from scoring.model import Section

blueprint = Blueprint("facilitate", __name__)


@dataclass(frozen=True)
class AgreedTask:
    """One questionnaire's agreed answers as the overview lists them."""

    link: AssessmentQuestionnaire
    questionnaire: Questionnaire
    response: ResponseRow | None
    done: int

    @property
    def status(self) -> str:
        """"Confirmed", "n of m sections agreed" or "Not started"."""
        if self.response is not None and self.response.status == ResponseStatus.SUBMITTED:
            return "Confirmed"
        return f"{self.done} of {len(self.questionnaire.sections)} sections agreed" if self.done else "Not started"


@blueprint.route("/councils/<code>/rounds/<id:round_id>/agree/")
@login_required
def overview(code: str, round_id: int) -> str:
    """Each questionnaire: how far the agreed answers have got, the divergence view and the targets."""
    assessment = round_or_404(code, round_id, Action.FACILITATE)
    tasks = []
    for link in assessment.questionnaires:
        questionnaire = questionnaire_of(link.questionnaire_version)
        response = find_agreed_response(db.session(), assessment, link.questionnaire_version)
        done = sum(p.status == "completed" for p in section_progress(questionnaire, answers_of(response)))
        tasks.append(AgreedTask(link, questionnaire, response, done))
    return render_template("facilitate/overview.html", organisation=assessment.organisation, assessment=assessment,
                           tasks=tasks)


@blueprint.route("/councils/<code>/rounds/<id:round_id>/divergence/<questionnaire_id>")
@login_required
def divergence_page(code: str, round_id: int, questionnaire_id: str) -> str:
    """Where the team's individual answers differ, most split first, with officers and members side by side."""
    assessment, link, questionnaire = questionnaire_or_404(code, round_id, questionnaire_id, Action.FACILITATE)
    view = divergence(db.session(), assessment, link.questionnaire_version, questionnaire, current_user())
    return render_template("facilitate/divergence.html", organisation=assessment.organisation,
                           assessment=assessment, view=view, spreads=view.by_divergence())


def _section_or_404(questionnaire: Questionnaire, section_id: str) -> Section:
    try:
        return questionnaire.section(section_id)
    except KeyError:
        abort(404)


def _suggestions(assessment: Assessment, link: AssessmentQuestionnaire, questionnaire: Questionnaire,
                 section: Section, agreed: dict[str, Answer]) -> tuple[dict[str, Answer], dict[str, str]]:
    """Answers the individual ones suggest for questions not agreed yet, and a note on each of them."""
    view = divergence(db.session(), assessment, link.questionnaire_version, questionnaire, current_user())
    answers, notes = {}, {}
    for spread in view.questions:
        if spread.section.id != section.id or spread.question.id in agreed:
            continue
        suggested = suggestion(spread)
        if suggested is not None:
            answers[spread.question.id] = suggested
            how = "the middle (median) level" if spread.question.type == "level" else "the most common answer"
            notes[spread.question.id] = (f"{describe_answer(questionnaire, spread.question, suggested)}: "
                                         f"{how} of {spread.answered} individual answers. Confirm it or change it.")
    return answers, notes


@blueprint.route("/councils/<code>/rounds/<id:round_id>/agree/<questionnaire_id>/<section_id>",
                 methods=["GET", "POST"])
@login_required
def agree_section(code: str, round_id: int, questionnaire_id: str, section_id: str) -> ResponseReturnValue:
    """Record the team's agreed answers to one section, starting from what the individual answers suggest."""
    assessment, link, questionnaire = questionnaire_or_404(code, round_id, questionnaire_id, Action.FACILITATE)
    section = _section_or_404(questionnaire, section_id)
    session = db.session()
    response = find_agreed_response(session, assessment, link.questionnaire_version)
    agreed = answers_of(response)
    suggested, notes = _suggestions(assessment, link, questionnaire, section, agreed)
    form_class = section_form_class(section, agreeing=True)
    context = section_context(questionnaire, section, agreed)
    previous = previous_agreed(session, assessment, questionnaire.id)
    page = {"organisation": assessment.organisation, "assessment": assessment, "suggested": notes,
            "last_time": last_time(previous, questionnaire, section), "wording": AGREEING,
            "back": {"href": url_for(".overview", code=code, round_id=round_id), "text": "Back to the overview"},
            "divergence_url": url_for(".divergence_page", code=code, round_id=round_id,
                                      questionnaire_id=questionnaire.id), **context}
    if request.method == "GET":
        form: SectionForm = form_class(formdata=None)
        fill_form(form, section, {**suggested, **agreed})
        form.lock_version.data = str(section_version(response, section.id))
        return render_template("section.html", form=form, **page)
    form = form_class()
    changes = read_form(form, section, skip=hidden_by_earlier_pages(questionnaire, section, agreed)) \
        if form.validate() else {}
    if form.errors:
        return render_template("section.html", form=form, **page), 400
    shown_at = parse_version(form.lock_version.data)
    try:
        if shown_at is None:
            raise EditConflict(section.id)
        target = response or agreed_response(session, assessment, link.questionnaire_version, current_user())
        save_section(session, target, section.id, changes, current_user(), expected_version=shown_at)
        session.commit()
    except EditConflict:
        session.rollback()
        form.lock_version.data = str(section_version(response, section.id))
        conflict = ("Someone else saved the agreed answers to this section after you opened it, so your changes "
                    "have not been saved. Check the answers below and save again")
        return render_template("section.html", form=form, conflict=conflict, **page), 409
    except ResponseLocked as locked:
        session.rollback()
        flash(f"{sentence(str(locked))}.")
        return redirect(url_for(".overview", code=code, round_id=round_id))
    if request.form.get("action") != "later" and incomplete_section(form, section, target):
        return render_template("section.html", form=form, saved=True, **page), 400
    ids = [s.id for s in questionnaire.sections]
    following = ids[ids.index(section.id) + 1:]
    if following and request.form.get("action") != "later":
        return redirect(url_for(".agree_section", code=code, round_id=round_id, questionnaire_id=questionnaire_id,
                                section_id=following[0]))
    return redirect(url_for(".confirm", code=code, round_id=round_id, questionnaire_id=questionnaire_id))


def _level_rows(profile: Profile, targets: Mapping[str, int],
                earlier: Mapping[str, int | None]) -> list[list[dict[str, str]]]:
    """The table of agreed levels: each section's level, last time's, the change, its target and the gap to it."""
    rows = []
    for result in profile.sections:
        target, before = targets.get(result.id), earlier.get(result.id)
        gap = target - result.level if target and result.level else None
        change = result.level - before if before and result.level else None
        rows.append([
            {"text": result.title},
            {"text": f"{result.level} {result.label}" if result.level else "Not enough answers"},
            {"text": str(before or "–"), "format": "numeric"},
            {"text": "–" if change is None else f"{change:+d}" if change else "0", "format": "numeric"},
            {"text": str(target or "–"), "format": "numeric"},
            {"text": "–" if gap is None else f"+{gap}" if gap > 0 else "Reached"},
        ])
    return rows


@blueprint.route("/councils/<code>/rounds/<id:round_id>/agree/<questionnaire_id>/confirm", methods=["GET", "POST"])
@login_required
def confirm(code: str, round_id: int, questionnaire_id: str) -> ResponseReturnValue:
    """The agreed answers to check, with their levels once confirmed and the targets beside them."""
    assessment, link, questionnaire = questionnaire_or_404(code, round_id, questionnaire_id, Action.FACILITATE)
    session = db.session()
    response = find_agreed_response(session, assessment, link.questionnaire_version)
    form = ConfirmForm()
    missing: list[tuple[str, str]] = []
    if form.validate_on_submit():
        try:
            if response is None:
                raise Incomplete([(q.id, "Agree an answer") for q in questionnaire.questions if q.required])
            submit_response(session, response, current_user())
            session.commit()
        except Incomplete as incomplete:
            session.rollback()
            missing = incomplete.missing
        except ResponseLocked as locked:
            session.rollback()
            flash(f"{sentence(str(locked))}.")
        else:
            flash(f"The agreed answers to {questionnaire.title} are confirmed and scored.", "success")
            return redirect(url_for(".confirm", code=code, round_id=round_id, questionnaire_id=questionnaire_id))
    answers = answers_of(response)
    confirmed = response is not None and response.status == ResponseStatus.SUBMITTED
    previous = previous_agreed(session, assessment, questionnaire.id)
    profile = stored_profile(response) if confirmed and response else None
    earlier = {s.id: s.level for s in stored_profile(previous.response).sections} if previous else {}
    page = render_template("facilitate/confirm.html", organisation=assessment.organisation, assessment=assessment,
                           questionnaire=questionnaire, answers=answers, form=form,
                           errors=missing_answer_errors(questionnaire, missing, "facilitate.agree_section", code=code,
                                                        round_id=round_id),
                           visible=visible_questions(questionnaire, answers), confirmed=confirmed,
                           profile=profile, previous=previous,
                           level_rows=_level_rows(profile, targets_of(session, assessment, questionnaire.id),
                                                  earlier) if profile else [])
    return (page, 400) if missing else page


@blueprint.route("/councils/<code>/rounds/<id:round_id>/targets/<questionnaire_id>", methods=["GET", "POST"])
@login_required
def targets(code: str, round_id: int, questionnaire_id: str) -> ResponseReturnValue:
    """The level the council aims for in each section of a questionnaire."""
    assessment, link, questionnaire = questionnaire_or_404(code, round_id, questionnaire_id, Action.FACILITATE)
    session = db.session()
    form = TargetsForm.for_questionnaire(questionnaire, targets_of(session, assessment, questionnaire.id))
    refused_because = None
    if form.validate_on_submit():
        try:
            set_targets(session, assessment, questionnaire, form.levels(questionnaire), current_user())
        except TargetsRefused as refused:
            session.rollback()
            refused_because = f"{sentence(str(refused))}."
        else:
            session.commit()
            flash(f"The targets for {questionnaire.title} have been saved.", "success")
            return redirect(url_for(".overview", code=code, round_id=round_id))
    page = render_template("facilitate/targets.html", organisation=assessment.organisation, assessment=assessment,
                           questionnaire=questionnaire, form=form, refused=refused_because)
    return (page, 400) if form.errors or refused_because else page


def _action_form(assessment: Assessment) -> ActionForm:
    form = ActionForm()
    choices = []
    for link in assessment.questionnaires:
        questionnaire = questionnaire_of(link.questionnaire_version)
        choices += [SelectChoice(f"{questionnaire.id}/{section.id}", f"{questionnaire.title}: {section.title}")
                    for section in questionnaire.sections]
    form.where.choices = choices
    return form


@blueprint.route("/councils/<code>/rounds/<id:round_id>/actions", methods=["GET", "POST"])
@blueprint.route("/councils/<code>/rounds/<id:round_id>/actions/<id:action_id>", methods=["GET", "POST"])
@login_required
def actions(code: str, round_id: int, action_id: int | None = None) -> ResponseReturnValue:
    """The round's improvement actions (and those still open from earlier rounds); add one or change one."""
    assessment = round_or_404(code, round_id, Action.FACILITATE)
    session = db.session()
    editing = session.get(ImprovementAction, action_id) if action_id is not None else None
    if action_id is not None and (editing is None or editing.assessment_id != assessment.id):
        abort(404)
    form = _action_form(assessment)
    if request.method == "GET" and editing is not None:
        form.where.data = f"{editing.questionnaire_id}/{editing.section_id}"
        form.description.data, form.owner.data = editing.description, editing.owner
        form.due_on.data, form.status.data = editing.due_on, editing.status.value
    if form.validate_on_submit():
        questionnaire_id, _, section_id = (form.where.data or "").partition("/")
        details = ActionDetails(questionnaire_id, section_id or None, form.description.data or "", form.owner.data,
                                form.due_on.data, ActionStatus(form.status.data))
        save_action(session, assessment, details, current_user(), editing)
        session.commit()
        flash("The action has been saved.", "success")
        return redirect(url_for(".actions", code=code, round_id=round_id))
    this_round, earlier = actions_of(session, assessment)
    page = render_template("facilitate/actions.html", organisation=assessment.organisation, assessment=assessment,
                           form=form, editing=editing, actions=this_round, earlier=earlier,
                           where={choice.value: choice.label for choice in form.where.choices or []})
    return (page, 400) if form.errors else page


def _pack(code: str, round_id: int) -> tuple[Assessment, Pack | None]:
    """The round (for the lead and its facilitators) and its peer-challenge pack, None before anything is agreed."""
    assessment = round_or_404(code, round_id, Action.FACILITATE)
    try:
        return assessment, build_pack(db.session(), assessment, threshold=int(current_app.config["SECTOR_THRESHOLD"]))
    except NoAgreedAnswers:
        return assessment, None


@blueprint.route("/councils/<code>/rounds/<id:round_id>/pack")
@login_required
def pack(code: str, round_id: int) -> str:
    """The peer-challenge pack as an accessible web page (the PDF's twin), or what it needs first."""
    assessment, built = _pack(code, round_id)
    back = url_for(".overview", code=code, round_id=round_id)
    if built is None:
        return render_template("reports/pack_empty.html", organisation=assessment.organisation,
                               assessment=assessment, back_url=back)
    return render_pack_html(built, pdf_url=url_for(".pack_pdf", code=code, round_id=round_id), back_url=back)


@blueprint.route("/councils/<code>/rounds/<id:round_id>/pack.pdf")
@login_required
def pack_pdf(code: str, round_id: int) -> ResponseReturnValue:
    """The peer-challenge pack as a PDF download (before any agreed answers are confirmed, the page that says so)."""
    assessment, built = _pack(code, round_id)
    if built is None:
        return redirect(url_for(".pack", code=code, round_id=round_id))
    name = f"peer-challenge-pack-{assessment.organisation.code}-round-{assessment.id}{'-draft' if built.draft else ''}"
    return pdf_download(lambda: built, f"{secure_filename(name)}.pdf",
                        back_url=url_for(".pack", code=code, round_id=round_id))


@blueprint.route("/councils/<code>/rounds/<id:round_id>/pack.pdf/status")
@login_required
def pack_pdf_status(code: str, round_id: int) -> ResponseReturnValue:
    """Whether the peer-challenge pack's PDF is ready, for the "being prepared" page's script."""
    _assessment, built = _pack(code, round_id)
    if built is None:
        abort(404)
    return pdf_status(lambda: built)
