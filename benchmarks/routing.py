"""Route planner benchmark (not part of the test run).

(a) TSPLIB instances given on the command line (EUC_2D, distances rounded to the nearest
    integer), solved through our solver interface (outreach.routing.solver) with one vehicle
    and no time windows: tour length, gap to the known optimum, time (median of --runs).
(b) Generated day plans at Danish coordinates (10-25 clinics, 1-4 nurses, opening hours,
    40-minute visits, a shift; deterministic): our planner (outreach.routing.planner.plan_day
    with VROOM) against OR-Tools (parallel cheapest insertion, then guided local search for
    --ortools-seconds) on the same travel matrix and the same visit windows. Both answers
    are re-timed by our independent check, and their clinics served and driving minutes are
    counted here, not taken from either solver.

    .venv/bin/pip install -e '.[bench]'
    .venv/bin/python benchmarks/routing.py /work/shared/data/tsplib/*.tsp
    .venv/bin/python benchmarks/routing.py --no-days eil51.tsp     # only (a)
"""

import argparse
import math
import os
import random
import statistics
import sys
import time
import uuid
from datetime import date
from pathlib import Path

from outreach.routing import planner
from outreach.routing import solver as s
from outreach.routing.travel import GreatCircle

# Known optimal tour lengths (TSPLIB; /work/shared/data/tsplib/README.md).
OPTIMA = {"eil51": 426, "berlin52": 7542, "kroA100": 21282, "ch150": 6528}


# --- (a) TSPLIB ----------------------------------------------------------------------------


def read_tsp(path: Path) -> tuple[str, list[tuple[float, float]]]:
    name, points, in_coordinates = path.stem, [], False
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line:
            continue
        key = line.split(":")[0].strip().upper()
        if key == "NAME":
            name = line.split(":", 1)[1].strip()
        elif key == "EDGE_WEIGHT_TYPE" and line.split(":", 1)[1].strip() != "EUC_2D":
            raise SystemExit(f"{path}: only EUC_2D instances are supported")
        elif key == "NODE_COORD_SECTION":
            in_coordinates = True
        elif key == "EOF":
            break
        elif in_coordinates:
            _, x, y = line.split()[:3]
            points.append((float(x), float(y)))
    return name, points


def nint_matrix(points) -> list[list[int]]:
    return [[int(math.hypot(ax - bx, ay - by) + 0.5) for bx, by in points] for ax, ay in points]


def tour_length(matrix, order) -> int:
    return sum(matrix[a][b] for a, b in zip(order, order[1:] + order[:1], strict=True))


def run_tsp(path: Path, solver: s.VroomSolver, runs: int) -> dict:
    name, points = read_tsp(path)
    matrix = nint_matrix(points)
    problem = s.Problem(
        durations=matrix,
        jobs=tuple(s.Job(id=i, location=i) for i in range(1, len(points))),
        vehicles=(s.Vehicle(0, start=0, end=0),),
    )
    lengths, seconds, cpu = [], [], []
    for _ in range(runs):
        started, cpu_started = time.perf_counter(), time.process_time()
        answer = solver.solve(problem)
        seconds.append(time.perf_counter() - started)
        cpu.append(time.process_time() - cpu_started)
        assert not answer.unassigned and len(answer.routes) == 1
        order = [0, *answer.routes[0].job_ids]
        assert sorted(order) == list(range(len(points)))
        lengths.append(tour_length(matrix, order))
    length = int(statistics.median(lengths))
    optimum = OPTIMA.get(name)
    return {
        "name": name,
        "nodes": len(points),
        "length": length,
        "optimum": optimum,
        "gap": (length - optimum) / optimum * 100 if optimum else None,
        "seconds": statistics.median(seconds),
        "cpu": statistics.median(cpu),
    }


# --- (b) day plans -------------------------------------------------------------------------

BASES = {
    "Aarhus": (56.1572, 10.2107),
    "Aalborg": (57.0488, 9.9217),
    "Odense": (55.3959, 10.3883),
    "Roskilde": (55.6419, 12.0878),
}
HOURS = [
    [["10:00", "22:00"]],
    [["10:00", "22:00"]],
    [["11:00", "20:00"]],
    [["09:00", "17:00"]],
    [["12:00", "18:00"]],
    [["10:00", "14:00"], ["16:00", "22:00"]],
    [["09:30", "12:30"], ["13:30", "19:00"]],
    [["14:00", "23:00"]],
]
MONDAY = date(2026, 3, 2)


def day_plan(seed: int, clinics: int, nurses: int):
    """A reproducible day: clinics within about 35 km of one of the offices."""
    rng = random.Random(seed)  # noqa: S311 - benchmark data
    base_name = rng.choice(sorted(BASES))
    base = BASES[base_name]
    candidates = []
    for _ in range(clinics):
        distance_km = 35 * math.sqrt(rng.random())
        angle = rng.uniform(0, 2 * math.pi)
        lat = base[0] + distance_km * math.sin(angle) / 111.2
        lon = base[1] + distance_km * math.cos(angle) / (111.2 * math.cos(math.radians(base[0])))
        hours = {"mon": rng.choice(HOURS)}
        candidates.append(planner.Candidate(uuid.UUID(int=rng.getrandbits(128)), lat, lon, hours))
    settings = planner.DaySettings(
        day=MONDAY,
        base=base,
        shift_start="09:00",
        shift_end="16:00",
        service_minutes=40,
        vehicles=nurses,
    )
    return base_name, settings, candidates


def ours(settings, candidates, vroom: s.VroomSolver):
    started, cpu = time.perf_counter(), time.process_time()
    result = planner.plan_day(settings, candidates, travel=GreatCircle(), solver=vroom)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    routes = [(r.vehicle, [stop.clinic_id for stop in r.stops]) for r in result.routes]
    return routes, seconds, cpu


def ortools(problem: s.Problem, seconds: float):
    """The same problem for OR-Tools: arc cost = driving time, a visit's service start inside
    its windows, routes inside the shift, a large penalty for every clinic left out."""
    from ortools.constraint_solver import pywrapcp, routing_enums_pb2

    size = len(problem.durations)
    manager = pywrapcp.RoutingIndexManager(size, len(problem.vehicles), 0)
    routing = pywrapcp.RoutingModel(manager)
    service = [0] * size
    for job in problem.jobs:
        service[job.location] = job.service

    def drive(i, j):
        return problem.durations[manager.IndexToNode(i)][manager.IndexToNode(j)]

    def busy(i, j):
        a, b = manager.IndexToNode(i), manager.IndexToNode(j)
        return service[a] + problem.durations[a][b]

    routing.SetArcCostEvaluatorOfAllVehicles(routing.RegisterTransitCallback(drive))
    horizon = 2 * 24 * 3600
    routing.AddDimension(routing.RegisterTransitCallback(busy), horizon, horizon, False, "Time")
    timeline = routing.GetDimensionOrDie("Time")
    by_location = {}
    for job in problem.jobs:
        index = manager.NodeToIndex(job.location)
        by_location[job.location] = job.id
        windows = job.windows or (s.Window(0, horizon),)
        cumul = timeline.CumulVar(index)
        cumul.SetRange(windows[0].start, windows[-1].end)
        for before, after in zip(windows, windows[1:], strict=False):
            cumul.RemoveInterval(before.end + 1, after.start - 1)
        routing.AddDisjunction([index], 10_000_000)
    for number, vehicle in enumerate(problem.vehicles):
        for index in (routing.Start(number), routing.End(number)):
            timeline.CumulVar(index).SetRange(vehicle.shift.start, vehicle.shift.end)
    parameters = pywrapcp.DefaultRoutingSearchParameters()
    # PATH_CHEAPEST_ARC, OR-Tools' usual start, often begins by dropping every clinic here and
    # guided local search does not recover within seconds; parallel cheapest insertion is its
    # recommended start for time windows with optional visits, and the fairer baseline.
    strategies = routing_enums_pb2.FirstSolutionStrategy
    parameters.first_solution_strategy = strategies.PARALLEL_CHEAPEST_INSERTION
    parameters.local_search_metaheuristic = (
        routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    )
    parameters.time_limit.FromMilliseconds(int(seconds * 1000))
    started = time.perf_counter()
    solution = routing.SolveWithParameters(parameters)
    elapsed = time.perf_counter() - started
    routes = []
    if solution is not None:
        for number in range(len(problem.vehicles)):
            index, served = routing.Start(number), []
            while not routing.IsEnd(index):
                node = manager.IndexToNode(index)
                if node:
                    served.append(by_location[node])
                index = solution.Value(routing.NextVar(index))
            if served:
                routes.append((number, served))
    return routes, elapsed


def judge(problem: s.Problem, routes) -> tuple[int, float, bool]:
    """Clinics served, driving minutes and validity, recomputed by our check."""
    vehicles = {v.id: v for v in problem.vehicles}
    location = {job.id: job.location for job in problem.jobs}
    served, driving, valid = 0, 0, True
    for vehicle_id, job_ids in routes:
        path = [0, *(location[j] for j in job_ids), 0]
        driving += sum(problem.durations[a][b] for a, b in zip(path, path[1:], strict=False))
        served += len(job_ids)
        valid &= s.schedule(problem, vehicles[vehicle_id], job_ids).ok
    return served, driving / 60, valid


def run_days(vroom: s.VroomSolver, ortools_seconds: float, only_ours: bool) -> list[dict]:
    rows = []
    seed = 0
    for clinics in (10, 15, 20, 25):
        for nurses in (1, 2, 3, 4):
            seed += 1
            base, settings, candidates = day_plan(seed, clinics, nurses)
            problem, _ = planner.build_problem(settings, candidates, GreatCircle())
            our_routes, our_seconds, our_cpu = ours(settings, candidates, vroom)
            row = {"instance": f"{base} #{seed}", "clinics": clinics, "nurses": nurses}
            row["ours"] = (*judge(problem, our_routes), our_seconds)
            row["cpu"] = our_cpu
            if not only_ours:
                or_routes, or_seconds = ortools(problem, ortools_seconds)
                row["ortools"] = (*judge(problem, or_routes), or_seconds)
            rows.append(row)
    return rows


# --- output --------------------------------------------------------------------------------


def describe(vroom: s.VroomSolver) -> str:
    return (
        f"VROOM level {vroom.exploration_level}, {vroom.threads} threads, up to "
        f"{vroom.restarts} perturbed re-runs within {vroom.search_seconds:g} s"
    )


def print_tsp(rows, vroom: s.VroomSolver) -> None:
    print(f"\n(a) TSPLIB through our solver interface ({describe(vroom)})\n")
    print("| instance | nodes | tour | optimum | gap | time | CPU |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        gap = f"{r['gap']:+.2f} %" if r["gap"] is not None else "–"
        optimum = r["optimum"] if r["optimum"] else "–"
        print(
            f"| {r['name']} | {r['nodes']} | {r['length']} | {optimum} | {gap} "
            f"| {r['seconds']:.2f} s | {r['cpu']:.2f} s |"
        )


def yes(flag: bool) -> str:
    return "yes" if flag else "NO"


def print_days(rows, ortools_seconds, vroom: s.VroomSolver) -> None:
    print(
        f"\n(b) Day plans: our planner ({describe(vroom)}) vs OR-Tools (GLS, "
        f"{ortools_seconds:g} s), same matrix\n"
    )
    print(
        "| instance | clinics | nurses | served (ours / OR) | driving min (ours / OR) "
        "| time (ours / OR) | our CPU | valid (ours / OR) |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    wins = 0
    for r in rows:
        o_served, o_drive, o_valid, o_time = r["ours"]
        if "ortools" in r:
            t_served, t_drive, t_valid, t_time = r["ortools"]
            ok = o_served > t_served or (o_served == t_served and o_drive <= t_drive + 1e-9)
            wins += ok
            print(
                f"| {r['instance']} | {r['clinics']} | {r['nurses']} | {o_served} / {t_served} "
                f"| {o_drive:.1f} / {t_drive:.1f} | {o_time:.2f} s / {t_time:.2f} s "
                f"| {r['cpu']:.2f} s | {yes(o_valid)} / {yes(t_valid)} |"
            )
        else:
            print(
                f"| {r['instance']} | {r['clinics']} | {r['nurses']} | {o_served} / – "
                f"| {o_drive:.1f} / – | {o_time:.2f} s / – | {r['cpu']:.2f} s "
                f"| {yes(o_valid)} / – |"
            )
    slowest = max(r["ours"][3] for r in rows)
    median = statistics.median(r["ours"][3] for r in rows)
    if rows and "ortools" in rows[0]:
        served_ratio = sum(r["ours"][0] for r in rows) / sum(r["ortools"][0] for r in rows)
        drive_ratio = sum(r["ours"][1] for r in rows) / sum(r["ortools"][1] for r in rows)
        print(
            f"\nOurs at least as many clinics and no more driving on {wins} of {len(rows)}; "
            f"served ours/OR-Tools = {served_ratio:.3f}, driving ours/OR-Tools = "
            f"{drive_ratio:.3f}; our plans took {median:.2f} s (median), {slowest:.2f} s at most."
        )
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"Load average during the run: {load:.1f} on {os.cpu_count()} CPUs.")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("tsp", nargs="*", type=Path, help="TSPLIB .tsp files (EUC_2D)")
    parser.add_argument("--runs", type=int, default=3, help="TSPLIB runs per instance (median)")
    parser.add_argument("--level", type=int, default=5, help="VROOM exploration level 1-5")
    parser.add_argument("--threads", type=int, default=2, help="VROOM threads")
    parser.add_argument("--restarts", type=int, default=12, help="perturbed re-runs at most")
    parser.add_argument(
        "--search-seconds", type=float, default=0.45, help="time cap of the re-runs (the app's)"
    )
    parser.add_argument(
        "--tsp-search-seconds",
        type=float,
        default=2.0,
        help="re-run time for TSPLIB (the 3-second target), instead of --search-seconds",
    )
    parser.add_argument("--ortools-seconds", type=float, default=5.0)
    parser.add_argument("--no-days", action="store_true", help="skip the day plans (b)")
    parser.add_argument("--no-ortools", action="store_true", help="day plans without OR-Tools")
    args = parser.parse_args(argv)
    vroom = s.VroomSolver(
        exploration_level=args.level,
        threads=args.threads,
        restarts=args.restarts,
        search_seconds=args.search_seconds,
    )
    if args.tsp:
        tsp_vroom = s.VroomSolver(
            exploration_level=args.level,
            threads=args.threads,
            restarts=args.restarts,
            search_seconds=args.tsp_search_seconds,
        )
        rows = [run_tsp(path, tsp_vroom, args.runs) for path in args.tsp]
        print_tsp(rows, tsp_vroom)
    if not args.no_days:
        if not args.no_ortools:
            try:
                import ortools  # noqa: F401
            except ImportError:
                print("OR-Tools is missing: pip install -e '.[bench]' (or use --no-ortools)")
                return 2
        rows = run_days(vroom, args.ortools_seconds, args.no_ortools)
        print_days(rows, args.ortools_seconds, vroom)
    return 0


if __name__ == "__main__":
    sys.exit(main())
