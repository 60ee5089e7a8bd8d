"""/api/v1/clinics: the binding create-or-replace contract of DESIGN.md §4, tenancy, roles,
filters, region derivation, geocoding and the one JSON error envelope."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from outreach.audit.models import AuditEvent
from outreach.auth.services import create_token, revoke_token
from outreach.clinics.models import Clinic
from outreach.db import db
from outreach.denmark import town_for_postcode
from outreach.geo import LocalGeocoder
from tests.conftest import assert_envelope

WEEK = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
REPRESENTATION_FIELDS = {
    "id",
    "name",
    "kind",
    "address",
    "postcode",
    "city",
    "lat",
    "lon",
    "region",
    "region_source",
    "opening_hours",
    "status",
    "source",
    "notes",
    "phone",
    "geocode_status",
    "created_at",
    "updated_at",
}


def url(clinic_id) -> str:
    return f"/api/v1/clinics/{clinic_id}"


def new_id() -> str:
    return str(uuid.uuid4())


def body(**overrides) -> dict:
    """A valid clinic as a phone would send it, with coordinates from the phone's GPS."""
    values = {
        "name": "Lotus Massage",
        "kind": "massage_clinic",
        "address": "Vestergade 3",
        "postcode": "8000",
        "city": "Aarhus C",
        "lat": 56.157,
        "lon": 10.204,
        "opening_hours": {"mon": [["10:00", "22:00"]], "sat": [["12:00", "18:00"]]},
        "status": "active",
        "notes": "Bell on the left.",
    }
    values.update(overrides)
    return values


def stored(clinic_id) -> Clinic | None:
    """The row as the database has it now (not a stale copy from the test's session)."""
    db.session.expire_all()
    return db.session.get(Clinic, uuid.UUID(str(clinic_id)))


def clinic_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Clinic))


def audit_count() -> int:
    return db.session.scalar(select(func.count()).select_from(AuditEvent))


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


# --- create-or-replace -------------------------------------------------------------------


def test_put_with_a_new_id_creates_the_clinic_and_answers_201_with_an_etag(coordinator_client):
    clinic_id = new_id()

    response = coordinator_client.put(url(clinic_id), json=body())

    assert response.status_code == 201
    assert response.headers["ETag"].startswith('"')
    assert response.json["id"] == clinic_id
    assert stored(clinic_id).name == "Lotus Massage"


def test_the_created_answer_is_the_stored_representation(coordinator_client):
    clinic_id = new_id()

    created = coordinator_client.put(url(clinic_id), json=body())
    read = coordinator_client.get(url(clinic_id))

    assert set(created.json) == REPRESENTATION_FIELDS
    assert created.json == read.json
    assert created.headers["ETag"] == read.headers["ETag"]


def test_the_representation_holds_what_was_sent(coordinator_client):
    clinic_id = new_id()

    answer = coordinator_client.put(url(clinic_id), json=body()).json

    assert answer["name"] == "Lotus Massage"
    assert answer["kind"] == "massage_clinic"
    assert (answer["address"], answer["postcode"], answer["city"]) == (
        "Vestergade 3",
        "8000",
        "Aarhus C",
    )
    assert (answer["lat"], answer["lon"]) == (56.157, 10.204)
    assert answer["opening_hours"]["mon"] == [["10:00", "22:00"]]
    assert answer["opening_hours"]["sun"] == []
    assert answer["notes"] == "Bell on the left."
    assert answer["geocode_status"] == "manual"


def test_resending_the_same_body_answers_200_and_changes_nothing(coordinator_client):
    clinic_id = new_id()
    first = coordinator_client.put(url(clinic_id), json=body())
    updated_at = stored(clinic_id).updated_at
    events = audit_count()

    again = coordinator_client.put(url(clinic_id), json=body())

    assert again.status_code == 200
    assert again.headers["ETag"] == first.headers["ETag"]
    assert again.json == first.json
    assert stored(clinic_id).updated_at == updated_at
    assert audit_count() == events


def test_resending_the_same_hours_in_another_order_changes_nothing(coordinator_client):
    clinic_id = new_id()
    hours = {"mon": [["18:00", "22:00"], ["10:00", "14:00"]], "tue": []}
    first = coordinator_client.put(url(clinic_id), json=body(opening_hours=hours))

    again = coordinator_client.put(
        url(clinic_id),
        json=body(opening_hours={"mon": [["10:00", "14:00"], ["18:00", "22:00"]]}),
    )

    assert again.status_code == 200
    assert again.headers["ETag"] == first.headers["ETag"]


def test_put_with_a_different_body_replaces_the_clinic(coordinator_client):
    clinic_id = new_id()
    first = coordinator_client.put(url(clinic_id), json=body())

    response = coordinator_client.put(url(clinic_id), json=body(name="Orchid Spa", kind="motel"))

    assert response.status_code == 200
    assert response.json["name"] == "Orchid Spa"
    assert response.headers["ETag"] != first.headers["ETag"]
    assert (stored(clinic_id).name, stored(clinic_id).kind) == ("Orchid Spa", "motel")


def test_replacing_clears_the_optional_fields_left_out(coordinator_client):
    clinic_id = new_id()
    coordinator_client.put(url(clinic_id), json=body())
    replacement = body()
    del replacement["notes"]

    response = coordinator_client.put(url(clinic_id), json=replacement)

    assert response.status_code == 200
    assert response.json["notes"] is None


def test_if_match_with_an_out_of_date_etag_answers_412_and_changes_nothing(coordinator_client):
    clinic_id = new_id()
    old_tag = coordinator_client.put(url(clinic_id), json=body()).headers["ETag"]
    coordinator_client.put(url(clinic_id), json=body(name="Changed by a colleague"))
    updated_at = stored(clinic_id).updated_at

    response = coordinator_client.put(
        url(clinic_id), json=body(name="My change"), headers={"If-Match": old_tag}
    )

    assert_envelope(response, 412)
    assert stored(clinic_id).name == "Changed by a colleague"
    assert stored(clinic_id).updated_at == updated_at


def test_if_match_with_the_current_etag_replaces(coordinator_client):
    clinic_id = new_id()
    tag = coordinator_client.put(url(clinic_id), json=body()).headers["ETag"]

    response = coordinator_client.put(
        url(clinic_id), json=body(name="My change"), headers={"If-Match": tag}
    )

    assert response.status_code == 200
    assert stored(clinic_id).name == "My change"


def test_if_match_on_an_id_that_does_not_exist_answers_412_and_creates_nothing(
    coordinator_client,
):
    clinic_id = new_id()

    response = coordinator_client.put(url(clinic_id), json=body(), headers={"If-Match": '"x"'})

    assert_envelope(response, 412)
    assert stored(clinic_id) is None


def test_the_etag_changes_when_the_clinic_changes(coordinator_client):
    clinic_id = new_id()
    first = coordinator_client.put(url(clinic_id), json=body()).headers["ETag"]

    second = coordinator_client.put(url(clinic_id), json=body(notes="Moved upstairs")).headers[
        "ETag"
    ]

    assert first != second


# --- validation ----------------------------------------------------------------------------


def _without(field):
    values = body()
    del values[field]
    return values


INVALID_BODIES = {
    "missing name": (_without("name"), "name"),
    "blank name": (body(name="   "), "name"),
    "null name": (body(name=None), "name"),
    "name too long": (body(name="x" * 201), "name"),
    "missing kind": (_without("kind"), "kind"),
    "unknown kind": (body(kind="sauna"), "kind"),
    "postcode of five digits": (body(postcode="80000"), "postcode"),
    "postcode of letters": (body(postcode="abcd"), "postcode"),
    "postcode in Greenland": (body(postcode="3900"), "postcode"),
    "postcode of three digits": (body(postcode="800"), "postcode"),
    "postcode as a number": (body(postcode=8000), "postcode"),
    "lat without lon": (body(lon=None), "lat"),
    "lon without lat": (body(lat=None), "lat"),
    "coordinates in Malmö": (body(lat=55.605, lon=13.0), "lat"),
    "coordinates swapped": (body(lat=10.204, lon=56.157), "lat"),
    "latitude beyond the pole": (body(lat=91.0), "lat"),
    "longitude of Greenland": (body(lat=64.18, lon=-51.72), "lat"),
    "latitude as text": (body(lat="north"), "lat"),
    "latitude as a boolean": (body(lat=True), "lat"),
    "unknown region": (body(region="jylland"), "region"),
    "unknown status": (body(status="open"), "status"),
    "hours ending before they start": (
        body(opening_hours={"mon": [["22:00", "10:00"]]}),
        "opening_hours",
    ),
    "hours on an unknown weekday": (
        body(opening_hours={"funday": [["10:00", "22:00"]]}),
        "opening_hours",
    ),
    "hours as text": (body(opening_hours={"mon": "10-22"}), "opening_hours"),
    "hours with a lone time": (body(opening_hours={"mon": [["10:00"]]}), "opening_hours"),
    "hours with an impossible time": (
        body(opening_hours={"mon": [["10:00", "25:00"]]}),
        "opening_hours",
    ),
    "overlapping hours": (
        body(opening_hours={"mon": [["10:00", "14:00"], ["13:00", "22:00"]]}),
        "opening_hours",
    ),
    "hours as a list": (body(opening_hours=[["10:00", "22:00"]]), "opening_hours"),
    "unknown field": (body(colour="red"), "colour"),
    "notes as a number": (body(notes=42), "notes"),
}


@pytest.mark.parametrize(("payload", "field"), INVALID_BODIES.values(), ids=INVALID_BODIES.keys())
def test_an_invalid_body_answers_422_naming_the_field_and_stores_nothing(
    coordinator_client, payload, field
):
    clinic_id = new_id()
    before = clinic_count()

    response = coordinator_client.put(url(clinic_id), json=payload)

    errors = assert_envelope(response, 422)["errors"]
    assert field in errors
    assert all(isinstance(m, str) for m in errors[field])
    assert clinic_count() == before


def test_an_invalid_body_leaves_an_existing_clinic_unchanged(coordinator_client):
    clinic_id = new_id()
    coordinator_client.put(url(clinic_id), json=body())

    response = coordinator_client.put(url(clinic_id), json=body(name="New", kind="sauna"))

    assert_envelope(response, 422)
    assert stored(clinic_id).name == "Lotus Massage"


def test_a_body_that_is_not_json_answers_422(coordinator_client):
    response = coordinator_client.put(
        url(new_id()), data="name=Lotus", content_type="application/x-www-form-urlencoded"
    )

    assert "errors" in assert_envelope(response, 422)


def test_malformed_json_answers_422(coordinator_client):
    before = clinic_count()

    response = coordinator_client.put(
        url(new_id()), data='{"name": "Lotus",', content_type="application/json"
    )

    assert "errors" in assert_envelope(response, 422)
    assert clinic_count() == before


def test_a_json_array_answers_422(coordinator_client):
    response = coordinator_client.put(url(new_id()), json=[body()])

    assert "errors" in assert_envelope(response, 422)


def test_postcode_and_text_fields_are_stored_trimmed(coordinator_client):
    clinic_id = new_id()

    answer = coordinator_client.put(
        url(clinic_id), json=body(name="  Lotus  ", postcode=" 8000 ", notes="  ")
    ).json

    assert (answer["name"], answer["postcode"], answer["notes"]) == ("Lotus", "8000", None)


# --- tenancy -------------------------------------------------------------------------------


def test_get_of_another_organisations_clinic_answers_404(coordinator_client, factory, other_org):
    theirs = factory.clinic(other_org, name="Their clinic")

    response = coordinator_client.get(url(theirs.id))

    payload = assert_envelope(response, 404)
    assert "Their clinic" not in response.get_data(as_text=True)
    assert "errors" not in payload


def test_put_to_another_organisations_clinic_answers_404_and_leaves_it_unchanged(
    coordinator_client, factory, other_org
):
    theirs = factory.clinic(other_org, name="Their clinic", notes="theirs")
    updated_at = stored(theirs.id).updated_at

    response = coordinator_client.put(url(theirs.id), json=body(name="Taken over"))

    assert_envelope(response, 404)
    row = stored(theirs.id)
    assert (row.name, row.notes, row.organisation_id) == ("Their clinic", "theirs", other_org.id)
    assert row.updated_at == updated_at


def test_put_to_another_organisations_clinic_with_if_match_also_answers_404(
    coordinator_client, factory, other_org
):
    theirs = factory.clinic(other_org)

    response = coordinator_client.put(url(theirs.id), json=body(), headers={"If-Match": '"x"'})

    assert_envelope(response, 404)


def test_the_list_shows_only_the_callers_organisation(coordinator_client, factory, org, other_org):
    factory.clinic(org, name="Ours")
    factory.clinic(other_org, name="Theirs")

    names = [c["name"] for c in coordinator_client.get("/api/v1/clinics").json["items"]]

    assert names == ["Ours"]


# --- reading -------------------------------------------------------------------------------


def test_get_answers_one_clinic_with_its_etag(coordinator_client, factory, org):
    clinic = factory.clinic(org, name="Lotus Massage")

    response = coordinator_client.get(url(clinic.id))

    assert response.status_code == 200
    assert response.json["name"] == "Lotus Massage"
    assert response.headers["ETag"].startswith('"')


def test_get_of_an_unknown_id_answers_404(coordinator_client):
    assert_envelope(coordinator_client.get(url(new_id())), 404)


def test_get_of_an_id_that_is_not_a_uuid_answers_404(coordinator_client):
    assert_envelope(coordinator_client.get(url("not-a-uuid")), 404)


def test_a_nurse_reads_clinics(nurse_client, factory, org):
    clinic = factory.clinic(org)

    assert nurse_client.get(url(clinic.id)).status_code == 200


# --- listing -------------------------------------------------------------------------------


def list_names(client, **params) -> list[str]:
    response = client.get("/api/v1/clinics", query_string=params)
    assert response.status_code == 200, response.get_data(as_text=True)
    return [c["name"] for c in response.json["items"]]


def test_the_list_is_sorted_by_name(coordinator_client, factory, org):
    for name in ("Orchid", "Bamboo", "Lotus"):
        factory.clinic(org, name=name)

    assert list_names(coordinator_client) == ["Bamboo", "Lotus", "Orchid"]


def test_the_list_filters_by_region(coordinator_client, factory, org):
    factory.clinic(org, name="Aarhus", region_slug="midtjylland")
    factory.clinic(
        org, name="Aalborg", region_slug="nordjylland", postcode="9000", lat=57.05, lon=9.92
    )

    assert list_names(coordinator_client, region="nordjylland") == ["Aalborg"]


def test_the_list_filters_by_kind(coordinator_client, factory, org):
    factory.clinic(org, name="Clinic", kind="massage_clinic")
    factory.clinic(org, name="Flat", kind="apartment")

    assert list_names(coordinator_client, kind="apartment") == ["Flat"]


def test_the_list_filters_by_status(coordinator_client, factory, org):
    factory.clinic(org, name="Open", status="active")
    factory.clinic(org, name="Gone", status="closed")

    assert list_names(coordinator_client, status="closed") == ["Gone"]


def test_the_list_searches_name_address_and_city_ignoring_case(coordinator_client, factory, org):
    factory.clinic(org, name="Lotus Massage", address="Algade 1", city="Aalborg")
    factory.clinic(org, name="Orchid", address="Lotusvej 2", city="Aarhus C")
    factory.clinic(org, name="Bamboo", address="Algade 2", city="Lotustrup")
    factory.clinic(org, name="Silk", address="Algade 3", city="Aalborg")

    assert list_names(coordinator_client, q="LOTUS") == ["Bamboo", "Lotus Massage", "Orchid"]


def test_the_search_treats_wildcards_literally(coordinator_client, factory, org):
    factory.clinic(org, name="100% Relax")
    factory.clinic(org, name="Relax")

    assert list_names(coordinator_client, q="0%") == ["100% Relax"]
    assert list_names(coordinator_client, q="_") == []


def test_the_list_filters_clinics_not_visited_since_a_date(coordinator_client, factory, org):
    recent = factory.clinic(org, name="Visited recently")
    long_ago = factory.clinic(org, name="Visited long ago")
    factory.clinic(org, name="Never visited")
    factory.visit(recent, datetime(2026, 3, 10, 12, tzinfo=UTC))
    factory.visit(long_ago, datetime(2025, 6, 1, 12, tzinfo=UTC))

    assert list_names(coordinator_client, not_visited_since="2026-01-01") == [
        "Never visited",
        "Visited long ago",
    ]


def test_not_visited_since_counts_a_visit_on_that_day_in_copenhagen_time(
    coordinator_client, factory, org
):
    clinic = factory.clinic(org, name="Visited just after local midnight")
    # 00:30 in Copenhagen on 1 January is 23:30 UTC on 31 December.
    factory.visit(clinic, datetime(2025, 12, 31, 23, 30, tzinfo=UTC))

    assert list_names(coordinator_client, not_visited_since="2026-01-01") == []


def test_the_list_filters_clinics_updated_since_a_time(coordinator_client, factory, org):
    now = datetime.now(UTC)
    factory.clinic(org, name="Old", updated_at=now - timedelta(days=10))
    factory.clinic(org, name="New", updated_at=now)

    since = (now - timedelta(days=1)).isoformat()

    assert list_names(coordinator_client, updated_since=since) == ["New"]


def test_the_list_pages_with_a_total(coordinator_client, factory, org):
    for n in range(5):
        factory.clinic(org, name=f"Clinic {n}")

    response = coordinator_client.get("/api/v1/clinics", query_string={"page": 2, "per_page": 2})

    assert response.json["page"] == 2
    assert response.json["per_page"] == 2
    assert response.json["total"] == 5
    assert [c["name"] for c in response.json["items"]] == ["Clinic 2", "Clinic 3"]


def test_the_total_counts_the_filtered_clinics(coordinator_client, factory, org):
    factory.clinic(org, kind="apartment")
    factory.clinic(org, kind="massage_clinic")

    response = coordinator_client.get("/api/v1/clinics", query_string={"kind": "apartment"})

    assert response.json["total"] == 1


def test_a_page_past_the_end_is_empty(coordinator_client, factory, org):
    factory.clinic(org)

    response = coordinator_client.get("/api/v1/clinics", query_string={"page": 9})

    assert response.json["items"] == []
    assert response.json["total"] == 1


def test_list_items_are_the_same_representation_as_get(coordinator_client, factory, org):
    clinic = factory.clinic(org)

    item = coordinator_client.get("/api/v1/clinics").json["items"][0]

    assert item == coordinator_client.get(url(clinic.id)).json


BAD_FILTERS = {
    "unknown region": {"region": "jylland"},
    "unknown kind": {"kind": "sauna"},
    "unknown status": {"status": "open"},
    "date that is not a date": {"not_visited_since": "yesterday"},
    "time without an offset": {"updated_since": "2026-01-01T00:00:00"},
    "time that is not a time": {"updated_since": "soon"},
    "page zero": {"page": 0},
    "page past any database offset": {"page": 1135316011842060672},
    "page that is not a number": {"page": "two"},
    "too many per page": {"per_page": 5000},
    "search too long": {"q": "x" * 101},
}


@pytest.mark.parametrize("params", BAD_FILTERS.values(), ids=BAD_FILTERS.keys())
def test_a_bad_filter_value_answers_422_naming_it(coordinator_client, params):
    response = coordinator_client.get("/api/v1/clinics", query_string=params)

    errors = assert_envelope(response, 422)["errors"]
    assert set(params) <= set(errors)


# --- roles ---------------------------------------------------------------------------------


def test_a_nurse_creates_a_clinic(nurse_client):
    assert nurse_client.put(url(new_id()), json=body()).status_code == 201


def test_a_nurse_updates_a_clinic(nurse_client):
    clinic_id = new_id()
    nurse_client.put(url(clinic_id), json=body())

    response = nurse_client.put(url(clinic_id), json=body(opening_hours={"sun": []}))

    assert response.status_code == 200
    assert stored(clinic_id).opening_hours["mon"] == []


def test_a_nurse_may_not_close_a_clinic(nurse_client):
    clinic_id = new_id()
    nurse_client.put(url(clinic_id), json=body())

    response = nurse_client.put(url(clinic_id), json=body(status="closed"))

    assert_envelope(response, 403)
    assert stored(clinic_id).status == "active"


def test_a_nurse_may_not_create_a_clinic_as_closed(nurse_client):
    clinic_id = new_id()

    assert_envelope(nurse_client.put(url(clinic_id), json=body(status="closed")), 403)
    assert stored(clinic_id) is None


def test_a_coordinator_closes_a_clinic(coordinator_client):
    clinic_id = new_id()
    coordinator_client.put(url(clinic_id), json=body())

    response = coordinator_client.put(url(clinic_id), json=body(status="closed"))

    assert response.json["status"] == "closed"
    assert stored(clinic_id).closed_at is not None


def test_a_nurse_may_edit_a_clinic_that_is_already_closed(nurse_client, factory, org):
    clinic = factory.clinic(org, status="closed")

    response = nurse_client.put(url(clinic.id), json=body(status="closed", notes="Still closed"))

    assert response.status_code == 200


# --- region --------------------------------------------------------------------------------


def test_the_region_is_derived_from_the_postcode(coordinator_client):
    answer = coordinator_client.put(url(new_id()), json=body()).json

    assert (answer["region"], answer["region_source"]) == ("midtjylland", "postcode")


def test_the_region_follows_the_postcode_exceptions(coordinator_client):
    answer = coordinator_client.put(
        url(new_id()),
        json=body(address=None, postcode="7700", city="Thisted", lat=None, lon=None),
    ).json

    assert (answer["region"], answer["region_source"]) == ("nordjylland", "postcode")


def test_the_region_is_derived_from_the_coordinates_without_a_postcode(coordinator_client):
    answer = coordinator_client.put(
        url(new_id()), json=body(address=None, postcode=None, city=None, lat=57.05, lon=9.92)
    ).json

    assert (answer["region"], answer["region_source"]) == ("nordjylland", "coordinates")


def test_a_region_given_by_the_client_overrides_the_derived_one(coordinator_client):
    answer = coordinator_client.put(url(new_id()), json=body(region="syddanmark")).json

    assert (answer["region"], answer["region_source"]) == ("syddanmark", "manual")


def test_without_postcode_or_coordinates_the_region_is_unknown(coordinator_client):
    answer = coordinator_client.put(
        url(new_id()), json=body(address=None, postcode=None, city=None, lat=None, lon=None)
    ).json

    assert (answer["region"], answer["region_source"]) == (None, None)


def test_a_new_postcode_moves_the_clinic_to_its_region(coordinator_client):
    clinic_id = new_id()
    coordinator_client.put(url(clinic_id), json=body())

    answer = coordinator_client.put(
        url(clinic_id),
        json=body(address="Algade 10", postcode="9000", city="Aalborg", lat=57.048, lon=9.919),
    ).json

    assert answer["region"] == "nordjylland"


def test_dropping_a_manual_region_derives_it_again(coordinator_client):
    clinic_id = new_id()
    coordinator_client.put(url(clinic_id), json=body(region="syddanmark"))

    answer = coordinator_client.put(url(clinic_id), json=body()).json

    assert (answer["region"], answer["region_source"]) == ("midtjylland", "postcode")


# --- geocoding -----------------------------------------------------------------------------


def test_an_address_without_coordinates_is_geocoded(coordinator_client):
    answer = coordinator_client.put(url(new_id()), json=body(lat=None, lon=None)).json

    assert (answer["lat"], answer["lon"]) == (56.1570, 10.2040)
    assert answer["geocode_status"] == "geocoded"


def test_coordinates_from_the_phone_are_kept_and_not_looked_up(app, coordinator_client):
    answer = coordinator_client.put(url(new_id()), json=body(lat=56.16, lon=10.21)).json

    assert (answer["lat"], answer["lon"], answer["geocode_status"]) == (56.16, 10.21, "manual")
    assert app.extensions["geocoder"].calls == []


def test_an_unknown_address_is_saved_as_not_found(coordinator_client):
    answer = coordinator_client.put(
        url(new_id()), json=body(address="Nowhere 1", lat=None, lon=None)
    ).json

    assert (answer["lat"], answer["lon"]) == (None, None)
    assert answer["geocode_status"] == "not_found"


def test_an_unreachable_geocoder_puts_the_clinic_at_its_town_until_it_is_looked_up(
    app, coordinator_client
):
    # A clinic created at the door without a position, synced while the geocoder is away
    # (or on a machine without internet): on the map and in routing at its town's centre.
    app.extensions["geocoder"] = LocalGeocoder(available=False)
    clinic_id = new_id()

    response = coordinator_client.put(url(clinic_id), json=body(lat=None, lon=None))

    assert response.status_code == 201
    aarhus = town_for_postcode("8000")
    assert response.json["geocode_status"] == "town"
    assert (response.json["lat"], response.json["lon"]) == (aarhus.lat, aarhus.lon)
    assert response.json["region"] == "midtjylland"
    assert stored(clinic_id).geocode_status == "town"


def test_the_town_is_found_by_its_name_when_the_postcode_is_not_a_known_town(
    app, coordinator_client
):
    app.extensions["geocoder"] = LocalGeocoder(available=False)

    answer = coordinator_client.put(
        url(new_id()), json=body(lat=None, lon=None, postcode="8210", city="Aarhus V")
    ).json

    aarhus = town_for_postcode("8000")
    assert answer["geocode_status"] == "town"
    assert (answer["lat"], answer["lon"]) == (aarhus.lat, aarhus.lon)


def test_an_unreachable_geocoder_and_no_known_town_leaves_the_clinic_pending(
    app, coordinator_client
):
    app.extensions["geocoder"] = LocalGeocoder(available=False)

    answer = coordinator_client.put(
        url(new_id()), json=body(lat=None, lon=None, postcode=None, city=None)
    ).json

    assert answer["geocode_status"] == "pending"
    assert (answer["lat"], answer["lon"]) == (None, None)


def test_a_resend_of_a_clinic_placed_at_its_town_changes_nothing(app, coordinator_client):
    app.extensions["geocoder"] = LocalGeocoder(available=False)
    clinic_id = new_id()
    first = coordinator_client.put(url(clinic_id), json=body(lat=None, lon=None))

    again = coordinator_client.put(url(clinic_id), json=body(lat=None, lon=None))

    assert again.status_code == 200
    assert again.headers["ETag"] == first.headers["ETag"]


def test_a_resend_after_geocoding_keeps_the_coordinates_and_changes_nothing(coordinator_client):
    clinic_id = new_id()
    first = coordinator_client.put(url(clinic_id), json=body(lat=None, lon=None))

    again = coordinator_client.put(url(clinic_id), json=body(lat=None, lon=None))

    assert again.status_code == 200
    assert (again.json["lat"], again.json["lon"]) == (56.1570, 10.2040)
    assert again.headers["ETag"] == first.headers["ETag"]


def test_a_change_that_keeps_the_address_keeps_the_geocoded_coordinates(coordinator_client):
    clinic_id = new_id()
    coordinator_client.put(url(clinic_id), json=body(lat=None, lon=None))

    answer = coordinator_client.put(url(clinic_id), json=body(lat=None, lon=None, notes="x")).json

    assert (answer["lat"], answer["lon"], answer["geocode_status"]) == (
        56.1570,
        10.2040,
        "geocoded",
    )


def test_a_new_address_is_geocoded_again(coordinator_client):
    clinic_id = new_id()
    coordinator_client.put(url(clinic_id), json=body(lat=None, lon=None))

    answer = coordinator_client.put(
        url(clinic_id),
        json=body(address="Algade 10", postcode="9000", city="Aalborg", lat=None, lon=None),
    ).json

    assert (answer["lat"], answer["lon"]) == (57.0480, 9.9190)
    assert answer["region"] == "nordjylland"


def test_a_clinic_without_address_or_postcode_is_not_geocoded(app, coordinator_client):
    answer = coordinator_client.put(
        url(new_id()), json=body(address=None, postcode=None, city="Aarhus", lat=None, lon=None)
    ).json

    assert answer["geocode_status"] == "none"
    assert app.extensions["geocoder"].calls == []


# --- authentication ------------------------------------------------------------------------


def test_a_bearer_token_writes_without_a_csrf_token(app, factory, org):
    _, token = create_token(factory.user(org, "nurse"), "script")

    response = app.test_client().put(url(new_id()), json=body(), headers=bearer(token))

    assert response.status_code == 201


def test_a_bearer_token_acts_in_its_users_organisation(app, factory, org, other_org):
    theirs = factory.clinic(other_org)
    _, token = create_token(factory.user(org, "coordinator"))

    response = app.test_client().get(url(theirs.id), headers=bearer(token))

    assert_envelope(response, 404)


def test_a_bearer_token_acts_with_its_users_role(app, factory, org):
    clinic = factory.clinic(org)
    _, token = create_token(factory.user(org, "nurse"))

    response = app.test_client().put(
        url(clinic.id), json=body(status="closed"), headers=bearer(token)
    )

    assert_envelope(response, 403)


def test_a_revoked_token_answers_401(app, factory, org):
    user = factory.user(org, "admin")
    record, token = create_token(user)
    revoke_token(record, actor=user)

    assert_envelope(app.test_client().get("/api/v1/clinics", headers=bearer(token)), 401)


def test_an_unknown_token_answers_401(client):
    response = client.get("/api/v1/clinics", headers=bearer("otk_not-a-real-token"))

    assert_envelope(response, 401)
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_no_credentials_answers_401(client):
    assert_envelope(client.get("/api/v1/clinics"), 401)


def test_a_write_without_credentials_answers_401_and_stores_nothing(client):
    clinic_id = new_id()

    assert_envelope(client.put(url(clinic_id), json=body()), 401)
    assert stored(clinic_id) is None


def test_a_session_write_without_the_csrf_token_is_refused(nurse_client):
    clinic_id = new_id()

    response = nurse_client.client.put(url(clinic_id), json=body())

    assert_envelope(response, 400)
    assert stored(clinic_id) is None


def test_a_bearer_token_is_judged_alone_even_with_a_session_cookie(nurse_client):
    response = nurse_client.get("/api/v1/clinics", headers=bearer("otk_wrong"))

    assert_envelope(response, 401)


# --- the error envelope --------------------------------------------------------------------


def test_a_method_the_resource_does_not_have_answers_405_in_the_envelope(coordinator_client):
    assert_envelope(coordinator_client.delete(url(new_id())), 405)


def test_a_405_answer_lists_the_allowed_methods(coordinator_client):
    response = coordinator_client.delete(url(new_id()))

    assert {"GET", "PUT"} <= {m.strip() for m in response.headers["Allow"].split(",")}


def test_an_unknown_api_path_answers_404_in_the_envelope(coordinator_client):
    assert_envelope(coordinator_client.get("/api/v1/nothing-here"), 404)


def test_an_unexpected_failure_answers_500_in_the_envelope_without_details(
    coordinator_client, monkeypatch
):
    from outreach.clinics import services

    def explode(*args, **kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(services, "put_clinic", explode)

    response = coordinator_client.put(url(new_id()), json=body())

    assert_envelope(response, 500)
    assert "secret internals" not in response.get_data(as_text=True)
