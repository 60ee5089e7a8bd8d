"""Route plan JSON schemas: they validate request bodies and generate the OpenAPI document.

These check the form of a request; the rules that need the organisation's data or span
several fields (a base in Denmark, a shift longer than one visit, clinic ids of the caller's
organisation) live in services.validate_input, shared with the planning page.
"""

import re

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from outreach.i18n import N_
from outreach.inputs import NULL, PLANNED_DAY, Integer, no_bidi_controls
from outreach.orgs.models import REGION_SLUGS
from outreach.paging import list_schema, page_field
from outreach.routing.models import PLAN_STATUSES
from outreach.routing.planner import REASONS

TIME = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$|^24:00$")
MAX_TRIP_DAYS = 7  # the API and the page
HHMM = validate.Regexp(TIME, error=N_("Give a time as HH:MM (00:00-24:00)."))


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


class NightInSchema(Schema):
    """Where a day of a trip ends: coordinates, an address (geocoded) or a town's name."""

    OPENAPI_RULES = {
        "oneOf": [
            {"required": ["lat", "lon"]},
            {"required": ["address"]},
            {"required": ["town"]},
        ]
    }
    lat = fields.Float(load_default=None, validate=validate.Range(-90, 90))
    lon = fields.Float(load_default=None, validate=validate.Range(-180, 180))
    address = fields.String(
        load_default=None,
        validate=[validate.Length(min=3, max=200), no_bidi_controls],
        metadata={"description": "A hotel's address, looked up by the geocoder."},
    )
    town = fields.String(
        load_default=None,
        validate=[validate.Length(min=2, max=80), no_bidi_controls],
        metadata={"description": "A Danish town's name: its centre.", "example": "Aalborg"},
    )
    name = fields.String(
        load_default=None,
        allow_none=True,
        validate=[validate.Length(max=120), no_bidi_controls],
        metadata={"example": "Hotel in Aalborg"},
    )

    @validates_schema
    def _one_place(self, data, **kwargs):
        given = [
            data.get("lat") is not None or data.get("lon") is not None,
            data.get("address") is not None,
            data.get("town") is not None,
        ]
        if sum(given) != 1:
            raise ValidationError(N_("Give lat and lon, an address or a town: one of them."))
        if given[0] and (data.get("lat") is None or data.get("lon") is None):
            raise ValidationError(N_("Give both lat and lon."))


class TripDaySchema(Schema):
    date = fields.Date(required=True, validate=PLANNED_DAY, metadata={"example": "2026-03-03"})
    shift = fields.Nested(
        ShiftSchema,
        load_default=None,
        metadata={"description": "This day's shift; default: the plan's `shift`."},
    )
    night = fields.Nested(
        NightInSchema,
        load_default=None,
        allow_none=True,
        metadata={
            "description": "Where the night after this day is spent: every day's route ends "
            "there and the next day's starts there. Required on every day but the last, "
            "which ends at `base` (home)."
        },
    )


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
        # One day (`date` and `shift`), or a trip (`days`).
        "oneOf": [
            {
                "required": ["date", "shift"],
                "properties": {
                    "date": {"type": "string"},
                    "shift": {"type": "object"},
                    "days": NULL,
                },
            },
            {"required": ["days"], "properties": {"days": {"type": "array"}, "date": NULL}},
        ],
    }
    date = fields.Date(
        load_default=None,
        validate=PLANNED_DAY,
        metadata={"description": "The day to plan (local); required unless `days` is given."},
    )
    days = fields.List(
        fields.Nested(TripDaySchema),
        load_default=None,
        allow_none=True,
        validate=validate.Length(min=2, max=MAX_TRIP_DAYS),
        metadata={
            "description": "Or: a trip of several days in a row, instead of `date`. Each "
            "clinic is visited at most once in the trip, on a day when it is open; the first "
            "day starts at `base` (home), each night is spent at that day's `night`, the "
            "last day ends at home. One route per nurse and day."
        },
    )
    base = fields.Nested(
        BaseInSchema,
        required=True,
        metadata={"description": "Where every route starts and ends; inside Denmark."},
    )
    shift = fields.Nested(
        ShiftSchema,
        load_default=None,
        metadata={
            "description": "Local times: leave the base after start, back before end. "
            "Required for one day; for a trip, the shift of each day without its own."
        },
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
    def _one_day_or_trip(self, data, **kwargs):
        if data.get("days") is None:
            # One day: `date` and `shift` are both needed. Not marshmallow's "Missing data for
            # required field.": neither is required on its own, and a client that reads that
            # message as a rule of the document (Schemathesis does) would then require both
            # together with `days`, which no body can satisfy.
            missing = {
                key: [message]
                for key, message in (
                    ("date", N_("Give the day to plan (date), or the days of a trip (days).")),
                    ("shift", N_("Give the shift: start and end, as HH:MM.")),
                )
                if data.get(key) is None
            }
            if missing:
                raise ValidationError(missing)
            return
        if data.get("date") is not None:
            raise ValidationError(N_("Give date (one day) or days (a trip), not both."), "days")
        if data.get("shift") is None:
            missing = {
                index: {"shift": [N_("Give this day's shift, or the plan's shift.")]}
                for index, day in enumerate(data["days"])
                if day.get("shift") is None
            }
            if missing:
                raise ValidationError({"days": missing})

    @validates_schema
    def _choices(self, data, **kwargs):
        if data.get("nurses") is not None and data.get("staff") is not None:
            raise ValidationError(
                N_("Give nurses (a count) or staff (user ids), not both."), "staff"
            )
        if data.get("clinic_ids") is not None and (
            data.get("region") is not None or data.get("area") is not None
        ):
            raise ValidationError(
                N_("Give clinic_ids, or region and/or area, not both."), "clinic_ids"
            )
        if data.get("clinic_ids") is None and not data.get("region") and not data.get("area"):
            raise ValidationError(N_("Give clinic_ids, a region or an area."), "clinic_ids")


class PlanQuerySchema(Schema):
    date_from = fields.Date(
        validate=PLANNED_DAY,
        metadata={"description": "Plans on or after this date (a trip: any of its days)."},
    )
    date_to = fields.Date(
        validate=PLANNED_DAY,
        metadata={"description": "Plans on or before this date (a trip: any of its days)."},
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
    lat = fields.Float(
        allow_none=True,
        metadata={"description": "null when the clinic has lost its coordinates since."},
    )
    lon = fields.Float(allow_none=True)
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
    day = Integer(metadata={"description": "A trip's routes only: the day, 0 the first."})
    date = fields.Date(metadata={"description": "A trip's routes only: the day's date."})
    start_base = fields.Nested(
        "BaseOutSchema", metadata={"description": "A trip's routes only: where the day starts."}
    )
    end_base = fields.Nested(
        "BaseOutSchema", metadata={"description": "A trip's routes only: where it ends."}
    )
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


class TripDayOutSchema(Schema):
    date = fields.Date()
    shift = fields.Nested(ShiftSchema)
    night = fields.Nested(
        BaseOutSchema, allow_none=True, metadata={"description": "Null on the last day: home."}
    )


class RoutePlanOutSchema(Schema):
    id = fields.UUID()
    date = fields.Date(metadata={"description": "The day; a trip's first day."})
    days = fields.List(
        fields.Nested(TripDayOutSchema),
        metadata={"description": "A trip only: its days, in order."},
    )
    end_date = fields.Date(metadata={"description": "A trip only: its last day."})
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
    coordinator gets all); a plan with no routes is one the phone should drop. A trip's
    routes each carry their `date`; the phone keeps the trip until its `end_date`."""

    id = fields.UUID()
    date = fields.Date()
    days = fields.List(fields.Nested(TripDayOutSchema))
    end_date = fields.Date()
    status = fields.String()
    base = fields.Nested(BaseOutSchema)
    shift = fields.Nested(ShiftSchema)
    break_ = fields.Nested(BreakSettingOutSchema, data_key="break", allow_none=True)
    service_minutes = Integer()
    routes = fields.List(fields.Nested(RouteOutSchema))
    sync_seq = Integer()
    updated_at = fields.AwareDateTime()
