"""A day's routes from settings and candidate clinics: time windows from opening hours, the
reason each left-out clinic is left out, and routes in local time. No database, no HTTP.

Time runs in seconds since the plan day's local midnight (Europe/Copenhagen), computed through
UTC so that the days when the clocks change come out right.
"""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from outreach.clinics.hours import minutes as hhmm_minutes
from outreach.clinics.models import WEEKDAYS
from outreach.routing import solver as s
from outreach.routing.travel import TravelModel

LOCAL_TZ = ZoneInfo("Europe/Copenhagen")

# Why a requested clinic has no place in the plan; the codes are part of the API.
CLINIC_CLOSED = "clinic_closed"
NO_COORDINATES = "no_coordinates"
HOURS_UNKNOWN = "opening_hours_unknown"
CLOSED_THAT_DAY = "closed_that_day"
CANNOT_FIT = "cannot_fit"  # even as the only stop, drive + visit do not fit shift and hours
CLOSED_DURING_SHIFT = "closed_during_shift"  # open that day, but not while the shift runs
LOWER_PRIORITY = "lower_priority"  # fits a route only in place of a stop of higher priority
TOO_FAR = "too_far_to_fit"  # fits alone, but in no route, not even in place of one stop
NOT_CONSIDERED = "not_considered"  # beyond the planner's cap, below all it took
REMOVED = "removed_by_coordinator"
REASONS = (
    CLINIC_CLOSED,
    NO_COORDINATES,
    HOURS_UNKNOWN,
    CLOSED_THAT_DAY,
    CANNOT_FIT,
    CLOSED_DURING_SHIFT,
    LOWER_PRIORITY,
    TOO_FAR,
    NOT_CONSIDERED,
    REMOVED,
)


class DayClock:
    """Local wall-clock times of one day ↔ seconds since that day's local midnight."""

    def __init__(self, day: date, tz: ZoneInfo = LOCAL_TZ):
        self.day = day
        self.tz = tz
        self.midnight = datetime.combine(day, time(0), tz).astimezone(UTC)

    def seconds(self, hhmm: str) -> int:
        total = hhmm_minutes(hhmm)
        day = self.day + timedelta(days=total // (24 * 60))
        hours, mins = divmod(total % (24 * 60), 60)
        local = datetime.combine(day, time(hours, mins), self.tz)
        return int((local.astimezone(UTC) - self.midnight).total_seconds())

    def at(self, seconds: int) -> datetime:
        return (self.midnight + timedelta(seconds=seconds)).astimezone(self.tz)

    @property
    def weekday(self) -> str:
        return WEEKDAYS[self.day.weekday()]


def open_intervals(opening_hours: dict | None, weekday: str, clock: DayClock) -> list:
    """The day's opening intervals in seconds, sorted, touching ones merged."""
    merged: list[list[int]] = []
    for opens, closes in sorted((opening_hours or {}).get(weekday) or []):
        start, end = clock.seconds(opens), clock.seconds(closes)
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return merged


def service_windows(
    opening_hours: dict | None, weekday: str, clock: DayClock, service: int
) -> tuple[s.Window, ...]:
    """When a visit may start so that it ends before closing: [opens, closes - service]."""
    return tuple(
        s.Window(start, end - service)
        for start, end in open_intervals(opening_hours, weekday, clock)
        if end - service >= start
    )


@dataclass(frozen=True)
class DaySettings:
    day: date
    base: tuple[float, float]  # (lat, lon)
    shift_start: str  # "HH:MM", local
    shift_end: str
    service_minutes: int = 40
    vehicles: int = 1
    break_from: str | None = None  # the break lies inside [break_from, break_to]
    break_to: str | None = None
    break_minutes: int | None = None

    @property
    def clock(self) -> DayClock:
        return DayClock(self.day)

    @property
    def service(self) -> int:
        return self.service_minutes * 60

    def vehicle(self, index: int, clock: DayClock | None = None) -> s.Vehicle:
        clock = clock or self.clock
        rest = None
        if self.break_minutes and self.break_from and self.break_to:
            duration = self.break_minutes * 60
            rest = s.Break(
                s.Window(clock.seconds(self.break_from), clock.seconds(self.break_to) - duration),
                duration,
            )
        shift = s.Window(clock.seconds(self.shift_start), clock.seconds(self.shift_end))
        return s.Vehicle(index, 0, 0, shift, rest)

    def build_problem(self, located, travel) -> tuple[s.Problem, str]:
        return build_problem(self, located, travel)


@dataclass(frozen=True)
class Candidate:
    """What the planner needs to know of a clinic."""

    id: uuid.UUID
    lat: float | None
    lon: float | None
    opening_hours: dict | None
    status: str = "active"
    priority: int = 0

    @property
    def point(self) -> tuple[float, float]:
        return (self.lat, self.lon)


def exclusion_reason(candidate: Candidate, weekday: str) -> str | None:
    """Why the clinic cannot be visited on this weekday at all, before any routing."""
    if candidate.status == "closed":
        return CLINIC_CLOSED
    if candidate.lat is None or candidate.lon is None:
        return NO_COORDINATES
    if candidate.opening_hours is None:
        return HOURS_UNKNOWN
    if not candidate.opening_hours.get(weekday):
        return CLOSED_THAT_DAY
    return None


@dataclass
class PlannedStop:
    clinic_id: uuid.UUID
    reached: datetime
    arrival: datetime  # the visit starts
    departure: datetime  # the visit ends
    distance_km: float  # driven to get here
    drive_minutes: float
    violations: list[tuple[str, int]] = field(default_factory=list)  # (kind, minutes late)


@dataclass
class PlannedRoute:
    vehicle: int
    start: datetime  # leaves the base
    end: datetime  # back at the base
    stops: list[PlannedStop]
    distance_km: float
    drive_minutes: float
    break_position: int | None = None
    break_start: datetime | None = None
    break_end: datetime | None = None
    violations: list[tuple[str, int]] = field(default_factory=list)  # route-wide (kind, min)


@dataclass
class DayPlan:
    routes: list[PlannedRoute]
    unassigned: list[tuple[uuid.UUID, str]]
    travel_model: str
    solve_seconds: float = 0.0


def _late_minutes(seconds: int) -> int:
    return max(1, -(-seconds // 60))


def _planned_route(schedule: s.Schedule, clock: DayClock) -> PlannedRoute:
    by_job: dict = {}
    route_wide = []
    for violation in schedule.violations:
        item = (violation.kind, _late_minutes(violation.seconds) if violation.seconds else 0)
        if violation.job_id is None:
            route_wide.append(item)
        else:
            by_job.setdefault(violation.job_id, []).append(item)
    stops = [
        PlannedStop(
            clinic_id=visit.job_id,
            reached=clock.at(visit.reached),
            arrival=clock.at(visit.start),
            departure=clock.at(visit.end),
            distance_km=round(visit.distance / 1000, 2),
            drive_minutes=round(visit.travel / 60, 1),
            violations=by_job.get(visit.job_id, []),
        )
        for visit in schedule.visits
    ]
    # Back at the base when the last visit is over and the drive back done; a break that
    # falls after that is taken at the base and is not part of the drive.
    last = schedule.visits[-1].end if schedule.visits else schedule.start
    return PlannedRoute(
        vehicle=schedule.vehicle_id,
        start=clock.at(schedule.start),
        end=clock.at(last + schedule.return_travel),
        stops=stops,
        distance_km=round(schedule.distance / 1000, 1),
        drive_minutes=round(schedule.travel / 60, 1),
        break_position=schedule.break_position,
        break_start=clock.at(schedule.break_start) if schedule.break_start is not None else None,
        break_end=clock.at(schedule.break_end) if schedule.break_end is not None else None,
        violations=route_wide,
    )


def build_problem(
    settings: DaySettings, located: Sequence[Candidate], travel: TravelModel
) -> tuple[s.Problem, str]:
    """The routing problem for clinics that all have coordinates: location 0 is the base,
    clinic i is location i + 1; job ids are the clinic ids. Also names the travel model."""
    clock = settings.clock
    matrix = travel.matrix([settings.base] + [c.point for c in located])
    jobs = tuple(
        s.Job(
            id=c.id,
            location=i,
            service=settings.service,
            windows=service_windows(c.opening_hours, clock.weekday, clock, settings.service),
            priority=c.priority,
        )
        for i, c in enumerate(located, start=1)
    )
    vehicles = tuple(settings.vehicle(k, clock) for k in range(settings.vehicles))
    return s.Problem(matrix.durations, jobs, vehicles, matrix.distances), matrix.model


def _fits_alone(settings: DaySettings, candidate: Candidate, travel: TravelModel) -> bool:
    problem, _ = build_problem(settings, [candidate], travel)
    return s.fits_alone(problem, problem.vehicles[0], candidate.id)


def _alone_reason(job: s.Job, vehicle: s.Vehicle) -> str:
    """Why a job that does not fit even alone does not: no visit could start while the shift
    runs (closed during the shift), or the drive there and back does not fit (cannot fit)."""
    if job.windows is not None and not _open_in_shift(job, vehicle):
        return CLOSED_DURING_SHIFT
    return CANNOT_FIT


def _open_in_shift(job: s.Job, vehicle: s.Vehicle) -> bool:
    """Whether a visit to the job could start and end inside the vehicle's shift at all (a
    trip's vehicles run on different days; those of one day share the shift)."""
    shift = vehicle.shift
    if shift is None or job.windows is None:
        return True
    return any(w.start <= shift.end - job.service and w.end >= shift.start for w in job.windows)


def _insertion(problem: s.Problem, vehicle: s.Vehicle, job_ids: list, job_id) -> list | None:
    """The order with `job_id` inserted where the route drives least, if it fits anywhere."""
    best = None
    for position in range(len(job_ids) + 1):
        trial = [*job_ids[:position], job_id, *job_ids[position:]]
        checked = s.schedule(problem, vehicle, trial)
        if checked.ok and (best is None or checked.travel < best[0]):
            best = (checked.travel, trial)
    return best[1] if best else None


def _exchange(problem, vehicle, job_ids: list, job_id, below: int | None) -> list | None:
    """The order with `job_id` in place of one stop (of priority below `below` when given),
    if one fits."""
    priority = {job.id: job.priority for job in problem.jobs}
    for dropped in job_ids:
        if below is None or priority[dropped] < below:
            rest = [j for j in job_ids if j != dropped]
            trial = _insertion(problem, vehicle, rest, job_id)
            if trial is not None:
                return trial
    return None


def _fill_and_explain(problem: s.Problem, orders: dict, left: list) -> list[tuple]:
    """Check every left-out job against the routes, and say why it is left out.

    A job that fits into a route as it stands is put there; one that fits in place of a stop
    of lower priority takes that stop's place (the dropped stop is checked in turn). Each
    such change serves more priority, so this ends. What remains is left out because it
    fits only in place of a stop of the same or higher priority (lower priority), or in no
    route at all, not even in place of one stop (too far to fit with the others)."""
    priority = {job.id: job.priority for job in problem.jobs}
    vehicles = {v.id: v for v in problem.vehicles}
    jobs = {job.id: job for job in problem.jobs}
    left = sorted(left, key=lambda j: -priority[j])
    changed = True
    while changed:
        changed = False
        for job_id in list(left):
            for vehicle_id, job_ids in orders.items():
                vehicle = vehicles[vehicle_id]
                if not _open_in_shift(jobs[job_id], vehicle):
                    continue  # never open while this route runs: no order could change that
                trial = _insertion(problem, vehicle, job_ids, job_id)
                if trial is None:
                    trial = _exchange(problem, vehicle, job_ids, job_id, priority[job_id])
                if trial is not None:
                    left.remove(job_id)
                    left.extend(j for j in job_ids if j not in trial)
                    left.sort(key=lambda j: -priority[j])
                    orders[vehicle_id] = trial
                    changed = True
                    break
            if changed:
                break
    explained = []
    for job_id in left:
        instead = any(
            _exchange(problem, vehicles[v], ids, job_id, None) is not None
            for v, ids in orders.items()
            if _open_in_shift(jobs[job_id], vehicles[v])
        )
        explained.append((job_id, LOWER_PRIORITY if instead else TOO_FAR))
    return explained


def plan_day(
    settings: DaySettings,
    candidates: Sequence[Candidate],
    *,
    travel: TravelModel,
    solver: s.Solver,
    max_candidates: int = 80,
) -> DayPlan:
    """Routes for the day; every candidate is either on exactly one route or left out with
    a reason."""
    clock = settings.clock
    unassigned: list[tuple[uuid.UUID, str]] = []
    eligible: list[Candidate] = []
    seen = set()
    for candidate in candidates:
        if candidate.id in seen:
            continue
        seen.add(candidate.id)
        reason = exclusion_reason(candidate, clock.weekday)
        if reason is None and not service_windows(
            candidate.opening_hours, clock.weekday, clock, settings.service
        ):
            reason = CANNOT_FIT  # open that day, but never long enough for one visit
        if reason:
            unassigned.append((candidate.id, reason))
        else:
            eligible.append(candidate)
    # The highest priorities go to the solver; the rest could only be chosen instead of them.
    eligible.sort(key=lambda c: -c.priority)
    considered, overflow = eligible[:max_candidates], eligible[max_candidates:]
    estimate = getattr(travel, "fallback", travel)  # no network calls for the overflow
    for candidate in overflow:
        if _fits_alone(settings, candidate, estimate):
            unassigned.append((candidate.id, NOT_CONSIDERED))
        else:
            problem, _ = build_problem(settings, [candidate], estimate)
            unassigned.append((candidate.id, _alone_reason(problem.jobs[0], problem.vehicles[0])))
    if not considered:
        return DayPlan([], unassigned, travel.description)

    problem, model = build_problem(settings, considered, travel)
    vehicle = problem.vehicles[0]  # every vehicle has the same base, shift and break
    feasible, alone_reasons = [], {}
    for job in problem.jobs:
        if s.fits_alone(problem, vehicle, job.id):
            feasible.append(job)
            continue
        reason = _alone_reason(job, vehicle)
        if reason == CANNOT_FIT and vehicle.rest is not None:
            # With a lunch break a clinic can fit with others and not alone: visited just
            # before it, another stop is where the break falls inside its window. The
            # solver tries; if it is left out, "cannot fit even alone" is still true.
            feasible.append(job)
            alone_reasons[job.id] = reason
        else:
            unassigned.append((job.id, reason))
    problem = s.Problem(problem.durations, tuple(feasible), problem.vehicles, problem.distances)
    orders, left_out, seconds = _solve_and_check(problem, solver)
    # One that does not fit even alone keeps that reason, true whatever the routes.
    unassigned.extend((job_id, alone_reasons.get(job_id, reason)) for job_id, reason in left_out)
    vehicles = {v.id: v for v in problem.vehicles}
    routes = [
        _planned_route(s.schedule(problem, vehicles[vehicle_id], job_ids), clock)
        for vehicle_id, job_ids in sorted(orders.items())
        if job_ids
    ]
    return DayPlan(routes, unassigned, model, seconds)


def _solve_and_check(problem: s.Problem, solver: s.Solver) -> tuple[dict, list, float]:
    """The solver's routes as the check accepts them ({vehicle id: job ids}), and every job
    left out with its checked reason."""
    solution = solver.solve(problem)
    vehicles = {v.id: v for v in problem.vehicles}
    orders: dict = {v.id: [] for v in problem.vehicles}
    left = list(solution.unassigned)
    for route in solution.routes:
        job_ids = list(route.job_ids)
        schedule = s.schedule(problem, vehicles[route.vehicle_id], job_ids, route.break_position)
        # The solver and the check should agree; if they ever do not, the check wins and the
        # stops it objects to are left out rather than sent out broken.
        while not schedule.ok and job_ids:
            schedule = s.schedule(problem, vehicles[route.vehicle_id], job_ids)
            if schedule.ok:
                break
            culprit = next((v.job_id for v in schedule.violations if v.job_id), job_ids[-1])
            job_ids.remove(culprit)
            left.append(culprit)
        orders[route.vehicle_id] = job_ids
    # Every reason is checked against the routes, never assumed (_fill_and_explain).
    return orders, _fill_and_explain(problem, orders, left), solution.seconds


@dataclass
class RouteOrder:
    """A route as the coordinator arranged it."""

    vehicle: int
    clinic_ids: list[uuid.UUID]


def recheck(
    settings,  # DaySettings, or trip.TripSettings: the same methods
    orders: Sequence[RouteOrder],
    candidates: Sequence[Candidate],
    *,
    travel: TravelModel,
) -> tuple[list[PlannedRoute], list[tuple[uuid.UUID, str]]]:
    """Times and violations of hand-arranged routes, with today's opening hours. A clinic that
    has lost its coordinates since cannot be driven to: it leaves its route with that reason."""
    by_id = {c.id: c for c in candidates}
    dropped = []
    kept_orders = []
    for order in orders:
        kept = []
        for clinic_id in order.clinic_ids:
            candidate = by_id.get(clinic_id)
            if candidate is None or candidate.lat is None or candidate.lon is None:
                dropped.append((clinic_id, NO_COORDINATES))
            else:
                kept.append(candidate)
        kept_orders.append((order.vehicle, kept))
    located = [c for _, kept in kept_orders for c in kept]
    if not located:
        return [], dropped
    problem, _ = settings.build_problem(located, travel)  # a day's, or a trip's (trip.py)
    clock = settings.clock
    routes = []
    for vehicle_index, kept in kept_orders:
        vehicle = settings.vehicle(vehicle_index, clock)
        if not kept and not problem.durations[vehicle.start][vehicle.end]:
            continue  # a route with no stops stays only when it drives (a trip's day)
        job_ids = [c.id for c in kept]
        schedule = s.schedule(problem, vehicle, job_ids)
        # VROOM's check mode judges the same order; a late visit or return it finds that our
        # recomputation did not is reported too, so a hand-made route is never shown as fine
        # when either check objects.
        ours = {(v.kind, v.job_id) for v in schedule.violations}
        if job_ids:  # VROOM checks nothing without a task: a trip's day with no stop left
            schedule.violations.extend(
                v
                for v in s.vroom_check(problem, vehicle, job_ids, schedule.break_position)
                if (v.kind, v.job_id) not in ours
            )
        routes.append(_planned_route(schedule, clock))
    return routes, dropped
