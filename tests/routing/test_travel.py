"""The travel model (great-circle × detour at a speed, configurable; OSRM as an option that is
never called over the network here), the solver interface on plain matrices, and the
priority rules with their explanations."""

import json
from datetime import UTC, date, datetime, timedelta

import pytest
from flask_babel import force_locale
from geopy.distance import great_circle

from outreach.routing import priority, solver
from outreach.routing.priority import PastVisit
from outreach.routing.travel import GreatCircle, Osrm, configured_model

AARHUS = (56.1572, 10.2107)
AALBORG = (57.0480, 9.9190)


# --- travel --------------------------------------------------------------------------------


def test_great_circle_model_is_distance_times_detour_at_speed():
    matrix = GreatCircle(1.3, 60).matrix([AARHUS, AALBORG])
    km = great_circle(AARHUS, AALBORG).km * 1.3
    assert matrix.distances[0][1] == round(km * 1000)
    assert matrix.durations[0][1] == round(km * 60)  # 60 km/h: one minute per km
    assert matrix.durations[1][0] == matrix.durations[0][1]
    assert matrix.durations[0][0] == 0


def test_the_model_follows_the_app_configuration(app):
    app.config.update(ROUTING_DETOUR_FACTOR=1.5, ROUTING_SPEED_KMH=45.0)
    try:
        model = configured_model()
        assert isinstance(model, GreatCircle)
        assert (model.detour_factor, model.speed_kmh) == (1.5, 45.0)
    finally:
        app.config.update(ROUTING_DETOUR_FACTOR=1.3, ROUTING_SPEED_KMH=60.0)


def test_an_unknown_engine_is_refused(app):
    with pytest.raises(ValueError, match="ROUTING_ENGINE"):
        configured_model({**app.config, "ROUTING_ENGINE": "teleport"})


def test_osrm_table_answer_becomes_the_matrix(app):
    asked = []

    def fake_fetch(url, timeout):
        asked.append(url)
        return {
            "code": "Ok",
            "durations": [[0, 601.4], [598.2, 0]],
            "distances": [[0, 9001.6], [8999.0, 0]],
        }

    model = Osrm("http://osrm.local:5000/", GreatCircle(), fetch=fake_fetch)
    matrix = model.matrix([AARHUS, AALBORG])
    assert asked == [
        "http://osrm.local:5000/table/v1/driving/10.210700,56.157200;9.919000,57.048000"
        "?annotations=duration,distance"
    ]
    assert matrix.durations == [[0, 602], [599, 0]]
    assert matrix.distances == [[0, 9002], [8999, 0]]
    assert matrix.model == "OSRM"


def test_osrm_unreachable_falls_back_to_the_estimate_and_says_so(app):
    def unreachable(url, timeout):
        raise OSError("connection refused")

    model = Osrm("http://osrm.local:5000", GreatCircle(), fetch=unreachable)
    matrix = model.matrix([AARHUS, AALBORG])
    assert matrix.durations == GreatCircle().matrix([AARHUS, AALBORG]).durations
    assert "OSRM could not be reached" in matrix.model


def test_osrm_unroutable_pairs_are_estimated(app):
    def partial(url, timeout):
        return {
            "code": "Ok",
            "durations": [[0, None], [600, 0]],
            "distances": [[0, None], [9000, 0]],
        }

    matrix = Osrm("http://osrm.local", GreatCircle(), fetch=partial).matrix([AARHUS, AALBORG])
    assert matrix.durations[0][1] == GreatCircle().leg(AARHUS, AALBORG)[1]
    assert "estimated" in matrix.model


def test_osrm_is_configured_by_engine_and_url(app):
    osrm = {**app.config, "ROUTING_ENGINE": "osrm"}
    model = configured_model({**osrm, "OSRM_URL": "http://osrm.local:5000"})
    assert isinstance(model, Osrm)
    with pytest.raises(ValueError, match="OSRM_URL"):
        configured_model({**osrm, "OSRM_URL": ""})


def test_planning_with_osrm_uses_its_times(app, coordinator, factory, org, monkeypatch):
    """The whole planner on OSRM's matrix, with the HTTP call replaced."""
    from outreach.routing import services, travel

    clinic = factory.clinic(org, lat=56.1629, lon=10.2039)

    def fake_fetch(url, timeout):
        return {
            "code": "Ok",
            "durations": [[0, 900], [900, 0]],
            "distances": [[0, 5000], [5000, 0]],
        }

    monkeypatch.setattr(travel, "_http_get_json", fake_fetch)
    app.config.update(ROUTING_ENGINE="osrm", OSRM_URL="http://osrm.local:5000")
    try:
        plan = services.create_plan(
            coordinator,
            services.PlanInput(
                day=date(2026, 3, 2),
                base_lat=56.1572,
                base_lon=10.2107,
                shift_start="10:00",
                shift_end="17:00",
                clinic_ids=[clinic.id],
            ),
        )
        services.optimise(coordinator, plan)
    finally:
        app.config.update(ROUTING_ENGINE="great_circle", OSRM_URL="")
    route = plan.routes[0]
    assert plan.travel_model == "OSRM"
    assert route.drive_minutes == 30.0  # 15 minutes each way
    assert route.distance_km == 10.0


# --- the solver interface on plain matrices --------------------------------------------------


def line_matrix(n):
    return [[abs(i - j) * 60 for j in range(n)] for i in range(n)]


def test_solver_serves_a_line_in_order():
    jobs = tuple(solver.Job(id=f"j{i}", location=i) for i in range(1, 5))
    problem = solver.Problem(line_matrix(5), jobs, (solver.Vehicle(0, 0, 0),))
    answer = solver.VroomSolver().solve(problem)
    assert answer.unassigned == ()
    assert answer.routes[0].job_ids in (("j1", "j2", "j3", "j4"), ("j4", "j3", "j2", "j1"))


def test_solver_prefers_higher_priority_when_time_is_short():
    jobs = (
        solver.Job(id="low", location=1, service=3000, priority=1),
        solver.Job(id="high", location=2, service=3000, priority=90),
    )
    vehicle = solver.Vehicle(0, 0, 0, shift=solver.Window(0, 3600))
    answer = solver.VroomSolver().solve(solver.Problem(line_matrix(3), jobs, (vehicle,)))
    assert answer.routes[0].job_ids == ("high",)
    assert answer.unassigned == ("low",)


def test_a_job_closed_all_day_is_never_routed():
    jobs = (solver.Job(id="shut", location=1, windows=()), solver.Job(id="open", location=2))
    answer = solver.VroomSolver().solve(
        solver.Problem(line_matrix(3), jobs, (solver.Vehicle(0, 0, 0),))
    )
    assert answer.unassigned == ("shut",)


def test_the_same_problem_gives_the_same_plan():
    import random

    rng = random.Random(7)
    points = [(rng.uniform(0, 50), rng.uniform(0, 50)) for _ in range(15)]
    matrix = [
        [round(60 * ((a - c) ** 2 + (b - d) ** 2) ** 0.5) for c, d in points] for a, b in points
    ]
    jobs = tuple(
        solver.Job(id=i, location=i, service=1200, windows=(solver.Window(0, 20000),))
        for i in range(1, 15)
    )
    vehicles = tuple(solver.Vehicle(v, 0, 0, shift=solver.Window(0, 14000)) for v in range(2))
    problem = solver.Problem(matrix, jobs, vehicles)
    # VROOM without TSPFix gave a route or the same route driven the other way round (the
    # same cost) from run to run, on one thread or two: the solver now puts it one way.
    answers = [solver.VroomSolver(search_seconds=60).solve(problem) for _ in range(6)]
    assert all(answer.routes == answers[0].routes for answer in answers)
    assert all(answer.unassigned == answers[0].unassigned for answer in answers)


def test_re_runs_never_make_the_answer_worse():
    jobs = tuple(solver.Job(id=f"j{i}", location=i) for i in range(1, 6))
    problem = solver.Problem(line_matrix(6), jobs, (solver.Vehicle(0, 0, 0),))
    once = solver.VroomSolver(restarts=0).solve(problem)
    more = solver.VroomSolver(restarts=12, search_seconds=60).solve(problem)
    assert solver.objective(problem, more) <= solver.objective(problem, once)


def test_schedule_waits_for_opening_and_reports_lateness():
    jobs = (
        solver.Job(id="a", location=1, service=600, windows=(solver.Window(1000, 2000),)),
        solver.Job(id="b", location=2, service=600, windows=(solver.Window(0, 500),)),
    )
    problem = solver.Problem(line_matrix(3), jobs, (solver.Vehicle(0, 0, 0),))
    timed = solver.schedule(problem, problem.vehicles[0], ["a", "b"])
    assert timed.visits[0].start == 1000  # waited for the window
    assert timed.start == 1000 - 60  # and left later instead of waiting
    assert timed.visits[1].start == 1000 + 600 + 60
    assert [(v.kind, v.job_id) for v in timed.violations] == [("opening_hours", "b")]
    assert timed.violations[0].seconds == 1660 - 500


def test_schedule_places_the_break_where_it_fits():
    rest = solver.Break(solver.Window(1000, 1200), 300)
    vehicle = solver.Vehicle(0, 0, 0, shift=solver.Window(0, 5000), rest=rest)
    jobs = (
        solver.Job(id="a", location=1, service=900),
        solver.Job(id="b", location=2, service=900),
    )
    problem = solver.Problem(line_matrix(3), jobs, (vehicle,))
    timed = solver.schedule(problem, vehicle, ["a", "b"])
    assert timed.ok
    assert 1000 <= timed.break_start <= 1200
    assert timed.break_end - timed.break_start == 300


# --- priorities ----------------------------------------------------------------------------


@pytest.fixture
def in_request(app):
    """The explanations are translated, which needs a request (the user's language)."""
    with app.test_request_context(), force_locale("en"):
        yield


DAY = date(2026, 3, 2)


def visit(days_ago, outcome="admitted", concern=None):
    moment = datetime(2026, 3, 2, 11, 0, tzinfo=UTC) - timedelta(days=days_ago)
    return PastVisit(moment, outcome, concern)


def score(visits=(), source="registry", created_days_ago=400, target=60):
    created = datetime(2026, 3, 2, 9, 0, tzinfo=UTC) - timedelta(days=created_days_ago)
    return priority.priority(
        day=DAY, source=source, created_at=created, visits=list(visits), target_days=target
    )


def texts(result):
    return [str(r.text) for r in result.reasons]


def test_never_visited_comes_first(in_request):
    never = score()
    assert never.score == 50
    assert texts(never) == ["Never visited."]
    assert never.score > score([visit(30)]).score


def test_overdue_grows_with_the_days_since_the_last_visit(in_request):
    assert score([visit(10)]).score < score([visit(50)]).score < score([visit(60)]).score
    assert score([visit(60)]).score < score([visit(90)]).score < score([visit(120)]).score
    assert score([visit(120)]).score == score([visit(400)]).score == 50
    assert "due every 60 days" in texts(score([visit(90)]))[0]


def test_the_target_interval_is_a_setting(in_request):
    assert score([visit(40)], target=30).score > score([visit(40)], target=60).score


def test_concern_at_the_last_visit_raises_the_priority(in_request):
    plain = score([visit(30)]).score
    assert score([visit(30, concern="yellow")]).score == plain + 15
    assert score([visit(30, concern="red")]).score == plain + 30
    assert score([visit(30), visit(60, concern="red")]).score == plain  # only the last counts


def test_recent_screening_counts_and_says_why(in_request):
    fresh = score(source="screening", created_days_ago=10)
    assert fresh.score == 70
    assert "screening" in texts(fresh)[1]
    assert score(source="screening", created_days_ago=45).score == 50


def test_three_not_admitted_in_a_row_lowers_the_priority(in_request):
    closed_doors = [visit(d, "not_admitted") for d in (70, 140, 210)]
    two = [visit(d, "not_admitted") for d in (70, 140)] + [visit(210)]
    assert score(closed_doors).score == score(two).score - 25
    assert "Not admitted at the last 3 visits in a row." in texts(score(closed_doors))


def test_the_score_stays_between_0_and_100(in_request):
    top = score([visit(300, concern="red")], source="screening", created_days_ago=1)
    assert top.score == 100
    bottom = score([visit(1, "not_admitted"), visit(2, "not_admitted"), visit(3, "not_admitted")])
    assert bottom.score == 0


def test_explanations_serialise(in_request):
    assert json.dumps(score([visit(90, concern="red")]).explanation)


def test_a_reasons_day_counts_take_the_plural_only_when_more_than_one(in_request):
    with force_locale("da"):
        (one_day,) = texts(score([visit(1)], target=2))
        (overdue,) = texts(score([visit(61)]))
        (screened,) = texts(score(source="screening", created_days_ago=1))[1:]
    assert one_day == "Seneste besøg for 1 dag siden; skal besøges igen om 1 dag."
    assert overdue == "Seneste besøg for 61 dage siden; skal besøges hver 60. dag."
    assert screened.startswith("Ny fra screening for 1 dag siden")
    assert texts(score([visit(1)], target=2)) == ["Last visit 1 day ago; due again in 1 day."]
