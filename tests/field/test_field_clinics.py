"""Clinics from the phone: a new one found in the field (position from the phone, or typed),
and edits of opening hours that cannot silently undo a coordinator's change (If-Match)."""

import re
import uuid

import pytest

from outreach.changes import stamp
from outreach.clinics.models import Clinic
from outreach.db import db
from tests.field.conftest import choose, server_records, unique

pytestmark = pytest.mark.browser

AARHUS = {"latitude": 56.1572, "longitude": 10.2107, "accuracy": 12}


def test_a_clinic_found_in_the_field_is_registered_and_its_hours_edited(
    phone, in_db, live_server, screenshot
):
    device = phone()
    page = device.start_app()
    device.log_in()
    device.wait_synced()

    device.context.grant_permissions(["geolocation"], origin=live_server.url)
    device.context.set_geolocation(AARHUS)
    page.get_by_role("link", name="New clinic").click()
    status = page.locator(".geo-status")
    # Her consent first: the position is read only when she taps, even with the permission.
    status.filter(has_text="Tap to put the clinic where you stand").wait_for()
    page.wait_for_timeout(300)
    assert page.get_by_label("Latitude").input_value() == ""

    page.get_by_role("button", name="Use my position").click()
    status.filter(has_text="Position found (within 12 m)").wait_for()
    assert page.get_by_label("Latitude").input_value() == "56.157200"
    name = unique("Lotus Field Spa")
    page.get_by_label("Name").fill(name)
    choose(page, "kind", "Apartment")
    page.get_by_label("Postcode (optional)").fill("8000")
    screenshot(page, "field-new-clinic")
    page.get_by_role("button", name="Save new clinic").click()
    page.wait_for_url(re.compile(r"#/clinic/[0-9a-f-]{36}$"))
    clinic_id = page.url.rsplit("/", 1)[1]
    device.wait_all_sent()
    stored = server_records(in_db, [{"kind": "clinic", "id": clinic_id}])[clinic_id]
    assert (stored["name"], stored["kind"], stored["source"]) == (name, "apartment", "field")
    assert stored["region_slug"] == "midtjylland"
    assert (stored["lat"], stored["lon"]) == (56.1572, 10.2107)

    # Opening hours, edited online: Monday, copied to Tuesday-Friday; the weekend closed.
    page.get_by_role("link", name="Edit").click()
    page.get_by_label("Opening hours not known").uncheck()
    page.get_by_label("Monday from").fill("10:00")
    page.get_by_label("Monday to").fill("22:00")
    page.get_by_role("button", name="Copy Monday to Tuesday–Friday").click()
    for day in ("saturday", "sunday"):
        page.locator(f'input[name="closed:{day[:3]}"]').check()
    page.get_by_role("button", name="Save clinic").click()
    device.wait_all_sent()
    stored = server_records(in_db, [{"kind": "clinic", "id": clinic_id}])[clinic_id]
    weekdays = {d: [["10:00", "22:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}
    assert stored["opening_hours"] == {**weekdays, "sat": [], "sun": []}


def test_an_offline_edit_cannot_reopen_a_clinic_a_coordinator_closed_meanwhile(
    phone, in_db, screenshot
):
    def new_clinic():
        from outreach.demo import MAIN_ORG
        from outreach.orgs.models import Organisation

        org = db.session.scalar(db.select(Organisation).where(Organisation.name == MAIN_ORG))
        clinic = Clinic(
            id=uuid.uuid4(),
            organisation_id=org.id,
            name=unique("Orchid Corner"),
            kind="massage_clinic",
            postcode="9000",
            city="Aalborg",
            region_slug="nordjylland",
            region_source="postcode",
            status="active",
            source="registry",
            geocode_status="none",
        )
        db.session.add(clinic)
        stamp(clinic)
        return {"id": str(clinic.id), "name": clinic.name}

    clinic = in_db(new_clinic)
    device = phone()
    page = device.start_app()
    device.log_in()
    device.wait_synced()
    page.goto(page.url.split("#")[0] + f"#/clinic/{clinic['id']}/edit")
    page.get_by_label("Opening hours not known").wait_for()
    device.wait_until("db.js", "(await m.getMeta('etag_verified')) === true")

    device.go_offline()
    page.get_by_label("Opening hours not known").uncheck()
    page.get_by_label("Monday from").fill("12:00")
    page.get_by_label("Monday to").fill("20:00")
    page.get_by_role("button", name="Save clinic").click()
    page.wait_for_url(re.compile(rf"#/clinic/{clinic['id']}$"))

    def close():
        row = db.session.get(Clinic, uuid.UUID(clinic["id"]))
        row.status = "closed"
        stamp(row)

    in_db(close)
    device.go_online()
    page.goto(page.url.split("#")[0] + "#/outbox")
    item = page.locator(f'li.outbox-item[data-id="{clinic["id"]}"]')
    item.locator(".outbox-state", has_text="Needs attention").wait_for(timeout=20_000)
    assert "changed since you read it" in item.inner_text()

    item.get_by_role("link", name="Fix").click()
    page.wait_for_url(re.compile(rf"#/clinic/{clinic['id']}/edit$"))
    page.wait_for_timeout(500)  # the form reads the current clinic from the server
    page.get_by_role("button", name="Save clinic").click()
    device.wait_all_sent()
    stored = server_records(in_db, [{"kind": "clinic", "id": clinic["id"]}])[clinic["id"]]
    assert stored["status"] == "closed"  # the coordinator's change stands
    assert stored["opening_hours"]["mon"] == [["12:00", "20:00"]]  # and so does the nurse's


def test_a_clinic_last_visited_over_a_year_ago_shows_its_date_and_follows_a_new_visit(phone, in_db):
    """The phone keeps ~400 days of visits; the pull sends each clinic's last visit, so a
    clinic visited 500 days ago is not "Never visited", and a visit logged elsewhere moves it."""
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import select

    from outreach.auth.models import User
    from outreach.visits.services import put_visit
    from tests.conftest import Factory
    from tests.field.conftest import NURSE

    long_ago = datetime.now(UTC) - timedelta(days=500)
    name = unique("Old Orchid")

    def create():
        nurse = db.session.scalar(select(User).where(User.email == NURSE))
        factory = Factory()
        clinic = factory.clinic(nurse.organisation, name=name, region_slug="midtjylland")
        factory.visit(clinic, long_ago, staff=[str(nurse.id)], created_by_id=nurse.id)
        return str(clinic.id)

    clinic_id = in_db(create)
    device = phone()
    page = device.start_app()
    device.log_in()
    device.wait_synced()
    page.get_by_placeholder("Search name, street, town").fill(name)
    row = page.locator(f'a.clinic-row[href="#/clinic/{clinic_id}"]')
    assert "Last visited" in row.inner_text() and str(long_ago.year) in row.inner_text()
    assert "Never visited" not in row.inner_text()

    when = long_ago + timedelta(days=60)  # still older than the visits the phone keeps

    def visit_elsewhere():  # a colleague's phone, through the same service as the API
        nurse = db.session.scalar(select(User).where(User.email == NURSE))
        body = {
            "clinic_id": uuid.UUID(clinic_id),
            "started_at": when,
            "outcome": "not_admitted",
            "not_admitted_reason": "no_answer",
            "staff": [nurse.id],
        }
        put_visit(nurse, uuid.uuid4(), body)

    in_db(visit_elsewhere)
    device.evaluate_module("sync.js", "await m.pull()")
    shown = device.evaluate_module("i18n.js", f"m.formatDate('{when.isoformat()}')")
    page.locator(f'a.clinic-row[href="#/clinic/{clinic_id}"]', has_text=shown).wait_for()
    row.click()
    assert shown in page.locator(".facts").first.inner_text()


def test_a_rough_position_is_shown_with_its_accuracy_and_a_refused_one_says_what_to_do(
    phone, live_server
):
    device = phone()
    page = device.start_app()
    device.log_in()
    device.wait_synced()
    page.get_by_role("link", name="New clinic").click()
    status = page.locator(".geo-status")

    page.get_by_role("button", name="Use my position").click()  # no permission given
    status.filter(has_text="may not use your position").wait_for()
    assert page.get_by_label("Latitude").input_value() == ""

    device.context.grant_permissions(["geolocation"], origin=live_server.url)
    device.context.set_geolocation({**AARHUS, "accuracy": 850})
    page.get_by_role("button", name="Use my position").click()
    status.filter(has_text="Rough position (within 850 m)").wait_for()
    assert "geo-warn" in status.get_attribute("class")


def test_a_clinic_created_offline_without_a_position_is_looked_up_when_it_reaches_the_server(
    phone, in_db
):
    device = phone()
    page = device.start_app()
    device.log_in()
    device.wait_synced()
    device.go_offline()
    page.get_by_role("link", name="New clinic").click()
    name = unique("Door Spa")
    page.get_by_label("Name").fill(name)
    page.get_by_label("Address (optional)").fill("Vestergade 3")
    page.get_by_label("Postcode (optional)").fill("8000")
    page.get_by_label("Town (optional)").fill("Aarhus C")
    page.get_by_role("button", name="Save new clinic").click()
    page.wait_for_url(re.compile(r"#/clinic/[0-9a-f-]{36}$"))
    clinic_id = page.url.rsplit("/", 1)[1]

    device.go_online()
    device.wait_all_sent()

    stored = server_records(in_db, [{"kind": "clinic", "id": clinic_id}])[clinic_id]
    # On the map and in routing: the address found by the server's geocoder.
    assert (stored["lat"], stored["lon"], stored["geocode_status"]) == (
        56.1570,
        10.2040,
        "geocoded",
    )
    assert stored["region_slug"] == "midtjylland"
