"""Every state change of route plans: create, change the settings, candidates in and out,
optimise, re-order by hand, save for the nurses. Each checks its input, changes the models,
flushes and writes its audit event; the caller commits."""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta

from flask_babel import lazy_gettext as _l

from outreach.audit.services import record
from outreach.changes import stamp
from outreach.clinics.hours import minutes as hhmm_minutes
from outreach.clinics.models import Clinic
from outreach.db import db, utcnow
from outreach.denmark import in_denmark, towns
from outreach.errors import FieldErrors
from outreach.geo import GeocodingUnavailable, geocode, normalise_query
from outreach.orgs.queries import uses_external_services
from outreach.routing import planner
from outreach.routing.candidates import candidate_pool, top_choice
from outreach.routing.models import DELETED, PlannedRoute, RoutePlan, RouteStop
from outreach.routing.optimisation import optimal_routes, retimed_routes, route_orders
from outreach.routing.queries import active_users, clinics_by_id, has_violations

# --- input ---------------------------------------------------------------------------------


@dataclass
class NightInput:
    """Where a trip's day ends: coordinates, or an address to geocode, or a town's name."""

    name: str = ""
    lat: float | None = None
    lon: float | None = None
    address: str | None = None
    town: str | None = None


@dataclass
class DayInput:
    """One day of a trip: its date and shift, and where its night is (None: home)."""

    day: date
    shift_start: str
    shift_end: str
    night: NightInput | None = None


@dataclass
class PlanInput:
    """A plan request as both channels (JSON and the page) hand it over, already well-formed."""

    day: date
    base_lat: float
    base_lon: float
    shift_start: str
    shift_end: str
    base_name: str = ""
    service_minutes: int = 40
    nurses: int | None = None
    staff: list[uuid.UUID] | None = None
    clinic_ids: list[uuid.UUID] | None = None
    regions: list[str] = field(default_factory=list)
    area: list[list[float]] | None = None
    break_start: str | None = None
    break_end: str | None = None
    break_minutes: int | None = None
    # A trip of several days instead of one: the first day's date and shift are also `day`
    # and `shift_*`; the base is home.
    days: list[DayInput] | None = None


def _time_errors(inp: PlanInput) -> dict[str, list[str]]:
    errors: dict[str, list] = {}
    start, end = hhmm_minutes(inp.shift_start), hhmm_minutes(inp.shift_end)
    if end <= start:
        errors["shift"] = [_l("The shift must end after it starts, on the same day.")]
    elif end - start < inp.service_minutes:
        errors["shift"] = [
            _l(
                "The shift is shorter than one visit (%(minutes)d minutes).",
                minutes=inp.service_minutes,
            )
        ]
    given = [inp.break_start, inp.break_end, inp.break_minutes]
    if any(v is not None for v in given):
        if any(v is None for v in given):
            errors["break"] = [_l("Give the break's earliest start, end and minutes.")]
        else:
            b_start, b_end = hhmm_minutes(inp.break_start), hhmm_minutes(inp.break_end)
            if b_end - b_start < inp.break_minutes:
                errors["break"] = [_l("The break's window is shorter than the break itself.")]
            elif "shift" not in errors and (b_start < start or b_end > end):
                errors["break"] = [_l("The break must lie inside the shift.")]
            elif "shift" not in errors and end - start < inp.service_minutes + inp.break_minutes:
                errors["shift"] = [_l("The shift is too short for one visit and the break.")]
    return errors


def is_town(name: str) -> bool:
    """True when `name` is a Danish town's (data/towns.csv)."""
    return _town(name) is not None


def _town(name: str):
    wanted = normalise_query(name or "")
    return next((t for t in towns() if normalise_query(t.name) == wanted), None)


def _night(night: NightInput, organisation) -> tuple[dict | None, str | None]:
    """{"name", "lat", "lon"} of a night's base, or why it cannot be found. A town is looked
    up among Denmark's towns, an address through the geocoder (as a clinic's address is)."""
    name = (night.name or "").strip()[:120]
    if night.lat is not None and night.lon is not None:
        found = (night.lat, night.lon)
    elif night.town:
        town = _town(night.town)
        if town is None:
            return None, str(_l("No Danish town has this name."))
        found, name = (town.lat, town.lon), name or town.name
    elif night.address:
        try:
            found = geocode(night.address, third_party=uses_external_services(organisation))
        except GeocodingUnavailable:
            return None, str(
                _l("The address could not be looked up now; give a town or coordinates.")
            )
        if found is None:
            return None, str(_l("The address was not found; give a town or coordinates."))
        name = name or night.address.strip()[:120]
    else:
        return None, str(_l("Give the night's base: coordinates, an address or a town."))
    if not in_denmark(*found):
        return None, str(_l("The base is outside Denmark; check latitude and longitude."))
    return {"name": name, "lat": float(found[0]), "lon": float(found[1])}, None


def _trip_errors(user, inp: PlanInput) -> tuple[dict, list[dict]]:
    """The errors of a trip's days by field ({"days": {"1": {"shift": [...]}}}), and the
    days as stored, each night's base found."""
    errors: dict = {}
    by_day: dict[str, dict] = {}
    stored = []
    last = len(inp.days) - 1
    for index, day in enumerate(inp.days):
        found: dict = {}
        one_day = replace(inp, day=day.day, shift_start=day.shift_start, shift_end=day.shift_end)
        found.update(_time_errors(one_day))  # "shift" is this day's; "break" is the plan's
        if "break" in found:
            errors["break"] = found.pop("break")
        if index and day.day != inp.days[index - 1].day + timedelta(days=1):
            found["date"] = [_l("The days of a trip follow each other: the day after the last.")]
        night = None
        if index == last and day.night is not None:
            found["night"] = [_l("The last day ends at home (the base): give it no night.")]
        elif index < last and day.night is None:
            found["night"] = [_l("Say where the night after this day is spent.")]
        elif day.night is not None:
            night, problem = _night(day.night, user.organisation)
            if problem:
                found["night"] = [problem]
        if found:
            by_day[str(index)] = found
        stored.append(
            {
                "date": day.day.isoformat(),
                "shift_start": day.shift_start,
                "shift_end": day.shift_end,
                "night": night,
            }
        )
    if by_day:
        errors["days"] = by_day
    return errors, stored


@dataclass
class Checked:
    """A request that can be planned: its clinics, named staff and (a trip) its days."""

    clinics: list[Clinic]
    staff: list[uuid.UUID]
    days: list[dict] | None = None


def validate_input(user, inp: PlanInput) -> Checked:
    """The clinics to plan for, the named staff, a trip's days with each night's base found;
    FieldErrors when the request cannot be planned. Fields: base, shift, break, staff,
    clinic_ids, region, area, and a trip's days (by day: date, shift, night)."""
    days = None
    if inp.days:
        errors, days = _trip_errors(user, inp)
    else:
        errors = _time_errors(inp)
    if not in_denmark(inp.base_lat, inp.base_lon):
        errors["base"] = [_l("The base is outside Denmark; check latitude and longitude.")]
    staff: list[uuid.UUID] = []
    if inp.staff is not None:
        if len(set(inp.staff)) != len(inp.staff):
            errors["staff"] = [_l("A nurse is named twice.")]
        else:
            known = active_users(user.organisation_id, inp.staff)
            unknown = [str(i) for i in inp.staff if i not in known]
            if unknown:
                errors["staff"] = [
                    _l("Not an active user of your organisation: %(id)s", id=i) for i in unknown
                ]
            staff = list(inp.staff)
    clinics: list[Clinic] = []
    if inp.clinic_ids is not None:
        ids = list(dict.fromkeys(inp.clinic_ids))  # the same clinic twice is one stop
        found = clinics_by_id(user.organisation_id, ids)
        unknown = [str(i) for i in ids if i not in found]
        if not ids:
            errors["clinic_ids"] = [_l("Select at least one clinic.")]
        elif unknown:
            errors["clinic_ids"] = [
                _l("No clinic of your organisation has the id %(id)s.", id=i) for i in unknown[:20]
            ]
        clinics = [found[i] for i in ids if i in found]
    elif inp.area:
        if any(not (-90 <= lat <= 90 and -180 <= lon <= 180) for lat, lon in inp.area):
            errors["area"] = [_l("The area has a point that is not a latitude, longitude.")]
        else:
            clinics = candidate_pool(user.organisation_id, inp.regions, inp.area)
            if not clinics:
                errors["area"] = [_l("No open clinic with coordinates in this area.")]
    elif inp.regions:
        clinics = candidate_pool(user.organisation_id, inp.regions, None)
        if not clinics:
            errors["region"] = [_l("Your organisation has no open clinics in this region.")]
    else:
        errors["clinic_ids"] = [_l("Choose clinics, a region or an area.")]
    if errors:
        raise FieldErrors(errors)
    return Checked(clinics, staff, days)


# --- the plan and its settings ---------------------------------------------------------------


def _apply_settings(plan: RoutePlan, inp: PlanInput, checked: Checked) -> None:
    staff = checked.staff
    plan.days = checked.days
    plan.end_date = date.fromisoformat(checked.days[-1]["date"]) if checked.days else None
    plan.date = inp.day
    plan.base_name = (inp.base_name or "").strip()[:120]
    plan.base_lat, plan.base_lon = inp.base_lat, inp.base_lon
    plan.shift_start, plan.shift_end = inp.shift_start, inp.shift_end
    plan.break_start, plan.break_end = inp.break_start, inp.break_end
    plan.break_minutes = inp.break_minutes
    plan.service_minutes = inp.service_minutes
    plan.staff = [str(i) for i in staff]
    plan.nurse_count = len(staff) if staff else (inp.nurses or 1)


def _selection(inp: PlanInput) -> dict:
    return {
        "regions": sorted(inp.regions or []) if inp.clinic_ids is None else [],
        "area": inp.area if inp.clinic_ids is None else None,
    }


# A region or area chosen on the page puts this many candidates per visit a nurse's shift
# could hold on the list (the rest stay one tap away): a choice for the optimiser, not a
# list of 87 to read.
CHOICE_PER_VISIT = 2


def create_plan(user, inp: PlanInput, *, top_only: bool = False) -> RoutePlan:
    """A draft plan whose candidate list is the requested clinics (or the region's, the
    area's; with `top_only`, only those of highest priority: CHOICE_PER_VISIT for each visit
    the nurses' shifts could hold); optimise() makes its routes."""
    checked = validate_input(user, inp)
    clinics, staff = checked.clinics, checked.staff
    if top_only and inp.clinic_ids is None:
        nurses = len(staff) if staff else (inp.nurses or 1)
        shifts = [(d.shift_start, d.shift_end) for d in inp.days or ()] or [
            (inp.shift_start, inp.shift_end)
        ]
        visits = nurses * sum(
            max(1, (hhmm_minutes(end) - hhmm_minutes(start)) // inp.service_minutes)
            for start, end in shifts
        )
        clinics = top_choice(
            user.organisation,
            clinics,
            inp.day,
            CHOICE_PER_VISIT * visits,
            [d.day for d in inp.days or ()],
        )
    plan = RoutePlan(
        organisation_id=user.organisation_id,
        created_by_id=user.id,
        status="draft",
        **_selection(inp),
        clinic_ids=[str(c.id) for c in clinics],
        unassigned=[],
    )
    _apply_settings(plan, inp, checked)
    db.session.add(plan)
    db.session.flush()
    record(
        "route_plan.create",
        user=user,
        obj=plan,
        clinics=len(clinics),
        **({"days": len(checked.days)} if checked.days else {}),
    )
    return plan


def update_settings(user, plan: RoutePlan, inp: PlanInput) -> None:
    """New settings make the routes stale: they are dropped until the next optimise. A new
    region or area also starts the candidate list afresh."""
    checked = validate_input(user, inp)
    selection = _selection(inp)
    if selection != {"regions": plan.regions, "area": plan.area}:
        plan.regions, plan.area = selection["regions"], selection["area"]
        plan.clinic_ids = [str(c.id) for c in checked.clinics]
    _apply_settings(plan, inp, checked)
    _clear_result(plan)
    _changed(user, plan, "route_plan.update")


def _clear_result(plan: RoutePlan) -> None:
    plan.routes.clear()
    plan.unassigned = []
    plan.optimised_at = None
    plan.status = "draft"


def _changed(user, plan: RoutePlan, action: str, **details) -> None:
    """Bookkeeping after every change: phones that may hold the plan learn of it."""
    plan.updated_at = utcnow()
    if plan.saved_at is not None:
        stamp(plan)
    db.session.flush()
    record(action, user=user, obj=plan, **details)


# --- candidates ----------------------------------------------------------------------------


def include_clinic(user, plan: RoutePlan, clinic: Clinic) -> None:
    if str(clinic.id) not in plan.clinic_ids:
        plan.clinic_ids = [*plan.clinic_ids, str(clinic.id)]
        _changed(user, plan, "route_plan.candidate_add", clinic_id=str(clinic.id))


def exclude_clinic(user, plan: RoutePlan, clinic: Clinic) -> None:
    if str(clinic.id) in plan.clinic_ids:
        plan.clinic_ids = [i for i in plan.clinic_ids if i != str(clinic.id)]
        _changed(user, plan, "route_plan.candidate_remove", clinic_id=str(clinic.id))


# --- optimising and re-ordering ------------------------------------------------------------


def _violations(items) -> list[dict]:
    return [{"kind": kind, "minutes": minutes} for kind, minutes in items]


def _store_routes(plan: RoutePlan, routes: Sequence[planner.PlannedRoute], nurses: dict) -> None:
    # The old rows go first: the new ones reuse their (plan, position) numbers.
    plan.routes.clear()
    db.session.flush()
    for position, route in enumerate(routes):
        plan.routes.append(
            PlannedRoute(
                position=position,
                vehicle=route.vehicle,
                # A trip's vehicles are numbered day by day (trip.TripSettings.day_of).
                day=route.vehicle // plan.nurse_count if plan.is_trip else 0,
                nurse_id=nurses.get(route.vehicle),
                start_at=route.start,
                end_at=route.end,
                break_position=route.break_position,
                break_start_at=route.break_start,
                break_end_at=route.break_end,
                distance_km=route.distance_km,
                drive_minutes=route.drive_minutes,
                violations=_violations(route.violations),
                stops=[
                    RouteStop(
                        position=n,
                        clinic_id=stop.clinic_id,
                        reached_at=stop.reached,
                        arrival_at=stop.arrival,
                        departure_at=stop.departure,
                        distance_km=stop.distance_km,
                        drive_minutes=stop.drive_minutes,
                        violations=_violations(stop.violations),
                    )
                    for n, stop in enumerate(route.stops)
                ],
            )
        )


def optimise(user, plan: RoutePlan) -> None:
    """Routes for the plan's candidates; every one of them ends up on exactly one route or
    in `unassigned` with a reason. A saved plan goes back to draft until saved again."""
    result = optimal_routes(plan)
    # Named staff: nurse k drives vehicle k, and on a trip vehicle k of every day.
    count = max(1, plan.nurse_count)
    nurses = {
        route.vehicle: uuid.UUID(plan.staff[route.vehicle % count])
        for route in result.routes
        if route.vehicle % count < len(plan.staff)
    }
    _store_routes(plan, result.routes, nurses)
    plan.unassigned = [{"clinic_id": str(c), "reason": r} for c, r in result.unassigned]
    plan.travel_model = result.travel_model[:120]
    plan.optimised_at = utcnow()
    plan.status = "draft"
    _changed(
        user,
        plan,
        "route_plan.optimise",
        routes=len(result.routes),
        stops=sum(len(r.stops) for r in result.routes),
        unassigned=len(result.unassigned),
    )


class NoSuchStop(LookupError):
    pass


def _recheck(user, plan: RoutePlan, orders, action: str, **details) -> None:
    nurses = {r.vehicle: r.nurse_id for r in plan.routes}
    routes, dropped = retimed_routes(plan, orders)
    _store_routes(plan, routes, nurses)
    if dropped:
        plan.unassigned = [
            *plan.unassigned,
            *({"clinic_id": str(c), "reason": r} for c, r in dropped),
        ]
    _changed(user, plan, action, **details)


def _stop_at(plan: RoutePlan, route_index: int, stop_index: int) -> RouteStop:
    if not 0 <= route_index < len(plan.routes):
        raise NoSuchStop()
    stops = plan.routes[route_index].stops
    if not 0 <= stop_index < len(stops):
        raise NoSuchStop()
    return stops[stop_index]


def move_stop(user, plan: RoutePlan, route_index: int, stop_index: int, offset: int) -> None:
    """Move a stop earlier (-1) or later (+1) in its route and recompute the times; the check
    marks any visit outside the opening hours and a return after the shift's end."""
    _stop_at(plan, route_index, stop_index)
    orders = route_orders(plan)
    ids = orders[route_index].clinic_ids
    target = stop_index + offset
    if not 0 <= target < len(ids):
        return
    ids[stop_index], ids[target] = ids[target], ids[stop_index]
    _recheck(user, plan, orders, "route_plan.reorder", route=route_index)


def move_stop_to_route(
    user, plan: RoutePlan, route_index: int, stop_index: int, target_route: int
) -> None:
    """Hand a stop to another nurse's route (at its end)."""
    _stop_at(plan, route_index, stop_index)
    if not 0 <= target_route < len(plan.routes) or target_route == route_index:
        raise NoSuchStop()
    orders = route_orders(plan)
    clinic_id = orders[route_index].clinic_ids.pop(stop_index)
    orders[target_route].clinic_ids.append(clinic_id)
    _recheck(user, plan, orders, "route_plan.reorder", route=route_index, to_route=target_route)


def remove_stop(user, plan: RoutePlan, route_index: int, stop_index: int) -> None:
    stop = _stop_at(plan, route_index, stop_index)
    orders = route_orders(plan)
    orders[route_index].clinic_ids.pop(stop_index)
    plan.unassigned = [
        *plan.unassigned,
        {"clinic_id": str(stop.clinic_id), "reason": planner.REMOVED},
    ]
    _recheck(user, plan, orders, "route_plan.stop_remove", clinic_id=str(stop.clinic_id))


# --- saving for the nurses -------------------------------------------------------------------


def save_plan(user, plan: RoutePlan, nurse_ids: Sequence, confirm_violations: bool = False):
    """Give each route to a nurse and publish the plan to their phones."""
    errors: dict[str, list[str]] = {}
    if not plan.routes:
        raise FieldErrors({"routes": [_l("The plan has no routes yet: optimise it first.")]})
    if len(nurse_ids) != len(plan.routes):
        raise FieldErrors(
            {"nurses": [_l("Give one nurse for each of the %(n)d routes.", n=len(plan.routes))]}
        )
    chosen = [uuid.UUID(str(i)) if i else None for i in nurse_ids]
    known = active_users(plan.organisation_id, [i for i in chosen if i])
    messages = []
    for number, nurse_id in enumerate(chosen, start=1):
        if nurse_id is None:
            messages.append(_l("Route %(n)d has no nurse.", n=number))
        elif nurse_id not in known:
            messages.append(_l("Route %(n)d: not an active user of your organisation.", n=number))
    # One route per nurse a day (a trip has a route per nurse on each of its days).
    for day in {r.day for r in plan.routes}:
        that_day = [i for r, i in zip(plan.routes, chosen, strict=True) if r.day == day and i]
        if len(set(that_day)) != len(that_day):
            messages.append(
                _l("A nurse can drive only one route a day.")
                if plan.is_trip
                else _l("A nurse can drive only one route.")
            )
            break
    if messages:
        errors["nurses"] = messages
    if has_violations(plan) and not confirm_violations:
        errors["confirm_violations"] = [
            _l("The routes break opening hours or the shift end; confirm to save anyway.")
        ]
    if errors:
        raise FieldErrors(errors)
    for route, nurse_id in zip(plan.routes, chosen, strict=True):
        route.nurse_id = nurse_id
    plan.status = "saved"
    plan.saved_at = utcnow()
    plan.saved_by_id = user.id
    _changed(user, plan, "route_plan.save", routes=len(plan.routes))


def reopen_plan(user, plan: RoutePlan) -> None:
    """Take a saved plan back to a draft: it leaves the nurses' phones (a plan without routes
    is dropped there) until it is saved again; its routes stay for the coordinator to change."""
    if plan.status != "saved":
        return
    plan.status = "draft"
    _changed(user, plan, "route_plan.reopen")


def delete_plan(user, plan: RoutePlan) -> None:
    """Delete a plan. One that was never saved is on no phone and goes at once; one that was
    saved keeps its row, without routes and hidden everywhere, so that the phones that hold it
    drop it at their next pull."""
    on_phones = plan.status == "saved" or plan.saved_at is not None
    record("route_plan.delete", user=user, obj=plan, saved=on_phones)
    if not on_phones:
        db.session.delete(plan)
        db.session.flush()
        return
    plan.routes.clear()
    plan.unassigned = []
    plan.status = DELETED
    plan.updated_at = utcnow()
    stamp(plan)
    db.session.flush()
