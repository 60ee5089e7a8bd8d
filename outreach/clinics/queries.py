"""Reads of the clinic registry, scoped to one organisation: the representation and its ETag,
the filtered list with each clinic's last visit, the map's points, a clinic's recent visits,
and the clinics of a phone number (its group's part: outreach/phonegroups.py)."""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import func, or_, select

from outreach import phonegroups
from outreach.clinics.models import Clinic
from outreach.clinics.schemas import ClinicOutSchema
from outreach.db import db
from outreach.paging import paginate
from outreach.phonegroups import Part
from outreach.records import compute_etag
from outreach.tenancy import scoped, tenant_select
from outreach.visits.models import Visit

LOCAL_TZ = ZoneInfo("Europe/Copenhagen")


def representation(clinic: Clinic) -> dict:
    return ClinicOutSchema().dump(clinic)


def etag(clinic: Clinic) -> str:
    return compute_etag(representation(clinic))


@dataclass
class ClinicFilters:
    region: str | None = None
    kind: str | None = None
    status: str | None = None
    q: str | None = None
    not_visited_since: date | None = None
    updated_since: datetime | None = None


def last_visit_subquery(organisation_id: uuid.UUID):
    """Each of the organisation's clinics' latest visit time (clinics never visited: no row)."""
    return scoped(
        select(Visit.clinic_id, func.max(Visit.started_at).label("last_visit_at")).group_by(
            Visit.clinic_id
        ),
        organisation_id,
        Visit,
    ).subquery()


def last_visits(organisation_id: uuid.UUID, clinic_ids) -> dict:
    """{clinic id: its latest visit time} for these clinics (never visited: not in it)."""
    if not clinic_ids:
        return {}
    last = last_visit_subquery(organisation_id)
    rows = db.session.execute(select(last).where(last.c.clinic_id.in_(list(clinic_ids))))
    return {clinic_id: at for clinic_id, at in rows}


def filtered_select(organisation_id: uuid.UUID, filters: ClinicFilters):
    """The organisation's clinics matching the filters, with each one's last visit time."""
    last = last_visit_subquery(organisation_id)
    stmt = (
        tenant_select(Clinic, organisation_id)
        .add_columns(last.c.last_visit_at)
        .outerjoin(last, last.c.clinic_id == Clinic.id)
    )
    if filters.region:
        stmt = stmt.where(Clinic.region_slug == filters.region)
    if filters.kind:
        stmt = stmt.where(Clinic.kind == filters.kind)
    if filters.status:
        stmt = stmt.where(Clinic.status == filters.status)
    if filters.q:
        pattern = "%" + filters.q.strip().lower().replace("%", r"\%").replace("_", r"\_") + "%"
        stmt = stmt.where(
            or_(
                func.lower(Clinic.name).like(pattern, escape="\\"),
                func.lower(Clinic.address).like(pattern, escape="\\"),
                func.lower(Clinic.city).like(pattern, escape="\\"),
                Clinic.postcode.like(pattern, escape="\\"),
            )
        )
    if filters.not_visited_since:
        since = datetime.combine(filters.not_visited_since, time.min, LOCAL_TZ)
        stmt = stmt.where(or_(last.c.last_visit_at.is_(None), last.c.last_visit_at < since))
    if filters.updated_since:
        stmt = stmt.where(Clinic.updated_at >= filters.updated_since)
    return stmt.order_by(Clinic.name, Clinic.id)


def list_clinics(
    organisation_id, filters: ClinicFilters, *, page: int = 1, per_page: int | None = None
):
    """(rows of (clinic, last_visit_at), total)."""
    stmt = filtered_select(organisation_id, filters)
    if per_page:
        return paginate(stmt, page, per_page, rows=True)
    rows = db.session.execute(stmt).all()
    return rows, len(rows)


def map_points(organisation_id, filters: ClinicFilters, *, limit: int):
    """(rows of (id, name, kind, status, lat, lon) for the clinics with coordinates, capped at
    `limit`; how many of the filtered clinics have no coordinates)."""
    stmt = filtered_select(organisation_id, filters)
    located = stmt.where(Clinic.lat.is_not(None), Clinic.lon.is_not(None))
    rows = db.session.execute(
        located.with_only_columns(
            Clinic.id, Clinic.name, Clinic.kind, Clinic.status, Clinic.lat, Clinic.lon
        ).limit(limit)
    ).all()
    unlocated = stmt.order_by(None).where(or_(Clinic.lat.is_(None), Clinic.lon.is_(None)))
    without = db.session.scalar(select(func.count()).select_from(unlocated.subquery()))
    return rows, without


def recent_visits(clinic: Clinic, limit: int = 20):
    """(the clinic's newest visits, newest first; how many visits it has in all)."""
    visits = tenant_select(Visit, clinic.organisation_id).where(Visit.clinic_id == clinic.id)
    rows = db.session.scalars(visits.order_by(Visit.started_at.desc(), Visit.id).limit(limit)).all()
    total = db.session.scalar(select(func.count()).select_from(visits.subquery()))
    return rows, total


# Phone-number groups (outreach/phonegroups.py): the clinics of a number --------------------


def _clinics_of_numbers(organisation_id, lookups: Sequence[str] | None) -> dict[str, Part]:
    """{look-up hash: how many clinics, the newest one's creation}; by hash only."""
    stmt = select(Clinic.phone_lookup, func.count(), func.max(Clinic.created_at)).where(
        Clinic.phone_lookup.is_not(None)
    )
    if lookups is not None:
        stmt = stmt.where(Clinic.phone_lookup.in_(list(lookups)))
    rows = db.session.execute(scoped(stmt.group_by(Clinic.phone_lookup), organisation_id, Clinic))
    return {lookup: Part(count, newest) for lookup, count, newest in rows}


def _clinics_with_numbers(organisation_id, lookups: Sequence[str]) -> dict[str, list[Clinic]]:
    found: dict[str, list[Clinic]] = {}
    stmt = tenant_select(Clinic, organisation_id).where(Clinic.phone_lookup.in_(list(lookups)))
    for clinic in db.session.scalars(stmt.order_by(Clinic.name, Clinic.id)):
        found.setdefault(clinic.phone_lookup, []).append(clinic)
    return found


phonegroups.register(phonegroups.Source("clinics", _clinics_of_numbers, _clinics_with_numbers))
