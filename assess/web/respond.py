"""The respondent's journey: task list, one section a page, check answers, submit, results."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from assess import db
from assess.answers import missing_answers
from assess.models import (
    PUBLISHED_STATES,
    Assessment,
    AssessmentQuestionnaire,
    AssessmentStatus,
    Organisation,
    Response,
    ResponseKind,
    ResponseStatus,
    SiteRole,
)
from assess.policy import Action, allowed, councils_of, visible_rounds
from assess.reports.charts import section_bars_svg
from assess.reports.data import (
    NoSubmittedResponse,
    ReportData,
    applicable_resources,
    build_report,
    default_chooser,
    respondent_chooser,
)
from assess.reports.downloads import report_filename
from assess.reports.html import render_report_body, render_report_page
from assess.reports.profile_cache import cached_body, content_key
from assess.services.agreement import EarlierAnswers, last_time, own_answers, previous_agreed
from assess.services.completion import finished_counts
from assess.services.participants import group_of
from assess.services.responses import (
    EditConflict,
    Incomplete,
    ResponseLocked,
    answers_of,
    individual_response,
    save_section,
    section_version,
    stored_profile,
    submit_response,
)
from assess.services.rounds import tasks, who_sees_answers
from assess.web.access import council_or_404, current_user, login_required, questionnaire_or_404, round_or_404
from assess.web.forms import SectionForm, fill_form, read_form, section_form_class
from assess.web.pdfs import pdf_download, pdf_status
from assess.web.sections import (
    RESPONDING,
    hidden_by_earlier_pages,
    incomplete_section,
    missing_answer_errors,
    parse_version,
    section_context,
)
from scoring import Answer, visible_questions
from scoring.model import Questionnaire, Section

blueprint = Blueprint("respond", __name__)


@dataclass(frozen=True)
class RoundLink:
    """A round on someone's home page, with a line about where it stands for them."""

    assessment: Assessment
    url: str
    summary: str


@dataclass(frozen=True)
class HomePage:
    """What a person's home page shows: the rounds they answer, run and facilitate, and their other roles."""

    answering: list[RoundLink]
    running: list[RoundLink]
    facilitating: list[RoundLink]
    councils: list[Organisation]
    analyst: bool
    admin: bool

    @property
    def only_round(self) -> RoundLink | None:
        """The one open round to answer, when that is all the person does here (they go straight to it)."""
        if len(self.answering) == 1 and not (self.running or self.facilitating or self.analyst or self.admin):
            return self.answering[0]
        return None


def _home_page() -> HomePage:
    session = db.session()
    user = current_user()
    answering: list[RoundLink] = []
    running: list[RoundLink] = []
    facilitating: list[RoundLink] = []
    rounds = [(organisation, assessment) for organisation in councils_of(session, user)
              for assessment in visible_rounds(session, user, organisation)]
    overseen = [assessment for _, assessment in rounds if allowed(session, user, Action.MANAGE_ROUND, assessment)
                or (allowed(session, user, Action.VIEW_RESPONSES, assessment)
                    and not allowed(session, user, Action.ANSWER, assessment))]
    finished = finished_counts(session, overseen, user)
    for organisation, assessment in rounds:
        code, round_id = organisation.code, assessment.id
        if round_id in finished:
            done, people = finished[round_id]
            summary = (f"{assessment.status.value.replace('-', ' ').capitalize()}: "
                       f"{done} of {people} people have submitted everything")
            link = RoundLink(assessment, url_for("manage.round_page", code=code, round_id=round_id), summary)
            (running if allowed(session, user, Action.MANAGE_ROUND, assessment) else facilitating).append(link)
        if allowed(session, user, Action.ANSWER, assessment) and assessment.status == AssessmentStatus.OPEN:
            progress = tasks(session, assessment, user)
            submitted = sum(t.status == "submitted" for t in progress)
            answering.append(RoundLink(assessment, url_for(".round_tasks", code=code, round_id=round_id),
                                       f"You have submitted {submitted} of {len(progress)} questionnaires"))
    return HomePage(answering, running, facilitating, councils_of(session, user),
                    user.has_role(SiteRole.ANALYST), user.has_role(SiteRole.ADMIN))


@blueprint.route("/")
@login_required
def home() -> ResponseReturnValue:
    """A person's rounds by what they do in each (answer, run, facilitate); straight to the only one."""
    page = _home_page()
    if page.only_round is not None:
        return redirect(page.only_round.url)
    return render_template("respond/home.html", page=page)


@blueprint.route("/councils/<code>/")
@login_required
def council(code: str) -> str:
    """A council's assessment rounds that the person may see."""
    organisation = council_or_404(code, Action.VIEW_COUNCIL)
    session = db.session()
    return render_template("respond/council.html", organisation=organisation,
                           rounds=visible_rounds(session, current_user(), organisation),
                           may_start=allowed(session, current_user(), Action.START_ROUND, organisation))


@blueprint.route("/councils/<code>/rounds/<id:round_id>/")
@login_required
def round_tasks(code: str, round_id: int) -> ResponseReturnValue:
    """The round as the person answers it: a task list by questionnaire (a facilitator goes to the round's page)."""
    assessment = round_or_404(code, round_id, Action.VIEW_ROUND)
    session = db.session()
    user = current_user()
    if not allowed(session, user, Action.ANSWER, assessment):
        # Someone not asked in the round: whoever runs it to its page, a colleague to its published profile.
        overseer = allowed(session, user, Action.VIEW_RESPONSES, assessment)
        return redirect(url_for("manage.round_page" if overseer else ".profile", code=code, round_id=round_id))
    progress = tasks(session, assessment, user)
    return render_template("respond/round.html", organisation=assessment.organisation, assessment=assessment,
                           tasks=progress, open=assessment.status == AssessmentStatus.OPEN,
                           all_submitted=all(t.status == "submitted" for t in progress),
                           submitted=sum(t.status == "submitted" for t in progress),
                           manages=allowed(session, user, Action.VIEW_RESPONSES, assessment),
                           published=assessment.status in PUBLISHED_STATES,
                           who_sees=who_sees_answers(assessment))


@dataclass(frozen=True)
class _Page:
    """What every page of one questionnaire in a round works from (each part checked for access)."""

    assessment: Assessment
    link: AssessmentQuestionnaire
    questionnaire: Questionnaire
    response: Response | None  # the person's own response, once they have saved anything (None when only shown)
    status: ResponseStatus | None  # its status (None: they have saved nothing)
    answers: dict[str, Answer]  # its answers
    previous: EarlierAnswers | None  # the council's agreed answers in its last published round (if asked for)
    section_version: int  # the asked-for section's version when the page was read

    @property
    def organisation(self) -> Organisation:
        """The round's council."""
        return self.assessment.organisation

    def response_for_saving(self) -> Response:
        """The person's own response, created by their first save (never by showing a page: only read for saving)."""
        if self.response is not None:
            return self.response
        group = group_of(db.session(), self.assessment, current_user())
        return individual_response(db.session(), self.assessment, self.link.questionnaire_version, current_user(),
                                   group.value if group else None)


def _page(code: str, round_id: int, questionnaire_id: str, section_id: str | None = None,
          with_previous: bool = False) -> _Page:
    assessment, link, questionnaire = questionnaire_or_404(code, round_id, questionnaire_id, Action.ANSWER)
    own = own_answers(db.session(), assessment, link.questionnaire_version, current_user(), section_id, with_previous)
    return _Page(assessment, link, questionnaire, own.response, own.status, own.answers, own.previous,
                 own.section_version)


@blueprint.route("/councils/<code>/rounds/<id:round_id>/<questionnaire_id>/<section_id>",
                 methods=["GET", "POST"])
@login_required
def section(code: str, round_id: int, questionnaire_id: str, section_id: str) -> ResponseReturnValue:
    """One section of a questionnaire as a question page; every save stores the whole page."""
    # A save that succeeds shows no page: the previous round's answers are read only to show one.
    page = _page(code, round_id, questionnaire_id, section_id, with_previous=request.method == "GET")
    assessment, questionnaire = page.assessment, page.questionnaire
    try:
        section = questionnaire.section(section_id)
    except KeyError:
        abort(404)
    if page.status == ResponseStatus.SUBMITTED or assessment.status != AssessmentStatus.OPEN:
        return _locked(page)
    form_class = section_form_class(section)
    stored = page.answers
    if request.method == "GET":
        form: SectionForm = form_class(formdata=None)
        fill_form(form, section, stored)
        form.lock_version.data = str(page.section_version)
        return render_template("section.html", **_section_page(page, section, form, stored))
    form = form_class()
    changes = read_form(form, section, skip=hidden_by_earlier_pages(questionnaire, section, stored)) \
        if form.validate() else {}
    if form.errors:
        return render_template("section.html", **_section_page(page, section, form, stored)), 400
    session = db.session()
    shown_at = parse_version(form.lock_version.data)
    try:
        if shown_at is None:  # a page whose version cannot be read is treated as out of date
            raise EditConflict(section.id)
        response = page.response_for_saving()
        save_section(session, response, section.id, changes, current_user(), expected_version=shown_at)
        session.commit()
    except EditConflict:
        session.rollback()
        form.lock_version.data = str(section_version(page.response, section.id))
        conflict = ("These answers were changed in another window or tab after you opened this page, "
                    "so your changes have not been saved. Check the answers below and save again")
        return render_template("section.html", **_section_page(page, section, form, stored, conflict)), 409
    except ResponseLocked:
        session.rollback()
        return _locked(page)
    if request.form.get("action") != "later" and incomplete_section(form, section, response):
        return render_template("section.html", **_section_page(page, section, form, stored, saved=True)), 400
    return redirect(_after_save(code, round_id, questionnaire, section.id))


def _locked(page: _Page) -> ResponseReturnValue:
    """Say why answers can no longer change, and show the results (or the task list)."""
    submitted = page.status == ResponseStatus.SUBMITTED
    flash("These answers have been submitted and can no longer be changed." if submitted
          else "This round is no longer taking answers.")
    code, round_id = page.organisation.code, page.assessment.id
    if submitted:
        return redirect(url_for(".results", code=code, round_id=round_id, questionnaire_id=page.questionnaire.id))
    return redirect(url_for(".round_tasks", code=code, round_id=round_id))


def _section_page(page: _Page, section: Section, form: SectionForm, stored: Mapping[str, Answer],
                  conflict: str | None = None, saved: bool = False) -> dict[str, object]:
    """What the section template needs: the round, the form, and which questions show when."""
    code, round_id = page.organisation.code, page.assessment.id
    previous = page.previous if request.method == "GET" \
        else previous_agreed(db.session(), page.assessment, page.questionnaire.id)  # a save refused
    back = {"href": url_for(".check", code=code, round_id=round_id, questionnaire_id=page.questionnaire.id),
            "text": "Back to check your answers"} if request.args.get("change") else \
        {"href": url_for(".round_tasks", code=code, round_id=round_id), "text": "Back to your task list"}
    return {"organisation": page.organisation, "assessment": page.assessment, "form": form, "conflict": conflict,
            "wording": RESPONDING, "back": back, "last_time": last_time(previous, page.questionnaire, section),
            "saved": saved,
            **section_context(page.questionnaire, section, stored)}


def _after_save(code: str, round_id: int, questionnaire: Questionnaire, section_id: str) -> str:
    if request.form.get("action") == "later":
        flash("Your answers have been saved. You can come back to them at any time.", "success")
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


@blueprint.route("/councils/<code>/rounds/<id:round_id>/<questionnaire_id>/check", methods=["GET", "POST"])
@login_required
def check(code: str, round_id: int, questionnaire_id: str) -> ResponseReturnValue:
    """Check your answers, with Change links; submitting is refused until nothing required is missing."""
    page = _page(code, round_id, questionnaire_id)
    assessment, questionnaire, response = page.assessment, page.questionnaire, page.response
    if response is not None and response.status == ResponseStatus.SUBMITTED:
        return redirect(url_for(".results", code=code, round_id=round_id, questionnaire_id=questionnaire_id))
    form = SectionForm()
    missing: list[tuple[str, str]] = []
    if request.method == "POST" and form.validate_on_submit():
        session = db.session()
        try:
            submit_response(session, page.response_for_saving(), current_user())
            session.commit()
        except Incomplete as incomplete:
            session.rollback()
            missing = incomplete.missing
        except ResponseLocked:
            session.rollback()
            return _locked(page)
        else:
            flash("Your answers have been submitted.", "submitted")
            return redirect(url_for(".results", code=code, round_id=round_id, questionnaire_id=questionnaire_id))
    answers = page.answers
    html = render_template("respond/check.html", organisation=page.organisation, assessment=assessment,
                           questionnaire=questionnaire, answers=answers, form=form,
                           visible=visible_questions(questionnaire, answers),
                           errors=missing_answer_errors(questionnaire, missing, "respond.section", code=code,
                                                        round_id=round_id),
                           incomplete=missing_answers(questionnaire, answers),
                           open=assessment.status == AssessmentStatus.OPEN)
    return (html, 400) if missing else html


@blueprint.route("/councils/<code>/rounds/<id:round_id>/<questionnaire_id>/results")
@login_required
def results(code: str, round_id: int, questionnaire_id: str) -> ResponseReturnValue:
    """The respondent's own results, as stored when submitted: levels, explanations, a chart with its table."""
    page = _page(code, round_id, questionnaire_id)
    assessment, questionnaire, response = page.assessment, page.questionnaire, page.response
    if response is None or response.status != ResponseStatus.SUBMITTED:
        return redirect(url_for(".check", code=code, round_id=round_id, questionnaire_id=questionnaire_id))
    profile = stored_profile(response)
    answers = answers_of(response)
    return render_template("respond/results.html", organisation=page.organisation, assessment=assessment,
                           questionnaire=questionnaire, profile=profile, answers=answers,
                           visible=visible_questions(questionnaire, answers),
                           chart=section_bars_svg(questionnaire, profile),
                           resources=applicable_resources(questionnaire, profile))


def _round_viewer(code: str, round_id: int) -> tuple[Assessment, bool]:
    """The round whose profile is asked for, and whether the signed-in person may see every response in it."""
    assessment = round_or_404(code, round_id, Action.VIEW_ROUND)
    return assessment, allowed(db.session(), current_user(), Action.VIEW_RESPONSES, assessment)


def _round_report(assessment: Assessment, everyone: bool) -> ReportData:
    """The round's maturity profile as the signed-in person may see it.

    Whoever may see every response (the lead, the round's facilitator) gets the consensus or the
    latest submitted response; anyone else only ever the consensus or their own answers.
    """
    user = current_user()
    choose = default_chooser(user) if everyone else respondent_chooser(user)
    try:
        report = build_report(db.session(), assessment, choose=choose)
    except NoSubmittedResponse:
        abort(404)
    if everyone:
        return report
    # A respondent never sees colleagues' names or progress; a profile of their own answers says so.
    own = all(source.kind == ResponseKind.INDIVIDUAL.value for part in report.questionnaires for source in part.sources)
    return replace(report, respondents=(), respondents_hidden=True, title="Your answers" if own else report.title)


@blueprint.route("/councils/<code>/rounds/<id:round_id>/profile")
@login_required
def profile(code: str, round_id: int) -> ResponseReturnValue:
    """The maturity profile of a round as an accessible web page (the PDF's twin), rendered once per content."""
    assessment, everyone = _round_viewer(code, round_id)
    pdf_url = url_for(".profile_pdf", code=code, round_id=round_id)
    key = content_key(db.session(), assessment, (current_user().id, everyone, pdf_url))
    rendered = cached_body(current_app._get_current_object(), key,  # type: ignore[attr-defined]
                           lambda: render_report_body(_round_report(assessment, everyone), pdf_url=pdf_url))
    return render_report_page(rendered, back_url=url_for(".round_tasks", code=code, round_id=round_id))


@blueprint.route("/councils/<code>/rounds/<id:round_id>/profile.pdf")
@login_required
def profile_pdf(code: str, round_id: int) -> ResponseReturnValue:
    """The maturity profile of a round as a PDF download, once drawn (until then, the page that says so)."""
    assessment, everyone = _round_viewer(code, round_id)
    return pdf_download(lambda: _round_report(assessment, everyone), report_filename(code, round_id, "pdf"),
                        content=_pdf_content(assessment, everyone),
                        back_url=url_for(".profile", code=code, round_id=round_id))


@blueprint.route("/councils/<code>/rounds/<id:round_id>/profile.pdf/status")
@login_required
def profile_pdf_status(code: str, round_id: int) -> ResponseReturnValue:
    """Whether the round's maturity profile PDF is ready, for the "being prepared" page's script."""
    assessment, everyone = _round_viewer(code, round_id)
    return pdf_status(lambda: _round_report(assessment, everyone), _pdf_content(assessment, everyone))


def _pdf_content(assessment: Assessment, everyone: bool) -> str:
    """A cheap key of what the signed-in person's profile PDF of the round shows."""
    return content_key(db.session(), assessment, (current_user().id, everyone, "pdf"))
