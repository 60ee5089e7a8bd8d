"""Every state change of visits, and the checks of what a visit refers to."""

import uuid

from sqlalchemy import func, select

from outreach.auth.models import User
from outreach.clinics.models import Clinic
from outreach.db import db
from outreach.errors import FieldErrors
from outreach.i18n import N_
from outreach.orgs.models import Organisation
from outreach.paging import paginate
from outreach.records import compute_etag, create_or_replace
from outreach.tenancy import get_in_org, tenant_select
from outreach.visits.models import Visit
from outreach.visits.schemas import VisitOutSchema

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


def representation(visit: Visit) -> dict:
    return VisitOutSchema().dump(visit)


def etag(visit: Visit) -> str:
    return compute_etag(representation(visit))


def organisation_lists(organisation_id) -> dict:
    """The organisation's supply and indicator codes (coordinators edit them)."""
    org = db.session.get(Organisation, organisation_id)
    settings = org.settings or {}
    return {
        "supplies": list(settings.get("supplies", [])),
        "indicators": list(settings.get("indicators", [])),
    }


def check_codes(organisation_id, field: str, kind: str, given, errors: dict) -> None:
    """Accept the codes of the organisation's list, and codes taken off it since: a record
    made before the change (or offline on a phone) must still save and resend."""
    from outreach.orgs.services import code_labels

    org = db.session.get(Organisation, organisation_id)
    current = list((org.settings or {}).get(kind, []))
    unknown = sorted(set(given) - set(current) - set(code_labels(org, kind)))
    if unknown:
        errors.setdefault(field, []).append(
            f"Unknown code(s) {', '.join(unknown)}; the organisation's list has "
            f"{', '.join(current) or 'no codes yet'}."
        )


def _check_references(organisation_id, data: dict) -> None:
    errors: dict[str, list[str]] = {}
    if get_in_org(Clinic, data["clinic_id"], organisation_id) is None:
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
    from outreach.persons.services import follow_visit_time, touch_persons_met_in

    moved = not created and visit.clinic_id != data["clinic_id"]
    for field in INPUT_FIELDS:
        setattr(visit, field, data[field])
    if not created:
        follow_visit_time(visit)
    if moved:
        touch_persons_met_in(visit)


def put_visit(user, visit_id: uuid.UUID, data: dict, if_match: str | None = None):
    data = _normalise(data)
    _check_references(user.organisation_id, data)
    return create_or_replace(
        Visit, user, visit_id, data, if_match, etag=etag, current_input=_current_input, apply=_apply
    )


def list_visits(
    organisation_id,
    *,
    clinic_id=None,
    since=None,
    until=None,
    outcome=None,
    page: int = 1,
    per_page: int = 100,
):
    stmt = tenant_select(Visit, organisation_id)
    if clinic_id:
        stmt = stmt.where(Visit.clinic_id == clinic_id)
    if since:
        stmt = stmt.where(Visit.started_at >= since)
    if until:
        stmt = stmt.where(Visit.started_at < until)
    if outcome:
        stmt = stmt.where(Visit.outcome == outcome)
    return paginate(stmt.order_by(Visit.started_at.desc(), Visit.id), page, per_page)
