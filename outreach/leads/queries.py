"""Reads of leads, scoped to one organisation: the representation and its ETag, the filtered
list, the same ad seen before, the ads of a phone number (its group's part: phonegroups.py),
clinics near a lead, and the recent screening flags of clinics (for the route planner)."""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import String, and_, cast, func, or_, select

from outreach import phonegroups
from outreach.audit.services import record
from outreach.clinics.models import Clinic
from outreach.db import db
from outreach.denmark import town_for_postcode
from outreach.geo import distance_km
from outreach.leads.models import LEAD_FLAGS, Lead, LeadSighting
from outreach.leads.schemas import LeadOutSchema
from outreach.paging import paginate
from outreach.phonegroups import Part
from outreach.records import compute_etag
from outreach.tenancy import get_in_org, scoped, tenant_select

LOCAL_TZ = ZoneInfo("Europe/Copenhagen")


def representation(lead: Lead) -> dict:
    return LeadOutSchema().dump(lead)


def etag(lead: Lead) -> str:
    return compute_etag(representation(lead))


@dataclass
class LeadFilters:
    site: str | None = None
    status: str | None = None
    flag: str | None = None
    region: str | None = None
    kind: str | None = None
    clinic_id: uuid.UUID | None = None
    seen_since: date | None = None


def filtered_select(organisation_id, filters: LeadFilters):
    """The organisation's leads matching the filters, last seen first."""
    stmt = tenant_select(Lead, organisation_id)
    for column, value in (
        (Lead.site, filters.site),
        (Lead.status, filters.status),
        (Lead.region_slug, filters.region),
        (Lead.kind, filters.kind),
        (Lead.clinic_id, filters.clinic_id),
    ):
        if value:
            stmt = stmt.where(column == value)
    if filters.seen_since:
        since = datetime.combine(filters.seen_since, time.min, LOCAL_TZ)
        stmt = stmt.where(Lead.last_seen >= since)
    if filters.flag:
        # A JSON list of codes: the code in quotes is found in its text on every database.
        stmt = stmt.where(cast(Lead.flags, String).like(f'%"{filters.flag}"%'))
    return stmt.order_by(Lead.last_seen.desc(), Lead.id)


def list_leads(
    user, filters: LeadFilters, *, page: int = 1, per_page: int = 100, last_if_past: bool = False
):
    """(leads, total, page); the listing is audited once, with the filters' codes only. A page
    past the end is empty (the API, as for clinics), or with `last_if_past` the last page
    (the list page, as the clinic list: a link from before the list got shorter)."""
    stmt = filtered_select(user.organisation_id, filters)
    items, total = paginate(stmt, page, per_page)
    last = max(-(-total // per_page), 1)
    if last_if_past and page > last:
        page = last
        items, total = paginate(stmt, page, per_page)
    record(
        "lead.list",
        user=user,
        object_type="leads",
        count=len(items),
        page=page,
        **audited_filters(filters),
    )
    return items, total, page


def audited_filters(filters: LeadFilters) -> dict:
    """The filters an audit event names: codes only (a site's name, a day or a clinic are
    left out)."""
    return {k: str(v) for k, v in vars(filters).items() if v and k in ("status", "flag", "region")}


def read_lead(user, lead_id) -> Lead | None:
    """One lead; every read is audited (its number and address are protected data)."""
    lead = get_in_org(Lead, lead_id, user.organisation_id)
    if lead is not None:
        record("lead.read", user=user, obj=lead)
    return lead


def sightings(lead: Lead) -> list[LeadSighting]:
    stmt = tenant_select(LeadSighting, lead.organisation_id).where(LeadSighting.lead_id == lead.id)
    return list(db.session.scalars(stmt.order_by(LeadSighting.seen_at.desc())))


def same_ad(
    organisation_id, *, url: str | None, phone: str | None, site: str, exclude=None
) -> Lead | None:
    """The lead of the same ad seen before: the same address (on any site), or the same
    number on the same site; by look-up hash, the oldest first."""
    conditions = []
    if url:
        conditions.append(Lead.url.matches(url))
    if phone:
        conditions.append(and_(Lead.phone.matches(phone), Lead.site == site))
    if not conditions:
        return None
    stmt = tenant_select(Lead, organisation_id).where(or_(*conditions))
    if exclude is not None:
        stmt = stmt.where(Lead.id != exclude)
    return db.session.scalars(stmt.order_by(Lead.created_at, Lead.id).limit(1)).first()


# Phone-number groups (outreach/phonegroups.py): the ads of a number ----------------------


def _ads_of_numbers(organisation_id, lookups: Sequence[str] | None) -> dict[str, Part]:
    """{look-up hash: how many ads, on how many sites, the latest sighting}; by hash only."""
    stmt = select(
        Lead.phone_lookup,
        func.count(),
        func.count(func.distinct(Lead.site)),
        func.max(Lead.last_seen),
    ).where(Lead.phone_lookup.is_not(None))
    if lookups is not None:
        stmt = stmt.where(Lead.phone_lookup.in_(list(lookups)))
    rows = db.session.execute(scoped(stmt.group_by(Lead.phone_lookup), organisation_id, Lead))
    return {lookup: Part(count, newest, {"sites": sites}) for lookup, count, sites, newest in rows}


def _ads_with_numbers(organisation_id, lookups: Sequence[str]) -> dict[str, list[Lead]]:
    found: dict[str, list[Lead]] = {}
    stmt = tenant_select(Lead, organisation_id).where(Lead.phone_lookup.in_(list(lookups)))
    for lead in db.session.scalars(stmt.order_by(Lead.last_seen.desc(), Lead.id)):
        found.setdefault(lead.phone_lookup, []).append(lead)
    return found


phonegroups.register(phonegroups.Source("leads", _ads_of_numbers, _ads_with_numbers))


# Clinics a lead may be ---------------------------------------------------------------------

NEAR_KM = 5.0


def _place(lead: Lead) -> tuple[float, float] | None:
    if lead.lat is not None and lead.lon is not None:
        return lead.lat, lead.lon
    town = town_for_postcode(lead.postcode) if lead.postcode else None
    return (town.lat, town.lon) if town else None


def nearby_clinics(lead: Lead, limit: int = 10) -> list[tuple[Clinic, float | None, bool]]:
    """Clinics the lead may be: (clinic, km from the lead's place or None, same number),
    those with the same number first, then the nearest within NEAR_KM of its place (its
    coordinates, or its postcode's town), then those in the same postcode or town."""
    org_id = lead.organisation_id
    place = _place(lead)
    conditions = []
    if lead.phone_lookup:
        conditions.append(Clinic.phone_lookup == lead.phone_lookup)
    if place:
        # About NEAR_KM around the place; the exact distance is taken below.
        d_lat, d_lon = NEAR_KM / 111.0, NEAR_KM / 62.0
        conditions.append(
            and_(
                Clinic.lat.between(place[0] - d_lat, place[0] + d_lat),
                Clinic.lon.between(place[1] - d_lon, place[1] + d_lon),
            )
        )
    if lead.postcode:
        conditions.append(Clinic.postcode == lead.postcode)
    if lead.city:
        conditions.append(func.lower(Clinic.city) == lead.city.strip().lower())
    if not conditions:
        return []
    stmt = tenant_select(Clinic, org_id).where(or_(*conditions), Clinic.status != "closed")
    found = []
    for clinic in db.session.scalars(stmt.limit(500)):
        km = None
        if place and clinic.lat is not None and clinic.lon is not None:
            km = distance_km(place, (clinic.lat, clinic.lon))
        same_number = bool(lead.phone_lookup) and clinic.phone_lookup == lead.phone_lookup
        if same_number or km is None or km <= NEAR_KM:
            found.append((clinic, km, same_number))
    found.sort(key=lambda f: (not f[2], f[1] if f[1] is not None else NEAR_KM + 1, f[0].name))
    return found[:limit]


# The route planner's screening reason ------------------------------------------------------


@dataclass(frozen=True)
class ScreeningFlags:
    flags: tuple[str, ...]  # in the vocabulary's order
    seen: datetime  # the latest sighting with a flag


def recent_flags(organisation_id, clinic_ids: Sequence, since: datetime, until: datetime) -> dict:
    """{clinic id: ScreeningFlags} for clinics with a flagged lead last seen in [since, until):
    leads linked to the clinic, and leads with the clinic's number (by look-up hash)."""
    ids = list(clinic_ids)
    if not ids:
        return {}
    found: dict = {}

    def add(clinic_id, flags, seen):
        if not flags:
            return
        have = found.get(clinic_id)
        merged = set(flags) | (set(have.flags) if have else set())
        latest = max(seen, have.seen) if have else seen
        found[clinic_id] = ScreeningFlags(tuple(f for f in LEAD_FLAGS if f in merged), latest)

    window = and_(Lead.last_seen >= since, Lead.last_seen < until, Lead.status != "dismissed")
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        linked = scoped(
            select(Lead.clinic_id, Lead.flags, Lead.last_seen).where(
                Lead.clinic_id.in_(chunk), window
            ),
            organisation_id,
            Lead,
        )
        for clinic_id, flags, seen in db.session.execute(linked):
            add(clinic_id, flags, seen)
        same_number = scoped(
            select(Clinic.id, Lead.flags, Lead.last_seen)
            .join(Lead, Lead.phone_lookup == Clinic.phone_lookup)
            .where(Clinic.id.in_(chunk), Clinic.phone_lookup.is_not(None), window),
            organisation_id,
            Clinic,
            Lead,
        )
        for clinic_id, flags, seen in db.session.execute(same_number):
            add(clinic_id, flags, seen)
    return found


def window_start(day: date, days: int) -> datetime:
    """The first instant of the screening window that ends with `day` (local days)."""
    return datetime.combine(day - timedelta(days=days), time.min, LOCAL_TZ)
