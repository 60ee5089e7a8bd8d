"""Reads of leads, scoped to one organisation: the representation and its ETag, the filtered
list, the same ad seen before, the groups of records sharing a phone number, clinics near a
lead, and the recent screening flags of clinics (for the route planner)."""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import String, and_, cast, func, or_, select

from outreach.audit.services import record
from outreach.clinics.models import Clinic
from outreach.db import db
from outreach.denmark import town_for_postcode
from outreach.geo import distance_km
from outreach.leads.models import LEAD_FLAGS, Lead, LeadSighting
from outreach.leads.schemas import LeadOutSchema
from outreach.paging import paginate
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


def list_leads(user, filters: LeadFilters, *, page: int = 1, per_page: int = 100):
    """(leads, total); the listing is audited once, with the filters' codes only."""
    items, total = paginate(filtered_select(user.organisation_id, filters), page, per_page)
    record(
        "lead.list",
        user=user,
        object_type="leads",
        count=len(items),
        page=page,
        **{k: str(v) for k, v in vars(filters).items() if v and k in ("status", "flag", "region")},
    )
    return items, total


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


# Phone-number groups ----------------------------------------------------------------------


@dataclass
class PhoneGroup:
    """Every lead and clinic of the organisation with one number (by its look-up hash)."""

    phone_lookup: str
    ads: int = 0
    sites: int = 0
    clinics: int = 0
    newest: datetime | None = None
    leads: list[Lead] = field(default_factory=list)
    clinic_rows: list[Clinic] = field(default_factory=list)

    @property
    def size(self) -> int:
        return self.ads + self.clinics

    @property
    def phone(self) -> str | None:
        for row in (*self.leads, *self.clinic_rows):
            if row.phone:
                return row.phone
        return None


def _group_counts(organisation_id, lookups: Sequence[str] | None = None) -> dict[str, PhoneGroup]:
    """{look-up hash: PhoneGroup with counts} over the organisation's leads and clinics (of
    `lookups` only, when given). The numbers are compared by hash, never in clear text."""
    ads = select(
        Lead.phone_lookup,
        func.count(),
        func.count(func.distinct(Lead.site)),
        func.max(Lead.last_seen),
    ).where(Lead.phone_lookup.is_not(None))
    at_clinics = select(Clinic.phone_lookup, func.count(), func.max(Clinic.created_at)).where(
        Clinic.phone_lookup.is_not(None)
    )
    if lookups is not None:
        ads = ads.where(Lead.phone_lookup.in_(list(lookups)))
        at_clinics = at_clinics.where(Clinic.phone_lookup.in_(list(lookups)))
    groups: dict[str, PhoneGroup] = {}
    for lookup, count, sites, newest in db.session.execute(
        scoped(ads.group_by(Lead.phone_lookup), organisation_id, Lead)
    ):
        groups[lookup] = PhoneGroup(lookup, ads=count, sites=sites, newest=newest)
    for lookup, count, newest in db.session.execute(
        scoped(at_clinics.group_by(Clinic.phone_lookup), organisation_id, Clinic)
    ):
        group = groups.setdefault(lookup, PhoneGroup(lookup))
        group.clinics = count
        if newest and (group.newest is None or newest > group.newest):
            group.newest = newest
    return groups


def _load_members(organisation_id, groups: Sequence[PhoneGroup]) -> None:
    by_lookup = {g.phone_lookup: g for g in groups}
    if not by_lookup:
        return
    keys = list(by_lookup)
    leads = tenant_select(Lead, organisation_id).where(Lead.phone_lookup.in_(keys))
    for lead in db.session.scalars(leads.order_by(Lead.last_seen.desc())):
        by_lookup[lead.phone_lookup].leads.append(lead)
    clinics = tenant_select(Clinic, organisation_id).where(Clinic.phone_lookup.in_(keys))
    for clinic in db.session.scalars(clinics.order_by(Clinic.name)):
        by_lookup[clinic.phone_lookup].clinic_rows.append(clinic)


def phone_group(organisation_id, phone_lookup: str | None) -> PhoneGroup | None:
    """The group of one number with its members, or None when the number is nobody else's."""
    if not phone_lookup:
        return None
    group = _group_counts(organisation_id, [phone_lookup]).get(phone_lookup)
    if group is None or group.size < 2:
        return None
    _load_members(organisation_id, [group])
    return group


def phone_groups(organisation_id, *, order: str = "largest", limit: int = 50) -> list[PhoneGroup]:
    """The groups of two records or more sharing a number: the largest first (then the
    newest), or the newest first; with their members."""
    groups = [g for g in _group_counts(organisation_id).values() if g.size >= 2]
    oldest = datetime.min.replace(tzinfo=LOCAL_TZ)
    if order == "newest":
        groups.sort(key=lambda g: (g.newest or oldest, g.size), reverse=True)
    else:
        groups.sort(key=lambda g: (g.size, g.newest or oldest), reverse=True)
    groups = groups[:limit]
    _load_members(organisation_id, groups)
    return groups


def group_of(lead_or_clinic) -> PhoneGroup | None:
    return phone_group(lead_or_clinic.organisation_id, lead_or_clinic.phone_lookup)


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
