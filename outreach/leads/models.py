"""Lead and LeadSighting tables: a screened ad, and each time it was seen."""

import uuid
from datetime import datetime

from sqlalchemy import JSON, Float, ForeignKey, Index, Integer, String, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from outreach import phones, vocabulary
from outreach.changes import Synced
from outreach.crypto import Encrypted, SealedText
from outreach.db import Timestamps, UTCDateTime, UUIDPrimaryKey, db, utcnow
from outreach.leads.urls import same_ad_form

# The codes of the columns below, with their labels, live in outreach/vocabulary.py.
LEAD_FLAGS = vocabulary.LEAD_FLAGS
LEAD_STATUSES = vocabulary.LEAD_STATUSES
LEAD_DISMISS_REASONS = vocabulary.LEAD_DISMISS_REASONS


class Lead(UUIDPrimaryKey, Timestamps, Synced, db.Model):
    """A screened ad. Its address, phone number, alias, free-text flag and notes are
    encrypted at rest (outreach/crypto.py); the address and the number are found by keyed
    look-up hashes: the number's is the same for every table (outreach/phones.py), so leads,
    clinics and SMS contacts sharing a number group together."""

    __tablename__ = "leads"
    __table_args__ = (
        Index("ix_leads_org_phone_lookup", "organisation_id", "phone_lookup"),
        Index("ix_leads_org_url_lookup", "organisation_id", "url_lookup"),
        Index("ix_leads_org_status", "organisation_id", "status"),
        Index("ix_leads_org_last_seen", "organisation_id", "last_seen"),
        Index("ix_leads_org_sync", "organisation_id", "sync_seq"),
        Index("ix_leads_clinic", "clinic_id"),
    )

    organisation_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("organisations.id"), nullable=False
    )
    # One of the organisation's sites (settings: lead_sites), kept as its name.
    site: Mapped[str] = mapped_column(String(100), nullable=False)
    _url: Mapped[str | None] = mapped_column("url", SealedText)
    url = Encrypted("_url", lookup="url_lookup", normalise=same_ad_form)
    url_lookup: Mapped[str | None] = mapped_column(String(64))
    # E.164 (phones.normalise) before it is set.
    _phone: Mapped[str | None] = mapped_column("phone", SealedText)
    phone = Encrypted(
        "_phone",
        lookup="phone_lookup",
        normalise=phones.normalise,
        purpose=phones.LOOKUP_PURPOSE,
    )
    phone_lookup: Mapped[str | None] = mapped_column(String(64))
    _alias: Mapped[str | None] = mapped_column("alias", SealedText)
    alias = Encrypted("_alias")  # the ad's name for the person
    kind: Mapped[str | None] = mapped_column(String(20))
    address: Mapped[str | None] = mapped_column(String(200))
    postcode: Mapped[str | None] = mapped_column(String(4))
    city: Mapped[str | None] = mapped_column(String(100))
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    region_slug: Mapped[str | None] = mapped_column(String(20), ForeignKey("regions.slug"))
    region_source: Mapped[str | None] = mapped_column(String(12))
    languages: Mapped[list] = mapped_column(JSON, default=list, nullable=False)
    flags: Mapped[list] = mapped_column(JSON, default=list, nullable=False)
    # What else the screening saw, in words (may describe a person: encrypted).
    _flag_note: Mapped[str | None] = mapped_column("flag_note", SealedText)
    flag_note = Encrypted("_flag_note")
    first_seen: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    last_seen: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    status: Mapped[str] = mapped_column(String(10), default="new", nullable=False)
    dismissed_reason: Mapped[str | None] = mapped_column(String(20))
    clinic_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("clinics.id"))
    _notes: Mapped[str | None] = mapped_column("notes", SealedText)
    notes = Encrypted("_notes")
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("users.id"))
    updated_by_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("users.id"))

    def __repr__(self) -> str:
        return f"<Lead {self.id}>"  # never the alias, address or number


class LeadSighting(UUIDPrimaryKey, db.Model):
    """One time an ad was seen: the first recording, and each time the same ad (same address,
    or same number on the same site) was seen again. Flags seen then are kept with it."""

    __tablename__ = "lead_sightings"
    __table_args__ = (Index("ix_lead_sightings_lead_seen", "lead_id", "seen_at"),)

    organisation_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("organisations.id"), nullable=False
    )
    lead_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("leads.id"), nullable=False)
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    site: Mapped[str] = mapped_column(String(100), nullable=False)
    flags: Mapped[list] = mapped_column(JSON, default=list, nullable=False)
    recorded_by_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)


class LeadImport(UUIDPrimaryKey, db.Model):
    """One confirmed CSV import of leads: the upload it came from (so the same upload is
    imported once), who confirmed it, when, and the counts. Never the file or its rows."""

    __tablename__ = "lead_imports"
    __table_args__ = (
        UniqueConstraint("organisation_id", "upload_id", name="uq_lead_imports_upload"),
    )

    organisation_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("organisations.id"), nullable=False
    )
    upload_id: Mapped[str] = mapped_column(String(64), nullable=False)
    imported_by_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("users.id"))
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    rows: Mapped[int] = mapped_column(Integer, nullable=False)
    created: Mapped[int] = mapped_column(Integer, nullable=False)
    sightings: Mapped[int] = mapped_column(Integer, nullable=False)
    skipped: Mapped[int] = mapped_column(Integer, nullable=False)
