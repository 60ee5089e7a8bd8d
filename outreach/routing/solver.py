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
    """VROOM through pyvroom, then a local search of our own: the highest total priority
    first, then the most jobs, then the least travel time.

    The effort is fixed, never a matter of seconds, so the same problem gives the same
    answer on a quiet machine and a busy one. A plain tour (one vehicle, no time windows)
    gets a quick VROOM run at `tour_level` and then our own tour search (`tour_kicks`,
    _plain_tour). Anything else: one VROOM run at `exploration_level`, then `restarts` more
    that look elsewhere (quicker, at `restart_level`, and seeing the travel times perturbed
    by up to ±`noise` *as costs only* from a fixed seed, so durations and every time window
    stay exact; on a plain tour the tour search could not take, the first with VROOM's
    TSPFix operator switched the other way). Every answer
    is judged by the check's rules (a stop VROOM's break semantics allow but the check does
    not is left out), and the `polish` best distinct ones are improved by a local search
    judged by the same rules (_Polish, at most `polish_rounds` moves); the best wins.
    `search_seconds` is only a safety net for a machine far slower than this one: no re-run
    or local search starts after it (the best so far, never an invalid one, is the answer
    then). benchmarks/routing.py measured these defaults (docs/performance.md).
    """

    def __init__(
        self,
        exploration_level: int = 5,
        threads: int = 2,
        timeout: float | None = None,
        tsp_fix: bool = False,
        restarts: int = 4,
        search_seconds: float = 10.0,
        restart_level: int = 1,
        noise: float = 0.2,
        seed: int = 20190,
        polish: int = 3,
        polish_rounds: int = 500,
        ruins: int = 400,
        tour_kicks: int = 1000,
        tour_level: int = 1,
    ):
        self.exploration_level = max(1, min(5, int(exploration_level)))
        self.threads = max(1, int(threads))
        self.timeout = timeout
        # VROOM's TSPFix operator re-solves each route as a TSP and keeps the result only
        # when it is still valid. It took 60-65 % of a level-5 run's time on the largest
        # days and changed no day's clinics or driving of the 200 in benchmarks/routing.py:
        # our local search re-orders the routes anyway. Off by default (docs/performance.md).
        self.tsp_fix = tsp_fix
        self.restarts = max(0, int(restarts))
        self.search_seconds = search_seconds
        self.restart_level = max(1, min(5, int(restart_level)))
        self.noise = noise
        self.seed = seed
        self.polish = max(0, int(polish))
        self.polish_rounds = max(0, int(polish_rounds))
        self.ruins = max(0, int(ruins))
        self.tour_kicks = max(0, int(tour_kicks))
        self.tour_level = max(1, min(5, int(tour_level)))

    def describe(self) -> str:
        return (
            f"VROOM level {self.exploration_level}"
            f"{'' if self.tsp_fix else ' without TSPFix'}, {self.threads} threads, "
            f"{self.restarts} perturbed re-runs at level {self.restart_level}, the best "
            f"{self.polish} polished (at most {self.polish_rounds} moves), {self.ruins} "
            f"ruin-and-recreate steps and a final intensification (a plain tour: level "
            f"{self.tour_level}, {self.tour_kicks} kicks); safety net "
            f"{self.search_seconds:g} s"
        )

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
        plain_tour = len(problem.vehicles) == 1 and all(j.windows is None for j in problem.jobs)
        if plain_tour:
            # A quick start (with TSPFix: without, st70 ends at +0.9 %) is enough for the
            # tour search, which does the work (_tour).
            tour = self._tour(problem, self._run(problem, None, self.tour_level, True))
            if tour is not None:
                return Solution(tour.routes, never, time.perf_counter() - started)
        answers = [self._checked(problem, self._run(problem, None, self.exploration_level))]
        rng = random.Random(self.seed)  # noqa: S311  # nosec B311  # search perturbation, no secret
        for restart in range(self.restarts if len(problem.jobs) > 1 else 0):
            if time.perf_counter() - started > self.search_seconds:
                break  # the safety net: a machine far slower than the effort was sized for
            if restart == 0 and plain_tour:
                # The same search with TSPFix the other way: on a plain tour each setting
                # finds tours the other misses (benchmarks/routing.py, TSPLIB).
                answer = self._run(problem, None, self.exploration_level, not self.tsp_fix)
            else:
                low, high = 1 - self.noise, 1 + self.noise
                costs = [
                    [round(d * rng.uniform(low, high)) for d in row] for row in problem.durations
                ]
                answer = self._run(problem, costs, self.restart_level)
            answers.append(self._checked(problem, answer))
        # The best few distinct answers, each improved by the local search: the best wins.
        ranked = sorted({objective(problem, a): a for a in reversed(answers)}.items())
        best, best_key = None, None
        for _, answer in ranked[: self.polish]:
            if time.perf_counter() - started > self.search_seconds and best is not None:
                break
            polished = _Polish(problem, answer, self.polish_rounds).run()
            key = objective(problem, polished)
            if best is None or key < best_key:
                best, best_key = polished, key
        if best is None:
            best = ranked[0][1]
        elif self.ruins and time.perf_counter() - started <= self.search_seconds:
            best = _Polish(problem, best, self.polish_rounds).run(
                self.ruins,
                self.seed,
                lambda: time.perf_counter() - started > self.search_seconds,
            )
        return Solution(best.routes, never + best.unassigned, time.perf_counter() - started)

    def _tour(self, problem: Problem, answer: Solution) -> Solution | None:
        """A plain tour (one vehicle with neither shift nor break, jobs without windows, a
        symmetric matrix, every job served) improved by _plain_tour; None for anything else."""
        vehicle = problem.vehicles[0]
        d = problem.durations
        size = len(d)
        if (
            vehicle.shift is not None
            or vehicle.rest is not None
            or vehicle.start != vehicle.end
            or answer.unassigned
            or len(answer.routes) != 1
            or any(d[a][b] != d[b][a] for a in range(size) for b in range(a))
        ):
            return None
        jobs = {job.location: job.id for job in problem.jobs}
        if len(jobs) != len(problem.jobs) or vehicle.start in jobs:
            return None  # two jobs in one place, or at the start: leave it to VROOM
        location = {job.id: job.location for job in problem.jobs}
        order = [location[j] for j in answer.routes[0].job_ids]
        order = _plain_tour(d, vehicle.start, order, self.tour_kicks, self.seed)
        return Solution((Route(vehicle.id, tuple(jobs[place] for place in order)),), ())

    def _checked(self, problem: Problem, answer: Solution) -> Solution:
        """The answer as the check sees it: VROOM takes a break before driving on, the check
        after arriving, so a route VROOM finds valid may not be; the stops the check objects
        to are left out (the local search may put them back elsewhere)."""
        routes, left = [], list(answer.unassigned)
        for route in answer.routes:
            vehicle = vehicle_of(problem, route.vehicle_id)
            job_ids = list(route.job_ids)
            checked = schedule(problem, vehicle, job_ids)
            while not checked.ok and job_ids:
                culprit = next((v.job_id for v in checked.violations if v.job_id), job_ids[-1])
                job_ids.remove(culprit)
                left.append(culprit)
                checked = schedule(problem, vehicle, job_ids)
            if job_ids:
                routes.append(Route(route.vehicle_id, tuple(job_ids), checked.break_position))
        return _canonical(problem, Solution(tuple(routes), tuple(left)))

    def _run(
        self, problem: Problem, costs: Matrix | None, level: int, tsp_fix: bool | None = None
    ) -> Solution:
        import numpy
        import vroom

        vroom_input = vroom.Input(apply_TSPFix=self.tsp_fix if tsp_fix is None else tsp_fix)
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


def _canonical(problem: Problem, answer: Solution) -> Solution:
    """The same answer in one form: each route that the check accepts driven the other way
    round, at the same travel, in the direction whose first job comes first in the problem;
    and the routes among interchangeable vehicles (the same start, end, shift and break) in
    one order, by the first job of the problem each serves. VROOM gives the same routes run
    after run, but not always to the same one of such vehicles, and (without TSPFix, on one
    thread or two) now and then a route driven the other way round."""
    index = {job.id: n for n, job in enumerate(problem.jobs)}
    turned = []
    for route in answer.routes:
        back = Route(route.vehicle_id, route.job_ids[::-1])
        if index[back.job_ids[0]] < index[route.job_ids[0]] and travel_time(
            problem, back
        ) == travel_time(problem, route):
            checked = schedule(problem, vehicle_of(problem, route.vehicle_id), back.job_ids)
            if checked.ok:
                route = Route(route.vehicle_id, back.job_ids, checked.break_position)
        turned.append(route)
    answer = Solution(tuple(turned), answer.unassigned, answer.seconds)
    by_vehicle = {route.vehicle_id: route for route in answer.routes}
    groups: dict = {}
    for vehicle in problem.vehicles:
        groups.setdefault((vehicle.start, vehicle.end, vehicle.shift, vehicle.rest), []).append(
            vehicle.id
        )
    routes = []
    for vehicle_ids in groups.values():
        served = sorted(
            (by_vehicle[v] for v in vehicle_ids if v in by_vehicle),
            key=lambda route: min(index[j] for j in route.job_ids),
        )
        routes.extend(
            Route(vehicle_id, route.job_ids, route.break_position)
            for vehicle_id, route in zip(vehicle_ids, served, strict=False)
        )
    order = {vehicle.id: n for n, vehicle in enumerate(problem.vehicles)}
    routes.sort(key=lambda route: order[route.vehicle_id])
    unassigned = tuple(sorted(answer.unassigned, key=lambda job_id: index[job_id]))
    return Solution(tuple(routes), unassigned, answer.seconds)


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
    if vehicle.rest is None or break_position is not None:
        return _simulate(problem, vehicle, jobs, break_position)
    return _simulate(problem, vehicle, jobs, _break_position(problem.durations, vehicle, jobs)[0])


def _serve(now: int, job: Job) -> tuple[int, int, int]:
    """(when the service ends, violations, seconds late) for a job reached at `now`, as in
    _simulate: the earliest start inside a window, or at once and late when every window
    is over."""
    windows = job.windows
    if windows is None:
        return now + job.service, 0, 0
    for window in windows:
        if now <= window.end:
            return max(now, window.start) + job.service, 0, 0
    return now + job.service, 1, (now - windows[-1].end) if windows else 0


def _break_position(
    durations: Matrix, vehicle: Vehicle, jobs: Sequence[Job]
) -> tuple[int, tuple[int, int, int]]:
    """(position, its (violations, seconds late, return time)): the first break position
    with the fewest violations, then the least lateness, then the earliest return, as
    simulating the route with the break at every position and keeping the best would
    choose, in plain integers and without building schedules.

    The route without a break is timed once; with the break at position p, the times up to
    p are the same, and once a later departure is back to the time it has without a break
    (the break was absorbed by a wait), everything after is the same too."""
    rest, shift = vehicle.rest, vehicle.shift
    places = [job.location for job in jobs] + [vehicle.end]
    size = len(jobs)
    arrive, leave = [0] * (size + 1), [0] * (size + 1)
    count_before, late_before = [0] * (size + 2), [0] * (size + 2)  # of the jobs before p
    now, here, count, late = (shift.start if shift else 0), vehicle.start, 0, 0
    for position in range(size + 1):
        now += durations[here][places[position]]
        arrive[position] = now
        if position < size:
            now, more, later = _serve(now, jobs[position])
            count, late = count + more, late + later
        count_before[position + 1], late_before[position + 1] = count, late
        leave[position] = now
        here = places[position]
    best, best_key = 0, None
    for position in range(size + 1):
        now = arrive[position]
        count, late = count_before[position], late_before[position]
        start = max(now, rest.window.start)
        if start > rest.window.end:
            count, late = count + 1, late + start - rest.window.end
        now = start + rest.duration
        step = position
        while True:
            if step < size:
                now, more, later = _serve(now, jobs[step])
                count, late = count + more, late + later
            if now == leave[step]:  # back on the times without a break: the rest is theirs
                count += count_before[size + 1] - count_before[step + 1]
                late += late_before[size + 1] - late_before[step + 1]
                now = leave[size]
                break
            if step == size:
                break
            now += durations[places[step]][places[step + 1]]
            step += 1
        if shift is not None and now > shift.end:
            count, late = count + 1, late + now - shift.end
        key = (count, late, now)
        if best_key is None or key < best_key:
            best, best_key = position, key
    return best, best_key


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


def _route_key(durations: Matrix, vehicle: Vehicle, jobs: Sequence[Job]) -> tuple[int, int, int]:
    """(violations, seconds late, return time) of `schedule` on this route, without building
    it: with a break, at the position `schedule` would choose."""
    if vehicle.rest is None:
        now = vehicle.shift.start if vehicle.shift else 0
        here, count, late = vehicle.start, 0, 0
        for job in jobs:
            now, more, later = _serve(now + durations[here][job.location], job)
            count, late, here = count + more, late + later, job.location
        now += durations[here][vehicle.end]
        if vehicle.shift is not None and now > vehicle.shift.end:
            count, late = count + 1, late + now - vehicle.shift.end
        return count, late, now
    return _break_position(durations, vehicle, jobs)[1]


def _fits(durations: Matrix, vehicle: Vehicle, jobs: Sequence[Job]) -> bool:
    """Whether `schedule` would find nothing wrong with this route: _route_key's verdict,
    stopping at the first sign of a violation. With a break, some position must give no
    violation; a position reached after the break's window is over, or after a late visit,
    cannot, nor can any later one."""
    shift, rest = vehicle.shift, vehicle.rest
    end = shift.end if shift is not None else None
    places = [job.location for job in jobs] + [vehicle.end]
    size = len(jobs)
    now, here = (shift.start if shift else 0), vehicle.start
    if rest is None:
        for position in range(size + 1):
            now += durations[here][places[position]]
            if position < size:
                now, late, _ = _serve(now, jobs[position])
                if late:
                    return False
            here = places[position]
        return end is None or now <= end
    arrive, leave, on_time = [], [], 0  # on_time: how many first jobs are served in time
    for position in range(size + 1):
        now += durations[here][places[position]]
        arrive.append(now)
        if position < size:
            now, late, _ = _serve(now, jobs[position])
            if not late and on_time == position:
                on_time += 1
        leave.append(now)
        here = places[position]
    for position in range(size + 1):
        if position > on_time or arrive[position] > rest.window.end:
            return False
        now = max(arrive[position], rest.window.start) + rest.duration
        step, good = position, True
        while True:
            if step < size:
                now, late, _ = _serve(now, jobs[step])
                if late:
                    good = False
                    break
            if now == leave[step]:  # the times without a break from here on
                good = on_time == size and (end is None or leave[size] <= end)
                break
            if step == size:
                good = end is None or now <= end
                break
            now += durations[places[step]][places[step + 1]]
            step += 1
        if good:
            return True
    return False


def _slack(
    durations: Matrix, vehicle: Vehicle, jobs: Sequence[Job]
) -> tuple[list[int], int, list[int | None]]:
    """What a job put into this route (without its break) must respect, for each place p of
    the path (0 the start, p the p-th job, len(jobs) + 1 the end): `leave[p]`, the earliest
    the vehicle leaves it; `on_time`, how many first jobs are served inside their windows;
    `latest[p]`, the latest arrival at it from which every later visit and the return are
    still in time (None: none is). A job inserted after place p fits, as `_fits` judges a
    route without a break, exactly when p <= on_time, it is served in time on arriving at
    leave[p] + the drive, and the drive on reaches place p + 1 by latest[p + 1]: the times
    after a visit only grow with the arrival."""
    shift = vehicle.shift
    here = vehicle.start
    leave = [shift.start if shift else 0]
    on_time = 0
    for position, job in enumerate(jobs):
        now, late, _ = _serve(leave[-1] + durations[here][job.location], job)
        leave.append(now)
        if not late and on_time == position:
            on_time += 1
        here = job.location
    latest: list[int | None] = [None] * (len(jobs) + 2)
    latest[-1] = shift.end if shift is not None else 1 << 62
    after = vehicle.end
    for position in range(len(jobs), 0, -1):
        job = jobs[position - 1]
        bound = latest[position + 1]
        if bound is None:
            break
        by = bound - durations[job.location][after] - job.service  # latest service start
        if job.windows is None:
            latest[position] = by
        else:
            latest[position] = next(
                (min(w.end, by) for w in reversed(job.windows) if w.start <= by), None
            )
        after = job.location
    latest[0] = 0  # the start is never arrived at
    return leave, on_time, latest


class _Polish:
    """A local search over one answer, judged by the rules of `schedule` (through
    _route_key): put left-out jobs in (at the cheapest place that fits, or in place of a
    job of lower priority, or of the same priority for less driving, or by moving one job
    to another route to make room), then move jobs within and between routes, swap two
    jobs of different routes and reverse a stretch of a route while that drives less.
    Every change serves more priority, more jobs or drives less, so this ends; `rounds`
    bounds it all the same. Deterministic: the same answer in gives the same answer out."""

    threshold = 0.02  # accept a result driving this share more at first, none at the end
    wide = 0.1  # the share of wide ruins

    def __init__(self, problem: Problem, solution: Solution, rounds: int):
        self.durations = problem.durations
        self.vehicles = list(problem.vehicles)
        by_id = {job.id: job for job in problem.jobs}
        routes = {r.vehicle_id: [by_id[j] for j in r.job_ids] for r in solution.routes}
        self.routes = [routes.get(v.id, []) for v in self.vehicles]
        # Highest priority first, then the order of the problem: deterministic.
        order = {job.id: n for n, job in enumerate(problem.jobs)}
        self.left = sorted(
            (by_id[j] for j in solution.unassigned if j in by_id),
            key=lambda job: (-job.priority, order[job.id]),
        )
        self.rounds = rounds

    def fits(self, number: int, jobs: Sequence[Job]) -> bool:
        return _fits(self.durations, self.vehicles[number], jobs)

    def travel(self, number: int, jobs: Sequence[Job]) -> int:
        vehicle, d = self.vehicles[number], self.durations
        path = [vehicle.start, *(job.location for job in jobs), vehicle.end]
        return sum(d[a][b] for a, b in zip(path, path[1:], strict=False))

    def cheapest(self, number: int, jobs: list, job: Job, blink=None) -> tuple[int, list] | None:
        """The insertion of `job` into `jobs` that fits and adds the least travel (with a
        random generator as `blink`, each place is skipped with a chance of 1 in 100)."""
        vehicle, d = self.vehicles[number], self.durations
        path = [vehicle.start, *(j.location for j in jobs), vehicle.end]
        leave, on_time, latest = _slack(d, vehicle, jobs)
        here, windows = job.location, job.windows
        last = windows[-1].end if windows else None
        costs = sorted(
            (d[a][here] + d[here][b] - d[a][b], position)
            for position, (a, b) in enumerate(zip(path, path[1:], strict=False))
            if position <= on_time
            and (last is None or leave[position] + d[a][here] <= last)
            and latest[position + 1] is not None
        )
        for added, position in costs:
            if blink is not None and blink.random() < 0.01:
                continue
            # Without a break this is the check's verdict (_slack); with one, times only
            # get later, so it is a condition the full check (fits) must then confirm.
            end, late, _ = _serve(leave[position] + d[path[position]][here], job)
            if late or end + d[here][path[position + 1]] > latest[position + 1]:
                continue
            trial = [*jobs[:position], job, *jobs[position:]]
            if vehicle.rest is None or self.fits(number, trial):
                return added, trial
        return None

    def run(self, ruins: int = 0, seed: int = 0, late=lambda: False) -> Solution:
        self.descend()
        if ruins and any(self.routes):
            self.ruin_and_recreate(ruins, seed, late)
            self.intensify(late)
        return self.solution()

    def intensify(self, late=lambda: False) -> None:
        """On the final answer, moves the descent does not make, each taken when the two
        routes it touches then drive less: two or three consecutive stops moved to another
        route (move_string), a stop moved to another route with both routes re-ordered after
        (relocate_and_reorder); then the descent again. Deterministic."""
        for _ in range(self.rounds):
            if late() or not (self.move_string() or self.relocate_and_reorder()):
                break
            self.descend()

    def reorder(self, number: int, jobs: list) -> list:
        """The route's stops in the order that 2-opt and moves of one stop within it reach
        while each drives less and fits (the first such change each time)."""
        best, best_travel = list(jobs), self.travel(number, jobs)
        size, improved = len(best), True
        while improved:
            improved = False
            trials = [
                [*best[:i], *reversed(best[i:k]), *best[k:]]
                for i in range(size)
                for k in range(i + 2, size + 1)
            ]
            trials += [
                [*rest[:place], best[i], *rest[place:]]
                for i in range(size)
                for rest in (best[:i] + best[i + 1 :],)
                for place in range(size)
                if place != i
            ]
            for trial in trials:
                travel = self.travel(number, trial)
                if travel < best_travel and self.fits(number, trial):
                    best, best_travel, improved = trial, travel, True
                    break
        return best

    def move_string(self) -> bool:
        """Two or three consecutive stops of a route moved, in their order or turned round,
        to the place in another route where they fit and the two routes drive least, when
        that is less than before."""
        d = self.durations
        for source, jobs in enumerate(self.routes):
            vehicle = self.vehicles[source]
            path = [vehicle.start, *(j.location for j in jobs), vehicle.end]
            for length in (2, 3):
                for first in range(len(jobs) - length + 1):
                    piece = jobs[first : first + length]
                    inside = [
                        d[a.location][b.location] for a, b in zip(piece, piece[1:], strict=False)
                    ]
                    saved = (
                        d[path[first]][piece[0].location]
                        + sum(inside)
                        + d[piece[-1].location][path[first + length + 1]]
                        - d[path[first]][path[first + length + 1]]
                    )
                    rest = jobs[:first] + jobs[first + length :]
                    fitting = None
                    for target, other in enumerate(self.routes):
                        if target == source:
                            continue
                        v = self.vehicles[target]
                        places = [v.start, *(j.location for j in other), v.end]
                        moves = []
                        for turned in (piece, piece[::-1]):
                            within = sum(
                                d[a.location][b.location]
                                for a, b in zip(turned, turned[1:], strict=False)
                            )
                            head, tail = turned[0].location, turned[-1].location
                            for at, (a, b) in enumerate(zip(places, places[1:], strict=False)):
                                added = d[a][head] + within + d[tail][b] - d[a][b]
                                if added < saved:
                                    moves.append((added, at, turned))
                        for _, at, turned in sorted(moves, key=lambda m: (m[0], m[1])):
                            trial = [*other[:at], *turned, *other[at:]]
                            if not self.fits(target, trial):
                                continue
                            if fitting is None:
                                fitting = self.fits(source, rest)
                            if not fitting:
                                break
                            self.routes[source], self.routes[target] = rest, trial
                            return True
        return False

    def relocate_and_reorder(self) -> bool:
        """One stop moved to another route (at its cheapest place that fits), both routes
        re-ordered (reorder), taken when the two then drive less than before."""
        ordered: dict = {}
        for source, jobs in enumerate(self.routes):
            for index, job in enumerate(jobs):
                rest = jobs[:index] + jobs[index + 1 :]
                if not self.fits(source, rest):
                    continue
                for target, other in enumerate(self.routes):
                    if target == source:
                        continue
                    found = self.cheapest(target, other, job)
                    if found is None:
                        continue
                    if (source, index) not in ordered:
                        ordered[source, index] = self.reorder(source, rest)
                    new_source = ordered[source, index]
                    new_target = self.reorder(target, found[1])
                    before = self.travel(source, jobs) + self.travel(target, other)
                    after = self.travel(source, new_source) + self.travel(target, new_target)
                    if after < before:
                        self.routes[source], self.routes[target] = new_source, new_target
                        return True
        return False

    def descend(self) -> None:
        for _ in range(self.rounds):
            if not (
                self.insert()
                or self.replace()
                or self.relocate()
                or self.exchange()
                or self.reverse()
                or self.make_room()
            ):
                break

    def key(self) -> tuple[int, int, int]:
        served = [job for jobs in self.routes for job in jobs]
        return (
            -sum(job.priority for job in served),
            -len(served),
            sum(self.travel(number, jobs) for number, jobs in enumerate(self.routes)),
        )

    def ruin_and_recreate(self, ruins: int, seed: int, late=lambda: False) -> None:
        """Take out strings of consecutive stops around a job and its neighbours (from a
        few routes) and the left-out jobs near it, put them back one by one where each fits
        cheapest, in one of a few orders, now and then skipping a place (string removal
        and greedy insertion with blinks, after Christiaens and Vanden Berghe's SISR).
        Accept the result when it is better, or worse by less than a threshold that falls
        to zero over the steps; descend from each new best. Seeded: deterministic."""
        d = self.durations
        rng = random.Random(seed)  # noqa: S311  # nosec B311  # search perturbation, no secret
        best_key = current_key = self.key()
        best = ([list(jobs) for jobs in self.routes], list(self.left))
        start_threshold = self.threshold * (best_key[2] + 1)
        for step in range(ruins):
            if step % 100 == 99 and late():
                break  # the safety net (VroomSolver.search_seconds), looked at now and then
            routed = [job for jobs in self.routes for job in jobs]
            if not routed:
                break
            centre = rng.choice(routed).location
            near = sorted(routed, key=lambda job: d[centre][job.location])
            removed, touched = [], set()
            longest = rng.randint(2, 6)
            if rng.random() < self.wide:  # now and then a wide ruin: a third to a half
                removed = rng.sample(routed, max(1, len(routed) * rng.randint(3, 5) // 10))
                near = []
            for job in near[: rng.randint(1, 4)]:
                number = next(n for n, jobs in enumerate(self.routes) if job in jobs)
                if number in touched:
                    continue
                touched.add(number)
                jobs = self.routes[number]
                length = min(len(jobs), rng.randint(1, longest))
                at = jobs.index(job)
                first = max(0, min(at - rng.randrange(length), len(jobs) - length))
                removed.extend(jobs[first : first + length])
            nearby = sorted(self.left, key=lambda job: d[centre][job.location])[:6]
            saved = ([list(jobs) for jobs in self.routes], list(self.left))
            self.routes = [[j for j in jobs if j not in removed] for jobs in self.routes]
            self.left = [job for job in self.left if job not in nearby]
            pool = removed + nearby
            order = rng.randrange(4)
            if order == 0:
                rng.shuffle(pool)
            elif order == 1:  # the tightest hours first
                pool.sort(key=lambda job: job.windows[-1].end if job.windows else 1 << 40)
            elif order == 2:  # the farthest first
                pool.sort(key=lambda job: -d[self.vehicles[0].start][job.location])
            else:
                pool.sort(key=lambda job: d[self.vehicles[0].start][job.location])
            pool.sort(key=lambda job: -job.priority)  # stable: the order within a priority
            for job in pool:
                found = None
                for number, jobs in enumerate(self.routes):
                    fit = self.cheapest(number, jobs, job, rng)
                    if fit is not None and (found is None or fit[0] < found[0]):
                        found = (fit[0], number, fit[1])
                if found is None:
                    self.left.append(job)
                else:
                    self.routes[found[1]] = found[2]
            key = self.key()
            threshold = start_threshold * (1 - step / ruins)
            if key < best_key:
                self.descend()
                key = self.key()
                best_key, best = key, ([list(j) for j in self.routes], list(self.left))
                current_key = key
            elif key[:2] < current_key[:2] or (
                key[:2] == current_key[:2] and key[2] <= current_key[2] + threshold
            ):
                current_key = key
            else:
                self.routes, self.left = saved
        self.routes, self.left = best
        self.left.sort(key=lambda job: -job.priority)

    def solution(self) -> Solution:
        routes = []
        for number, jobs in enumerate(self.routes):
            if not jobs:
                continue
            vehicle = self.vehicles[number]
            position = _break_position(self.durations, vehicle, jobs)[0] if vehicle.rest else None
            routes.append(Route(vehicle.id, tuple(j.id for j in jobs), position))
        return Solution(tuple(routes), tuple(j.id for j in self.left))

    def insert(self) -> bool:
        for job in self.left:
            best = None
            for number, jobs in enumerate(self.routes):
                found = self.cheapest(number, jobs, job)
                if found is not None and (best is None or found[0] < best[0]):
                    best = (found[0], number, found[1])
            if best is not None:
                self.routes[best[1]] = best[2]
                self.left.remove(job)
                return True
        return False

    def replace(self) -> bool:
        """A left-out job in place of a routed one of lower priority, or of the same
        priority when that drives less."""
        for job in self.left:
            for number, jobs in enumerate(self.routes):
                before = self.travel(number, jobs)
                for out in jobs:
                    if out.priority > job.priority:
                        continue
                    rest = [j for j in jobs if j is not out]
                    found = self.cheapest(number, rest, job)
                    if found is None:
                        continue
                    if out.priority < job.priority or self.travel(number, found[1]) < before:
                        self.routes[number] = found[1]
                        self.left.remove(job)
                        self.left.append(out)
                        self.left.sort(key=lambda j: -j.priority)
                        return True
        return False

    def relocate(self) -> bool:
        """One job to another place, in its route or another, when that drives less."""
        d = self.durations
        for source, jobs in enumerate(self.routes):
            vehicle = self.vehicles[source]
            path = [vehicle.start, *(j.location for j in jobs), vehicle.end]
            for index, job in enumerate(jobs):
                saved = (
                    d[path[index]][job.location]
                    + d[job.location][path[index + 2]]
                    - d[path[index]][path[index + 2]]
                )
                rest = jobs[:index] + jobs[index + 1 :]
                for target in range(len(self.routes)):
                    into = rest if target == source else self.routes[target]
                    found = self.cheapest(target, into, job)
                    if found is None or found[0] >= saved:
                        continue
                    if target == source:
                        if found[1] == jobs:
                            continue
                        self.routes[source] = found[1]
                        return True
                    if self.fits(source, rest):
                        self.routes[source], self.routes[target] = rest, found[1]
                        return True
        return False

    def exchange(self) -> bool:
        """Two jobs of different routes trade places, when that drives less."""
        for first in range(len(self.routes)):
            for second in range(first + 1, len(self.routes)):
                a_jobs, b_jobs = self.routes[first], self.routes[second]
                before = self.travel(first, a_jobs) + self.travel(second, b_jobs)
                for i in range(len(a_jobs)):
                    for k in range(len(b_jobs)):
                        a_trial = [*a_jobs[:i], b_jobs[k], *a_jobs[i + 1 :]]
                        b_trial = [*b_jobs[:k], a_jobs[i], *b_jobs[k + 1 :]]
                        after = self.travel(first, a_trial) + self.travel(second, b_trial)
                        if (
                            after < before
                            and self.fits(first, a_trial)
                            and self.fits(second, b_trial)
                        ):
                            self.routes[first], self.routes[second] = a_trial, b_trial
                            return True
        return False

    def reverse(self) -> bool:
        """A stretch of a route driven the other way (2-opt), when that drives less."""
        for number, jobs in enumerate(self.routes):
            before = self.travel(number, jobs)
            for i in range(len(jobs)):
                for k in range(i + 2, len(jobs) + 1):
                    trial = [*jobs[:i], *reversed(jobs[i:k]), *jobs[k:]]
                    if self.travel(number, trial) < before and self.fits(number, trial):
                        self.routes[number] = trial
                        return True
        return False

    def make_room(self) -> bool:
        """A left-out job in place of a routed one that moves to another route."""
        if len(self.routes) < 2:
            return False
        for job in self.left:
            for number, jobs in enumerate(self.routes):
                for out in jobs:
                    if out.priority > job.priority:
                        continue
                    found = self.cheapest(number, [j for j in jobs if j is not out], job)
                    if found is None:
                        continue
                    for target, other in enumerate(self.routes):
                        if target == number:
                            continue
                        moved = self.cheapest(target, other, out)
                        if moved is not None:
                            self.routes[number], self.routes[target] = found[1], moved[1]
                            self.left.remove(job)
                            return True
        return False


def _plain_tour(durations: Matrix, start: int, locations: Sequence[int], kicks: int, seed: int):
    """The shortest closed tour we find through `start` and every location (in the order
    given to begin with) of a symmetric matrix: 2-opt and or-opt moves over each place's
    nearest neighbours until none shortens the tour, then `kicks` times a double bridge
    (three stretches nearby reordered) and the same again, keeping the result when it is
    no longer (iterated local search). Seeded: deterministic. Returns the locations in
    tour order after `start`."""
    d = durations
    nodes = [start, *locations]
    near = {a: sorted((b for b in nodes if b != a), key=lambda b: d[a][b])[:10] for a in nodes}
    rng = random.Random(seed)  # noqa: S311  # nosec B311  # search perturbation, no secret

    def length(tour):
        return sum(d[a][b] for a, b in zip(tour, tour[1:] + tour[:1], strict=True))

    def improve(tour, active):
        """2-opt and or-opt moves that shorten the tour, looked for around the places in
        `active` and around every place a move touches (don't-look bits)."""
        size = len(tour)
        at = {node: n for n, node in enumerate(tour)}
        stack = list(reversed(active))
        waiting = set(stack)

        def wake(*places):
            for place in places:
                if place not in waiting:
                    waiting.add(place)
                    stack.append(place)

        def two_opt(a) -> bool:
            i = at[a]
            for step in (1, -1):  # the edge after a, then the edge before it
                b = tour[(i + step) % size]
                for c in near[a]:
                    j = at[c]
                    e = tour[(j + step) % size]
                    if c == b or e == a:
                        continue
                    if d[a][c] + d[b][e] < d[a][b] + d[c][e]:
                        # edges (x, next x) for x = a, c (or for x = b, e going back)
                        x, y = (i, j) if step == 1 else ((i - 1) % size, (j - 1) % size)
                        low, high = (x, y) if x < y else (y, x)
                        tour[low + 1 : high + 1] = tour[low + 1 : high + 1][::-1]
                        for n in range(low + 1, high + 1):
                            at[tour[n]] = n
                        wake(a, b, c, e)
                        return True
            return False

        def or_opt(a) -> bool:
            i = at[a]
            for span in (1, 2, 3):  # a stretch of 1-3 places starting or ending at a
                if size - span < 3:
                    break
                for first in {i, (i - span + 1) % size}:
                    piece = [tour[(first + n) % size] for n in range(span)]
                    before = tour[(first - 1) % size]
                    after = tour[(first + span) % size]
                    gain = d[before][piece[0]] + d[piece[-1]][after] - d[before][after]
                    for end, other in ((piece[0], piece[-1]), (piece[-1], piece[0])):
                        for u in near[end]:
                            if u in piece or u == before:
                                continue
                            v = tour[(at[u] + 1) % size]  # u's next place without the piece
                            # u, end ... other, v  (the piece turned when end is its last)
                            if d[u][end] + d[other][v] - d[u][v] < gain:
                                moved = piece if end == piece[0] else piece[::-1]
                                rest = [tour[(first + span + n) % size] for n in range(size - span)]
                                k = rest.index(u)
                                tour[:] = rest[: k + 1] + moved + rest[k + 1 :]
                                at.clear()
                                at.update((node, n) for n, node in enumerate(tour))
                                wake(before, after, u, v, *piece)
                                return True
            return False

        while stack:
            a = stack.pop()
            waiting.discard(a)
            two_opt(a) or or_opt(a)
        return tour

    best = improve(nodes[:], nodes)
    best_length = length(best)
    for _ in range(kicks if len(best) > 7 else 0):
        size = len(best)
        first = rng.randrange(size)
        cuts = sorted(rng.sample(range(1, min(size, 30)), 3))
        turned = best[first:] + best[:first]
        one, two, three = cuts
        trial = turned[:one] + turned[two:three] + turned[one:two] + turned[three:]
        ends = (one - 1, one, two - 1, two, three - 1, three % size)
        trial = improve(trial, [turned[n] for n in ends])
        trial_length = length(trial)
        if trial_length <= best_length:
            best, best_length = trial, trial_length
    zero = best.index(start)
    return (best[zero:] + best[:zero])[1:]
