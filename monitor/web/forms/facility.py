"""The facility create/edit form and the merge form."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DecimalField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from monitor.db.models import FacilityStatus, FacilityType, OperatorKind
from monitor.services.facilities import FacilityData, country_choices

TYPE_LABELS = {
    FacilityType.IMMIGRATION_DETENTION_CENTRE: _l("Dedicated immigration detention centre"),
    FacilityType.PRISON: _l("Prison or jail holding migrants"),
    FacilityType.POLICE_STATION: _l("Police station"),
    FacilityType.TRANSIT_ZONE: _l("Airport or port transit zone"),
    FacilityType.BORDER_POST: _l("Border holding post"),
    FacilityType.CLOSED_RECEPTION_CENTRE: _l("Closed reception or asylum centre"),
    FacilityType.CHILDREN_SHELTER: _l("Children's shelter"),
    FacilityType.OTHER: _l("Other"),
}
STATUS_LABELS = {
    FacilityStatus.IN_USE: _l("In use"),
    FacilityStatus.CLOSED: _l("Closed"),
    FacilityStatus.UNKNOWN: _l("Unknown"),
}
OPERATOR_LABELS = {
    OperatorKind.PUBLIC: _l("Public authority"),
    OperatorKind.PRIVATE: _l("Private contractor"),
    OperatorKind.UNKNOWN: _l("Unknown"),
}


class FacilityForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=300)])
    other_names = TextAreaField(_l("Other names (one per line: aliases, former names, names in other languages)"),
                                validators=[Optional()])
    country = SelectField(_l("Country"), validators=[DataRequired()])
    admin_area = StringField(_l("State, province or region"), validators=[Optional(), Length(max=200)])
    locality = StringField(_l("Town or city"), validators=[Optional(), Length(max=200)])
    latitude = DecimalField(_l("Latitude"), places=None,
                            validators=[Optional(), NumberRange(-90, 90, _l("Latitude must be between -90 and 90."))])
    longitude = DecimalField(_l("Longitude"), places=None,
                             validators=[Optional(), NumberRange(-180, 180, _l("Longitude must be between -180 and 180."))])
    type = SelectField(_l("Type of facility"), choices=[SelectChoice(k.value, v) for k, v in TYPE_LABELS.items()])
    operator_kind = SelectField(_l("Run by"), choices=[SelectChoice(k.value, v) for k, v in OPERATOR_LABELS.items()])
    operator_name = StringField(_l("Operator (authority or company)"), validators=[Optional(), Length(max=300)])
    capacity = IntegerField(_l("Official capacity"),
                            validators=[Optional(), NumberRange(min=0, message=_l("Capacity cannot be negative."))])
    status = SelectField(_l("Status"), choices=[SelectChoice(k.value, v) for k, v in STATUS_LABELS.items()])
    notes = TextAreaField(_l("Notes (internal)"), validators=[Optional()])

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.country.choices = [SelectChoice("", "—")] + [SelectChoice(c, n) for c, n in country_choices()]

    def validate_longitude(self, field) -> None:
        if (field.data is None) != (self.latitude.data is None):
            raise ValidationError(_l("Give both latitude and longitude, or neither."))

    def to_data(self) -> FacilityData:
        return FacilityData(
            name=self.name.data or "",
            country=self.country.data or "",
            type=self.type.data,
            admin_area=self.admin_area.data,
            locality=self.locality.data,
            latitude=float(self.latitude.data) if self.latitude.data is not None else None,
            longitude=float(self.longitude.data) if self.longitude.data is not None else None,
            operator_kind=self.operator_kind.data,
            operator_name=self.operator_name.data,
            capacity=self.capacity.data,
            status=self.status.data,
            notes=self.notes.data,
            other_names=tuple(line.strip() for line in (self.other_names.data or "").splitlines()),
        )


class MergeForm(FlaskForm):
    keep = StringField(_l("Public id of the record to keep (e.g. F-7K2Q9X)"), validators=[DataRequired()])
