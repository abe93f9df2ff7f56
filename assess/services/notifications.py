"""The emails the service sends: invitations, reminders and returned answers, each from its templates."""

from __future__ import annotations

from flask import current_app

from assess.mail import Email, compose, external_url
from assess.models import Assessment, InvitedAs, Response, User
from assess.services.completion import ReminderDue
from assess.services.invitations import Issued
from assess.services.passwords import IssuedReset
from assess.services.rounds import SHARING_NAMES


def invitation_email(issued: Issued, inviter: User) -> Email:
    """The email carrying an invitation's link (the only place the token ever appears)."""
    invitation = issued.invitation
    assessment = invitation.assessment
    facilitating = invitation.invited_as == InvitedAs.FACILITATOR
    return compose(
        "invitation", invitation.email,
        f"{'Facilitate' if facilitating else 'Take part in'} {assessment.organisation.name}’s self-assessment",
        name=invitation.name, council=assessment.organisation.name, round=assessment.title,
        facilitating=facilitating, inviter=inviter.name, expires=invitation.expires_at,
        closes_on=assessment.closes_on,
        questionnaires=[link.questionnaire_version.title for link in assessment.questionnaires],
        link=external_url("invitations.accept_page", token=issued.token),
    )


def reminder_email(due: ReminderDue, assessment: Assessment) -> Email:
    """A reminder to a participant who has not submitted everything in a round, naming what they still have to do."""
    user = due.user
    return compose(
        "reminder", user.email, f"Reminder: {assessment.organisation.name}’s self-assessment", name=user.name,
        council=assessment.organisation.name, round=assessment.title, closes_on=assessment.closes_on,
        unfinished=due.unfinished,
        link=external_url("respond.round_tasks", code=assessment.organisation.code, round_id=assessment.id),
    )


def published_email(user: User, assessment: Assessment) -> Email:
    """Telling a participant that the council's agreed results are published, with a link to its agreed profile."""
    return compose(
        "published", user.email, f"{assessment.organisation.name}’s self-assessment results are published",
        name=user.name, council=assessment.organisation.name, round=assessment.title,
        sharing=SHARING_NAMES[assessment.sharing],
        link=external_url("respond.profile", code=assessment.organisation.code, round_id=assessment.id),
    )


def facilitator_assigned_email(facilitator: User, assessment: Assessment, by: User) -> Email:
    """Telling a facilitator with an account that they have been assigned to a round, with its link."""
    return compose(
        "facilitator_assigned", facilitator.email, f"Facilitate {assessment.organisation.name}’s self-assessment",
        name=facilitator.name, council=assessment.organisation.name, round=assessment.title, assigned_by=by.name,
        link=external_url("manage.round_page", code=assessment.organisation.code, round_id=assessment.id),
    )


def returned_email(response: Response, respondent: User, by: User) -> Email:
    """Telling a respondent that their answers came back to them for changes, and why."""
    assessment = response.assessment
    return compose(
        "returned", respondent.email, "Your answers have been returned for changes", name=respondent.name,
        council=assessment.organisation.name, round=assessment.title,
        questionnaire=response.questionnaire_version.title, message=response.returned_message, returned_by=by.name,
        link=external_url("respond.round_tasks", code=assessment.organisation.code, round_id=assessment.id),
    )


def password_reset_email(issued: IssuedReset, minutes: int) -> Email:
    """The email carrying a password reset link (the only place its token ever appears)."""
    user = issued.reset.user
    return compose("password_reset", user.email, "Reset your password", name=user.name, minutes=minutes,
                   link=external_url("auth.reset_page", token=issued.token))


def security_change_email(user: User, change: str) -> Email:
    """Telling a person that their password or two-factor sign-in changed, in case it was not them."""
    return compose("security_change", user.email, "A change to how you sign in", name=user.name, change=change,
                   link=external_url("auth.reset_request_page"))


def account_invitation_email(issued: IssuedReset, inviter: User, days: int) -> Email:
    """The email inviting a person to a new account: its link lets them choose a password (once, for some days)."""
    user = issued.reset.user
    return compose("account_invitation", user.email, f"You have an account on {current_app.config['SERVICE_NAME']}",
                   name=user.name, inviter=inviter.name, days=days, roles=user.site_roles,
                   link=external_url("auth.reset_page", token=issued.token))
