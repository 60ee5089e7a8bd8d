"""Our vehicle-routing interface, its VROOM implementation, and `schedule`, the check.

Everything here is in whole seconds on one time axis (seconds since the plan day's local
midnight for day plans) and in matrix indices; nothing knows about clinics or dates. The
solver only chooses which jobs each vehicle serves and in what order; `schedule` recomputes
every time from the matrix, so a solver's answer and a hand-made order are judged alike.

pyvroom (with numpy) is imported inside the functions that call it: loading it takes most of a
second, which every process (web workers, CLI commands) would otherwise pay at start-up.
"""

import random
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Protocol

Matrix = Sequence[Sequence[int]]


@dataclass(frozen=True)
class Window:
    """Seconds in which something may *start* (a visit's service, a break)."""

    start: int
    end: int


@dataclass(frozen=True)
class Job:
    id: int
    location: int  # row/column of the matrix
    service: int = 0  # seconds on site
    # Service start windows, sorted and disjoint; None: any time; (): never (closed that day).
    windows: tuple[Window, ...] | None = None
    priority: int = 0  # 0..100; the solver serves the highest total first


@dataclass(frozen=True)
class Break:
    window: Window  # when the break may start
    duration: int


@dataclass(frozen=True)
class Vehicle:
    id: int
    start: int  # location index where the route starts
    end: int  # ... and ends
    shift: Window | None = None  # leave at or after shift.start, back by shift.end
    rest: Break | None = None  # a break the route must take (lunch)


@dataclass(frozen=True)
class Problem:
    durations: Matrix
    jobs: tuple[Job, ...]
    vehicles: tuple[Vehicle, ...]
    distances: Matrix | None = None


@dataclass(frozen=True)
class Route:
    vehicle_id: int
    job_ids: tuple[int, ...]
    # How many jobs are served before the break (None: no break, or let `schedule` choose).
    break_position: int | None = None


@dataclass(frozen=True)
class Solution:
    routes: tuple[Route, ...]
    unassigned: tuple[int, ...]
    seconds: float = 0.0  # time the solver took


class Solver(Protocol):
    def solve(self, problem: Problem) -> Solution: ...


class VroomSolver:
    """VROOM through pyvroom: the highest total priority first, then the most jobs, then the
    least travel time.

    One VROOM run ends in one local optimum. Up to `restarts` more runs look elsewhere: on a
    plain tour (one vehicle, no time windows) the first with VROOM's TSPFix operator switched
    the other way; the others quicker (`restart_level`) and seeing the travel times perturbed
    by up to ±`noise` *as costs only* (durations, and so every time window, stay exact),
    which lands them in other local optima. The best answer by the true travel times is kept.
    The perturbations come from a fixed seed, so the same problem gives the same answer,
    unless the runs are cut short: none starts that would end after `search_seconds` (judged
    by the previous run), and the best so far, never an invalid one, is the answer then.
    benchmarks/routing.py measured these defaults (docs/performance.md).
    """

    def __init__(
        self,
        exploration_level: int = 5,
        threads: int = 2,
        timeout: float | None = None,
        tsp_fix: bool = True,
        restarts: int = 12,
        search_seconds: float = 0.45,
        restart_level: int = 1,
        noise: float = 0.2,
        seed: int = 20190,
    ):
        self.exploration_level = max(1, min(5, int(exploration_level)))
        self.threads = max(1, int(threads))
        self.timeout = timeout
        # VROOM's TSPFix operator re-solves each route as a TSP and keeps the result only
        # when it is still valid; it finds better single-route orders (benchmarks/routing.py).
        self.tsp_fix = tsp_fix
        self.restarts = max(0, int(restarts))
        self.search_seconds = search_seconds
        self.restart_level = max(1, min(5, int(restart_level)))
        self.noise = noise
        self.seed = seed

    def solve(self, problem: Problem) -> Solution:
        started = time.perf_counter()
        never = tuple(job.id for job in problem.jobs if job.windows == ())
        problem = Problem(
            problem.durations,
            tuple(job for job in problem.jobs if job.windows != ()),
            problem.vehicles,
            problem.distances,
        )
        if not problem.jobs or not problem.vehicles:
            return Solution((), never + tuple(job.id for job in problem.jobs))
        best = self._run(problem, None, self.exploration_level, self.tsp_fix)
        best_key = objective(problem, best)
        last_run = 0.0  # how long a re-run takes is known after the first one
        plain_tour = len(problem.vehicles) == 1 and all(j.windows is None for j in problem.jobs)
        rng = random.Random(self.seed)  # noqa: S311  # nosec B311  # search perturbation, no secret
        for restart in range(self.restarts if len(problem.jobs) > 1 else 0):
            run_started = time.perf_counter()
            if run_started - started + last_run > self.search_seconds:
                break  # the next run would end after the time limit
            if restart == 0 and plain_tour:
                # The same search with TSPFix the other way: on a plain tour each setting
                # finds tours the other misses (benchmarks/routing.py, TSPLIB).
                answer = self._run(problem, None, self.exploration_level, not self.tsp_fix)
            else:
                low, high = 1 - self.noise, 1 + self.noise
                costs = [
                    [round(d * rng.uniform(low, high)) for d in row] for row in problem.durations
                ]
                answer = self._run(problem, costs, self.restart_level, self.tsp_fix)
            last_run = time.perf_counter() - run_started
            key = objective(problem, answer)
            if key < best_key and all(
                schedule(problem, vehicle_of(problem, r.vehicle_id), r.job_ids).ok
                for r in answer.routes
            ):
                best, best_key = answer, key
        return Solution(best.routes, never + best.unassigned, time.perf_counter() - started)

    def _run(self, problem: Problem, costs: Matrix | None, level: int, tsp_fix: bool) -> Solution:
        import numpy
        import vroom

        vroom_input = vroom.Input(apply_TSPFix=tsp_fix)
        vroom_input.set_durations_matrix("car", numpy.asarray(problem.durations, dtype="uint32"))
        if costs is not None:
            vroom_input.set_costs_matrix("car", numpy.asarray(costs, dtype="uint32"))
        # pyvroom ids are positive integers; ours may be anything hashable, so map them.
        for number, vehicle in enumerate(problem.vehicles, start=1):
            vroom_input.add_vehicle(_vroom_vehicle(number, vehicle))
        vroom_input.add_job(
            [
                vroom.Job(
                    number,
                    location=job.location,
                    default_service=job.service,
                    priority=max(0, min(100, int(job.priority))),
                    time_windows=[vroom.TimeWindow(w.start, w.end) for w in job.windows or ()],
                )
                for number, job in enumerate(problem.jobs, start=1)
            ]
        )
        timeout = timedelta(seconds=self.timeout) if self.timeout else None
        answer = vroom_input.solve(
            exploration_level=level, nb_threads=self.threads, timeout=timeout
        )
        steps = numpy.asarray(answer._routes_numpy())
        routes: dict[int, list] = {}
        breaks: dict[int, int] = {}
        for row in steps:
            vehicle_number = int(row["vehicle_id"])
            kind = row["type"].decode() if isinstance(row["type"], bytes) else str(row["type"])
            served = routes.setdefault(vehicle_number, [])
            if kind == "job":
                served.append(problem.jobs[int(row["id"]) - 1].id)
            elif kind == "break":
                breaks[vehicle_number] = len(served)
        assigned = {job_id for served in routes.values() for job_id in served}
        return Solution(
            routes=tuple(
                Route(
                    problem.vehicles[number - 1].id,
                    tuple(served),
                    breaks.get(number) if problem.vehicles[number - 1].rest else None,
                )
                for number, served in sorted(routes.items())
                if served
            ),
            unassigned=tuple(job.id for job in problem.jobs if job.id not in assigned),
        )


def _vroom_vehicle(number: int, vehicle: Vehicle, **extra):
    """pyvroom's vehicle `number` for ours: its shift as the time window, and its break,
    which gets the vehicle's number as its id."""
    import vroom

    if vehicle.shift is not None:
        extra["time_window"] = vroom.TimeWindow(vehicle.shift.start, vehicle.shift.end)
    if vehicle.rest is not None:
        window = vehicle.rest.window
        extra["breaks"] = [
            vroom.Break(
                number,
                time_windows=[vroom.TimeWindow(window.start, window.end)],
                service=vehicle.rest.duration,
            )
        ]
    return vroom.Vehicle(number, start=vehicle.start, end=vehicle.end, **extra)


def vehicle_of(problem: Problem, vehicle_id) -> Vehicle:
    return next(v for v in problem.vehicles if v.id == vehicle_id)


def travel_time(problem: Problem, route: Route) -> int:
    """Seconds driven on a route: start, the jobs in order, end."""
    vehicle = vehicle_of(problem, route.vehicle_id)
    location = {job.id: job.location for job in problem.jobs}
    path = [vehicle.start, *(location[j] for j in route.job_ids), vehicle.end]
    return sum(problem.durations[a][b] for a, b in zip(path, path[1:], strict=False))


def objective(problem: Problem, solution: Solution) -> tuple[int, int, int]:
    """Smaller is better: the most priority served, then the most jobs, then the least travel."""
    priority = {job.id: job.priority for job in problem.jobs}
    served = [j for route in solution.routes for j in route.job_ids]
    return (
        -sum(priority[j] for j in served),
        -len(served),
        sum(travel_time(problem, route) for route in solution.routes),
    )


# What can be wrong with a route once its times are recomputed.
OPENING_HOURS = "opening_hours"  # a visit would start too late for every window (or closed)
SHIFT_END = "shift_end"  # back at the base after the shift's end
BREAK = "break"  # the break cannot start inside its window


@dataclass(frozen=True)
class Violation:
    kind: str
    job_id: object | None = None
    seconds: int = 0  # how late


@dataclass(frozen=True)
class Visit:
    job_id: object
    reached: int  # on site
    start: int  # service starts (after any wait or a break taken on arrival)
    end: int  # service ends; leaves for the next place
    travel: int  # seconds driven to get here
    distance: int  # metres driven to get here


@dataclass
class Schedule:
    vehicle_id: object
    start: int  # leaves the start location
    end: int  # back at the end location
    visits: list[Visit] = field(default_factory=list)
    break_position: int | None = None  # visits served before the break
    break_start: int | None = None
    break_end: int | None = None
    travel: int = 0  # seconds driven in all
    distance: int = 0  # metres driven in all
    return_travel: int = 0
    return_distance: int = 0
    violations: list[Violation] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.violations

    def lateness(self) -> int:
        return sum(v.seconds for v in self.violations)


def _service_start(reached: int, windows: Sequence[Window]) -> int | None:
    """The earliest start at or after `reached` inside a window; None when every window is
    over (or there is none)."""
    if windows is None:
        return reached
    for window in windows:
        if reached <= window.end:
            return max(reached, window.start)
    return None


def _simulate(
    problem: Problem, vehicle: Vehicle, jobs: Sequence[Job], break_position: int | None
) -> Schedule:
    durations, distances = problem.durations, problem.distances
    depart = vehicle.shift.start if vehicle.shift else 0
    now, here = depart, vehicle.start
    out = Schedule(vehicle.id, depart, depart, break_position=break_position)
    for position in range(len(jobs) + 1):
        there = jobs[position].location if position < len(jobs) else vehicle.end
        leg_time = durations[here][there]
        leg_distance = distances[here][there] if distances is not None else 0
        now += leg_time
        out.travel += leg_time
        out.distance += leg_distance
        reached = now
        if vehicle.rest is not None and position == break_position:
            window = vehicle.rest.window
            out.break_start = max(now, window.start)
            if out.break_start > window.end:
                out.violations.append(Violation(BREAK, None, out.break_start - window.end))
            out.break_end = now = out.break_start + vehicle.rest.duration
        if position < len(jobs):
            job = jobs[position]
            start = _service_start(now, job.windows)
            if start is None:
                late = now - job.windows[-1].end if job.windows else 0
                out.violations.append(Violation(OPENING_HOURS, job.id, late))
                start = now
            now = start + job.service
            out.visits.append(Visit(job.id, reached, start, now, leg_time, leg_distance))
        else:
            out.return_travel, out.return_distance = leg_time, leg_distance
        here = there
    out.end = now
    if vehicle.shift is not None and out.end > vehicle.shift.end:
        out.violations.append(Violation(SHIFT_END, None, out.end - vehicle.shift.end))
    return _leave_later(out, vehicle)


def _leave_later(out: Schedule, vehicle: Vehicle) -> Schedule:
    """Leave the base as late as possible without changing anything after the first wait:
    nobody should sit in a car outside a clinic that opens in an hour."""
    if not out.visits:
        return out
    first = out.visits[0]
    if out.break_position == 0 and out.break_start is not None:
        slack = out.break_start - first.reached
    else:
        slack = first.start - first.reached
    if slack <= 0:
        return out
    out.start += slack
    out.visits[0] = Visit(
        first.job_id, first.reached + slack, first.start, first.end, first.travel, first.distance
    )
    return out


def schedule(
    problem: Problem,
    vehicle: Vehicle,
    job_ids: Sequence[object],
    break_position: int | None = None,
) -> Schedule:
    """Every time of a route that serves `job_ids` in this order, and what is wrong with it.

    The vehicle leaves at its shift start (later when it would only wait), starts each
    service as early as its windows allow, and takes its break after driving to the
    `break_position`-th place (0: on arrival at the first visit; len(jobs): back at the
    base). Without a position, every position is tried and the best one kept.
    """
    by_id = {job.id: job for job in problem.jobs}
    jobs = [by_id[job_id] for job_id in job_ids]
    if vehicle.rest is None:
        return _simulate(problem, vehicle, jobs, None)
    positions = [break_position] if break_position is not None else range(len(jobs) + 1)
    best = None
    for position in positions:
        candidate = _simulate(problem, vehicle, jobs, position)
        key = (len(candidate.violations), candidate.lateness(), candidate.end)
        if best is None or key < best[0]:
            best = (key, candidate)
    return best[1]


def fits_alone(problem: Problem, vehicle: Vehicle, job_id: object) -> bool:
    """True when the vehicle could serve this job and nothing else within every limit."""
    return schedule(problem, vehicle, [job_id]).ok


def vroom_check(
    problem: Problem,
    vehicle: Vehicle,
    job_ids: Sequence[object],
    break_position: int | None = None,
) -> list[Violation]:
    """VROOM's own verdict on a route in a fixed order (its check mode, `Input.check`): the
    visits that would start after their opening hours, and a late return.

    VROOM takes a break before driving on, where `schedule` takes it on arrival, so only
    delays at visits and at the end are read from it; `schedule` judges the break."""
    import numpy
    import vroom

    by_id = {job.id: job for job in problem.jobs}
    jobs = [by_id[job_id] for job_id in job_ids]
    check_input = vroom.Input()
    check_input.set_durations_matrix("car", numpy.asarray(problem.durations, dtype="uint32"))
    steps = [vroom.VehicleStepSingle(number) for number in range(1, len(jobs) + 1)]
    if vehicle.rest is not None:
        position = len(jobs) if break_position is None else break_position
        steps.insert(position, vroom.VehicleStepBreak(1))  # the break of vehicle 1 has id 1
    check_input.add_vehicle(
        _vroom_vehicle(1, vehicle, steps=[vroom.VehicleStepStart(), *steps, vroom.VehicleStepEnd()])
    )
    check_input.add_job(
        [
            vroom.Job(
                number,
                location=job.location,
                default_service=job.service,
                time_windows=[vroom.TimeWindow(w.start, w.end) for w in job.windows or ()],
            )
            for number, job in enumerate(jobs, start=1)
        ]
    )
    answer = check_input.check(nb_threads=1).to_dict()
    found = []
    for route in answer.get("routes", []):
        for step in route["steps"]:
            delay = sum(
                v.get("duration", 0)
                for v in step.get("violations", [])
                if v.get("cause") == "delay"
            )
            if not delay:
                continue
            if step["type"] == "job":
                found.append(Violation(OPENING_HOURS, jobs[step["id"] - 1].id, delay))
            elif step["type"] == "end":
                found.append(Violation(SHIFT_END, None, delay))
    return found
