"""Trips of several days (issue 15 item 2): POST /api/v1/route-plans with `days`, recomputed
from the answer alone: each clinic at most once in the trip, on a day when it is open; the
first day starts at home and the last ends there; each night at that day's base; the
reasons hold for the trip; the day sheets, the GPX and the phones get each day."""

import uuid
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from geopy.distance import great_circle

from outreach.geo import LocalGeocoder

TZ = ZoneInfo("Europe/Copenhagen")
WEEK = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
URL = "/api/v1/route-plans"
ROSKILDE = {"name": "Roskilde", "lat": 55.6415, "lon": 12.0803}
HOTEL_ADDRESS = "Vesterbro 2, 9000 Aalborg"
HOTEL = (57.0490, 9.9170)
# Clinics around Nordjylland's towns: (name, lat, lon, hours by weekday)
EVERY_DAY = {d: [["10:00", "20:00"]] for d in WEEK}


def first_tuesday_after(day: date) -> date:
    day += timedelta(days=1)
    while day.weekday() != 1:
        day += timedelta(days=1)
    return day


TUESDAY = first_tuesday_after(datetime.now(TZ).date())
DAYS = [TUESDAY + timedelta(days=i) for i in range(3)]
PLACES = [
    ("Aalborg A", 57.0480, 9.9190, EVERY_DAY),
    ("Aalborg B", 57.0300, 9.9400, EVERY_DAY),
    ("Nørresundby", 57.0600, 9.9200, EVERY_DAY),
    ("Hjørring", 57.4640, 9.9820, EVERY_DAY),
    ("Frederikshavn", 57.4400, 10.5370, EVERY_DAY),
    ("Brønderslev", 57.2700, 9.9410, EVERY_DAY),
    ("Hobro", 56.6390, 9.7900, EVERY_DAY),
    ("Thisted", 56.9570, 8.6940, EVERY_DAY),
    # Open on the trip's second day only (a Wednesday), in the afternoon.
    ("Skagen", 57.7210, 10.5840, {"wed": [["13:00", "18:00"]]}),
    # Open on no day of the trip (Tuesday to Thursday).
    ("Løkken", 57.3700, 9.7130, {"mon": [["10:00", "20:00"]], "sat": [["10:00", "20:00"]]}),
    # Only in the evening of the last day (a Thursday): after the last shift ends.
    ("Sæby", 57.3340, 10.5230, {"thu": [["21:00", "23:00"]]}),
]


@pytest.fixture
def clinics(factory, org):
    return [
        factory.clinic(
            org,
            name=name,
            lat=lat,
            lon=lon,
            opening_hours=hours,
            city=name,
            postcode="9000",
            region_slug="nordjylland",
        )
        for name, lat, lon, hours in PLACES
    ]


@pytest.fixture
def hotel(app):
    saved = app.extensions["geocoder"]
    app.extensions["geocoder"] = LocalGeocoder({HOTEL_ADDRESS: HOTEL})
    yield
    app.extensions["geocoder"] = saved


def trip_body(ids, **overrides):
    values = {
        "base": ROSKILDE,
        "days": [
            {
                "date": DAYS[0].isoformat(),
                "shift": {"start": "07:00", "end": "20:00"},
                "night": {"address": HOTEL_ADDRESS, "name": "Hotel in Aalborg"},
            },
            {
                "date": DAYS[1].isoformat(),
                "shift": {"start": "09:00", "end": "17:00"},
                "night": {"town": "Aalborg"},
            },
            {"date": DAYS[2].isoformat(), "shift": {"start": "08:00", "end": "20:00"}},
        ],
        "nurses": 2,
        "break": {"start": "11:30", "end": "13:30", "minutes": 30},
        "clinic_ids": [str(i) for i in ids],
    }
    values.update(overrides)
    return values


def local(day, hhmm):
    hours, minutes = map(int, hhmm.split(":"))
    return datetime.combine(day, time(hours, minutes), TZ)


def drive(a, b) -> timedelta:
    return timedelta(hours=great_circle(a, b).km * 1.3 / 60)


def point(base) -> tuple:
    return (base["lat"], base["lon"])


def assert_trip_holds(answer, clinics, service=40):
    """The trip recomputed from the answer and the clinics alone."""
    by_id = {str(c.id): c for c in clinics}
    days = answer["days"]
    home = point(answer["base"])
    for route in answer["routes"]:
        index = route["day"]
        day = date.fromisoformat(days[index]["date"])
        assert route["date"] == day.isoformat()
        start_base = home if index == 0 else point(days[index - 1]["night"])
        end_base = home if index == len(days) - 1 else point(days[index]["night"])
        assert point(route["start_base"]) == pytest.approx(start_base)
        assert point(route["end_base"]) == pytest.approx(end_base)
        shift = days[index]["shift"]
        start = datetime.fromisoformat(route["start"])
        end = datetime.fromisoformat(route["end"])
        assert local(day, shift["start"]) <= start and end <= local(day, shift["end"])
        place, free = start_base, start
        pause = route.get("break")
        weekday = WEEK[day.weekday()]
        for stop in route["stops"]:
            clinic = by_id[stop["clinic_id"]]
            arrival = datetime.fromisoformat(stop["arrival"])
            departure = datetime.fromisoformat(stop["departure"])
            assert arrival.date() == day
            assert departure - arrival == timedelta(minutes=service)
            hours = clinic.opening_hours.get(weekday) or []
            assert any(local(day, a) <= arrival and departure <= local(day, b) for a, b in hours)
            needed = drive(place, (clinic.lat, clinic.lon))
            if pause and free <= datetime.fromisoformat(pause["start"]) < arrival:
                needed += datetime.fromisoformat(pause["end"]) - datetime.fromisoformat(
                    pause["start"]
                )
            assert arrival - free >= needed - timedelta(seconds=1)
            place, free = (clinic.lat, clinic.lon), departure
        assert end - free >= drive(place, end_base) - timedelta(seconds=1)


def assert_each_once(answer, requested):
    routed = [s["clinic_id"] for r in answer["routes"] for s in r["stops"]]
    left_out = [u["clinic_id"] for u in answer["unassigned"]]
    assert len(routed) == len(set(routed)), "a clinic is visited twice in the trip"
    assert sorted(routed + left_out) == sorted(str(i) for i in requested)


def test_a_three_day_trip_from_roskilde_with_a_hotel_in_aalborg(coordinator_client, clinics, hotel):
    ids = [c.id for c in clinics]
    response = coordinator_client.post(URL, json=trip_body(ids))

    assert response.status_code == 201, response.get_data(as_text=True)
    answer = response.json
    assert answer["date"] == DAYS[0].isoformat()
    assert answer["end_date"] == DAYS[2].isoformat()
    assert [d["date"] for d in answer["days"]] == [d.isoformat() for d in DAYS]
    assert answer["days"][0]["night"] == {"name": "Hotel in Aalborg", "lat": 57.049, "lon": 9.917}
    assert answer["days"][1]["night"]["name"] == "Aalborg"  # the town's centre
    assert answer["days"][2]["night"] is None  # home
    assert_trip_holds(answer, clinics)
    assert_each_once(answer, ids)
    # A route per nurse on each day that drives from one base to another: Roskilde to
    # Aalborg, and Aalborg home on the last day even with no clinic left to visit (the
    # hotel and the town centre are two places, so day two is a route too).
    days = [r["day"] for r in answer["routes"]]
    assert sorted(days) == [0, 0, 1, 1, 2, 2]
    # The reasons hold for the trip: Løkken is closed on all three days, Sæby opens only
    # after the last shift, Skagen (Wednesday only) is visited on the Wednesday.
    names = {str(c.id): c.name for c in clinics}
    reasons = {names[u["clinic_id"]]: u for u in answer["unassigned"]}
    assert reasons["Løkken"]["reason"] == "closed_that_day"
    assert reasons["Løkken"]["message"] == "Closed on every day of the trip."
    assert reasons["Sæby"]["reason"] == "closed_during_shift"
    skagen = next(
        (r for r in answer["routes"] for s in r["stops"] if names[s["clinic_id"]] == "Skagen"),
        None,
    )
    assert skagen is not None and skagen["date"] == DAYS[1].isoformat()
    # Everything else open on the trip's days is served: three days hold them easily.
    assert set(reasons) == {"Løkken", "Sæby"}


def test_the_single_day_answer_has_no_trip_fields(coordinator_client, clinics):
    response = coordinator_client.post(
        URL,
        json={
            "date": DAYS[0].isoformat(),
            "base": {"lat": 57.0480, "lon": 9.9190},
            "shift": {"start": "09:00", "end": "17:00"},
            "clinic_ids": [str(clinics[0].id)],
        },
    )

    assert response.status_code == 201
    assert "days" not in response.json and "end_date" not in response.json
    assert set(response.json["routes"][0]) == {
        "nurse_id",
        "start",
        "end",
        "stops",
        "distance_km",
        "drive_minutes",
        "break",
        "violations",
    }


def test_a_day_is_still_date_and_shift(coordinator_client, clinics):
    response = coordinator_client.post(
        URL, json={"base": ROSKILDE, "clinic_ids": [str(clinics[0].id)]}
    )

    assert response.status_code == 422
    assert response.json["errors"]["date"] == [
        "Give the day to plan (date), or the days of a trip (days)."
    ]
    assert response.json["errors"]["shift"] == ["Give the shift: start and end, as HH:MM."]


ONE_DAY = {"date": DAYS[0].isoformat(), "shift": {"start": "09:00", "end": "17:00"}}


@pytest.mark.parametrize(
    ("change", "valid"),
    [
        (lambda b: None, True),  # a trip
        (lambda b: b.update(days=None, **ONE_DAY), True),  # one day
        (lambda b: b.update(**ONE_DAY), False),  # both
        (lambda b: b.update(days=None, date=ONE_DAY["date"]), False),  # a day without a shift
        (lambda b: b.update(days=None, date=ONE_DAY["date"], shift=None), False),
        (lambda b: b.update(days=None, shift=ONE_DAY["shift"]), False),  # a shift without a day
        (lambda b: b.update(days=None, date=None, shift=ONE_DAY["shift"]), False),
        (lambda b: b.pop("days"), False),  # neither
        (lambda b: b.update(shift=None), True),  # each day has its own shift
        (lambda b: b.update(shift={}), False),  # a shift is start and end, not any object
        (lambda b: b.update(**{"break": None}), True),
        (lambda b: b.update(**{"break": {}}), False),
        (lambda b: b["days"][2].update(night={}), False),
    ],
)
def test_the_document_and_the_server_agree_on_one_day_or_a_trip(
    coordinator_client, clinics, hotel, change, valid
):
    """What the OpenAPI document admits is what the server plans: a client (or Schemathesis)
    that generates bodies from the document does not meet a rule the document hides, and the
    server's messages name what to give, not "required", for fields that are needed only
    together (Schemathesis reads "Missing data for required field." as a rule of the
    document, and with it no body satisfied the document: CI of stop 20)."""
    from openapi_schema_validator import OAS30Validator

    spec = coordinator_client.get("/api/v1/openapi.json").json
    document = dict(spec["components"]["schemas"]["RoutePlanIn"], components=spec["components"])
    body = trip_body([c.id for c in clinics[:3]])
    change(body)

    response = coordinator_client.post(URL, json=body)

    assert OAS30Validator(document).is_valid(body) is valid
    assert (response.status_code == 201) is valid, response.get_data(as_text=True)
    if not valid:  # "required" only where the document requires it
        for key in ("date", "shift", "days"):
            messages = response.json["errors"].get(key)
            if isinstance(messages, list):
                assert "Missing data for required field." not in messages


@pytest.mark.parametrize(
    ("change", "field"),
    [
        # date and days together
        (lambda b: b.update(date=DAYS[0].isoformat()), ("days",)),
        # one day is not a trip
        (lambda b: b.update(days=b["days"][:1]), ("days",)),
        # a gap between the days
        (
            lambda b: b["days"][2].update(date=(DAYS[2] + timedelta(days=1)).isoformat()),
            ("days", "2", "date"),
        ),
        # a night missing before the last day
        (lambda b: b["days"][1].pop("night"), ("days", "1", "night")),
        # a night after the last day: it ends at home
        (lambda b: b["days"][2].update(night={"town": "Aalborg"}), ("days", "2", "night")),
        # a town nobody knows
        (lambda b: b["days"][1].update(night={"town": "Atlantis"}), ("days", "1", "night")),
        # an address the geocoder does not find
        (
            lambda b: b["days"][0].update(night={"address": "Nowhere 1, 9999 Nowhere"}),
            ("days", "0", "night"),
        ),
        # coordinates outside Denmark
        (lambda b: b["days"][0].update(night={"lat": 52.52, "lon": 13.40}), ("days", "0", "night")),
        # two kinds of place at once
        (
            lambda b: b["days"][0].update(night={"town": "Aalborg", "address": HOTEL_ADDRESS}),
            ("days", "0", "night"),
        ),
        # a day's shift that ends before it starts
        (
            lambda b: b["days"][1].update(shift={"start": "17:00", "end": "09:00"}),
            ("days", "1", "shift"),
        ),
        # no shift for a day, and none for the plan
        (lambda b: b["days"][1].pop("shift"), ("days", "1", "shift")),
        # a day that is not a date
        (lambda b: b["days"][1].update(date="tomorrow"), ("days", "1", "date")),
    ],
)
def test_days_are_validated_with_the_field_named(coordinator_client, clinics, hotel, change, field):
    body = trip_body([c.id for c in clinics])
    change(body)

    response = coordinator_client.post(URL, json=body)

    assert response.status_code == 422, response.get_data(as_text=True)
    errors = response.json["errors"]
    for key in field:
        assert key in errors, (field, response.json)
        errors = errors[key]
    assert errors


def test_a_day_without_a_shift_takes_the_plans_shift(coordinator_client, clinics, hotel):
    body = trip_body([c.id for c in clinics[:3]], shift={"start": "10:00", "end": "16:00"})
    body["days"][1].pop("shift")

    response = coordinator_client.post(URL, json=body)

    assert response.status_code == 201, response.get_data(as_text=True)
    assert response.json["days"][1]["shift"] == {"start": "10:00", "end": "16:00"}


def test_an_unreachable_geocoder_is_an_error_on_the_night(app, coordinator_client, clinics):
    saved = app.extensions["geocoder"]
    app.extensions["geocoder"] = LocalGeocoder(available=False)
    try:
        response = coordinator_client.post(URL, json=trip_body([c.id for c in clinics]))
    finally:
        app.extensions["geocoder"] = saved

    assert response.status_code == 422
    assert "night" in response.json["errors"]["days"]["0"]


def test_the_trip_is_audited_and_in_the_openapi_document(app, coordinator_client, clinics, hotel):
    from outreach.audit.models import AuditEvent

    response = coordinator_client.post(URL, json=trip_body([c.id for c in clinics[:4]]))
    assert response.status_code == 201
    actions = {
        e.action: e.details
        for e in AuditEvent.query.filter(AuditEvent.object_id == response.json["id"])
    }
    assert actions["route_plan.create"]["days"] == 3
    assert "route_plan.optimise" in actions

    spec = coordinator_client.get("/api/v1/openapi.json").json
    schemas = spec["components"]["schemas"]
    plan_in = next(v for k, v in schemas.items() if k.startswith("RoutePlanIn"))
    assert "days" in plan_in["properties"]
    assert [rule["required"] for rule in plan_in["oneOf"]] == [["date", "shift"], ["days"]]
    assert "night" in schemas["TripDay"]["properties"]


def test_nobody_is_sent_twice_on_a_day_but_may_drive_every_day(
    coordinator_client, clinics, hotel, factory, org
):
    first, second = factory.user(org), factory.user(org)
    answer = coordinator_client.post(URL, json=trip_body([c.id for c in clinics])).json
    routes = answer["routes"]
    same_both = [str(first.id)] * len(routes)
    refused = coordinator_client.post(f"{URL}/{answer['id']}/save", json={"nurses": same_both})
    assert refused.status_code == 422
    assert refused.json["errors"]["nurses"] == ["A nurse can drive only one route a day."]

    nurses, seen = [], set()
    for route in routes:
        nurses.append(str(second.id if route["day"] in seen else first.id))
        seen.add(route["day"])
    saved = coordinator_client.post(f"{URL}/{answer['id']}/save", json={"nurses": nurses})
    assert saved.status_code == 200, saved.get_data(as_text=True)
    assert saved.json["status"] == "saved"
    assert uuid.UUID(saved.json["routes"][0]["nurse_id"]) == first.id


# --- the phones -------------------------------------------------------------------------------


def make_trip(user, clinics, first_day, nurses=2, first_night=None):
    from outreach.routing import services

    night = services.NightInput(town="Aalborg")
    nights = [first_night or night, night]
    plan = services.create_plan(
        user,
        services.PlanInput(
            day=first_day,
            base_lat=ROSKILDE["lat"],
            base_lon=ROSKILDE["lon"],
            base_name="Roskilde",
            shift_start="07:00",
            shift_end="21:00",
            nurses=nurses,
            clinic_ids=[c.id for c in clinics],
            days=[
                services.DayInput(first_day + timedelta(days=i), "07:00", "21:00", nights[i])
                for i in range(2)
            ]
            + [services.DayInput(first_day + timedelta(days=2), "07:00", "21:00")],
        ),
    )
    services.optimise(user, plan)
    return plan


def test_each_nurse_gets_her_routes_of_a_trip_under_way_each_with_its_date(
    app, nurse_client, nurse, coordinator, clinics, factory, org
):
    from outreach.db import db
    from outreach.routing import queries, services

    colleague = factory.user(org, "nurse")
    yesterday = queries.today() - timedelta(days=1)
    plan = make_trip(coordinator, clinics, yesterday)
    # Nurse k drives route k of every day.
    seen, nurses = set(), []
    for route in plan.routes:
        nurses.append(colleague.id if route.day in seen else nurse.id)
        seen.add(route.day)
    services.save_plan(coordinator, plan, nurses)
    db.session.commit()

    sent = nurse_client.get("/api/v1/sync", query_string={"cursor": 0}).json["route_plans"]

    # Begun yesterday, it is still under way: the phone gets it (and keeps it to end_date).
    assert [p["id"] for p in sent] == [str(plan.id)]
    trip = sent[0]
    assert trip["date"] == yesterday.isoformat()
    assert trip["end_date"] == (yesterday + timedelta(days=2)).isoformat()
    assert len(trip["days"]) == 3
    mine = trip["routes"]
    assert {r["nurse_id"] for r in mine} == {str(nurse.id)}
    assert [r["date"] for r in mine] == [
        (yesterday + timedelta(days=i)).isoformat() for i in range(3)
    ]
    assert mine[0]["start_base"]["name"] == "Roskilde"
    assert mine[0]["end_base"]["name"] == "Aalborg"
    assert mine[2]["end_base"]["name"] == "Roskilde"
    for route in mine:
        for stop in route["stops"]:
            assert stop["arrival"].startswith(route["date"])
    # A trip over by yesterday is not sent.
    plan.end_date = plan.date = yesterday - timedelta(days=3)
    services.reopen_plan(coordinator, plan)
    db.session.commit()
    assert nurse_client.get("/api/v1/sync", query_string={"cursor": 0}).json["route_plans"] == []


# --- the page, the day sheets, the GPX ---------------------------------------------------------


@pytest.fixture
def roskilde_office(org):
    from outreach.db import db

    org.settings = {
        **(org.settings or {}),
        "offices": [
            {"name": "Roskilde office", "lat": ROSKILDE["lat"], "lon": ROSKILDE["lon"]},
            {"name": "Aalborg office", "lat": 57.0480, "lon": 9.9210},
        ],
    }
    db.session.flush()
    return org


def trip_form(**overrides) -> dict:
    values = {
        "date": DAYS[0].isoformat(),
        "regions": ["nordjylland"],
        "area": "",
        "office": "0",
        "shift_start": "07:00",
        "shift_end": "20:00",
        "lunch": "y",
        "break_start": "11:30",
        "break_end": "13:30",
        "break_minutes": "30",
        "nurses": "2",
        "service_minutes": "40",
        "day_count": "3",
        "night_2_office": "place",
        "night_2_place": HOTEL_ADDRESS,
        "shift_2_start": "09:00",
        "shift_2_end": "17:00",
        "night_3_office": "place",
        "night_3_place": "Aalborg",
        "shift_3_start": "08:00",
        "shift_3_end": "20:00",
    }
    values.update(overrides)
    return {k: v for k, v in values.items() if v is not None}


def the_plan():
    from sqlalchemy import select

    from outreach.db import db
    from outreach.routing.models import RoutePlan

    db.session.expire_all()
    return db.session.scalars(select(RoutePlan)).one()


def test_the_coordinator_plans_a_three_day_trip_on_the_page(
    coordinator_client, roskilde_office, clinics, hotel
):
    page = coordinator_client.get("/routes/").get_data(as_text=True)
    assert "Several days (a trip)" in page

    response = coordinator_client.form_post("/routes/", trip_form())
    assert response.status_code == 303, response.get_data(as_text=True)
    plan = the_plan()
    assert plan.is_trip and plan.end_date == DAYS[2]
    assert [d["date"] for d in plan.days] == [d.isoformat() for d in DAYS]
    assert plan.days[0]["night"]["name"] == HOTEL_ADDRESS
    assert plan.days[1]["night"]["name"] == "Aalborg"
    assert (plan.days[1]["shift_start"], plan.days[2]["shift_end"]) == ("09:00", "20:00")
    assert coordinator_client.form_post(f"/routes/{plan.id}/optimise", {}).status_code == 303

    html = coordinator_client.get(f"/routes/{plan.id}").get_data(as_text=True)
    for n in (1, 2, 3):
        assert f'id="day-{n}"' in html
        assert f"/routes/{plan.id}/sheet?day={n}" in html
    assert "Day 1 of 3" in html and "From Roskilde office to Vesterbro 2, 9000 Aalborg" in html
    assert "From Aalborg to Roskilde office" in html

    # The settings page shows the trip as it is.
    settings = coordinator_client.get(f"/routes/{plan.id}/settings").get_data(as_text=True)
    assert 'name="day_count" type="number" value="3"' in settings
    assert 'value="Aalborg"' in settings


def test_a_night_the_page_cannot_find_is_shown_on_its_field(
    coordinator_client, roskilde_office, clinics, hotel
):
    response = coordinator_client.form_post(
        "/routes/", trip_form(night_3_place="Nowhere street 1, 9999 Nowhere")
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "The address was not found; give a town or coordinates." in html

    missing = coordinator_client.form_post("/routes/", trip_form(night_2_place=""))
    assert missing.status_code == 422
    assert "Give a town or the hotel's address." in missing.get_data(as_text=True)


def test_each_day_has_its_sheet_and_its_gpx(coordinator_client, roskilde_office, clinics, hotel):
    import xml.etree.ElementTree as ET  # noqa: S405 - parsing our own output in a test

    coordinator_client.form_post("/routes/", trip_form())
    plan = the_plan()
    coordinator_client.form_post(f"/routes/{plan.id}/optimise", {})
    plan = the_plan()

    second = coordinator_client.get(f"/routes/{plan.id}/sheet?day=2").get_data(as_text=True)
    assert "Day 2 of 3" in second and "Day 1 of 3" not in second
    assert "From Vesterbro 2, 9000 Aalborg to Aalborg" in second
    on_day_two = [r for r in plan.routes if r.day == 1]
    for route in on_day_two:
        for stop in route.stops:
            assert stop.clinic.name in second
    others = {s.clinic.name for r in plan.routes if r.day != 1 for s in r.stops}
    assert not any(f"<td>{name}" in second for name in others)
    every = coordinator_client.get(f"/routes/{plan.id}/sheet").get_data(as_text=True)
    assert all(f"Day {n} of 3" in every for n in (1, 2, 3))
    assert coordinator_client.get(f"/routes/{plan.id}/sheet?day=4").status_code == 404

    gpx = coordinator_client.get(f"/routes/{plan.id}/plan.gpx?day=3")
    assert gpx.status_code == 200
    assert "day-3" in gpx.headers["Content-Disposition"]
    ns = "{http://www.topografix.com/GPX/1/1}"
    routes = ET.fromstring(gpx.data).findall(f"{ns}rte")  # noqa: S314 - our own output
    assert len(routes) == len([r for r in plan.routes if r.day == 2])
    for rte in routes:
        points = rte.findall(f"{ns}rtept")
        assert points[0].find(f"{ns}name").text == "Aalborg"  # the night before
        assert points[-1].find(f"{ns}name").text == "Roskilde office"  # home
        assert float(points[-1].get("lat")) == pytest.approx(ROSKILDE["lat"])


def test_a_stop_moved_to_another_day_is_timed_on_that_day(coordinator, clinics, hotel):
    from outreach.routing import services

    plan = make_trip(coordinator, clinics, DAYS[0], nurses=1)
    by_day = {r.day: r for r in plan.routes}
    assert set(by_day) == {0, 1, 2}
    first = by_day[0]
    moved = first.stops[0].clinic_id
    services.move_stop_to_route(coordinator, plan, first.position, 0, by_day[2].position)

    routes = {r.day: r for r in plan.routes}
    assert set(routes) == {0, 1, 2}, "every day's drive stays, with or without stops"
    last = routes[2]
    assert last.stops[-1].clinic_id == moved
    assert last.stops[-1].arrival_at.astimezone(TZ).date() == DAYS[2]
    assert moved not in [s.clinic_id for s in routes[0].stops]


def test_a_day_whose_stops_are_all_taken_off_keeps_its_drive(coordinator, clinics, hotel):
    from outreach.routing import services
    from outreach.routing.services import NightInput

    hotel_night = NightInput(address=HOTEL_ADDRESS)
    plan = make_trip(coordinator, clinics, DAYS[0], nurses=1, first_night=hotel_night)
    second = next(r for r in plan.routes if r.day == 1)
    position, count = second.position, len(second.stops)
    assert count
    for _ in range(count):
        services.remove_stop(coordinator, plan, position, 0)

    kept = next(r for r in plan.routes if r.day == 1)
    assert kept.stops == [] and kept.distance_km > 0  # from the hotel to the town's centre
    assert {r.day for r in plan.routes} == {0, 1, 2}


def test_a_trip_of_seven_days_is_the_same_on_the_page_as_in_the_api(
    coordinator_client, roskilde_office, clinics, hotel
):
    """The page takes as many days as the API (7), so a long trip made by the API opens on
    its settings page whole, and re-saving it there keeps every day."""
    days = [DAYS[0] + timedelta(days=i) for i in range(7)]
    body = trip_body(
        [c.id for c in clinics[:3]],
        days=[{"date": d.isoformat(), "night": {"town": "Aalborg"}} for d in days[:-1]]
        + [{"date": days[-1].isoformat()}],
        shift={"start": "09:00", "end": "17:00"},
    )
    created = coordinator_client.post(URL, json=body)
    assert created.status_code == 201, created.get_data(as_text=True)
    plan_id = created.json["id"]

    settings = coordinator_client.get(f"/routes/{plan_id}/settings").get_data(as_text=True)
    assert 'name="day_count" type="number" value="7"' in settings
    assert 'max="7"' in settings
    assert 'data-trip-day="7"' in settings

    form = trip_form(day_count="7")
    for n in range(2, 8):
        form.update({f"night_{n}_office": "place", f"night_{n}_place": "Aalborg"})
    response = coordinator_client.form_post("/routes/", form)
    assert response.status_code == 303, response.get_data(as_text=True)
    listed = coordinator_client.get(URL, query_string={"date_from": days[6].isoformat()}).json
    trip = next(p for p in listed["items"] if p["id"] != plan_id)
    assert [d["date"] for d in trip["days"]] == [d.isoformat() for d in days]
