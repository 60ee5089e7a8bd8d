"""/api/v1/leads: the create-or-replace contract of DESIGN.md §4, the same ad seen again,
roles, tenant isolation, filters and paging, and the audit of every read."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from outreach.audit.models import AuditEvent
from outreach.db import db
from outreach.leads.models import Lead, LeadSighting
from outreach.orgs.services import set_lead_sites
from tests.conftest import assert_envelope

SEEN = datetime(2026, 11, 2, 20, 15, tzinfo=UTC)


def url(lead_id) -> str:
    return f"/api/v1/leads/{lead_id}"


def body(**overrides) -> dict:
    values = {
        "site": "Annoncesiden",
        "url": "https://annoncer.example/ad/991",
        "phone": "20 12 34 56",
        "alias": "Mai",
        "kind": "apartment",
        "postcode": "8000",
        "city": "Aarhus C",
        "languages": ["th"],
        "flags": ["appears_very_young"],
        "first_seen": SEEN.isoformat(),
    }
    values.update(overrides)
    return values


@pytest.fixture(autouse=True)
def sites(org, other_org):
    set_lead_sites(org, ["Annoncesiden", "Escortguiden"])
    set_lead_sites(other_org, ["Annoncesiden"])


def lead_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Lead))


def test_a_new_lead_is_created_with_its_number_in_e164_and_its_region(nurse_client):
    lead_id = uuid.uuid4()
    response = nurse_client.put(url(lead_id), json=body())

    assert response.status_code == 201, response.json
    assert response.headers["ETag"]
    got = response.json
    assert got["phone"] == "+4520123456"
    assert got["region"] == "midtjylland" and got["region_source"] == "postcode"
    assert got["status"] == "new"
    assert got["last_seen"] == got["first_seen"]
    sightings = db.session.scalars(select(LeadSighting).where(LeadSighting.lead_id == lead_id))
    assert len(sightings.all()) == 1


def test_the_same_body_again_changes_nothing_and_a_changed_one_replaces(nurse_client):
    lead_id = uuid.uuid4()
    first = nurse_client.put(url(lead_id), json=body())
    again = nurse_client.put(url(lead_id), json=body())
    assert again.status_code == 200
    assert again.headers["ETag"] == first.headers["ETag"]

    changed = nurse_client.put(url(lead_id), json=body(flags=["new_in_area"]))
    assert changed.status_code == 200 and changed.json["flags"] == ["new_in_area"]
    stale = nurse_client.put(url(lead_id), json=body(), headers={"If-Match": first.headers["ETag"]})
    assert_envelope(stale, 412)


def test_a_bad_number_or_address_is_a_422_naming_the_field_and_nothing_is_stored(nurse_client):
    response = nurse_client.put(url(uuid.uuid4()), json=body(phone="12 34", url="ftp://x"))

    errors = assert_envelope(response, 422)["errors"]
    assert "phone" in errors and "url" in errors
    assert "12 34" not in response.get_data(as_text=True)
    assert lead_count() == 0


def test_a_site_that_is_not_on_the_organisations_list_is_refused(nurse_client):
    response = nurse_client.put(url(uuid.uuid4()), json=body(site="Somewhere else"))

    assert "site" in assert_envelope(response, 422)["errors"]


def test_the_same_ad_under_a_new_id_is_refused_with_the_lead_it_is(nurse_client):
    lead_id = uuid.uuid4()
    nurse_client.put(url(lead_id), json=body())

    same_url = nurse_client.put(url(uuid.uuid4()), json=body(phone=None))
    assert str(lead_id) in assert_envelope(same_url, 422)["errors"]["url"][0]
    same_number_same_site = nurse_client.put(
        url(uuid.uuid4()), json=body(url="https://annoncer.example/ad/2", phone="+4520123456")
    )
    assert str(lead_id) in assert_envelope(same_number_same_site, 422)["errors"]["phone"][0]
    assert lead_count() == 1

    other_site = nurse_client.put(
        url(uuid.uuid4()),
        json=body(site="Escortguiden", url="https://escort.example/p/7", phone="0045 20123456"),
    )
    assert other_site.status_code == 201  # the same number on another site: its own ad


def test_a_sighting_moves_last_seen_and_adds_its_flags(nurse_client):
    lead_id = uuid.uuid4()
    nurse_client.put(url(lead_id), json=body(flags=[]))
    later = SEEN + timedelta(days=3)

    response = nurse_client.post(
        f"{url(lead_id)}/sightings",
        json={"seen_at": later.isoformat(), "flags": ["pressure_unprotected"]},
    )

    assert response.status_code == 201, response.json
    got = nurse_client.get(url(lead_id)).json
    assert datetime.fromisoformat(got["last_seen"]) == later
    assert got["flags"] == ["pressure_unprotected"]
    assert lead_count() == 1


def test_a_nurse_may_not_dismiss_or_link_but_a_coordinator_may(
    nurse_client, coordinator_client, factory, org
):
    lead_id = uuid.uuid4()
    nurse_client.put(url(lead_id), json=body())
    dismissed = body(status="dismissed", dismissed_reason="not_relevant")

    assert_envelope(nurse_client.put(url(lead_id), json=dismissed), 403)
    response = coordinator_client.put(url(lead_id), json=dismissed)
    assert response.status_code == 200 and response.json["status"] == "dismissed"
    # Nor may she undo it.
    assert_envelope(nurse_client.put(url(lead_id), json=body()), 403)

    clinic = factory.clinic(org)
    linked = body(status="linked", clinic_id=str(clinic.id))
    assert coordinator_client.put(url(lead_id), json=linked).json["clinic_id"] == str(clinic.id)
    actions = db.session.scalars(
        select(AuditEvent.action).where(AuditEvent.object_id == str(lead_id))
    ).all()
    assert {"lead.create", "lead.dismiss", "lead.link"} <= set(actions)


def test_statuses_and_their_clinic_and_reason_go_together(coordinator_client, factory, org):
    errors = assert_envelope(
        coordinator_client.put(url(uuid.uuid4()), json=body(status="linked")), 422
    )["errors"]
    assert "clinic_id" in errors
    errors = assert_envelope(
        coordinator_client.put(url(uuid.uuid4()), json=body(status="dismissed")), 422
    )["errors"]
    assert "dismissed_reason" in errors
    foreign = factory.clinic(factory.organisation())
    errors = assert_envelope(
        coordinator_client.put(
            url(uuid.uuid4()), json=body(status="linked", clinic_id=str(foreign.id))
        ),
        422,
    )["errors"]
    assert "clinic_id" in errors


def test_another_organisations_lead_is_not_found_and_not_changed(nurse_client, factory, other_org):
    theirs = factory.lead(other_org, phone="+4520123456")
    stored = theirs.updated_at

    assert_envelope(nurse_client.get(url(theirs.id)), 404)
    assert_envelope(nurse_client.put(url(theirs.id), json=body()), 404)
    assert_envelope(
        nurse_client.post(f"{url(theirs.id)}/sightings", json={"seen_at": SEEN.isoformat()}),
        404,
    )
    db.session.expire_all()
    assert db.session.get(Lead, theirs.id).updated_at == stored
    # Nor does their ad count as the same ad as ours.
    assert nurse_client.put(url(uuid.uuid4()), json=body()).status_code == 201


def test_the_list_filters_and_pages_and_every_read_is_audited_without_personal_data(
    nurse_client, factory, org
):
    old = datetime.now(UTC) - timedelta(days=40)
    factory.lead(org, flags=["appears_very_young"], status="to_verify")
    factory.lead(org, flags=["moved"])
    factory.lead(org, flags=["moved"], last_seen=old)

    flagged = nurse_client.get("/api/v1/leads?flag=appears_very_young").json
    assert flagged["total"] == 1 and flagged["items"][0]["status"] == "to_verify"
    recent = nurse_client.get(
        f"/api/v1/leads?seen_since={(datetime.now(UTC) - timedelta(days=7)).date()}"
    ).json
    assert recent["total"] == 2
    paged = nurse_client.get("/api/v1/leads?per_page=1&page=2").json
    assert paged["total"] == 3 and len(paged["items"]) == 1

    lead = factory.lead(org, phone="+4520123456", alias="Mai", notes="Says she is 19")
    nurse_client.get(url(lead.id))
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action.like("lead.%"))).all()
    assert {"lead.list", "lead.read"} <= {e.action for e in events}
    for event in events:
        text = str(event.details)
        assert "20123456" not in text and "Mai" not in text and "annoncer" not in text


def test_the_openapi_document_describes_the_lead_endpoints(client):
    spec = client.get("/api/v1/openapi.json").json
    assert {"get", "put"} <= set(spec["paths"]["/api/v1/leads/{lead_id}"])
    assert "post" in spec["paths"]["/api/v1/leads/{lead_id}/sightings"]
    assert "flag" in {p["name"] for p in spec["paths"]["/api/v1/leads"]["get"]["parameters"]}


def test_a_page_past_the_end_is_empty_as_for_clinics(nurse_client, factory, org):
    factory.lead(org)

    response = nurse_client.get("/api/v1/leads?page=999")

    assert response.status_code == 200
    assert response.json["items"] == []
    assert (response.json["page"], response.json["total"]) == (999, 1)
