"""Forms: sign-in, starting a round, and one form per questionnaire section built from its questions."""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from flask import current_app
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from govuk_frontend_wtf.wtforms_widgets import (
    GovCharacterCount,
    GovCheckboxesInput,
    GovCheckboxInput,
    GovDateInput,
    GovFileInput,
    GovPasswordInput,
    GovRadioInput,
    GovSelect,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from markupsafe import Markup
from wtforms import (
    BooleanField,
    DateField,
    Field,
    HiddenField,
    PasswordField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.csrf.core import CSRFTokenField
from wtforms.fields.choices import SelectChoice
from wtforms.utils import unset_value
from wtforms.validators import DataRequired, EqualTo, InputRequired, Length, Optional, ValidationError
from wtforms.widgets import HiddenInput

from assess.answers import CHOSEN, COMMENT_MISSING, NOT_APPLICABLE, AnswerError, coerce_value
from assess.models import RespondentGroup
from assess.services.users import email_problem
from scoring import Answer
from scoring.model import Question, Questionnaire, Section

COMMENT_SUFFIX = "--comment"
NOT_APPLICABLE_SUFFIX = "--not-applicable"
#: Control characters nobody types (NUL, backspace, escape...); tab and line breaks stay.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def without_control_characters(value: Any) -> Any:
    """Text with control characters taken out (PostgreSQL refuses NUL in text); anything else unchanged."""
    return CONTROL_CHARACTERS.sub("", value) if isinstance(value, str) else value


class HiddenWithoutId(HiddenInput):
    """A hidden input with no id: a page with several forms has one CSRF token in each, and nothing points at it."""

    def __call__(self, field: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("id", False)  # (WTForms leaves out an attribute that is False)
        return super().__call__(field, **kwargs)


class ButtonWithoutId(GovSubmitInput):
    """A GOV.UK button with no id, so that several forms on one page never share one (WCAG 4.1.1)."""

    def map_gov_params(self, field: Any, **kwargs: Any) -> dict[str, Any]:
        params: dict[str, Any] = super().map_gov_params(field, **kwargs)
        params["id"] = None
        return params


class Form(FlaskForm):
    """Every form of the service: CSRF-protected, every text field cleaned of control characters, ids unique.

    The CSRF token and the submit button carry no id, so a page may hold any number of forms.
    """

    class Meta:
        def bind_field(self, form: Any, unbound_field: Any, options: dict[str, Any]) -> Any:
            filters = [without_control_characters, *unbound_field.kwargs.get("filters", ())]
            options = {**options, "filters": filters}
            if issubclass(unbound_field.field_class, CSRFTokenField):
                options["widget"] = HiddenWithoutId()
            elif issubclass(unbound_field.field_class, SubmitField):
                options["widget"] = ButtonWithoutId()
            return super().bind_field(form, unbound_field, options)  # type: ignore[misc]


class SignInForm(Form):
    """Email address and password."""

    email = StringField("Email address", widget=GovTextInput(),
                        validators=[InputRequired("Enter your email address"), Length(max=254)])
    password = PasswordField("Password", widget=GovPasswordInput(),
                             validators=[InputRequired("Enter your password"), Length(max=200)])
    submit = SubmitField("Sign in", widget=GovSubmitInput())


class ResetRequestForm(Form):
    """The email address to send a password reset link to."""

    email = StringField("Email address", widget=GovTextInput(),
                        validators=[InputRequired("Enter your email address"), Length(max=254)])
    submit = SubmitField("Send the link", widget=GovSubmitInput())


class NewPasswordForm(Form):
    """A new password, typed twice."""

    new = PasswordField("New password", widget=GovPasswordInput(),
                        description="At least 12 characters. Three random words make a good password.",
                        validators=[InputRequired("Enter a new password"), Length(max=200)])
    confirm = PasswordField("Confirm new password", widget=GovPasswordInput(),
                            validators=[InputRequired("Enter the new password again"),
                                        EqualTo("new", "Enter the same new password twice")])
    submit = SubmitField("Set the new password", widget=GovSubmitInput())


class CodeForm(Form):
    """The 6-digit code an authenticator app shows."""

    code = StringField("Code from your authenticator app", widget=GovTextInput(),
                       description="The 6 digits your app shows now, for example 123456",
                       validators=[InputRequired("Enter the code from your authenticator app"), Length(max=12)])
    submit = SubmitField("Continue", widget=GovSubmitInput())


class ChangePasswordForm(NewPasswordForm):
    """The current password and a new one, typed twice."""

    current = PasswordField("Current password", widget=GovPasswordInput(),
                            validators=[InputRequired("Enter your current password"), Length(max=200)])
    submit = SubmitField("Change password", widget=GovSubmitInput())


def _stripped(text: str | None) -> str | None:
    return text.strip() if text else text


def _usable_email(_form: Form, field: Field) -> None:
    """The services' own test of an email address, so the form and the command line refuse the same ones."""
    if field.data and (problem := email_problem(field.data)):
        raise ValidationError(problem)


class GovDateField(DateField):
    """A date in the GOV.UK pattern (day, month and year boxes), with an error that says what to enter."""

    def __init__(self, label: str, **kwargs: Any) -> None:
        super().__init__(label, format="%d %m %Y", widget=GovDateInput(), validators=[Optional()], **kwargs)

    def process_formdata(self, valuelist: list[str]) -> None:
        if len(valuelist) not in (0, 3):  # the widget always posts day, month and year
            raise ValueError(f"{self.label.text} must be a real date, like 31 3 2027")
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError(f"{self.label.text} must be a real date, like 31 3 2027") from None

    def process(self, formdata: Any, data: Any = unset_value, extra_filters: Any = None) -> None:
        """As DateField, except that the raw data is none or exactly three boxes, as the widget shows them.

        A form posted without this field leaves none; one posted with too few or too many boxes (by hand, never by
        the page) keeps its error and shows the boxes it had, so that the page can be shown again, not fail.
        """
        super().process(formdata, data, extra_filters)
        if not self.raw_data:
            self.raw_data: list[str] | None = None
        elif len(self.raw_data) != 3:
            self.raw_data = [*self.raw_data, "", "", ""][:3]


class RoundForm(Form):
    """A round's details: its name, questionnaires, dates, the groups expected and how comments are shown."""

    title = StringField(
        "Name of the round", widget=GovTextInput(),
        description="For example, ‘Before the 2027 peer challenge’",
        filters=[_stripped],
        validators=[DataRequired("Enter a name for the round"),
                    Length(max=200, message="Use 200 characters or fewer")],
    )
    questionnaires = SelectMultipleField(
        "Which questionnaires should respondents answer?", widget=GovCheckboxesInput(),
        description="Select all that apply",
        validators=[InputRequired("Select at least one questionnaire")],
    )
    opens_on = GovDateField("Opening date (optional)")
    closes_on = GovDateField("Closing date (optional)")
    expected_groups = SelectMultipleField(
        "Whose views are you asking for?", widget=GovCheckboxesInput(), description="Select all that apply",
        choices=[SelectChoice(group.value, group.label) for group in RespondentGroup],
        validators=[InputRequired("Select at least one group")],
    )
    comments_named = RadioField(
        "How should respondents’ comments be shown to the team?", widget=GovRadioInput(),
        choices=[SelectChoice("anonymous", "Without names"), SelectChoice("named", "With each person’s name")],
        default="anonymous", validators=[InputRequired("Choose how comments are shown")],
    )
    submit = SubmitField("Save", widget=GovSubmitInput())

    def validate_closes_on(self, field: DateField) -> None:
        """The closing date cannot come before the opening date."""
        if field.data and self.opens_on.data and field.data < self.opens_on.data:
            raise ValidationError("Closing date must be on or after the opening date")


GROUP_CHOICES = [SelectChoice(group.value, group.label) for group in RespondentGroup]


class InviteForm(Form):
    """People to invite to answer: pasted addresses or a CSV file, and their group."""

    group = RadioField("Which group are they in?", widget=GovRadioInput(), choices=GROUP_CHOICES,
                       validators=[InputRequired("Choose the group of the people you are inviting")])
    addresses = TextAreaField(
        "Email addresses", widget=GovTextArea(),
        description="One a line. You can add a name, like: Jean Evans <jean.evans@example.gov.uk>",
        validators=[Length(max=100_000, message="Paste at most 100,000 characters at once")],
    )
    file = FileField("Or upload a CSV file", widget=GovFileInput(),
                     description="With the columns name, email and group (officer, member or other)")
    submit = SubmitField("Send invitations", widget=GovSubmitInput())


class FacilitatorForm(Form):
    """A facilitator to invite (or assign, if they already have an account) by email."""

    email = StringField("Facilitator’s email address", widget=GovTextInput(), filters=[_stripped],
                        description="Someone who already facilitates here is assigned straight away and told by "
                                    "email; anyone else is sent an invitation",
                        validators=[InputRequired("Enter the facilitator’s email address"), _usable_email])
    name = StringField("Their name (optional)", widget=GovTextInput(), filters=[_stripped],
                       validators=[Length(max=200)])
    submit = SubmitField("Invite the facilitator", widget=GovSubmitInput())


class AddParticipantsForm(Form):
    """Council members to ask in a round: chosen by name, or everyone in some groups."""

    people = SelectMultipleField("Choose people by name", widget=GovCheckboxesInput(),
                                 description="Members of the council who are not asked in this round yet",
                                 validators=[Optional()])
    groups = SelectMultipleField("Or add everyone in a group", widget=GovCheckboxesInput(), choices=GROUP_CHOICES,
                                 description="Every member of the council in the group who is not asked yet",
                                 validators=[Optional()])
    submit = SubmitField("Add to the round", widget=GovSubmitInput())


#: The ways a published round can be shared, as radios.
SHARING_CHOICES = [SelectChoice("private", "Not shared: only the council sees them"),
                   SelectChoice("anonymous", "Shared with the sector without the council’s name"),
                   SelectChoice("named", "Shared with the sector by name")]


class StatusForm(Form):
    """Moving a round on or back: why (when undoing a step), and how it is shared (when publishing)."""

    reason = TextAreaField("Why is this step being undone?", widget=GovTextArea(),
                           validators=[Length(max=2000, message="Use 2,000 characters or fewer")])
    sharing = RadioField("How should the published results be shared?", widget=GovRadioInput(),
                         choices=SHARING_CHOICES, validators=[Optional()])
    submit = SubmitField("Confirm", widget=GovSubmitInput())


class SharingForm(Form):
    """How a published round is shared with the sector, changed on its own."""

    sharing = RadioField("How should the published results be shared?", widget=GovRadioInput(),
                         choices=SHARING_CHOICES, validators=[InputRequired("Choose how the results are shared")])
    submit = SubmitField("Change how the results are shared", widget=GovSubmitInput())


class ReturnForm(Form):
    """A message to a respondent whose submitted answers are handed back."""

    message = TextAreaField("What should they look at again?", widget=GovTextArea(),
                            validators=[InputRequired("Say what the respondent should look at again"),
                                        Length(max=2000, message="Use 2,000 characters or fewer")])
    submit = SubmitField("Return the answers", widget=GovSubmitInput())


class TargetsForm(Form):
    """A target level (or none) for each section of a questionnaire: one radio group a section."""

    submit = SubmitField("Save targets", widget=GovSubmitInput())

    @classmethod
    def for_questionnaire(cls, questionnaire: Questionnaire, current: dict[str, int]) -> TargetsForm:
        """The form for one questionnaire's sections, showing the targets set so far."""
        choices = [SelectChoice(str(level), f"{level}: {questionnaire.label(level)}") for level in questionnaire.levels]
        fields = {
            f"target-{section.id}": RadioField(section.title, widget=GovRadioInput(),
                                               choices=[*choices, SelectChoice("", "No target")],
                                               default=str(current.get(section.id, "")), validators=[Optional()])
            for section in questionnaire.sections
        }
        form_class = type("QuestionnaireTargets", (cls,), fields)
        form: TargetsForm = form_class()
        return form

    def levels(self, questionnaire: Questionnaire) -> dict[str, int | None]:
        """The chosen level of each section (None: no target)."""
        chosen = {section.id: self[f"target-{section.id}"].data for section in questionnaire.sections}
        return {section_id: int(value) if value else None for section_id, value in chosen.items()}


class ActionForm(Form):
    """An improvement action: what, for which section, who owns it, by when and how far it has got."""

    where = SelectField("Which section does it serve?", widget=GovSelect(),
                        validators=[InputRequired("Choose the section the action serves")])
    description = TextAreaField("What will be done?", widget=GovTextArea(), filters=[_stripped],
                                validators=[InputRequired("Say what will be done"),
                                            Length(max=2000, message="Use 2,000 characters or fewer")])
    owner = StringField("Who owns it? (optional)", widget=GovTextInput(), filters=[_stripped],
                        description="A role is better than a name, for example ‘Director of Finance’",
                        validators=[Length(max=200, message="Use 200 characters or fewer")])
    due_on = GovDateField("Due by (optional)")
    status = RadioField("How far has it got?", widget=GovRadioInput(), default="not-started",
                        choices=[SelectChoice("not-started", "Not started"), SelectChoice("in-progress", "In progress"),
                                 SelectChoice("done", "Done")],
                        validators=[InputRequired("Choose how far the action has got")])
    submit = SubmitField("Save the action", widget=GovSubmitInput())


class ConfirmForm(Form):
    """A button that confirms an action (CSRF-protected)."""

    submit = SubmitField("Confirm", widget=GovSubmitInput())


SITE_ROLE_CHOICES = [
    SelectChoice("admin", "Admin: users, councils, the questionnaire library and the audit log"),
    SelectChoice("analyst", "Analyst: published results that councils shared with the sector"),
    SelectChoice("facilitator", "Facilitator: the rounds a council's lead assigns them to"),
]


class SiteRolesForm(Form):
    """The site roles a person holds."""

    roles = SelectMultipleField("Site roles", widget=GovCheckboxesInput(), choices=SITE_ROLE_CHOICES,
                                validate_choice=True)
    submit = SubmitField("Save site roles", widget=GovSubmitInput())


class AccountInviteForm(Form):
    """A new person's name, email address and site roles (an admin invites them to choose a password)."""

    name = StringField("Full name", widget=GovTextInput(), filters=[_stripped],
                       validators=[InputRequired("Enter the person’s full name"),
                                   Length(max=200, message="Use 200 characters or fewer")])
    email = StringField("Email address", widget=GovTextInput(), filters=[_stripped],
                        validators=[InputRequired("Enter the person’s email address"), _usable_email])
    roles = SelectMultipleField("Site roles (optional)", widget=GovCheckboxesInput(), choices=SITE_ROLE_CHOICES,
                                description="Council memberships are added on the person’s page afterwards",
                                validate_choice=True)
    submit = SubmitField("Send the invitation", widget=GovSubmitInput())


class MembershipForm(Form):
    """A council to make a person a member of, with their role and group there."""

    council = SelectField("Council", widget=GovSelect(), validators=[InputRequired("Choose a council")])
    role = RadioField("Role in the council", widget=GovRadioInput(), choices=[
        SelectChoice("respondent", "Respondent: answers the council’s questionnaires"),
        SelectChoice("lead", "Lead: runs the council’s rounds and invites colleagues"),
    ], validators=[InputRequired("Choose their role in the council")])
    group = RadioField("Which group do they answer for?", widget=GovRadioInput(), choices=GROUP_CHOICES,
                       validators=[InputRequired("Choose the group they answer for")])
    submit = SubmitField("Save membership", widget=GovSubmitInput())


class UploadForm(Form):
    """A file to check before anything changes (a register CSV, or a questionnaire YAML with its text)."""

    file = FileField("File", widget=GovFileInput())
    submit = SubmitField("Check the file", widget=GovSubmitInput())


class QuestionnaireUploadForm(UploadForm):
    """A questionnaire file, or its text (which keeps an upload that had problems, to correct and check again)."""

    text = TextAreaField("Or paste the questionnaire’s YAML", widget=GovTextArea(),
                         description="After a check finds problems, the file you uploaded is kept here: correct it "
                                     "and check it again",
                         validators=[Length(max=400_000, message="Use a file of 400,000 characters or fewer")])
    #: The uploaded file's name, kept with its text so that problems still name it.
    name = HiddenField(validators=[Length(max=100)])


class HeldUploadForm(Form):
    """The upload a preview showed, signed so that it comes back unchanged, to import on confirmation."""

    upload = HiddenField(validators=[InputRequired()])
    submit = SubmitField("Import these councils", widget=GovSubmitInput())


class NewAccountForm(Form):
    """A name and a password, for a person accepting an invitation without an account (GOV.UK pattern)."""

    name = StringField("Full name", widget=GovTextInput(), filters=[_stripped],
                       validators=[InputRequired("Enter your full name"), Length(max=200)])
    password = PasswordField("Create a password", widget=GovPasswordInput(),
                             description="Use 12 characters or more. A good way to make a strong password is to "
                                         "use 3 random words.",
                             validators=[InputRequired("Create a password")])
    confirm = PasswordField("Confirm password", widget=GovPasswordInput(),
                            validators=[InputRequired("Confirm your password"),
                                        EqualTo("password", "Passwords must match")])
    submit = SubmitField("Create account and join", widget=GovSubmitInput())


class PasswordForm(Form):
    """The password of an existing account, to accept an invitation with it."""

    password = PasswordField("Password", widget=GovPasswordInput(),
                             validators=[InputRequired("Enter your password"), Length(max=200)])
    submit = SubmitField("Sign in and join", widget=GovSubmitInput())


class SectionForm(Form):
    """Base of the forms built for each section; lock_version detects edits made elsewhere meanwhile."""

    lock_version = HiddenField()


NOT_APPLICABLE_TEXT = "Not applicable to our council"


#: Each govuk-frontend-wtf template's GOV.UK macro: its component folder and name.
MACROS = {"radios": ("radios", "govukRadios"), "checkboxes": ("checkboxes", "govukCheckboxes"),
          "input": ("input", "govukInput"), "charactercount": ("character-count", "govukCharacterCount"),
          "textarea": ("textarea", "govukTextarea")}


@lru_cache(maxsize=4096)
def _rendered(component: str, params: str) -> Markup:
    """A GOV.UK macro's HTML for its parameters (as JSON), called directly and remembered.

    The same question with the same answer (and error) always gives the same HTML, and question
    pages show the same few over and over: most fields are rendered once per worker.
    """
    folder, name = MACROS[component]
    module = current_app.jinja_env.get_template(f"govuk_frontend_jinja/components/{folder}/macro.html").module
    return Markup(getattr(module, name)(json.loads(params)))


@dataclass(frozen=True)
class MacroCall:
    """A question page's field as the GOV.UK macro that shows it and the macro's parameters."""

    component: str  # the govuk-frontend-wtf template's name: radios, checkboxes, input, charactercount, textarea
    params: dict[str, Any]

    def __html__(self) -> str:
        """The field's HTML: what govuk-frontend-wtf renders, without a template render of its own each time."""
        return str(_rendered(self.component, json.dumps(self.params, sort_keys=True)))

    __str__ = __html__


class _InPage:
    """A widget whose field the page's own template shows, calling the GOV.UK macro itself.

    govuk-frontend-wtf renders each field through a template of its own (with Flask's context
    processors run again each time): about half a question page's time. This keeps its mapping of a
    field to the macro's parameters and calls the macro directly (see MacroCall).
    """

    template: str

    def render(self, params: dict[str, Any]) -> MacroCall:
        return MacroCall(self.template.rsplit("/", 1)[-1].removesuffix(".html"), params)


class _NotApplicableLast:
    """Puts the "not applicable" choice last, after an "or" divider (the GOV.UK pattern for "none of these")."""

    exclusive = False

    def map_gov_params(self, field: Any, **kwargs: Any) -> Any:
        params = super().map_gov_params(field, **kwargs)  # type: ignore[misc]
        items = params["items"]
        for index, item in enumerate(items):
            if item.get("value") == NOT_APPLICABLE:
                if self.exclusive:
                    item["behaviour"] = "exclusive"  # ticking it unticks the others, and the other way round
                items.insert(index, {"divider": "or"})
                break
        return params


class RadiosWithNotApplicable(_NotApplicableLast, _InPage, GovRadioInput):
    """Radios whose last choice, after "or", is "not applicable"."""


class CheckboxesWithNotApplicable(_NotApplicableLast, _InPage, GovCheckboxesInput):
    """Checkboxes whose last, exclusive choice, after "or", is "not applicable"."""

    exclusive = True


class InPageTextInput(_InPage, GovTextInput):
    """A number's text input, shown by the page's template."""


class InPageCharacterCount(_InPage, GovCharacterCount):
    """A text answer with its character count, shown by the page's template."""


class InPageTextArea(_InPage, GovTextArea):
    """A comment box, shown by the page's template."""


class InPageCheckbox(_InPage, GovCheckboxInput):
    """A "not applicable" checkbox, shown by the page's template."""


def _answer_field(question: Question) -> Field:
    description = question.hint or ""
    not_applicable = [SelectChoice(NOT_APPLICABLE, NOT_APPLICABLE_TEXT)] if question.not_applicable else []
    radios = RadiosWithNotApplicable()
    if question.type == "level":
        choices = [SelectChoice(str(level), text) for level, text in sorted(question.statements.items())]
        return RadioField(question.text, choices=choices + not_applicable, description=description, widget=radios,
                          validators=[Optional()])
    if question.type == "yes-no":
        return RadioField(question.text, choices=[SelectChoice("yes", "Yes"), SelectChoice("no", "No"),
                                                  *not_applicable],
                          description=description, widget=radios, validators=[Optional()])
    if question.type == "choice":
        return RadioField(question.text, choices=_options(question) + not_applicable,
                          description=description, widget=radios, validators=[Optional()])
    if question.type == "multi-choice":
        return SelectMultipleField(question.text, choices=_options(question) + not_applicable,
                                   description=description or "Select all that apply",
                                   widget=CheckboxesWithNotApplicable(), validators=[Optional()])
    if question.type == "number":
        return StringField(question.text, description=description, widget=InPageTextInput())
    return TextAreaField(question.text, description=description, widget=InPageCharacterCount())


def _options(question: Question) -> list[SelectChoice]:
    return [SelectChoice(o.value, o.label) for o in question.options]


def section_form_class(section: Section, agreeing: bool = False) -> type[SectionForm]:
    """A form class with, for each question: the answer ("not applicable" among its choices) and a comment.

    For the team's agreed answers (``agreeing``) every question has a note of why it was agreed.
    """
    fields: dict[str, Any] = {}
    for question in section.questions:
        fields[question.id] = _answer_field(question)
        if question.not_applicable and question.type not in CHOSEN:
            # A number or text has no list to add "not applicable" to: it gets a checkbox of its own.
            fields[question.id + NOT_APPLICABLE_SUFFIX] = BooleanField(NOT_APPLICABLE_TEXT, widget=InPageCheckbox())
        if question.comment != "none" or agreeing:
            label = "Why the team agreed this (optional)" if agreeing and question.comment != "required" else {
                "optional": "Comment or evidence (optional)"}.get(question.comment, "Comment or evidence")
            fields[question.id + COMMENT_SUFFIX] = TextAreaField(
                label, widget=InPageTextArea(),
                validators=[Length(max=5000, message="Comment or evidence must be 5,000 characters or fewer")])
    return type(f"Section_{section.id}", (SectionForm,), fields)


def fill_form(form: SectionForm, section: Section, answers: dict[str, Answer]) -> None:
    """Show the stored answers in a freshly built (not posted) form."""
    for question in section.questions:
        answer = answers.get(question.id)
        if answer is None:
            continue
        value = answer.value
        if answer.not_applicable and question.type in CHOSEN:
            form[question.id].data = [NOT_APPLICABLE] if question.type == "multi-choice" else NOT_APPLICABLE
        else:
            form[question.id].data = (
                list(value) if isinstance(value, tuple) else (str(value) if value is not None else None)
            )
        if question.not_applicable and question.type not in CHOSEN:
            form[question.id + NOT_APPLICABLE_SUFFIX].data = answer.not_applicable
        if question.id + COMMENT_SUFFIX in form:
            form[question.id + COMMENT_SUFFIX].data = answer.comment or ""


def _not_applicable(form: SectionForm, question: Question) -> bool:
    """Whether the person chose "not applicable" (an error if they also chose something else)."""
    if not question.not_applicable:
        return False
    if question.type not in CHOSEN:
        return bool(form[question.id + NOT_APPLICABLE_SUFFIX].data)
    data = form[question.id].data
    if question.type != "multi-choice":
        return bool(data == NOT_APPLICABLE)
    if NOT_APPLICABLE in (data or []) and len(data) > 1:
        raise AnswerError(f"select the options that apply, or ‘{NOT_APPLICABLE_TEXT}’, not both")
    return NOT_APPLICABLE in (data or [])


def read_form(form: SectionForm, section: Section, skip: Collection[str] = ()) -> dict[str, Answer]:
    """The section's answers from a posted form; bad values become field errors (nothing is dropped).

    Questions in ``skip`` were not on the page (hidden by an earlier answer) and keep what they had. What is
    missing (an answer, a required comment) is no error here: it is saved as it is, and `mark_missing` says so
    when the section is completed.
    """
    answers: dict[str, Answer] = {}
    for question in section.questions:
        if question.id in skip:
            continue
        field = form[question.id]
        comment = form[question.id + COMMENT_SUFFIX].data if question.id + COMMENT_SUFFIX in form else None
        try:
            answer = _read_answer(form, question, field.data, comment)
        except AnswerError as error:
            field.errors = [*field.errors, sentence(str(error))]
            continue
        answers[question.id] = answer
    return answers


def mark_missing(form: SectionForm, section: Section, missing: Sequence[tuple[str, str]]) -> None:
    """Put each missing answer or comment (from services.responses.missing_in_section) on its field, in full."""
    questions = {q.id: q for q in section.questions}
    for question_id, reason in missing:
        text = questions[question_id].text
        if reason == COMMENT_MISSING and question_id + COMMENT_SUFFIX in form:
            form[question_id + COMMENT_SUFFIX].errors = [f"Add a comment or evidence for your answer to ‘{text}’"]
        else:
            form[question_id].errors = [f"Answer ‘{text}’"]


def _read_answer(form: SectionForm, question: Question, raw: Any, comment: str | None) -> Answer:
    if _not_applicable(form, question):
        return Answer(not_applicable=True, comment=comment)
    if raw in (None, "", []) or (isinstance(raw, str) and not raw.strip()):
        return Answer(None, comment=comment)
    return Answer(coerce_value(question, raw), comment=comment)


def sentence(message: str) -> str:
    """A message as a sentence: its first letter a capital, the rest as written (names keep their capitals)."""
    return message[:1].upper() + message[1:]
