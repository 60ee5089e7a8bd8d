"""Every state change of visits, and the checks of what a visit refers to."""

import uuid

from blinker import Namespace
from sqlalchemy import func, select

from outreach.auth.models import User
from outreach.db import db
from outreach.errors import FieldErrors
from outreach.i18n import N_
from outreach.orgs.models import Organisation
from outreach.orgs.queries import check_codes, plausibility_limits
from outreach.plausibility import (
    COUNT_MESSAGE,
    FUTURE_MESSAGE,
    MAX_COUNT,
    MAX_PERSONS_PRESENT,
    in_future,
    unusual,
)
from outreach.records import create_or_replace
from outreach.tenancy import reference_in_org, tenant_select
from outreach.visits.models import Visit
from outreach.visits.queries import etag

_signals = Namespace()
# Sent when a stored visit is replaced, before the flush: features that keep data about a visit
# (the conversations held in it) follow it without this feature knowing them. Receivers change
# rows and flush; they never commit. Arguments: the visit, and `moved` (to another clinic).
visit_changed = _signals.signal("visit-changed")
# Sent when a visit is stored new, moved to another clinic or given another time, before the
# flush: the clinics whose last visit may have changed (`clinic_ids`) follow it, so that
# phones pull them again with their new last-visit date. Receivers change rows and flush.
visit_placed = _signals.signal("visit-placed")

INPUT_FIELDS = (
    "clinic_id",
    "started_at",
    "ended_at",
    "outcome",
    "not_admitted_reason",
    "staff",
    "persons_present",
    "supplies",
    "concern_level",
    "indicators",
    "police_informed",
    "police_informed_at",
    "police_note",
    "notes",
)


def _check_references(organisation_id, data: dict, errors: dict[str, list[str]]) -> None:
    if not reference_in_org(Visit.clinic_id, data["clinic_id"], organisation_id):
        errors["clinic_id"] = [N_("No clinic with this id in your organisation.")]
    # Normalised to strings for storage in JSON; the query needs UUIDs.
    staff = {uuid.UUID(s) for s in data["staff"]}
    if staff:
        found = db.session.scalar(
            select(func.count()).select_from(
                tenant_select(User, organisation_id).where(User.id.in_(staff)).subquery()
            )
        )
        if found != len(staff):
            errors["staff"] = [N_("Every staff id must be a user of your organisation.")]
    check_codes(organisation_id, "supplies", "supplies", data["supplies"].keys(), errors)
    check_codes(organisation_id, "indicators", "indicators", data["indicators"], errors)
    if errors:
        raise FieldErrors(errors)


def check_plausible(organisation_id, data: dict) -> list[dict]:
    """The one plausibility check of a visit's numbers and times, for the API and the pages.

    Raises FieldErrors naming each impossible field ("supplies.condoms", "persons_present",
    "started_at", ...); returns a warning (plausibility.unusual) for each number above the
    organisation's usual most, which a person should confirm."""
    errors = _impossible(data)
    if errors:
        raise FieldErrors(errors)
    limits = plausibility_limits(db.session.get(Organisation, organisation_id))
    present = data.get("persons_present")
    warnings = [unusual("persons_present", present, limits["persons_present"])]
    for code, count in sorted((data.get("supplies") or {}).items()):
        warnings.append(unusual(f"supplies.{code}", count, limits["supplies"].get(code, MAX_COUNT)))
    return [w for w in warnings if w is not None]


def _impossible(data: dict) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    present = data.get("persons_present")
    if present is not None and not 0 <= present <= MAX_PERSONS_PRESENT:
        errors["persons_present"] = [N_("Give a whole number from 0 to 100.")]
    elif present == 0 and data.get("outcome") == "admitted":
        errors["persons_present"] = [N_("Someone let the team in: at least 1 person was present.")]
    for code, count in (data.get("supplies") or {}).items():
        if not 0 <= count <= MAX_COUNT:
            errors[f"supplies.{code}"] = [COUNT_MESSAGE]
    for field in ("started_at", "ended_at", "police_informed_at"):
        if in_future(data.get(field)):
            errors[field] = [FUTURE_MESSAGE]
    return errors


def _normalise(data: dict) -> dict:
    data = {f: data.get(f) for f in INPUT_FIELDS}
    data["staff"] = sorted({str(s) for s in data["staff"] or []})
    data["indicators"] = sorted(set(data["indicators"] or []))
    data["supplies"] = {k: v for k, v in sorted((data["supplies"] or {}).items()) if v}
    for field in ("notes", "police_note"):
        if isinstance(data[field], str):
            data[field] = data[field].strip() or None
    return data


def _current_input(visit: Visit) -> dict:
    return {f: getattr(visit, f) for f in INPUT_FIELDS}


def _apply(visit: Visit, data: dict, created: bool) -> None:
    moved = not created and visit.clinic_id != data["clinic_id"]
    retimed = not created and visit.started_at != data["started_at"]
    clinic_ids = {data["clinic_id"]} | ({visit.clinic_id} if moved else set())
    for field in INPUT_FIELDS:
        setattr(visit, field, data[field])
    if not created:
        visit_changed.send(visit, moved=moved)
    if created or moved or retimed:
        visit_placed.send(visit, clinic_ids=clinic_ids)


def put_visit(user, visit_id: uuid.UUID, data: dict, if_match: str | None = None):
    """Create or replace a visit. The result's `warnings` list the unusual numbers
    (check_plausible), unless the input says someone confirmed them (`confirmed_unusual`)."""
    confirmed = bool(data.get("confirmed_unusual"))
    data = _normalise(data)
    _check_references(user.organisation_id, data, _impossible(data))
    warnings = check_plausible(user.organisation_id, data)
    result = create_or_replace(
        Visit, user, visit_id, data, if_match, etag=etag, current_input=_current_input, apply=_apply
    )
    result.warnings = [] if confirmed else warnings
    return result
