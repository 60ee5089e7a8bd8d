"""The day planner without the database: every route is checked here *independently of the
solver*: each arrival is recomputed from the travel model (great-circle × 1.3 at 60 km/h),
each visit must lie inside an opening interval of that weekday, each route inside the shift,
and the lunch break inside its window and in a gap long enough for it and the drive."""

import uuid
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from geopy.distance import great_circle

from outreach.routing import planner, solver
from outreach.routing.planner import Candidate, DaySettings, RouteOrder
from outreach.routing.solver import VroomSolver
from outreach.routing.travel import GreatCircle

TZ = ZoneInfo("Europe/Copenhagen")
MONDAY = date(2026, 3, 2)
AARHUS = (56.1572, 10.2107)
ALL_WEEK = {d: [["10:00", "22:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
# Clinics around Aarhus: (lat, lon), all within about 40 km.
PLACES = [
    (56.1629, 10.2039),
    (56.1500, 10.1900),
    (56.1700, 10.2300),
    (56.1800, 10.1500),
    (56.2100, 10.2200),
    (56.1200, 10.1700),
    (56.0400, 10.0900),
    (56.2600, 10.3100),
    (56.1900, 9.9800),
    (56.1000, 10.2500),
    (56.3000, 10.1000),
    (56.2000, 10.4000),
]


def clinic(point, hours=ALL_WEEK, priority=10, status="active") -> Candidate:
    lat, lon = point if point else (None, None)
    return Candidate(uuid.uuid4(), lat, lon, hours, status, priority)


def settings(**overrides) -> DaySettings:
    values = {
        "day": MONDAY,
        "base": AARHUS,
        "shift_start": "09:00",
        "shift_end": "17:00",
        "service_minutes": 40,
        "vehicles": 1,
    }
    values.update(overrides)
    return DaySettings(**values)


def plan(day_settings, candidates, **kwargs):
    return planner.plan_day(
        day_settings,
        candidates,
        travel=GreatCircle(1.3, 60),
        solver=VroomSolver(exploration_level=5, threads=2),
        **kwargs,
    )


# --- the independent check -----------------------------------------------------------------


def drive(a, b) -> timedelta:
    """The travel model, written out again: great-circle km × 1.3 at 60 km/h."""
    return timedelta(hours=great_circle(a, b).km * 1.3 / 60)


def local(day: date, hhmm: str) -> datetime:
    hours, minutes = map(int, hhmm.split(":"))
    if hours == 24:
        return datetime.combine(day + timedelta(days=1), time(0), TZ)
    return datetime.combine(day, time(hours, minutes), TZ)


SLACK = timedelta(seconds=1)  # the planner rounds each leg to a whole second


def assert_feasible(result, day_settings: DaySettings, candidates) -> None:
    by_id = {c.id: c for c in candidates}
    day = day_settings.day
    weekday = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")[day.weekday()]
    service = timedelta(minutes=day_settings.service_minutes)
    shift_start = local(day, day_settings.shift_start)
    shift_end = local(day, day_settings.shift_end)
    for route in result.routes:
        assert route.start >= shift_start, "leaves the base before the shift starts"
        assert route.end <= shift_end, "back at the base after the shift ends"
        assert route.stops, "a route without stops"
        place, free_from = day_settings.base, route.start
        gaps = []
        for stop in route.stops:
            c = by_id[stop.clinic_id]
            assert stop.departure - stop.arrival == service
            intervals = [(local(day, a), local(day, b)) for a, b in c.opening_hours[weekday]]
            assert any(a <= stop.arrival and stop.departure <= b for a, b in intervals), (
                f"visit {stop.arrival:%H:%M}-{stop.departure:%H:%M} outside {intervals}"
            )
            gaps.append((free_from, stop.arrival, drive(place, c.point)))
            place, free_from = c.point, stop.departure
        gaps.append((free_from, route.end, drive(place, day_settings.base)))
        if day_settings.break_minutes:
            pause = timedelta(minutes=day_settings.break_minutes)
            assert route.break_start is not None, "no lunch break"
            assert route.break_end - route.break_start == pause
            assert route.break_start >= local(day, day_settings.break_from)
            assert route.break_end <= local(day, day_settings.break_to)
        for begin, end, travel in gaps:
            needed = travel
            if route.break_start is not None and begin <= route.break_start < end:
                assert route.break_end <= end, "the break overlaps a visit"
                needed += route.break_end - route.break_start
            assert end - begin >= needed - SLACK, "not enough time to drive there"


def assert_each_once(result, candidates) -> None:
    routed = [s.clinic_id for r in result.routes for s in r.stops]
    left_out = [clinic_id for clinic_id, _ in result.unassigned]
    assert len(routed) == len(set(routed)), "a clinic on two routes"
    assert not set(routed) & set(left_out)
    assert sorted(map(str, routed + left_out)) == sorted(str(c.id) for c in candidates)


def reasons(result) -> dict:
    return dict(result.unassigned)


# --- behaviour -----------------------------------------------------------------------------


def test_one_nurse_day_is_feasible_and_serves_everything_that_fits():
    candidates = [clinic(p) for p in PLACES[:6]]
    day = settings()
    result = plan(day, candidates)
    assert_feasible(result, day, candidates)
    assert_each_once(result, candidates)
    assert len(result.routes) == 1
    assert len(result.routes[0].stops) == 6


def test_several_nurses_share_the_clinics_and_each_route_is_feasible():
    candidates = [clinic(p) for p in PLACES]
    day = settings(vehicles=3, shift_start="10:00", shift_end="15:00")
    result = plan(day, candidates)
    assert_feasible(result, day, candidates)
    assert_each_once(result, candidates)
    assert len(result.routes) >= 2
    assert len({r.vehicle for r in result.routes}) == len(result.routes)


def test_lunch_break_is_taken_inside_its_window():
    candidates = [clinic(p) for p in PLACES[:8]]
    day = settings(break_from="12:00", break_to="13:00", break_minutes=30)
    result = plan(day, candidates)
    assert_feasible(result, day, candidates)
    assert_each_once(result, candidates)
    assert result.routes[0].break_start is not None


def test_visits_respect_split_opening_hours():
    split = {"mon": [["10:00", "11:00"], ["15:00", "16:30"]]}
    candidates = [clinic(PLACES[0], split), clinic(PLACES[1], split), clinic(PLACES[2])]
    day = settings()
    result = plan(day, candidates)
    assert_feasible(result, day, candidates)
    assert_each_once(result, candidates)
    assert not result.unassigned


def test_a_visit_must_end_before_closing():
    # Open 16:00-16:30: a 40-minute visit never fits, whatever the shift.
    short = clinic(PLACES[0], {"mon": [["16:00", "16:30"]]})
    result = plan(settings(), [short])
    assert reasons(result) == {short.id: planner.CANNOT_FIT}


def test_clinic_closed_that_weekday_is_left_out_with_that_reason():
    closed_monday = clinic(PLACES[0], {"tue": [["10:00", "22:00"]], "mon": []})
    open_one = clinic(PLACES[1])
    result = plan(settings(), [closed_monday, open_one])
    assert reasons(result) == {closed_monday.id: planner.CLOSED_THAT_DAY}


def test_clinics_without_coordinates_or_hours_are_left_out_with_their_reasons():
    nowhere = clinic(None)
    unknown_hours = clinic(PLACES[0], None)
    shut = clinic(PLACES[1], status="closed")
    candidates = [nowhere, unknown_hours, shut, clinic(PLACES[2])]
    result = plan(settings(), candidates)
    assert reasons(result) == {
        nowhere.id: planner.NO_COORDINATES,
        unknown_hours.id: planner.HOURS_UNKNOWN,
        shut.id: planner.CLINIC_CLOSED,
    }
    assert_each_once(result, candidates)


def test_a_clinic_too_far_for_the_shift_cannot_fit_even_alone():
    skagen = clinic((57.7210, 10.5830))  # about 3 h 20 min each way from Aarhus at this model
    day = settings(shift_start="09:00", shift_end="13:00")
    candidates = [skagen, clinic(PLACES[0])]
    result = plan(day, candidates)
    assert reasons(result) == {skagen.id: planner.CANNOT_FIT}
    assert_reasons_hold(result, day, candidates)


def test_an_evening_clinic_is_closed_during_a_morning_shift():
    evening = clinic(PLACES[0], {"mon": [["18:00", "23:00"]]})
    day = settings(shift_start="08:00", shift_end="14:00")
    result = plan(day, [evening])
    assert reasons(result) == {evening.id: planner.CLOSED_DURING_SHIFT}
    assert_reasons_hold(result, day, [evening])


def test_lower_priority_clinics_are_left_out_when_the_day_is_full():
    # Every clinic fits alone, but a two-hour shift holds only two visits.
    urgent = [clinic(p, priority=90) for p in PLACES[:2]]
    routine = [clinic(p, priority=5) for p in PLACES[2:5]]
    day = settings(shift_start="10:00", shift_end="12:00")
    result = plan(day, routine + urgent)
    assert_feasible(result, day, routine + urgent)
    assert_each_once(result, routine + urgent)
    routed = {s.clinic_id for r in result.routes for s in r.stops}
    assert routed == {c.id for c in urgent}
    assert reasons(result) == {c.id: planner.LOWER_PRIORITY for c in routine}
    assert_reasons_hold(result, day, routine + urgent)


def test_candidates_beyond_the_cap_are_not_considered_or_cannot_fit():
    candidates = [clinic(p, priority=50 - i) for i, p in enumerate(PLACES)]
    far = clinic((57.7210, 10.5830), priority=0)
    day = settings(shift_start="09:00", shift_end="13:00")
    result = plan(day, [*candidates, far], max_candidates=4)
    assert_feasible(result, day, [*candidates, far])
    assert_each_once(result, [*candidates, far])
    assert reasons(result)[far.id] == planner.CANNOT_FIT
    assert {reasons(result)[c.id] for c in candidates[4:]} == {planner.NOT_CONSIDERED}
    assert_reasons_hold(result, day, [*candidates, far], max_candidates=4)


def test_the_same_clinic_twice_is_one_stop():
    one = clinic(PLACES[0])
    result = plan(settings(), [one, one])
    assert [s.clinic_id for r in result.routes for s in r.stops] == [one.id]


def test_times_follow_the_clock_change_in_spring():
    # 29 March 2026: clocks go from 02:00 to 03:00; a 10:00 opening is still 10:00 local.
    sunday = date(2026, 3, 29)
    candidates = [clinic(p) for p in PLACES[:3]]
    day = settings(day=sunday)
    result = plan(day, candidates)
    assert_feasible(result, day, candidates)
    first = result.routes[0].stops[0]
    assert first.arrival.utcoffset() == timedelta(hours=2)
    assert first.arrival.astimezone(TZ).time() >= time(10, 0)


def test_the_day_clock_counts_real_seconds_on_clock_change_days():
    spring = planner.DayClock(date(2026, 3, 29))
    assert spring.seconds("01:00") == 3600
    assert spring.seconds("04:00") == 3 * 3600  # one hour is skipped
    assert spring.at(spring.seconds("10:00")).hour == 10
    autumn = planner.DayClock(date(2026, 10, 25))
    assert autumn.seconds("04:00") == 5 * 3600  # one hour is lived twice
    assert autumn.seconds("24:00") == 25 * 3600
    assert autumn.at(0).astimezone(UTC) == datetime(2026, 10, 24, 22, 0, tzinfo=UTC)


def test_route_leaves_late_rather_than_waiting_outside_a_closed_door():
    late_opening = clinic(PLACES[0], {"mon": [["14:00", "20:00"]]})
    result = plan(settings(), [late_opening])
    route = result.routes[0]
    assert route.stops[0].arrival == local(MONDAY, "14:00")
    assert route.stops[0].reached == route.stops[0].arrival
    assert route.start > local(MONDAY, "09:00")


# --- honest reasons: each one checked against the routes with the independent judge ---------


def _problem(day_settings, candidates, max_candidates=80):
    """The day's problem over every clinic the planner routed or could have: those open that
    day with a visit's length of opening hours."""
    clock = day_settings.clock
    located = [
        c
        for c in candidates
        if planner.exclusion_reason(c, clock.weekday) is None
        and planner.service_windows(c.opening_hours, clock.weekday, clock, day_settings.service)
    ]
    problem, _ = planner.build_problem(day_settings, located, GreatCircle(1.3, 60))
    return problem, located


def _fits_somewhere(problem, vehicle, order, job_id) -> bool:
    return any(
        solver.schedule(problem, vehicle, [*order[:i], job_id, *order[i:]]).ok
        for i in range(len(order) + 1)
    )


def assert_reasons_hold(result, day_settings, candidates, max_candidates=80) -> None:
    """Every stated reason is true, checked here with `schedule` and the opening hours."""
    problem, located = _problem(day_settings, candidates)
    by_id = {c.id: c for c in candidates}
    orders = {r.vehicle: [s.clinic_id for s in r.stops] for r in result.routes}
    vehicles = [day_settings.vehicle(k) for k in range(day_settings.vehicles)]
    clock = day_settings.clock
    shift = (clock.seconds(day_settings.shift_start), clock.seconds(day_settings.shift_end))
    for clinic_id, reason in result.unassigned:
        c = by_id[clinic_id]
        if reason in (planner.CANNOT_FIT, planner.CLOSED_DURING_SHIFT) and c in located:
            assert not solver.fits_alone(problem, vehicles[0], clinic_id)
            opens_in_shift = any(
                max(clock.seconds(a), shift[0]) + day_settings.service
                <= min(clock.seconds(b), shift[1])
                for a, b in c.opening_hours[clock.weekday]
            )
            assert opens_in_shift == (reason == planner.CANNOT_FIT)
        elif reason == planner.CANNOT_FIT:  # open that day, never long enough for a visit
            assert c not in located and c.opening_hours[clock.weekday]
        elif reason in (planner.LOWER_PRIORITY, planner.TOO_FAR):
            assert solver.fits_alone(problem, vehicles[0], clinic_id), "it fits alone"
            for vehicle in vehicles:
                order = orders.get(vehicle.id, [])
                assert not _fits_somewhere(problem, vehicle, order, clinic_id), "room for it"
                in_place_of = [
                    by_id[d].priority
                    for d in order
                    if _fits_somewhere(problem, vehicle, [x for x in order if x != d], clinic_id)
                ]
                if reason == planner.TOO_FAR:
                    assert not in_place_of, "it fits in place of a stop"
                else:
                    assert all(p >= c.priority for p in in_place_of)
            if reason == planner.LOWER_PRIORITY:
                assert any(
                    _fits_somewhere(
                        problem, vehicles[0], [x for x in orders.get(v, []) if x != d], clinic_id
                    )
                    for v in orders
                    for d in orders[v]
                )
        elif reason == planner.NOT_CONSIDERED:
            higher = [x for x in located if x.priority >= c.priority and x.id != c.id]
            assert len(higher) >= max_candidates
        else:
            assert reason == planner.exclusion_reason(c, clock.weekday)


def test_a_far_clinic_of_higher_priority_is_too_far_not_lower_priority():
    # The case: priority 65 left out while 44 is routed. The far clinic fits alone
    # (91 min each way and the visit: 222 of 240 min), but not with any of the near ones,
    # and the three near ones together serve more priority.
    near = [clinic(PLACES[0], priority=44), clinic(PLACES[1], priority=40)]
    near.append(clinic(PLACES[2], priority=40))
    far = clinic((56.7870, 10.2107), priority=65)  # 70 km north of the base
    day = settings(shift_start="09:00", shift_end="13:00")
    result = plan(day, [far, *near])
    routed = {s.clinic_id for r in result.routes for s in r.stops}
    assert near[0].id in routed
    assert reasons(result) == {far.id: planner.TOO_FAR}
    assert_reasons_hold(result, day, [far, *near])


class LeavesAllOut:
    """A solver that routes nothing: the reasons must still be checked, not assumed."""

    def solve(self, problem):
        return solver.Solution((), tuple(job.id for job in problem.jobs))


def test_reasons_are_checked_even_when_the_solver_leaves_everything_out():
    candidates = [clinic(p, priority=10 * i) for i, p in enumerate(PLACES[:5])]
    day = settings(shift_start="10:00", shift_end="12:30", vehicles=2)
    result = planner.plan_day(day, candidates, travel=GreatCircle(1.3, 60), solver=LeavesAllOut())
    assert_feasible(result, day, candidates)
    assert_each_once(result, candidates)
    assert sum(len(r.stops) for r in result.routes) >= 4  # two visits fit each shift
    assert_reasons_hold(result, day, candidates)


# --- hand re-ordering ----------------------------------------------------------------------


def test_recheck_of_a_feasible_order_reports_nothing():
    candidates = [clinic(p) for p in PLACES[:4]]
    day = settings()
    result = plan(day, candidates)
    order = [RouteOrder(0, [s.clinic_id for s in result.routes[0].stops])]
    routes, dropped = planner.recheck(day, order, candidates, travel=GreatCircle())
    assert not dropped
    assert not routes[0].violations
    assert not any(s.violations for s in routes[0].stops)


def test_recheck_reports_a_visit_moved_after_closing():
    early = clinic(PLACES[0], {"mon": [["09:00", "10:30"]]})
    others = [clinic(p) for p in PLACES[1:4]]
    day = settings()
    order = [RouteOrder(0, [c.id for c in others] + [early.id])]
    routes, _ = planner.recheck(day, order, [early, *others], travel=GreatCircle())
    last = routes[0].stops[-1]
    assert last.clinic_id == early.id
    kinds = [kind for kind, _ in last.violations]
    assert kinds == ["opening_hours"]
    assert last.violations[0][1] > 0


def test_recheck_reports_coming_back_after_the_shift():
    candidates = [clinic(p) for p in PLACES[:6]]
    day = settings(shift_start="10:00", shift_end="13:00")
    order = [RouteOrder(0, [c.id for c in candidates])]
    routes, _ = planner.recheck(day, order, candidates, travel=GreatCircle())
    assert [kind for kind, _ in routes[0].violations] == ["shift_end"]


def test_recheck_drops_a_clinic_that_lost_its_coordinates():
    fine, lost = clinic(PLACES[0]), clinic(None)
    order = [RouteOrder(0, [fine.id, lost.id])]
    routes, dropped = planner.recheck(settings(), order, [fine, lost], travel=GreatCircle())
    assert [s.clinic_id for s in routes[0].stops] == [fine.id]
    assert dropped == [(lost.id, planner.NO_COORDINATES)]


@pytest.mark.parametrize("nurses", [1, 2, 4])
def test_generated_days_are_always_feasible(nurses):
    import random

    rng = random.Random(nurses)
    candidates = []
    for _ in range(20):
        opens = rng.choice(["09:00", "10:00", "11:00", "12:00"])
        closes = rng.choice(["14:00", "17:00", "20:00", "22:00"])
        hours = {"mon": [[opens, closes]]}
        if rng.random() < 0.3:
            hours = {"mon": [["10:00", "12:00"], ["13:00", closes]]}
        point = (56.15 + rng.uniform(-0.2, 0.2), 10.2 + rng.uniform(-0.3, 0.3))
        candidates.append(clinic(point, hours, priority=rng.randint(0, 100)))
    day = settings(
        vehicles=nurses,
        shift_start="09:30",
        shift_end="16:00",
        break_from="11:30",
        break_to="13:30",
        break_minutes=30,
    )
    result = plan(day, candidates)
    assert_feasible(result, day, candidates)
    assert_each_once(result, candidates)


def test_overnight_hours_belong_partly_to_the_next_day():
    # Typed as Monday 22:00-02:00: stored as Monday 22:00-24:00 and Tuesday 00:00-02:00.
    from outreach.clinics.hours import spill_overnight

    hours = spill_overnight({d: [] for d in ALL_WEEK} | {"mon": [["22:00", "02:00"]]})
    night = clinic(PLACES[0], hours)
    monday = settings(shift_start="20:00", shift_end="24:00")
    result = plan(monday, [night])
    assert [s.arrival for r in result.routes for s in r.stops] == [local(MONDAY, "22:00")]
    tuesday = settings(day=date(2026, 3, 3), shift_start="00:00", shift_end="04:00")
    result = plan(tuesday, [night])
    stop = result.routes[0].stops[0]
    assert stop.departure <= local(date(2026, 3, 3), "02:00")
    assert_feasible(result, tuesday, [night])
    wednesday = settings(day=date(2026, 3, 4), shift_start="00:00", shift_end="04:00")
    assert reasons(plan(wednesday, [night])) == {night.id: planner.CLOSED_THAT_DAY}
