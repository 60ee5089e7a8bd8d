"""Phone-number groups with SMS contacts (outreach/phonegroups.py): a lead, a clinic and a text
with one number written three ways are one group, shown on the groups page, the lead's page
and the clinic's page; another organisation's text to the number is not in it; a number on
the do-not-contact list is marked; no number is ever in a link."""

import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from outreach import phonegroups, phones
from outreach.audit.models import AuditEvent
from outreach.db import db
from outreach.sms.models import DoNotContact, SmsContact

NUMBER = "+4520123456"


def text(org, phone, *, days_ago=1, outcome="sent", lead=None, conversation=None):
    contact = SmsContact(
        organisation_id=org.id,
        phone=phone,
        sent_at=datetime.now(UTC) - timedelta(days=days_ago),
        outcome=outcome,
        lead_id=lead.id if lead else None,
        conversation_id=conversation.id if conversation else None,
        language="th",
    )
    db.session.add(contact)
    db.session.flush()
    return contact


def test_the_three_kinds_register_their_part_of_a_group(app):
    assert phonegroups.registered() == ("leads", "clinics", "sms")


def test_a_lead_a_clinic_and_a_text_with_one_number_in_three_writings_are_one_group_of_three(
    factory, org, other_org
):
    lead = factory.lead(org, phone=phones.normalise("20 12 34 56"))
    clinic = factory.clinic(org, name="Lotus", phone=phones.normalise("+45 20-12-34-56"))
    mine = text(org, phones.normalise("0045 20123456"), lead=lead, outcome="reply")
    text(other_org, NUMBER)  # another organisation's text to the same number
    factory.lead(other_org, phone=NUMBER)

    group = phonegroups.group_of(lead)

    assert group.size == 3
    assert [r.id for r in group.part("leads").members] == [lead.id]
    assert [r.id for r in group.part("clinics").members] == [clinic.id]
    assert [r.id for r in group.part("sms").members] == [mine.id]
    assert group.part("sms").facts["replies"] == 1
    assert group.part("sms").facts["do_not_contact"] is False
    assert phonegroups.group_of(clinic).size == 3
    assert phonegroups.group_of(mine).size == 3
    assert [g.size for g in phonegroups.phone_groups(org.id)] == [3]
    assert [g.size for g in phonegroups.phone_groups(other_org.id)] == [2]


def test_the_groups_page_shows_the_texts_as_links_and_never_the_number_in_a_link(
    coordinator_client, factory, org
):
    lead = factory.lead(org, phone=NUMBER, site="Annoncesiden")
    factory.lead(org, phone=NUMBER, site="Escortguiden")
    factory.clinic(org, name="Lotus", phone=NUMBER)
    person = factory.person(org)
    conversation = factory.conversation(
        person, occurred_at=datetime.now(UTC) - timedelta(days=3), channel="sms"
    )
    text(org, NUMBER, days_ago=20, outcome="no_reply", lead=lead)
    text(org, NUMBER, days_ago=3, outcome="reply", lead=lead, conversation=conversation)
    factory.lead(org, phone="+4531223344")  # alone, never texted: no group

    page = coordinator_client.get("/leads/groups").get_data(as_text=True)

    assert page.count('class="card phone-group"') == 1
    assert "This number appears in 2 ads on 2 sites and at 1 clinic." in page
    assert "Texted 2 times, last" in page and "; 1 reply." in page
    assert page.count('class="group-text"') == 2
    assert f'href="/conversations/{conversation.id}"' in page
    assert page.count(f'href="/leads/{lead.id}"') >= 3  # the lead, and as each text's lead
    assert "do-not-contact" not in page
    for href in re.findall(r'href="([^"]*)"', page):
        assert "2012" not in href and "4520" not in href
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "lead.groups")).one()
    assert event.details == {"count": 1, "order": "largest"}


def test_a_number_on_the_do_not_contact_list_is_marked_in_its_group(
    coordinator_client, factory, org
):
    lead = factory.lead(org, phone=NUMBER)
    contact = text(org, NUMBER, outcome="opted_out", lead=lead)
    db.session.add(DoNotContact(organisation_id=org.id, phone_lookup=contact.phone_lookup))
    db.session.flush()

    page = coordinator_client.get(f"/leads/{lead.id}").get_data(as_text=True)

    assert "This number appears in 1 ad on 1 site." in page
    assert "Texted 1 time, last" in page
    assert page.count("On the do-not-contact list") == 2  # the sentence and the text


def test_places_rank_before_texts_on_the_largest_first_page(coordinator_client, factory, org):
    texted = factory.lead(org, phone=NUMBER)
    for days in (3, 20, 40):
        text(org, NUMBER, days_ago=days, lead=texted)
    for site in ("Annoncesiden", "Escortguiden"):
        factory.lead(org, phone="+4531223344", site=site)

    largest = coordinator_client.get("/leads/groups").get_data(as_text=True)
    newest = coordinator_client.get("/leads/groups?order=newest").get_data(as_text=True)

    numbers = re.compile(r"<h2>([^<]+)</h2>")
    assert numbers.findall(largest) == ["31 22 33 44", "20 12 34 56"]
    assert numbers.findall(newest) == ["31 22 33 44", "20 12 34 56"]


def test_a_clinic_page_shows_its_group_with_members_for_coordinators_only(
    coordinator_client, nurse_client, factory, org
):
    clinic = factory.clinic(org, name="Lotus", phone=NUMBER)
    lead = factory.lead(org, phone="20 12 34 56")
    text(org, NUMBER, lead=lead)

    as_coordinator = coordinator_client.get(f"/clinics/{clinic.id}").get_data(as_text=True)
    as_nurse = nurse_client.get(f"/clinics/{clinic.id}").get_data(as_text=True)

    for page in (as_coordinator, as_nurse):
        assert "This number appears in 1 ad on 1 site and at 1 clinic." in page
        assert "Texted 1 time, last" in page
    assert f'href="/leads/{lead.id}"' in as_coordinator
    assert 'class="group-text"' in as_coordinator
    assert f'href="/leads/{lead.id}"' not in as_nurse
    assert 'class="group-members"' not in as_nurse


def test_a_clinic_whose_number_is_nobody_elses_shows_no_group(coordinator_client, factory, org):
    clinic = factory.clinic(org, name="Lotus", phone=NUMBER)

    page = coordinator_client.get(f"/clinics/{clinic.id}").get_data(as_text=True)

    assert "Same phone number" not in page
