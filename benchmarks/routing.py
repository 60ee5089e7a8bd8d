"""Route planner benchmark (not part of the test run).

(a) TSPLIB instances given on the command line (EUC_2D, distances rounded to the nearest
    integer), solved through our solver interface (outreach.routing.solver) with one vehicle
    and no time windows: tour length, gap to the known optimum, time (median of --runs).
(b) --scenarios (200; --quick: 20) seeded days: 10-40 clinics clustered in real towns of
    Nordjylland, Midtjylland or Sjælland, 1-4 nurses from Aalborg, Aarhus or Roskilde, the
    issue's opening hours and narrower ones (2-hour windows, split days, evening only),
    clinics closed that weekday, with and without a lunch break (scenario()). Our planner
    (outreach.routing.planner.plan_day with the app's solver defaults) against OR-Tools
    (parallel cheapest insertion, then guided local search for --ortools-seconds) on the
    same travel matrix and the same visit windows, one day after the other with a line of
    progress each. Both answers are re-timed by our independent check, and their clinics
    served and driving minutes are counted here, not taken from either solver. Prints the
    distribution (served difference, driving ratio at equal served, our time), the load
    average, and every day that misses the target (docs/performance.md, "Routing").

    .venv/bin/pip install 'ortools>=9.10'          # the 'bench' extra
    .venv/bin/python benchmarks/routing.py --quick                  # 20 days
    .venv/bin/python benchmarks/routing.py --ortools-cache /tmp/or.json   # 200 days
    .venv/bin/python benchmarks/routing.py --no-days eil51.tsp      # only (a)
"""

import argparse
import json
import math
import os
import random
import statistics
import sys
import time
import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # this checkout's outreach, not the one installed

from outreach.routing import planner  # noqa: E402
from outreach.routing import solver as s  # noqa: E402
from outreach.routing.travel import GreatCircle  # noqa: E402

# Known optimal tour lengths (TSPLIB; /work/shared/data/tsplib/README.md).
OPTIMA = {
    "eil51": 426,
    "berlin52": 7542,
    "kroA100": 21282,
    "ch150": 6528,
    "st70": 675,
    "eil76": 538,
    "pr76": 108159,
}


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


# --- (b) day plans ------------------------------------------------------------------------

# Each region's office (the base) and real towns around it (lat, lon).
REGIONS = {
    "Nordjylland": (
        "Aalborg",
        {
            "Aalborg": (57.0488, 9.9217),
            "Nørresundby": (57.0590, 9.9229),
            "Hjørring": (57.4642, 9.9822),
            "Frederikshavn": (57.4407, 10.5366),
            "Brønderslev": (57.2702, 9.9410),
            "Hobro": (56.6383, 9.7908),
            "Thisted": (56.9552, 8.6946),
            "Skagen": (57.7209, 10.5839),
            "Sæby": (57.3340, 10.5150),
            "Nibe": (56.9830, 9.6390),
        },
    ),
    "Midtjylland": (
        "Aarhus",
        {
            "Aarhus": (56.1572, 10.2107),
            "Randers": (56.4607, 10.0364),
            "Silkeborg": (56.1697, 9.5451),
            "Horsens": (55.8607, 9.8503),
            "Skanderborg": (56.0346, 9.9307),
            "Viborg": (56.4532, 9.4020),
            "Grenaa": (56.4161, 10.8784),
            "Herning": (56.1393, 8.9738),
            "Ebeltoft": (56.1944, 10.6821),
            "Odder": (55.9730, 10.1530),
        },
    ),
    "Sjælland": (
        "Roskilde",
        {
            "Roskilde": (55.6419, 12.0878),
            "København": (55.6761, 12.5683),
            "Køge": (55.4580, 12.1821),
            "Holbæk": (55.7175, 11.7128),
            "Ringsted": (55.4426, 11.7900),
            "Hillerød": (55.9281, 12.3005),
            "Slagelse": (55.4028, 11.3546),
            "Næstved": (55.2299, 11.7609),
            "Frederikssund": (55.8396, 12.0689),
            "Greve": (55.5833, 12.3000),
        },
    ),
}
# Opening hours of a day: the patterns and narrower ones.
HOURS = {
    "10-22": [["10:00", "22:00"]],
    "12-20": [["12:00", "20:00"]],
    "9-13+15-21": [["09:00", "13:00"], ["15:00", "21:00"]],
    "13:30-18": [["13:30", "18:00"]],
    "9-17": [["09:00", "17:00"]],
    "2h-morning": [["10:00", "12:00"]],
    "2h-midday": [["12:00", "14:00"]],
    "2h-afternoon": [["14:30", "16:30"]],
    "split": [["09:00", "11:00"], ["15:00", "17:00"]],
    "split-narrow": [["10:00", "11:30"], ["13:00", "14:30"], ["16:00", "17:30"]],
    "evening": [["17:00", "23:00"]],
    "late-evening": [["19:00", "23:30"]],
}
SHIFTS = [("09:00", "17:00"), ("09:00", "17:00"), ("08:00", "16:00"), ("12:00", "20:00")]
MONDAY = date(2026, 3, 2)


@dataclass(frozen=True)
class Scenario:
    seed: int
    region: str
    base: str
    towns: int
    clinics: int
    nurses: int
    day: date
    shift: tuple[str, str]
    lunch: bool
    settings: "planner.DaySettings"
    candidates: tuple

    @property
    def name(self) -> str:
        return f"{self.region} #{self.seed}"

    def describe(self) -> str:
        return (
            f"{self.clinics} clinics in {self.towns} towns, {self.nurses} nurse(s) from "
            f"{self.base}, {self.day:%a} {self.shift[0]}-{self.shift[1]}, "
            f"{'lunch' if self.lunch else 'no lunch'}"
        )


def scenario(seed: int) -> Scenario:
    """A reproducible day: 10-40 clinics clustered in 2-6 real towns of one region (the
    base's town always among them), 1-4 nurses, a mix of opening hours with some clinics
    closed that weekday, with or without a lunch break. Equal priorities, so both solvers
    serve the most clinics first, then drive the least."""
    rng = random.Random(seed * 7919)
    region = sorted(REGIONS)[seed % len(REGIONS)]
    base_name, towns = REGIONS[region]
    chosen = [base_name, *rng.sample(sorted(set(towns) - {base_name}), rng.randint(1, 5))]
    weights = [rng.uniform(0.5, 2.0) for _ in chosen]
    day = MONDAY + timedelta(days=rng.randrange(7))
    weekday = planner.DayClock(day).weekday
    other_day = planner.DayClock(day + timedelta(days=1)).weekday
    patterns = sorted(HOURS)
    # Each scenario leans on a few patterns, as a real region does.
    favoured = rng.sample(patterns, 4)
    clinics = rng.randint(10, 40)
    candidates = []
    for _ in range(clinics):
        town = rng.choices(chosen, weights)[0]
        lat, lon = towns[town]
        spread = rng.uniform(0.5, 4.0)  # km around the town's centre
        lat += rng.gauss(0, spread) / 111.2
        lon += rng.gauss(0, spread) / (111.2 * math.cos(math.radians(lat)))
        pattern = rng.choice(favoured) if rng.random() < 0.7 else rng.choice(patterns)
        hours = {other_day: HOURS["10-22"]}
        if rng.random() >= 0.15:  # else closed on the plan's weekday
            hours[weekday] = HOURS[pattern]
        candidates.append(planner.Candidate(uuid.UUID(int=rng.getrandbits(128)), lat, lon, hours))
    shift = rng.choice(SHIFTS)
    lunch = rng.random() < 0.5
    if lunch:
        lunch_from = "11:30" if shift[0] < "12:00" else "16:30"
        lunch_to = "13:30" if shift[0] < "12:00" else "18:30"
    settings = planner.DaySettings(
        day=day,
        base=towns[base_name],
        shift_start=shift[0],
        shift_end=shift[1],
        service_minutes=rng.choice([40, 40, 40, 30]),
        vehicles=rng.randint(1, 4),
        break_from=lunch_from if lunch else None,
        break_to=lunch_to if lunch else None,
        break_minutes=30 if lunch else None,
    )
    return Scenario(
        seed,
        region,
        base_name,
        len(chosen),
        clinics,
        settings.vehicles,
        day,
        shift,
        lunch,
        settings,
        tuple(candidates),
    )


def ours(settings, candidates, vroom: s.VroomSolver):
    started, cpu = time.perf_counter(), time.process_time()
    result = planner.plan_day(settings, candidates, travel=GreatCircle(), solver=vroom)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    routes = [(r.vehicle, [stop.clinic_id for stop in r.stops]) for r in result.routes]
    return routes, seconds, cpu


def servable(problem: s.Problem) -> s.Problem:
    """The problem without the jobs closed that day (no window at all)."""
    jobs = tuple(job for job in problem.jobs if job.windows != ())
    return s.Problem(problem.durations, jobs, problem.vehicles, problem.distances)


def ortools(problem: s.Problem, seconds: float):
    """The same problem for OR-Tools: arc cost = driving time, a visit's service start inside
    its windows, routes inside the shift, the lunch break as a break interval of each
    vehicle (not during a visit), a large penalty for every clinic left out."""
    from ortools.constraint_solver import pywrapcp, routing_enums_pb2

    # Node 0 is the base, node k the k-th job: places that are no job are not in the model.
    places = [0, *(job.location for job in problem.jobs)]
    size = len(places)
    durations = [[problem.durations[a][b] for b in places] for a in places]
    manager = pywrapcp.RoutingIndexManager(size, len(problem.vehicles), 0)
    routing = pywrapcp.RoutingModel(manager)
    service = [0, *(job.service for job in problem.jobs)]

    def drive(i, j):
        return durations[manager.IndexToNode(i)][manager.IndexToNode(j)]

    def busy(i, j):
        a, b = manager.IndexToNode(i), manager.IndexToNode(j)
        return service[a] + durations[a][b]

    routing.SetArcCostEvaluatorOfAllVehicles(routing.RegisterTransitCallback(drive))
    horizon = 2 * 24 * 3600
    routing.AddDimension(routing.RegisterTransitCallback(busy), horizon, horizon, False, "Time")
    timeline = routing.GetDimensionOrDie("Time")
    by_node = {}
    for node, job in enumerate(problem.jobs, start=1):
        index = manager.NodeToIndex(node)
        by_node[node] = job.id
        windows = job.windows or (s.Window(0, horizon),)
        cumul = timeline.CumulVar(index)
        cumul.SetRange(windows[0].start, windows[-1].end)
        for before, after in zip(windows, windows[1:], strict=False):
            cumul.RemoveInterval(before.end + 1, after.start - 1)
        routing.AddDisjunction([index], 10_000_000)
    visit_time = [service[manager.IndexToNode(i)] for i in range(routing.Size())]
    for number, vehicle in enumerate(problem.vehicles):
        for index in (routing.Start(number), routing.End(number)):
            timeline.CumulVar(index).SetRange(vehicle.shift.start, vehicle.shift.end)
        if vehicle.rest is not None:
            rest = vehicle.rest
            interval = routing.solver().FixedDurationIntervalVar(
                rest.window.start, rest.window.end, rest.duration, False, f"lunch {number}"
            )
            timeline.SetBreakIntervalsOfVehicle([interval], number, visit_time)
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
                    served.append(by_node[node])
                index = solution.Value(routing.NextVar(index))
            if served:
                routes.append((number, served))
    return routes, elapsed


def judge(problem: s.Problem, routes) -> tuple[int, float, int]:
    """Clinics served, driving minutes, and how many stops our check had to take off (a
    visit or a break it finds outside its window), recomputed by our check: a stop the check
    rejects is not counted as served."""
    vehicles = {v.id: v for v in problem.vehicles}
    location = {job.id: job.location for job in problem.jobs}
    served, driving, repaired = 0, 0, 0
    for vehicle_id, job_ids in routes:
        job_ids = list(job_ids)
        checked = s.schedule(problem, vehicles[vehicle_id], job_ids)
        while not checked.ok and job_ids:
            culprit = next((v.job_id for v in checked.violations if v.job_id), job_ids[-1])
            job_ids.remove(culprit)
            repaired += 1
            checked = s.schedule(problem, vehicles[vehicle_id], job_ids)
        path = [0, *(location[j] for j in job_ids), 0]
        driving += sum(problem.durations[a][b] for a, b in zip(path, path[1:], strict=False))
        served += len(job_ids)
    return served, driving / 60, repaired


def load_cache(path: Path | None) -> dict:
    if path is None or not path.exists():
        return {}
    return json.loads(path.read_text())


def run_days(
    vroom: s.VroomSolver,
    seeds: range,
    ortools_seconds: float,
    only_ours: bool,
    cache_path: Path | None,
) -> list[dict]:
    """Every scenario in turn (a bounded loop), a line of progress on stderr for each."""
    cache = load_cache(cache_path)
    rows = []
    for count, seed in enumerate(seeds, start=1):
        day = scenario(seed)
        problem, _ = planner.build_problem(day.settings, day.candidates, GreatCircle())
        problem = servable(problem)
        row = {"seed": seed, "instance": day.name, "what": day.describe(), "day": day}
        if not only_ours:
            key = f"{seed}:{ortools_seconds:g}"
            if key in cache:
                or_routes = [(v, [uuid.UUID(j) for j in ids]) for v, ids in cache[key]["routes"]]
                or_seconds = cache[key]["seconds"]
            else:
                or_routes, or_seconds = ortools(problem, ortools_seconds)
                cache[key] = {
                    "routes": [(v, [str(j) for j in ids]) for v, ids in or_routes],
                    "seconds": or_seconds,
                }
                if cache_path is not None:
                    cache_path.write_text(json.dumps(cache))
            row["ortools"] = (*judge(problem, or_routes), or_seconds)
        our_routes, our_seconds, our_cpu = ours(day.settings, day.candidates, vroom)
        row["ours"] = (*judge(problem, our_routes), our_seconds)
        row["cpu"] = our_cpu
        rows.append(row)
        served, driving, _, seconds = row["ours"]
        versus = ""
        if "ortools" in row:
            t_served, t_driving = row["ortools"][:2]
            versus = f" | OR-Tools {t_served} served, {t_driving:.1f} min"
            versus += "" if meets(row) else "  <-- MISS"
        print(
            f"[{count}/{len(seeds)}] {day.name}: {day.describe()} | ours {served} served, "
            f"{driving:.1f} min, {seconds:.2f} s ({row['cpu']:.2f} s CPU){versus}",
            file=sys.stderr,
            flush=True,
        )
    return rows


def meets(row) -> bool:
    """At least as many served as OR-Tools, and at the same count no more driving."""
    o_served, o_drive = row["ours"][:2]
    t_served, t_drive = row["ortools"][:2]
    return o_served > t_served or (o_served == t_served and o_drive <= t_drive + 1e-9)


# --- output --------------------------------------------------------------------------------


def describe(vroom: s.VroomSolver) -> str:
    return vroom.describe()


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


def percentile(values, share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(share * len(ordered)) - 1)]


def spread(values, unit: str = " s", digits: int = 2) -> str:
    return (
        f"median {statistics.median(values):.{digits}f}{unit}, "
        f"p95 {percentile(values, 0.95):.{digits}f}{unit}, max {max(values):.{digits}f}{unit}"
    )


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f}, {five:.2f}, {fifteen:.2f} (1/5/15 min) on {os.cpu_count()} CPUs"


def print_days(rows, ortools_seconds, vroom: s.VroomSolver, load_before: str) -> None:
    print(f"\n(b) {len(rows)} generated days: our planner ({describe(vroom)})", end="")
    print(
        f" vs OR-Tools (GLS, {ortools_seconds:g} s), same matrix\n"
        if "ortools" in rows[0]
        else "\n"
    )
    times = [r["ours"][3] for r in rows]
    cpus = [r["cpu"] for r in rows]
    print(f"Our time: {spread(times)}; our CPU: {spread(cpus)}")
    print(f"Load average before: {load_before}; after: {load()}")
    print(f"Our answers the check had to repair: {sum(r['ours'][2] > 0 for r in rows)}")
    if "ortools" in rows[0]:
        repaired = sum(r["ortools"][2] > 0 for r in rows)
        print(f"OR-Tools answers the check had to repair: {repaired}")
    print("\nThe five days that took the most CPU:\n")
    print("| day | what | CPU | time |\n|---|---|---:|---:|")
    for r in sorted(rows, key=lambda r: -r["cpu"])[:5]:
        print(f"| {r['instance']} | {r['what']} | {r['cpu']:.2f} s | {r['ours'][3]:.2f} s |")
    if "ortools" not in rows[0]:
        return
    differences = [r["ours"][0] - r["ortools"][0] for r in rows]
    print("\n| served, ours − OR-Tools | days |\n|---:|---:|")
    for value in sorted(set(differences)):
        print(f"| {value:+d} | {differences.count(value)} |")
    equal = [r for r in rows if r["ours"][0] == r["ortools"][0]]
    ratios = [r["ours"][1] / r["ortools"][1] for r in equal if r["ortools"][1] > 0]
    if ratios:
        print(
            f"\nDriving ratio ours/OR-Tools at equal served ({len(ratios)} days): "
            f"min {min(ratios):.3f}, {spread(ratios, '', 3)}; "
            f"above 1.000: {sum(x > 1 + 1e-9 for x in ratios)}, "
            f"below 1.000: {sum(x < 1 - 1e-9 for x in ratios)}"
        )
    missed = [r for r in rows if not meets(r)]
    target = not missed and statistics.median(times) <= 1.0 and max(times) <= 2.0
    print(
        f"\nAt least as many served and no more driving: {len(rows) - len(missed)} of "
        f"{len(rows)} days; median time {statistics.median(times):.2f} s (≤ 1 s), max "
        f"{max(times):.2f} s (≤ 2 s): target {'MET' if target else 'MISSED'}"
    )
    if missed:
        print("\n| day | what | served (ours / OR) | driving min (ours / OR) | time |")
        print("|---|---|---:|---:|---:|")
        for r in missed:
            print(
                f"| {r['instance']} | {r['what']} | {r['ours'][0]} / {r['ortools'][0]} "
                f"| {r['ours'][1]:.1f} / {r['ortools'][1]:.1f} | {r['ours'][3]:.2f} s |"
            )


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("tsp", nargs="*", type=Path, help="TSPLIB .tsp files (EUC_2D)")
    parser.add_argument("--runs", type=int, default=3, help="TSPLIB runs per instance (median)")
    parser.add_argument("--scenarios", type=int, default=200, help="generated days")
    parser.add_argument("--first", type=int, default=1, help="seed of the first day")
    parser.add_argument("--quick", action="store_true", help="20 days instead of 200")
    parser.add_argument("--ortools-seconds", type=float, default=5.0)
    parser.add_argument(
        "--ortools-cache",
        type=Path,
        help="JSON file keeping OR-Tools' routes per day and time limit (re-judged on reuse), "
        "so that iterating on our solver does not re-run OR-Tools",
    )
    parser.add_argument("--no-days", action="store_true", help="skip the day plans (b)")
    parser.add_argument("--no-ortools", action="store_true", help="day plans without OR-Tools")
    args = parser.parse_args(argv)
    vroom = s.VroomSolver()  # the app's defaults (outreach/config.py)
    if args.tsp:
        rows = [run_tsp(path, vroom, args.runs) for path in args.tsp]
        print_tsp(rows, vroom)
    if not args.no_days:
        if not args.no_ortools:
            try:
                import ortools  # noqa: F401
            except ImportError:
                print("OR-Tools is missing: pip install -e '.[bench]' (or use --no-ortools)")
                return 2
        count = 20 if args.quick else args.scenarios
        seeds = range(args.first, args.first + count)
        before = load()
        rows = run_days(vroom, seeds, args.ortools_seconds, args.no_ortools, args.ortools_cache)
        print_days(rows, args.ortools_seconds, vroom, before)
    return 0


if __name__ == "__main__":
    sys.exit(main())
