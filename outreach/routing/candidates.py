"""Which clinics a plan considers and how urgent each is: a region's or an area's pool, the
search that adds others, each clinic's priority from its past visits, and the candidate list
the planning page shows."""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from flask import current_app
from sqlalchemy import func, or_

from outreach.clinics.models import Clinic
from outreach.db import db
from outreach.leads.queries import recent_flags, window_start
from outreach.orgs.models import Organisation
from outreach.orgs.queries import screening_window_days
from outreach.routing import planner, priority, trip
from outreach.routing.models import RoutePlan
from outreach.routing.queries import clinics_by_id
from outreach.tenancy import tenant_select
from outreach.visits.models import Visit

MAX_POOL = 500  # candidates from a region or an area; more would not be readable anyway


def _inside(lat: float, lon: float, polygon: Sequence[Sequence[float]]) -> bool:
    """Ray casting on (lat, lon); fine for the few kilometres a coordinator draws."""
    inside = False
    j = len(polygon) - 1
    for i in range(len(polygon)):
        (lat_i, lon_i), (lat_j, lon_j) = polygon[i], polygon[j]
        if (lon_i > lon) != (lon_j > lon):
            crossing = lat_i + (lon - lon_i) / (lon_j - lon_i) * (lat_j - lat_i)
            if lat < crossing:
                inside = not inside
        j = i
    return inside


def candidate_pool(organisation_id, regions: Sequence[str], area) -> list[Clinic]:
    """The clinics a region or an area offers, closed clinics excepted."""
    stmt = tenant_select(Clinic, organisation_id).where(Clinic.status != "closed")
    if regions:
        stmt = stmt.where(Clinic.region_slug.in_(list(regions)))
    if area:
        lats, lons = [p[0] for p in area], [p[1] for p in area]
        stmt = stmt.where(
            Clinic.lat.between(min(lats), max(lats)), Clinic.lon.between(min(lons), max(lons))
        )
    clinics = db.session.scalars(stmt.order_by(Clinic.name, Clinic.id)).all()
    if area:
        clinics = [c for c in clinics if _inside(c.lat, c.lon, area)]
    return list(clinics[:MAX_POOL])


def search_clinics(plan: RoutePlan, text: str, limit: int = 20) -> list[Clinic]:
    pattern = "%" + text.strip().lower().replace("%", r"\%").replace("_", r"\_") + "%"
    stmt = tenant_select(Clinic, plan.organisation_id).where(
        or_(
            func.lower(Clinic.name).like(pattern, escape="\\"),
            func.lower(Clinic.address).like(pattern, escape="\\"),
            func.lower(Clinic.city).like(pattern, escape="\\"),
            Clinic.postcode.like(pattern, escape="\\"),
        )
    )
    return list(db.session.scalars(stmt.order_by(Clinic.name, Clinic.id).limit(limit)))


def as_candidate(clinic: Clinic, score: int) -> planner.Candidate:
    """What the planner needs to know of a clinic, with its priority score."""
    return planner.Candidate(
        clinic.id, clinic.lat, clinic.lon, clinic.opening_hours, clinic.status, score
    )


def target_interval_days(org: Organisation) -> int:
    value = (org.settings or {}).get("visit_interval_days")
    if isinstance(value, int) and 1 <= value <= 3650:
        return value
    return int(current_app.config["ROUTING_TARGET_INTERVAL_DAYS"])


def _day_end_utc(day: date) -> datetime:
    return datetime.combine(day + timedelta(days=1), time(0), planner.LOCAL_TZ).astimezone(UTC)


def priorities(organisation: Organisation, clinics: Sequence[Clinic], day: date) -> dict:
    """{clinic id: Priority} from each clinic's visits up to the plan day."""
    ids = [c.id for c in clinics]
    visits: dict[uuid.UUID, list[priority.PastVisit]] = {i: [] for i in ids}
    for start in range(0, len(ids), 500):
        rows = db.session.execute(
            tenant_select(Visit, organisation.id)
            .with_only_columns(
                Visit.clinic_id, Visit.started_at, Visit.outcome, Visit.concern_level
            )
            .where(Visit.clinic_id.in_(ids[start : start + 500]))
            .where(Visit.started_at < _day_end_utc(day))
            .order_by(Visit.clinic_id, Visit.started_at.desc())
        )
        for clinic_id, started_at, outcome, concern in rows:
            visits[clinic_id].append(priority.PastVisit(started_at, outcome, concern))
    target = target_interval_days(organisation)
    # Screening (outreach/leads): the flags of each clinic's leads seen in the window.
    since = window_start(day, screening_window_days(organisation))
    flagged = recent_flags(organisation.id, ids, since, _day_end_utc(day))
    return {
        c.id: priority.priority(
            day=day,
            source=c.source,
            created_at=c.created_at,
            visits=visits[c.id],
            target_days=target,
            screening=(
                priority.Screening(flagged[c.id].flags, flagged[c.id].seen)
                if c.id in flagged
                else None
            ),
        )
        for c in clinics
    }


def weekdays_of(days: Sequence[date]) -> list[str]:
    return [planner.DayClock(d).weekday for d in days]


def exclusion_reason(clinic: Clinic, weekdays: Sequence[str]) -> str | None:
    """Why the clinic cannot be visited on the plan's day, or on any day of a trip."""
    return trip.exclusion_reason(as_candidate(clinic, 0), weekdays)


def top_choice(
    organisation: Organisation,
    clinics: Sequence[Clinic],
    day: date,
    count: int,
    days: Sequence[date] = (),
) -> list[Clinic]:
    """The `count` clinics of highest priority on the day among those that can be visited
    that weekday at all (open, located, with opening hours that day); on a trip's `days`,
    on one of them."""
    ranked = priorities(organisation, clinics, day)
    weekdays = weekdays_of(days or [day])
    open_that_day = [c for c in clinics if exclusion_reason(c, weekdays) is None]
    open_that_day.sort(key=lambda c: (-ranked[c.id].score, c.name))
    return open_that_day[:count]


@dataclass
class CandidateRow:
    clinic: Clinic
    priority: priority.Priority
    reason: str | None  # why it cannot be visited that day at all, before routing
    included: bool


def candidate_rows(plan: RoutePlan, extra: Sequence[Clinic] = ()) -> list[CandidateRow]:
    """The plan's candidates: those it plans for, the rest of its region or area (taken out
    by the coordinator), and `extra` (search results), highest priority first."""
    included = [uuid.UUID(i) for i in plan.clinic_ids]
    clinics = clinics_by_id(plan.organisation_id, included)
    if plan.regions or plan.area:
        for clinic in candidate_pool(plan.organisation_id, plan.regions, plan.area):
            clinics.setdefault(clinic.id, clinic)
    for clinic in extra:
        clinics.setdefault(clinic.id, clinic)
    organisation = db.session.get(Organisation, plan.organisation_id)
    ranked = priorities(organisation, list(clinics.values()), plan.date)
    weekdays = weekdays_of([date.fromisoformat(d["date"]) for d in plan.days or ()] or [plan.date])
    chosen = set(included)
    rows = [
        CandidateRow(
            clinic,
            ranked[clinic.id],
            exclusion_reason(clinic, weekdays),
            clinic.id in chosen,
        )
        for clinic in clinics.values()
    ]
    rows.sort(key=lambda r: (r.reason is not None, -r.priority.score, r.clinic.name))
    return rows
