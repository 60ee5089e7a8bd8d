"""Between a stored plan and the planner: the plan's day settings, the configured solver, and
the routes computed for it, optimised or re-timed after a change by hand. Nothing here
changes the plan; routing.services stores what comes back."""

import uuid
from collections.abc import Sequence
from datetime import date

from flask import current_app

from outreach.db import db
from outreach.orgs.models import Organisation
from outreach.routing import planner, trip
from outreach.routing.candidates import as_candidate, priorities
from outreach.routing.models import RoutePlan
from outreach.routing.queries import clinics_by_id
from outreach.routing.solver import VroomSolver
from outreach.routing.travel import configured_model


def day_settings(plan: RoutePlan) -> planner.DaySettings:
    return planner.DaySettings(
        day=plan.date,
        base=(plan.base_lat, plan.base_lon),
        shift_start=plan.shift_start,
        shift_end=plan.shift_end,
        service_minutes=plan.service_minutes,
        vehicles=plan.nurse_count,
        break_from=plan.break_start if plan.has_break else None,
        break_to=plan.break_end if plan.has_break else None,
        break_minutes=plan.break_minutes if plan.has_break else None,
    )


def trip_settings(plan: RoutePlan) -> trip.TripSettings:
    """A trip's settings: home is the plan's base, each day its date, shift and night."""
    return trip.TripSettings(
        home=(plan.base_lat, plan.base_lon),
        days=tuple(
            trip.TripDay(
                day=date.fromisoformat(d["date"]),
                shift_start=d["shift_start"],
                shift_end=d["shift_end"],
                night=(d["night"]["lat"], d["night"]["lon"]) if d.get("night") else None,
            )
            for d in plan.days
        ),
        service_minutes=plan.service_minutes,
        nurses=plan.nurse_count,
        break_from=plan.break_start if plan.has_break else None,
        break_to=plan.break_end if plan.has_break else None,
        break_minutes=plan.break_minutes if plan.has_break else None,
    )


def plan_settings(plan: RoutePlan):
    """The planner's settings for the plan: a day's, or a trip's."""
    return trip_settings(plan) if plan.is_trip else day_settings(plan)


def configured_solver(config=None) -> VroomSolver:
    """The solver the app's configuration asks for."""
    config = config if config is not None else current_app.config
    return VroomSolver(
        exploration_level=int(config["ROUTING_EXPLORATION_LEVEL"]),
        threads=int(config["ROUTING_THREADS"]),
        timeout=float(config["ROUTING_TIMEOUT_SECONDS"]) or None,
        restarts=int(config["ROUTING_RESTARTS"]),
        search_seconds=float(config["ROUTING_SEARCH_SECONDS"]),
        ruins=int(config["ROUTING_RUINS"]),
    )


def optimal_routes(plan: RoutePlan) -> planner.DayPlan:
    """Routes for the plan's candidates, ranked by their priority on the plan's day; every
    candidate is on exactly one route or left out with a reason."""
    clinics = clinics_by_id(plan.organisation_id, plan.clinic_ids)
    ordered = [clinics[uuid.UUID(i)] for i in plan.clinic_ids if uuid.UUID(i) in clinics]
    organisation = db.session.get(Organisation, plan.organisation_id)
    ranked = priorities(organisation, ordered, plan.date)
    config = current_app.config
    plan_it = trip.plan_trip if plan.is_trip else planner.plan_day
    return plan_it(
        plan_settings(plan),
        [as_candidate(c, ranked[c.id].score) for c in ordered],
        travel=configured_model(config),
        solver=configured_solver(config),
        max_candidates=int(config["ROUTING_MAX_CANDIDATES"]),
    )


def route_orders(plan: RoutePlan) -> list[planner.RouteOrder]:
    """The plan's routes as the coordinator may rearrange them: vehicle and clinics in order."""
    return [planner.RouteOrder(r.vehicle, [s.clinic_id for s in r.stops]) for r in plan.routes]


def retimed_routes(
    plan: RoutePlan, orders: Sequence[planner.RouteOrder]
) -> tuple[list[planner.PlannedRoute], list[tuple[uuid.UUID, str]]]:
    """Times and violations of routes arranged by hand, and the clinics that had to leave
    them (planner.recheck)."""
    wanted = [i for order in orders for i in order.clinic_ids]
    clinics = clinics_by_id(plan.organisation_id, wanted)
    return planner.recheck(
        plan_settings(plan),
        orders,
        [as_candidate(c, 0) for c in clinics.values()],
        travel=configured_model(),
    )
