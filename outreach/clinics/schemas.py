"""Clinic JSON schemas: they validate PUT bodies and generate the OpenAPI document."""

from marshmallow import Schema, ValidationError, fields, validate, validates, validates_schema

from outreach.clinics.hours import opening_hours_errors
from outreach.clinics.models import (
    CLINIC_KINDS,
    CLINIC_SOURCES,
    CLINIC_STATUSES,
    GEOCODE_STATUSES,
    REGION_SOURCES,
)
from outreach.denmark import in_denmark, is_valid_postcode
from outreach.i18n import N_
from outreach.inputs import HAPPENED, HAPPENED_DAY, no_bidi_controls
from outreach.orgs.models import REGION_SLUGS
from outreach.paging import list_schema, page_field, per_page_field
from outreach.phones import PhoneField

OPENING_HOURS_DOC = {
    "description": "Intervals per weekday in local time; a missing or empty weekday is closed, "
    "null means unknown.",
    "example": {"mon": [["10:00", "22:00"]], "sat": [["12:00", "16:00"], ["18:00", "22:00"]]},
}


class ClinicInSchema(Schema):
    name = fields.String(
        required=True, validate=[validate.Length(min=1, max=200), no_bidi_controls]
    )
    kind = fields.String(required=True, validate=validate.OneOf(CLINIC_KINDS))
    address = fields.String(allow_none=True, load_default=None, validate=validate.Length(max=200))
    postcode = fields.String(allow_none=True, load_default=None)
    city = fields.String(allow_none=True, load_default=None, validate=validate.Length(max=100))
    # Denmark's bounding box, so the document says what is accepted; _coordinates then checks
    # the shape of the country (Sweden, Germany and the sea are inside the box).
    lat = fields.Float(
        allow_none=True,
        load_default=None,
        validate=validate.Range(54.5, 57.8),
        metadata={"description": "WGS 84, in Denmark; give lat and lon together, or neither."},
    )
    lon = fields.Float(
        allow_none=True,
        load_default=None,
        validate=validate.Range(8.0, 15.2),
        metadata={"description": "WGS 84, in Denmark; give lat and lon together, or neither."},
    )
    region = fields.String(
        allow_none=True,
        load_default=None,
        validate=validate.OneOf(REGION_SLUGS),
        metadata={"description": "Derived from postcode or coordinates when absent."},
    )
    opening_hours = fields.Dict(
        allow_none=True,
        load_default=None,
        validate=validate.Length(max=7),  # weekdays
        metadata=OPENING_HOURS_DOC,
    )
    status = fields.String(load_default="active", validate=validate.OneOf(CLINIC_STATUSES))
    source = fields.String(load_default="registry", validate=validate.OneOf(CLINIC_SOURCES))
    notes = fields.String(allow_none=True, load_default=None, validate=validate.Length(max=5000))
    # No load_default: omitted, the stored number stays (services.PHONE).
    phone = PhoneField(
        allow_none=True,
        metadata={
            "description": "E.164 once stored; omitted keeps the stored number, null "
            "removes it. Groups the clinic with leads of the same number."
        },
    )

    @validates("name")
    def _name(self, value, **kwargs):
        # Names are stored trimmed, and a clinic needs one: "   " would store no name at all.
        if not value.strip():
            raise ValidationError(N_("Give the clinic a name."))

    @validates("postcode")
    def _postcode(self, value, **kwargs):
        if value is not None and value.strip() and not is_valid_postcode(value):
            raise ValidationError(N_("Not a postcode of a Danish region (four digits, e.g. 8000)."))

    @validates("opening_hours")
    def _opening_hours(self, value, **kwargs):
        errors = opening_hours_errors(value)
        if errors:
            raise ValidationError(errors)

    @validates_schema
    def _coordinates(self, data, **kwargs):
        lat, lon = data.get("lat"), data.get("lon")
        if (lat is None) != (lon is None):
            raise ValidationError(N_("Give both lat and lon, or neither."), "lat")
        if lat is not None and not in_denmark(lat, lon):
            raise ValidationError(N_("The coordinates are outside Denmark."), "lat")


class ClinicOutSchema(Schema):
    id = fields.UUID()
    name = fields.String()
    kind = fields.String()
    address = fields.String(allow_none=True)
    postcode = fields.String(allow_none=True)
    city = fields.String(allow_none=True)
    lat = fields.Float(allow_none=True)
    lon = fields.Float(allow_none=True)
    region = fields.String(allow_none=True, attribute="region_slug")
    region_source = fields.String(allow_none=True, validate=validate.OneOf(REGION_SOURCES))
    opening_hours = fields.Dict(allow_none=True, metadata=OPENING_HOURS_DOC)
    status = fields.String()
    source = fields.String()
    notes = fields.String(allow_none=True)
    phone = fields.String(allow_none=True, metadata={"description": "E.164."})
    geocode_status = fields.String(validate=validate.OneOf(GEOCODE_STATUSES))
    created_at = fields.AwareDateTime()
    updated_at = fields.AwareDateTime()


class ClinicSyncSchema(ClinicOutSchema):
    """A clinic as the phone pulls it: with its last visit, which the phone cannot know for
    clinics last visited before the ~400 days of visits it keeps. Not part of the ETag.
    Without the clinic's phone number: the phone needs none of it offline (less protected
    data on devices), and its clinic bodies leave the stored number as it is."""

    class Meta:
        exclude = ("phone",)

    last_visit_at = fields.AwareDateTime(
        allow_none=True,
        metadata={"description": "The start of the clinic's latest visit; null: never visited."},
    )


class ClinicQuerySchema(Schema):
    region = fields.String(validate=validate.OneOf(REGION_SLUGS))
    kind = fields.String(validate=validate.OneOf(CLINIC_KINDS))
    status = fields.String(validate=validate.OneOf(CLINIC_STATUSES))
    q = fields.String(
        validate=validate.Length(max=100),
        metadata={"description": "Search in name, address and city."},
    )
    not_visited_since = fields.Date(
        validate=HAPPENED_DAY,
        metadata={
            "description": "Clinics with no visit on or after this date (never visited included)."
        },
    )
    updated_since = fields.AwareDateTime(validate=HAPPENED)
    # Bounded so that the row offset fits a database integer.
    page = page_field()
    per_page = per_page_field()


ClinicListSchema = list_schema("ClinicList", ClinicOutSchema)
