"""WTForms for the clinic registry pages: list filters, the clinic form and the CSV upload.

The rules themselves live in one place each (denmark.py, hours.py, schemas.py); the clinic
form checks its data against ClinicInSchema after its own checks, so anything it accepts the
API would accept too.
"""

import uuid

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    FloatField,
    HiddenField,
    SearchField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional, StopValidation, ValidationError
from wtforms.widgets import TextInput

from outreach import phones, vocabulary
from outreach.clinics import hours
from outreach.clinics.models import CLINIC_KINDS, CLINIC_STATUSES, WEEKDAYS
from outreach.clinics.queries import ClinicFilters
from outreach.clinics.schemas import ClinicInSchema
from outreach.denmark import in_denmark, is_valid_postcode
from outreach.i18n import FlaskForm
from outreach.inputs import HAPPENED_DAY, InRange
from outreach.orgs.models import REGION_NAMES, REGION_SLUGS

DAY_NAMES = vocabulary.labels(vocabulary.WEEKDAYS)


def _kind_choices():
    return vocabulary.choices(CLINIC_KINDS)


class ClinicFilterForm(FlaskForm):
    """The list's filters, read from the query string (the same names as the API's)."""

    class Meta:
        csrf = False  # a GET form that changes nothing

    q = SearchField(_l("Search"), validators=[Optional(), Length(max=100)])
    region = SelectField(_l("Region"), validators=[Optional()])
    kind = SelectField(_l("Kind"), validators=[Optional()])
    status = SelectField(_l("Status"), validators=[Optional()])
    not_visited_since = DateField(
        _l("Not visited since"), validators=[Optional(), InRange(HAPPENED_DAY)]
    )

    def __init__(self, formdata, regions: list[str]):
        super().__init__(formdata=formdata)
        self.region.choices = [("", _l("All regions"))] + [
            (slug, REGION_NAMES[slug]) for slug in regions
        ]
        self.kind.choices = [("", _l("All kinds"))] + _kind_choices()
        self.status.choices = [("", _l("All statuses"))] + vocabulary.choices(CLINIC_STATUSES)
        self.validate()  # once: filters() leaves out whatever is not valid

    def filters(self) -> ClinicFilters:
        """The valid filters; a field with an error filters nothing (and shows its error)."""

        def value(field):
            return None if field.errors or field.data in ("", None) else field.data

        q = value(self.q)
        return ClinicFilters(
            region=value(self.region),
            kind=value(self.kind),
            status=value(self.status),
            q=q.strip() or None if q else None,
            not_visited_since=value(self.not_visited_since),
        )

    def active_args(self) -> dict:
        """The query-string arguments that filter something, for links that keep them."""
        filters = self.filters()
        args = {
            "q": filters.q,
            "region": filters.region,
            "kind": filters.kind,
            "status": filters.status,
            "not_visited_since": (
                filters.not_visited_since.isoformat() if filters.not_visited_since else None
            ),
        }
        return {key: value for key, value in args.items() if value}


class CoordinateField(FloatField):
    """A latitude or longitude; empty is None, and a Danish decimal comma is accepted (so a
    text input: a number input would drop "56,157" in some browsers)."""

    widget = TextInput()

    def process_formdata(self, valuelist):
        if not valuelist:
            return
        text = valuelist[0].strip().replace(",", ".")
        if not text:
            self.data = None
            return
        try:
            self.data = float(text)
        except ValueError:
            self.data = None
            raise ValueError(_("Write a number such as 56.1572.")) from None


class DayHoursField(StringField):
    """One weekday's opening hours as text: "10:00-14:00, 16:00-22:00"; empty is closed;
    "22:00-02:00" runs past midnight into the next day."""

    intervals: list | None = None

    def pre_validate(self, form):
        self.intervals = None
        if form.hours_unknown.data:
            raise StopValidation()  # the hours are not known: what is typed here is ignored
        try:
            self.intervals = hours.parse_day(self.data, closed_words=(_("closed"),))
        except hours.HoursSyntaxError as exc:
            raise StopValidation(
                _("Write the hours like 10:00-14:00, 16:00-22:00, or leave empty when closed.")
            ) from exc
        # An interval past midnight (22:00-02:00) is checked as the two it is stored as.
        same_day, after_midnight = hours.split_day(self.intervals)
        problems = hours.day_errors(same_day) + hours.day_errors(after_midnight)
        if problems:
            self.intervals = None
            raise StopValidation(" ".join(problems))


def _postcode(form, field):
    if field.data and not is_valid_postcode(field.data):
        raise ValidationError(_("Not a postcode of a Danish region (four digits, e.g. 8000)."))


def _phone(form, field):
    try:
        phones.normalise(field.data)
    except phones.InvalidPhone as error:
        raise ValidationError(_(str(error))) from None


def _e164(text: str | None) -> str | None:
    """A typed number in E.164 (what is stored), or as typed when it is none (refused)."""
    try:
        return phones.normalise(text) if text else None
    except phones.InvalidPhone:
        return text


# Where ClinicInSchema's field names show up in the form.
_SCHEMA_FIELDS = {
    "name": "name",
    "kind": "kind",
    "address": "address",
    "postcode": "postcode",
    "city": "city",
    "lat": "lat",
    "lon": "lon",
    "region": "region",
    "opening_hours": "hours_unknown",
    "status": "status",
    "notes": "notes",
    "phone": "phone",
}


class ClinicForm(FlaskForm):
    """Create or edit a clinic. `version` is the ETag the page was built from, so a save
    over someone else's change is noticed; `clinic_id` makes a double submit harmless."""

    clinic_id = HiddenField()
    version = HiddenField()
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    kind = SelectField(_l("Kind"), choices=_kind_choices, default="massage_clinic")
    address = StringField(_l("Street address"), validators=[Optional(), Length(max=200)])
    postcode = StringField(_l("Postcode"), validators=[Optional(), _postcode])
    city = StringField(_l("Town"), validators=[Optional(), Length(max=100)])
    lat = CoordinateField(_l("Latitude"))
    lon = CoordinateField(_l("Longitude"))
    region = SelectField(_l("Region"))
    status = SelectField(_l("Status"), default="active")
    notes = TextAreaField(_l("Notes"), validators=[Optional(), Length(max=5000)])
    phone = StringField(_l("Phone number"), validators=[Optional(), _phone])
    hours_unknown = BooleanField(_l("Opening hours are not known"))
    hours_mon = DayHoursField(DAY_NAMES["mon"])
    hours_tue = DayHoursField(DAY_NAMES["tue"])
    hours_wed = DayHoursField(DAY_NAMES["wed"])
    hours_thu = DayHoursField(DAY_NAMES["thu"])
    hours_fri = DayHoursField(DAY_NAMES["fri"])
    hours_sat = DayHoursField(DAY_NAMES["sat"])
    hours_sun = DayHoursField(DAY_NAMES["sun"])

    def __init__(self, *args, may_close: bool, current_status: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.region.choices = [("", _l("Automatic"))]
        self.region.choices += [(slug, REGION_NAMES[slug]) for slug in REGION_SLUGS]
        # Only coordinators close clinics; a nurse keeps "closed" only where it already is.
        allowed = [
            s for s in CLINIC_STATUSES if s != "closed" or may_close or current_status == "closed"
        ]
        self.status.choices = vocabulary.choices(CLINIC_STATUSES, only=allowed)
        if not self.clinic_id.data:
            self.clinic_id.data = str(uuid.uuid4())

    def day_fields(self):
        return [(day, getattr(self, f"hours_{day}")) for day in WEEKDAYS]

    @classmethod
    def for_clinic(cls, clinic, *, may_close: bool, version: str):
        """The form filled from a stored clinic, as the user would type it."""
        form = cls(may_close=may_close, current_status=clinic.status)
        for name in ("name", "kind", "address", "postcode", "city", "status", "notes", "phone"):
            getattr(form, name).data = getattr(clinic, name)
        if clinic.geocode_status == "manual":
            form.lat.data, form.lon.data = clinic.lat, clinic.lon
        # Looked-up coordinates are not the user's: left empty, so a new address is looked up.
        form.region.data = clinic.region_slug if clinic.region_source == "manual" else ""
        form.hours_unknown.data = clinic.opening_hours is None
        texts = hours.week_texts(clinic.opening_hours)
        for day, field in form.day_fields():
            field.data = texts[day]
        form.clinic_id.data = str(clinic.id)
        form.version.data = version
        return form

    def validate_lat(self, field):
        lat, lon = self.lat.data, self.lon.data
        if self.lat.process_errors or self.lon.process_errors:
            return  # not numbers: said already
        if (lat is None) != (lon is None):
            raise ValidationError(_("Give both latitude and longitude, or neither."))
        if lat is not None and not in_denmark(lat, lon):
            raise ValidationError(
                _("These coordinates are outside Denmark. Are latitude and longitude swapped?")
            )

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if not valid:
            return False
        # The API's schema has the last word: one set of rules for every way in.
        problems = ClinicInSchema().validate(self.clinic_data())
        for key, messages in problems.items():
            field = getattr(self, _SCHEMA_FIELDS.get(key, "name"))
            field.errors = list(field.errors) + [
                str(m) for m in (messages if isinstance(messages, list) else [messages])
            ]
        return not problems

    def clinic_uuid(self) -> uuid.UUID:
        try:
            return uuid.UUID(self.clinic_id.data)
        except (TypeError, ValueError):
            self.clinic_id.data = str(uuid.uuid4())
            return uuid.UUID(self.clinic_id.data)

    def clinic_data(self, source: str = "registry") -> dict:
        """The clinic in the shape of the API body (DESIGN.md §4), for services.put_clinic."""

        def text(field):
            return (field.data or "").strip() or None

        if self.hours_unknown.data:
            opening_hours = None
        else:
            typed = {day: field.intervals or [] for day, field in self.day_fields()}
            opening_hours = hours.spill_overnight(typed)
        return {
            "name": (self.name.data or "").strip(),
            "kind": self.kind.data,
            "address": text(self.address),
            "postcode": text(self.postcode),
            "city": text(self.city),
            "lat": self.lat.data,
            "lon": self.lon.data,
            "region": self.region.data or None,
            "opening_hours": opening_hours,
            "status": self.status.data,
            "source": source,
            "notes": text(self.notes),
            "phone": _e164(text(self.phone)),
        }


class ImportUploadForm(FlaskForm):
    file = FileField(_l("CSV file"), validators=[FileRequired(_l("Choose a CSV file."))])


class ImportConfirmForm(FlaskForm):
    """The upload from the preview step, sealed (see csv_import.seal)."""

    upload = HiddenField(validators=[DataRequired()])
