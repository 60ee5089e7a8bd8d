"""Clinics carry a phone number too (sealed, with the shared look-up hash), so that they group
with the leads of the same number; a body without it (the field app's) keeps it."""

import uuid

from sqlalchemy import select

from outreach import phones
from outreach.clinics.models import Clinic
from outreach.crypto import is_sealed
from outreach.db import db
from tests.conftest import assert_envelope


def clinic_body(**overrides) -> dict:
    values = {"name": "Lotus", "kind": "massage_clinic", "postcode": "8000", "city": "Aarhus C"}
    values.update(overrides)
    return values


def test_a_clinics_number_is_stored_sealed_in_e164_and_kept_when_a_body_omits_it(nurse_client, app):
    clinic_id = uuid.uuid4()
    url = f"/api/v1/clinics/{clinic_id}"
    created = nurse_client.put(url, json=clinic_body(phone="20 12 34 56"))
    assert created.status_code == 201 and created.json["phone"] == "+4520123456"
    stored = db.session.execute(
        select(Clinic.__table__.c.phone).where(Clinic.__table__.c.id == clinic_id)
    ).scalar_one()
    assert is_sealed(stored) and "20123456" not in stored

    # The phone's clinic bodies do not carry the number: it stays, and a resend is one.
    without = nurse_client.put(url, json=clinic_body(notes="Bell on the left"))
    assert without.json["phone"] == "+4520123456"
    again = nurse_client.put(
        url, json=clinic_body(phone="+45 20 12 34 56", notes="Bell on the left")
    )
    assert again.headers["ETag"] == without.headers["ETag"]

    cleared = nurse_client.put(url, json=clinic_body(phone=None))
    assert cleared.json["phone"] is None
    bad = nurse_client.put(url, json=clinic_body(phone="123"))
    assert "phone" in assert_envelope(bad, 422)["errors"]


def test_the_phone_pull_does_not_carry_clinic_numbers(nurse_client, factory, org):
    factory.clinic(org, phone=phones.normalise("20 12 34 56"))

    pulled = nurse_client.get("/api/v1/sync").json
    assert pulled["clinics"] and all("phone" not in c for c in pulled["clinics"])


def test_the_clinic_form_takes_a_number_in_any_writing_and_names_a_bad_one(nurse_client):
    from tests.clinics.test_pages import form_data

    bad = nurse_client.form_post("/clinics/new", form_data(phone="12 34"))
    assert bad.status_code == 422
    assert "Not a valid phone number" in bad.get_data(as_text=True)

    saved = nurse_client.form_post("/clinics/new", form_data(phone="0045 20 12 34 56"))
    assert saved.status_code == 302
    clinic = db.session.scalars(select(Clinic)).one()
    assert clinic.phone == "+4520123456"
    assert "20 12 34 56" in nurse_client.get(saved.headers["Location"]).get_data(as_text=True)
