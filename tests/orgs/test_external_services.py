"""An organisation's "no external services" setting (issue 11 item 9): set by admins on the
settings page; then no clinic address goes to a third-party geocoder (the town of the postcode
answers instead) and no map loads a third party's tiles, unless MAP_TILE_URL is the
operator's own server (MAP_TILE_URL_SELF_HOSTED)."""

import re
import uuid

import pytest
from sqlalchemy import select

from outreach.audit.models import AuditEvent
from outreach.db import db
from outreach.denmark import town_for_postcode
from outreach.geo import GeocodeCacheEntry, normalise_query
from outreach.orgs import queries
from tests.clinics.test_api import body as clinic_body

AARHUS = "Vestergade 3, 8000 Aarhus C, Danmark"
TILES = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"


class ThirdPartyGeocoder:
    """Stands in for OpenStreetMap's Nominatim: a third party; records what it was asked."""

    third_party = True

    def __init__(self):
        self.calls: list[str] = []

    def geocode(self, query):
        self.calls.append(query)
        return (56.1570, 10.2040)


@pytest.fixture
def third_party(app):
    geocoder = ThirdPartyGeocoder()
    app.extensions["geocoder"] = geocoder
    return geocoder


def choose(admin_client, choice):
    return admin_client.form_post("/settings/external-services", {"external-choice": choice})


def test_an_admin_chooses_no_external_services_on_the_settings_page(admin_client, org):
    page = admin_client.get("/settings/").get_data(as_text=True)
    assert 'id="external"' in page
    assert re.search(r'<input[^>]*\bchecked\b[^>]*value="allowed"', page)

    response = choose(admin_client, "none")

    assert response.status_code == 303
    db.session.expire_all()
    assert queries.uses_external_services(org) is False
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "organisation.settings")
    ).all()[-1]
    assert event.details == {"part": "external_services", "allowed": False}
    assert choose(admin_client, "allowed").status_code == 303
    db.session.expire_all()
    assert queries.uses_external_services(org) is True


def test_a_post_without_the_choice_changes_nothing(admin_client, org):
    choose(admin_client, "none")

    response = admin_client.form_post("/settings/external-services", {})

    assert response.status_code == 422
    assert "Choose one." in response.get_data(as_text=True)
    db.session.expire_all()
    assert queries.uses_external_services(org) is False


def test_a_coordinator_cannot_change_it(coordinator_client, org):
    assert (
        coordinator_client.form_post(
            "/settings/external-services", {"external-choice": "none"}
        ).status_code
        == 403
    )


def put_clinic(client, **fields):
    clinic_id = uuid.uuid4()
    answer = client.put(
        f"/api/v1/clinics/{clinic_id}", json=clinic_body(lat=None, lon=None, **fields)
    )
    assert answer.status_code == 201, answer.get_data(as_text=True)
    return answer.json


def test_without_external_services_a_clinic_is_placed_by_its_postcode_alone(
    admin_client, coordinator_client, third_party
):
    choose(admin_client, "none")

    clinic = put_clinic(coordinator_client)

    aarhus = town_for_postcode("8000")
    assert third_party.calls == []
    assert (clinic["lat"], clinic["lon"]) == (aarhus.lat, aarhus.lon)
    assert clinic["geocode_status"] == "geocoded"
    # The shared cache keeps the configured geocoder's answers only.
    assert db.session.get(GeocodeCacheEntry, normalise_query(AARHUS)) is None


def test_with_external_services_the_geocoder_is_asked_as_before(coordinator_client, third_party):
    clinic = put_clinic(coordinator_client)

    assert third_party.calls == [AARHUS]
    assert (clinic["lat"], clinic["lon"]) == (56.1570, 10.2040)


def test_a_self_hosted_geocoder_is_used_even_without_external_services(
    app, admin_client, coordinator_client, third_party
):
    third_party.third_party = False  # NOMINATIM_URL: the operator's own server
    choose(admin_client, "none")

    put_clinic(coordinator_client)

    assert third_party.calls == [AARHUS]


def tile_urls(html: str) -> list[str]:
    return re.findall(r'data-tile-url="([^"]*)"', html)


NOTE = "The map has no background"


@pytest.mark.parametrize("url", ["/clinics/", "/routes/"])
def test_maps_have_no_third_party_background_without_external_services(
    app, admin_client, url, monkeypatch
):
    before = admin_client.get(url).get_data(as_text=True)
    assert tile_urls(before) == [TILES] and NOTE not in before

    choose(admin_client, "none")
    after = admin_client.get(url).get_data(as_text=True)
    assert tile_urls(after) == [""]
    assert NOTE in after
    assert "tile.openstreetmap.org" not in after

    monkeypatch.setitem(app.config, "MAP_TILE_URL_SELF_HOSTED", True)
    own = admin_client.get(url).get_data(as_text=True)
    assert tile_urls(own) == [TILES] and NOTE not in own
