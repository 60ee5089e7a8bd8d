"""Every state change of clinics: create-or-replace, close, region and geocoding."""

import uuid

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from outreach import geo
from outreach.audit.services import record
from outreach.changes import resend, stamp
from outreach.clinics import hours
from outreach.clinics.models import Clinic
from outreach.clinics.queries import etag
from outreach.db import db, utcnow
from outreach.denmark import region_for_coordinates, region_for_postcode
from outreach.orgs.models import Organisation
from outreach.orgs.queries import uses_external_services
from outreach.records import NotAllowed, PutResult, create_or_replace
from outreach.tenancy import get_in_org, unscoped
from outreach.visits.models import Visit
from outreach.visits.services import visit_placed

# The fields a client sends (DESIGN.md §4); everything else is derived or bookkeeping.
INPUT_FIELDS = (
    "name",
    "kind",
    "address",
    "postcode",
    "city",
    "lat",
    "lon",
    "region",
    "opening_hours",
    "status",
    "source",
    "notes",
)


# `phone` is optional in the body: omitted, the stored number stays (the field app's bodies
# do not carry it); null removes it.
PHONE = "phone"


def _clean(data: dict) -> dict:
    phone_given = PHONE in data
    phone = data.get(PHONE)
    data = {field: data.get(field) for field in INPUT_FIELDS}
    if phone_given:
        data[PHONE] = phone
    for field in ("name", "address", "city", "notes", "postcode"):
        if isinstance(data[field], str):
            data[field] = data[field].strip() or None
    data["opening_hours"] = hours.normalise(data["opening_hours"])
    return data


def _current_input(clinic: Clinic) -> dict:
    """The stored clinic as the client would have sent it, to detect a harmless resend."""
    values = {field: getattr(clinic, field, None) for field in INPUT_FIELDS}  # region: below
    values["region"] = clinic.region_slug if clinic.region_source == "manual" else None
    if clinic.geocode_status != "manual":  # coordinates we looked up were not sent
        values["lat"] = values["lon"] = None
    values["opening_hours"] = hours.normalise(clinic.opening_hours)
    return values


def _current_input_for(data: dict):
    """_current_input, with the phone when the body gives one (so a resend stays a resend)."""

    def current(clinic: Clinic) -> dict:
        values = _current_input(clinic)
        if PHONE in data:
            values[PHONE] = clinic.phone
        return values

    return current


def derive_region(clinic, requested: str | None) -> None:
    """The region of a clinic (or a lead: anything with a postcode, lat/lon and region
    columns): the one chosen, else from the postcode, else from the coordinates."""
    if requested:
        clinic.region_slug, clinic.region_source = requested, "manual"
    elif region := region_for_postcode(clinic.postcode):
        clinic.region_slug, clinic.region_source = region, "postcode"
    elif region := region_for_coordinates(clinic.lat, clinic.lon):
        clinic.region_slug, clinic.region_source = region, "coordinates"
    else:
        clinic.region_slug, clinic.region_source = None, None


def geocode_query(clinic: Clinic) -> str | None:
    if not clinic.address and not clinic.postcode:
        return None
    place = " ".join(p for p in (clinic.postcode, clinic.city) if p)
    return ", ".join(p for p in (clinic.address, place, "Danmark") if p)


def defer_geocode(clinic: Clinic) -> None:
    """Leave the look-up to the scheduler's retry job (bulk imports: the geocoder is slow)."""
    clinic.geocode_status = "none" if geocode_query(clinic) is None else "pending"


def place_at_town(clinic: Clinic) -> None:
    """The geocoder can't be reached: the centre of the clinic's town for now (offline), or
    no coordinates when no town is known; either way the retry job looks it up later."""
    town = geo.town_centre(clinic.postcode, clinic.city)
    if town is None:
        clinic.lat = clinic.lon = None
        clinic.geocode_status = "pending"
    else:
        clinic.lat, clinic.lon = town
        clinic.geocode_status = "town"


def try_geocode(clinic: Clinic) -> bool:
    """Fill lat/lon from the address. Returns False when the geocoder could not be reached:
    the clinic then stands at the centre of its town for now ('town', on the map and in
    routing) or, with no town known, waits as 'pending'; the retry job looks it up later."""
    query = geocode_query(clinic)
    if query is None:
        clinic.geocode_status = "none"
        return True
    clinic.geocode_attempted_at = utcnow()
    # An organisation with no external services: no third-party geocoder (docs/security.md).
    third_party = uses_external_services(db.session.get(Organisation, clinic.organisation_id))
    try:
        found = geo.geocode(query, third_party=third_party)
    except geo.GeocodingUnavailable:
        place_at_town(clinic)
        return False
    if found is None:
        clinic.lat = clinic.lon = None
        clinic.geocode_status = "not_found"
    else:
        clinic.lat, clinic.lon = found
        clinic.geocode_status = "geocoded"
    return True


def _apply(clinic: Clinic, data: dict, user, defer_geocoding: bool = False) -> None:
    address_changed = (clinic.address, clinic.postcode, clinic.city) != (
        data["address"],
        data["postcode"],
        data["city"],
    )
    for field in INPUT_FIELDS:
        if field not in ("region", "lat", "lon"):
            setattr(clinic, field, data[field])
    if PHONE in data:
        clinic.phone = data[PHONE]
    if clinic.status == "closed" and clinic.closed_at is None:
        clinic.closed_at = utcnow()
    elif clinic.status != "closed":
        clinic.closed_at = None
    if data["lat"] is not None:
        clinic.lat, clinic.lon, clinic.geocode_status = data["lat"], data["lon"], "manual"
    elif clinic.geocode_status == "manual" or address_changed:
        # Coordinates withdrawn, or looked up for an address that is no longer the clinic's.
        clinic.lat = clinic.lon = None
        (defer_geocode if defer_geocoding else try_geocode)(clinic)
    derive_region(clinic, data["region"])
    clinic.updated_by_id = user.id


def put_clinic(
    user,
    clinic_id: uuid.UUID,
    data: dict,
    if_match: str | None = None,
    *,
    defer_geocoding: bool = False,
) -> PutResult:
    """Create-or-replace with a client id (DESIGN.md §4). `defer_geocoding` leaves address
    look-ups to the retry job instead of calling the geocoder now (bulk imports)."""
    data = _clean(data)

    def closing(clinic: Clinic, created: bool) -> bool:
        return data["status"] == "closed" and (created or clinic.status != "closed")

    def apply(clinic: Clinic, values: dict, created: bool) -> None:
        if closing(clinic, created) and not user.has_role("coordinator"):
            raise NotAllowed(str(_l("Only coordinators can close a clinic.")))
        _apply(clinic, values, user, defer_geocoding)

    def audit_action(clinic: Clinic, created: bool) -> str | None:
        return "clinic.close" if not created and closing(clinic, created) else None

    return create_or_replace(
        Clinic,
        user,
        clinic_id,
        data,
        if_match,
        etag=etag,
        current_input=_current_input_for(data),
        apply=apply,
        audit_action=audit_action,
    )


def close_clinic(user, clinic: Clinic) -> None:
    if not user.has_role("coordinator"):
        raise NotAllowed(str(_l("Only coordinators can close a clinic.")))
    if clinic.status != "closed":
        clinic.status = "closed"
        clinic.closed_at = utcnow()
        clinic.updated_by_id = user.id
        stamp(clinic)
        record("clinic.close", user=user, obj=clinic)


def reopen_clinic(user, clinic: Clinic) -> None:
    if clinic.status == "closed":
        clinic.status = "active"
        clinic.closed_at = None
        clinic.updated_by_id = user.id
        stamp(clinic)
        record("clinic.reopen", user=user, obj=clinic)


@visit_placed.connect
def _follow_last_visit(visit: Visit, clinic_ids: set) -> None:
    """A visit was stored new, moved or retimed: the clinics it was and is at get a new change
    number, so that phones pull them again with their last-visit date (sync/queries.py). Only
    the number changes: the clinic's representation and ETag stay as they are."""
    for clinic_id in clinic_ids:
        clinic = get_in_org(Clinic, clinic_id, visit.organisation_id)
        if clinic is not None:
            resend(clinic)


def retry_pending_geocoding(limit: int = 50) -> int:
    """The scheduler's job: geocode clinics saved while the geocoder was unreachable (those
    waiting without coordinates, and those standing at their town's centre for now)."""
    pending = (
        select(Clinic)
        .where(Clinic.geocode_status.in_(("pending", "town")))
        .order_by(Clinic.geocode_attempted_at)
        .limit(limit)
    )
    clinics = db.session.scalars(
        unscoped(pending, "the geocoding job serves every organisation's clinics")
    ).all()
    done = 0
    reachable = True
    for clinic in clinics:
        before = (clinic.lat, clinic.lon, clinic.geocode_status)
        if reachable:
            reachable = try_geocode(clinic)
            done += reachable
        elif clinic.geocode_status == "pending":
            # Still unreachable: no more requests this run (the next run tries again), but
            # the clinics of a bulk import go on the map at their towns meanwhile.
            place_at_town(clinic)
        if (clinic.lat, clinic.lon, clinic.geocode_status) != before:
            if clinic.region_source != "manual":
                derive_region(clinic, None)
            stamp(clinic)
    db.session.flush()
    return done
