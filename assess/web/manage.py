"""The council lead's pages (and, where the policy allows, the round's facilitator's): running a round.

Starting and changing a round, its life from open to closed, inviting respondents and facilitators,
completion, each person's answers, returning a response, reminders.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from markupsafe import Markup, escape
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from assess import db, questionnaire_library
from assess.mail import Email, MailError, send
from assess.models import (
    PUBLISHED_STATES,
    Assessment,
    AssessmentStatus,
    Invitation,
    InvitedAs,
    Membership,
    RespondentGroup,
    ResponseKind,
    Sharing,
    SiteRole,
    User,
)
from assess.models import Response as ResponseRow
from assess.policy import Action, allowed
from assess.reports.data import long_date
from assess.services import participants
from assess.services.completion import completion, completion_csv_rows, people_to_remind, reminder_plan
from assess.services.invitations import (
    InvitationRefused,
    Invitee,
    Issued,
    invite,
    link_state,
    mark_sent,
    parse_addresses,
    parse_csv,
    resend,
    revoke,
)
from assess.services.notifications import (
    facilitator_assigned_email,
    invitation_email,
    published_email,
    reminder_email,
    returned_email,
)
from assess.services.questionnaires import offered, questionnaire_of
from assess.services.responses import ResponseLocked, answers_of, anything_submitted, return_response
from assess.services.rounds import (
    SHARING_NAMES,
    STEPS,
    RoundDetails,
    RoundRefused,
    assign_facilitator,
    change_status,
    next_steps,
    shared_since,
    start_round,
    update_round,
)
from assess.services.users import normalise_email
from assess.spreadsheets import csv_text
from assess.web.access import council_or_404, current_user, login_required, round_or_404
from assess.web.forms import ConfirmForm, FacilitatorForm, InviteForm, ReturnForm, RoundForm, StatusForm, sentence
from assess.web.sections import parse_version
from scoring import visible_questions

blueprint = Blueprint("manage", __name__)

#: What each step of a round's life is called on its button and its confirmation page, and what it does.
STEP_NAMES = {
    (AssessmentStatus.OPEN, AssessmentStatus.IN_REVIEW): "Close answering and start the review",
    (AssessmentStatus.IN_REVIEW, AssessmentStatus.OPEN): "Reopen the round for answers",
    (AssessmentStatus.IN_REVIEW, AssessmentStatus.PUBLISHED): "Publish the agreed results",
    (AssessmentStatus.PUBLISHED, AssessmentStatus.IN_REVIEW): "Withdraw the published results and return to review",
    (AssessmentStatus.PUBLISHED, AssessmentStatus.CLOSED): "Close the round",
    (AssessmentStatus.CLOSED, AssessmentStatus.PUBLISHED): "Reopen the closed round as published",
}
STEP_EXPLANATIONS = {
    (AssessmentStatus.OPEN, AssessmentStatus.IN_REVIEW): "Nobody will be able to change or submit their own answers. "
    "You and the facilitator can then agree the council’s answers.",
    (AssessmentStatus.IN_REVIEW, AssessmentStatus.OPEN): "Respondents will be able to change and submit their "
    "answers again.",
    (AssessmentStatus.IN_REVIEW, AssessmentStatus.PUBLISHED): "The agreed results become the council’s published "
    "profile, and can no longer change. Everyone asked in the round is emailed a link to it; the sector sees it too "
    "if you share it. Respondents’ own answers stay theirs.",
    (AssessmentStatus.PUBLISHED, AssessmentStatus.IN_REVIEW): "The results stop being published: they leave the "
    "council’s published profile and the sector’s figures, and the agreed answers can be changed again. Do this "
    "only to correct them.",
    (AssessmentStatus.PUBLISHED, AssessmentStatus.CLOSED): "The round is finished: its published results stay as "
    "they are.",
    (AssessmentStatus.CLOSED, AssessmentStatus.PUBLISHED): "The round is published again; its results stay as they "
    "are.",
}


def _round_form(form: RoundForm, assessment: Assessment | None = None) -> RoundForm:
    """The form with the questionnaires offered for new rounds (and those the round already has) to choose from."""
    choices = {qid: choice.title for qid, choice in offered(db.session(), questionnaire_library(current_app)).items()}
    for link in assessment.questionnaires if assessment else ():
        choices.setdefault(link.questionnaire_version.questionnaire_id, link.questionnaire_version.title)
    form.questionnaires.choices = [SelectChoice(qid, title) for qid, title in choices.items()]
    return form


def _details(form: RoundForm) -> RoundDetails:
    return RoundDetails(title=form.title.data or "", questionnaire_ids=list(form.questionnaires.data or []),
                        opens_on=form.opens_on.data, closes_on=form.closes_on.data,
                        expected_groups=list(form.expected_groups.data or []),
                        comments_named=form.comments_named.data == "named")


@blueprint.route("/councils/<code>/rounds/new", methods=["GET", "POST"])
@login_required
def new_round(code: str) -> ResponseReturnValue:
    """Start an assessment round for the lead's council: its questionnaires, dates and who is asked."""
    organisation = council_or_404(code, Action.START_ROUND)
    form = _round_form(RoundForm())
    # The round this one starts from: its people are asked again (the form posts back to this address).
    previous = _previous_round(organisation.code, request.args.get("from"))
    if request.method == "GET":
        form.expected_groups.data = ["officer", "member"]
        if previous is not None:
            # The next round of the same questionnaires (in their current versions), asking the same people.
            # Only those still offered: a retired version is not offered for new rounds.
            choices = {choice.value for choice in form.questionnaires.choices}
            form.questionnaires.data = [link.questionnaire_version.questionnaire_id for link in previous.questionnaires
                                        if link.questionnaire_version.questionnaire_id in choices]
            form.expected_groups.data = list(previous.expected_groups)
            form.comments_named.data = "named" if previous.comments_named else "anonymous"
    if form.validate_on_submit():
        session = db.session()
        try:
            assessment = start_round(session, organisation, current_user(), _details(form),
                                     questionnaire_library(current_app))
            carried = participants.carry_over(session, assessment, previous, current_user()) if previous else 0
        except RoundRefused as refused:
            form.questionnaires.errors = [sentence(str(refused))]
        else:
            session.commit()
            flash(f"‘{assessment.title}’ has started, asking the {carried} "
                  f"{'person' if carried == 1 else 'people'} of ‘{previous.title}’. Invite or add anyone else."
                  if previous else f"‘{assessment.title}’ has started. Now invite the people who should answer.",
                  "success")
            return redirect(url_for(".round_page", code=code, round_id=assessment.id))
    page = render_template("manage/round_form.html", organisation=organisation, form=form, assessment=None)
    return (page, 400) if form.errors else page


def _previous_round(code: str, round_id: str | None) -> Assessment | None:
    """The round a new one starts from (``?from=ID``), if it is one of this council's that the person may see."""
    number = parse_version(round_id)
    if not number:
        return None
    previous = db.session().get(Assessment, number)
    if previous is None or previous.organisation.code != code or not allowed(
            db.session(), current_user(), Action.MANAGE_ROUND, previous):
        return None
    return previous


@blueprint.route("/councils/<code>/rounds/<id:round_id>/edit", methods=["GET", "POST"])
@login_required
def edit_round(code: str, round_id: int) -> ResponseReturnValue:
    """Change a round's name, questionnaires, dates, the groups asked and how comments are shown."""
    assessment = round_or_404(code, round_id, Action.MANAGE_ROUND)
    form = _round_form(RoundForm(), assessment)
    if request.method == "GET":
        form.title.data = assessment.title
        form.questionnaires.data = [link.questionnaire_version.questionnaire_id for link in assessment.questionnaires]
        form.opens_on.data, form.closes_on.data = assessment.opens_on, assessment.closes_on
        form.expected_groups.data = list(assessment.expected_groups)
        form.comments_named.data = "named" if assessment.comments_named else "anonymous"
    if form.validate_on_submit():
        session = db.session()
        try:
            update_round(session, assessment, current_user(), _details(form), questionnaire_library(current_app))
        except RoundRefused as refused:
            session.rollback()
            form.questionnaires.errors = [sentence(str(refused))]
        else:
            session.commit()
            flash("The round’s details have been saved.", "success")
            return redirect(url_for(".round_page", code=code, round_id=round_id))
    page = render_template("manage/round_form.html", organisation=assessment.organisation, form=form,
                           assessment=assessment)
    return (page, 400) if form.errors else page


@blueprint.route("/councils/<code>/rounds/<id:round_id>/manage")
@login_required
def round_page(code: str, round_id: int) -> str:
    """The round as its lead (or facilitator) runs it: details, stage, completion by group, what to do next."""
    assessment = round_or_404(code, round_id, Action.VIEW_RESPONSES)
    session = db.session()
    user = current_user()
    manages = allowed(session, user, Action.MANAGE_ROUND, assessment)
    progress = completion(session, assessment, user)
    invitations = session.scalars(select(Invitation).filter_by(assessment_id=assessment.id)
                                  .order_by(Invitation.created_at.desc())).all()
    return render_template(
        "manage/round.html", organisation=assessment.organisation, assessment=assessment, manages=manages,
        details=_details_rows(assessment, manages), completion=progress, groups=progress.by_group(),
        steps=_step_buttons(assessment) if manages else [],
        pending=sum(link_state(i).value == "valid" for i in invitations),
        facilitators=[a.user for a in assessment.assignments],
        answering=allowed(session, user, Action.ANSWER, assessment),
        profile=anything_submitted(session, assessment),
    )


def _step_buttons(assessment: Assessment) -> list[dict[str, str]]:
    """A button for each step the round can take; withdrawing publication is a warning button of its own."""
    code = assessment.organisation.code
    return [{"text": STEP_NAMES[(assessment.status, to)],
             "href": url_for(".status_page", code=code, round_id=assessment.id, to=to.value),
             "classes": "govuk-button--warning" if STEPS[(assessment.status, to)] and assessment.status
             in PUBLISHED_STATES else "govuk-button--secondary" if index else ""}
            for index, to in enumerate(next_steps(assessment))]


def _details_rows(assessment: Assessment, manages: bool) -> list[dict[str, object]]:
    """The round's details as summary list rows, each with a Change link for whoever may change it.

    A published round's details are fixed: only how it is shared has a Change link.
    """
    code, round_id = assessment.organisation.code, assessment.id
    published = assessment.status in PUBLISHED_STATES
    changes = {key: url_for(".edit_round", code=code, round_id=round_id) for key in (
        "Questionnaires", "Opens", "Closes", "Asking", "Comments shown to the team")} if manages and not published \
        else {}
    rows: list[tuple[str, str | Markup]] = [("Stage", assessment.status.value.replace("-", " ").capitalize())]
    if published:
        since = shared_since(db.session(), assessment)
        rows.append(("Shared", sentence(SHARING_NAMES[assessment.sharing])
                     + (f", since {long_date(since.date())}" if since else "")))
        if manages:
            changes["Shared"] = url_for("publication.sharing_page", code=code, round_id=round_id)
    rows += [
        # One a line: Markup.join escapes each title.
        ("Questionnaires", Markup("<br>").join(link.questionnaire_version.title for link in assessment.questionnaires)),
        ("Opens", long_date(assessment.opens_on) or "No opening date"),
        ("Closes", long_date(assessment.closes_on) or "No closing date"),
        ("Asking", ", ".join(RespondentGroup(g).label for g in assessment.expected_groups)),
        ("Comments shown to the team", "With names" if assessment.comments_named else "Without names"),
        ("Facilitators", ", ".join(a.user.name for a in assessment.assignments) or "None yet"),
    ]
    return [{"key": {"text": key}, "value": {"html": escape(value)},
             **({"actions": {"items": [{"href": changes[key], "text": "Change", "visuallyHiddenText": key.lower()}]}}
                if key in changes else {})} for key, value in rows]


def _filters() -> tuple[str | None, str | None]:
    group = request.args.get("group") if request.args.get("group") in {g.value for g in RespondentGroup} else None
    state = request.args.get("state") if request.args.get("state") in ("finished", "in-progress", "not-started") \
        else None
    return group, state


@blueprint.route("/councils/<code>/rounds/<id:round_id>/completion")
@login_required
def completion_page(code: str, round_id: int) -> str:
    """Everyone's progress, questionnaire by questionnaire, with filters by group and state."""
    assessment = round_or_404(code, round_id, Action.VIEW_RESPONSES)
    result = completion(db.session(), assessment, current_user())
    group, state = _filters()
    return render_template("manage/completion.html", organisation=assessment.organisation, assessment=assessment,
                           completion=result, people=result.filtered(group, state), group=group, state=state,
                           groups=result.by_group())


@blueprint.route("/councils/<code>/rounds/<id:round_id>/completion.csv")
@login_required
def completion_csv(code: str, round_id: int) -> Response:
    """The completion table (with the same filters) as a CSV download."""
    assessment = round_or_404(code, round_id, Action.VIEW_RESPONSES)
    result = completion(db.session(), assessment, current_user())
    name = f"completion-{assessment.organisation.code}-round-{round_id}.csv"
    return Response(csv_text(completion_csv_rows(result, result.filtered(*_filters()))), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@blueprint.route("/councils/<code>/rounds/<id:round_id>/people/<id:user_id>")
@login_required
def person(code: str, round_id: int, user_id: int) -> str:
    """One person's answers in the round, questionnaire by questionnaire."""
    assessment = round_or_404(code, round_id, Action.VIEW_RESPONSES)
    session = db.session()
    member = session.scalar(select(User).join(Membership).where(
        User.id == user_id, Membership.organisation_id == assessment.organisation_id))
    if member is None:
        abort(404)
    responses = {r.questionnaire_version_id: r for r in session.scalars(select(ResponseRow).filter_by(
        assessment_id=assessment.id, respondent_id=member.id, kind=ResponseKind.INDIVIDUAL))}
    parts = []
    for link in assessment.questionnaires:
        questionnaire = questionnaire_of(link.questionnaire_version)
        response = responses.get(link.questionnaire_version_id)
        answers = answers_of(response)
        parts.append((questionnaire, response, answers, visible_questions(questionnaire, answers)))
    return render_template("manage/person.html", organisation=assessment.organisation, assessment=assessment,
                           member=member, parts=parts,
                           may_return=allowed(session, current_user(), Action.FACILITATE, assessment)
                           and assessment.status == AssessmentStatus.OPEN)


def _response_or_404(assessment: Assessment, response_id: int) -> ResponseRow:
    response = db.session().get(ResponseRow, response_id)
    if response is None or response.assessment_id != assessment.id or response.kind != ResponseKind.INDIVIDUAL:
        abort(404)
    return response


@blueprint.route("/councils/<code>/rounds/<id:round_id>/responses/<id:response_id>/return", methods=["GET", "POST"])
@login_required
def return_page(code: str, round_id: int, response_id: int) -> ResponseReturnValue:
    """Hand a submitted response back to its respondent for changes, with a message they are emailed."""
    assessment = round_or_404(code, round_id, Action.FACILITATE)
    response = _response_or_404(assessment, response_id)
    form = ReturnForm()
    back = url_for(".person", code=code, round_id=round_id, user_id=response.respondent_id or 0)
    if form.validate_on_submit():
        session = db.session()
        try:
            return_response(session, response, current_user(), form.message.data or "")
        except ResponseLocked as locked:
            session.rollback()
            form.message.errors = [sentence(str(locked))]
        else:
            session.commit()
            if response.respondent is not None:
                _send_or_warn(returned_email(response, response.respondent, current_user()))
            flash("The answers have been returned, and the respondent has been emailed.", "success")
            return redirect(back)
    page = render_template("manage/return.html", organisation=assessment.organisation, assessment=assessment,
                           response=response, form=form, back=back)
    return (page, 400) if form.errors else page


def _send_or_warn(email: Email) -> bool:
    """Send an email; on failure, tell the person at the screen (the change itself is kept)."""
    try:
        send(email)
    except MailError as error:
        current_app.logger.warning("%s", error)
        flash(f"The email to {email.to} could not be sent: ask your administrator to check the email "
              "settings, then send it again.", "error")
        return False
    return True


def _send_invitations(issued: Sequence[Issued]) -> int:
    """Email each new link; record which went out. Returns how many were sent."""
    sent = 0
    for item in issued:
        if _send_or_warn(invitation_email(item, current_user())):
            mark_sent(item.invitation)
            sent += 1
    db.session().commit()
    return sent


@blueprint.route("/councils/<code>/rounds/<id:round_id>/invite", methods=["GET", "POST"])
@login_required
def invite_page(code: str, round_id: int) -> ResponseReturnValue:
    """Invite people to answer: paste addresses (one a line) or upload a CSV, and choose their group."""
    assessment = round_or_404(code, round_id, Action.MANAGE_ROUND)
    form = InviteForm()
    if form.validate_on_submit():
        group = RespondentGroup(form.group.data)
        invitees: list[Invitee] = []
        problems: list[str] = []
        upload = form.file.data
        if upload:
            try:
                found, problems = parse_csv(upload.read(2_000_000).decode("utf-8-sig"), group)
            except UnicodeDecodeError:
                found, problems = [], ["The file must be a CSV saved as UTF-8 text"]
            invitees += found
        found, pasted_problems = parse_addresses(form.addresses.data or "", group)
        invitees += found
        problems += pasted_problems
        if not invitees and not problems:
            problems = ["Enter at least one email address, or upload a CSV file"]
        if problems:
            form.addresses.errors = problems
        else:
            session = db.session()
            try:
                issued = invite(session, assessment, invitees, current_user(),
                                current_app.config["INVITATION_DAYS"])
            except InvitationRefused as refused:
                session.rollback()
                form.addresses.errors = [sentence(str(refused))]
            else:
                session.commit()
                sent = _send_invitations(issued)
                flash(f"{sent} invitation{'s' if sent != 1 else ''} sent.", "success")
                return redirect(url_for(".invitations_page", code=code, round_id=round_id))
    page = render_template("manage/invite.html", organisation=assessment.organisation, assessment=assessment,
                           form=form)
    return (page, 400) if form.errors else page


@blueprint.route("/councils/<code>/rounds/<id:round_id>/facilitators", methods=["GET", "POST"])
@login_required
def facilitators_page(code: str, round_id: int) -> ResponseReturnValue:
    """The round's facilitators, and inviting one by email (an existing facilitator's account joins too)."""
    assessment = round_or_404(code, round_id, Action.ASSIGN_FACILITATOR)
    form = FacilitatorForm()
    if form.validate_on_submit():
        session = db.session()
        invitee = Invitee(normalise_email(form.email.data or ""), form.name.data or None, RespondentGroup.OTHER)
        account = session.scalar(select(User).filter_by(email=invitee.email))
        if account is not None and account.active and account.has_role(SiteRole.FACILITATOR):
            # Someone who already facilitates here needs no link: they are assigned, and told so.
            already = any(a.user_id == account.id for a in assessment.assignments)
            assign_facilitator(session, assessment, account, current_user())
            session.commit()
            if already:
                flash(f"{account.name} is already a facilitator of this round.", "success")
            elif _send_or_warn(facilitator_assigned_email(account, assessment, current_user())):
                flash(f"{account.name} is now a facilitator of this round, and has been emailed.", "success")
            return redirect(url_for(".facilitators_page", code=code, round_id=round_id))
        issued = invite(session, assessment, [invitee], current_user(), current_app.config["INVITATION_DAYS"],
                        invited_as=InvitedAs.FACILITATOR)
        session.commit()
        if _send_invitations(issued):
            flash(f"An invitation to facilitate has been sent to {invitee.email}.", "success")
        return redirect(url_for(".facilitators_page", code=code, round_id=round_id))
    pending = db.session().scalars(select(Invitation).filter_by(
        assessment_id=assessment.id, invited_as=InvitedAs.FACILITATOR, used_at=None, revoked_at=None)).all()
    page = render_template("manage/facilitators.html", organisation=assessment.organisation, assessment=assessment,
                           form=form, facilitators=[a.user for a in assessment.assignments], pending=pending)
    return (page, 400) if form.errors else page


@blueprint.route("/councils/<code>/rounds/<id:round_id>/invitations")
@login_required
def invitations_page(code: str, round_id: int) -> str:
    """Every invitation of the round with its state, to resend or revoke."""
    assessment = round_or_404(code, round_id, Action.MANAGE_ROUND)
    invitations = db.session().scalars(select(Invitation).filter_by(assessment_id=assessment.id)
                                       .order_by(Invitation.created_at.desc(), Invitation.email)).all()
    return render_template("manage/invitations.html", organisation=assessment.organisation, assessment=assessment,
                           invitations=[_invitation_row(i) for i in invitations], form=ConfirmForm())


#: An invitation's state in the lead's list.
STATE_NAMES = {"valid": "Pending", "used": "Accepted", "expired": "Expired", "revoked": "Revoked"}


@dataclass(frozen=True)
class InvitationRow:
    """One invitation as the lead's list shows it: who, their group, when sent, until when, its state."""

    invitation: Invitation
    state: str  # the link's state: valid, used, expired or revoked
    name: str
    group: str
    sent: str
    expires: str
    state_name: str


def _invitation_row(invitation: Invitation) -> InvitationRow:
    state = link_state(invitation).value
    return InvitationRow(
        invitation, state, invitation.name or "Not given",
        invitation.group.label if invitation.invited_as == InvitedAs.RESPONDENT else "Facilitator",
        long_date(invitation.sent_at) if invitation.sent_at else "Not sent",
        "–" if state == "used" else long_date(invitation.expires_at),
        STATE_NAMES[state] + (f" on {long_date(invitation.used_at)}" if invitation.used_at else ""))


def _invitation_or_404(assessment: Assessment, invitation_id: int) -> Invitation:
    invitation = db.session().get(Invitation, invitation_id)
    if invitation is None or invitation.assessment_id != assessment.id:
        abort(404)
    return invitation


@blueprint.route("/councils/<code>/rounds/<id:round_id>/invitations/<id:invitation_id>/<any(resend, revoke):what>",
                 methods=["POST"])
@login_required
def change_invitation(code: str, round_id: int, invitation_id: int, what: str) -> ResponseReturnValue:
    """Send an invitation again (with a new link) or revoke it."""
    assessment = round_or_404(code, round_id, Action.VIEW_ROUND)
    invitation = _invitation_or_404(assessment, invitation_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    session = db.session()
    try:
        if what == "resend":
            issued = resend(session, invitation, current_user(), current_app.config["INVITATION_DAYS"])
            session.commit()
            if _send_invitations([issued]):
                flash(f"The invitation to {invitation.email} has been sent again, with a new link.", "success")
        else:
            revoke(session, invitation, current_user())
            session.commit()
            flash(f"The invitation to {invitation.email} has been revoked: its link no longer works.", "success")
    except InvitationRefused as refused:
        session.rollback()
        flash(sentence(str(refused)) + ".", "error")
    target = ".facilitators_page" if invitation.invited_as == InvitedAs.FACILITATOR else ".invitations_page"
    return redirect(url_for(target, code=code, round_id=round_id))


@blueprint.route("/councils/<code>/rounds/<id:round_id>/remind", methods=["GET", "POST"])
@login_required
def remind(code: str, round_id: int) -> ResponseReturnValue:
    """Who a reminder would go to and what each still has to do (GET); send them (POST), each at most once a day."""
    assessment = round_or_404(code, round_id, Action.MANAGE_ROUND)
    session = db.session()
    form = ConfirmForm()
    round_page = url_for(".round_page", code=code, round_id=round_id)
    if request.method == "POST" and not form.validate_on_submit():
        abort(400)
    try:
        if request.method == "GET":
            plan = reminder_plan(session, assessment, current_user())
            return render_template("manage/remind.html", organisation=assessment.organisation,
                                   assessment=assessment, form=form, round_page=round_page,
                                   sending=[item for item in plan if not item.reminded_recently],
                                   held=[item for item in plan if item.reminded_recently])
        due, skipped = people_to_remind(session, assessment, current_user())
    except ValueError as refused:
        session.rollback()
        flash(sentence(str(refused)) + ".", "error")
        return redirect(round_page)
    session.commit()
    sent = sum(_send_or_warn(reminder_email(item, assessment)) for item in due)
    flash(f"{sent} reminder{'s' if sent != 1 else ''} sent"
          + (f"; {skipped} {'person was' if skipped == 1 else 'people were'} reminded in the last day, so not again"
             if skipped else "") + ".", "success")
    return redirect(round_page)


@blueprint.route("/councils/<code>/rounds/<id:round_id>/status/<any('open', 'in-review', 'published', 'closed'):to>",
                 methods=["GET", "POST"])
@login_required
def status_page(code: str, round_id: int, to: str) -> ResponseReturnValue:
    """Confirm a step in the round's life; undoing one asks why, publishing asks how it is shared."""
    assessment = round_or_404(code, round_id, Action.MANAGE_ROUND)
    target = AssessmentStatus(to)
    step = (assessment.status, target)
    if step not in STEPS:
        abort(404)
    undoing, publishing = STEPS[step], target == AssessmentStatus.PUBLISHED
    form = StatusForm()
    if request.method == "GET" and publishing:
        form.sharing.data = assessment.sharing.value
    if form.validate_on_submit():
        session = db.session()
        try:
            change_status(session, assessment, target, current_user(), reason=form.reason.data,
                          sharing=Sharing(form.sharing.data) if publishing and form.sharing.data else None)
        except RoundRefused as refused:
            session.rollback()
            (form.sharing if publishing else form.reason).errors = [sentence(str(refused))]
        else:
            session.commit()
            flash(f"The round is now {target.value.replace('-', ' ')}.", "success")
            if step == (AssessmentStatus.IN_REVIEW, AssessmentStatus.PUBLISHED):  # not a closed round reopened
                tell_participants_of_publication(assessment)
            return redirect(url_for(".round_page", code=code, round_id=round_id))
    page = render_template("manage/status.html", organisation=assessment.organisation, assessment=assessment,
                           form=form, target=target, name=STEP_NAMES[step], explanation=STEP_EXPLANATIONS[step],
                           undoing=undoing, publishing=publishing,
                           withdrawing=step == (AssessmentStatus.PUBLISHED, AssessmentStatus.IN_REVIEW),
                           unfinished=_unfinished(assessment)
                           if step == (AssessmentStatus.OPEN, AssessmentStatus.IN_REVIEW) else None)
    return (page, 400) if form.errors else page


def tell_participants_of_publication(assessment: Assessment) -> int:
    """Email each of the round's participants a link to the council's agreed profile; how many were sent."""
    return sum(_send_or_warn(published_email(participant.user, assessment))
               for participant in participants.participants_of(db.session(), assessment))


def _unfinished(assessment: Assessment) -> str | None:
    """How many of the people asked have not submitted everything, said before answering closes (None: nobody)."""
    people = completion(db.session(), assessment, current_user()).people
    left = sum(not person.finished for person in people)
    if not left:
        return None
    return (f"{left} of the {len(people)} people asked in this round {'has' if left == 1 else 'have'} not submitted "
            "everything yet: once answering closes, they cannot.")
