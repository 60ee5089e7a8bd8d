"""Tenant-scoped reads of route planning and their representations: plan lists, a plan for
the API and the pages, a plan for the phone, the offices that can serve as a base, the
people who can drive a route."""

import uuid
from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import case, func, or_

from outreach.auth.models import User
from outreach.clinics.models import Clinic
from outreach.db import db
from outreach.orgs.models import Organisation
from outreach.paging import paginate
from outreach.routing.models import DELETED, PlannedRoute, RoutePlan
from outreach.routing.planner import LOCAL_TZ
from outreach.routing.wording import reason_text
from outreach.tenancy import get_in_org, tenant_select


def today() -> date:
    return datetime.now(LOCAL_TZ).date()


def route_bases(org: Organisation) -> list[dict]:
    """The organisation's offices (settings["offices"]) that can serve as a base: those with
    readable coordinates, as {"name", "lat", "lon"} with float coordinates."""
    found = []
    for office in (org.settings or {}).get("offices") or []:
        try:
            lat, lon = float(office["lat"]), float(office["lon"])
        except (KeyError, TypeError, ValueError):
            continue
        found.append({"name": str(office.get("name") or ""), "lat": lat, "lon": lon})
    return found


def staff(organisation_id) -> list[User]:
    """Active users of the organisation, nurses first: the people who can drive a route."""
    stmt = tenant_select(User, organisation_id).where(User.active.is_(True))
    nurses_first = case((User.role == "nurse", 0), else_=1)
    return list(db.session.scalars(stmt.order_by(nurses_first, User.name, User.email)))


def active_users(organisation_id, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, User]:
    """{id: user} for those of `ids` that are active users of the organisation."""
    if not ids:
        return {}
    rows = db.session.scalars(
        tenant_select(User, organisation_id).where(User.id.in_(list(ids)), User.active.is_(True))
    )
    return {u.id: u for u in rows}


def clinics_by_id(organisation_id, ids: Sequence) -> dict[uuid.UUID, Clinic]:
    """{id: clinic} for those of `ids` (UUIDs or their strings) that are the organisation's."""
    wanted = [uuid.UUID(str(i)) for i in ids]
    if not wanted:
        return {}
    rows = db.session.scalars(tenant_select(Clinic, organisation_id).where(Clinic.id.in_(wanted)))
    return {c.id: c for c in rows}


def list_plans(
    organisation_id,
    *,
    date_from: date | None = None,
    date_to: date | None = None,
    status: str | None = None,
    page: int = 1,
    per_page: int = 50,
):
    stmt = tenant_select(RoutePlan, organisation_id).where(RoutePlan.status != DELETED)
    # A trip is in the range when any of its days is: its last day on or after date_from,
    # its first on or before date_to.
    if date_from:
        stmt = stmt.where(func.coalesce(RoutePlan.end_date, RoutePlan.date) >= date_from)
    if date_to:
        stmt = stmt.where(RoutePlan.date <= date_to)
    if status:
        stmt = stmt.where(RoutePlan.status == status)
    return paginate(
        stmt.order_by(RoutePlan.date.desc(), RoutePlan.created_at.desc()), page, per_page
    )


def get_plan(organisation_id, plan_id) -> RoutePlan | None:
    plan = get_in_org(RoutePlan, plan_id, organisation_id)
    return None if plan is None or plan.status == DELETED else plan


def clinics_of(plan: RoutePlan) -> dict[uuid.UUID, Clinic]:
    """The clinics the plan's routes and its left-out list name."""
    ids = {s.clinic_id for r in plan.routes for s in r.stops}
    ids |= {uuid.UUID(u["clinic_id"]) for u in plan.unassigned}
    return clinics_by_id(plan.organisation_id, list(ids))


def has_violations(plan: RoutePlan) -> bool:
    return any(r.violations or any(s.violations for s in r.stops) for r in plan.routes)


def _local(moment: datetime | None) -> datetime | None:
    return moment.astimezone(LOCAL_TZ) if moment is not None else None


def route_representation(route: PlannedRoute, clinics: dict) -> dict:
    stops = []
    for position, stop in enumerate(route.stops):
        clinic = clinics.get(stop.clinic_id)
        stops.append(
            {
                "clinic_id": stop.clinic_id,
                "name": clinic.name if clinic else "",
                "lat": clinic.lat if clinic else None,
                "lon": clinic.lon if clinic else None,
                "arrival": _local(stop.arrival_at),
                "departure": _local(stop.departure_at),
                "wait_minutes": route.wait_minutes(position),
                "distance_km": stop.distance_km,
                "drive_minutes": stop.drive_minutes,
                "violations": stop.violations,
            }
        )
    has_break = route.break_start_at is not None
    trip = {}
    if route.plan is not None and route.plan.is_trip:
        start, end = trip_bases(route.plan, route.day)
        trip = {
            "day": route.day,
            "date": date.fromisoformat(route.plan.days[route.day]["date"]),
            "start_base": start,
            "end_base": end,
        }
    return {
        **trip,
        "nurse_id": route.nurse_id,
        "start": _local(route.start_at),
        "end": _local(route.end_at),
        "stops": stops,
        "distance_km": route.distance_km,
        "drive_minutes": route.drive_minutes,
        "break_": (
            {"start": _local(route.break_start_at), "end": _local(route.break_end_at)}
            if has_break
            else None
        ),
        "violations": route.violations,
    }


def home_base(plan: RoutePlan) -> dict:
    return {"name": plan.base_name, "lat": plan.base_lat, "lon": plan.base_lon}


def trip_bases(plan: RoutePlan, day: int) -> tuple[dict, dict]:
    """Where a trip's day starts (the night before it; home on the first) and ends (its
    night; home on the last)."""
    days = plan.days
    start = days[day - 1]["night"] if day > 0 else None
    end = days[day]["night"] if day < len(days) - 1 else None
    return start or home_base(plan), end or home_base(plan)


def trip_days(plan: RoutePlan) -> list[dict]:
    """A trip's days as the API and the phones show them."""
    return [
        {
            "date": date.fromisoformat(d["date"]),
            "shift": {"start": d["shift_start"], "end": d["shift_end"]},
            "night": d.get("night"),
        }
        for d in plan.days
    ]


def _settings_representation(plan: RoutePlan) -> dict:
    trip = {"days": trip_days(plan), "end_date": plan.end_date} if plan.is_trip else {}
    return {
        "id": plan.id,
        "date": plan.date,
        **trip,
        "status": plan.status,
        "base": {"name": plan.base_name, "lat": plan.base_lat, "lon": plan.base_lon},
        "shift": {"start": plan.shift_start, "end": plan.shift_end},
        "break_": (
            {"start": plan.break_start, "end": plan.break_end, "minutes": plan.break_minutes}
            if plan.has_break
            else None
        ),
        "service_minutes": plan.service_minutes,
        "updated_at": plan.updated_at,
    }


def representation(plan: RoutePlan) -> dict:
    clinics = clinics_of(plan)
    return {
        **_settings_representation(plan),
        "nurses": plan.nurse_count,
        "staff": plan.staff,
        "region": plan.regions[0] if len(plan.regions) == 1 else None,
        "regions": plan.regions,
        "area": plan.area,
        "clinic_ids": plan.clinic_ids,
        "routes": [route_representation(r, clinics) for r in plan.routes],
        "unassigned": [
            {
                "clinic_id": u["clinic_id"],
                "reason": u["reason"],
                "message": reason_text(u["reason"], plan.date, trip=plan.is_trip),
            }
            for u in plan.unassigned
        ],
        "travel_model": plan.travel_model,
        "optimised_at": plan.optimised_at,
        "saved_at": plan.saved_at,
        "created_at": plan.created_at,
    }


def sync_select(organisation_id):
    """Plans the phone may need: today's and later ones of the organisation. Only plans that
    have been saved at least once carry a sync number above 0."""
    return tenant_select(RoutePlan, organisation_id).where(
        or_(RoutePlan.date >= today(), RoutePlan.end_date >= today())  # a trip under way
    )


def sync_representation(plan: RoutePlan, user) -> dict:
    """The plan for the phone: a nurse gets her own route(s), a coordinator all of them, and
    nobody any while the plan is a draft (a plan without routes: drop the local copy)."""
    routes = []
    if plan.status == "saved":
        mine = [r for r in plan.routes if user.has_role("coordinator") or r.nurse_id == user.id]
        clinics = clinics_of(plan) if mine else {}
        routes = [route_representation(r, clinics) for r in mine]
    return {**_settings_representation(plan), "routes": routes, "sync_seq": plan.sync_seq}
