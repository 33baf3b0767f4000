"""Hand-written visit forms: a new visit, review, and interviews.

The checklist itself is not a WTForms class: its fields are rendered straight from the
checklist definition (``templates/visits/_question.html``) and read back with
:func:`answers_from_form`, so that skip logic, autosave and conflict handling see the same raw
values whether the page was posted by the browser or by the page script.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from wtforms import (
    BooleanField,
    DateField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from monitor.checklists.schema import Checklist, Question, QuestionType, Section
from monitor.db.models import InterviewKind, VisitScope
from monitor.db.models.interview import Urgency
from monitor.services.interviews import code_problem
from monitor.web.i18n import localise

try:  # WTForms 3.3 deprecates (value, label) tuples in favour of SelectChoice
    from wtforms.fields.choices import SelectChoice
except ImportError:  # pragma: no cover - older WTForms
    SelectChoice = None


def choices(pairs: Iterable[tuple[Any, Any]]) -> list[Any]:
    """Field choices from (value, label) pairs, in the form this WTForms version prefers."""
    if SelectChoice is None:
        return list(pairs)
    return [SelectChoice(value, label) for value, label in pairs]

#: Name of the form field that carries a question's answer.
FIELD_PREFIX = "q_"
#: Hidden marker sent once per question rendered (and enabled) on the page.
PRESENT_FIELD = "present"

SCOPE_LABELS = {
    VisitScope.FULL: _l("Full visit: the whole checklist"),
    VisitScope.THEMATIC: _l("Thematic visit: only the sections chosen below"),
    VisitScope.FOLLOW_UP: _l("Follow-up visit: starts from the open recommendations of the "
                             "last visit"),
}
KIND_LABELS = {
    InterviewKind.INDIVIDUAL: _l("Individual (a detained person)"),
    InterviewKind.GROUP: _l("Group of detained people"),
    InterviewKind.STAFF: _l("Staff member"),
    InterviewKind.MANAGEMENT: _l("Management"),
    InterviewKind.EXTERNAL: _l("External (lawyer, doctor, NGO, consulate…)"),
}
URGENCY_LABELS = {
    Urgency.NONE: _l("No follow-up needed"),
    Urgency.LOW: _l("Low"),
    Urgency.MEDIUM: _l("Medium"),
    Urgency.HIGH: _l("High"),
    Urgency.URGENT: _l("Urgent: risk to life or health"),
}


class _Checkboxes(SelectMultipleField):
    """Several choices as a list of labelled tick boxes."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class NewVisitForm(FlaskForm):
    facility = StringField(_l("Facility (public id, e.g. F-7K2Q9X)"),
                           validators=[DataRequired(_l("Give the facility's public id."))])
    start_date = DateField(_l("First day of the visit"),
                           validators=[InputRequired(_l("Give the first day of the visit."))])
    end_date = DateField(_l("Last day of the visit (leave empty for a one-day visit)"),
                         validators=[Optional()])
    announced = RadioField(_l("Was the visit announced to the authorities beforehand?"),
                           choices=choices([("no", _l("Unannounced")), ("yes", _l("Announced"))]),
                           default="no")
    checklist = RadioField(_l("Checklist"), validators=[InputRequired(_l("Choose a checklist."))])
    scope = RadioField(_l("Scope"), choices=choices((k.value, v) for k, v in SCOPE_LABELS.items()),
                       default=VisitScope.FULL.value)
    sections = _Checkboxes(_l("Sections (for a thematic or follow-up visit)"), choices=[],
                           validators=[Optional()])
    team = _Checkboxes(_l("Team members (besides you)"), coerce=int, choices=[],
                       validators=[Optional()])

    def __init__(self, *args: Any, checklists: Iterable[Checklist] = (),
                 team_choices: Iterable[tuple[int, str]] = (), language: str = "en",
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        checklists = list(checklists)
        keys = [f"{c.id}@{c.version}" for c in checklists]
        self.checklist.choices = choices(
            (key, f"{c.title.get(language)} (v{c.version})")
            for key, c in zip(keys, checklists, strict=True))
        if keys and not self.checklist.data:
            self.checklist.data = keys[0]
        seen: dict[str, str] = {}
        for checklist in checklists:
            for section in checklist.sections:
                seen.setdefault(section.id, section.title.get(language))
        self.sections.choices = choices(seen.items())
        self.team.choices = choices(team_choices)

    def validate_end_date(self, field: DateField) -> None:
        if field.data and self.start_date.data and field.data < self.start_date.data:
            raise ValidationError(_l("The visit cannot end before it starts."))

    def validate_sections(self, field: SelectMultipleField) -> None:
        if self.scope.data == VisitScope.THEMATIC.value and not field.data:
            raise ValidationError(_l("Choose at least one section for a thematic visit."))

    def checklist_key(self) -> tuple[str, int]:
        checklist_id, _, version = (self.checklist.data or "").partition("@")
        return checklist_id, int(version or 0)


class ReturnForm(FlaskForm):
    comment = TextAreaField(_l("What should the team change?"),
                            validators=[DataRequired(_l("Say what the team should change.")),
                                        Length(max=5000)])


class AcceptForm(FlaskForm):
    comment = TextAreaField(_l("Comment for the team (optional)"),
                            validators=[Optional(), Length(max=5000)])


class ActionForm(FlaskForm):
    """A button that changes state: only the CSRF token is needed."""


class InterviewForm(FlaskForm):
    code = StringField(_l("Anonymised code"),
                       validators=[Optional(), Length(max=16)],
                       description=_l("Leave empty to get the next free code (I-01, G-01, S-01…). "
                                      "Never a name, initials or a room number."))
    kind = RadioField(_l("Kind of interview"),
                      choices=choices((k.value, v) for k, v in KIND_LABELS.items()),
                      default=InterviewKind.INDIVIDUAL.value)
    language = StringField(_l("Language of the interview"), validators=[Optional(), Length(max=64)])
    interpreter = BooleanField(_l("An interpreter took part"))
    consent_interview = BooleanField(_l("Consents to be interviewed"))
    consent_quote = BooleanField(_l("Consents to be quoted anonymously"))
    consent_referral = BooleanField(_l("Consents to be referred (to a lawyer, doctor, agency)"))
    consent_photo = BooleanField(_l("Consents to photographs"))
    notes = TextAreaField(_l("Notes (confidential, encrypted)"), validators=[Optional()])
    follow_up = BooleanField(_l("Needs follow-up or referral"))
    urgency = SelectField(_l("Urgency"),
                          choices=choices((k.value, v) for k, v in URGENCY_LABELS.items()),
                          default=Urgency.NONE.value)

    def validate_code(self, field: StringField) -> None:
        if field.data and field.data.strip() and code_problem(field.data):
            raise ValidationError(localise(code_problem(field.data)))

    def validate_notes(self, field: TextAreaField) -> None:
        if field.data and field.data.strip() and not self.consent_interview.data:
            raise ValidationError(_l("Notes can only be kept when the person consented to be "
                                     "interviewed. Tick the consent box, or remove the notes."))

    def validate_urgency(self, field: SelectField) -> None:
        if self.follow_up.data and field.data == Urgency.NONE.value:
            raise ValidationError(_l("A follow-up or referral needs an urgency."))


# -- the checklist form: reading posted answers --------------------------------------------------


def section_questions(section: Section) -> list[Question]:
    """Every question of *section* and of its sub-sections, in page order."""
    return [q for s in section.walk() for q in s.questions]


def answers_from_form(form: MultiDict, questions: Iterable[Question]) -> dict[str, Any]:
    """Return question id → raw value for the questions the page sent.

    A question counts as sent when its hidden marker is present; an unticked radio group or
    an empty set of tick boxes then reads as "no answer". Questions whose marker is missing
    (hidden by skip logic in the browser, so their inputs were disabled) are left out, which
    keeps whatever is stored for them.
    """
    present = set(form.getlist(PRESENT_FIELD))
    raw: dict[str, Any] = {}
    for question in questions:
        if question.id not in present or question.is_computed:
            continue
        name = FIELD_PREFIX + question.id
        if question.type is QuestionType.SELECT_MANY:
            raw[question.id] = form.getlist(name)
        else:
            raw[question.id] = form.get(name, "")
    return raw


def display_value(question: Question, value: Any) -> Any:
    """Return a stored (typed) value as the form shows it: text, or a list of codes."""
    if value is None:
        return [] if question.type is QuestionType.SELECT_MANY else ""
    if question.type is QuestionType.SELECT_MANY:
        return list(value) if isinstance(value, (list, tuple)) else str(value).split()
    if isinstance(value, float):
        # The shortest text that reads back as the same number; 3.0 shows as 3.
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    return str(value)


def display_values(questions: Iterable[Question], values: Mapping[str, Any]) -> dict[str, Any]:
    """Apply :func:`display_value` to every question."""
    return {q.id: display_value(q, values.get(q.id)) for q in questions}
