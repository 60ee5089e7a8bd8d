"""Person and conversation JSON schemas (validation and OpenAPI)."""

from datetime import date

from marshmallow import Schema, ValidationError, fields, validate, validates, validates_schema

from outreach.codes import country_codes, language_codes
from outreach.i18n import N_
from outreach.inputs import HAPPENED, NULL, Integer, no_bidi_controls
from outreach.paging import list_schema, page_field, per_page_field
from outreach.persons.models import CHANNELS, GENDERS, REFERRALS, TOPICS
from outreach.visits.models import CONCERN_LEVELS

# Enums, so that the OpenAPI document lists the codes.
_country = validate.OneOf(
    sorted(country_codes()),
    error=N_("Use an ISO 3166-1 alpha-2 country code in capitals, e.g. TH."),
)
_language = validate.OneOf(
    sorted(language_codes()), error=N_("Use an ISO 639-1 language code, e.g. th.")
)


def _not_blank(value):
    if not value.strip():
        raise ValidationError(N_("Give the name she goes by; it cannot be blank."))


class PersonInSchema(Schema):
    alias = fields.String(
        required=True,
        validate=[validate.Length(min=1, max=100), _not_blank, no_bidi_controls],
        metadata={"description": "Work name as given; never a real name."},
    )
    nationality = fields.String(allow_none=True, load_default=None, validate=_country)
    birth_year = Integer(
        allow_none=True,
        load_default=None,
        metadata={"minimum": 1920, "maximum": date.today().year - 12},
    )
    gender = fields.String(load_default="unknown", validate=validate.OneOf(GENDERS))
    languages = fields.List(
        fields.String(validate=_language), load_default=list, validate=validate.Length(max=10)
    )

    @validates("birth_year")
    def _birth_year(self, value, **kwargs):
        if value is not None and not 1920 <= value <= date.today().year - 12:
            raise ValidationError(N_("Give a birth year from 1920 to twelve years ago."))


class PersonOutSchema(Schema):
    id = fields.UUID()
    alias = fields.String()
    nationality = fields.String(allow_none=True)
    birth_year = Integer(allow_none=True)
    gender = fields.String()
    languages = fields.List(fields.String())
    merged_into_id = fields.UUID(allow_none=True)
    canonical_id = fields.UUID()
    created_at = fields.AwareDateTime()
    updated_at = fields.AwareDateTime()


class PersonQuerySchema(Schema):
    nationality = fields.String(validate=_country)
    gender = fields.String(validate=validate.OneOf(GENDERS))
    include_merged = fields.Boolean(
        load_default=False,
        metadata={"description": "Also list duplicates merged into another person."},
    )
    page = page_field()
    per_page = per_page_field()


PersonListSchema = list_schema("PersonList", PersonOutSchema)


class ConversationInSchema(Schema):
    # _visit_or_time, for the OpenAPI document.
    OPENAPI_RULES = {
        "oneOf": [
            {
                "required": ["visit_id"],
                "properties": {"visit_id": {"type": "string"}, "channel": {"enum": ["visit"]}},
            },
            {
                "required": ["occurred_at"],
                "properties": {
                    "visit_id": NULL,
                    "channel": {"enum": [c for c in CHANNELS if c != "visit"]},
                    "occurred_at": {"type": "string"},
                },
            },
        ]
    }
    person_id = fields.UUID(required=True)
    visit_id = fields.UUID(allow_none=True, load_default=None)
    channel = fields.String(required=True, validate=validate.OneOf(CHANNELS))
    occurred_at = fields.AwareDateTime(
        allow_none=True,
        load_default=None,
        validate=HAPPENED,
        metadata={
            "description": "Required outside visits; in a visit, the visit's start when absent."
        },
    )
    topics = fields.List(
        fields.String(validate=validate.OneOf(TOPICS)),
        load_default=list,
        validate=validate.Length(max=len(TOPICS)),
    )
    language = fields.String(allow_none=True, load_default=None, validate=_language)
    interpreter_used = fields.Boolean(load_default=False)
    concern_level = fields.String(
        allow_none=True, load_default=None, validate=validate.OneOf(CONCERN_LEVELS)
    )
    indicators = fields.List(
        fields.String(validate=validate.Length(max=60)),
        load_default=list,
        validate=validate.Length(max=50),
    )
    referral = fields.String(allow_none=True, load_default=None, validate=validate.OneOf(REFERRALS))
    follow_up_needed = fields.Boolean(load_default=False)
    notes = fields.String(allow_none=True, load_default=None, validate=validate.Length(max=5000))

    @validates_schema
    def _visit_or_time(self, data, **kwargs):
        if data.get("visit_id") is None:
            if data.get("occurred_at") is None:
                raise ValidationError(
                    N_("Required when the conversation is not in a visit."), "occurred_at"
                )
            if data.get("channel") == "visit":
                raise ValidationError(
                    N_("Give visit_id for a conversation in a visit."), "visit_id"
                )
        elif data.get("channel") != "visit":
            raise ValidationError(
                N_("A conversation in a visit has the channel 'visit'."), "channel"
            )


class ConversationOutSchema(Schema):
    id = fields.UUID()
    person_id = fields.UUID()
    visit_id = fields.UUID(allow_none=True)
    channel = fields.String()
    occurred_at = fields.AwareDateTime()
    topics = fields.List(fields.String())
    language = fields.String(allow_none=True)
    interpreter_used = fields.Boolean()
    concern_level = fields.String(allow_none=True)
    indicators = fields.List(fields.String())
    referral = fields.String(allow_none=True)
    follow_up_needed = fields.Boolean()
    notes = fields.String(allow_none=True)
    created_at = fields.AwareDateTime()
    updated_at = fields.AwareDateTime()


class SuggestionQuerySchema(Schema):
    alias = fields.String(
        required=True, validate=[validate.Length(min=1, max=100), no_bidi_controls]
    )
    nationality = fields.String(load_default=None, validate=_country)
    birth_year = Integer(load_default=None)
    clinic_id = fields.UUID(load_default=None)
    limit = Integer(load_default=10, validate=validate.Range(min=1, max=50))


class SuggestionSchema(Schema):
    person = fields.Nested(PersonOutSchema)
    score = fields.Float()
    reasons = fields.List(
        fields.String(),
        metadata={
            "description": "What matched: same_alias (the same name, spelling aside) or "
            "alias (a similar one), nationality, birth_year (within a year), clinic (met "
            "there recently)."
        },
    )
    last_met_at = fields.AwareDateTime(
        allow_none=True, metadata={"description": "Her last conversation, merged records too."}
    )
    last_clinic_id = fields.UUID(
        allow_none=True, metadata={"description": "Where: the clinic of that conversation's visit."}
    )
    conversations = Integer(metadata={"description": "Conversations with her in all."})


class MergeSchema(Schema):
    source_id = fields.UUID(required=True, metadata={"description": "The duplicate."})
    target_id = fields.UUID(required=True, metadata={"description": "The person to keep."})


class MergeOutSchema(Schema):
    id = fields.UUID()
    source_id = fields.UUID()
    target_id = fields.UUID()
    merged_at = fields.AwareDateTime()
    undone_at = fields.AwareDateTime(allow_none=True)
