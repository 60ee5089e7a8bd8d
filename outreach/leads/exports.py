"""The lead list as a file for coordinators (CSV through outreach/csvsafe.py, XLSX through
outreach/xlsxsafe.py, like every export): every lead the list's filters select, with what a
coordinator needs to work it. The file holds protected data (numbers, ad addresses, aliases):
only coordinators and admins export it, its name says nothing personal, and the export is an
audit event with its counts and filter codes only (views.py)."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from outreach import csvsafe, phonegroups, xlsxsafe
from outreach.clinics.models import Clinic
from outreach.db import db, utcnow
from outreach.leads.models import (
    LEAD_DISMISS_REASONS,
    LEAD_FLAGS,
    LEAD_STATUSES,
    LeadSighting,
)
from outreach.leads.queries import LOCAL_TZ, LeadFilters, filtered_select
from outreach.orgs.models import Organisation
from outreach.tenancy import scoped
from outreach.vocabulary import CLINIC_KINDS, label, language_label, region_name

COLUMNS = (
    _l("Site"),
    _l("Ad address"),
    _l("Phone number (E.164)"),
    _l("Ad name"),
    _l("Kind"),
    _l("Address"),
    _l("Postcode"),
    _l("Town"),
    _l("Region"),
    _l("Languages"),
    _l("Flags"),
    _l("Status"),
    _l("Dismissed because"),
    _l("Linked clinic"),
    _l("First seen"),
    _l("Last seen"),
    _l("Sightings"),
    _l("Records with this number"),
)
CHUNK = 500  # ids per IN list


@dataclass
class LeadTable:
    headers: list[str]
    rows: list[list]


def _local(at: datetime | None) -> str | None:
    return at.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M") if at else None


def _chunks(values: Sequence) -> list[list]:
    values = list(values)
    return [values[start : start + CHUNK] for start in range(0, len(values), CHUNK)]


def _sighting_counts(organisation_id, lead_ids: Sequence) -> dict:
    found = {}
    for chunk in _chunks(lead_ids):
        stmt = select(LeadSighting.lead_id, func.count()).where(LeadSighting.lead_id.in_(chunk))
        stmt = scoped(stmt.group_by(LeadSighting.lead_id), organisation_id, LeadSighting)
        found.update(dict(db.session.execute(stmt).all()))
    return found


def _clinic_names(organisation_id, clinic_ids: Sequence) -> dict:
    found = {}
    for chunk in _chunks(set(clinic_ids)):
        stmt = scoped(
            select(Clinic.id, Clinic.name).where(Clinic.id.in_(chunk)), organisation_id, Clinic
        )
        found.update(dict(db.session.execute(stmt).all()))
    return found


def table(organisation_id, filters: LeadFilters) -> LeadTable:
    """Every lead the filters select, last seen first (the list's order), one row each."""
    leads = list(db.session.scalars(filtered_select(organisation_id, filters)))
    sightings = _sighting_counts(organisation_id, [lead.id for lead in leads])
    clinics = _clinic_names(organisation_id, [lead.clinic_id for lead in leads if lead.clinic_id])
    lookups = [lead.phone_lookup for lead in leads if lead.phone_lookup]
    sizes = phonegroups.sizes(organisation_id, lookups)
    rows = [
        [
            lead.site,
            lead.url,
            lead.phone,
            lead.alias,
            label(CLINIC_KINDS, lead.kind) if lead.kind else None,
            lead.address,
            lead.postcode,
            lead.city,
            region_name(lead.region_slug) if lead.region_slug else None,
            ", ".join(language_label(code) for code in lead.languages or []) or None,
            ", ".join(label(LEAD_FLAGS, flag) for flag in lead.flags or []) or None,
            label(LEAD_STATUSES, lead.status),
            label(LEAD_DISMISS_REASONS, lead.dismissed_reason) if lead.dismissed_reason else None,
            clinics.get(lead.clinic_id),
            _local(lead.first_seen),
            _local(lead.last_seen),
            sightings.get(lead.id, 0),
            sizes.get(lead.phone_lookup) if lead.phone_lookup else None,
        ]
        for lead in leads
    ]
    return LeadTable([str(column) for column in COLUMNS], rows)


def file_name(extension: str) -> str:
    """leads-<local date>.<extension>: nothing personal, not even the filters."""
    return f"leads-{utcnow().astimezone(LOCAL_TZ).date().isoformat()}.{extension}"


def to_csv(leads: LeadTable, format_name: str) -> bytes:
    delimiter, decimal = csvsafe.FORMATS[format_name]
    return csvsafe.to_csv([leads.headers, *leads.rows], delimiter, decimal)


def to_xlsx(leads: LeadTable, organisation: Organisation, filtered: bool) -> bytes:
    about = [
        (_("Export"), _("Leads")),
        (_("Organisation"), organisation.name),
        (_("Leads"), _("The leads the list's filters selected") if filtered else _("All leads")),
        (_("Exported"), _("%(time)s Danish time (Europe/Copenhagen)", time=_local(utcnow()))),
    ]
    sheet = xlsxsafe.Sheet(_("Leads"), leads.headers, leads.rows)
    return xlsxsafe.to_xlsx([sheet], _("Leads"), about, _("About"))
