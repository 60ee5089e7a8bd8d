"""AuditEvent: one row per sensitive action; never updated or deleted. The ORM refuses a
change or a delete of a loaded event here; the database's triggers refuse any statement that
would (migration 3015accdb78f); tests/audit/test_append_only.py scans the code for one."""

import uuid
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, Uuid, event
from sqlalchemy.orm import Mapped, mapped_column

from outreach.db import UTCDateTime, UUIDPrimaryKey, db, utcnow


class AuditEvent(UUIDPrimaryKey, db.Model):
    __tablename__ = "audit_events"

    organisation_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("organisations.id"), index=True
    )
    user_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(String(60), nullable=False, index=True)
    object_type: Mapped[str | None] = mapped_column(String(40))
    object_id: Mapped[str | None] = mapped_column(String(64))
    details: Mapped[dict] = mapped_column(JSON, default=dict, nullable=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False, index=True)


class AppendOnly(Exception):
    """An audit event was to be changed or deleted."""


@event.listens_for(AuditEvent, "before_update")
@event.listens_for(AuditEvent, "before_delete")
def _refuse_change(mapper, connection, target) -> None:
    raise AppendOnly("audit events are append-only: never updated or deleted")
