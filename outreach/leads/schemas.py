"""Lead JSON schemas: they validate PUT bodies and generate the OpenAPI document."""

from marshmallow import Schema, ValidationError, fields, validate, validates, validates_schema

from outreach.clinics.models import CLINIC_KINDS
from outreach.codes import language_codes
from outreach.denmark import in_denmark, is_valid_postcode
from outreach.i18n import N_
from outreach.inputs import HAPPENED, HAPPENED_DAY, no_bidi_controls
from outreach.leads import urls
from outreach.leads.models import LEAD_DISMISS_REASONS, LEAD_FLAGS, LEAD_STATUSES
from outreach.orgs.models import REGION_SLUGS
from outreach.paging import list_schema, page_field, per_page_field
from outreach.phones import PhoneField

_language = validate.OneOf(
    sorted(language_codes()), error=N_("Use an ISO 639-1 language code, e.g. th.")
)
MAX_SITE = 100


class UrlField(fields.String):
    """An ad's address: http(s) only; a bad one is a field error that does not repeat it."""

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            return urls.check(text)
        except urls.InvalidUrl as error:
            raise ValidationError(str(error)) from None


def _flags(value):
    if len(set(value)) != len(value):
        raise ValidationError(N_("Each flag once."))


class LeadInSchema(Schema):
    site = fields.String(
        required=True,
        validate=[validate.Length(min=1, max=MAX_SITE), no_bidi_controls],
        metadata={"description": "One of the organisation's sites (settings)."},
    )
    url = UrlField(
        allow_none=True,
        load_default=None,
        metadata={"description": "The ad's address (http or https).", "maxLength": 2000},
    )
    phone = PhoneField(allow_none=True, load_default=None)
    alias = fields.String(
        allow_none=True,
        load_default=None,
        validate=[validate.Length(max=100), no_bidi_controls],
        metadata={"description": "The name the ad gives."},
    )
    kind = fields.String(allow_none=True, load_default=None, validate=validate.OneOf(CLINIC_KINDS))
    address = fields.String(allow_none=True, load_default=None, validate=validate.Length(max=200))
    postcode = fields.String(allow_none=True, load_default=None)
    city = fields.String(allow_none=True, load_default=None, validate=validate.Length(max=100))
    lat = fields.Float(allow_none=True, load_default=None, validate=validate.Range(54.5, 57.8))
    lon = fields.Float(allow_none=True, load_default=None, validate=validate.Range(8.0, 15.2))
    region = fields.String(
        allow_none=True,
        load_default=None,
        validate=validate.OneOf(REGION_SLUGS),
        metadata={"description": "Derived from postcode or coordinates when absent."},
    )
    languages = fields.List(
        fields.String(validate=_language), load_default=list, validate=validate.Length(max=10)
    )
    flags = fields.List(
        fields.String(validate=validate.OneOf(LEAD_FLAGS)),
        load_default=list,
        validate=[validate.Length(max=len(LEAD_FLAGS)), _flags],
    )
    flag_note = fields.String(
        allow_none=True,
        load_default=None,
        validate=validate.Length(max=500),
        metadata={"description": "Anything else the screening saw, in words."},
    )
    first_seen = fields.AwareDateTime(required=True, validate=HAPPENED)
    last_seen = fields.AwareDateTime(
        allow_none=True,
        load_default=None,
        validate=HAPPENED,
        metadata={"description": "Defaults to first_seen."},
    )
    status = fields.String(load_default="new", validate=validate.OneOf(LEAD_STATUSES))
    dismissed_reason = fields.String(
        allow_none=True,
        load_default=None,
        validate=validate.OneOf(LEAD_DISMISS_REASONS),
        metadata={"description": "Required when status is dismissed (coordinators)."},
    )
    clinic_id = fields.UUID(
        allow_none=True,
        load_default=None,
        metadata={"description": "The clinic a linked lead is (coordinators); status linked."},
    )
    notes = fields.String(allow_none=True, load_default=None, validate=validate.Length(max=5000))

    @validates("postcode")
    def _postcode(self, value, **kwargs):
        if value is not None and value.strip() and not is_valid_postcode(value):
            raise ValidationError(N_("Not a postcode of a Danish region (four digits, e.g. 8000)."))

    @validates_schema
    def _together(self, data, **kwargs):
        errors: dict[str, list[str]] = {}
        if not data.get("url") and not data.get("phone"):
            errors["url"] = [N_("Give the ad's address or its phone number (or both).")]
        lat, lon = data.get("lat"), data.get("lon")
        if (lat is None) != (lon is None):
            errors["lat"] = [N_("Give both lat and lon, or neither.")]
        elif lat is not None and not in_denmark(lat, lon):
            errors["lat"] = [N_("The coordinates are outside Denmark.")]
        first, last = data.get("first_seen"), data.get("last_seen")
        if first and last and last < first:
            errors["last_seen"] = [N_("Last seen cannot be before first seen.")]
        status = data.get("status")
        if status == "linked" and not data.get("clinic_id"):
            errors["clinic_id"] = [N_("A linked lead names its clinic.")]
        if status != "linked" and data.get("clinic_id"):
            errors["status"] = [N_("A lead with a clinic has the status linked.")]
        if status == "dismissed" and not data.get("dismissed_reason"):
            errors["dismissed_reason"] = [N_("Say why the lead is dismissed.")]
        if status != "dismissed" and data.get("dismissed_reason"):
            errors["dismissed_reason"] = [N_("Only a dismissed lead has a reason.")]
        if errors:
            raise ValidationError(errors)


class LeadOutSchema(Schema):
    id = fields.UUID()
    site = fields.String()
    url = fields.String(allow_none=True)
    phone = fields.String(allow_none=True, metadata={"description": "E.164."})
    alias = fields.String(allow_none=True)
    kind = fields.String(allow_none=True)
    address = fields.String(allow_none=True)
    postcode = fields.String(allow_none=True)
    city = fields.String(allow_none=True)
    lat = fields.Float(allow_none=True)
    lon = fields.Float(allow_none=True)
    region = fields.String(allow_none=True, attribute="region_slug")
    region_source = fields.String(allow_none=True)
    languages = fields.List(fields.String())
    flags = fields.List(fields.String())
    flag_note = fields.String(allow_none=True)
    first_seen = fields.AwareDateTime()
    last_seen = fields.AwareDateTime()
    status = fields.String()
    dismissed_reason = fields.String(allow_none=True)
    clinic_id = fields.UUID(allow_none=True)
    notes = fields.String(allow_none=True)
    created_at = fields.AwareDateTime()
    updated_at = fields.AwareDateTime()


class LeadQuerySchema(Schema):
    site = fields.String(validate=validate.Length(max=MAX_SITE))
    status = fields.String(validate=validate.OneOf(LEAD_STATUSES))
    flag = fields.String(validate=validate.OneOf(LEAD_FLAGS))
    region = fields.String(validate=validate.OneOf(REGION_SLUGS))
    kind = fields.String(validate=validate.OneOf(CLINIC_KINDS))
    clinic_id = fields.UUID()
    seen_since = fields.Date(
        validate=HAPPENED_DAY,
        metadata={"description": "Leads last seen on or after this date (local time)."},
    )
    page = page_field()
    per_page = per_page_field()


class SightingInSchema(Schema):
    seen_at = fields.AwareDateTime(required=True, validate=HAPPENED)
    site = fields.String(
        allow_none=True,
        load_default=None,
        validate=validate.Length(max=MAX_SITE),
        metadata={"description": "Where it was seen this time; the lead's site when absent."},
    )
    flags = fields.List(
        fields.String(validate=validate.OneOf(LEAD_FLAGS)),
        load_default=list,
        validate=[validate.Length(max=len(LEAD_FLAGS)), _flags],
        metadata={"description": "Flags seen this time; added to the lead's."},
    )


class SightingOutSchema(Schema):
    id = fields.UUID()
    lead_id = fields.UUID()
    seen_at = fields.AwareDateTime()
    site = fields.String()
    flags = fields.List(fields.String())


LeadListSchema = list_schema("LeadList", LeadOutSchema)
