"""A route a coordinator saved for the nurse today travels to the phone with the pull and
heads the Today screen, each stop with its state; back to draft, it leaves the phone."""

import re
import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from outreach.auth.models import User
from outreach.changes import stamp
from outreach.clinics.models import Clinic
from outreach.db import db
from outreach.routing.models import PlannedRoute, RoutePlan, RouteStop
from tests.field.conftest import NURSE, choose

pytestmark = pytest.mark.browser
LOCAL = ZoneInfo("Europe/Copenhagen")


def saved_route_for_today(in_db, stops: int = 2) -> tuple[str, list[dict]]:
    def create():
        nurse = db.session.scalar(select(User).where(User.email == NURSE))
        clinics = db.session.scalars(
            select(Clinic)
            .where(Clinic.organisation_id == nurse.organisation_id, Clinic.status == "active")
            .order_by(Clinic.name.desc())
            .limit(stops)
        ).all()
        today = datetime.now(LOCAL).replace(hour=10, minute=0, second=0, microsecond=0)
        plan = RoutePlan(
            id=uuid.uuid4(),
            organisation_id=nurse.organisation_id,
            date=today.date(),
            status="saved",
            base_name="Aarhus",
            base_lat=56.1567,
            base_lon=10.2108,
            shift_start="10:00",
            shift_end="18:00",
            staff=[str(nurse.id)],
            clinic_ids=[str(c.id) for c in clinics],
        )
        route = PlannedRoute(
            id=uuid.uuid4(),
            position=0,
            nurse_id=nurse.id,
            start_at=today,
            end_at=today + timedelta(hours=6),
            distance_km=84.0,
            drive_minutes=95.0,
        )
        for i, clinic in enumerate(clinics):
            arrival = today + timedelta(hours=1 + 2 * i)
            route.stops.append(
                RouteStop(
                    id=uuid.uuid4(),
                    position=i,
                    clinic_id=clinic.id,
                    reached_at=arrival,
                    arrival_at=arrival,
                    departure_at=arrival + timedelta(minutes=40),
                )
            )
        plan.routes.append(route)
        db.session.add(plan)
        stamp(plan)
        return str(plan.id), [{"id": str(c.id), "name": c.name} for c in clinics]

    return in_db(create)


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

    def back_to_draft():
        plan = db.session.get(RoutePlan, uuid.UUID(plan_id))
        plan.status = "draft"
        stamp(plan)

    in_db(back_to_draft)
    device.evaluate_module("sync.js", "await m.pull()")
    page.locator("section.route").wait_for(state="detached")
    assert device.evaluate_module("db.js", "await m.count('route_plans')") == 0
