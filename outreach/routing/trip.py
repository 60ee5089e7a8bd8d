"""A trip of several days as one routing problem: one vehicle for each nurse on each day, so
that each clinic is visited at most once in the whole trip, on a day when it is open. No
database, no HTTP.

The first day starts at home and ends at the first night's base; each day after starts at
the base of the night before it and ends at its own night's base, the last one at home.
Time runs in seconds since the *first* day's local midnight (Europe/Copenhagen, through UTC,
so a change of the clocks during the trip comes out right); a clinic's start windows are
those of every day of the trip, each on its own day, and a vehicle's shift is its day's.
"""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from outreach.routing import planner
from outreach.routing import solver as s
from outreach.routing.travel import TravelModel


@dataclass(frozen=True)
class TripDay:
    day: date
    shift_start: str  # "HH:MM", local
    shift_end: str
    night: tuple[float, float] | None = None  # where the day ends; None: home (the last day)


@dataclass(frozen=True)
class TripSettings:
    """What a trip shares over its days (home, visit length, the lunch break, how many
    nurses) and each day's date, shift and night base."""

    home: tuple[float, float]
    days: tuple[TripDay, ...]
    service_minutes: int = 40
    nurses: int = 1
    break_from: str | None = None
    break_to: str | None = None
    break_minutes: int | None = None

    @property
    def clock(self) -> planner.DayClock:
        return planner.DayClock(self.days[0].day)

    @property
    def service(self) -> int:
        return self.service_minutes * 60

    def day_settings(self, index: int) -> planner.DaySettings:
        day = self.days[index]
        return planner.DaySettings(
            day=day.day,
            base=self.home,
            shift_start=day.shift_start,
            shift_end=day.shift_end,
            service_minutes=self.service_minutes,
            vehicles=self.nurses,
            break_from=self.break_from,
            break_to=self.break_to,
            break_minutes=self.break_minutes,
        )

    def offset(self, index: int) -> int:
        """Seconds from the first day's local midnight to day `index`'s."""
        clock = planner.DayClock(self.days[index].day)
        return int((clock.midnight - self.clock.midnight).total_seconds())

    def day_of(self, vehicle: int) -> int:
        return vehicle // self.nurses

    def nurse_of(self, vehicle: int) -> int:
        return vehicle % self.nurses

    @property
    def vehicle_count(self) -> int:
        return self.nurses * len(self.days)

    def places(self) -> list[tuple[float, float]]:
        """Matrix locations 0..n-1: home, then the night bases in day order."""
        return [self.home] + [d.night for d in self.days[:-1]]

    def vehicle(self, index: int, clock=None) -> s.Vehicle:
        """Nurse `nurse_of(index)` on day `day_of(index)`: from the base of the night before
        (home on the first day) to the day's night base (home on the last), in its shift."""
        day = self.day_of(index)
        last = len(self.days) - 1
        one_day = self.day_settings(day).vehicle(index)
        shift_by = self.offset(day)
        rest = one_day.rest
        if rest is not None:
            rest = s.Break(
                s.Window(rest.window.start + shift_by, rest.window.end + shift_by), rest.duration
            )
        shift = s.Window(one_day.shift.start + shift_by, one_day.shift.end + shift_by)
        return s.Vehicle(index, day, day + 1 if day < last else 0, shift, rest)

    def windows(self, candidate: planner.Candidate) -> tuple[s.Window, ...]:
        """A clinic's service start windows on every day of the trip, on one time axis."""
        found = []
        for index, day in enumerate(self.days):
            clock = planner.DayClock(day.day)
            shift_by = self.offset(index)
            found.extend(
                s.Window(w.start + shift_by, w.end + shift_by)
                for w in planner.service_windows(
                    candidate.opening_hours, clock.weekday, clock, self.service
                )
            )
        return tuple(sorted(found, key=lambda w: w.start))

    def build_problem(
        self, located: Sequence[planner.Candidate], travel: TravelModel
    ) -> tuple[s.Problem, str]:
        places = self.places()
        matrix = travel.matrix(places + [c.point for c in located])
        jobs = tuple(
            s.Job(
                id=c.id,
                location=i,
                service=self.service,
                windows=self.windows(c),
                priority=c.priority,
            )
            for i, c in enumerate(located, start=len(places))
        )
        vehicles = tuple(self.vehicle(k) for k in range(self.vehicle_count))
        return s.Problem(matrix.durations, jobs, vehicles, matrix.distances), matrix.model

    def weekdays(self) -> list[str]:
        return [planner.DayClock(d.day).weekday for d in self.days]


def exclusion_reason(candidate: planner.Candidate, weekdays: Sequence[str]) -> str | None:
    """Why the clinic cannot be visited on any day of the trip, before any routing: the
    single day's reasons, and closed on every weekday of the trip."""
    reasons = {planner.exclusion_reason(candidate, weekday) for weekday in weekdays}
    if None in reasons:
        return None
    for reason in planner.REASONS:  # the same order of precedence as for one day
        if reason in reasons:
            return reason
    return planner.CLOSED_THAT_DAY


def _alone_reason(job: s.Job, vehicles: Sequence[s.Vehicle]) -> str:
    """Closed during the shift on every day, or else no day's route could serve it alone."""
    reasons = {planner._alone_reason(job, vehicle) for vehicle in vehicles}
    return planner.CANNOT_FIT if planner.CANNOT_FIT in reasons else planner.CLOSED_DURING_SHIFT


def _fits_alone(problem: s.Problem, job_id) -> bool:
    return any(s.fits_alone(problem, vehicle, job_id) for vehicle in problem.vehicles)


def plan_trip(
    settings: TripSettings,
    candidates: Sequence[planner.Candidate],
    *,
    travel: TravelModel,
    solver: s.Solver,
    max_candidates: int = 80,
) -> planner.DayPlan:
    """Routes for every nurse on every day of the trip (a route's `vehicle` says whose and
    which day: TripSettings.day_of, nurse_of); every candidate is on exactly one route of
    the trip or left out with a reason that holds for the whole trip."""
    weekdays = settings.weekdays()
    unassigned: list[tuple[uuid.UUID, str]] = []
    eligible: list[planner.Candidate] = []
    seen = set()
    for candidate in candidates:
        if candidate.id in seen:
            continue
        seen.add(candidate.id)
        reason = exclusion_reason(candidate, weekdays)
        if reason is None and not settings.windows(candidate):
            reason = planner.CANNOT_FIT  # never open long enough for one visit
        if reason:
            unassigned.append((candidate.id, reason))
        else:
            eligible.append(candidate)
    eligible.sort(key=lambda c: -c.priority)
    considered, overflow = eligible[:max_candidates], eligible[max_candidates:]
    estimate = getattr(travel, "fallback", travel)  # no network calls for the overflow
    for candidate in overflow:
        problem, _ = settings.build_problem([candidate], estimate)
        if _fits_alone(problem, candidate.id):
            unassigned.append((candidate.id, planner.NOT_CONSIDERED))
        else:
            unassigned.append((candidate.id, _alone_reason(problem.jobs[0], problem.vehicles)))
    if not considered:
        return planner.DayPlan([], unassigned, travel.description)

    problem, model = settings.build_problem(considered, travel)
    feasible, alone_reasons = [], {}
    has_break = any(vehicle.rest is not None for vehicle in problem.vehicles)
    for job in problem.jobs:
        if _fits_alone(problem, job.id):
            feasible.append(job)
            continue
        reason = _alone_reason(job, problem.vehicles)
        if reason == planner.CANNOT_FIT and has_break:
            # As on one day (planner.plan_day): with a lunch break a clinic can fit beside
            # another stop and not alone. The solver tries; left out, the reason stays true.
            feasible.append(job)
            alone_reasons[job.id] = reason
        else:
            unassigned.append((job.id, reason))
    problem = s.Problem(problem.durations, tuple(feasible), problem.vehicles, problem.distances)
    orders, left_out, seconds = planner._solve_and_check(problem, solver)
    unassigned.extend((job_id, alone_reasons.get(job_id, reason)) for job_id, reason in left_out)
    vehicles = {v.id: v for v in problem.vehicles}
    clock = settings.clock
    # A day without visits still has its drive from one base to the next (home, at the
    # end): every nurse has to get there, so the route is kept, with no stops.
    routes = [
        planner._planned_route(s.schedule(problem, vehicles[vehicle_id], job_ids), clock)
        for vehicle_id, job_ids in sorted(orders.items())
        if job_ids or _drives(problem, vehicles[vehicle_id])
    ]
    return planner.DayPlan(routes, unassigned, model, seconds)


def _drives(problem: s.Problem, vehicle: s.Vehicle) -> bool:
    return problem.durations[vehicle.start][vehicle.end] > 0
