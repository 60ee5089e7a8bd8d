"""CSV import of clinics: the clinic columns and cell conversions for outreach/csv_upload.py
(which reads, checks and seals the upload), the duplicate warnings, and creating the valid
rows through services.put_clinic.

Every row is checked with ClinicInSchema, the API's schema, so an import follows the same rules
as the field app.
"""

import uuid
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import select

from outreach import csv_upload, csvsafe
from outreach.audit.services import record
from outreach.clinics import hours, services
from outreach.clinics.models import Clinic, ClinicImport
from outreach.clinics.schemas import ClinicInSchema
from outreach.csv_upload import MAX_BYTES, MAX_ROWS, Preview, Row, UploadRejected, new_upload_id
from outreach.db import db
from outreach.i18n import N_
from outreach.orgs.models import REGIONS
from outreach.tenancy import tenant_select

__all__ = ["MAX_BYTES", "MAX_ROWS", "UploadRejected", "new_upload_id"]

# The clinic fields of the API, less `source` (every imported clinic has source "import").
COLUMNS = tuple(field for field in services.INPUT_FIELDS if field != "source")
REQUIRED_COLUMNS = ("name", "kind")
COLUMN_ALIASES = {"latitude": "lat", "longitude": "lon", "lng": "lon", "hours": "opening_hours"}
_SEAL_SALT = "outreach.clinics.csv-import"


# A region cell may hold the slug, the official code or the name ("Region Sjælland").
_REGION_NAMES = {slug: slug for slug, _code, _name in REGIONS} | {
    str(code): slug for slug, code, _name in REGIONS
}


def _convert(column: str, text: str):
    """A cell's text as the schema wants it; ValueError with a message when it can't be."""
    if column in ("lat", "lon"):
        try:
            return float(text.replace(",", "."))
        except ValueError:
            raise ValueError(_("Not a number; write it like 56.1572.")) from None
    if column == "opening_hours":
        try:
            return hours.parse_text(text)
        except hours.HoursSyntaxError as exc:
            raise ValueError(str(exc)) from None
    if column == "region":
        return region_cell(text)
    if column in ("kind", "status"):
        return text.lower().replace(" ", "_")
    return text


def region_cell(text: str) -> str:
    """A region cell as its slug: the slug, the official code or the name."""
    key = text.lower().removeprefix("region").strip().replace("æ", "ae").replace("ø", "oe")
    return _REGION_NAMES.get(key, text)


SPEC = csv_upload.Spec(
    columns=COLUMNS,
    required=REQUIRED_COLUMNS,
    schema=ClinicInSchema,
    convert=_convert,
    no_rows=N_("The file has a header line but no rows of clinics."),
    salt=_SEAL_SALT,
    aliases=COLUMN_ALIASES,
    fixed={"source": "import"},
)


def read(content: bytes, organisation_id: uuid.UUID) -> Preview:
    """Check every row of an upload; raises UploadRejected when the file can't be used."""
    preview = csv_upload.read(content, SPEC)
    _flag_duplicates(preview.rows, organisation_id)
    return preview


def _flag_duplicates(rows: list[Row], organisation_id: uuid.UUID) -> None:
    """Warn about rows whose name and postcode match a clinic already in the registry, or an
    earlier row of the file. A warning, not an error: two venues may share a name."""

    def key(name, postcode):
        return (" ".join(name.casefold().split()), postcode.strip())

    postcodes = {row.cells["postcode"] for row in rows if row.cells["postcode"]}
    existing = set()
    if postcodes:
        stmt = (
            tenant_select(Clinic, organisation_id)
            .with_only_columns(Clinic.name, Clinic.postcode)
            .where(Clinic.postcode.in_(sorted(postcodes)))
        )
        existing = {key(name, postcode) for name, postcode in db.session.execute(stmt)}
    seen: dict[tuple, int] = {}
    for row in rows:
        if not row.cells["name"] or not row.cells["postcode"]:
            continue
        k = key(row.cells["name"], row.cells["postcode"])
        if k in existing:
            row.warn(
                "name",
                _("Possible duplicate: a clinic with this name and postcode is registered."),
            )
        elif k in seen:
            row.warn(
                "name",
                _("Possible duplicate of row %(n)d (same name and postcode).", n=seen[k]),
            )
        seen.setdefault(k, row.number)


# Importing


@dataclass
class ImportResult:
    imported: int
    skipped: int


def import_valid_rows(user, preview: Preview, upload_id: str) -> ImportResult:
    """Create a clinic for every valid row, and the import's record that makes a second
    confirm of the same upload a refusal; one audit event with counts only. Flushes."""
    if already_imported(user.organisation_id, upload_id):
        raise UploadRejected(_("This file has already been imported."))
    valid = preview.valid_rows
    for row in valid:
        # The geocoder allows about one look-up a second: the retry job does them later.
        services.put_clinic(user, uuid.uuid4(), row.data, defer_geocoding=True)
    counts = {
        "rows": len(preview.rows),
        "imported": len(valid),
        "skipped": len(preview.rows) - len(valid),
        "possible_duplicates": len([r for r in valid if r.warnings]),
    }
    db.session.add(
        ClinicImport(
            organisation_id=user.organisation_id,
            upload_id=upload_id,
            imported_by_id=user.id,
            **counts,
        )
    )
    db.session.flush()
    record("clinic.import", user=user, object_type="clinic_import", object_id=upload_id, **counts)
    return ImportResult(imported=counts["imported"], skipped=counts["skipped"])


def already_imported(organisation_id: uuid.UUID, upload_id: str) -> bool:
    stmt = tenant_select(ClinicImport, organisation_id).where(ClinicImport.upload_id == upload_id)
    return bool(db.session.scalar(select(stmt.exists())))


# Between preview and confirm


def seal(content: bytes, user, upload_id: str) -> str:
    return csv_upload.seal(content, user, upload_id, _SEAL_SALT)


def unseal(token: str, user) -> tuple[bytes, str]:
    return csv_upload.unseal(token, user, _SEAL_SALT)


# The example file offered on the page


EXAMPLE_ROWS = [
    {
        "name": "Lotus Massage",
        "kind": "massage_clinic",
        "address": "Vestergade 3",
        "postcode": "8000",
        "city": "Aarhus C",
        "lat": 56.157,
        "lon": 10.204,
        "region": "",
        "opening_hours": "mon-fri 10:00-22:00; sat 12:00-16:00; sun closed",
        "status": "active",
        "notes": "",
    },
    {
        "name": "Apartment Algade",
        "kind": "apartment",
        "address": "Algade 10, 2. th.",
        "postcode": "9000",
        "city": "Aalborg",
        "lat": None,
        "lon": None,
        "region": "",
        "opening_hours": "",
        "status": "unknown",
        "notes": "From an escort ad; opening hours not known.",
    },
    {
        "name": "Mobile home by the ring road",
        "kind": "mobile_home",
        "address": "",
        "postcode": "",
        "city": "Roskilde",
        "lat": 55.642,
        "lon": 12.081,
        "region": "sjaelland",
        "opening_hours": "daily 12:00-16:00,18:00-23:00",
        "status": "active",
        "notes": "",
    },
]


def example_csv(delimiter: str = ";") -> bytes:
    """The example file: with ';' it opens as it is in Danish Excel (decimal commas too)."""
    rows = [COLUMNS]
    for example in EXAMPLE_ROWS:
        cells = []
        for column in COLUMNS:
            value = example[column]
            if isinstance(value, float):
                value = f"{value:.4f}".replace(".", "," if delimiter == ";" else ".")
            cells.append(value)
        rows.append(cells)
    return csvsafe.to_csv(rows, delimiter)
