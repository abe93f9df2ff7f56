"""The administrator's pages: users and councils, one person's account, the questionnaire library, the audit log."""

from __future__ import annotations

from datetime import date
from pathlib import PurePath

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import func, select
from sqlalchemy.orm import defer
from werkzeug.datastructures import FileStorage
from werkzeug.utils import secure_filename
from werkzeug.wrappers import Response
from wtforms.fields.choices import SelectChoice

from assess import db
from assess.library import Problem
from assess.mail import MailError, send
from assess.models import (
    AuditEvent,
    Membership,
    Organisation,
    OrganisationRole,
    QuestionnaireVersion,
    RespondentGroup,
    SiteRole,
    User,
)
from assess.policy import Action, require
from assess.services import audit
from assess.services.accounts import (
    AccountRefused,
    count_users,
    find_users,
    invite_account,
    remove_membership,
    renew_invitation,
    set_active,
    set_membership,
    set_site_roles,
    turn_off_two_factor,
)
from assess.services.notifications import account_invitation_email
from assess.services.organisations import (
    RegisterError,
    RegisterPlan,
    import_checked,
    organisation_by_code,
    plan_register,
    read_register_text,
)
from assess.services.passwords import IssuedReset
from assess.services.personal_data import erase_person
from assess.services.questionnaires import (
    UploadRefused,
    change_status,
    questionnaire_of,
    recorded_versions,
    rounds_using,
    stage_upload,
)
from assess.services.users import end_sessions
from assess.services.version_diff import diff_versions
from assess.web.access import current_user, login_required
from assess.web.forms import (
    AccountInviteForm,
    ConfirmForm,
    HeldUploadForm,
    MembershipForm,
    QuestionnaireUploadForm,
    SiteRolesForm,
    UploadForm,
    section_form_class,
    sentence,
    without_control_characters,
)
from assess.web.paging import page_number, pages_of, pagination
from assess.web.sections import parse_version, section_context

blueprint = Blueprint("admin", __name__, url_prefix="/admin")


@blueprint.route("/")
@login_required
def home() -> str:
    """Every account, or those a search finds (with roles and councils), and every council with its member count."""
    session = db.session()
    require(session, current_user(), Action.ADMINISTER)
    search = str(without_control_characters(request.args.get("q", ""))).strip()[:200]
    members = dict(session.execute(select(Membership.organisation_id, func.count()).group_by(
        Membership.organisation_id)).tuples().all())
    councils = [(council, members.get(council.id, 0))
                for council in session.scalars(select(Organisation).order_by(Organisation.name))]
    found = count_users(session, search)
    number = page_number(pages_of(found, USERS_PER_PAGE))
    return render_template("admin/home.html", found=found, search=search, councils=councils,
                           users=find_users(session, search, (number - 1) * USERS_PER_PAGE, USERS_PER_PAGE),
                           pagination=pagination(".home", number, pages_of(found, USERS_PER_PAGE), "Pages of users"))


#: People listed a page at a time (a simulated sector makes thousands of accounts).
USERS_PER_PAGE = 50


@blueprint.route("/users/new", methods=["GET", "POST"])
@login_required
def invite_user() -> ResponseReturnValue:
    """Invite a person to a new account: an email with a link to choose their password."""
    session, by = db.session(), current_user()
    require(session, by, Action.ADMINISTER)
    form = AccountInviteForm()
    if form.validate_on_submit():
        days = current_app.config["INVITATION_DAYS"]
        try:
            issued = invite_account(session, form.email.data or "", form.name.data or "",
                                    [SiteRole(role) for role in form.roles.data or []], by, days * 24 * 60)
        except AccountRefused as refused:
            session.rollback()
            form.email.errors = [sentence(str(refused))]
        else:
            session.commit()
            return _sent(issued, by, days)
    return render_template("admin/invite.html", form=form), 400 if form.errors else 200


def _sent(issued: IssuedReset, by: User, days: int) -> Response:
    """Email an invited person their link (the commit is made), and go to their page saying whether it went."""
    user = issued.reset.user
    try:
        send(account_invitation_email(issued, by, days))
    except MailError as error:
        current_app.logger.error("%s", error)
        flash(f"The email to {user.email} could not be sent: send a new link from this page when the mail "
              "server works again.", "error")
    else:
        flash(f"{user.name} has been sent an invitation to choose a password.", "success")
    return redirect(url_for(".user_page", user_id=user.id))


@blueprint.route("/users/<id:user_id>/invitation", methods=["POST"])
@login_required
def resend_invitation(user_id: int) -> ResponseReturnValue:
    """Send an invited person a new link to choose their password (the earlier link stops working)."""
    user = _user_or_404(user_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    session, by, days = db.session(), current_user(), current_app.config["INVITATION_DAYS"]
    try:
        issued = renew_invitation(session, user, by, days * 24 * 60)
    except AccountRefused as refused:
        session.rollback()
        flash(sentence(str(refused)) + ".", "error")
        return redirect(url_for(".user_page", user_id=user.id))
    session.commit()
    return _sent(issued, by, days)


def _user_or_404(user_id: int) -> User:
    require(db.session(), current_user(), Action.ADMINISTER)
    user = db.session().get(User, user_id)
    if user is None:
        abort(404)
    return user


def _with_councils(form: MembershipForm) -> MembershipForm:
    form.council.choices = [SelectChoice("", "Choose a council"), *(
        SelectChoice(code, f"{name} ({code})") for code, name in db.session().execute(
            select(Organisation.code, Organisation.name).order_by(Organisation.name)).tuples())]
    return form


def _user_page(user: User, membership: MembershipForm) -> str:
    form = SiteRolesForm(formdata=None, roles=user.site_roles)
    recent = audit.events(db.session(), audit.AuditFilter(person=f"user:{user.id}"), limit=20)
    return render_template("admin/user.html", user=user, form=form, confirm=ConfirmForm(), recent=recent,
                           membership=membership)


@blueprint.route("/users/<id:user_id>")
@login_required
def user_page(user_id: int) -> str:
    """One person's account: state, site roles, councils, two-factor, and what an admin can change."""
    return _user_page(_user_or_404(user_id), _with_councils(MembershipForm(formdata=None)))


@blueprint.route("/users/<id:user_id>/memberships", methods=["POST"])
@login_required
def add_membership(user_id: int) -> ResponseReturnValue:
    """Make a person a member of a council with a role and group (or change theirs there)."""
    user = _user_or_404(user_id)
    form = _with_councils(MembershipForm())
    if not form.validate_on_submit():
        return _user_page(user, form), 400
    session = db.session()
    organisation = organisation_by_code(session, form.council.data or "")
    if organisation is None:  # only if it went between the page and the post
        abort(404)
    set_membership(session, user, organisation, OrganisationRole(form.role.data),
                   RespondentGroup(form.group.data), current_user())
    session.commit()
    flash(f"{user.name} is a {form.role.data} of {organisation.name}.", "success")
    return redirect(url_for(".user_page", user_id=user.id))


@blueprint.route("/users/<id:user_id>/memberships/remove", methods=["POST"])
@login_required
def remove_user_membership(user_id: int) -> ResponseReturnValue:
    """Take a person out of one of their councils (named by the posted `council` code)."""
    user = _user_or_404(user_id)
    session = db.session()
    organisation = organisation_by_code(session, str(request.form.get("council", ""))[:20])
    if not ConfirmForm().validate_on_submit() or organisation is None:
        abort(400)
    try:
        remove_membership(session, user, organisation, current_user())
    except AccountRefused as refused:
        session.rollback()
        flash(sentence(str(refused)) + ".", "error")
    else:
        session.commit()
        flash(f"{user.name} is no longer a member of {organisation.name}.", "success")
    return redirect(url_for(".user_page", user_id=user.id))


@blueprint.route("/users/<id:user_id>/<any(deactivate, reactivate, 'sign-out-everywhere', 'two-factor-off', roles, erase):what>",  # noqa: E501
                 methods=["POST"])
@login_required
def change_user(user_id: int, what: str) -> ResponseReturnValue:
    """Deactivate or reactivate an account, end its sessions, turn off its two-factor sign-in, or set its roles."""
    user = _user_or_404(user_id)
    session, by = db.session(), current_user()
    form = SiteRolesForm() if what == "roles" else ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    done = {"deactivate": "deactivated: every session of it has ended", "reactivate": "active again",
            "sign-out-everywhere": "signed out everywhere", "two-factor-off": "no longer asked for a code",
            "roles": "given the site roles chosen", "erase": "erased: their answers are anonymised"}
    name = f"{user.name} ({user.email})"
    try:
        if what in ("deactivate", "reactivate"):
            set_active(session, user, what == "reactivate", by)
        elif what == "sign-out-everywhere":
            end_sessions(session, user, by, "signed-out-by-admin")
        elif what == "erase":
            erase_person(session, user, by)
        elif what == "two-factor-off":
            turn_off_two_factor(session, user, by)
        else:
            set_site_roles(session, user, [SiteRole(role) for role in form.roles.data or []], by)
    except AccountRefused as refused:
        session.rollback()
        flash(str(refused).capitalize() + ".", "error")
    else:
        session.commit()
        flash(f"{name} has been {done[what]}.", "success")
    return redirect(request.path.rsplit("/", 1)[0])


def _audit_filter() -> audit.AuditFilter:
    def text(name: str, longest: int) -> str:
        # Control characters never match (and PostgreSQL refuses NUL in text).
        return str(without_control_characters(request.values.get(name, ""))).strip()[:longest]

    args = request.values

    def day(name: str) -> date | None:
        try:
            return date.fromisoformat(args.get(name, "").strip()) if args.get(name, "").strip() else None
        except ValueError:
            return None

    return audit.AuditFilter(person=text("person", 254), council=text("council", 20), action=text("action", 60),
                             since=day("since"), until=day("until"))


@blueprint.route("/audit")
@login_required
def audit_page() -> str:
    """The audit log, newest first, filtered by person, council, action and date."""
    require(db.session(), current_user(), Action.ADMINISTER)
    audit_filter = _audit_filter()
    rows = audit.readable(db.session(), audit.events(db.session(), audit_filter))
    return render_template("admin/audit.html", rows=rows, audit_filter=audit_filter,
                           actions=audit.actions(db.session()), page_size=audit.PAGE_SIZE, form=ConfirmForm())


@blueprint.route("/audit.csv", methods=["POST"])
@login_required
def audit_csv() -> Response:
    """Every event the filter matches, as CSV (posted, so that the export itself is recorded)."""
    require(db.session(), current_user(), Action.ADMINISTER)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    audit_filter = _audit_filter()
    rows = audit.events(db.session(), audit_filter, limit=None)
    db.session().add(AuditEvent(action="audit-exported", user_id=current_user().id,
                                detail={"rows": len(rows), "filter": {k: str(v) for k, v in vars(audit_filter).items()
                                                                      if v}}))
    db.session().commit()
    return Response(audit.as_csv(rows), mimetype="text/csv",
                    headers={"Content-Disposition": "attachment; filename=audit-log.csv"})


#: The largest file an admin may upload (a register or a questionnaire), in bytes.
LARGEST_UPLOAD = 2_000_000


def _uploaded(form: UploadForm) -> tuple[str, str] | None:
    """The uploaded file's (safe) name and its text; None if there is none, or it will not do (the error set)."""
    upload = form.file.data
    if not isinstance(upload, FileStorage) or not upload.filename:
        return None
    data = upload.read(LARGEST_UPLOAD + 1)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        form.file.errors = ["The file must be saved as UTF-8 text"]
        return None
    if len(data) > LARGEST_UPLOAD:
        form.file.errors = [f"The file must be smaller than {LARGEST_UPLOAD // 1_000_000} MB"]
        return None
    return secure_filename(upload.filename)[:100] or "upload", text


def _held_uploads() -> URLSafeTimedSerializer:
    # Signed with the app's secret key, so the preview's content comes back to be imported unchanged.
    return URLSafeTimedSerializer(current_app.secret_key or "", salt="admin-register-upload")


#: How long a register preview can be confirmed for, in seconds.
PREVIEW_SECONDS = 3600


def _unheld(value: str) -> tuple[str, str] | None:
    """The name and text of an upload held by a preview this admin was shown within the hour; None otherwise."""
    try:
        held = _held_uploads().loads(value, max_age=PREVIEW_SECONDS)
    except BadSignature:
        return None
    if not isinstance(held, dict) or held.get("by") != current_user().id:
        return None
    return str(held["name"]), str(held["text"])


def _register_page(form: UploadForm, plan: RegisterPlan | None = None, name: str = "",
                   confirm: HeldUploadForm | None = None) -> ResponseReturnValue:
    page = render_template("admin/councils_import.html", form=form, plan=plan, name=name, confirm=confirm)
    return page, 400 if form.errors or (plan and plan.problems) else 200


@blueprint.route("/councils/import", methods=["GET", "POST"])
@login_required
def import_councils() -> ResponseReturnValue:
    """Upload a register CSV: a preview of the councils it adds and changes, or its errors by line (nothing changes)."""
    require(db.session(), current_user(), Action.ADMINISTER)
    form = UploadForm()
    if not form.validate_on_submit():
        return _register_page(form)
    upload = _uploaded(form)
    if upload is None:
        form.file.errors = form.file.errors or ["Choose a register CSV file to upload"]
        return _register_page(form)
    name, text = upload
    try:
        rows, _count = read_register_text(text, name)
    except RegisterError as error:
        form.file.errors = [str(error)]
        return _register_page(form)
    plan = plan_register(db.session(), rows)
    confirm = None if plan.problems else HeldUploadForm(formdata=None, upload=_held_uploads().dumps(
        {"by": current_user().id, "name": name, "text": text}))
    return _register_page(form, plan, name, confirm)


@blueprint.route("/councils/import/confirm", methods=["POST"])
@login_required
def confirm_import() -> ResponseReturnValue:
    """Import the register a preview showed, if every row is still good (else nothing changes)."""
    session, by = db.session(), current_user()
    require(session, by, Action.ADMINISTER)
    form = HeldUploadForm()
    held = _unheld(form.upload.data or "") if form.validate_on_submit() else None
    upload_form = UploadForm(formdata=None)
    if held is None:
        upload_form.file.errors = ["The preview is over an hour old, or was changed: upload the file again"]
        return _register_page(upload_form)
    name, text = held
    try:
        plan = import_checked(session, text, name, by)
    except RegisterError as error:
        session.rollback()
        upload_form.file.errors = str(error).splitlines()
        return _register_page(upload_form)
    session.commit()
    flash(f"{name} imported: {len(plan.added)} councils added, {len(plan.changed)} changed, "
          f"{len(plan.unchanged)} unchanged.", "success")
    return redirect(url_for(".home"))


def _library_page(form: QuestionnaireUploadForm, problems: list[Problem]) -> ResponseReturnValue:
    session = db.session()
    versions = recorded_versions(session, newest_first=True)
    page = render_template("admin/library.html", form=form, problems=problems, versions=versions,
                           using=rounds_using(session))
    return page, 400 if form.errors or problems else 200


@blueprint.route("/questionnaires", methods=["GET", "POST"])
@login_required
def library() -> ResponseReturnValue:
    """Every recorded questionnaire version (with the rounds using it); upload a new version to check and stage."""
    session, by = db.session(), current_user()
    require(session, by, Action.ADMINISTER)
    form = QuestionnaireUploadForm()
    if not form.validate_on_submit():
        return _library_page(form, [])
    upload = _uploaded(form)
    if upload is None and not form.file.errors and (form.text.data or "").strip():
        upload = secure_filename(form.name.data or "")[:100] or "pasted.yaml", form.text.data or ""
    if upload is None:
        form.file.errors = form.file.errors or ["Choose a questionnaire file, or paste its YAML"]
        return _library_page(form, [])
    name, text = upload
    try:
        version = stage_upload(session, text, name, by)
    except UploadRefused as refused:
        session.rollback()
        # Kept for correcting: a browser cannot fill a file input in again.
        form.text.data, form.name.data = text, name
        return _library_page(form, refused.problems)
    session.commit()
    flash(f"{version.title} version {version.version} is staged: offer it for new rounds when it is ready.",
          "success")
    return redirect(url_for(".version_page", version_id=version.id))


def _version_or_404(version_id: int) -> QuestionnaireVersion:
    require(db.session(), current_user(), Action.ADMINISTER)
    version = db.session().get(QuestionnaireVersion, version_id)
    if version is None:
        abort(404)
    return version


@blueprint.route("/questionnaires/versions/<id:version_id>")
@login_required
def version_page(version_id: int) -> str:
    """One recorded version: what it holds, the rounds using it, offering or retiring it, comparing it."""
    version = _version_or_404(version_id)
    session = db.session()
    others = session.scalars(select(QuestionnaireVersion).options(defer(QuestionnaireVersion.definition))
                             .where(QuestionnaireVersion.questionnaire_id == version.questionnaire_id,
                                    QuestionnaireVersion.id != version.id)
                             .order_by(QuestionnaireVersion.version.desc())).all()
    questionnaire = questionnaire_of(version)
    return render_template("admin/version.html", version=version, questionnaire=questionnaire,
                           questions=sum(len(section.questions) for section in questionnaire.sections),
                           # The file's name only: where the server keeps it is no one's business here.
                           source=PurePath(version.source).name if version.source else None,
                           rounds=rounds_using(session).get(version.id, []), others=others, confirm=ConfirmForm())


@blueprint.route("/questionnaires/versions/<id:version_id>/preview/<section_id>")
@login_required
def version_preview(version_id: int, section_id: str) -> str:
    """One section of a version as a respondent would see its questions (nothing can be saved)."""
    version = _version_or_404(version_id)
    questionnaire = questionnaire_of(version)
    ids = [section.id for section in questionnaire.sections]
    if section_id not in ids:
        abort(404)
    section = questionnaire.section(section_id)
    number = ids.index(section_id)
    return render_template("admin/preview.html", version=version,
                           **{**section_context(questionnaire, section, {}), "hidden": set()},
                           form=section_form_class(section)(formdata=None),
                           previous=ids[number - 1] if number else None,
                           next=ids[number + 1] if number + 1 < len(ids) else None)


@blueprint.route("/questionnaires/versions/<id:version_id>/<any(offer, retire):what>", methods=["POST"])
@login_required
def change_version(version_id: int, what: str) -> ResponseReturnValue:
    """Offer a version for new rounds, or retire it (rounds already using it keep it)."""
    version = _version_or_404(version_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    changed = change_status(db.session(), version, what, current_user())
    db.session().commit()
    name = f"{version.title} version {version.version}"
    if changed:
        flash(f"{name} is {'offered for new rounds' if what == 'offer' else 'retired: new rounds cannot use it'}.",
              "success")
    return redirect(url_for(".version_page", version_id=version.id))


@blueprint.route("/questionnaires/diff")
@login_required
def diff_page() -> ResponseReturnValue:
    """What changed between two recorded versions: sections and questions added, removed and changed."""
    session = db.session()
    require(session, current_user(), Action.ADMINISTER)
    chosen = [session.get(QuestionnaireVersion, number) if number else None
              for number in (parse_version(request.args.get("from")), parse_version(request.args.get("to")))]
    old, new = chosen
    versions = recorded_versions(session)
    asked = "from" in request.args or "to" in request.args
    difference = diff_versions(questionnaire_of(old), questionnaire_of(new)) if old and new else None
    page = render_template("admin/diff.html", old=old, new=new, versions=versions, difference=difference,
                           error=asked and difference is None)
    return page, 400 if asked and difference is None else 200
