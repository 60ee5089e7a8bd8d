"""Route planning's reads: the offices a plan can start from, the people who can drive a route,
the plan list's filters, and the organisation's visit interval in the clinics' priorities."""

from datetime import UTC, date, datetime

from outreach.db import db
from outreach.routing import candidates, priority, queries, services
from outreach.routing.services import PlanInput

MONDAY = date(2026, 3, 2)


def test_route_bases_are_the_offices_with_readable_coordinates(org):
    org.settings = {
        "offices": [
            {"name": "Aarhus", "lat": "56.1572", "lon": 10.2107},
            {"name": "No position", "lat": None, "lon": 10.0},
            {"name": "Half a position", "lat": 55.0},
            {"lat": 55.4, "lon": 10.39},
        ]
    }
    db.session.flush()

    assert queries.route_bases(org) == [
        {"name": "Aarhus", "lat": 56.1572, "lon": 10.2107},
        {"name": "", "lat": 55.4, "lon": 10.39},
    ]


def test_staff_is_the_organisations_active_users_nurses_first(factory, org, other_org):
    coordinator = factory.user(org, "coordinator")
    nurse = factory.user(org, "nurse")
    gone = factory.user(org, "nurse")
    gone.active = False
    factory.user(other_org, "nurse")
    db.session.flush()

    assert queries.staff(org.id) == [nurse, coordinator]


def make_plan(user, clinic, day: date):
    return services.create_plan(
        user,
        PlanInput(
            day=day,
            base_lat=56.1572,
            base_lon=10.2107,
            shift_start="09:00",
            shift_end="17:00",
            clinic_ids=[clinic.id],
        ),
    )


def test_the_plan_list_keeps_to_its_dates_and_status(factory, org, other_org, coordinator):
    clinic = factory.clinic(org)
    early = make_plan(coordinator, clinic, date(2026, 3, 2))
    late = make_plan(coordinator, clinic, date(2026, 3, 9))
    late.status = "saved"
    foreign = factory.clinic(other_org)
    make_plan(factory.user(other_org, "coordinator"), foreign, date(2026, 3, 2))
    db.session.flush()

    everything, total = queries.list_plans(org.id)
    assert (everything, total) == ([late, early], 2)
    assert queries.list_plans(org.id, date_to=date(2026, 3, 5)) == ([early], 1)
    assert queries.list_plans(org.id, date_from=date(2026, 3, 5)) == ([late], 1)
    assert queries.list_plans(org.id, status="draft") == ([early], 1)


def test_a_trip_is_listed_for_any_of_its_days(factory, org, coordinator):
    clinic = factory.clinic(org)
    trip = make_plan(coordinator, clinic, date(2026, 3, 3))
    trip.end_date = date(2026, 3, 5)  # three days: 3 to 5 March
    db.session.flush()

    assert queries.list_plans(org.id, date_from=date(2026, 3, 5)) == ([trip], 1)
    assert queries.list_plans(org.id, date_from=date(2026, 3, 4), date_to=date(2026, 3, 4)) == (
        [trip],
        1,
    )
    assert queries.list_plans(org.id, date_to=date(2026, 3, 3)) == ([trip], 1)
    assert queries.list_plans(org.id, date_from=date(2026, 3, 6)) == ([], 0)
    assert queries.list_plans(org.id, date_to=date(2026, 3, 2)) == ([], 0)


def test_the_organisations_visit_interval_sets_when_a_clinic_is_due(factory, org, app):
    clinic = factory.clinic(org)
    factory.visit(clinic, datetime(2026, 1, 21, 10, tzinfo=UTC))  # 40 days before MONDAY
    org.settings = {**(org.settings or {}), "visit_interval_days": 30}
    db.session.flush()

    due = candidates.priorities(org, [clinic], MONDAY)[clinic.id]
    # due, and a third of an interval overdue
    assert due.score == priority.DUE + round(priority.OVERDUE_MAX * 10 / 30)

    org.settings = {**org.settings, "visit_interval_days": 0}  # out of range: the default
    db.session.flush()
    default = app.config["ROUTING_TARGET_INTERVAL_DAYS"]
    assert default > 40
    not_due = candidates.priorities(org, [clinic], MONDAY)[clinic.id]
    assert not_due.score == round(priority.NOT_DUE_MAX * 40 / default)
