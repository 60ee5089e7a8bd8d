"""/api/v1/sms-contacts: create-or-replace, the do-not-contact list, the per-number limit
across the organisation's nurses (also for texts made offline and delivered late), the numbers
to text, roles and tenancy."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from outreach import phones
from outreach.audit.models import AuditEvent
from outreach.crypto import is_sealed
from outreach.db import db
from outreach.leads.models import Lead
from outreach.sms.models import DoNotContact, SmsContact
from tests.conftest import assert_envelope

NOW = datetime.now(UTC).replace(microsecond=0)
NUMBER = "+4520123456"


def url(contact_id=None) -> str:
    return f"/api/v1/sms-contacts/{contact_id or uuid.uuid4()}"


def body(**fields) -> dict:
    values = {
        "phone": "20 12 34 56",
        "language": "th",
        "template_id": "th-1",
        "sent_at": (NOW - timedelta(hours=1)).isoformat(),
        "outcome": "sent",
    }
    values.update(fields)
    return values


def make_lead(org, phone=NUMBER, **fields):
    values = {
        "site": "Annoncesiden",
        "first_seen": NOW - timedelta(days=3),
        "last_seen": NOW - timedelta(days=1),
        "phone": phone,
        "alias": "Mai",
        "languages": ["th"],
    }
    values.update(fields)
    lead = Lead(organisation_id=org.id, **values)
    db.session.add(lead)
    db.session.flush()
    return lead


def test_a_text_is_stored_with_the_number_in_e164_sealed_and_a_resend_changes_nothing(
    nurse_client,
):
    contact_id = uuid.uuid4()
    first = nurse_client.put(url(contact_id), json=body())
    assert first.status_code == 201, first.json
    assert first.json["phone"] == NUMBER and first.headers["ETag"]
    again = nurse_client.put(url(contact_id), json=body())
    assert again.status_code == 200 and again.headers["ETag"] == first.headers["ETag"]
    sealed = db.session.execute(
        select(SmsContact.__table__.c.phone).where(SmsContact.__table__.c.id == contact_id)
    ).scalar_one()
    assert is_sealed(sealed) and "20123456" not in sealed


def test_a_bad_number_gets_a_field_error_and_nothing_is_stored(nurse_client):
    answer = nurse_client.put(url(), json=body(phone="12"))
    assert "phone" in assert_envelope(answer, 422)["errors"]
    assert db.session.scalar(select(SmsContact.id)) is None


def test_the_number_may_come_from_the_lead(nurse_client, org):
    lead = make_lead(org)
    answer = nurse_client.put(url(), json=body(phone=None, lead_id=str(lead.id)))
    assert answer.status_code == 201, answer.json
    assert answer.json["phone"] == NUMBER and answer.json["lead_id"] == str(lead.id)


def test_an_opt_out_puts_the_number_on_the_list_as_a_keyed_hash_and_refuses_any_later_text(
    nurse_client, factory, org, login
):
    contact_id = uuid.uuid4()
    assert nurse_client.put(url(contact_id), json=body()).status_code == 201
    opted = nurse_client.put(url(contact_id), json=body(outcome="opted_out"))
    assert opted.status_code == 200, opted.json

    entry = db.session.scalar(select(DoNotContact))
    assert entry.phone_lookup == phones.lookup_hash(NUMBER)
    assert set(DoNotContact.__table__.c.keys()) == {
        "organisation_id",
        "phone_lookup",
        "added_at",
        "added_by_id",
    }
    # A month later, written another way, by a colleague: still refused, and it says why.
    colleague = login(factory.user(org, "nurse"))
    later = colleague.put(
        url(), json=body(phone="+45 20 12 34 56", sent_at=(NOW - timedelta(minutes=5)).isoformat())
    )
    message = assert_envelope(later, 422)["errors"]["phone"][0]
    assert "do-not-contact" in message


def test_the_outcome_of_an_opted_out_text_can_still_be_corrected(nurse_client):
    contact_id = uuid.uuid4()
    assert nurse_client.put(url(contact_id), json=body(outcome="opted_out")).status_code == 201
    fixed = nurse_client.put(url(contact_id), json=body(outcome="opted_out", notes="by SMS"))
    assert fixed.status_code == 200, fixed.json


def test_one_text_per_number_within_the_limit_across_the_organisations_nurses(
    nurse_client, factory, org, login
):
    assert nurse_client.put(url(), json=body()).status_code == 201
    colleague = login(factory.user(org, "nurse"))
    second = colleague.put(url(), json=body(sent_at=(NOW - timedelta(minutes=10)).isoformat()))
    message = assert_envelope(second, 422)["errors"]["phone"][0]
    assert "14 days" in message
    assert (
        db.session.scalar(
            select(SmsContact.id).where(SmsContact.created_by_id == colleague.user.id)
        )
        is None
    )


def test_after_the_limit_the_number_may_be_texted_again(nurse_client):
    old = (NOW - timedelta(days=15)).isoformat()
    assert nurse_client.put(url(), json=body(sent_at=old)).status_code == 201
    assert nurse_client.put(url(), json=body()).status_code == 201


def test_the_limit_is_the_organisations_setting(nurse_client, org):
    org.settings = {**org.settings, "sms": {"period_days": 30}}
    db.session.flush()
    old = (NOW - timedelta(days=20)).isoformat()
    assert nurse_client.put(url(), json=body(sent_at=old)).status_code == 201
    refused = nurse_client.put(url(), json=body())
    assert "30 days" in assert_envelope(refused, 422)["errors"]["phone"][0]


def test_two_phones_text_one_number_offline_the_second_to_sync_is_told_even_if_it_texted_first(
    nurse_client, factory, org, login
):
    colleague = login(factory.user(org, "nurse"))
    early, late = NOW - timedelta(hours=3), NOW - timedelta(hours=2)
    # The colleague texted later but synced first.
    assert colleague.put(url(), json=body(sent_at=late.isoformat())).status_code == 201
    refused_id = uuid.uuid4()
    refused = nurse_client.put(
        url(refused_id), json=body(sent_at=early.isoformat(), outcome="reply")
    )
    assert "14 days" in assert_envelope(refused, 422)["errors"]["phone"][0]
    assert db.session.get(SmsContact, refused_id) is None
    # Sent again unchanged (the phone keeps it), it is refused the same way, never half-stored.
    again = nurse_client.put(url(refused_id), json=body(sent_at=early.isoformat(), outcome="reply"))
    assert again.status_code == 422


def test_recording_what_came_of_a_stored_text_is_never_refused_by_the_limit(nurse_client):
    contact_id = uuid.uuid4()
    assert nurse_client.put(url(contact_id), json=body()).status_code == 201
    assert (
        nurse_client.put(
            url(), json=body(sent_at=(NOW - timedelta(days=20)).isoformat())
        ).status_code
        == 201
    )
    for outcome in ("reply", "no_reply", "wrong_number", "controller_answered"):
        answer = nurse_client.put(url(contact_id), json=body(outcome=outcome))
        assert answer.status_code == 200, answer.json


def test_another_organisations_number_history_does_not_count(
    nurse_client, factory, other_org, login
):
    other = login(factory.user(other_org, "nurse"))
    assert other.put(url(), json=body(outcome="opted_out")).status_code == 201
    assert nurse_client.put(url(), json=body()).status_code == 201


def test_another_organisations_contact_is_not_found_and_not_changed(
    nurse_client, factory, other_org, login
):
    other = login(factory.user(other_org, "nurse"))
    contact_id = uuid.uuid4()
    assert other.put(url(contact_id), json=body()).status_code == 201
    assert nurse_client.get(url(contact_id)).status_code == 404
    assert nurse_client.put(url(contact_id), json=body(outcome="reply")).status_code == 404
    assert db.session.get(SmsContact, contact_id).outcome == "sent"


def test_a_conversation_of_another_organisation_is_refused_on_its_field(
    nurse_client, factory, other_org
):
    person = factory.person(other_org)
    conversation = factory.conversation(person, occurred_at=NOW - timedelta(hours=1), channel="sms")
    answer = nurse_client.put(
        url(), json=body(outcome="reply", conversation_id=str(conversation.id))
    )
    assert "conversation_id" in assert_envelope(answer, 422)["errors"]


def test_a_reply_links_the_conversation_it_became(nurse_client, factory, org):
    person = factory.person(org)
    conversation = factory.conversation(
        person, occurred_at=NOW - timedelta(minutes=30), channel="sms"
    )
    answer = nurse_client.put(
        url(), json=body(outcome="reply", conversation_id=str(conversation.id))
    )
    assert answer.status_code == 201 and answer.json["conversation_id"] == str(conversation.id)


def test_nurses_may_not_list_contacts_coordinators_may_and_it_is_audited(
    nurse_client, coordinator_client
):
    assert nurse_client.put(url(), json=body()).status_code == 201
    assert nurse_client.get("/api/v1/sms-contacts").status_code == 403
    listed = coordinator_client.get("/api/v1/sms-contacts?outcome=sent")
    assert listed.status_code == 200 and listed.json["total"] == 1
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "sms_contact.list"))


def test_the_numbers_to_text_leave_out_the_do_not_contact_list_and_say_when_a_number_may_be_texted(
    nurse_client, org, nurse
):
    make_lead(org, phone=NUMBER, languages=["th"])
    make_lead(org, phone=NUMBER, alias="Mai 2", languages=["en"], last_seen=NOW - timedelta(days=2))
    make_lead(org, phone="+4530123456", alias="Lin")
    make_lead(org, phone="+4540123456", alias="Dismissed", status="dismissed")
    opted = make_lead(org, phone="+4550123456", alias="Opted")
    org.settings = {
        **org.settings,
        "sms": {
            "templates": [
                {"id": "th-1", "language": "th", "body": "Hej, {name} her, ring {phone}"}
            ],
            "team_phone": "+4570101010",
        },
    }
    db.session.flush()
    assert (
        nurse_client.put(url(), json=body(phone=opted.phone, outcome="opted_out")).status_code
        == 201
    )
    texted = nurse_client.put(url(), json=body(phone="+4530123456"))
    assert texted.status_code == 201

    answer = nurse_client.get("/api/v1/sms-contacts/to-text")
    assert answer.status_code == 200
    numbers = {n["phone"]: n for n in answer.json["numbers"]}
    assert set(numbers) == {NUMBER, "+4530123456"}
    assert numbers[NUMBER]["leads"] == 2 and numbers[NUMBER]["languages"] == ["th", "en"]
    assert numbers[NUMBER]["next_allowed_at"] is None
    assert numbers["+4530123456"]["next_allowed_at"] is not None
    assert answer.json["templates"][0]["body"] == f"Hej, {nurse.display_name} her, ring 70 10 10 10"
    assert {c["phone"] for c in answer.json["mine"]} == {"+4550123456", "+4530123456"}
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "sms.to_text"))
    assert event.details.get("count") == 2
    assert "2012" not in str(event.details)


def test_the_numbers_to_text_travel_again_only_when_they_changed(nurse_client, org):
    """A phone pulls them at every sync: it sends back their ETag and an unchanged answer is
    a 304 without a body; a new ad with a number, or a text, changes it."""
    make_lead(org, phone=NUMBER, languages=["th"])
    db.session.flush()
    first = nurse_client.get("/api/v1/sms-contacts/to-text")
    tag = first.headers["ETag"]
    assert first.status_code == 200 and tag

    same = nurse_client.get("/api/v1/sms-contacts/to-text", headers={"If-None-Match": tag})
    assert same.status_code == 304
    assert same.get_data() == b""

    make_lead(org, phone="+4530123456", alias="Lin")
    db.session.flush()
    changed = nurse_client.get("/api/v1/sms-contacts/to-text", headers={"If-None-Match": tag})
    assert changed.status_code == 200
    assert {n["phone"] for n in changed.json["numbers"]} == {NUMBER, "+4530123456"}
    assert changed.headers["ETag"] != tag
    assert nurse_client.put(url(), json=body(phone=NUMBER)).status_code == 201
    texted = nurse_client.get(
        "/api/v1/sms-contacts/to-text", headers={"If-None-Match": changed.headers["ETag"]}
    )
    assert texted.status_code == 200


@pytest.mark.parametrize("field", ["phone", "sent_at"])
def test_required_fields_are_named(nurse_client, field):
    values = body()
    values.pop(field)
    if field == "phone":
        values["phone"] = None
    assert field in assert_envelope(nurse_client.put(url(), json=values), 422)["errors"]
