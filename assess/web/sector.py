"""The sector body's pages: the dashboard, targeting, benchmarks, exports and API tokens."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date

from flask import Blueprint, abort, current_app, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import select
from sqlalchemy.orm import joinedload
from werkzeug.wrappers import Response as HttpResponse

from assess import db, questionnaire_library
from assess.models import PUBLISHED_STATES, ApiToken, Assessment, Organisation, Sharing
from assess.policy import Action, Relation, allowed, relations, require
from assess.reports import sector as tables
from assess.reports.data import NoSubmittedResponse, build_report, respondent_chooser
from assess.reports.html import render_report_html
from assess.reports.sector_pdf import render_sector_pdf
from assess.services import sector
from assess.services.rounds import published_round_for
from assess.services.tokens import create_token, revoke, tokens_of
from assess.web import paging
from assess.web.access import council_or_404, current_user, login_required
from assess.web.paging import page_number, pages_of
from scoring import Questionnaire

blueprint = Blueprint("sector", __name__)
ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


class FilterError(ValueError):
    """A filter that cannot be used: ``field`` names it, the message says why."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def _text(args: Mapping[str, str], name: str, trim: bool = True) -> str | None:
    value = args.get(name) or ""
    value = value.strip() if trim else value
    if not value.isprintable() or len(value) > 100:
        raise FilterError(name, f"The '{name}' filter can hold at most 100 characters and no control characters")
    return value or None


def _date(args: Mapping[str, str], name: str, trim: bool) -> date | None:
    value = _text(args, name, trim)
    if not value:
        return None
    try:
        if not ISO_DATE.fullmatch(value):
            raise ValueError(value)
        given = date.fromisoformat(value)
    except ValueError:
        raise FilterError(name, f"Enter the date '{name}' as YYYY-MM-DD, for example 2026-04-01") from None
    if not EARLIEST <= given <= LATEST:
        raise FilterError(name, f"Enter the date '{name}' between {EARLIEST.isoformat()} and {LATEST.isoformat()}")
    return given


#: The dates a filter may name: any round's, with room to spare (and far from the calendar's end).
EARLIEST, LATEST = date(1900, 1, 1), date(2999, 12, 31)


def register_values() -> tuple[list[str], list[str]]:
    """The council types and regions in the register, looked up once a request (filters and the form both ask)."""
    if "register_values" not in g:
        g.register_values = sector.register_values(db.session())
    values: tuple[list[str], list[str]] = g.register_values
    return values


def _one_of(name: str, value: str | None, known: list[str], what: str) -> str | None:
    if value is not None and value not in known:
        raise FilterError(name, f"There is no {what} '{value}' in the register: choose one of {', '.join(known)}")
    return value


def _default_questionnaire() -> Questionnaire | None:
    """The questionnaire a page shows until one is chosen: the first by title."""
    return min((f.questionnaire for f in questionnaire_library(current_app)), key=lambda q: q.title, default=None)


def read_filters(args: Mapping[str, str], default_questionnaire: bool,
                 trim: bool = True) -> tuple[Questionnaire | None, sector.Filters]:
    """The questionnaire and filters a page or API call asks for; FilterError for any it cannot use.

    Pages trim the spaces around what was typed in a box; the API takes values exactly as its description says.
    """
    library = questionnaire_library(current_app)
    questionnaire_id = _text(args, "questionnaire", trim)
    questionnaire = None
    if questionnaire_id:
        loaded = library.files.get(questionnaire_id)
        if loaded is None:
            raise FilterError("questionnaire", f"There is no questionnaire '{questionnaire_id}'")
        questionnaire = loaded.questionnaire
    elif default_questionnaire:
        questionnaire = _default_questionnaire()
    section = _text(args, "section", trim)
    if section is not None and questionnaire is None:
        raise FilterError("section", "Choose a questionnaire as well as one of its sections")
    if section is not None and questionnaire is not None and section not in {s.id for s in questionnaire.sections}:
        raise FilterError("section", f"The questionnaire has no section '{section}'")
    council_type, region = _text(args, "type", trim), _text(args, "region", trim)
    if council_type is not None or region is not None:
        types, regions = register_values()
        _one_of("type", council_type, types, "council type")
        _one_of("region", region, regions, "region")
    start, end = _date(args, "from", trim), _date(args, "to", trim)
    if start and end and start > end:
        raise FilterError("from", "The 'from' date must be on or before the 'to' date")
    return questionnaire, sector.Filters(
        questionnaire=questionnaire.id if questionnaire else None, section=section, type=council_type, region=region,
        start=start, end=end)


@blueprint.app_context_processor
def navigation() -> dict[str, object]:
    """The sector pages in the header, for the people who may open them."""
    user = g.get("user")
    items = []
    if user is not None and allowed(db.session(), user, Action.VIEW_SECTOR):
        items += [("sector.dashboard", "Sector figures"), ("sector.targeting", "Targeting")]
    if user is not None and allowed(db.session(), user, Action.MANAGE_TOKENS):
        items.append(("sector.tokens", "API tokens"))
    return {"sector_navigation": [{"href": url_for(endpoint), "text": text, "active": request.endpoint == endpoint}
                                  for endpoint, text in items]}


def threshold() -> int:
    """The disclosure threshold in force."""
    return int(current_app.config["SECTOR_THRESHOLD"])


@dataclass(frozen=True)
class FilterForm:
    """The filter form's fields as GOV.UK select items, and the error if the filters could not be used."""

    questionnaires: list[dict[str, object]]
    sections: list[dict[str, object]]
    types: list[dict[str, object]]
    regions: list[dict[str, object]]
    sorts: list[dict[str, object]]
    start: str
    end: str
    error: FilterError | None


def _items(values: list[tuple[str, str]], chosen: str | None, everything: str | None) -> list[dict[str, object]]:
    first = [{"value": "", "text": everything, "selected": not chosen}] if everything else []
    return first + [{"value": value, "text": text, "selected": value == chosen} for value, text in values]


def _questionnaires(chosen: str | None) -> list[dict[str, object]]:
    library = sorted((f.questionnaire for f in questionnaire_library(current_app)), key=lambda q: q.title)
    return _items([(q.id, q.title) for q in library], chosen, None)


def _form(questionnaire: Questionnaire | None, filters: sector.Filters, error: FilterError | None) -> FilterForm:
    types, regions = register_values()
    # Filters that could not be used are shown as they were chosen, so that only the one in error needs changing.
    chosen = {"questionnaire": filters.questionnaire, "section": filters.section, "type": filters.type,
              "region": filters.region}
    if error is not None and questionnaire is None:  # the filters themselves could not be read
        chosen = {name: (request.args.get(name) or "").strip() or None for name in chosen}
        loaded = questionnaire_library(current_app).files.get(chosen["questionnaire"] or "")
        questionnaire = loaded.questionnaire if loaded is not None else _default_questionnaire()
        chosen["questionnaire"] = questionnaire.id if questionnaire is not None else None
    sections = [(s.id, s.title) for s in questionnaire.sections] if questionnaire else []
    sort = request.args.get("sort", "level")
    return FilterForm(
        questionnaires=_questionnaires(chosen["questionnaire"]),
        sections=_items(sections, chosen["section"], "Overall level"),
        types=_items([(t, t) for t in types], chosen["type"], "All types"),
        regions=_items([(r, r) for r in regions], chosen["region"], "All regions"),
        sorts=_items([(key, SORT_NAMES[key]) for key in sector.TARGETING_SORTS], sort, None),
        start=request.args.get("from", ""), end=request.args.get("to", ""), error=error,
    )


SORT_NAMES = {"level": "Lowest level first", "change": "Fallen furthest first",
              "shortfall": "Furthest below target first", "overdue": "Most overdue actions first", "name": "Name"}


def _filtered(default_questionnaire: bool = True) -> tuple[Questionnaire | None, sector.Filters, FilterError | None]:
    try:
        questionnaire, filters = read_filters(request.args, default_questionnaire)
    except FilterError as error:
        return None, sector.Filters(), error
    return questionnaire, filters, None


def _download(report: tables.Report, fmt: str, name: str) -> HttpResponse:
    if fmt not in tables.FORMATS:
        abort(404)
    return HttpResponse(tables.export(report, fmt), mimetype=tables.MEDIA_TYPES[fmt],
                        headers={"Content-Disposition": f"attachment; filename={name}.{fmt}"})


@blueprint.route("/sector/")
@login_required
def dashboard() -> ResponseReturnValue:
    """Sector figures for a questionnaire: participation, levels by type, region, section and year, views."""
    require(db.session(), current_user(), Action.VIEW_SECTOR)
    questionnaire, filters, error = _filtered()
    report = (tables.dashboard(db.session(), filters, questionnaire, threshold(), date.today())
              if questionnaire is not None else None)
    page = render_template("sector/dashboard.html", report=report, form=_form(questionnaire, filters, error),
                           threshold=threshold(), query=request.query_string.decode())
    return (page, 400) if error else page


@blueprint.route("/sector/export.<fmt>")
@login_required
def export(fmt: str) -> ResponseReturnValue:
    """The dashboard's tables as CSV, XLSX or JSON, with the disclosure rule."""
    require(db.session(), current_user(), Action.VIEW_SECTOR)
    questionnaire, filters, error = _filtered()
    if error is not None or questionnaire is None:
        abort(400, description=str(error))
    return _download(tables.dashboard(db.session(), filters, questionnaire, threshold(), date.today()), fmt,
                     f"sector-{questionnaire.id}")


@blueprint.route("/sector/report.pdf")
@login_required
def report_pdf() -> ResponseReturnValue:
    """The dashboard's tables and charts as a PDF (the dashboard page is its accessible twin)."""
    require(db.session(), current_user(), Action.VIEW_SECTOR)
    questionnaire, filters, error = _filtered()
    if error is not None or questionnaire is None:
        abort(400, description=str(error))
    report = tables.dashboard(db.session(), filters, questionnaire, threshold(), date.today())
    return HttpResponse(render_sector_pdf(report), mimetype="application/pdf",
                        headers={"Content-Disposition": f"attachment; filename=sector-{questionnaire.id}.pdf"})


def _targeting() -> tuple[tables.Report | None, FilterForm, FilterError | None]:
    require(db.session(), current_user(), Action.VIEW_SECTOR)
    questionnaire, filters, error = _filtered()
    sort = request.args.get("sort", "level")
    if error is None and sort not in sector.TARGETING_SORTS:
        error = FilterError("sort", "Choose how to sort the list")
    if error is None and (problem := sector.sort_problem(sort, filters)) is not None:
        error = FilterError("sort", problem)
    form = _form(questionnaire, filters, error)
    if error is not None or questionnaire is None:
        return None, form, error
    rows = sector.targeting(db.session(), filters, questionnaire, date.today(), sort)
    report = tables.Report(f"Targeting: {questionnaire.title}", threshold(), tables.describe(filters), date.today(),
                           [tables.targeting_table(rows)], sector.holds_simulated(db.session()))
    return report, form, None


PER_PAGE = 50


@blueprint.route("/sector/targeting")
@login_required
def targeting() -> ResponseReturnValue:
    """Councils shared by name that most need support in a questionnaire or section, sortable, 50 a page."""
    report, form, error = _targeting()
    table, pagination = None, None
    if report is not None:
        full = report.tables[0]
        pages = pages_of(len(full.rows), PER_PAGE)
        number = page_number(pages)
        start = (number - 1) * PER_PAGE
        table = replace(full, rows=full.rows[start:start + PER_PAGE])
        pagination = paging.pagination(".targeting", number, pages, "Pages of the list")
    page = render_template("sector/targeting.html", report=report, table=table, pagination=pagination, form=form,
                           form_questionnaire=report.filters.get("Questionnaire") if report else None,
                           query=request.query_string.decode())
    return (page, 400) if error else page


@blueprint.route("/sector/targeting.<fmt>")
@login_required
def targeting_export(fmt: str) -> ResponseReturnValue:
    """The targeting list as CSV, XLSX or JSON."""
    report, _form_data, error = _targeting()
    if report is None:
        abort(400, description=str(error))
    return _download(report, fmt, "targeting")


#: A benchmarked council's rounds come with it, with only what the policy reads to tell whether it shares by name.
COUNCIL_ROUNDS = joinedload(Organisation.assessments).load_only(Assessment.status, Assessment.published_at,
                                                                 Assessment.sharing, Assessment.organisation_id)


@blueprint.route("/councils/<code>/benchmark")
@login_required
def benchmark(code: str) -> ResponseReturnValue:
    """A council's agreed levels beside similar councils: for its lead, or analysts if it shared by name."""
    organisation = council_or_404(code, Action.VIEW_BENCHMARK, COUNCIL_ROUNDS)
    session = db.session()
    questionnaire, _filters, error = _filtered()
    if error is not None or questionnaire is None:
        abort(404)
    lead = Relation.LEAD in relations(session, current_user(), organisation)
    own = sector.latest_published_response_id(organisation.id, questionnaire.id,
                                              tuple(Sharing) if lead else (Sharing.NAMED,))
    result = sector.benchmark(session, organisation, own, questionnaire, threshold())
    return render_template("sector/benchmark.html", organisation=organisation, questionnaire=questionnaire,
                           simulated_note=sector.SIMULATED_NOTE if sector.holds_simulated(session) else None,
                           result=result, table=tables.benchmark_table(result, questionnaire) if result.shown else None,
                           own=result.own, threshold=threshold(), questionnaires=_questionnaires(questionnaire.id),
                           # From the rounds loaded with the council, without asking the database again.
                           profile_url=url_for(".profile", code=code) if any(
                               a.published_at is not None and a.status in PUBLISHED_STATES
                               and allowed(session, current_user(), Action.VIEW_PUBLISHED_PROFILE, a)
                               for a in organisation.assessments) else None)




@blueprint.route("/councils/<code>/profile")
@login_required
def profile(code: str) -> ResponseReturnValue:
    """A council's agreed profile in its latest published round the person may read (analysts: shared by name)."""
    session = db.session()
    organisation = session.scalar(select(Organisation).filter_by(code=code))
    assessment = published_round_for(session, current_user(), organisation) if organisation is not None else None
    if assessment is None:
        abort(404)
    try:
        report = build_report(session, assessment, choose=respondent_chooser(current_user()))
    except NoSubmittedResponse:
        abort(404)
    # Only the agreed answers, as every council member sees them: never who answered.
    report = replace(report, respondents=(), respondents_hidden=True)
    back = (url_for(".benchmark", code=code) if allowed(session, current_user(), Action.VIEW_BENCHMARK, organisation)
            else None)
    return render_report_html(report, back_url=back)


@blueprint.route("/sector/councils")
@login_required
def councils() -> ResponseReturnValue:
    """Find a council of the register by name or code, with its benchmark and profile when it shared by name."""
    require(db.session(), current_user(), Action.VIEW_SECTOR)
    text = request.args.get("q")
    error, found = None, None
    if text is not None:
        wanted = text.strip()
        if not wanted:
            error = "Enter part of a council's name or its code"
        elif len(wanted) > 100 or not wanted.isprintable():
            error = "Enter at most 100 characters of a council's name or code, with no control characters"
        else:
            found = sector.find_councils(db.session(), wanted)
    page = render_template("sector/councils.html", text=text or "", found=found, error=error,
                           most=sector.MOST_FOUND)
    return (page, 400) if error else page


@blueprint.route("/sector/rules")
@login_required
def rules() -> ResponseReturnValue:
    """What counts in sector figures and which are hidden, on a page of its own."""
    require(db.session(), current_user(), Action.VIEW_SECTOR)
    return render_template("sector/rules.html", rule=sector.suppression_rule(threshold()), threshold=threshold(),
                           meanings=sector.PUBLISHED_MEANINGS)


@blueprint.route("/tokens/", methods=["GET", "POST"])
@login_required
def tokens() -> ResponseReturnValue:
    """The signed-in analyst's or admin's API tokens: make one (shown once), see last use, revoke."""
    session = db.session()
    user = current_user()
    require(session, user, Action.MANAGE_TOKENS)
    made = None
    error = None
    if request.method == "POST":
        name = (request.form.get("name") or "").strip()
        if not name or len(name) > 100 or not name.isprintable():
            error = "Enter a name for the token of at most 100 characters, such as the tool that will use it"
        else:
            _token, made = create_token(session, user, name)
            session.commit()
    page = render_template("sector/tokens.html", tokens=tokens_of(session, user), made=made, error=error)
    return (page, 400) if error else page


@blueprint.route("/tokens/<id:token_id>/revoke", methods=["POST"])
@login_required
def revoke_token(token_id: int) -> ResponseReturnValue:
    """Revoke one of the signed-in person's tokens."""
    session = db.session()
    user = current_user()
    require(session, user, Action.MANAGE_TOKENS)
    token = session.get(ApiToken, token_id)
    if token is None or token.user_id != user.id:
        abort(404)
    revoke(session, token, user)
    session.commit()
    return redirect(url_for(".tokens"))
