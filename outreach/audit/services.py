"""Writing audit events. Details must never hold personal data of the persons met."""

from outreach.audit.models import AuditEvent
from outreach.db import db


def record(
    action,
    *,
    user=None,
    organisation_id=None,
    obj=None,
    object_type=None,
    object_id=None,
    **details,
) -> AuditEvent:
    if obj is not None:
        object_type = object_type or obj.__tablename__
        object_id = object_id or str(obj.id)
    if organisation_id is None and user is not None:
        organisation_id = user.organisation_id
    event = AuditEvent(
        action=action,
        user_id=getattr(user, "id", None),
        organisation_id=organisation_id,
        object_type=object_type,
        object_id=str(object_id) if object_id is not None else None,
        details=details,
    )
    db.session.add(event)
    db.session.flush()
    return event
