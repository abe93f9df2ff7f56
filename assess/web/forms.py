"""Forms: sign-in, starting a round, and one form per questionnaire section built from its questions."""

from __future__ import annotations

import re
from collections.abc import Collection
from typing import Any

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovCharacterCount,
    GovCheckboxesInput,
    GovCheckboxInput,
    GovPasswordInput,
    GovRadioInput,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from wtforms import (
    BooleanField,
    Field,
    HiddenField,
    PasswordField,
    RadioField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from assess.answers import AnswerError, coerce_value
from scoring import Answer
from scoring.model import Question, Section

COMMENT_SUFFIX = "--comment"
NOT_APPLICABLE_SUFFIX = "--not-applicable"
#: Control characters nobody types (NUL, backspace, escape...); tab and line breaks stay.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def without_control_characters(value: Any) -> Any:
    """Text with control characters taken out (PostgreSQL refuses NUL in text); anything else unchanged."""
    return CONTROL_CHARACTERS.sub("", value) if isinstance(value, str) else value


class Form(FlaskForm):
    """Every form of the service: CSRF-protected, and every text field cleaned of control characters."""

    class Meta:
        def bind_field(self, form: Any, unbound_field: Any, options: dict[str, Any]) -> Any:
            filters = [without_control_characters, *unbound_field.kwargs.get("filters", ())]
            return super().bind_field(form, unbound_field, {**options, "filters": filters})  # type: ignore[misc]


class SignInForm(Form):
    """Email address and password."""

    email = StringField("Email address", widget=GovTextInput(),
                        validators=[InputRequired("Enter your email address"), Length(max=254)])
    password = PasswordField("Password", widget=GovPasswordInput(),
                             validators=[InputRequired("Enter your password"), Length(max=200)])
    submit = SubmitField("Sign in", widget=GovSubmitInput())


class NewRoundForm(Form):
    """A new assessment round: its name and questionnaires."""

    title = StringField(
        "Name of the round", widget=GovTextInput(),
        description="For example, ‘Before the 2027 peer challenge’",
        filters=[lambda text: text.strip() if text else text],
        validators=[DataRequired("Enter a name for the round"),
                    Length(max=200, message="Use 200 characters or fewer")],
    )
    questionnaires = SelectMultipleField(
        "Which questionnaires should respondents answer?", widget=GovCheckboxesInput(),
        description="Select all that apply",
        validators=[InputRequired("Select at least one questionnaire")],
    )
    submit = SubmitField("Start the round", widget=GovSubmitInput())


class SectionForm(Form):
    """Base of the forms built for each section; lock_version detects edits made elsewhere meanwhile."""

    lock_version = HiddenField()


def _answer_field(question: Question) -> Field:
    description = question.hint or ""
    if question.type == "level":
        choices = [SelectChoice(str(level), text) for level, text in sorted(question.statements.items())]
        return RadioField(question.text, choices=choices, description=description, widget=GovRadioInput(),
                          validators=[Optional()])
    if question.type == "yes-no":
        return RadioField(question.text, choices=[SelectChoice("yes", "Yes"), SelectChoice("no", "No")],
                          description=description, widget=GovRadioInput(), validators=[Optional()])
    if question.type == "choice":
        return RadioField(question.text, choices=_options(question),
                          description=description, widget=GovRadioInput(), validators=[Optional()])
    if question.type == "multi-choice":
        return SelectMultipleField(question.text, choices=_options(question),
                                   description=description or "Select all that apply", widget=GovCheckboxesInput(),
                                   validators=[Optional()])
    if question.type == "number":
        return StringField(question.text, description=description, widget=GovTextInput())
    return TextAreaField(question.text, description=description, widget=GovCharacterCount())


def _options(question: Question) -> list[SelectChoice]:
    return [SelectChoice(o.value, o.label) for o in question.options]


def section_form_class(section: Section) -> type[SectionForm]:
    """A form class with, for each question: the answer, 'not applicable' and a comment where offered."""
    fields: dict[str, Any] = {}
    for question in section.questions:
        fields[question.id] = _answer_field(question)
        if question.not_applicable:
            fields[question.id + NOT_APPLICABLE_SUFFIX] = BooleanField(
                "Not applicable to our council", widget=GovCheckboxInput())
        if question.comment != "none":
            optional = " (optional)" if question.comment == "optional" else ""
            fields[question.id + COMMENT_SUFFIX] = TextAreaField(
                f"Comment or evidence{optional}", widget=GovTextArea(),
                validators=[Length(max=5000, message="Comment or evidence must be 5,000 characters or fewer")])
    return type(f"Section_{section.id}", (SectionForm,), fields)


def fill_form(form: SectionForm, section: Section, answers: dict[str, Answer]) -> None:
    """Show the stored answers in a freshly built (not posted) form."""
    for question in section.questions:
        answer = answers.get(question.id)
        if answer is None:
            continue
        value = answer.value
        form[question.id].data = (
            list(value) if isinstance(value, tuple) else (str(value) if value is not None else None)
        )
        if question.not_applicable:
            form[question.id + NOT_APPLICABLE_SUFFIX].data = answer.not_applicable
        if question.comment != "none":
            form[question.id + COMMENT_SUFFIX].data = answer.comment or ""


def read_form(form: SectionForm, section: Section, skip: Collection[str] = ()) -> dict[str, Answer]:
    """The section's answers from a posted form; bad values become field errors (nothing is dropped).

    Questions in ``skip`` were not on the page (hidden by an earlier answer) and keep what they had.
    """
    answers: dict[str, Answer] = {}
    for question in section.questions:
        if question.id in skip:
            continue
        field = form[question.id]
        comment = form[question.id + COMMENT_SUFFIX].data if question.comment != "none" else None
        if question.not_applicable and form[question.id + NOT_APPLICABLE_SUFFIX].data:
            answers[question.id] = Answer(not_applicable=True, comment=comment)
            continue
        raw = field.data
        if raw in (None, "", []) or (isinstance(raw, str) and not raw.strip()):
            answers[question.id] = Answer(None, comment=comment)
            continue
        try:
            answers[question.id] = Answer(coerce_value(question, raw), comment=comment)
        except AnswerError as error:
            field.errors = [*field.errors, _sentence(str(error))]
    return answers


def _sentence(message: str) -> str:
    return message[:1].upper() + message[1:]
