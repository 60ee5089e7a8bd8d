"""Every state change of leads: create-or-replace, the same ad seen again (a sighting, not a
duplicate), status changes, and a lead becoming or joining a clinic.

Roles (DESIGN.md §2, issue 14): nurses record and update leads and their sightings;
coordinators dismiss them and link them to clinics (also by making a clinic from a lead)."""

import uuid
from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l

from outreach import vocabulary
from outreach.audit.services import record
from outreach.changes import stamp
from outreach.clinics import services as clinic_services
from outreach.clinics.models import Clinic
from outreach.crypto import keyring
from outreach.db import db
from outreach.errors import FieldErrors
from outreach.i18n import N_
from outreach.leads import queries
from outreach.leads.models import LEAD_FLAGS, Lead, LeadSighting
from outreach.leads.urls import same_ad_form
from outreach.orgs.models import Organisation
from outreach.orgs.queries import lead_sites
from outreach.records import NotAllowed, PutResult, create_or_replace
from outreach.tenancy import reference_in_org

# The fields a client sends (DESIGN.md §4); everything else is derived or bookkeeping.
INPUT_FIELDS = (
    "site",
    "url",
    "phone",
    "alias",
    "kind",
    "address",
    "postcode",
    "city",
    "lat",
    "lon",
    "region",
    "languages",
    "flags",
    "flag_note",
    "first_seen",
    "last_seen",
    "status",
    "dismissed_reason",
    "clinic_id",
    "notes",
)
TEXT_FIELDS = ("site", "url", "alias", "address", "postcode", "city", "flag_note", "notes")
# Statuses only coordinators give or take away.
DECIDED = ("linked", "dismissed")
ONLY_COORDINATORS = N_("Only coordinators dismiss leads or link them to clinics.")
NO_SITES = N_("Add the sites your team screens to the list of sites first.")
NOT_A_SITE = N_("Not one of your organisation's sites; add it to the list of sites first.")
SEEN_BEFORE = N_(
    "This ad is already recorded as lead %(id)s: add a sighting to it "
    "(POST /api/v1/leads/%(id)s/sightings) instead of a second lead."
)


def ordered_flags(flags) -> list[str]:
    """The flags once each, in the vocabulary's order (so a resend compares equal)."""
    given = set(flags or ())
    return [flag for flag in LEAD_FLAGS if flag in given]


def _clean(data: dict) -> dict:
    data = {field: data.get(field) for field in INPUT_FIELDS}
    for name in TEXT_FIELDS:
        if isinstance(data[name], str):
            data[name] = data[name].strip() or None
    data["flags"] = ordered_flags(data["flags"])
    data["languages"] = list(dict.fromkeys(data["languages"] or []))
    if data["last_seen"] is None:
        data["last_seen"] = data["first_seen"]
    return data


def _current_input(lead: Lead) -> dict:
    """The stored lead as the client would have sent it, to detect a harmless resend."""
    values = {name: getattr(lead, name, None) for name in INPUT_FIELDS}
    values["region"] = lead.region_slug if lead.region_source == "manual" else None
    return values


def _check(user, lead: Lead | None, data: dict) -> None:
    """The rules that need the organisation: its sites, its clinics, the same ad recorded
    before. FieldErrors (422) before anything changes."""
    errors: dict[str, list[str]] = {}
    org = db.session.get(Organisation, user.organisation_id)
    sites = lead_sites(org)
    keeps_site = lead is not None and lead.site == data["site"]
    if not keeps_site and data["site"] not in sites:
        errors["site"] = [NO_SITES if not sites else NOT_A_SITE]
    if data["clinic_id"] and not reference_in_org(
        Lead.clinic_id, data["clinic_id"], user.organisation_id
    ):
        errors["clinic_id"] = [N_("No clinic with this id in your organisation.")]
    before = queries.same_ad(
        user.organisation_id,
        url=data["url"],
        phone=data["phone"],
        site=data["site"],
        exclude=lead.id if lead is not None else None,
    )
    if before is not None:
        field = "url" if data["url"] and before.url_lookup == _url_hash(data["url"]) else "phone"
        errors.setdefault(field, []).append(_l(SEEN_BEFORE, id=str(before.id)))
    if errors:
        raise FieldErrors(errors)


def _url_hash(url: str) -> str:
    return keyring().lookup(Lead.url.lookup_purpose(), same_ad_form(url))


def _decides(lead: Lead, data: dict, created: bool) -> bool:
    """Whether the change gives or takes away a coordinator's decision (linked, dismissed)."""
    if created:
        return data["status"] in DECIDED
    return (lead.status, lead.clinic_id, lead.dismissed_reason) != (
        data["status"],
        data["clinic_id"],
        data["dismissed_reason"],
    ) and (lead.status in DECIDED or data["status"] in DECIDED)


def _apply(lead: Lead, data: dict, user) -> None:
    for name in INPUT_FIELDS:
        if name != "region":
            setattr(lead, name, data[name])
    clinic_services.derive_region(lead, data["region"])
    lead.updated_by_id = user.id


def put_lead(user, lead_id: uuid.UUID, data: dict, if_match: str | None = None) -> PutResult:
    """Create-or-replace with a client id (DESIGN.md §4). A new lead gets its first sighting;
    the same ad recorded before (same address, or same number on the same site) is refused
    with a 422 that names it, so that it gets a sighting instead of a twin."""
    data = _clean(data)

    def apply(lead: Lead, values: dict, created: bool) -> None:
        if _decides(lead, values, created) and not user.has_role("coordinator"):
            raise NotAllowed(str(_l(ONLY_COORDINATORS)))
        _check(user, None if created else lead, values)
        _apply(lead, values, user)
        if created:
            db.session.add(lead)
            db.session.flush()
            _add_sighting_row(user, lead, values["first_seen"], values["site"], values["flags"])

    def audit_action(lead: Lead, created: bool) -> str | None:
        if created or lead.status == data["status"]:
            return None
        if data["status"] == "dismissed":
            return "lead.dismiss"
        return "lead.link" if data["status"] == "linked" else None

    return create_or_replace(
        Lead,
        user,
        lead_id,
        data,
        if_match,
        etag=queries.etag,
        current_input=_current_input,
        apply=apply,
        audit_action=audit_action,
    )


# The same ad seen again -------------------------------------------------------------------


def _add_sighting_row(user, lead: Lead, seen_at: datetime, site: str, flags) -> LeadSighting:
    sighting = LeadSighting(
        organisation_id=lead.organisation_id,
        lead_id=lead.id,
        seen_at=seen_at,
        site=site,
        flags=ordered_flags(flags),
        recorded_by_id=user.id,
    )
    db.session.add(sighting)
    return sighting


def add_sighting(user, lead: Lead, seen_at: datetime, site: str | None, flags) -> LeadSighting:
    """The ad was seen again: a sighting, last (or first) seen moved, its flags added."""
    site = (site or "").strip() or lead.site
    if site != lead.site:
        org = db.session.get(Organisation, user.organisation_id)
        if site not in lead_sites(org):
            raise FieldErrors({"site": [NOT_A_SITE]})
    sighting = _add_sighting_row(user, lead, seen_at, site, flags)
    lead.last_seen = max(lead.last_seen, seen_at)
    lead.first_seen = min(lead.first_seen, seen_at)
    lead.flags = ordered_flags([*lead.flags, *(flags or [])])
    lead.updated_by_id = user.id
    stamp(lead)
    db.session.flush()
    record("lead.sighting", user=user, obj=lead, flags=len(sighting.flags))
    return sighting


@dataclass
class Recorded:
    lead: Lead
    created: bool  # False: the same ad was seen before and got a sighting


def record_lead(user, data: dict) -> Recorded:
    """A screened ad from the form or an import: a new lead, or a sighting of the same ad
    seen before (same address, or same number on the same site). A number or address the
    lead seen before lacked is added to it; nothing it has is overwritten."""
    cleaned = _clean(data)
    before = queries.same_ad(
        user.organisation_id, url=cleaned["url"], phone=cleaned["phone"], site=cleaned["site"]
    )
    if before is None:
        result = put_lead(user, uuid.uuid4(), data)
        return Recorded(result.obj, created=True)
    for name in ("url", "phone"):
        if cleaned[name] and not getattr(before, name):
            setattr(before, name, cleaned[name])
    add_sighting(user, before, cleaned["last_seen"], cleaned["site"], cleaned["flags"])
    return Recorded(before, created=False)


# Status -----------------------------------------------------------------------------------


def _require_coordinator(user) -> None:
    if not user.has_role("coordinator"):
        raise NotAllowed(str(_l(ONLY_COORDINATORS)))


def _set_status(user, lead: Lead, status: str) -> None:
    lead.status = status
    lead.updated_by_id = user.id
    stamp(lead)
    db.session.flush()


def mark_to_verify(user, lead: Lead) -> bool:
    """new → to_verify (nurses too); False when it is past that already."""
    if lead.status != "new":
        return False
    _set_status(user, lead, "to_verify")
    record("lead.update", user=user, obj=lead, status="to_verify")
    return True


def dismiss(user, lead: Lead, reason: str) -> None:
    _require_coordinator(user)
    if reason not in vocabulary.LEAD_DISMISS_REASONS:
        raise FieldErrors({"dismissed_reason": [N_("Say why the lead is dismissed.")]})
    lead.dismissed_reason = reason
    lead.clinic_id = None
    _set_status(user, lead, "dismissed")
    record("lead.dismiss", user=user, obj=lead, reason=reason)


def reopen(user, lead: Lead) -> None:
    """A dismissed or linked lead back to "to verify" (a coordinator's decision undone)."""
    _require_coordinator(user)
    lead.dismissed_reason = None
    lead.clinic_id = None
    _set_status(user, lead, "to_verify")
    record("lead.reopen", user=user, obj=lead)


def link(user, lead: Lead, clinic: Clinic) -> None:
    """The lead is this clinic (of the same organisation: the caller looked it up so). The
    clinic takes the lead's number when it has none, so that they group together."""
    _require_coordinator(user)
    lead.clinic_id = clinic.id
    lead.dismissed_reason = None
    if lead.phone and not clinic.phone:
        clinic.phone = lead.phone
        clinic.updated_by_id = user.id
        stamp(clinic)
        record("clinic.update", user=user, obj=clinic, fields=["phone"])
    _set_status(user, lead, "linked")
    record("lead.link", user=user, obj=lead, clinic_id=str(clinic.id))


def clinic_name(lead: Lead) -> str:
    """A name for a clinic made from a lead, with nothing of the ad's person in it: its kind
    and its town ("Apartment, Aarhus C")."""
    kind = vocabulary.label(vocabulary.CLINIC_KINDS, lead.kind or "other")
    place = lead.city or lead.postcode or lead.site
    return f"{kind}, {place}"


def create_clinic(user, lead: Lead, name: str | None = None) -> Clinic:
    """A clinic "to verify" (status unknown, source screening) from the lead's place and
    number, linked to the lead: one step."""
    _require_coordinator(user)
    data = {
        "name": (name or "").strip() or clinic_name(lead),
        "kind": lead.kind or "other",
        "address": lead.address,
        "postcode": lead.postcode,
        "city": lead.city,
        "lat": lead.lat,
        "lon": lead.lon,
        "region": lead.region_slug if lead.region_source == "manual" else None,
        "opening_hours": None,
        "status": "unknown",
        "source": "screening",
        "notes": None,
        "phone": lead.phone,
    }
    result = clinic_services.put_clinic(user, uuid.uuid4(), data)
    clinic = result.obj
    lead.clinic_id = clinic.id
    lead.dismissed_reason = None
    _set_status(user, lead, "linked")
    record("lead.link", user=user, obj=lead, clinic_id=str(clinic.id), new_clinic=True)
    return clinic
