"""Forms of the administration pages: accounts and the audit log filter."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, Length, Optional

from monitor.db.models import Role

ROLE_LABELS = {
    Role.ADMIN: _l("Administrator"),
    Role.COORDINATOR: _l("Coordinator"),
    Role.MONITOR: _l("Monitor"),
    Role.VIEWER: _l("Viewer"),
}


def role_choices() -> list[SelectChoice]:
    return [SelectChoice(role.value, label) for role, label in ROLE_LABELS.items()]


class NewUserForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Email(), Length(max=254)])
    name = StringField(_l("Name (as colleagues know the person)"),
                       validators=[Optional(), Length(max=200)])
    role = SelectField(_l("Role"), choices=role_choices(), validators=[DataRequired()])
    organisation = StringField(
        _l("Organisation"), validators=[DataRequired(), Length(max=200)],
        description=_l("An existing organisation's exact name, or a new one to create."))


class RoleForm(FlaskForm):
    role = SelectField(_l("Role"), choices=role_choices(), validators=[DataRequired()])


class ConfirmForm(FlaskForm):
    """A button that changes an account: only the CSRF token is needed."""
