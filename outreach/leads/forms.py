"""WTForms for the lead pages: list filters, the lead form, the status actions, the list of
sites, and the CSV upload. The lead form checks its data against LeadInSchema after its own
checks, so anything it accepts the API would accept too."""

import uuid
from datetime import UTC, date, datetime, time

from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError
from wtforms import (
    DateField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from outreach import vocabulary
from outreach.clinics.forms import CoordinateField
from outreach.i18n import FlaskForm, translate_message
from outreach.inputs import HAPPENED_DAY, InRange, MultiCheckboxField
from outreach.leads.models import LEAD_DISMISS_REASONS, LEAD_FLAGS, LEAD_STATUSES
from outreach.leads.queries import LOCAL_TZ, LeadFilters
from outreach.leads.schemas import LeadInSchema
from outreach.orgs.models import REGION_NAMES, REGION_SLUGS
from outreach.orgs.queries import MAX_SCREENING_WINDOW_DAYS


def _site_choices(sites: list[str], current: str | None = None) -> list[tuple[str, str]]:
    names = list(sites)
    if current and current not in names:
        names.append(current)  # a lead keeps the site it was recorded with
    return [(name, name) for name in names]


def _flag_choices():
    return vocabulary.choices(LEAD_FLAGS)


def _dismiss_choices():
    return vocabulary.choices(LEAD_DISMISS_REASONS)


class LeadFilterForm(FlaskForm):
    """The list's filters, read from the query string (the same names as the API's)."""

    class Meta:
        csrf = False  # a GET form that changes nothing

    status = SelectField(_l("Status"), validators=[Optional()])
    site = SelectField(_l("Site"), validators=[Optional()])
    flag = SelectField(_l("Flag"), validators=[Optional()])
    region = SelectField(_l("Region"), validators=[Optional()])
    kind = SelectField(_l("Kind"), validators=[Optional()])
    seen_since = DateField(_l("Seen since"), validators=[Optional(), InRange(HAPPENED_DAY)])

    def __init__(self, formdata, regions: list[str], sites: list[str]):
        super().__init__(formdata=formdata)
        self.status.choices = [("", _l("All statuses"))] + vocabulary.choices(LEAD_STATUSES)
        self.site.choices = [("", _l("All sites"))] + _site_choices(sites)
        self.flag.choices = [("", _l("All flags"))] + vocabulary.choices(LEAD_FLAGS)
        self.region.choices = [("", _l("All regions"))] + [
            (slug, REGION_NAMES[slug]) for slug in regions
        ]
        self.kind.choices = [("", _l("All kinds"))] + vocabulary.choices(vocabulary.CLINIC_KINDS)
        self.validate()

    def filters(self) -> LeadFilters:
        def value(field):
            return None if field.errors or field.data in ("", None) else field.data

        return LeadFilters(
            status=value(self.status),
            site=value(self.site),
            flag=value(self.flag),
            region=value(self.region),
            kind=value(self.kind),
            seen_since=value(self.seen_since),
        )

    def active_args(self) -> dict:
        args = {k: v for k, v in vars(self.filters()).items() if v}
        if "seen_since" in args:
            args["seen_since"] = args["seen_since"].isoformat()
        return args


# Where LeadInSchema's field names show up in the form.
_SCHEMA_FIELDS = {
    "site": "site",
    "url": "url",
    "phone": "phone",
    "alias": "alias",
    "kind": "kind",
    "address": "address",
    "postcode": "postcode",
    "city": "city",
    "lat": "lat",
    "lon": "lon",
    "region": "region",
    "languages": "languages",
    "flags": "flags",
    "flag_note": "flag_note",
    "first_seen": "seen_on",
    "last_seen": "seen_on",
    "notes": "notes",
}


def seen_at(day: date) -> datetime:
    """A day the ad was seen, as a time: now when it is today, else noon that day (local)."""
    now = datetime.now(LOCAL_TZ)
    if day == now.date():
        return now.astimezone(UTC)
    return datetime.combine(day, time(12), LOCAL_TZ).astimezone(UTC)


class LeadForm(FlaskForm):
    """Record or edit a lead. `version` is the ETag the page was built from, so a save over
    someone else's change is noticed; `lead_id` makes a double submit harmless."""

    lead_id = HiddenField()
    version = HiddenField()
    site = SelectField(_l("Site"), validators=[DataRequired()])
    url = StringField(_l("Address of the ad (URL)"), validators=[Optional(), Length(max=2000)])
    phone = StringField(_l("Phone number"), validators=[Optional(), Length(max=40)])
    alias = StringField(_l("Name in the ad"), validators=[Optional(), Length(max=100)])
    kind = SelectField(_l("Kind"))
    address = StringField(_l("Street address"), validators=[Optional(), Length(max=200)])
    postcode = StringField(_l("Postcode"), validators=[Optional(), Length(max=4)])
    city = StringField(_l("Town"), validators=[Optional(), Length(max=100)])
    lat = CoordinateField(_l("Latitude"))
    lon = CoordinateField(_l("Longitude"))
    region = SelectField(_l("Region"))
    languages = StringField(_l("Languages"), validators=[Optional(), Length(max=60)])
    flags = MultiCheckboxField(_l("Flags"), choices=_flag_choices)
    flag_note = TextAreaField(_l("Anything else seen"), validators=[Optional(), Length(max=500)])
    seen_on = DateField(_l("Seen on"), validators=[DataRequired(), InRange(HAPPENED_DAY)])
    notes = TextAreaField(_l("Notes"), validators=[Optional(), Length(max=5000)])

    def __init__(self, *args, sites: list[str], current_site: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.site.choices = _site_choices(sites, current_site)
        self.kind.choices = [("", _l("Not known"))] + vocabulary.choices(vocabulary.CLINIC_KINDS)
        self.region.choices = [("", _l("Automatic"))]
        self.region.choices += [(slug, REGION_NAMES[slug]) for slug in REGION_SLUGS]
        if not self.lead_id.data:
            self.lead_id.data = str(uuid.uuid4())
        if self.seen_on.data is None and not self.is_submitted():
            self.seen_on.data = datetime.now(LOCAL_TZ).date()
        self.lead = None  # the stored lead being edited, set by for_lead

    @classmethod
    def for_lead(cls, lead, *, sites: list[str], version: str):
        form = cls(sites=sites, current_site=lead.site)
        for name in ("site", "url", "alias", "address", "postcode", "city", "flag_note", "notes"):
            getattr(form, name).data = getattr(lead, name)
        form.phone.data = lead.phone
        form.kind.data = lead.kind or ""
        form.lat.data, form.lon.data = lead.lat, lead.lon
        form.region.data = lead.region_slug if lead.region_source == "manual" else ""
        form.languages.data = ", ".join(lead.languages)
        form.flags.data = list(lead.flags)
        form.seen_on.data = lead.last_seen.astimezone(LOCAL_TZ).date()
        form.lead_id.data = str(lead.id)
        form.version.data = version
        form.lead = lead
        return form

    def lead_uuid(self) -> uuid.UUID:
        try:
            return uuid.UUID(self.lead_id.data)
        except (TypeError, ValueError):
            self.lead_id.data = str(uuid.uuid4())
            return uuid.UUID(self.lead_id.data)

    def lead_data(self) -> dict:
        """The lead in the shape of the API body (DESIGN.md §4). An edited lead keeps its
        status, clinic and first sighting; the day typed is its last sighting."""

        def text(field):
            return (field.data or "").strip() or None

        seen = seen_at(self.seen_on.data) if self.seen_on.data else None
        lead = self.lead
        first = seen
        if lead is not None and seen is not None:
            if self.seen_on.data == lead.last_seen.astimezone(LOCAL_TZ).date():
                seen = lead.last_seen  # the day as it was: the time stays too
            first = min(lead.first_seen, seen)
        return {
            "site": self.site.data,
            "url": text(self.url),
            "phone": text(self.phone),
            "alias": text(self.alias),
            "kind": self.kind.data or None,
            "address": text(self.address),
            "postcode": text(self.postcode),
            "city": text(self.city),
            "lat": self.lat.data,
            "lon": self.lon.data,
            "region": self.region.data or None,
            "languages": [
                code.strip().lower()
                for code in (self.languages.data or "").split(",")
                if code.strip()
            ],
            "flags": list(self.flags.data or []),
            "flag_note": text(self.flag_note),
            "first_seen": first,
            "last_seen": seen,
            "status": lead.status if lead else "new",
            "dismissed_reason": lead.dismissed_reason if lead else None,
            "clinic_id": lead.clinic_id if lead else None,
            "notes": text(self.notes),
        }

    def validate(self, extra_validators=None) -> bool:
        """The form's checks, then the API's schema (it has the last word: one set of rules
        for every way in); `loaded` is the schema's output (the number in E.164)."""
        self.loaded = None
        if not super().validate(extra_validators):
            return False
        data = self.lead_data()
        body = {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in data.items()}
        body["clinic_id"] = str(data["clinic_id"]) if data["clinic_id"] else None
        try:
            self.loaded = LeadInSchema().load(body)
        except ValidationError as error:
            self.add_errors(error.messages)
            return False
        return True

    def add_errors(self, problems: dict) -> None:
        """Field errors of the schema or a service, shown at their fields, translated."""
        for key, messages in problems.items():
            field = getattr(self, _SCHEMA_FIELDS.get(key, "site"))
            if isinstance(messages, dict):  # a list field's errors by index
                messages = [m for ms in messages.values() for m in ms]
            if not isinstance(messages, list):
                messages = [messages]
            field.errors = list(field.errors) + [translate_message(str(m)) for m in messages]


class DismissForm(FlaskForm):
    reason = SelectField(
        _l("Why dismiss it?"),
        choices=_dismiss_choices,
        validators=[DataRequired()],
    )


class LinkForm(FlaskForm):
    clinic_id = HiddenField(validators=[DataRequired()])


class NewClinicForm(FlaskForm):
    name = StringField(_l("Name of the new clinic"), validators=[Optional(), Length(max=200)])


class ActionForm(FlaskForm):
    """A button that changes something (CSRF only)."""


class SitesForm(FlaskForm):
    sites = TextAreaField(_l("Sites the team screens, one per line"))
    window_days = IntegerField(
        _l("Days a flagged lead raises its clinic's priority"),
        validators=[DataRequired(), NumberRange(min=1, max=MAX_SCREENING_WINDOW_DAYS)],
    )

    def site_names(self) -> list[str]:
        return [line.strip() for line in (self.sites.data or "").splitlines() if line.strip()]
