"""Create-or-replace with client-generated ids (DESIGN.md §4), shared by every resource the
phone can write: clinics, visits, persons and conversations.

A resource module supplies how to read its input back from a row (`current_input`), how to
apply validated input (`apply`) and its ETag; this module owns the rules: another
organisation's id is "not found", If-Match must match, a resend of the same body changes
nothing, and every real change gets an audit event and a new sync sequence number.
"""

import hashlib
import json
import uuid
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, field

from sqlalchemy.exc import IntegrityError

from outreach.audit.services import record
from outreach.changes import stamp
from outreach.db import db
from outreach.tenancy import get_in_org, owner_of


class RecordNotFound(Exception):
    """No such id in the caller's organisation (another organisation's id looks the same)."""


class PreconditionFailed(Exception):
    """If-Match did not match the current ETag."""


class NotAllowed(Exception):
    """The caller's role may not make this change; the message says why."""


def compute_etag(representation: dict) -> str:
    body = json.dumps(representation, sort_keys=True, default=str)
    return '"' + hashlib.sha256(body.encode()).hexdigest()[:32] + '"'


def etag_matches(header: str, current: str) -> bool:
    """If-Match uses the strong comparison (RFC 9110): a weak W/ tag never matches."""
    candidates = [c.strip() for c in header.split(",")]
    return "*" in candidates or current in candidates


@dataclass
class PutResult:
    obj: object
    created: bool
    changed: bool
    # Stored, but worth a second look: numbers above the organisation's usual most
    # (outreach/plausibility.py), answered beside the record.
    warnings: list[dict] = field(default_factory=list)


def create_or_replace(
    model,
    user,
    object_id: uuid.UUID,
    data: dict,
    if_match: str | None,
    *,
    etag: Callable[[object], str],
    current_input: Callable[[object], dict],
    apply: Callable[[object, dict, bool], None],
    audit_action: Callable[[object, bool], str] | None = None,
) -> PutResult:
    org_id = user.organisation_id
    # One read: the row in this organisation. A new id is not looked up elsewhere first; an id
    # another organisation owns fails the insert on its key, and is refused below.
    obj = get_in_org(model, object_id, org_id)
    if if_match is not None and (obj is None or not etag_matches(if_match, etag(obj))):
        if obj is None and owner_of(model, object_id) not in (None, org_id):
            raise RecordNotFound()  # 404 before 412: another organisation's id is not found
        raise PreconditionFailed()
    created = obj is None
    if created:
        obj = model(id=object_id, organisation_id=org_id, created_by_id=user.id)
    elif current_input(obj) == data:
        return PutResult(obj, created=False, changed=False)
    action = audit_action(obj, created) if audit_action else None
    try:
        # A new row goes in under a savepoint: a second copy of the same record, sent at the
        # same moment, also found nothing, and one of the two inserts meets the other's key.
        with db.session.begin_nested() if created else nullcontext():
            apply(obj, data, created)
            stamp(obj)
            if created:
                db.session.add(obj)
            db.session.flush()
    except IntegrityError:
        owner = owner_of(model, object_id) if created else None
        if owner is None:
            raise
        if owner != org_id:
            raise RecordNotFound() from None
        # The other copy committed first (PostgreSQL's insert waits for it). Only this
        # attempt is undone; the next statement reads the committed row, so this copy is
        # answered as what it is, a resend or a replace of that row (DESIGN.md §4).
        return create_or_replace(
            model,
            user,
            object_id,
            data,
            if_match,
            etag=etag,
            current_input=current_input,
            apply=apply,
            audit_action=audit_action,
        )
    name = model.__tablename__.removesuffix("s")
    record(action or f"{name}.{'create' if created else 'update'}", user=user, obj=obj)
    return PutResult(obj, created=created, changed=True)
