"""Visit table and the names of the code lists its columns take (from the vocabulary)."""

import uuid
from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from outreach import vocabulary
from outreach.changes import Synced
from outreach.crypto import Encrypted, SealedText
from outreach.db import Timestamps, UTCDateTime, UUIDPrimaryKey, db

# The codes of the columns below, with their labels, live in outreach/vocabulary.py.
VISIT_OUTCOMES = vocabulary.VISIT_OUTCOMES
NOT_ADMITTED_REASONS = vocabulary.NOT_ADMITTED_REASONS
CONCERN_LEVELS = vocabulary.CONCERN_LEVELS


class Visit(UUIDPrimaryKey, Timestamps, Synced, db.Model):
    __tablename__ = "visits"
    __table_args__ = (
        Index("ix_visits_org_started", "organisation_id", "started_at"),
        Index("ix_visits_clinic_started", "clinic_id", "started_at"),
        Index("ix_visits_org_sync", "organisation_id", "sync_seq"),
    )

    organisation_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("organisations.id"), nullable=False
    )
    clinic_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("clinics.id"), nullable=False)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    outcome: Mapped[str] = mapped_column(String(15), nullable=False)
    not_admitted_reason: Mapped[str | None] = mapped_column(String(15))
    # Staff on the visit: user ids of the organisation.
    staff: Mapped[list] = mapped_column(JSON, default=list, nullable=False)
    persons_present: Mapped[int | None] = mapped_column(Integer)
    supplies: Mapped[dict] = mapped_column(JSON, default=dict, nullable=False)
    concern_level: Mapped[str | None] = mapped_column(String(6))
    indicators: Mapped[list] = mapped_column(JSON, default=list, nullable=False)
    police_informed: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    police_informed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Free text, encrypted at rest (outreach/crypto.py).
    _police_note: Mapped[str | None] = mapped_column("police_note", SealedText)
    police_note = Encrypted("_police_note")
    _notes: Mapped[str | None] = mapped_column("notes", SealedText)
    notes = Encrypted("_notes")
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("users.id"))
