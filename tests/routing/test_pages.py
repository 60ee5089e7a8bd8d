"""The planning pages: plan a day with forms alone (no JavaScript), adjust the candidates,
optimise, re-order by hand and see the check's warnings, save for the nurses, the day sheet
and the GPX export."""

import re
import uuid
import xml.etree.ElementTree as ET  # noqa: S405 - parsing our own output in a test
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from outreach.db import db
from outreach.routing.models import RoutePlan

MONDAY = date(2026, 3, 2)
WEEK = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
POINTS = [(56.1629, 10.2039), (56.1500, 10.1900), (56.1700, 10.2300), (56.1800, 10.1500)]
GPX = "{http://www.topografix.com/GPX/1/1}"


@pytest.fixture
def office(org):
    org.settings = {
        **(org.settings or {}),
        "offices": [{"name": "Aarhus office", "lat": 56.1572, "lon": 10.2107}],
    }
    db.session.flush()
    return org


@pytest.fixture
def clinics(factory, org):
    return [
        factory.clinic(org, name=f"Clinic {i}", lat=lat, lon=lon)
        for i, (lat, lon) in enumerate(POINTS)
    ]


def form(**overrides) -> dict:
    values = {
        "date": MONDAY.isoformat(),
        "regions": ["midtjylland"],
        "area": "",
        "office": "0",
        "base_lat": "",
        "base_lon": "",
        "shift_start": "09:00",
        "shift_end": "17:00",
        "lunch": "y",
        "break_start": "11:30",
        "break_end": "13:30",
        "break_minutes": "30",
        "nurses": "1",
        "service_minutes": "40",
    }
    values.update(overrides)
    return {k: v for k, v in values.items() if v is not None}


def the_plan() -> RoutePlan:
    db.session.expire_all()
    return db.session.scalars(select(RoutePlan)).one()


def create(client, **overrides) -> RoutePlan:
    response = client.form_post("/routes/", form(**overrides))
    assert response.status_code == 303, response.get_data(as_text=True)
    return the_plan()


def optimise(client, plan) -> None:
    response = client.form_post(f"/routes/{plan.id}/optimise", {})
    assert response.status_code == 303


def test_the_planning_page_shows_the_form_and_the_offices(coordinator_client, office):
    page = coordinator_client.get("/routes/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Aarhus office" in html
    assert 'name="shift_start"' in html and 'name="service_minutes"' in html
    assert 'value="40"' in html


def test_nurses_get_403_on_every_page(nurse_client, coordinator_client, office, clinics):
    plan = create(coordinator_client)
    for url in (
        "/routes/",
        f"/routes/{plan.id}",
        f"/routes/{plan.id}/sheet",
        f"/routes/{plan.id}/plan.gpx",
        f"/routes/{plan.id}/settings",
    ):
        assert nurse_client.get(url).status_code == 403, url
    assert nurse_client.form_post(f"/routes/{plan.id}/optimise", {}).status_code == 403


def test_admins_may_plan(admin_client, office, clinics):
    assert admin_client.get("/routes/").status_code == 200


def test_planning_from_a_region_lists_candidates_with_their_priority(
    coordinator_client, office, clinics, factory
):
    factory.visit(clinics[1], datetime(2026, 2, 20, 12, 0).astimezone(), concern_level="red")
    plan = create(coordinator_client)
    assert sorted(plan.clinic_ids) == sorted(str(c.id) for c in clinics)
    html = coordinator_client.get(f"/routes/{plan.id}").get_data(as_text=True)
    for clinic in clinics:
        assert clinic.name in html
    assert "Never visited." in html
    assert "Red concern at the last visit." in html


def test_bad_settings_come_back_as_form_errors(coordinator_client, office, clinics):
    cases = [
        ({"shift_end": "09:20"}, "shorter than one visit"),
        ({"shift_start": "9 o'clock"}, "HH:MM"),
        ({"office": "other", "base_lat": "52.52", "base_lon": "13.40"}, "outside Denmark"),
        ({"regions": [], "area": ""}, "Choose clinics, a region or an area."),
        ({"regions": ["midtjylland"], "area": "[[1,2]"}, "could not be read"),
        ({"break_start": "07:00", "break_end": "08:00"}, "inside the shift"),
    ]
    for change, message in cases:
        response = coordinator_client.form_post("/routes/", form(**change))
        assert response.status_code == 422, change
        assert message in response.get_data(as_text=True), change
    assert db.session.scalars(select(RoutePlan)).all() == []


def test_a_region_without_clinics_is_a_form_error(coordinator_client, office, factory, org):
    response = coordinator_client.form_post("/routes/", form(regions=["nordjylland"]))
    assert response.status_code == 422
    assert "no open clinics in this region" in response.get_data(as_text=True)


def test_an_area_drawn_on_the_map_selects_the_clinics_inside(coordinator_client, office, clinics):
    # A box around the first two clinics only.
    area = "[[56.145, 10.185], [56.145, 10.21], [56.166, 10.21], [56.166, 10.185]]"
    plan = create(coordinator_client, regions=[], area=area)
    assert sorted(plan.clinic_ids) == sorted(str(c.id) for c in clinics[:2])


def test_remove_and_add_candidates_before_optimising(coordinator_client, office, clinics):
    plan = create(coordinator_client)
    removed = clinics[0]
    response = coordinator_client.form_post(
        f"/routes/{plan.id}/candidates/{removed.id}/exclude", {}
    )
    assert response.status_code == 303
    assert str(removed.id) not in the_plan().clinic_ids
    optimise(coordinator_client, plan)
    plan = the_plan()
    routed = {s.clinic_id for r in plan.routes for s in r.stops}
    assert removed.id not in routed
    assert removed.id not in {uuid.UUID(u["clinic_id"]) for u in plan.unassigned}
    coordinator_client.form_post(f"/routes/{plan.id}/candidates/{removed.id}/include", {})
    assert str(removed.id) in the_plan().clinic_ids


def test_search_finds_a_clinic_to_add(coordinator_client, office, clinics, factory, org):
    outside = factory.clinic(org, name="Far Away Spa", region_slug="nordjylland")
    plan = create(coordinator_client)
    html = coordinator_client.get(f"/routes/{plan.id}?q=far away").get_data(as_text=True)
    assert "Far Away Spa" in html
    assert f"/candidates/{outside.id}/include" in html


def test_another_organisations_clinic_cannot_be_added(
    coordinator_client, office, clinics, factory, other_org
):
    plan = create(coordinator_client)
    theirs = factory.clinic(other_org)
    response = coordinator_client.form_post(f"/routes/{plan.id}/candidates/{theirs.id}/include", {})
    assert response.status_code == 404


def test_optimised_plan_shows_ordered_stops_times_and_map_links(
    coordinator_client, office, clinics
):
    plan = create(coordinator_client)
    optimise(coordinator_client, plan)
    html = coordinator_client.get(f"/routes/{plan.id}").get_data(as_text=True)
    plan = the_plan()
    stops = plan.routes[0].stops
    assert len(stops) == len(clinics)
    positions = [
        html.index(f'data-name="{clinics_by_id(clinics)[s.clinic_id].name}"') for s in stops
    ]
    assert positions == sorted(positions)
    assert "geo:" in html and "openstreetmap.org/?mlat=" in html
    assert re.search(r"\d\d:\d\d–\d\d:\d\d", html)
    assert "km" in html


def clinics_by_id(clinics):
    return {c.id: c for c in clinics}


def optimised_plan(factory, org, clinics) -> RoutePlan:
    """A draft with one route from the Aarhus office through the clinics, as optimising leaves
    it (made without the solver, for the pages that only show a plan)."""
    return factory.route_plan(
        org,
        [(None, clinics)],
        day=MONDAY,
        status="draft",
        base_name="Aarhus office",
        base_lat=56.1572,
        base_lon=10.2107,
    )


def morning_clinic_moved_last(client, factory, org):
    """A plan whose morning-only clinic the coordinator moves to the end of the day."""
    early = factory.clinic(
        org,
        name="Morning Spa",
        lat=56.1629,
        lon=10.2039,
        opening_hours={d: [["09:30", "11:00"]] for d in WEEK},
    )
    for i, (lat, lon) in enumerate(POINTS[1:]):
        factory.clinic(
            org,
            name=f"Late {i}",
            lat=lat,
            lon=lon,
            opening_hours={d: [["09:00", "22:00"]] for d in WEEK},
        )
    plan = create(client, lunch=None)
    optimise(client, plan)
    plan = the_plan()
    order = [s.clinic_id for s in plan.routes[0].stops]
    assert len(order) == 4
    assert not any(s.violations for s in plan.routes[0].stops)
    # Down, one step at a time, with plain form posts (no JavaScript).
    for position in range(order.index(early.id), len(order) - 1):
        response = client.form_post(
            f"/routes/{plan.id}/routes/0/stops/{position}", {"action": "down"}
        )
        assert response.status_code == 303
    return the_plan(), early


def test_moving_a_stop_rechecks_and_shows_broken_opening_hours(
    coordinator_client, office, factory, org
):
    plan, early = morning_clinic_moved_last(coordinator_client, factory, org)
    assert plan.routes[0].stops[-1].clinic_id == early.id
    assert plan.routes[0].stops[-1].violations[0]["kind"] == "opening_hours"
    html = coordinator_client.get(f"/routes/{plan.id}").get_data(as_text=True)
    assert "Outside the opening hours" in html
    assert "stop-broken" in html
    # Moving it back up clears the warning again.
    for position in range(3, 0, -1):
        coordinator_client.form_post(
            f"/routes/{plan.id}/routes/0/stops/{position}", {"action": "up"}
        )
    plan = the_plan()
    assert plan.routes[0].stops[0].clinic_id == early.id
    assert not any(s.violations for s in plan.routes[0].stops)


def test_moving_a_stop_to_another_route_and_taking_one_off(coordinator_client, office, clinics):
    # Two and a half hours hold three visits at most: two routes are needed for four clinics.
    plan = create(
        coordinator_client, nurses="2", lunch=None, shift_start="10:00", shift_end="12:30"
    )
    optimise(coordinator_client, plan)
    plan = the_plan()
    assert len(plan.routes) == 2
    moved = plan.routes[0].stops[0].clinic_id
    coordinator_client.form_post(
        f"/routes/{plan.id}/routes/0/stops/0", {"action": "to_route", "target": "1"}
    )
    plan = the_plan()
    assert plan.routes[-1].stops[-1].clinic_id == moved
    first = plan.routes[0].stops[0].clinic_id if plan.routes[0].stops else None
    if first:
        coordinator_client.form_post(f"/routes/{plan.id}/routes/0/stops/0", {"action": "remove"})
        plan = the_plan()
        assert {"clinic_id": str(first), "reason": "removed_by_coordinator"} in plan.unassigned


def test_moving_a_stop_that_does_not_exist_is_404(coordinator_client, office, clinics):
    plan = create(coordinator_client)
    optimise(coordinator_client, plan)
    response = coordinator_client.form_post(f"/routes/{plan.id}/routes/5/stops/0", {"action": "up"})
    assert response.status_code == 404
    response = coordinator_client.form_post(
        f"/routes/{plan.id}/routes/0/stops/0", {"action": "sideways"}
    )
    assert response.status_code == 400


def test_saving_assigns_each_route_to_a_nurse(coordinator_client, office, clinics, factory, org):
    nurse = factory.user(org, "nurse")
    plan = create(coordinator_client)
    optimise(coordinator_client, plan)
    response = coordinator_client.form_post(f"/routes/{plan.id}/save", {"route_0": ""})
    assert response.status_code == 422
    assert "Route 1 has no nurse." in response.get_data(as_text=True)
    # Also at the top of the long page, where a phone user is.
    assert 'role="status">The plan was not saved: Route 1 has no nurse.' in (
        response.get_data(as_text=True).replace("\n", " ")
    )
    response = coordinator_client.form_post(f"/routes/{plan.id}/save", {"route_0": str(nurse.id)})
    assert response.status_code == 303
    plan = the_plan()
    assert plan.status == "saved"
    assert plan.routes[0].nurse_id == nurse.id
    assert plan.sync_seq > 0


def test_saving_a_broken_order_needs_a_confirmation(coordinator_client, office, factory, org):
    nurse = factory.user(org, "nurse")
    plan, _ = morning_clinic_moved_last(coordinator_client, factory, org)
    response = coordinator_client.form_post(f"/routes/{plan.id}/save", {"route_0": str(nurse.id)})
    assert response.status_code == 422
    assert "confirm to save anyway" in response.get_data(as_text=True)
    assert the_plan().status == "draft"
    response = coordinator_client.form_post(
        f"/routes/{plan.id}/save", {"route_0": str(nurse.id), "confirm_violations": "y"}
    )
    assert response.status_code == 303
    assert the_plan().status == "saved"


def test_changing_settings_drops_the_routes(coordinator_client, office, clinics):
    plan = create(coordinator_client)
    optimise(coordinator_client, plan)
    page = coordinator_client.get(f"/routes/{plan.id}/settings")
    assert page.status_code == 200
    assert 'value="09:00"' in page.get_data(as_text=True)
    response = coordinator_client.form_post(
        f"/routes/{plan.id}/settings", form(shift_start="10:00")
    )
    assert response.status_code == 303
    plan = the_plan()
    assert plan.shift_start == "10:00"
    assert plan.routes == []
    assert plan.optimised_at is None


def test_the_day_sheet_lists_the_stops_in_order(coordinator_client, factory, org, clinics):
    plan = optimised_plan(factory, org, clinics)
    html = coordinator_client.get(f"/routes/{plan.id}/sheet").get_data(as_text=True)
    names = [clinics_by_id(clinics)[s.clinic_id].name for s in plan.routes[0].stops]
    positions = [html.index(name) for name in names]
    assert positions == sorted(positions)
    assert "routing.css" in html


def test_gpx_is_valid_xml_with_the_stops_in_order(coordinator_client, factory, org, clinics):
    plan = optimised_plan(factory, org, clinics)
    response = coordinator_client.get(f"/routes/{plan.id}/plan.gpx")
    assert response.status_code == 200
    assert response.mimetype == "application/gpx+xml"
    assert "attachment" in response.headers["Content-Disposition"]
    root = ET.fromstring(response.data)  # noqa: S314 - our own output
    assert root.tag == f"{GPX}gpx" and root.get("version") == "1.1"
    points = root.findall(f"{GPX}rte/{GPX}rtept")
    names = [p.find(f"{GPX}name").text for p in points]
    expected = [clinics_by_id(clinics)[s.clinic_id] for s in plan.routes[0].stops]
    assert names[0] == names[-1] == "Aarhus office"
    assert names[1:-1] == [f"{i}. {c.name}" for i, c in enumerate(expected, start=1)]
    assert [(float(p.get("lat")), float(p.get("lon"))) for p in points[1:-1]] == [
        (pytest.approx(c.lat), pytest.approx(c.lon)) for c in expected
    ]
    one = coordinator_client.get(f"/routes/{plan.id}/plan.gpx?route=1")
    assert one.status_code == 200
    assert coordinator_client.get(f"/routes/{plan.id}/plan.gpx?route=9").status_code == 404


def test_another_organisations_plan_is_404(
    coordinator_client, other_coordinator_client, office, clinics
):
    plan = create(coordinator_client)
    assert other_coordinator_client.get(f"/routes/{plan.id}").status_code == 404
    assert other_coordinator_client.get(f"/routes/{plan.id}/plan.gpx").status_code == 404


def test_pages_have_no_inline_scripts_or_styles(coordinator_client, office, clinics):
    plan = create(coordinator_client)
    optimise(coordinator_client, plan)
    for url in (
        "/routes/",
        f"/routes/{plan.id}",
        f"/routes/{plan.id}/sheet",
        f"/routes/{plan.id}/settings",
    ):
        html = coordinator_client.get(url).get_data(as_text=True)
        assert "style=" not in html, url
        assert "<style" not in html, url
        for script in re.findall(r"<script[^>]*>", html):
            assert "src=" in script, (url, script)
        assert not re.search(r"\son[a-z]+=", html), url


def test_the_nav_links_to_routes_for_coordinators_only(coordinator_client, nurse_client):
    assert 'href="/routes/"' in coordinator_client.get("/clinics/").get_data(as_text=True)
    assert 'href="/routes/"' not in nurse_client.get("/clinics/").get_data(as_text=True)


def test_left_out_clinics_show_their_address_and_town(coordinator_client, office, factory, org):
    # Two clinics of one name: one routed, one closed that Monday and left out. The list of
    # those left out names the address and town, so the two are not taken for one.
    factory.clinic(org, name="Happy Healing", lat=56.1629, lon=10.2039)
    closed_monday = factory.clinic(
        org,
        name="Happy Healing",
        address="Storegade 12",
        postcode="8900",
        city="Randers C",
        lat=56.4607,
        lon=10.0364,
        opening_hours={"tue": [["10:00", "22:00"]]},
    )
    plan = create(coordinator_client)
    coordinator_client.form_post(f"/routes/{plan.id}/candidates/{closed_monday.id}/include", {})
    optimise(coordinator_client, plan)
    html = coordinator_client.get(f"/routes/{plan.id}").get_data(as_text=True)
    left_out = html[html.index('id="unassigned"') :]
    assert "Happy Healing" in left_out
    assert "Storegade 12, 8900 Randers C" in left_out
    assert "Vestergade 3" not in left_out


def test_a_draft_never_saved_is_deleted_at_once(coordinator_client, office, clinics):
    plan_id = create(coordinator_client).id
    response = coordinator_client.form_post(f"/routes/{plan_id}/delete", {})
    assert response.status_code == 303 and response.headers["Location"].endswith("/routes/")
    db.session.expire_all()
    assert db.session.get(RoutePlan, plan_id) is None
    assert coordinator_client.get(f"/routes/{plan_id}").status_code == 404


def test_the_optimise_button_is_at_the_top_and_the_candidates_are_folded(
    coordinator_client, office, clinics
):
    plan = create(coordinator_client)
    html = coordinator_client.get(f"/routes/{plan.id}").get_data(as_text=True)
    bar = html.index('id="plan-bar"')
    assert bar < html.index("Optimise the routes") < html.index('id="candidates"')
    assert html.count("Optimise the routes") == 1
    assert '<details class="candidates-box">' in html  # folded
    # Working on the candidates opens them again after the redirect.
    response = coordinator_client.form_post(
        f"/routes/{plan.id}/candidates/{clinics[0].id}/exclude", {}
    )
    assert "candidates=1" in response.headers["Location"]
    html = coordinator_client.get(response.headers["Location"]).get_data(as_text=True)
    assert '<details class="candidates-box" open>' in html


def test_a_lunch_break_is_shown_as_the_break_not_as_waiting(coordinator_client, factory, org):
    clinic = factory.clinic(org, name="After Lunch")
    plan = optimised_plan(factory, org, [clinic])
    plan.optimised_at = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    route, stop = plan.routes[0], plan.routes[0].stops[0]
    # Reached at 11:00, lunch 11:00-11:30 on arrival, the visit from 11:30.
    route.break_position = 0
    route.break_start_at = stop.arrival_at
    route.break_end_at = stop.arrival_at + (stop.departure_at - stop.arrival_at) * 0.75
    stop.arrival_at, stop.departure_at = (
        route.break_end_at,
        route.break_end_at + (stop.departure_at - stop.arrival_at),
    )
    db.session.flush()
    html = coordinator_client.get(f"/routes/{plan.id}").get_data(as_text=True)
    assert "Lunch break 11:00–11:30" in html
    assert "min wait before" not in html
    # The API and the phones get the same: no wait at that stop.
    answer = coordinator_client.get(f"/api/v1/route-plans/{plan.id}").json
    assert answer["routes"][0]["stops"][0]["wait_minutes"] == 0


def test_the_map_legend_names_the_routes_and_the_left_out_clinics(
    coordinator_client, factory, org, clinics
):
    plan = optimised_plan(factory, org, clinics[:2])
    plan.optimised_at = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    plan.unassigned = [{"clinic_id": str(clinics[2].id), "reason": "too_far_to_fit"}]
    db.session.flush()
    html = coordinator_client.get(f"/routes/{plan.id}").get_data(as_text=True)
    legend = html[html.index('class="map-legend"') : html.index("</ul>", html.index("map-legend"))]
    assert "Route 1" in legend
    assert "legend-clinic-active" in legend and "Not on a route: active clinic" in legend
    assert "legend-clinic-closed" not in legend  # no closed clinic is left out


def test_a_region_puts_only_the_top_candidates_on_the_list(
    coordinator_client, office, factory, org
):
    # Two hours hold three 40-minute visits: six candidates (two a visit) are chosen, of
    # those open that Monday; the rest of the region stays one tap away.
    closed_monday = factory.clinic(
        org, name="Aa Closed", opening_hours={"tue": [["10:00", "22:00"]]}
    )
    others = [
        factory.clinic(org, name=f"Open {i:02d}", lat=lat, lon=lon)
        for i, (lat, lon) in enumerate(POINTS * 3)
    ]
    plan = create(coordinator_client, lunch=None, shift_start="10:00", shift_end="12:00")
    assert len(plan.clinic_ids) == 6
    assert str(closed_monday.id) not in plan.clinic_ids
    assert set(plan.clinic_ids) <= {str(c.id) for c in others}
    html = coordinator_client.get(f"/routes/{plan.id}").get_data(as_text=True)
    assert "Candidates: 6" in html
    assert "Taken off the list (7)" in html
