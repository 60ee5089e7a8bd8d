"""Route plan JSON schemas: they validate request bodies and generate the OpenAPI document.

These check the form of a request; the rules that need the organisation's data or span
several fields (a base in Denmark, a shift longer than one visit, clinic ids of the caller's
organisation) live in services.validate_input, shared with the planning page.
"""

import re

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from outreach.inputs import NULL, PLANNED_DAY, Integer, no_bidi_controls
from outreach.orgs.models import REGION_SLUGS
from outreach.paging import list_schema, page_field
from outreach.routing.models import PLAN_STATUSES
from outreach.routing.planner import REASONS

TIME = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$|^24:00$")
HHMM = validate.Regexp(TIME, error="Give a time as HH:MM (00:00-24:00).")


class BaseInSchema(Schema):
    lat = fields.Float(required=True, validate=validate.Range(-90, 90))
    lon = fields.Float(required=True, validate=validate.Range(-180, 180))
    name = fields.String(
        load_default=None,
        allow_none=True,
        validate=[validate.Length(max=120), no_bidi_controls],
    )


class ShiftSchema(Schema):
    start = fields.String(required=True, validate=HHMM, metadata={"example": "09:00"})
    end = fields.String(required=True, validate=HHMM, metadata={"example": "17:00"})


class BreakSchema(Schema):
    start = fields.String(
        required=True,
        validate=HHMM,
        metadata={"description": "Earliest start of the break.", "example": "11:30"},
    )
    end = fields.String(
        required=True,
        validate=HHMM,
        metadata={"description": "The break is over by then.", "example": "13:30"},
    )
    minutes = Integer(required=True, validate=validate.Range(5, 180), metadata={"example": 30})


class RoutePlanInSchema(Schema):
    # _choices, for the OpenAPI document.
    OPENAPI_RULES = {
        "anyOf": [
            {
                "required": ["clinic_ids"],
                "properties": {"clinic_ids": {"type": "array"}, "region": NULL, "area": NULL},
            },
            {
                "required": ["region"],
                "properties": {"region": {"type": "string"}, "clinic_ids": NULL},
            },
            {"required": ["area"], "properties": {"area": {"type": "array"}, "clinic_ids": NULL}},
        ],
        "not": {
            "required": ["nurses", "staff"],
            "properties": {"nurses": {"type": "integer"}, "staff": {"type": "array"}},
        },
    }
    date = fields.Date(
        required=True, validate=PLANNED_DAY, metadata={"description": "The day to plan (local)."}
    )
    base = fields.Nested(
        BaseInSchema,
        required=True,
        metadata={"description": "Where every route starts and ends; inside Denmark."},
    )
    shift = fields.Nested(
        ShiftSchema,
        required=True,
        metadata={"description": "Local times: leave the base after start, back before end."},
    )
    nurses = Integer(
        load_default=None,
        allow_none=True,
        validate=validate.Range(1, 20),
        metadata={"description": "How many nurses drive out (one route each); default 1."},
    )
    staff = fields.List(
        fields.UUID(),
        load_default=None,
        allow_none=True,
        validate=validate.Length(min=1, max=20),
        metadata={"description": "Or: the user ids of the nurses; route i goes to staff[i]."},
    )
    clinic_ids = fields.List(
        fields.UUID(),
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=500),
        metadata={"description": "The clinics to visit; each is routed or listed unassigned."},
    )
    region = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.OneOf(REGION_SLUGS),
        metadata={
            "description": "Or: let the planner choose by priority among this region's clinics."
        },
    )
    area = fields.List(
        fields.List(fields.Float(), validate=validate.Length(equal=2)),
        load_default=None,
        allow_none=True,
        validate=validate.Length(min=3, max=200),
        metadata={
            "description": "Or: a polygon [[lat, lon], ...]; the clinics inside it are the "
            "candidates (within `region` when both are given)."
        },
    )
    service_minutes = Integer(
        load_default=40,
        validate=validate.Range(5, 480),
        metadata={"description": "Minutes per visit; the visit must end before closing."},
    )
    break_ = fields.Nested(
        BreakSchema,
        data_key="break",
        load_default=None,
        allow_none=True,
        metadata={"description": "An optional lunch break for every nurse."},
    )

    @validates_schema
    def _choices(self, data, **kwargs):
        if data.get("nurses") is not None and data.get("staff") is not None:
            raise ValidationError("Give nurses (a count) or staff (user ids), not both.", "staff")
        if data.get("clinic_ids") is not None and (
            data.get("region") is not None or data.get("area") is not None
        ):
            raise ValidationError("Give clinic_ids, or region and/or area, not both.", "clinic_ids")
        if data.get("clinic_ids") is None and not data.get("region") and not data.get("area"):
            raise ValidationError("Give clinic_ids, a region or an area.", "clinic_ids")


class PlanQuerySchema(Schema):
    date_from = fields.Date(
        validate=PLANNED_DAY, metadata={"description": "Plans on or after this date."}
    )
    date_to = fields.Date(
        validate=PLANNED_DAY, metadata={"description": "Plans on or before this date."}
    )
    status = fields.String(validate=validate.OneOf(PLAN_STATUSES))
    page = page_field()
    per_page = Integer(load_default=50, validate=validate.Range(min=1, max=200))


class SaveInSchema(Schema):
    nurses = fields.List(
        fields.UUID(),
        required=True,
        validate=validate.Length(max=20),  # as many as a plan's routes
        metadata={"description": "The nurse's user id for each route, in route order."},
    )
    confirm_violations = fields.Boolean(
        load_default=False,
        metadata={
            "description": "Save although a hand re-order broke opening hours or the shift end."
        },
    )


class ViolationSchema(Schema):
    kind = fields.String(
        metadata={"description": "opening_hours, shift_end or break."},
        validate=validate.OneOf(("opening_hours", "shift_end", "break")),
    )
    minutes = Integer(metadata={"description": "How many minutes too late."})


class StopOutSchema(Schema):
    clinic_id = fields.UUID()
    name = fields.String()
    lat = fields.Float()
    lon = fields.Float()
    arrival = fields.DateTime(metadata={"description": "The visit starts (local, with offset)."})
    departure = fields.DateTime(metadata={"description": "The visit ends."})
    wait_minutes = fields.Float(metadata={"description": "Waiting on site before `arrival`."})
    distance_km = fields.Float(metadata={"description": "Driven from the previous place."})
    drive_minutes = fields.Float()
    violations = fields.List(fields.Nested(ViolationSchema))


class BreakOutSchema(Schema):
    start = fields.DateTime()
    end = fields.DateTime()


class RouteOutSchema(Schema):
    nurse_id = fields.UUID(allow_none=True)
    start = fields.DateTime(metadata={"description": "Leaves the base."})
    end = fields.DateTime(metadata={"description": "Back at the base."})
    stops = fields.List(fields.Nested(StopOutSchema))
    distance_km = fields.Float(metadata={"description": "Whole route, back to the base."})
    drive_minutes = fields.Float()
    break_ = fields.Nested(BreakOutSchema, data_key="break", allow_none=True)
    violations = fields.List(fields.Nested(ViolationSchema))


class UnassignedOutSchema(Schema):
    clinic_id = fields.UUID()
    reason = fields.String(validate=validate.OneOf(REASONS))
    message = fields.String(metadata={"description": "The reason in words."})


class BaseOutSchema(Schema):
    name = fields.String()
    lat = fields.Float()
    lon = fields.Float()


class BreakSettingOutSchema(Schema):
    start = fields.String()
    end = fields.String()
    minutes = Integer()


class RoutePlanOutSchema(Schema):
    id = fields.UUID()
    date = fields.Date()
    status = fields.String(validate=validate.OneOf(PLAN_STATUSES))
    base = fields.Nested(BaseOutSchema)
    shift = fields.Nested(ShiftSchema)
    break_ = fields.Nested(BreakSettingOutSchema, data_key="break", allow_none=True)
    service_minutes = Integer()
    nurses = Integer()
    staff = fields.List(fields.UUID())
    region = fields.String(allow_none=True)
    regions = fields.List(fields.String())
    area = fields.List(fields.List(fields.Float()), allow_none=True)
    clinic_ids = fields.List(fields.UUID())
    routes = fields.List(fields.Nested(RouteOutSchema))
    unassigned = fields.List(fields.Nested(UnassignedOutSchema))
    travel_model = fields.String(allow_none=True)
    optimised_at = fields.AwareDateTime(allow_none=True)
    saved_at = fields.AwareDateTime(allow_none=True)
    created_at = fields.AwareDateTime()
    updated_at = fields.AwareDateTime()


RoutePlanListSchema = list_schema("RoutePlanList", RoutePlanOutSchema)


class RoutePlanSyncSchema(Schema):
    """A plan as the field app keeps it. `routes` holds only what the caller drives (a
    coordinator gets all); a plan with no routes is one the phone should drop."""

    id = fields.UUID()
    date = fields.Date()
    status = fields.String()
    base = fields.Nested(BaseOutSchema)
    shift = fields.Nested(ShiftSchema)
    break_ = fields.Nested(BreakSettingOutSchema, data_key="break", allow_none=True)
    service_minutes = Integer()
    routes = fields.List(fields.Nested(RouteOutSchema))
    sync_seq = Integer()
    updated_at = fields.AwareDateTime()
