"""What the application reads of an organisation: its code lists with their labels, its
offices, and the fingerprints that guard the settings editor against lost updates."""

import hashlib
import json

from flask import current_app
from sqlalchemy import select

from outreach.db import db
from outreach.orgs.models import Organisation
from outreach.plausibility import DEFAULT_PERSONS_PRESENT_LIMIT, default_supply_limit


def find_organisation(name: str) -> Organisation | None:
    return db.session.scalar(select(Organisation).where(Organisation.name == name.strip()))


# Settings are stored in Organisation.settings (JSON):
#   "supplies": [code, ...]            what the phone offers, in this order
#   "supply_labels": {code: label}     also for removed codes, so old visits still read well
#   "indicators": [code, ...], "indicator_labels": {code: label}   the same for the checklist
#   "offices": [{"name", "lat", "lon"}, ...]                         route bases
#   "limits": {"persons_present": n, "supplies": {code: n}}   usual most per visit
#   "external_services": false          no third-party geocoding or map tiles (admins)
# Removing a code only takes it off the list: visits and conversations keep what they stored.

CODE_LISTS = {"supplies": "supply_labels", "indicators": "indicator_labels"}


def default_label(code: str) -> str:
    """A readable label for a code stored before labels existed: 'no_own_passport' -> 'No own
    passport'."""
    return code.replace("_", " ").capitalize()


def code_list(org: Organisation, kind: str) -> list[tuple[str, str]]:
    """(code, label) for each code on the list, in the list's order."""
    settings = org.settings or {}
    labels = settings.get(CODE_LISTS[kind], {})
    return [(code, labels.get(code) or default_label(code)) for code in settings.get(kind, [])]


def code_labels(org: Organisation, kind: str) -> dict[str, str]:
    """Labels for every code the organisation ever named, removed ones included."""
    settings = org.settings or {}
    labels = {code: default_label(code) for code in settings.get(kind, [])}
    labels.update(settings.get(CODE_LISTS[kind], {}))
    return labels


def stored_offices(org: Organisation) -> list[dict]:
    """Every office as stored, for the settings editor; routing.queries.route_bases gives
    those that can serve as a route's base."""
    return [dict(office) for office in (org.settings or {}).get("offices", [])]


def settings_revision(org: Organisation, part: str) -> str:
    """A fingerprint of one part of the settings, so an edit made from an out-of-date page is
    noticed instead of silently undoing someone else's change."""
    settings = org.settings or {}
    if part in ("offices", "limits"):
        value = settings.get(part, [])
    else:
        value = [settings.get(part, []), settings.get(CODE_LISTS[part], {})]
    body = json.dumps(value, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(body.encode()).hexdigest()[:16]


def plausibility_limits(org: Organisation) -> dict:
    """The usual most per visit, above which a number is asked about (outreach/plausibility.py):
    {"persons_present": n, "supplies": {code: n}} for every supply code the organisation ever
    named, the defaults filled in where it set none."""
    stored = (org.settings or {}).get("limits", {})
    supplies = stored.get("supplies", {})
    return {
        "persons_present": stored.get("persons_present", DEFAULT_PERSONS_PRESENT_LIMIT),
        "supplies": {
            code: supplies.get(code, default_supply_limit(code))
            for code in code_labels(org, "supplies")
        },
    }


def organisation_lists(organisation_id) -> dict:
    """The organisation's supply and indicator codes (coordinators edit them)."""
    settings = db.session.get(Organisation, organisation_id).settings or {}
    return {
        "supplies": list(settings.get("supplies", [])),
        "indicators": list(settings.get("indicators", [])),
    }


def check_codes(organisation_id, field: str, kind: str, given, errors: dict) -> None:
    """Accept the codes of the organisation's list, and codes taken off it since: a record
    made before the change (or offline on a phone) must still save and resend. Problems are
    added to `errors` under `field`."""
    org = db.session.get(Organisation, organisation_id)
    current = list((org.settings or {}).get(kind, []))
    unknown = sorted(set(given) - set(current) - set(code_labels(org, kind)))
    if unknown:
        errors.setdefault(field, []).append(
            f"Unknown code(s) {', '.join(unknown)}; the organisation's list has "
            f"{', '.join(current) or 'no codes yet'}."
        )


def uses_external_services(org: Organisation) -> bool:
    """False when an admin chose "no external services": no clinic address goes to a
    third-party geocoder and no map loads a third party's tiles (docs/security.md)."""
    return (org.settings or {}).get("external_services", True) is not False


def map_tile_url(org: Organisation | None) -> str:
    """Where this organisation's maps get their tiles, or "" for maps without a background:
    with no external services, only from the operator's own server (MAP_TILE_URL_SELF_HOSTED)."""
    config = current_app.config
    if org is None or uses_external_services(org) or config["MAP_TILE_URL_SELF_HOSTED"]:
        return config["MAP_TILE_URL"]
    return ""
