"""VROOM's check mode and our own recomputation judge a hand-made route the same way."""

from outreach.routing import solver as s

# Three places on a line, ten minutes apart: the base (0), clinic A (1), clinic B (2).
MATRIX = ((0, 600, 1200), (600, 0, 600), (1200, 600, 0))
SHIFT = s.Window(0, 4 * 3600)


def problem(b_closes_at: int) -> s.Problem:
    jobs = (
        s.Job(1, location=1, service=2400, windows=(s.Window(0, 3 * 3600),)),
        s.Job(2, location=2, service=2400, windows=(s.Window(0, b_closes_at),)),
    )
    return s.Problem(MATRIX, jobs, (s.Vehicle(7, start=0, end=0, shift=SHIFT),))


def test_a_feasible_order_passes_both_checks():
    p = problem(b_closes_at=3 * 3600)
    vehicle = p.vehicles[0]
    assert s.schedule(p, vehicle, [1, 2]).violations == []
    assert s.vroom_check(p, vehicle, [1, 2]) == []


def test_a_visit_moved_past_its_opening_hours_is_caught_by_both_checks():
    # B must start within 20 minutes; after A (10 min drive, 40 on site, 10 on) it is 60.
    p = problem(b_closes_at=1200)
    vehicle = p.vehicles[0]
    ours = s.schedule(p, vehicle, [1, 2]).violations
    theirs = s.vroom_check(p, vehicle, [1, 2])
    assert [(v.kind, v.job_id) for v in ours] == [(s.OPENING_HOURS, 2)]
    assert [(v.kind, v.job_id) for v in theirs] == [(s.OPENING_HOURS, 2)]
    assert theirs[0].seconds == ours[0].seconds == 3600 - 1200


def test_a_return_after_the_shift_is_caught_by_vroom_too():
    p = s.Problem(
        MATRIX, problem(3 * 3600).jobs, (s.Vehicle(7, start=0, end=0, shift=s.Window(0, 5000)),)
    )
    vehicle = p.vehicles[0]
    assert [v.kind for v in s.vroom_check(p, vehicle, [1, 2])] == [s.SHIFT_END]
    assert [v.kind for v in s.schedule(p, vehicle, [1, 2]).violations] == [s.SHIFT_END]
