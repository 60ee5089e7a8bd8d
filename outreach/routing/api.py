"""/api/v1/route-plans: plan a day (DESIGN.md §4), read plans, save one for the nurses.

Coordinators and admins only; a nurse gets her saved routes through the sync pull.
"""

import uuid

from flask.views import MethodView
from flask_smorest import abort

from outreach.apiutil import Blueprint, caller
from outreach.db import db
from outreach.permissions import role_required
from outreach.routing import queries, services
from outreach.routing.schemas import (
    PlanQuerySchema,
    RoutePlanInSchema,
    RoutePlanListSchema,
    RoutePlanOutSchema,
    SaveInSchema,
)

blp = Blueprint(
    "route_plans_api",
    __name__,
    url_prefix="/api/v1/route-plans",
    description="Route plans: a day's routes for one or more nurses (coordinators and admins).",
)

ERRORS_422 = (
    "Invalid body, or a plan that cannot be made: a base outside Denmark, a shift shorter "
    "than one visit, clinic ids that are not your organisation's, no clinics selected; "
    "for a trip, days that do not follow each other or a night base that cannot be found."
)


def _day_input(day: dict, shift: dict | None) -> services.DayInput:
    shift = day.get("shift") or shift
    night = day.get("night")
    return services.DayInput(
        day=day["date"],
        shift_start=shift["start"],
        shift_end=shift["end"],
        night=services.NightInput(
            name=night.get("name") or "",
            lat=night.get("lat"),
            lon=night.get("lon"),
            address=night.get("address"),
            town=night.get("town"),
        )
        if night
        else None,
    )


def plan_input(data: dict) -> services.PlanInput:
    pause = data.get("break_") or {}
    days = [_day_input(d, data.get("shift")) for d in data["days"]] if data.get("days") else None
    first = days[0] if days else None
    return services.PlanInput(
        day=first.day if first else data["date"],
        base_lat=data["base"]["lat"],
        base_lon=data["base"]["lon"],
        base_name=data["base"].get("name") or "",
        shift_start=first.shift_start if first else data["shift"]["start"],
        shift_end=first.shift_end if first else data["shift"]["end"],
        days=days,
        service_minutes=data["service_minutes"],
        nurses=data.get("nurses"),
        staff=data.get("staff"),
        clinic_ids=data.get("clinic_ids"),
        regions=[data["region"]] if data.get("region") else [],
        area=data.get("area"),
        break_start=pause.get("start"),
        break_end=pause.get("end"),
        break_minutes=pause.get("minutes"),
    )


def _plan_or_404(plan_id: uuid.UUID):
    plan = queries.get_plan(caller().organisation_id, plan_id)
    if plan is None:
        abort(404)
    return plan


@blp.route("")
class RoutePlanCollection(MethodView):
    decorators = [role_required("coordinator")]

    @blp.arguments(PlanQuerySchema, location="query")
    @blp.response(200, RoutePlanListSchema)
    def get(self, args):
        """List route plans, newest date first."""
        page, per_page = args.pop("page"), args.pop("per_page")
        items, total = queries.list_plans(
            caller().organisation_id, page=page, per_page=per_page, **args
        )
        return {
            "items": [queries.representation(p) for p in items],
            "page": page,
            "per_page": per_page,
            "total": total,
        }

    @blp.arguments(RoutePlanInSchema)
    @blp.response(201, RoutePlanOutSchema)
    @blp.alt_response(422, description=ERRORS_422)
    @blp.alt_response(403, description="Nurses cannot plan routes.")
    def post(self, data):
        """Plan a day: routes through the clinics, and every clinic left out with a reason.

        Each stop is served inside the clinic's opening hours for that weekday (the visit
        ends before closing); each route leaves the base after the shift starts and is back
        before it ends. The plan is stored as a draft; save it to send it to the nurses.

        Or plan a trip of several days (`days` instead of `date`): one route per nurse and
        day, each clinic at most once in the trip and on a day when it is open; day one
        starts at `base`, each day ends at its `night` base where the next one starts, and
        the last day ends at `base`. Errors name the day: `{"days": {"1": {"night": [...]}}}`.
        """
        user = caller()
        plan = services.create_plan(user, plan_input(data))
        services.optimise(user, plan)
        db.session.commit()
        return queries.representation(plan)


@blp.route("/<uuid:plan_id>")
class RoutePlanResource(MethodView):
    decorators = [role_required("coordinator")]

    @blp.response(200, RoutePlanOutSchema)
    @blp.alt_response(404, description="No such plan in your organisation.")
    def get(self, plan_id: uuid.UUID):
        """Read one route plan."""
        return queries.representation(_plan_or_404(plan_id))


@blp.route("/<uuid:plan_id>/save")
class RoutePlanSave(MethodView):
    decorators = [role_required("coordinator")]

    @blp.arguments(SaveInSchema)
    @blp.response(200, RoutePlanOutSchema)
    @blp.alt_response(404, description="No such plan in your organisation.")
    @blp.alt_response(422, description="A route without a nurse, or unconfirmed violations.")
    def post(self, data, plan_id: uuid.UUID):
        """Give each route to a nurse and send the plan to their phones."""
        plan = _plan_or_404(plan_id)
        services.save_plan(caller(), plan, data["nurses"], data["confirm_violations"])
        db.session.commit()
        return queries.representation(plan)
