"""SMS contact JSON schemas: they validate PUT bodies and generate the OpenAPI document; and
the answer the phone reads its numbers to text and templates from."""

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from outreach import phones
from outreach.codes import language_codes
from outreach.i18n import N_
from outreach.inputs import HAPPENED, Integer
from outreach.paging import list_schema, page_field, per_page_field
from outreach.sms.models import SMS_OUTCOMES

TEMPLATE_ID = validate.Regexp(
    r"^[a-z0-9][a-z0-9_-]{0,39}$", error=N_("Use a template id like th-2.")
)
_language = validate.OneOf(
    sorted(language_codes()), error=N_("Use an ISO 639-1 language code, e.g. th.")
)


class SmsContactInSchema(Schema):
    lead_id = fields.UUID(
        allow_none=True,
        load_default=None,
        metadata={
            "description": "The lead whose number was texted; its number when `phone` is absent."
        },
    )
    phone = fields.String(
        allow_none=True,
        load_default=None,
        validate=validate.Length(max=phones.MAX_LENGTH, error=phones.TOO_LONG),
        metadata={
            "description": "The number texted, in any usual writing; stored as E.164. A "
            "number on the do-not-contact list, or texted by the organisation within its "
            "limit (default 14 days), is refused with 422 on `phone`.",
            "example": "+4520123456",
        },
    )
    language = fields.String(allow_none=True, load_default=None, validate=_language)
    template_id = fields.String(allow_none=True, load_default=None, validate=TEMPLATE_ID)
    sent_at = fields.AwareDateTime(required=True, validate=HAPPENED)
    outcome = fields.String(load_default="sent", validate=validate.OneOf(SMS_OUTCOMES))
    conversation_id = fields.UUID(
        allow_none=True,
        load_default=None,
        metadata={"description": "The conversation (channel `sms`) the reply became."},
    )
    notes = fields.String(allow_none=True, load_default=None, validate=validate.Length(max=2000))

    @validates_schema
    def _a_number(self, data, **kwargs):
        if not data.get("lead_id") and not (data.get("phone") or "").strip():
            raise ValidationError({"phone": [N_("Give the number texted, or the lead's id.")]})


class SmsContactOutSchema(Schema):
    id = fields.UUID()
    lead_id = fields.UUID(allow_none=True)
    phone = fields.String(metadata={"description": "E.164."})
    language = fields.String(allow_none=True)
    template_id = fields.String(allow_none=True)
    sent_at = fields.AwareDateTime()
    outcome = fields.String()
    conversation_id = fields.UUID(allow_none=True)
    notes = fields.String(allow_none=True)
    created_at = fields.AwareDateTime()
    updated_at = fields.AwareDateTime()


class SmsContactQuerySchema(Schema):
    since = fields.AwareDateTime(
        validate=HAPPENED, metadata={"description": "Texts sent at or after this."}
    )
    until = fields.AwareDateTime(
        validate=HAPPENED, metadata={"description": "Texts sent before this."}
    )
    outcome = fields.String(validate=validate.OneOf(SMS_OUTCOMES))
    lead_id = fields.UUID()
    page = page_field()
    per_page = per_page_field()


SmsContactListSchema = list_schema("SmsContactList", SmsContactOutSchema)


class SmsTemplateSchema(Schema):
    id = fields.String()
    language = fields.String()
    body = fields.String(
        metadata={"description": "The text with the sender's name and the team's phone filled in."}
    )


class NumberToTextSchema(Schema):
    lead_id = fields.UUID(metadata={"description": "The newest lead with this number."})
    phone = fields.String(metadata={"description": "E.164."})
    alias = fields.String(allow_none=True)
    site = fields.String(allow_none=True)
    languages = fields.List(fields.String())
    last_seen = fields.AwareDateTime(
        metadata={"description": "When the newest ad with this number was last seen."}
    )
    leads = Integer(metadata={"description": "How many leads carry this number."})
    last_texted_at = fields.AwareDateTime(allow_none=True)
    next_allowed_at = fields.AwareDateTime(
        allow_none=True,
        metadata={"description": "Not to be texted before this (the organisation's limit)."},
    )


class ToTextSchema(Schema):
    period_days = Integer(
        metadata={"description": "At most one text per number in this many days."}
    )
    team_phone = fields.String(allow_none=True)
    templates = fields.List(fields.Nested(SmsTemplateSchema))
    numbers = fields.List(
        fields.Nested(NumberToTextSchema),
        metadata={
            "description": "Numbers of the organisation's leads, none on the do-not-contact list."
        },
    )
    mine = fields.List(
        fields.Nested(SmsContactOutSchema),
        metadata={
            "description": "The caller's own texts of the last 30 days, to record their outcome."
        },
    )
