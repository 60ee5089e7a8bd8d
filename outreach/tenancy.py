"""The one way to query tenant data: every select on an organisation's rows starts here."""

import uuid

from flask import abort
from sqlalchemy import Select, select

from outreach.db import db


def tenant_select(model, organisation_id: uuid.UUID) -> Select:
    """`SELECT model ... WHERE model.organisation_id = :org`; add filters to the result."""
    return select(model).where(model.organisation_id == organisation_id)


def get_in_org(model, object_id, organisation_id: uuid.UUID):
    """The row with this id in this organisation, or None (also for another org's id)."""
    if not isinstance(object_id, uuid.UUID):
        try:
            object_id = uuid.UUID(str(object_id))
        except ValueError:
            return None
    return db.session.scalar(tenant_select(model, organisation_id).where(model.id == object_id))


def get_in_org_or_404(model, object_id, organisation_id: uuid.UUID):
    obj = get_in_org(model, object_id, organisation_id)
    if obj is None:
        abort(404)
    return obj


def id_taken_elsewhere(model, object_id: uuid.UUID, organisation_id: uuid.UUID) -> bool:
    """True when a client-chosen id already belongs to another organisation."""
    owner = db.session.scalar(select(model.organisation_id).where(model.id == object_id))
    return owner is not None and owner != organisation_id
