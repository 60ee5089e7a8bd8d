"""Clinic table, the record of each CSV import, and the binding code lists that go with them."""

import uuid
from datetime import datetime

from sqlalchemy import JSON, Float, ForeignKey, Index, Integer, String, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from outreach import phones, vocabulary
from outreach.changes import Synced
from outreach.crypto import Encrypted, SealedText
from outreach.db import Timestamps, UTCDateTime, UUIDPrimaryKey, db, utcnow

# The codes of the columns below, with their labels, live in outreach/vocabulary.py.
CLINIC_KINDS = vocabulary.CLINIC_KINDS
CLINIC_STATUSES = vocabulary.CLINIC_STATUSES
CLINIC_SOURCES = vocabulary.CLINIC_SOURCES
WEEKDAYS = tuple(vocabulary.WEEKDAYS)  # a sequence: opening hours are walked day by day
REGION_SOURCES = vocabulary.REGION_SOURCES
GEOCODE_STATUSES = vocabulary.GEOCODE_STATUSES


class Clinic(UUIDPrimaryKey, Timestamps, Synced, db.Model):
    __tablename__ = "clinics"
    __table_args__ = (
        Index("ix_clinics_org_region", "organisation_id", "region_slug"),
        Index("ix_clinics_org_sync", "organisation_id", "sync_seq"),
        Index("ix_clinics_org_phone_lookup", "organisation_id", "phone_lookup"),
    )

    organisation_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("organisations.id"), nullable=False, index=True
    )
    kind: Mapped[str] = mapped_column(String(20), nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    address: Mapped[str | None] = mapped_column(String(200))
    postcode: Mapped[str | None] = mapped_column(String(4))
    city: Mapped[str | None] = mapped_column(String(100))
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    region_slug: Mapped[str | None] = mapped_column(String(20), ForeignKey("regions.slug"))
    region_source: Mapped[str | None] = mapped_column(String(12))
    opening_hours: Mapped[dict | None] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(10), default="active", nullable=False)
    source: Mapped[str] = mapped_column(String(12), default="registry", nullable=False)
    _notes: Mapped[str | None] = mapped_column("notes", SealedText)
    notes = Encrypted("_notes")  # encrypted at rest (outreach/crypto.py)
    # E.164 (phones.normalise); its look-up hash groups the clinic with leads of that number.
    _phone: Mapped[str | None] = mapped_column("phone", SealedText)
    phone = Encrypted(
        "_phone",
        lookup="phone_lookup",
        normalise=phones.normalise,
        purpose=phones.LOOKUP_PURPOSE,
    )
    phone_lookup: Mapped[str | None] = mapped_column(String(64))
    geocode_status: Mapped[str] = mapped_column(String(10), default="none", nullable=False)
    geocode_attempted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("users.id"))
    updated_by_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("users.id"))

    def __repr__(self) -> str:
        return f"<Clinic {self.name}>"


class ClinicImport(UUIDPrimaryKey, db.Model):
    """One confirmed CSV import: the upload it came from (so the same upload is imported once),
    who confirmed it, when, and the counts. Never the file or its rows."""

    __tablename__ = "clinic_imports"
    # Also the backstop for two confirms of one upload at the same moment.
    __table_args__ = (
        UniqueConstraint("organisation_id", "upload_id", name="uq_clinic_imports_upload"),
    )

    organisation_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("organisations.id"), nullable=False
    )
    # The random id sealed into the preview (csv_import.new_upload_id), not chosen by a client.
    upload_id: Mapped[str] = mapped_column(String(64), nullable=False)
    imported_by_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("users.id"))
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    rows: Mapped[int] = mapped_column(Integer, nullable=False)
    imported: Mapped[int] = mapped_column(Integer, nullable=False)
    skipped: Mapped[int] = mapped_column(Integer, nullable=False)
    possible_duplicates: Mapped[int] = mapped_column(Integer, nullable=False)
