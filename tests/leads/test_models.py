"""The Lead model: sealed at rest, found by keyed look-up hashes, one number hash for all
tables."""

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from outreach import phones
from outreach.clinics.models import Clinic
from outreach.crypto import is_sealed
from outreach.db import db
from outreach.leads.models import Lead

SEEN = datetime(2026, 11, 2, 20, 15, tzinfo=UTC)


def lead(org, **fields):
    values = {"site": "Annoncesiden", "first_seen": SEEN, "last_seen": SEEN}
    values.update(fields)
    row = Lead(organisation_id=org.id, **values)
    db.session.add(row)
    db.session.flush()
    return row


def stored(model, column, row_id):
    table = model.__table__
    return db.session.execute(select(table.c[column]).where(table.c.id == row_id)).scalar_one()


def test_a_leads_number_address_alias_and_notes_are_stored_sealed(app, org):
    row = lead(
        org,
        phone="+4520123456",
        url="https://annoncer.example/ad/991",
        alias="Mai",
        notes="Says she is new",
        flag_note="photos look very young",
    )

    for column, plain in [
        ("phone", "+4520123456"),
        ("url", "https://annoncer.example/ad/991"),
        ("alias", "Mai"),
        ("notes", "Says she is new"),
        ("flag_note", "photos look very young"),
    ]:
        value = stored(Lead, column, row.id)
        assert is_sealed(value) and plain not in value
    assert row.phone == "+4520123456"
    assert "20123456" not in stored(Lead, "phone_lookup", row.id)


def test_the_same_number_in_three_writings_finds_the_lead_and_the_clinic_by_one_hash(
    app, org, factory
):
    row = lead(org, phone=phones.normalise("20 12 34 56"))
    clinic = factory.clinic(org, phone=phones.normalise("+45 20123456"))
    db.session.flush()

    for written in ("20 12 34 56", "0045 20 12 34 56", "+45 20-12-34-56"):
        assert db.session.scalars(select(Lead).where(Lead.phone.matches(written))).all() == [row]
        assert db.session.scalars(select(Clinic).where(Clinic.phone.matches(written))).all() == [
            clinic
        ]
    assert row.phone_lookup == clinic.phone_lookup == phones.lookup_hash("20123456")


def test_an_ads_address_is_found_whatever_its_case_www_or_trailing_slash(app, org):
    row = lead(org, url="https://www.Annoncer.example/ad/991/")

    found = db.session.scalars(
        select(Lead).where(Lead.url.matches("https://annoncer.example/ad/991"))
    ).all()
    assert found == [row]
    other = db.session.scalars(
        select(Lead).where(Lead.url.matches("https://annoncer.example/ad/992"))
    ).all()
    assert other == []


def test_a_leads_number_cannot_be_compared_in_sql(app):
    with pytest.raises(TypeError, match="encrypted"):
        select(Lead).where(Lead.phone == "+4520123456")
