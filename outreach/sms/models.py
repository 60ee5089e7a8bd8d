"""SmsContact (one text sent to a number from an ad, and what came of it) and the
organisation's do-not-contact list, which keeps the keyed hash of each number only."""

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from outreach import phones, vocabulary
from outreach.changes import Synced
from outreach.crypto import Encrypted, SealedText
from outreach.db import Timestamps, UTCDateTime, UUIDPrimaryKey, db, utcnow

SMS_OUTCOMES = vocabulary.SMS_OUTCOMES


class SmsContact(UUIDPrimaryKey, Timestamps, Synced, db.Model):
    __tablename__ = "sms_contacts"
    __table_args__ = (
        # The per-number limit and the figures: a number's texts by time.
        Index("ix_sms_contacts_org_phone_sent", "organisation_id", "phone_lookup", "sent_at"),
        Index("ix_sms_contacts_org_sent", "organisation_id", "sent_at"),
        Index("ix_sms_contacts_org_sync", "organisation_id", "sync_seq"),
    )

    organisation_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("organisations.id"), nullable=False
    )
    lead_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("leads.id"))
    # E.164, encrypted at rest; found and compared by the keyed hash (outreach/phones.py),
    # the same hash as the leads' and clinics' numbers.
    _phone: Mapped[str] = mapped_column("phone", SealedText, nullable=False)
    phone = Encrypted(
        "_phone", lookup="phone_lookup", normalise=phones.normalise, purpose=phones.LOOKUP_PURPOSE
    )
    phone_lookup: Mapped[str] = mapped_column(String(64), nullable=False)
    language: Mapped[str | None] = mapped_column(String(2))
    template_id: Mapped[str | None] = mapped_column(String(40))
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    outcome: Mapped[str] = mapped_column(String(20), nullable=False, default="sent")
    # The conversation the reply became (channel `sms`).
    conversation_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("conversations.id"))
    _notes: Mapped[str | None] = mapped_column("notes", SealedText)
    notes = Encrypted("_notes")
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("users.id"))


class DoNotContact(db.Model):
    """A number that asked not to be contacted: its keyed look-up hash only, never the number,
    so the list says nothing to whoever reads the table and outlives the contacts themselves.
    Nothing removes an entry."""

    __tablename__ = "sms_do_not_contact"

    organisation_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("organisations.id"), primary_key=True
    )
    phone_lookup: Mapped[str] = mapped_column(String(64), primary_key=True)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    added_by_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("users.id"))
