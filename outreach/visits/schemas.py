"""Visit JSON schemas: they validate PUT bodies and generate the OpenAPI document."""

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from outreach.i18n import N_
from outreach.inputs import HAPPENED, Integer
from outreach.orgs.services import MAX_LIST_ENTRIES
from outreach.paging import list_schema, page_field, per_page_field
from outreach.plausibility import COUNT_MESSAGE, MAX_COUNT, MAX_PERSONS_PRESENT, Count
from outreach.visits.models import CONCERN_LEVELS, NOT_ADMITTED_REASONS, VISIT_OUTCOMES

SUPPLY_CODE = validate.Regexp(r"^[a-z0-9_]{1,40}$", error=N_("Use a supply code like condoms."))


class VisitInSchema(Schema):
    clinic_id = fields.UUID(required=True)
    started_at = fields.AwareDateTime(required=True, validate=HAPPENED)
    ended_at = fields.AwareDateTime(allow_none=True, load_default=None, validate=HAPPENED)
    outcome = fields.String(required=True, validate=validate.OneOf(VISIT_OUTCOMES))
    not_admitted_reason = fields.String(
        allow_none=True, load_default=None, validate=validate.OneOf(NOT_ADMITTED_REASONS)
    )
    staff = fields.List(
        fields.UUID(),
        load_default=list,
        validate=validate.Length(max=10),
        metadata={"description": "User ids of the staff on the visit."},
    )
    persons_present = Count(
        allow_none=True,
        load_default=None,
        validate=validate.Range(min=0, max=MAX_PERSONS_PRESENT),
        metadata={
            "description": "At least 1 on an admitted visit. Above the organisation's usual "
            "most (`limits` in the pull's reference) the answer carries a warning."
        },
    )
    supplies = fields.Dict(
        keys=fields.String(validate=SUPPLY_CODE),
        values=Count(validate=validate.Range(min=0, max=MAX_COUNT, error=COUNT_MESSAGE)),
        load_default=dict,
        validate=validate.Length(max=MAX_LIST_ENTRIES),  # an organisation's supply list
        metadata={
            "description": "Supplies handed out: {item_code: count}, codes from the "
            "organisation's supply list. A wrong count is refused on `supplies.<code>`; a "
            "count above the organisation's usual most is stored, and the answer warns.",
            "example": {"condoms": 50},
        },
    )
    confirmed_unusual = fields.Boolean(
        load_default=False,
        load_only=True,
        metadata={
            "description": "Someone checked the numbers above the organisation's usual most "
            "and confirmed them: the answer carries no `warnings`. Not stored."
        },
    )
    concern_level = fields.String(
        allow_none=True, load_default=None, validate=validate.OneOf(CONCERN_LEVELS)
    )
    indicators = fields.List(
        fields.String(validate=validate.Length(max=60)),
        load_default=list,
        validate=validate.Length(max=50),
    )
    police_informed = fields.Boolean(load_default=False)
    police_informed_at = fields.AwareDateTime(allow_none=True, load_default=None, validate=HAPPENED)
    police_note = fields.String(
        allow_none=True, load_default=None, validate=validate.Length(max=2000)
    )
    notes = fields.String(allow_none=True, load_default=None, validate=validate.Length(max=5000))

    @validates_schema
    def _consistent(self, data, **kwargs):
        errors = {}
        if data.get("outcome") == "not_admitted" and not data.get("not_admitted_reason"):
            errors["not_admitted_reason"] = [N_("Say why the team was not let in.")]
        if data.get("outcome") == "admitted" and data.get("not_admitted_reason"):
            errors["not_admitted_reason"] = [N_("Only for visits that were not admitted.")]
        ended, started = data.get("ended_at"), data.get("started_at")
        if ended and started and ended < started:
            errors["ended_at"] = [N_("The visit cannot end before it starts.")]
        if not data.get("police_informed") and (
            data.get("police_informed_at") or data.get("police_note")
        ):
            errors["police_informed"] = [N_("Set police_informed when giving when or a note.")]
        if errors:
            raise ValidationError(errors)

    def handle_error(self, error: ValidationError, data, **kwargs):
        # A wrong count is named by its path, "supplies.condoms", so that a form marks only
        # that field; marshmallow nests it as {"supplies": {"condoms": {"value": [...]}}}.
        messages = error.messages
        nested = messages.get("supplies") if isinstance(messages, dict) else None
        if not isinstance(nested, dict):
            raise error
        flat = {k: v for k, v in messages.items() if k != "supplies"}
        for code, problems in nested.items():
            if "value" in problems:
                flat[f"supplies.{code}"] = problems["value"]
            if "key" in problems:
                flat.setdefault("supplies", []).extend(problems["key"])
        raise ValidationError(flat)


class UnusualValueSchema(Schema):
    field = fields.String(metadata={"description": 'The path, e.g. "supplies.condoms".'})
    value = Integer()
    limit = Integer(metadata={"description": "The organisation's usual most per visit."})
    message = fields.String()


class VisitOutSchema(Schema):
    id = fields.UUID()
    clinic_id = fields.UUID()
    started_at = fields.AwareDateTime()
    ended_at = fields.AwareDateTime(allow_none=True)
    outcome = fields.String()
    not_admitted_reason = fields.String(allow_none=True)
    staff = fields.List(fields.String())
    persons_present = Integer(allow_none=True)
    supplies = fields.Dict(keys=fields.String(), values=Integer())
    concern_level = fields.String(allow_none=True)
    indicators = fields.List(fields.String())
    police_informed = fields.Boolean()
    police_informed_at = fields.AwareDateTime(allow_none=True)
    police_note = fields.String(allow_none=True)
    notes = fields.String(allow_none=True)
    created_at = fields.AwareDateTime()
    updated_at = fields.AwareDateTime()
    warnings = fields.List(
        fields.Nested(UnusualValueSchema),
        metadata={
            "description": "Only in the answer to a PUT: the numbers above the organisation's "
            "usual most per visit, stored as sent. Check them, and correct or confirm "
            "(`confirmed_unusual`)."
        },
    )


class VisitQuerySchema(Schema):
    clinic_id = fields.UUID()
    since = fields.AwareDateTime(
        validate=HAPPENED, metadata={"description": "Visits started at or after this."}
    )
    until = fields.AwareDateTime(
        validate=HAPPENED, metadata={"description": "Visits started before this."}
    )
    outcome = fields.String(validate=validate.OneOf(VISIT_OUTCOMES))
    page = page_field()
    per_page = per_page_field()


VisitListSchema = list_schema("VisitList", VisitOutSchema)
