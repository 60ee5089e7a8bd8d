"""The lead pages: record (and the same ad again), field errors, status actions, a clinic
from a lead, linking to a clinic near it, the phone-number groups, the list of sites."""

import html
import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from outreach import phones
from outreach.audit.models import AuditEvent
from outreach.clinics.models import Clinic
from outreach.db import db
from outreach.leads.models import Lead, LeadSighting
from outreach.orgs.services import set_lead_sites

TODAY = datetime.now(UTC).date().isoformat()


@pytest.fixture(autouse=True)
def sites(org):
    set_lead_sites(org, ["Annoncesiden", "Escortguiden"])


def form(**overrides) -> dict:
    values = {
        "site": "Annoncesiden",
        "url": "https://annoncer.example/ad/991",
        "phone": "20 12 34 56",
        "alias": "Mai",
        "kind": "apartment",
        "postcode": "8000",
        "city": "Aarhus C",
        "region": "",
        "languages": "th, en",
        "flags": ["appears_very_young"],
        "seen_on": TODAY,
        "notes": "Photos look recent",
    }
    values.update(overrides)
    return values


def leads() -> list[Lead]:
    return list(db.session.scalars(select(Lead)))


def personal_text_absent(text: str) -> None:
    for secret in ("20123456", "20 12 34 56", "Mai", "annoncer.example", "Photos look"):
        assert secret not in text


def test_a_nurse_records_a_lead_and_the_same_ad_again_becomes_a_sighting(nurse_client):
    first = nurse_client.form_post("/leads/new", form())
    assert first.status_code == 302
    (lead,) = leads()
    assert first.headers["Location"].endswith(f"/leads/{lead.id}")
    assert lead.phone == "+4520123456" and lead.languages == ["th", "en"]
    assert lead.region_slug == "midtjylland"

    # The same number on the same site, written otherwise, with a new address and flag.
    again = nurse_client.form_post(
        "/leads/new",
        form(url="https://annoncer.example/ad/1200", phone="+45 20-12-34-56", flags=["moved"]),
    )
    assert again.status_code == 302
    assert [lead.id] == [row.id for row in leads()]
    db.session.refresh(lead)
    assert lead.flags == ["appears_very_young", "moved"]
    count = db.session.scalar(select(func.count()).select_from(LeadSighting))
    assert count == 2
    page = nurse_client.get(again.headers["Location"]).get_data(as_text=True)
    assert "new sighting" in page
    # Nothing personal in a URL, a flash message or the audit log.
    personal_text_absent(first.headers["Location"] + again.headers["Location"])
    details = " ".join(str(e.details) for e in db.session.scalars(select(AuditEvent)))
    personal_text_absent(details)


def test_a_bad_number_gets_a_field_error_and_nothing_is_stored(nurse_client):
    response = nurse_client.form_post("/leads/new", form(phone="12 34"))

    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Not a valid phone number" in page
    assert 'value="https://annoncer.example/ad/991"' in page  # what was typed stays
    assert leads() == []


def test_without_a_list_of_sites_the_form_says_what_to_do(nurse_client, org):
    set_lead_sites(org, [])
    page = nurse_client.get("/leads/new").get_data(as_text=True)
    assert "no list of sites yet" in page


def test_a_coordinator_makes_a_clinic_to_verify_from_a_lead_in_one_step(
    coordinator_client, factory, org
):
    lead = factory.lead(
        org, phone="+4520123456", kind="apartment", postcode="8000", city="Aarhus C"
    )

    response = coordinator_client.form_post(f"/leads/{lead.id}/new-clinic", {"name": ""})

    assert response.status_code == 302
    clinic = db.session.scalars(select(Clinic)).one()
    assert (clinic.status, clinic.source, clinic.kind) == ("unknown", "screening", "apartment")
    assert clinic.name == "Apartment, Aarhus C" and clinic.region_slug == "midtjylland"
    assert clinic.phone == "+4520123456"
    db.session.refresh(lead)
    assert (lead.status, lead.clinic_id) == ("linked", clinic.id)


def test_clinics_near_the_lead_or_with_its_number_are_suggested_and_one_is_linked(
    coordinator_client, factory, org
):
    near = factory.clinic(org, name="Lotus near", lat=56.158, lon=10.205)
    same_number = factory.clinic(
        org,
        name="Same number",
        lat=57.048,
        lon=9.919,
        postcode="9000",
        city="Aalborg",
        phone="+4520123456",
    )
    far = factory.clinic(
        org, name="Far away", lat=55.642, lon=12.081, postcode="4000", city="Roskilde"
    )
    lead = factory.lead(org, phone="+4520123456", lat=56.157, lon=10.204, postcode="8000")

    page = coordinator_client.get(f"/leads/{lead.id}").get_data(as_text=True)
    assert page.index("Same number") < page.index("Lotus near")
    assert "Far away" not in page

    response = coordinator_client.form_post(f"/leads/{lead.id}/link", {"clinic_id": str(near.id)})
    assert response.status_code == 302
    db.session.refresh(lead)
    assert (lead.status, lead.clinic_id) == ("linked", near.id)
    assert far.id and same_number.id


def test_a_clinic_of_another_organisation_cannot_be_linked(coordinator_client, factory, org):
    lead = factory.lead(org)
    theirs = factory.clinic(factory.organisation())

    response = coordinator_client.form_post(f"/leads/{lead.id}/link", {"clinic_id": str(theirs.id)})

    assert response.status_code == 404
    db.session.refresh(lead)
    assert lead.status == "new"


def test_nurses_mark_to_verify_and_coordinators_dismiss_with_a_reason(
    nurse_client, coordinator_client, factory, org
):
    lead = factory.lead(org)

    assert nurse_client.form_post(f"/leads/{lead.id}/to-verify", {}).status_code == 302
    db.session.refresh(lead)
    assert lead.status == "to_verify"
    refused = nurse_client.form_post(f"/leads/{lead.id}/dismiss", {"reason": "gone"})
    assert refused.status_code == 403
    assert (
        coordinator_client.form_post(f"/leads/{lead.id}/dismiss", {"reason": "gone"}).status_code
        == 302
    )
    db.session.refresh(lead)
    assert (lead.status, lead.dismissed_reason) == ("dismissed", "gone")
    assert coordinator_client.form_post(f"/leads/{lead.id}/reopen", {}).status_code == 302
    db.session.refresh(lead)
    assert (lead.status, lead.dismissed_reason) == ("to_verify", None)


def test_the_same_number_in_three_writings_is_one_group_of_ads_and_a_clinic(
    coordinator_client, nurse_client, factory, org
):
    factory.lead(org, site="Annoncesiden", phone=phones.normalise("20 12 34 56"))
    factory.lead(org, site="Escortguiden", phone=phones.normalise("+45 20123456"))
    factory.lead(org, site="Escortguiden", phone=phones.normalise("(+45) 20-12-34-56"))
    clinic = factory.clinic(org, name="Lotus", phone=phones.normalise("0045 20 12 34 56"))
    factory.lead(org, phone=phones.normalise("31 22 33 44"))  # alone: no group
    other = factory.organisation()
    factory.lead(other, phone=phones.normalise("20123456"))  # another organisation's

    page = coordinator_client.get("/leads/groups").get_data(as_text=True)

    assert "This number appears in 3 ads on 2 sites and at 1 clinic." in page
    assert page.count('class="card phone-group"') == 1
    assert clinic.name in page
    assert nurse_client.get("/leads/groups").status_code == 403
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "lead.groups")).one()
    assert event.details == {"count": 1, "order": "largest"}


def test_the_groups_come_largest_first_or_newest_first(coordinator_client, factory, org):
    old = datetime.now(UTC) - timedelta(days=20)
    for _ in range(3):
        factory.lead(org, phone="+4520123456", last_seen=old)
    for _ in range(2):
        factory.lead(org, phone="+4531223344")

    def numbers(page: str) -> list[str]:
        return re.findall(r"<h2>([^<]+)</h2>", page)

    largest = numbers(coordinator_client.get("/leads/groups").get_data(as_text=True))
    newest = numbers(coordinator_client.get("/leads/groups?order=newest").get_data(as_text=True))
    assert largest == ["20 12 34 56", "31 22 33 44"]
    assert newest == ["31 22 33 44", "20 12 34 56"]


def test_a_lead_shows_its_group(nurse_client, factory, org):
    lead = factory.lead(org, phone="+4520123456")
    factory.lead(org, phone="+4520123456", site="Escortguiden")

    page = nurse_client.get(f"/leads/{lead.id}").get_data(as_text=True)

    assert "This number appears in 2 ads on 2 sites." in page


def test_a_coordinator_keeps_the_list_of_sites_and_the_screening_window(
    coordinator_client, nurse_client, org
):
    response = coordinator_client.form_post(
        "/leads/sites", {"sites": "Annoncesiden\n  Nye sider \n\n", "window_days": "14"}
    )
    assert response.status_code == 302
    db.session.refresh(org)
    assert org.settings["lead_sites"] == ["Annoncesiden", "Nye sider"]
    assert org.settings["screening_window_days"] == 14
    bad = coordinator_client.form_post("/leads/sites", {"sites": "A\na", "window_days": "14"})
    assert bad.status_code == 422 and "same name" in bad.get_data(as_text=True)
    assert nurse_client.get("/leads/sites").status_code == 403


def test_the_list_filters_by_flag_and_status(nurse_client, factory, org):
    factory.lead(org, flags=["appears_very_young"], city="Aarhus C")
    factory.lead(org, flags=[], city="Aalborg", status="to_verify")

    flagged = nurse_client.get("/leads/?flag=appears_very_young").get_data(as_text=True)
    assert "Aarhus C" in flagged and "Aalborg" not in flagged
    waiting = nurse_client.get("/leads/?status=to_verify").get_data(as_text=True)
    assert "Aalborg" in waiting and "Aarhus C" not in waiting


def test_a_nurse_sees_how_big_a_group_is_but_only_coordinators_see_its_members(
    nurse_client, coordinator_client, factory, org
):
    lead = factory.lead(org, phone="+4520123456")
    other = factory.lead(org, phone="+4520123456", site="Escortguiden")

    as_nurse = nurse_client.get(f"/leads/{lead.id}").get_data(as_text=True)
    as_coordinator = coordinator_client.get(f"/leads/{lead.id}").get_data(as_text=True)

    assert "This number appears in 2 ads on 2 sites." in as_nurse
    assert f"/leads/{other.id}" not in as_nurse
    assert f"/leads/{other.id}" in as_coordinator


def test_saving_a_lead_unchanged_changes_nothing_not_even_its_times(nurse_client, factory, org):
    seen = datetime(2026, 11, 2, 20, 15, tzinfo=UTC)
    lead = factory.lead(org, phone="+4520123456", last_seen=seen, postcode="8000", city="Aarhus C")
    page = nurse_client.get(f"/leads/{lead.id}/edit").get_data(as_text=True)
    version = re.search(r'name="version" type="hidden" value="([^"]+)"', page)[1]

    response = nurse_client.form_post(
        f"/leads/{lead.id}/edit",
        form(
            lead_id=str(lead.id),
            version=html.unescape(version),
            url=lead.url,
            phone="20 12 34 56",
            alias="",
            kind="",
            languages="",
            flags=[],
            seen_on="2026-11-02",
            notes="",
        ),
    )

    assert response.status_code == 302
    db.session.refresh(lead)
    assert (lead.first_seen, lead.last_seen) == (seen, seen)
    assert "Nothing was changed." in nurse_client.get(response.headers["Location"]).get_data(
        as_text=True
    )


@pytest.mark.parametrize("page", ["999", "99999999999999999999", "-3", "two"])
def test_a_page_number_out_of_range_shows_a_page_that_exists_as_the_clinic_list_does(
    nurse_client, factory, org, page
):
    lead = factory.lead(org, city="Aarhus C")

    response = nurse_client.get(f"/leads/?page={page}")

    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert f'href="/leads/{lead.id}"' in text
    assert "No leads yet." not in text


def test_a_page_past_the_end_shows_the_last_page_and_is_audited_once(nurse_client, factory, org):
    for _ in range(51):
        factory.lead(org)

    text = nurse_client.get("/leads/?page=999").get_data(as_text=True)

    assert "Page 2 of 2" in text
    assert text.count('<td><a href="/leads/') == 1
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "lead.list")).all()
    assert [(e.details["count"], e.details["page"]) for e in events] == [(1, 2)]
