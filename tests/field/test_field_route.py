"""A route a coordinator saved for the nurse today travels to the phone with the pull and
heads the Today screen, each stop with its state; back to draft, it leaves the phone."""

import re
import uuid

import pytest
from sqlalchemy import select

from outreach.auth.models import User
from outreach.changes import stamp
from outreach.clinics.models import Clinic
from outreach.db import db
from outreach.routing.models import RoutePlan
from tests.browsing import TIMEOUT_MS
from tests.conftest import Factory
from tests.field.conftest import NURSE, choose

pytestmark = pytest.mark.browser


def saved_route_for_today(in_db, stops: int = 2) -> tuple[str, list[dict]]:
    def create():
        nurse = db.session.scalar(select(User).where(User.email == NURSE))
        clinics = db.session.scalars(
            select(Clinic)
            .where(Clinic.organisation_id == nurse.organisation_id, Clinic.status == "active")
            .order_by(Clinic.name.desc())
            .limit(stops)
        ).all()
        plan = Factory().route_plan(nurse.organisation, [(nurse, clinics)])
        return str(plan.id), [{"id": str(c.id), "name": c.name} for c in clinics]

    return in_db(create)


def back_to_draft(plan_id: str) -> None:
    plan = db.session.get(RoutePlan, uuid.UUID(plan_id))
    plan.status = "draft"
    stamp(plan)


def test_the_nurses_route_for_today_heads_the_today_screen(phone, in_db, screenshot):
    plan_id, clinics = saved_route_for_today(in_db)
    device = phone()
    page = device.start_app()
    device.log_in()
    device.wait_synced()
    route = page.locator("section.route")
    route.wait_for()
    stops = route.locator("a.route-stop")
    assert stops.count() == 2
    assert [stops.nth(i).get_attribute("href") for i in range(2)] == [
        f"#/clinic/{c['id']}" for c in clinics
    ]
    assert "11:00" in stops.nth(0).inner_text() and "13:00" in stops.nth(1).inner_text()
    screenshot(page, "field-today-route")

    device.go_offline()
    stops.nth(0).click()
    page.get_by_role("link", name="Log visit").click()
    choose(page, "outcome", "Admitted")
    page.get_by_role("button", name="Save visit").click()
    page.wait_for_url(re.compile(r"#/visit/"))
    page.get_by_role("link", name="Today").click()
    assert "Admitted" in page.locator("section.route a.route-stop").nth(0).inner_text()
    device.go_online()
    device.wait_all_sent()

    in_db(lambda: back_to_draft(plan_id))
    device.evaluate_module("sync.js", "await m.pull()")
    page.locator("section.route").wait_for(state="detached")
    assert not device.evaluate_module("db.js", f"await m.get('route_plans', '{plan_id}')")


def test_a_pull_asked_for_while_another_runs_brings_what_changed_meanwhile(
    phone, in_db, live_server
):
    """The running pull may have read the server before the change: a pull asked for then must
    not just share its answer (the Today screen kept a route taken back to draft)."""
    plan_id, _clinics = saved_route_for_today(in_db)
    device = phone()
    page = device.start_app()
    device.log_in()
    device.wait_synced()
    page.locator("section.route").wait_for()

    live_server.faults.hold_pulls = True
    device.evaluate_module("sync.js", "(m.pull(), true)")  # not awaited: it waits for its answer
    assert live_server.faults.pull_held.wait(TIMEOUT_MS / 1000)  # read: the plan is still saved
    in_db(lambda: back_to_draft(plan_id))
    device.evaluate_module("sync.js", "(m.pull(), true)")
    live_server.faults.release_pulls()

    page.locator("section.route").wait_for(state="detached")
    assert not device.evaluate_module("db.js", f"await m.get('route_plans', '{plan_id}')")


def test_the_nurses_route_for_tomorrow_shows_too_the_evening_before(phone, in_db, screenshot):
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    tomorrow = datetime.now(ZoneInfo("Europe/Copenhagen")).date() + timedelta(days=1)

    def create():
        nurse = db.session.scalar(select(User).where(User.email == NURSE))
        clinics = db.session.scalars(
            select(Clinic)
            .where(Clinic.organisation_id == nurse.organisation_id, Clinic.status == "active")
            .order_by(Clinic.name)
            .limit(3)
        ).all()
        # The demo's own plan for the next working day (demo.DEMO_PLANS) would be a second
        # route tomorrow: back to draft, this test's is the one.
        for demo_plan in db.session.scalars(select(RoutePlan).where(RoutePlan.date == tomorrow)):
            back_to_draft(str(demo_plan.id))
        plan = Factory().route_plan(nurse.organisation, [(nurse, clinics)], day=tomorrow)
        return str(plan.id), [str(c.id) for c in clinics]

    plan_id, clinic_ids = in_db(create)
    device = phone()
    page = device.start_app()
    device.log_in()
    device.wait_synced()

    later = page.locator("section.route-tomorrow")
    later.wait_for()
    assert "Your route tomorrow" in later.locator("h2").inner_text()
    # Folded to one line (today's clinics stay where the thumb is); a tap opens it.
    assert "Stops: 3" in later.locator("summary").inner_text()
    assert not later.locator("a.route-stop").first.is_visible()
    later.locator("summary").click()
    stops = later.locator("a.route-stop")
    assert [stops.nth(i).get_attribute("href") for i in range(stops.count())] == [
        f"#/clinic/{c}" for c in clinic_ids
    ]
    assert "11:00" in stops.nth(0).inner_text()
    # A sync redrawing the screen leaves it open.
    device.evaluate_module("events.js", "m.emit('data')")
    page.wait_for_timeout(300)
    assert stops.first.is_visible()
    assert page.locator("section.route").count() == 0  # nothing today
    screenshot(page, "field-today-route-tomorrow")
    in_db(lambda: back_to_draft(plan_id))
    device.evaluate_module("sync.js", "await m.pull()")
    later.wait_for(state="detached")


def test_a_trips_day_shows_on_its_date_from_the_night_before_to_the_next(phone, in_db, screenshot):
    """A trip of three days begun yesterday: today's route (its second day) heads the Today
    screen, from the hotel to the hotel; tomorrow's (home) shows below it."""
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    from outreach.routing.models import PlannedRoute, RouteStop

    today = datetime.now(ZoneInfo("Europe/Copenhagen")).date()
    hotel = {"name": "Hotel Aalborg", "lat": 57.049, "lon": 9.917}

    def create():
        nurse = db.session.scalar(select(User).where(User.email == NURSE))
        clinics = db.session.scalars(
            select(Clinic)
            .where(Clinic.organisation_id == nurse.organisation_id, Clinic.status == "active")
            .order_by(Clinic.name)
            .limit(3)
        ).all()
        for demo_plan in db.session.scalars(select(RoutePlan).where(RoutePlan.date >= today)):
            back_to_draft(str(demo_plan.id))
        days = [
            {
                "date": (today + timedelta(days=i)).isoformat(),
                "shift_start": "08:00",
                "shift_end": "18:00",
                "night": hotel if i < 2 else None,
            }
            for i in (-1, 0, 1)
        ]
        plan = Factory().route_plan(
            nurse.organisation,
            [(nurse, clinics[:2])],
            day=today,
            days=days,
            end_date=today + timedelta(days=1),
            base_name="Roskilde",
            base_lat=55.6415,
            base_lon=12.0803,
        )
        plan.date = today - timedelta(days=1)
        plan.routes[0].day = 1
        start = plan.routes[0].start_at + timedelta(days=1)
        home = PlannedRoute(
            position=1,
            vehicle=2,
            day=2,
            nurse_id=nurse.id,
            start_at=start,
            end_at=start + timedelta(hours=6),
            distance_km=300.0,
            drive_minutes=300.0,
        )
        home.stops.append(
            RouteStop(
                position=0,
                clinic_id=clinics[2].id,
                reached_at=start + timedelta(hours=1),
                arrival_at=start + timedelta(hours=1),
                departure_at=start + timedelta(hours=1, minutes=40),
            )
        )
        plan.routes.append(home)
        stamp(plan)
        return str(plan.id), [str(c.id) for c in clinics]

    plan_id, clinic_ids = in_db(create)
    device = phone()
    page = device.start_app()
    device.log_in()
    device.wait_synced()

    route = page.locator("section.route")
    route.wait_for()
    stops = route.locator("a.route-stop")
    assert [stops.nth(i).get_attribute("href") for i in range(stops.count())] == [
        f"#/clinic/{c}" for c in clinic_ids[:2]
    ]
    assert "From Hotel Aalborg 10:00 to Hotel Aalborg 16:00" in route.inner_text()
    later = page.locator("section.route-tomorrow")
    later.locator("summary").click()
    assert [a.get_attribute("href") for a in later.locator("a.route-stop").all()] == [
        f"#/clinic/{clinic_ids[2]}"
    ]
    assert "to Roskilde" in later.inner_text()
    screenshot(page, "field-today-trip-day")
    in_db(lambda: back_to_draft(plan_id))
