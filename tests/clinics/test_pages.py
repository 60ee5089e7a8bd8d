"""The clinic registry pages: list filters and map markers, detail, create/edit, close."""

import html
import re
import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from outreach.audit.models import AuditEvent
from outreach.clinics.models import Clinic
from outreach.db import db
from outreach.geo import LocalGeocoder

WEEK = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def text(response) -> str:
    return response.get_data(as_text=True)


def listed_names(response) -> set[str]:
    """The clinic names in the list's table (links to the detail pages)."""
    return set(re.findall(r'<td class="clinic-name"><a href="[^"]+">([^<]+)</a>', text(response)))


def form_data(**overrides) -> dict:
    """A valid clinic form as a browser would send it."""
    data = {
        "name": "Lotus Massage",
        "kind": "massage_clinic",
        "address": "Vestergade 3",
        "postcode": "8000",
        "city": "Aarhus C",
        "lat": "56.157",
        "lon": "10.204",
        "region": "",
        "status": "active",
        "notes": "",
        **{f"hours_{day}": "10:00-22:00" for day in WEEK},
    }
    data.update(overrides)
    return data


def clinic_count(org) -> int:
    return db.session.scalar(
        select(func.count()).select_from(Clinic).where(Clinic.organisation_id == org.id)
    )


# The list


def test_the_region_filter_lists_only_clinics_of_that_region(coordinator_client, factory, org):
    factory.clinic(org, name="Aarhus Thai", region_slug="midtjylland")
    factory.clinic(org, name="Aalborg Spa", region_slug="nordjylland", postcode="9000")

    response = coordinator_client.get("/clinics/?region=nordjylland")

    assert listed_names(response) == {"Aalborg Spa"}


def test_the_kind_filter_lists_only_clinics_of_that_kind(coordinator_client, factory, org):
    factory.clinic(org, name="Lotus", kind="massage_clinic")
    factory.clinic(org, name="Flat 2 th", kind="apartment")

    response = coordinator_client.get("/clinics/?kind=apartment")

    assert listed_names(response) == {"Flat 2 th"}


def test_the_status_filter_lists_only_clinics_with_that_status(nurse_client, factory, org):
    factory.clinic(org, name="Open One", status="active")
    factory.clinic(org, name="Shut One", status="closed")

    response = nurse_client.get("/clinics/?status=closed")

    assert listed_names(response) == {"Shut One"}


def test_the_search_finds_clinics_by_name_address_town_or_postcode(
    coordinator_client, factory, org
):
    factory.clinic(
        org, name="Orchid Wellness", address="Algade 10", city="Aalborg", postcode="9000"
    )
    factory.clinic(org, name="Bamboo Spa", address="Vestergade 3", city="Aarhus C")

    assert listed_names(coordinator_client.get("/clinics/?q=orchid")) == {"Orchid Wellness"}
    assert listed_names(coordinator_client.get("/clinics/?q=ALGADE")) == {"Orchid Wellness"}
    assert listed_names(coordinator_client.get("/clinics/?q=aarhus")) == {"Bamboo Spa"}
    assert listed_names(coordinator_client.get("/clinics/?q=9000")) == {"Orchid Wellness"}


def test_not_visited_since_lists_clinics_never_visited_or_visited_before_that_date(
    coordinator_client, factory, org
):
    recent = factory.clinic(org, name="Visited in June")
    old = factory.clinic(org, name="Visited in January")
    factory.clinic(org, name="Never visited")
    factory.visit(recent, datetime(2026, 6, 10, 12, tzinfo=UTC))
    factory.visit(old, datetime(2026, 1, 10, 12, tzinfo=UTC))

    response = coordinator_client.get("/clinics/?not_visited_since=2026-03-01")

    assert listed_names(response) == {"Visited in January", "Never visited"}


def test_a_malformed_date_filter_is_named_and_filters_nothing(coordinator_client, factory, org):
    factory.clinic(org, name="Lotus")

    response = coordinator_client.get("/clinics/?not_visited_since=1st+of+May")

    assert response.status_code == 200
    assert listed_names(response) == {"Lotus"}
    assert 'class="error"' in text(response)


def test_a_region_the_organisation_does_not_cover_is_not_offered_as_a_filter(
    coordinator_client, org
):
    response = coordinator_client.get("/clinics/")

    assert 'value="midtjylland"' in text(response)
    assert 'value="syddanmark"' not in text(response)


def test_the_list_is_paginated_and_the_page_links_keep_the_filters(
    coordinator_client, factory, org
):
    for n in range(55):
        factory.clinic(org, name=f"Apartment {n:02d}", kind="apartment")
    factory.clinic(org, name="Not an apartment")

    first = coordinator_client.get("/clinics/?kind=apartment")
    second = coordinator_client.get("/clinics/?kind=apartment&page=2")

    assert len(listed_names(first)) == 50
    assert listed_names(second) == {f"Apartment {n:02d}" for n in range(50, 55)}
    assert "page=2" in text(first) and "kind=apartment" in text(first).split('rel="next"')[1][:200]


@pytest.mark.parametrize("page", ["7", "99999999999999999999", "-3", "two"])
def test_a_page_number_out_of_range_shows_a_page_that_exists(
    coordinator_client, factory, org, page
):
    factory.clinic(org, name="Lotus")

    response = coordinator_client.get(f"/clinics/?page={page}")

    assert response.status_code == 200
    assert listed_names(response) == {"Lotus"}


def test_each_row_links_to_the_clinic_detail_page(coordinator_client, factory, org):
    clinic = factory.clinic(org, name="Lotus")

    response = coordinator_client.get("/clinics/")

    assert f'href="/clinics/{clinic.id}"' in text(response)


def test_another_organisations_clinic_is_never_listed(coordinator_client, factory, org, other_org):
    factory.clinic(org, name="Ours")
    factory.clinic(other_org, name="Theirs", region_slug="syddanmark", postcode="5000")

    assert listed_names(coordinator_client.get("/clinics/")) == {"Ours"}
    assert listed_names(coordinator_client.get("/clinics/?q=theirs")) == set()


# The map's markers


def test_the_markers_follow_the_same_filters_as_the_list(coordinator_client, factory, org):
    factory.clinic(org, name="North", region_slug="nordjylland", lat=57.048, lon=9.919)
    factory.clinic(org, name="Middle", region_slug="midtjylland")

    response = coordinator_client.get("/clinics/markers.json?region=nordjylland")

    assert response.status_code == 200
    assert [m["name"] for m in response.json["markers"]] == ["North"]
    assert response.json["markers"][0]["lat"] == pytest.approx(57.048)


def test_the_list_page_points_the_map_at_markers_with_the_same_filters(coordinator_client):
    response = coordinator_client.get("/clinics/?region=nordjylland&kind=apartment")

    assert 'data-markers-url="/clinics/markers.json?region=nordjylland&amp;kind=apartment"' in text(
        response
    )


def test_clinics_without_coordinates_are_counted_but_not_put_on_the_map(
    coordinator_client, factory, org
):
    factory.clinic(org, name="Located")
    factory.clinic(org, name="Nowhere", lat=None, lon=None, geocode_status="pending")

    response = coordinator_client.get("/clinics/markers.json")

    assert [m["name"] for m in response.json["markers"]] == ["Located"]
    assert response.json["without_coordinates"] == 1


def test_another_organisations_clinics_are_never_markers(
    coordinator_client, factory, org, other_org
):
    factory.clinic(other_org, name="Theirs", region_slug="syddanmark")

    assert coordinator_client.get("/clinics/markers.json").json["markers"] == []


def test_the_markers_need_a_login(client):
    assert client.get("/clinics/markers.json").status_code == 302


# The detail page


def test_the_detail_page_shows_address_region_source_hours_and_status(
    coordinator_client, factory, org
):
    clinic = factory.clinic(
        org,
        name="Lotus",
        address="Vestergade 3",
        postcode="8000",
        city="Aarhus C",
        opening_hours={"mon": [["10:00", "14:00"], ["16:00", "22:00"]], "sun": []},
    )

    page = text(coordinator_client.get(f"/clinics/{clinic.id}"))

    assert "Vestergade 3" in page and "8000 Aarhus C" in page
    assert "Region Midtjylland" in page and "derived from the postcode" in page
    assert "10:00–14:00, 16:00–22:00" in page
    assert "badge-active" in page


def test_the_detail_page_lists_the_last_visits_newest_first(coordinator_client, factory, org):
    clinic = factory.clinic(org)
    factory.visit(clinic, datetime(2026, 2, 1, 11, tzinfo=UTC), concern_level="green")
    factory.visit(
        clinic,
        datetime(2026, 5, 1, 11, tzinfo=UTC),
        outcome="not_admitted",
        not_admitted_reason="no_answer",
    )

    page = text(coordinator_client.get(f"/clinics/{clinic.id}"))

    assert page.index("Not admitted: No answer") < page.index("Admitted")
    assert "concern-green" in page


def test_the_detail_page_says_when_the_address_is_not_geocoded_yet(
    coordinator_client, factory, org
):
    clinic = factory.clinic(org, lat=None, lon=None, geocode_status="pending")

    page = text(coordinator_client.get(f"/clinics/{clinic.id}"))

    assert "Not geocoded yet (retried automatically)" in page


def test_another_organisations_clinic_detail_answers_404(coordinator_client, factory, other_org):
    theirs = factory.clinic(other_org, region_slug="syddanmark")

    assert coordinator_client.get(f"/clinics/{theirs.id}").status_code == 404


def test_a_nurse_sees_no_close_button(nurse_client, factory, org):
    clinic = factory.clinic(org)

    page = text(nurse_client.get(f"/clinics/{clinic.id}"))

    assert f"/clinics/{clinic.id}/close" not in page
    assert f"/clinics/{clinic.id}/edit" in page


# Creating and editing


def test_a_nurse_creates_a_clinic_with_the_form(nurse_client, org):
    form_page = nurse_client.get("/clinics/new")
    clinic_id = re.search(r'name="clinic_id" type="hidden" value="([^"]+)"', text(form_page))[1]

    response = nurse_client.form_post("/clinics/new", form_data(clinic_id=clinic_id))

    assert response.status_code == 302
    clinic = db.session.get(Clinic, uuid.UUID(clinic_id))
    assert response.headers["Location"] == f"/clinics/{clinic_id}"
    assert (clinic.name, clinic.organisation_id, clinic.source) == (
        "Lotus Massage",
        org.id,
        "registry",
    )
    assert (clinic.region_slug, clinic.geocode_status) == ("midtjylland", "manual")


def test_submitting_the_new_clinic_form_twice_creates_one_clinic(nurse_client, org):
    data = form_data(clinic_id=str(uuid.uuid4()))

    nurse_client.form_post("/clinics/new", data)
    nurse_client.form_post("/clinics/new", data)

    assert clinic_count(org) == 1


def test_opening_hours_with_several_intervals_and_a_closed_day_round_trip(
    coordinator_client, factory, org
):
    clinic = factory.clinic(org)
    edit_page = text(coordinator_client.get(f"/clinics/{clinic.id}/edit"))
    version = html.unescape(
        re.search(r'name="version" type="hidden" value="([^"]+)"', edit_page)[1]
    )

    response = coordinator_client.form_post(
        f"/clinics/{clinic.id}/edit",
        form_data(
            version=version,
            lat="",
            lon="",
            hours_mon="16:00-22:00, 10:00-14:00",
            hours_wed="9.30 – 13",
            hours_sun="",
            hours_sat="closed",
        ),
    )

    assert response.status_code == 302
    db.session.refresh(clinic)
    assert clinic.opening_hours["mon"] == [["10:00", "14:00"], ["16:00", "22:00"]]
    assert clinic.opening_hours["wed"] == [["09:30", "13:00"]]
    assert clinic.opening_hours["sat"] == [] and clinic.opening_hours["sun"] == []
    again = text(coordinator_client.get(f"/clinics/{clinic.id}/edit"))
    assert re.search(r'name="hours_mon"[^>]*value="10:00-14:00, 16:00-22:00"', again)
    assert re.search(r'name="hours_sat"[^>]*value=""', again)


def test_ticking_hours_not_known_stores_no_opening_hours(coordinator_client, factory, org):
    clinic = factory.clinic(org)

    coordinator_client.form_post(
        f"/clinics/{clinic.id}/edit",
        form_data(hours_unknown="y", hours_mon="this is ignored"),
    )

    db.session.refresh(clinic)
    assert clinic.opening_hours is None


@pytest.mark.parametrize(
    ("bad", "field", "message"),
    [
        ({"name": ""}, "name", "This field is required."),
        ({"postcode": "12345"}, "postcode", "Not a postcode of a Danish region"),
        ({"lat": "north"}, "lat", "Write a number such as 56.1572."),
        ({"lon": ""}, "lat", "Give both latitude and longitude, or neither."),
        ({"lat": "10.204", "lon": "56.157"}, "lat", "outside Denmark"),
        ({"hours_tue": "10 til 14"}, "hours_tue", "Write the hours like 10:00-14:00"),
        ({"hours_wed": "10:00-14:00, 12:00-16:00"}, "hours_wed", "The intervals overlap."),
        # 22:00-10:00 runs past midnight (test_overnight_hours_...); an empty interval does not.
        ({"hours_thu": "10:00-10:00"}, "hours_thu", "ends before it starts"),
        ({"kind": "castle"}, "kind", "Not a valid choice"),
    ],
)
def test_bad_input_on_a_new_clinic_names_the_field_and_stores_nothing(
    nurse_client, org, bad, field, message
):
    response = nurse_client.form_post("/clinics/new", form_data(**bad))

    assert response.status_code == 422
    page = text(response)
    error_block = page.split(f'name="{field}"', 1)[1][:600]
    assert message in error_block
    assert clinic_count(org) == 0


def test_bad_input_keeps_everything_that_was_typed(nurse_client, org):
    response = nurse_client.form_post(
        "/clinics/new",
        form_data(name="Siam Spa", postcode="99999", notes="Back door", hours_fri="10-14,16-2x"),
    )

    page = text(response)
    assert 'value="Siam Spa"' in page
    assert 'value="99999"' in page
    assert "Back door</textarea>" in page
    assert 'value="10-14,16-2x"' in page


def test_bad_input_on_an_existing_clinic_changes_nothing(coordinator_client, factory, org):
    clinic = factory.clinic(org, name="Lotus")

    response = coordinator_client.form_post(
        f"/clinics/{clinic.id}/edit", form_data(name="Renamed", postcode="1")
    )

    assert response.status_code == 422
    db.session.refresh(clinic)
    assert clinic.name == "Lotus"


def test_saving_over_someone_elses_change_is_refused_and_keeps_the_typed_values(
    coordinator_client, factory, org
):
    clinic = factory.clinic(org, name="Lotus")
    stale = '"' + "0" * 32 + '"'

    response = coordinator_client.form_post(
        f"/clinics/{clinic.id}/edit", form_data(name="Lotus Spa", version=stale)
    )

    assert response.status_code == 409
    assert "Someone else saved this clinic" in text(response)
    assert 'value="Lotus Spa"' in text(response)
    db.session.refresh(clinic)
    assert clinic.name == "Lotus"


def test_editing_keeps_looked_up_coordinates_and_the_source(coordinator_client, factory, org):
    clinic = factory.clinic(org, geocode_status="geocoded", source="import")

    edit_page = text(coordinator_client.get(f"/clinics/{clinic.id}/edit"))
    assert re.search(r'name="lat"[^>]*value=""', edit_page)
    coordinator_client.form_post(
        f"/clinics/{clinic.id}/edit", form_data(lat="", lon="", notes="Bell on the left")
    )

    db.session.refresh(clinic)
    assert (clinic.lat, clinic.lon) == (56.157, 10.204)
    assert (clinic.geocode_status, clinic.source) == ("geocoded", "import")


def test_a_clinic_saved_while_the_geocoder_is_down_stands_at_its_town_for_now(
    app, coordinator_client, org
):
    app.extensions["geocoder"] = LocalGeocoder(available=False)
    clinic_id = str(uuid.uuid4())

    response = coordinator_client.form_post(
        "/clinics/new", form_data(clinic_id=clinic_id, lat="", lon="", address="Nygade 1")
    )
    assert response.status_code == 302
    saved = text(coordinator_client.get(response.headers["Location"]))
    assert "stands at the centre of its town" in saved

    page = text(coordinator_client.get(f"/clinics/{clinic_id}"))
    assert "Town centre for now (the address is looked up again automatically)" in page
    clinic = db.session.get(Clinic, uuid.UUID(clinic_id))
    assert clinic.geocode_status == "town"
    assert clinic.lat is not None
    edit = text(coordinator_client.get(f"/clinics/{clinic_id}/edit"))
    assert "Found from the address" not in edit


def test_a_clinic_saved_while_the_geocoder_is_down_without_a_town_is_not_geocoded_yet(
    app, coordinator_client, org
):
    app.extensions["geocoder"] = LocalGeocoder(available=False)
    clinic_id = str(uuid.uuid4())

    response = coordinator_client.form_post(
        "/clinics/new",
        form_data(clinic_id=clinic_id, lat="", lon="", address="Nygade 1", postcode="", city=""),
    )
    assert response.status_code == 302

    page = text(coordinator_client.get(f"/clinics/{clinic_id}"))
    assert "Not geocoded yet (retried automatically)" in page
    assert db.session.get(Clinic, uuid.UUID(clinic_id)).geocode_status == "pending"


def test_another_organisations_clinic_cannot_be_edited(coordinator_client, factory, other_org):
    theirs = factory.clinic(other_org, name="Theirs", region_slug="syddanmark")

    assert coordinator_client.get(f"/clinics/{theirs.id}/edit").status_code == 404
    response = coordinator_client.form_post(f"/clinics/{theirs.id}/edit", form_data())
    assert response.status_code == 404
    db.session.refresh(theirs)
    assert theirs.name == "Theirs"


def test_another_organisations_clinic_id_cannot_be_taken_by_the_new_clinic_form(
    coordinator_client, factory, other_org
):
    theirs = factory.clinic(other_org, name="Theirs", region_slug="syddanmark")

    response = coordinator_client.form_post("/clinics/new", form_data(clinic_id=str(theirs.id)))

    assert response.status_code == 404
    db.session.refresh(theirs)
    assert theirs.name == "Theirs"


def test_a_form_post_without_the_csrf_token_is_refused(nurse_client, org):
    response = nurse_client.client.post("/clinics/new", data=form_data())

    assert response.status_code == 400
    assert clinic_count(org) == 0


# Closing and reopening


def test_a_nurse_cannot_close_a_clinic(nurse_client, factory, org):
    clinic = factory.clinic(org)

    response = nurse_client.form_post(f"/clinics/{clinic.id}/close", {})

    assert response.status_code == 403
    db.session.refresh(clinic)
    assert clinic.status == "active"


def test_a_nurse_is_not_offered_closed_in_the_form(nurse_client, factory, org):
    clinic = factory.clinic(org)

    response = nurse_client.form_post(f"/clinics/{clinic.id}/edit", form_data(status="closed"))

    assert response.status_code == 422
    assert 'value="closed"' not in text(response).split('name="status"')[1].split("</select>")[0]
    db.session.refresh(clinic)
    assert clinic.status == "active"


def test_a_coordinator_closes_a_clinic_and_the_audit_log_records_it(
    coordinator_client, factory, org
):
    clinic = factory.clinic(org)

    response = coordinator_client.form_post(f"/clinics/{clinic.id}/close", {})

    assert response.status_code == 302
    db.session.refresh(clinic)
    assert clinic.status == "closed" and clinic.closed_at is not None
    assert db.session.scalar(
        select(func.count())
        .select_from(AuditEvent)
        .where(AuditEvent.action == "clinic.close", AuditEvent.object_id == str(clinic.id))
    )


def test_a_nurse_reopens_a_closed_clinic(nurse_client, factory, org):
    clinic = factory.clinic(org, status="closed", closed_at=datetime(2026, 3, 1, tzinfo=UTC))

    response = nurse_client.form_post(f"/clinics/{clinic.id}/reopen", {})

    assert response.status_code == 302
    db.session.refresh(clinic)
    assert (clinic.status, clinic.closed_at) == ("active", None)


def test_another_organisations_clinic_cannot_be_closed(coordinator_client, factory, other_org):
    theirs = factory.clinic(other_org, region_slug="syddanmark")

    assert coordinator_client.form_post(f"/clinics/{theirs.id}/close", {}).status_code == 404
    db.session.refresh(theirs)
    assert theirs.status == "active"


# Pages at a glance


@pytest.mark.parametrize("path", ["/clinics/", "/clinics/new", "/clinics/import"])
def test_the_pages_have_no_inline_scripts_or_styles(coordinator_client, path):
    page = text(coordinator_client.get(path))

    assert "style=" not in page
    assert "<style" not in page
    for tag in re.findall(r"<script[^>]*>", page):
        assert "src=" in tag or 'type="application/json"' in tag


def _edit(client, clinic, **hours_fields):
    edit_page = text(client.get(f"/clinics/{clinic.id}/edit"))
    version = html.unescape(
        re.search(r'name="version" type="hidden" value="([^"]+)"', edit_page)[1]
    )
    return client.form_post(
        f"/clinics/{clinic.id}/edit",
        form_data(version=version, lat="", lon="", **hours_fields),
    )


def test_overnight_hours_are_stored_as_two_days_and_shown_as_typed(
    coordinator_client, factory, org
):
    # 22:00-02:00 on a Monday: the part after midnight belongs to Tuesday (DESIGN.md §4 keeps
    # intervals within a day); Sunday night's runs into Monday.
    clinic = factory.clinic(org)
    response = _edit(
        coordinator_client,
        clinic,
        hours_mon="22:00-02:00",
        hours_tue="",
        hours_fri="18:00-00:00",
        hours_sun="23:00-01:30",
    )
    assert response.status_code == 302, text(response)[:2000]
    db.session.refresh(clinic)
    assert clinic.opening_hours["mon"] == [["00:00", "01:30"], ["22:00", "24:00"]]
    assert clinic.opening_hours["tue"] == [["00:00", "02:00"]]
    assert clinic.opening_hours["fri"] == [["18:00", "24:00"]]
    assert clinic.opening_hours["sat"] == [["10:00", "22:00"]]
    again = text(coordinator_client.get(f"/clinics/{clinic.id}/edit"))
    assert re.search(r'name="hours_mon"[^>]*value="22:00-02:00"', again)
    assert re.search(r'name="hours_tue"[^>]*value=""', again)
    assert re.search(r'name="hours_sun"[^>]*value="23:00-01:30"', again)
    # The API answers in its own format: every interval within its day.
    body = coordinator_client.get(f"/api/v1/clinics/{clinic.id}").json
    assert body["opening_hours"]["tue"] == [["00:00", "02:00"]]


def test_overnight_hours_that_overlap_the_next_morning_are_refused(
    coordinator_client, factory, org
):
    clinic = factory.clinic(org)
    response = _edit(coordinator_client, clinic, hours_mon="22:00-03:00", hours_tue="01:00-05:00")
    assert response.status_code == 422
    assert "overlap" in text(response)
    db.session.refresh(clinic)
    assert clinic.opening_hours["mon"] == [["10:00", "22:00"]]  # nothing stored is lost


def test_the_api_keeps_its_format_for_hours_past_midnight(coordinator_client):
    body = {"name": "Night", "kind": "massage_clinic", "postcode": "8000"}
    body["opening_hours"] = {"mon": [["22:00", "02:00"]]}
    response = coordinator_client.put(f"/api/v1/clinics/{uuid.uuid4()}", json=body)
    assert response.status_code == 422
    assert "opening_hours" in response.json["errors"]
