"""/api/v1/route-plans (DESIGN.md §4): the answer's shape, feasibility recomputed from the
answer alone, every clinic routed once or listed with a reason, and the error cases."""

import uuid
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from geopy.distance import great_circle

from outreach.auth.services import create_token
from outreach.db import db

TZ = ZoneInfo("Europe/Copenhagen")
MONDAY = date(2026, 3, 2)
AARHUS = {"lat": 56.1572, "lon": 10.2107}
WEEK = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
POINTS = [
    (56.1629, 10.2039),
    (56.1500, 10.1900),
    (56.1700, 10.2300),
    (56.1800, 10.1500),
    (56.2100, 10.2200),
    (56.1200, 10.1700),
    (56.0400, 10.0900),
    (56.2600, 10.3100),
]
URL = "/api/v1/route-plans"


@pytest.fixture
def clinics(factory, org):
    made = []
    for i, (lat, lon) in enumerate(POINTS):
        hours = {d: [["10:00", "22:00"]] for d in WEEK}
        if i == 1:
            hours["mon"] = [["10:00", "12:00"], ["16:00", "20:00"]]
        made.append(factory.clinic(org, name=f"Clinic {i}", lat=lat, lon=lon, opening_hours=hours))
    return made


def body(ids, **overrides):
    values = {
        "date": MONDAY.isoformat(),
        "base": AARHUS,
        "shift": {"start": "09:00", "end": "17:00"},
        "nurses": 1,
        "clinic_ids": [str(i) for i in ids],
    }
    values.update(overrides)
    return values


def local(day, hhmm):
    hours, minutes = map(int, hhmm.split(":"))
    return datetime.combine(day, time(hours, minutes), TZ)


def drive(a, b) -> timedelta:
    return timedelta(hours=great_circle(a, b).km * 1.3 / 60)


def assert_feasible(answer, clinics, *, day=MONDAY, shift=("09:00", "17:00"), service=40):
    """Recompute the plan from the answer and the clinics alone (not from the planner)."""
    by_id = {str(c.id): c for c in clinics}
    weekday = WEEK[day.weekday()]
    base = (answer["base"]["lat"], answer["base"]["lon"])
    for route in answer["routes"]:
        start = datetime.fromisoformat(route["start"])
        end = datetime.fromisoformat(route["end"])
        assert start.utcoffset() is not None
        assert start >= local(day, shift[0])
        assert end <= local(day, shift[1])
        place, free = base, start
        pause = route.get("break")
        for stop in route["stops"]:
            clinic = by_id[stop["clinic_id"]]
            arrival = datetime.fromisoformat(stop["arrival"])
            departure = datetime.fromisoformat(stop["departure"])
            assert arrival.utcoffset() is not None, "timestamps carry an offset"
            assert departure - arrival == timedelta(minutes=service)
            intervals = [(local(day, a), local(day, b)) for a, b in clinic.opening_hours[weekday]]
            assert any(a <= arrival and departure <= b for a, b in intervals)
            needed = drive(place, (clinic.lat, clinic.lon))
            if pause and free <= datetime.fromisoformat(pause["start"]) < arrival:
                needed += datetime.fromisoformat(pause["end"]) - datetime.fromisoformat(
                    pause["start"]
                )
            assert arrival - free >= needed - timedelta(seconds=1)
            place, free = (clinic.lat, clinic.lon), departure
        assert end - free >= drive(place, base) - timedelta(seconds=1)


def assert_each_once(answer, requested):
    routed = [s["clinic_id"] for r in answer["routes"] for s in r["stops"]]
    left_out = [u["clinic_id"] for u in answer["unassigned"]]
    assert len(routed) == len(set(routed))
    assert sorted(routed + left_out) == sorted(str(i) for i in requested)


def test_coordinator_plans_a_day_and_gets_201_with_routes(coordinator_client, clinics):
    ids = [c.id for c in clinics]
    response = coordinator_client.post(URL, json=body(ids))
    assert response.status_code == 201, response.get_data(as_text=True)
    answer = response.json
    uuid.UUID(answer["id"])
    assert answer["status"] == "draft"
    assert_feasible(answer, clinics)
    assert_each_once(answer, ids)
    route = answer["routes"][0]
    assert set(route) >= {"stops", "distance_km", "drive_minutes"}
    assert set(route["stops"][0]) >= {"clinic_id", "arrival", "departure"}
    assert route["distance_km"] > 0 and route["drive_minutes"] > 0


def test_two_nurses_with_a_lunch_break(coordinator_client, clinics):
    ids = [c.id for c in clinics]
    answer = coordinator_client.post(
        URL,
        json=body(
            ids,
            nurses=2,
            shift={"start": "10:00", "end": "15:00"},
            **{"break": {"start": "12:00", "end": "13:30", "minutes": 30}},
        ),
    ).json
    assert_feasible(answer, clinics, shift=("10:00", "15:00"))
    assert_each_once(answer, ids)
    assert len(answer["routes"]) == 2
    for route in answer["routes"]:
        pause = route["break"]
        start, end = (datetime.fromisoformat(pause[k]) for k in ("start", "end"))
        assert end - start == timedelta(minutes=30)
        assert local(MONDAY, "12:00") <= start and end <= local(MONDAY, "13:30")


def test_left_out_clinics_carry_reasons(coordinator_client, factory, org, clinics):
    closed_monday = factory.clinic(org, opening_hours={"tue": [["10:00", "20:00"]]})
    no_hours = factory.clinic(org, opening_hours=None)
    no_place = factory.clinic(org, lat=None, lon=None)
    ids = [closed_monday.id, no_hours.id, no_place.id, clinics[0].id]
    answer = coordinator_client.post(URL, json=body(ids)).json
    reasons = {u["clinic_id"]: u["reason"] for u in answer["unassigned"]}
    assert reasons == {
        str(closed_monday.id): "closed_that_day",
        str(no_hours.id): "opening_hours_unknown",
        str(no_place.id): "no_coordinates",
    }
    assert all(u["message"] for u in answer["unassigned"])
    assert_each_once(answer, ids)


def test_region_lets_the_planner_choose_by_priority(coordinator_client, clinics, factory, org):
    factory.clinic(org, name="Elsewhere", region_slug="nordjylland", lat=57.048, lon=9.919)
    answer = coordinator_client.post(URL, json=body([], clinic_ids=None, region="midtjylland")).json
    assert answer["region"] == "midtjylland"
    assert_each_once(answer, [c.id for c in clinics])
    assert_feasible(answer, clinics)


def test_named_staff_get_one_route_each(coordinator_client, clinics, factory, org):
    nurses = [factory.user(org, "nurse"), factory.user(org, "nurse")]
    answer = coordinator_client.post(
        URL, json=body([c.id for c in clinics], nurses=None, staff=[str(n.id) for n in nurses])
    ).json
    assert answer["staff"] == [str(n.id) for n in nurses]
    assert {r["nurse_id"] for r in answer["routes"]} <= {str(n.id) for n in nurses}


def test_plan_can_be_read_listed_and_saved(coordinator_client, clinics, factory, org):
    created = coordinator_client.post(URL, json=body([c.id for c in clinics])).json
    read = coordinator_client.get(f"{URL}/{created['id']}")
    assert read.status_code == 200
    assert read.json["routes"] == created["routes"]
    listed = coordinator_client.get(URL, query_string={"date_from": "2026-03-01"}).json
    assert [p["id"] for p in listed["items"]] == [created["id"]]
    nurse = factory.user(org, "nurse")
    saved = coordinator_client.post(f"{URL}/{created['id']}/save", json={"nurses": [str(nurse.id)]})
    assert saved.status_code == 200, saved.get_data(as_text=True)
    assert saved.json["status"] == "saved"
    assert saved.json["routes"][0]["nurse_id"] == str(nurse.id)


def test_saving_needs_a_nurse_for_every_route(coordinator_client, clinics, factory, org):
    created = coordinator_client.post(URL, json=body([c.id for c in clinics])).json
    response = coordinator_client.post(f"{URL}/{created['id']}/save", json={"nurses": []})
    assert response.status_code == 422
    assert "nurses" in response.json["errors"]


def test_a_token_plans_without_csrf(app, client, coordinator, clinics):
    _, plain = create_token(coordinator, "script")
    response = client.post(
        URL,
        json=body([c.id for c in clinics]),
        headers={"Authorization": f"Bearer {plain}"},
    )
    assert response.status_code == 201


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"base": {"lat": 52.52, "lon": 13.40}}, "base"),  # Berlin
        ({"base": {"lat": 0, "lon": 0}}, "base"),
        ({"shift": {"start": "09:00", "end": "09:30"}}, "shift"),  # shorter than a visit
        ({"shift": {"start": "17:00", "end": "09:00"}}, "shift"),
        ({"shift": {"start": "9am", "end": "17:00"}}, "shift"),
        ({"shift": {"start": "25:00", "end": "26:00"}}, "shift"),
        ({"date": "2026-02-30"}, "date"),
        ({"service_minutes": 0}, "service_minutes"),
        ({"nurses": 0}, "nurses"),
        ({"nurses": 2, "staff": [str(uuid.uuid4())]}, "staff"),
        ({"staff": [str(uuid.uuid4())], "nurses": None}, "staff"),
        ({"clinic_ids": []}, "clinic_ids"),
        ({"clinic_ids": ["not-a-uuid"]}, "clinic_ids"),
        ({"clinic_ids": [str(uuid.uuid4())]}, "clinic_ids"),
        ({"clinic_ids": None}, "clinic_ids"),
        ({"clinic_ids": None, "region": "atlantis"}, "region"),
        ({"clinic_ids": None, "region": "syddanmark"}, "region"),  # no clinics there
        ({"break": {"start": "06:00", "end": "07:00", "minutes": 30}}, "break"),
        ({"break": {"start": "12:00", "end": "12:20", "minutes": 30}}, "break"),
    ],
)
def test_bad_requests_answer_422_with_field_errors(coordinator_client, clinics, change, field):
    response = coordinator_client.post(URL, json=body([c.id for c in clinics[:2]], **change))
    assert response.status_code == 422, response.get_data(as_text=True)
    assert field in response.json["errors"], response.json


def test_another_organisations_clinic_is_422_and_not_revealed(
    coordinator_client, clinics, factory, other_org
):
    theirs = factory.clinic(other_org, name="Their clinic")
    response = coordinator_client.post(URL, json=body([clinics[0].id, theirs.id]))
    assert response.status_code == 422
    assert "clinic_ids" in response.json["errors"]
    assert "Their clinic" not in response.get_data(as_text=True)


def test_a_body_that_is_not_json_is_422_not_500(coordinator_client):
    response = coordinator_client.post(URL, data="nonsense", content_type="application/json")
    assert response.status_code in (400, 422)


def test_nurses_get_403(nurse_client, clinics):
    assert nurse_client.post(URL, json=body([c.id for c in clinics])).status_code == 403
    assert nurse_client.get(URL).status_code == 403
    assert nurse_client.get(f"{URL}/{uuid.uuid4()}").status_code == 403


def test_nurse_gets_403_even_for_an_invalid_body(nurse_client):
    assert nurse_client.post(URL, json={}).status_code == 403


def test_anonymous_gets_401(client):
    assert client.get(URL).status_code == 401


def test_another_organisations_plan_is_404(coordinator_client, other_coordinator_client, clinics):
    created = coordinator_client.post(URL, json=body([c.id for c in clinics])).json
    assert other_coordinator_client.get(f"{URL}/{created['id']}").status_code == 404
    response = other_coordinator_client.post(
        f"{URL}/{created['id']}/save", json={"nurses": [str(uuid.uuid4())]}
    )
    assert response.status_code == 404
    assert other_coordinator_client.get(URL).json["items"] == []


def test_unknown_plan_is_404(coordinator_client):
    assert coordinator_client.get(f"{URL}/{uuid.uuid4()}").status_code == 404


def test_openapi_documents_route_plans(client):
    spec = client.get("/api/v1/openapi.json").json
    assert "/api/v1/route-plans" in spec["paths"]
    post = spec["paths"]["/api/v1/route-plans"]["post"]
    assert "201" in post["responses"] and "422" in post["responses"]
    schemas = spec["components"]["schemas"]
    assert {"RoutePlanIn", "RoutePlanOut"} <= set(schemas)
    assert {"date", "base", "shift", "clinic_ids", "region", "service_minutes"} <= set(
        schemas["RoutePlanIn"]["properties"]
    )


def test_cannot_fit_and_lower_priority_reasons(coordinator_client, factory, org, clinics):
    skagen = factory.clinic(org, name="Far North", lat=57.7210, lon=10.5830)
    ids = [c.id for c in clinics] + [skagen.id]
    # Two hours: the far clinic never fits, and only a couple of the others do.
    answer = coordinator_client.post(
        URL, json=body(ids, shift={"start": "10:00", "end": "12:00"})
    ).json
    reasons = {u["clinic_id"]: u["reason"] for u in answer["unassigned"]}
    assert reasons[str(skagen.id)] == "cannot_fit"
    assert "lower_priority" in reasons.values()
    assert_each_once(answer, ids)
    assert_feasible(answer, clinics, shift=("10:00", "12:00"))


def test_a_stop_whose_clinic_lost_its_coordinates_reads_null_as_the_document_allows(
    coordinator_client, client, factory, org, nurse
):
    # Found by schemathesis: a saved plan's stop whose clinic has since lost its position
    # answered lat/lon null where the document said number.
    clinic = factory.clinic(org, name="Moved Away Spa")
    plan = factory.route_plan(org, [(nurse, [clinic])])
    clinic.lat = clinic.lon = None
    db.session.commit()

    answer = coordinator_client.get(f"/api/v1/route-plans/{plan.id}")

    assert answer.status_code == 200
    (stop,) = answer.json["routes"][0]["stops"]
    assert (stop["lat"], stop["lon"]) == (None, None)
    schema = client.get("/api/v1/openapi.json").json["components"]["schemas"]["StopOut"]
    assert schema["properties"]["lat"].get("nullable") is True
    assert schema["properties"]["lon"].get("nullable") is True
