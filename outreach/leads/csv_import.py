"""CSV import of leads the team kept in a spreadsheet: the lead columns and cell conversions
for outreach/csv_upload.py (the same preview and per-row errors as the clinic import), and
recording the valid rows through services.record_lead, so that an ad seen before becomes a
sighting instead of a second lead.

Every row is checked with LeadInSchema, the API's schema; the site must be one of the
organisation's sites. Rows are kept as they are in the file: nothing of them is logged or
audited, only the counts.
"""

import uuid
from dataclasses import dataclass
from datetime import date, datetime, time

from flask_babel import gettext as _
from sqlalchemy import select

from outreach import csv_upload, csvsafe
from outreach.audit.services import record
from outreach.clinics.csv_import import region_cell
from outreach.clinics.forms import ImportConfirmForm, ImportUploadForm
from outreach.csv_upload import Preview, UploadRejected, new_upload_id
from outreach.db import db
from outreach.i18n import N_, translate_message
from outreach.leads import queries, services
from outreach.leads.models import Lead, LeadImport
from outreach.leads.schemas import LeadInSchema
from outreach.orgs.models import Organisation
from outreach.orgs.queries import lead_sites
from outreach.tenancy import tenant_select

__all__ = ["ImportConfirmForm", "ImportUploadForm", "UploadRejected", "new_upload_id"]

COLUMNS = (
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
    "notes",
)
REQUIRED_COLUMNS = ("site", "first_seen")
COLUMN_ALIASES = {
    "latitude": "lat",
    "longitude": "lon",
    "lng": "lon",
    "link": "url",
    "address_of_the_ad": "url",
    "telephone": "phone",
    "phone_number": "phone",
    "name": "alias",
    "seen": "first_seen",
    "date": "first_seen",
}
_SEAL_SALT = "outreach.leads.csv-import"
LOCAL_DAY_TIME = time(12)  # a date alone is taken as noon that day, local time


def _when(text: str) -> str:
    """A date (2026-03-02, 2.3.2026) or an ISO time with offset, as ISO text for the schema."""
    text = text.strip()
    for fmt in ("%Y-%m-%d", "%d.%m.%Y", "%d-%m-%Y", "%d/%m/%Y"):
        try:
            day = datetime.strptime(text, fmt).date()  # noqa: DTZ007 -- a date, made local below
        except ValueError:
            continue
        return _local_noon(day)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(_("Write the date like 2026-03-02 (or 2.3.2026).")) from None
    if moment.tzinfo is None:
        raise ValueError(_("Write the date like 2026-03-02 (or 2.3.2026).")) from None
    return moment.isoformat()


def _local_noon(day: date) -> str:
    return datetime.combine(day, LOCAL_DAY_TIME, queries.LOCAL_TZ).isoformat()


def _codes(text: str) -> list[str]:
    """A list cell: codes separated by commas, semicolons or spaces."""
    return [c for c in text.replace(";", ",").replace(" ", ",").split(",") if c]


def _convert(column: str, text: str):
    """A cell's text as the schema wants it; ValueError with a message when it can't be."""
    if column in ("lat", "lon"):
        try:
            return float(text.replace(",", "."))
        except ValueError:
            raise ValueError(_("Not a number; write it like 56.1572.")) from None
    if column in ("first_seen", "last_seen"):
        return _when(text)
    if column == "region":
        return region_cell(text)
    if column == "kind":
        return text.lower().replace(" ", "_")
    if column == "languages":
        return [c.lower() for c in _codes(text)]
    if column == "flags":
        return [c.lower() for c in _codes(text)]
    return text


SPEC = csv_upload.Spec(
    columns=COLUMNS,
    required=REQUIRED_COLUMNS,
    schema=LeadInSchema,
    convert=_convert,
    no_rows=N_("The file has a header line but no rows of leads."),
    salt=_SEAL_SALT,
    aliases=COLUMN_ALIASES,
)


def read(content: bytes, organisation_id: uuid.UUID) -> Preview:
    """Check every row of an upload (the site among the organisation's; the same ad as a
    lead recorded before, or as an earlier row, is said: it becomes a sighting)."""
    preview = csv_upload.read(content, SPEC)
    org = db.session.get(Organisation, organisation_id)
    sites = lead_sites(org)
    seen: dict[str, int] = {}
    for row in preview.rows:
        if row.cells["site"] and row.cells["site"] not in sites and "site" not in row.errors:
            row.problem(
                "site", translate_message(services.NO_SITES if not sites else services.NOT_A_SITE)
            )
            row.data = None
        if row.data is None:
            continue
        if queries.same_ad(
            organisation_id,
            url=row.data["url"],
            phone=row.data["phone"],
            site=row.data["site"],
        ):
            row.warn("url", _("Seen before: it becomes a new sighting of the lead recorded."))
            continue
        for key in _ad_keys(row.data):
            if key in seen:
                row.warn(
                    "url",
                    _("The same ad as row %(n)d: it becomes a sighting of it.", n=seen[key]),
                )
                break
        for key in _ad_keys(row.data):
            seen.setdefault(key, row.number)
    return preview


def _ad_keys(data: dict) -> list[str]:
    keys = []
    if data.get("url"):
        keys.append("url:" + Lead.url.normalise(data["url"]))
    if data.get("phone"):
        keys.append(f"phone:{data['site']}:{data['phone']}")
    return keys


@dataclass
class ImportResult:
    created: int
    sightings: int
    skipped: int


def import_valid_rows(user, preview: Preview, upload_id: str) -> ImportResult:
    """Record every valid row (a new lead, or a sighting of the same ad seen before), oldest
    first, and the import's record that makes a second confirm of the same upload a refusal;
    one audit event with the counts only. Flushes."""
    if already_imported(user.organisation_id, upload_id):
        raise UploadRejected(_("This file has already been imported."))
    created = sightings = 0
    rows = sorted(preview.valid_rows, key=lambda r: r.data["first_seen"])
    for row in rows:
        recorded = services.record_lead(user, row.data)
        created += recorded.created
        sightings += not recorded.created
    counts = {
        "rows": len(preview.rows),
        "created": created,
        "sightings": sightings,
        "skipped": len(preview.rows) - len(rows),
    }
    db.session.add(
        LeadImport(
            organisation_id=user.organisation_id,
            upload_id=upload_id,
            imported_by_id=user.id,
            **counts,
        )
    )
    db.session.flush()
    record("lead.import", user=user, object_type="lead_import", object_id=upload_id, **counts)
    return ImportResult(created, sightings, counts["skipped"])


def already_imported(organisation_id: uuid.UUID, upload_id: str) -> bool:
    stmt = tenant_select(LeadImport, organisation_id).where(LeadImport.upload_id == upload_id)
    return bool(db.session.scalar(select(stmt.exists())))


def seal(content: bytes, user, upload_id: str) -> str:
    return csv_upload.seal(content, user, upload_id, _SEAL_SALT)


def unseal(token: str, user) -> tuple[bytes, str]:
    return csv_upload.unseal(token, user, _SEAL_SALT)


def example_csv(org: Organisation, delimiter: str = ";") -> bytes:
    """An example file with the organisation's first site (invented ads, no real numbers)."""
    site = (lead_sites(org) or ["Annoncesiden"])[0]
    rows = [
        COLUMNS,
        [
            site,
            "https://annoncer.example/ad/1001",
            "20 12 34 56",
            "Mai",
            "apartment",
            "",
            "8000",
            "Aarhus C",
            "",
            "",
            "",
            "th",
            "new_in_area",
            "",
            "2026-03-02",
            "2026-03-09",
            "",
        ],
        [
            site,
            "",
            "+45 31 22 33 44",
            "Lin",
            "massage_clinic",
            "Algade 10",
            "9000",
            "Aalborg",
            "",
            "",
            "",
            "th, en",
            "appears_very_young, controller_answers",
            "",
            "2026-03-04",
            "",
            "",
        ],
    ]
    return csvsafe.to_csv(rows, delimiter)
