"""Person, Conversation, PersonMerge and PersonSearch tables, and the names of the code lists
their columns take (from the vocabulary)."""

import uuid
from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from outreach import vocabulary
from outreach.changes import Synced
from outreach.crypto import Encrypted, SealedText
from outreach.db import Timestamps, UTCDateTime, UUIDPrimaryKey, db, utcnow
from outreach.persons.matching import exact_form

# The codes of the columns below, with their labels, live in outreach/vocabulary.py.
GENDERS = vocabulary.GENDERS
CHANNELS = vocabulary.CHANNELS
TOPICS = vocabulary.TOPICS
REFERRALS = vocabulary.REFERRALS


class Person(UUIDPrimaryKey, Timestamps, Synced, db.Model):
    __tablename__ = "persons"
    __table_args__ = (
        Index("ix_persons_org_sync", "organisation_id", "sync_seq"),
        Index("ix_persons_canonical", "canonical_id"),
        Index("ix_persons_org_alias_lookup", "organisation_id", "alias_lookup"),
        # Deleting a person checks that no record is merged into her: without these, each
        # deleted person costs a scan of the table (the retention purge deletes thousands).
        Index("ix_persons_merged_into", "merged_into_id"),
    )

    organisation_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("organisations.id"), nullable=False
    )
    # Encrypted at rest (outreach/crypto.py); alias_lookup is the keyed hash of the alias
    # as matching.exact_form gives it (case, accents and punctuation aside) for exact look-ups.
    _alias: Mapped[str] = mapped_column("alias", SealedText, nullable=False)
    alias = Encrypted("_alias", lookup="alias_lookup", normalise=exact_form)
    alias_lookup: Mapped[str | None] = mapped_column(String(64))
    nationality: Mapped[str | None] = mapped_column(String(2))
    birth_year: Mapped[int | None] = mapped_column(Integer)
    gender: Mapped[str] = mapped_column(String(12), default="unknown", nullable=False)
    languages: Mapped[list] = mapped_column(JSON, default=list, nullable=False)
    # Set when a coordinator found this person to be the same as another one; undone by unmerge.
    merged_into_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("persons.id"))
    # The person every figure counts this one as: the end of the merged_into chain (or itself).
    canonical_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("users.id"))


class Conversation(UUIDPrimaryKey, Timestamps, Synced, db.Model):
    __tablename__ = "conversations"
    __table_args__ = (
        Index("ix_conversations_org_occurred", "organisation_id", "occurred_at"),
        Index("ix_conversations_person", "person_id"),
        Index("ix_conversations_visit", "visit_id"),
        Index("ix_conversations_org_sync", "organisation_id", "sync_seq"),
    )

    organisation_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("organisations.id"), nullable=False
    )
    person_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("persons.id"), nullable=False)
    visit_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("visits.id"))
    channel: Mapped[str] = mapped_column(String(10), nullable=False)
    # Given, or the visit's start when held in a visit (DESIGN.md §3).
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    occurred_at_given: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)
    topics: Mapped[list] = mapped_column(JSON, default=list, nullable=False)
    language: Mapped[str | None] = mapped_column(String(2))
    interpreter_used: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    concern_level: Mapped[str | None] = mapped_column(String(6))
    indicators: Mapped[list] = mapped_column(JSON, default=list, nullable=False)
    referral: Mapped[str | None] = mapped_column(String(30))
    follow_up_needed: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    _notes: Mapped[str | None] = mapped_column("notes", SealedText)
    notes = Encrypted("_notes")  # encrypted at rest (outreach/crypto.py)
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("users.id"))


class PersonMerge(UUIDPrimaryKey, db.Model):
    """The history of merges, so a mistaken merge can be undone exactly."""

    __tablename__ = "person_merges"
    __table_args__ = (
        Index("ix_person_merges_source", "source_id"),
        Index("ix_person_merges_target", "target_id"),
    )

    organisation_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("organisations.id"), nullable=False, index=True
    )
    source_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("persons.id"), nullable=False)
    target_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("persons.id"), nullable=False)
    merged_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    merged_by_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("users.id"))
    undone_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    undone_by_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("users.id"))


class PersonTombstone(Synced, db.Model):
    """A person deleted by the retention purge (outreach/retention): numbered in the change
    sequence like a write, so that the pull tells phones to drop her from their person index.
    Holds the random id only."""

    __tablename__ = "person_tombstones"
    __table_args__ = (Index("ix_person_tombstones_org_sync", "organisation_id", "sync_seq"),)

    person_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    organisation_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("organisations.id"), nullable=False
    )
    deleted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)


class PersonSearch(db.Model):
    """A search of the persons list, kept on the server under a random id for a short while,
    so that its results are an ordinary GET page (/persons/?search=<id>: Back and reload work)
    while the alias searched for stays out of every URL, log line and cookie (SECURITY.md 19).
    Only the user who searched can open it."""

    __tablename__ = "person_searches"

    # secrets.token_urlsafe(16): unguessable, and says nothing about what was searched.
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    organisation_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("organisations.id"), nullable=False
    )
    user_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("users.id"), nullable=False)
    # What was typed: an alias, or part of one; encrypted at rest like the alias itself.
    _query: Mapped[str] = mapped_column("query", SealedText, nullable=False)
    query = Encrypted("_query")
    nationality: Mapped[str | None] = mapped_column(String(2))
    gender: Mapped[str | None] = mapped_column(String(12))
    merged: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    # Indexed: expired searches are deleted by when they were made.
    created_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, nullable=False, index=True
    )
