"""The facilitator's (and the lead's) pages: where views diverge, the agreed answers, targets."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from markupsafe import Markup
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
    GROUPS,
    NOT_APPLICABLE_RULE,
    ActionDetails,
    ActionRefused,
    QuestionSpread,
    Remark,
    TargetsRefused,
    action_list,
    agreed_response,
    agreement_session,
    divergence,
    find_agreed_response,
    last_time,
    previous_agreed,
    save_action,
    section_levels,
    set_targets,
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
from scoring.model import Question, Section

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


#: The index's orders: the questionnaire's, or the most divergent questions first.
ORDERS = {"questionnaire": "In questionnaire order", "divergence": "Most divergent first"}


def _agreed_text(questionnaire: Questionnaire, question: Question, answer: Answer | None) -> str:
    """An agreed answer in a few words for a list ("Not agreed yet" when there is none)."""
    if answer is None or not answer.is_given:
        return "Not agreed yet"
    return describe_answer(questionnaire, question, answer, with_level=False) if question.type != "level" \
        or not isinstance(answer.value, int) else f"{answer.value} {questionnaire.label(answer.value)}"


@blueprint.route("/councils/<code>/rounds/<id:round_id>/divergence/<questionnaire_id>")
@login_required
def divergence_page(code: str, round_id: int, questionnaire_id: str) -> str:
    """The session's index: a line per question with its spread and whether it is agreed, in either order."""
    assessment, link, questionnaire = questionnaire_or_404(code, round_id, questionnaire_id, Action.FACILITATE)
    agreement = agreement_session(db.session(), assessment, link.questionnaire_version, questionnaire,
                                  current_user())
    order = request.args.get("order", "questionnaire")
    if order not in ORDERS:
        order = "questionnaire"
    spreads = agreement.spreads
    numbers = {spread.question.id: number for number, spread in enumerate(spreads, start=1)}
    if order == "divergence":
        spreads = [s for s in agreement.view.by_divergence() if s.question.id in numbers]
    rows = []
    for spread in spreads:
        question = spread.question
        link_html = Markup('<a class="govuk-link" href="{}">{}</a>').format(
            url_for(".session_question", code=code, round_id=round_id, questionnaire_id=questionnaire.id,
                    question_id=question.id), question.text)
        rows.append([
            {"text": str(numbers[question.id]), "format": "numeric"},
            {"html": link_html + Markup('<span class="govuk-body-s app-index-section">{}</span>').format(
                spread.section.title)},
            {"html": Markup("{}{}").format(spread.summary, Markup(
                ' <strong class="govuk-tag govuk-tag--orange">Split</strong>') if spread.split else "")},
            {"text": _agreed_text(questionnaire, question, agreement.agreed.get(question.id))},
        ])
    return render_template("facilitate/divergence.html", organisation=assessment.organisation,
                           assessment=assessment, questionnaire=questionnaire, agreement=agreement, rows=rows,
                           order=order, orders=ORDERS, first=agreement.spreads[0] if agreement.spreads else None)


def _comments_by_answer(spread: QuestionSpread) -> list[tuple[str, list[Remark]]]:
    """The question's comments grouped under the answer each came with, in the order of the answers."""
    order = [row.answer for row in spread.rows]
    groups: dict[str, list[Remark]] = {}
    for remark in spread.remarks:
        groups.setdefault(remark.answer or "Answers given", []).append(remark)
    return sorted(groups.items(), key=lambda item: order.index(item[0]) if item[0] in order else len(order))


def _tally_rows(spread: QuestionSpread) -> list[list[dict[str, object]]]:
    """The count table: each answer (and not applicable) with how many officers, members and others chose it, and
    a strip of marks (one a person, shaped by group; hidden from screen readers, which read the counts)."""
    rows: list[list[dict[str, object]]] = []
    for tally in spread.rows:
        marks = Markup("").join(Markup('<span class="app-mark app-mark--{}"></span>').format(group.value)
                                for group, count in zip(GROUPS, tally.by_group, strict=True) for _ in range(count))
        counts: list[dict[str, object]] = [{"text": str(count), "format": "numeric"} for count in tally.by_group]
        rows.append([{"text": tally.answer}, *counts,
                     {"text": str(tally.count), "format": "numeric"},
                     {"html": Markup('<span class="app-marks" aria-hidden="true">{}</span>').format(marks)}])
    return rows


def _with_level_names(form: SectionForm, questionnaire: Questionnaire, question: Question) -> SectionForm:
    """The form with each level's number and name before its statement, as the counts beside it name the levels."""
    if question.type == "level":
        field = form[question.id]
        field.choices = [SelectChoice(choice.value, f"{choice.value} {questionnaire.label(int(choice.value))}: "
                                                    f"{choice.label}") if str(choice.value).isdigit() else choice
                         for choice in field.choices]
    return form


@blueprint.route("/councils/<code>/rounds/<id:round_id>/session/<questionnaire_id>/<question_id>",
                 methods=["GET", "POST"])
@login_required
def session_question(code: str, round_id: int, questionnaire_id: str, question_id: str) -> ResponseReturnValue:
    """One question on the projector: its levels, how the team answered, comments, last time's answer, and the
    form to record the agreed answer (starting from the suggestion), with the previous and next questions."""
    assessment, link, questionnaire = questionnaire_or_404(code, round_id, questionnaire_id, Action.FACILITATE)
    session = db.session()
    agreement = agreement_session(session, assessment, link.questionnaire_version, questionnaire, current_user())
    spread = next((s for s in agreement.view.questions if s.question.id == question_id), None)
    if spread is None:
        abort(404)
    question, section = spread.question, spread.section
    alone = Section(section.id, section.title, (question,))
    form_class = section_form_class(alone, agreeing=True)
    ids = [s.question.id for s in agreement.spreads]
    before, after = agreement.neighbours(question.id)
    previous = previous_agreed(session, assessment, questionnaire.id)

    def to(other: QuestionSpread | None) -> str | None:
        return url_for(".session_question", code=code, round_id=round_id, questionnaire_id=questionnaire.id,
                       question_id=other.question.id) if other else None

    index_url = url_for(".divergence_page", code=code, round_id=round_id, questionnaire_id=questionnaire.id)
    page = {"organisation": assessment.organisation, "assessment": assessment, "questionnaire": questionnaire,
            "spread": spread, "question": question, "agreement": agreement,
            "number": ids.index(question.id) + 1 if question.id in ids else None, "count": len(ids),
            "tally_rows": _tally_rows(spread), "comments": _comments_by_answer(spread),
            "groups": GROUPS, "rule": NOT_APPLICABLE_RULE,
            "suggestion": spread.suggested,
            "suggestion_why": sentence(spread.suggested.why) if spread.suggested else None,
            "agreed_text": _agreed_text(questionnaire, question, agreement.agreed.get(question.id)),
            "last_time": last_time(previous, questionnaire, alone).get(question.id),
            "previous_url": to(before), "next_url": to(after), "previous_question": before, "next_question": after,
            "index_url": index_url}
    if request.method == "GET":
        form: SectionForm = _with_level_names(form_class(formdata=None), questionnaire, question)
        start = agreement.agreed.get(question.id) if agreement.is_agreed(question.id) else \
            spread.suggested.answer if spread.suggested else None
        fill_form(form, alone, {question.id: start} if start else {})
        form.lock_version.data = str(section_version(agreement.response, section.id))
        return render_template("facilitate/question.html", form=form, **page)
    form = _with_level_names(form_class(), questionnaire, question)
    changes = read_form(form, alone) if form.validate() else {}
    if form.errors:
        return render_template("facilitate/question.html", form=form, **page), 400
    outcome = _save_agreed(assessment, link, agreement.response, section.id, changes, form)
    if outcome == "locked":
        return redirect(url_for(".overview", code=code, round_id=round_id))
    if outcome == "conflict":
        conflict = ("Someone else saved an agreed answer in this section after you opened this question, so your "
                    "answer has not been saved. Check the question and save again")
        return render_template("facilitate/question.html", form=form, conflict=conflict, **page), 409
    given = changes.get(question.id)
    if question.comment == "required" and given is not None and given.is_given and not given.comment:
        # Saved, as everything typed is; but say now, not at the confirm step after the room has moved on.
        flash(f"The agreed answer to “{question.text}” is saved. It still needs a comment or evidence note before "
              "the agreed answers can be confirmed.")
    if request.form.get("action") == "index":
        return redirect(index_url)
    shown = visible_questions(questionnaire, {**agreement.agreed, **changes})
    order = [q.id for q in questionnaire.questions]
    following = [q for q in order[order.index(question.id) + 1:] if q in shown]
    if following:
        return redirect(url_for(".session_question", code=code, round_id=round_id, questionnaire_id=questionnaire.id,
                                question_id=following[0]))
    return redirect(url_for(".confirm", code=code, round_id=round_id, questionnaire_id=questionnaire_id))


def _save_agreed(assessment: Assessment, link: AssessmentQuestionnaire, response: ResponseRow | None,
                 section_id: str, changes: Mapping[str, Answer], form: SectionForm) -> str:
    """Save agreed answers to one section unless someone saved it after the page (its lock) was shown.

    Says "saved"; "conflict" (nothing saved, the form's lock brought up to date); or "locked" (the round
    takes no more changes, flashed).
    """
    session = db.session()
    shown_at = parse_version(form.lock_version.data)
    try:
        if shown_at is None:
            raise EditConflict(section_id)
        target = response or agreed_response(session, assessment, link.questionnaire_version, current_user())
        save_section(session, target, section_id, changes, current_user(), expected_version=shown_at)
        session.commit()
    except EditConflict:
        session.rollback()
        form.lock_version.data = str(section_version(response, section_id))
        return "conflict"
    except ResponseLocked as locked:
        session.rollback()
        flash(f"{sentence(str(locked))}.")
        return "locked"
    return "saved"


def _section_or_404(questionnaire: Questionnaire, section_id: str) -> Section:
    try:
        return questionnaire.section(section_id)
    except KeyError:
        abort(404)


def _suggestions(assessment: Assessment, link: AssessmentQuestionnaire, questionnaire: Questionnaire,
                 section: Section, agreed: dict[str, Answer]) -> tuple[dict[str, Answer], dict[str, str]]:
    """Answers the individual ones suggest for questions not agreed yet, and the rule that gave each of them."""
    view = divergence(db.session(), assessment, link.questionnaire_version, questionnaire, current_user())
    answers, notes = {}, {}
    for spread in view.questions:
        if spread.section.id != section.id or spread.question.id in agreed or spread.suggested is None:
            continue
        answers[spread.question.id] = spread.suggested.answer
        notes[spread.question.id] = f"{spread.suggested.reason} Confirm it or change it."
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
    outcome = _save_agreed(assessment, link, response, section.id, changes, form)
    if outcome == "locked":
        return redirect(url_for(".overview", code=code, round_id=round_id))
    if outcome == "conflict":
        conflict = ("Someone else saved the agreed answers to this section after you opened it, so your changes "
                    "have not been saved. Check the answers below and save again")
        return render_template("section.html", form=form, conflict=conflict, **page), 409
    if request.form.get("action") != "later":
        saved = response or find_agreed_response(session, assessment, link.questionnaire_version)
        if saved is not None and incomplete_section(form, section, saved):
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
    """The level the council aims for in each section of a questionnaire, above its agreed level."""
    assessment, link, questionnaire = questionnaire_or_404(code, round_id, questionnaire_id, Action.FACILITATE)
    session = db.session()
    form = TargetsForm.for_questionnaire(questionnaire, targets_of(session, assessment, questionnaire.id))
    levels = section_levels(session, assessment, questionnaire)
    refused_because = None
    if form.validate_on_submit():
        try:
            set_targets(session, assessment, questionnaire, form.levels(questionnaire), current_user())
        except TargetsRefused as refused:
            session.rollback()
            for section_id, problem in refused.problems.items():
                form[f"target-{section_id}"].errors = [problem]
            refused_because = None if refused.problems else f"{sentence(str(refused))}."
        else:
            session.commit()
            flash(f"The targets for {questionnaire.title} have been saved.", "success")
            return redirect(url_for(".overview", code=code, round_id=round_id))

    def level(number: int | None) -> str:
        return f"{number} {questionnaire.label(number)}" if number is not None else "none yet"

    hints = {row.section.id: f"Agreed level: {level(row.agreed)}. Last round: "
                             f"{level(row.previous) if row.previous is not None else 'not assessed'}."
             for row in levels}
    confirmed = any(row.agreed is not None for row in levels)
    page = render_template("facilitate/targets.html", organisation=assessment.organisation, assessment=assessment,
                           questionnaire=questionnaire, form=form, refused=refused_because, hints=hints,
                           confirmed=confirmed)
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
        try:
            save_action(session, assessment, details, current_user(), editing)
        except ActionRefused as refused:
            session.rollback()
            form.due_on.errors = [sentence(str(refused))]
        else:
            session.commit()
            flash("The action has been saved.", "success")
            return redirect(url_for(".actions", code=code, round_id=round_id))
    owner = request.args.get("owner") or None
    status = request.args.get("status") or None
    listed = action_list(session, assessment, date.today(), owner,
                         ActionStatus(status) if status in set(ActionStatus) else None)
    page = render_template("facilitate/actions.html", organisation=assessment.organisation, assessment=assessment,
                           form=form, editing=editing, listed=listed, owner=owner, status=status,
                           filtered=bool(owner or status))
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
