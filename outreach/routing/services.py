"""Every state change of route plans: create, candidates in and out, optimise, re-order,
save for the nurses; and the readings of a plan the API, the pages and the phone share."""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_

from outreach.audit.services import record
from outreach.auth.models import User
from outreach.clinics.hours import minutes as hhmm_minutes
from outreach.clinics.models import Clinic
from outreach.db import db, utcnow
from outreach.denmark import in_denmark
from outreach.errors import FieldErrors
from outreach.orgs.models import Organisation
from outreach.paging import paginate
from outreach.routing import planner, priority
from outreach.routing.models import PlannedRoute, RoutePlan, RouteStop
from outreach.routing.solver import VroomSolver
from outreach.routing.travel import configured_model
from outreach.sync.services import stamp
from outreach.tenancy import get_in_org, tenant_select
from outreach.visits.models import Visit
from outreach.vocabulary import WEEKDAYS, label

LOCAL_TZ = planner.LOCAL_TZ
MAX_POOL = 500  # candidates from a region or an area; more would not be readable anyway

REASON_TEXT = {
    planner.CLINIC_CLOSED: _l("The clinic is marked as closed in the registry."),
    planner.NO_COORDINATES: _l("No coordinates: add an address or a map position."),
    planner.HOURS_UNKNOWN: _l(
        "Opening hours unknown: every stop must be inside the opening hours, so the planner "
        "cannot place it. Add the opening hours."
    ),
    planner.CLOSED_THAT_DAY: _l("Closed on that weekday."),
    planner.CANNOT_FIT: _l(
        "Cannot fit in the shift: even as the only stop, the drive from the base and back "
        "and the visit do not fit the shift and the opening hours."
    ),
    planner.LOWER_PRIORITY: _l(
        "Lower priority than those chosen: it fits alone, but the day is full with clinics "
        "of higher priority or on the way."
    ),
    planner.REMOVED: _l("Taken off the route by the coordinator."),
}
VIOLATION_TEXT = {
    "opening_hours": _l("Outside the opening hours: the visit ends %(minutes)d min after closing."),
    "closed": _l("The clinic is closed at that time of the day."),
    "shift_end": _l("Back at the base %(minutes)d min after the shift ends."),
    "break": _l("The break starts %(minutes)d min later than its window allows."),
}


def reason_text(reason: str, day: date | None = None) -> str:
    if reason == planner.CLOSED_THAT_DAY and day is not None:
        weekday = planner.DayClock(day).weekday
        return str(_l("Closed on %(weekday)s.", weekday=label(WEEKDAYS, weekday)))
    return str(REASON_TEXT.get(reason, reason))


def violation_text(violation: dict) -> str:
    kind, late = violation.get("kind"), violation.get("minutes") or 0
    if kind == "opening_hours" and not late:
        kind = "closed"
    text = VIOLATION_TEXT.get(kind)
    return str(text % {"minutes": late}) if text else str(kind)


# --- input ---------------------------------------------------------------------------------


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


def offices(org: Organisation) -> list[dict]:
    """The organisation's offices (settings["offices"]) that can serve as a base."""
    found = []
    for office in (org.settings or {}).get("offices") or []:
        try:
            lat, lon = float(office["lat"]), float(office["lon"])
        except (KeyError, TypeError, ValueError):
            continue
        found.append({"name": str(office.get("name") or ""), "lat": lat, "lon": lon})
    return found


def target_interval_days(org: Organisation) -> int:
    value = (org.settings or {}).get("visit_interval_days")
    if isinstance(value, int) and 1 <= value <= 3650:
        return value
    return int(current_app.config["ROUTING_TARGET_INTERVAL_DAYS"])


def _inside(lat: float, lon: float, polygon: Sequence[Sequence[float]]) -> bool:
    """Ray casting on (lat, lon); fine for the few kilometres a coordinator draws."""
    inside = False
    j = len(polygon) - 1
    for i in range(len(polygon)):
        (lat_i, lon_i), (lat_j, lon_j) = polygon[i], polygon[j]
        if (lon_i > lon) != (lon_j > lon):
            crossing = lat_i + (lon - lon_i) / (lon_j - lon_i) * (lat_j - lat_i)
            if lat < crossing:
                inside = not inside
        j = i
    return inside


def candidate_pool(organisation_id, regions: Sequence[str], area) -> list[Clinic]:
    """The clinics a region or an area offers, closed clinics excepted."""
    stmt = tenant_select(Clinic, organisation_id).where(Clinic.status != "closed")
    if regions:
        stmt = stmt.where(Clinic.region_slug.in_(list(regions)))
    if area:
        lats, lons = [p[0] for p in area], [p[1] for p in area]
        stmt = stmt.where(
            Clinic.lat.between(min(lats), max(lats)), Clinic.lon.between(min(lons), max(lons))
        )
    clinics = db.session.scalars(stmt.order_by(Clinic.name, Clinic.id)).all()
    if area:
        clinics = [c for c in clinics if _inside(c.lat, c.lon, area)]
    return list(clinics[:MAX_POOL])


def _clinics(organisation_id, ids: Sequence) -> dict[uuid.UUID, Clinic]:
    wanted = [uuid.UUID(str(i)) for i in ids]
    if not wanted:
        return {}
    rows = db.session.scalars(tenant_select(Clinic, organisation_id).where(Clinic.id.in_(wanted)))
    return {c.id: c for c in rows}


def _active_users(organisation_id, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, User]:
    if not ids:
        return {}
    rows = db.session.scalars(
        tenant_select(User, organisation_id).where(User.id.in_(list(ids)), User.active.is_(True))
    )
    return {u.id: u for u in rows}


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


def validate_input(user, inp: PlanInput) -> tuple[list[Clinic], list[uuid.UUID]]:
    """The clinics to plan for and the named staff; FieldErrors when the request cannot be
    planned. Fields: base, shift, break, staff, clinic_ids, region, area."""
    errors = _time_errors(inp)
    if not in_denmark(inp.base_lat, inp.base_lon):
        errors["base"] = [_l("The base is outside Denmark; check latitude and longitude.")]
    staff: list[uuid.UUID] = []
    if inp.staff is not None:
        if len(set(inp.staff)) != len(inp.staff):
            errors["staff"] = [_l("A nurse is named twice.")]
        else:
            known = _active_users(user.organisation_id, inp.staff)
            unknown = [str(i) for i in inp.staff if i not in known]
            if unknown:
                errors["staff"] = [
                    _l("Not an active user of your organisation: %(id)s", id=i) for i in unknown
                ]
            staff = list(inp.staff)
    clinics: list[Clinic] = []
    if inp.clinic_ids is not None:
        ids = list(dict.fromkeys(inp.clinic_ids))  # the same clinic twice is one stop
        found = _clinics(user.organisation_id, ids)
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
    return clinics, staff


def _apply_settings(plan: RoutePlan, inp: PlanInput, staff: list[uuid.UUID]) -> None:
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


def create_plan(user, inp: PlanInput) -> RoutePlan:
    """A draft plan whose candidate list is the requested clinics (or the region's, the
    area's); optimise() makes its routes."""
    clinics, staff = validate_input(user, inp)
    plan = RoutePlan(
        organisation_id=user.organisation_id,
        created_by_id=user.id,
        status="draft",
        **_selection(inp),
        clinic_ids=[str(c.id) for c in clinics],
        unassigned=[],
    )
    _apply_settings(plan, inp, staff)
    db.session.add(plan)
    db.session.flush()
    record("route_plan.create", user=user, obj=plan, clinics=len(clinics))
    return plan


def update_settings(user, plan: RoutePlan, inp: PlanInput) -> None:
    """New settings make the routes stale: they are dropped until the next optimise. A new
    region or area also starts the candidate list afresh."""
    clinics, staff = validate_input(user, inp)
    selection = _selection(inp)
    if selection != {"regions": plan.regions, "area": plan.area}:
        plan.regions, plan.area = selection["regions"], selection["area"]
        plan.clinic_ids = [str(c.id) for c in clinics]
    _apply_settings(plan, inp, staff)
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


@dataclass
class CandidateRow:
    clinic: Clinic
    priority: priority.Priority
    reason: str | None  # why it cannot be visited that day at all, before routing
    included: bool


def _day_end_utc(day: date) -> datetime:
    return datetime.combine(day + timedelta(days=1), time(0), LOCAL_TZ).astimezone(UTC)


def priorities(organisation: Organisation, clinics: Sequence[Clinic], day: date) -> dict:
    """{clinic id: Priority} from each clinic's visits up to the plan day."""
    ids = [c.id for c in clinics]
    visits: dict[uuid.UUID, list[priority.PastVisit]] = {i: [] for i in ids}
    for start in range(0, len(ids), 500):
        rows = db.session.execute(
            tenant_select(Visit, organisation.id)
            .with_only_columns(
                Visit.clinic_id, Visit.started_at, Visit.outcome, Visit.concern_level
            )
            .where(Visit.clinic_id.in_(ids[start : start + 500]))
            .where(Visit.started_at < _day_end_utc(day))
            .order_by(Visit.clinic_id, Visit.started_at.desc())
        )
        for clinic_id, started_at, outcome, concern in rows:
            visits[clinic_id].append(priority.PastVisit(started_at, outcome, concern))
    target = target_interval_days(organisation)
    return {
        c.id: priority.priority(
            day=day,
            source=c.source,
            created_at=c.created_at,
            visits=visits[c.id],
            target_days=target,
        )
        for c in clinics
    }


def candidate_rows(plan: RoutePlan, extra: Sequence[Clinic] = ()) -> list[CandidateRow]:
    """The plan's candidates: those it plans for, the rest of its region or area (taken out
    by the coordinator), and `extra` (search results), highest priority first."""
    included = [uuid.UUID(i) for i in plan.clinic_ids]
    clinics = _clinics(plan.organisation_id, included)
    if plan.regions or plan.area:
        for clinic in candidate_pool(plan.organisation_id, plan.regions, plan.area):
            clinics.setdefault(clinic.id, clinic)
    for clinic in extra:
        clinics.setdefault(clinic.id, clinic)
    organisation = db.session.get(Organisation, plan.organisation_id)
    ranked = priorities(organisation, list(clinics.values()), plan.date)
    weekday = planner.DayClock(plan.date).weekday
    chosen = set(included)
    rows = [
        CandidateRow(
            clinic,
            ranked[clinic.id],
            planner.exclusion_reason(_candidate(clinic, 0), weekday),
            clinic.id in chosen,
        )
        for clinic in clinics.values()
    ]
    rows.sort(key=lambda r: (r.reason is not None, -r.priority.score, r.clinic.name))
    return rows


def search_clinics(plan: RoutePlan, text: str, limit: int = 20) -> list[Clinic]:
    pattern = "%" + text.strip().lower().replace("%", r"\%").replace("_", r"\_") + "%"
    stmt = tenant_select(Clinic, plan.organisation_id).where(
        or_(
            func.lower(Clinic.name).like(pattern, escape="\\"),
            func.lower(Clinic.address).like(pattern, escape="\\"),
            func.lower(Clinic.city).like(pattern, escape="\\"),
            Clinic.postcode.like(pattern, escape="\\"),
        )
    )
    return list(db.session.scalars(stmt.order_by(Clinic.name, Clinic.id).limit(limit)))


def include_clinic(user, plan: RoutePlan, clinic: Clinic) -> None:
    if str(clinic.id) not in plan.clinic_ids:
        plan.clinic_ids = [*plan.clinic_ids, str(clinic.id)]
        _changed(user, plan, "route_plan.candidate_add", clinic_id=str(clinic.id))


def exclude_clinic(user, plan: RoutePlan, clinic: Clinic) -> None:
    if str(clinic.id) in plan.clinic_ids:
        plan.clinic_ids = [i for i in plan.clinic_ids if i != str(clinic.id)]
        _changed(user, plan, "route_plan.candidate_remove", clinic_id=str(clinic.id))


# --- optimising and re-ordering ------------------------------------------------------------


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


def _candidate(clinic: Clinic, score: int) -> planner.Candidate:
    return planner.Candidate(
        clinic.id, clinic.lat, clinic.lon, clinic.opening_hours, clinic.status, score
    )


def configured_solver(config=None) -> VroomSolver:
    config = config if config is not None else current_app.config
    return VroomSolver(
        exploration_level=int(config["ROUTING_EXPLORATION_LEVEL"]),
        threads=int(config["ROUTING_THREADS"]),
        timeout=float(config["ROUTING_TIMEOUT_SECONDS"]) or None,
        restarts=int(config["ROUTING_RESTARTS"]),
        search_seconds=float(config["ROUTING_SEARCH_SECONDS"]),
    )


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
    clinics = _clinics(plan.organisation_id, plan.clinic_ids)
    ordered = [clinics[uuid.UUID(i)] for i in plan.clinic_ids if uuid.UUID(i) in clinics]
    organisation = db.session.get(Organisation, plan.organisation_id)
    ranked = priorities(organisation, ordered, plan.date)
    config = current_app.config
    result = planner.plan_day(
        day_settings(plan),
        [_candidate(c, ranked[c.id].score) for c in ordered],
        travel=configured_model(config),
        solver=configured_solver(config),
        max_candidates=int(config["ROUTING_MAX_CANDIDATES"]),
    )
    nurses = {k: uuid.UUID(i) for k, i in enumerate(plan.staff)}
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


def _orders(plan: RoutePlan) -> list[planner.RouteOrder]:
    return [planner.RouteOrder(r.vehicle, [s.clinic_id for s in r.stops]) for r in plan.routes]


def _recheck(user, plan: RoutePlan, orders, action: str, **details) -> None:
    nurses = {r.vehicle: r.nurse_id for r in plan.routes}
    wanted = [i for order in orders for i in order.clinic_ids]
    clinics = _clinics(plan.organisation_id, wanted)
    routes, dropped = planner.recheck(
        day_settings(plan),
        orders,
        [_candidate(c, 0) for c in clinics.values()],
        travel=configured_model(),
    )
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
    orders = _orders(plan)
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
    orders = _orders(plan)
    clinic_id = orders[route_index].clinic_ids.pop(stop_index)
    orders[target_route].clinic_ids.append(clinic_id)
    _recheck(user, plan, orders, "route_plan.reorder", route=route_index, to_route=target_route)


def remove_stop(user, plan: RoutePlan, route_index: int, stop_index: int) -> None:
    stop = _stop_at(plan, route_index, stop_index)
    orders = _orders(plan)
    orders[route_index].clinic_ids.pop(stop_index)
    plan.unassigned = [
        *plan.unassigned,
        {"clinic_id": str(stop.clinic_id), "reason": planner.REMOVED},
    ]
    _recheck(user, plan, orders, "route_plan.stop_remove", clinic_id=str(stop.clinic_id))


def has_violations(plan: RoutePlan) -> bool:
    return any(r.violations or any(s.violations for s in r.stops) for r in plan.routes)


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
    known = _active_users(plan.organisation_id, [i for i in chosen if i])
    messages = []
    for number, nurse_id in enumerate(chosen, start=1):
        if nurse_id is None:
            messages.append(_l("Route %(n)d has no nurse.", n=number))
        elif nurse_id not in known:
            messages.append(_l("Route %(n)d: not an active user of your organisation.", n=number))
    if len({i for i in chosen if i}) != len([i for i in chosen if i]):
        messages.append(_l("A nurse can drive only one route."))
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


# --- reading -------------------------------------------------------------------------------


def list_plans(
    organisation_id,
    *,
    date_from: date | None = None,
    date_to: date | None = None,
    status: str | None = None,
    page: int = 1,
    per_page: int = 50,
):
    stmt = tenant_select(RoutePlan, organisation_id)
    if date_from:
        stmt = stmt.where(RoutePlan.date >= date_from)
    if date_to:
        stmt = stmt.where(RoutePlan.date <= date_to)
    if status:
        stmt = stmt.where(RoutePlan.status == status)
    return paginate(
        stmt.order_by(RoutePlan.date.desc(), RoutePlan.created_at.desc()), page, per_page
    )


def get_plan(organisation_id, plan_id) -> RoutePlan | None:
    return get_in_org(RoutePlan, plan_id, organisation_id)


def _local(moment: datetime | None) -> datetime | None:
    return moment.astimezone(LOCAL_TZ) if moment is not None else None


def clinics_of(plan: RoutePlan) -> dict[uuid.UUID, Clinic]:
    ids = {s.clinic_id for r in plan.routes for s in r.stops}
    ids |= {uuid.UUID(u["clinic_id"]) for u in plan.unassigned}
    return _clinics(plan.organisation_id, list(ids))


def route_representation(route: PlannedRoute, clinics: dict) -> dict:
    stops = []
    for stop in route.stops:
        clinic = clinics.get(stop.clinic_id)
        stops.append(
            {
                "clinic_id": stop.clinic_id,
                "name": clinic.name if clinic else "",
                "lat": clinic.lat if clinic else None,
                "lon": clinic.lon if clinic else None,
                "arrival": _local(stop.arrival_at),
                "departure": _local(stop.departure_at),
                "wait_minutes": round((stop.arrival_at - stop.reached_at).total_seconds() / 60, 1),
                "distance_km": stop.distance_km,
                "drive_minutes": stop.drive_minutes,
                "violations": stop.violations,
            }
        )
    has_break = route.break_start_at is not None
    return {
        "nurse_id": route.nurse_id,
        "start": _local(route.start_at),
        "end": _local(route.end_at),
        "stops": stops,
        "distance_km": route.distance_km,
        "drive_minutes": route.drive_minutes,
        "break_": (
            {"start": _local(route.break_start_at), "end": _local(route.break_end_at)}
            if has_break
            else None
        ),
        "violations": route.violations,
    }


def _settings_representation(plan: RoutePlan) -> dict:
    return {
        "id": plan.id,
        "date": plan.date,
        "status": plan.status,
        "base": {"name": plan.base_name, "lat": plan.base_lat, "lon": plan.base_lon},
        "shift": {"start": plan.shift_start, "end": plan.shift_end},
        "break_": (
            {"start": plan.break_start, "end": plan.break_end, "minutes": plan.break_minutes}
            if plan.has_break
            else None
        ),
        "service_minutes": plan.service_minutes,
        "updated_at": plan.updated_at,
    }


def representation(plan: RoutePlan) -> dict:
    clinics = clinics_of(plan)
    return {
        **_settings_representation(plan),
        "nurses": plan.nurse_count,
        "staff": plan.staff,
        "region": plan.regions[0] if len(plan.regions) == 1 else None,
        "regions": plan.regions,
        "area": plan.area,
        "clinic_ids": plan.clinic_ids,
        "routes": [route_representation(r, clinics) for r in plan.routes],
        "unassigned": [
            {
                "clinic_id": u["clinic_id"],
                "reason": u["reason"],
                "message": reason_text(u["reason"], plan.date),
            }
            for u in plan.unassigned
        ],
        "travel_model": plan.travel_model,
        "optimised_at": plan.optimised_at,
        "saved_at": plan.saved_at,
        "created_at": plan.created_at,
    }


def today() -> date:
    return datetime.now(LOCAL_TZ).date()


def sync_select(organisation_id):
    """Plans the phone may need: today's and later ones of the organisation. Only plans that
    have been saved at least once carry a sync number above 0."""
    return tenant_select(RoutePlan, organisation_id).where(RoutePlan.date >= today())


def sync_representation(plan: RoutePlan, user) -> dict:
    """The plan for the phone: a nurse gets her own route(s), a coordinator all of them, and
    nobody any while the plan is a draft (a plan without routes: drop the local copy)."""
    routes = []
    if plan.status == "saved":
        mine = [r for r in plan.routes if user.has_role("coordinator") or r.nurse_id == user.id]
        clinics = clinics_of(plan) if mine else {}
        routes = [route_representation(r, clinics) for r in mine]
    return {**_settings_representation(plan), "routes": routes, "sync_seq": plan.sync_seq}
