"""CSV import of clinics: read and check an upload, keep it sealed between preview and
confirm, and create the valid rows through services.put_clinic.

Every row is checked with ClinicInSchema, the API's schema, so an import follows the same rules
as the field app. Nothing about the upload is kept on the server between the two steps: the
preview page carries the file back to the browser in a signed, compressed hidden field, which
also works with several app processes behind a load balancer.
"""

import base64
import binascii
import csv
import io
import json
import uuid
import zlib
from dataclasses import dataclass, field

from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, TimestampSigner
from marshmallow import ValidationError
from sqlalchemy import select

from outreach import csvsafe
from outreach.audit.services import record
from outreach.clinics import hours, services
from outreach.clinics.models import Clinic, ClinicImport
from outreach.clinics.schemas import ClinicInSchema
from outreach.db import db
from outreach.i18n import translate_message
from outreach.orgs.models import REGIONS
from outreach.tenancy import tenant_select

# The clinic fields of the API, less `source` (every imported clinic has source "import").
COLUMNS = tuple(field for field in services.INPUT_FIELDS if field != "source")
REQUIRED_COLUMNS = ("name", "kind")
COLUMN_ALIASES = {"latitude": "lat", "longitude": "lon", "lng": "lon", "hours": "opening_hours"}
MAX_BYTES = 2 * 1024 * 1024
MAX_ROWS = 5000
SEAL_MAX_AGE_SECONDS = 3600
_SEAL_SALT = "outreach.clinics.csv-import"
# The row itself rather than one of its fields (too many cells).
ROW = "row"


class UploadRejected(Exception):
    """The file as a whole can't be read; the message says why and what to do."""


@dataclass
class Row:
    number: int  # the line in a spreadsheet: the header is 1
    cells: dict[str, str]
    data: dict | None = None  # ClinicInSchema's output, when the row is valid
    errors: dict[str, list[str]] = field(default_factory=dict)
    warnings: dict[str, list[str]] = field(default_factory=dict)

    @property
    def valid(self) -> bool:
        return not self.errors

    def messages(self) -> list[tuple[str, str, str]]:
        """(level, column, message) in the order of the columns: errors, then warnings."""
        order = {column: i for i, column in enumerate((ROW, *COLUMNS))}
        return [
            (level, column, message)
            for level, found in (("error", self.errors), ("warning", self.warnings))
            for column in sorted(found, key=lambda c: order.get(c, len(order)))
            for message in found[column]
        ]

    def problem(self, column: str, message: str) -> None:
        self.errors.setdefault(column, []).append(message)

    def warn(self, column: str, message: str) -> None:
        self.warnings.setdefault(column, []).append(message)


@dataclass
class Preview:
    rows: list[Row]
    columns: list[str]  # the known columns of the file, in the file's order
    ignored_columns: list[str]
    delimiter: str
    encoding: str

    @property
    def valid_rows(self) -> list[Row]:
        return [row for row in self.rows if row.valid]

    @property
    def invalid_rows(self) -> list[Row]:
        return [row for row in self.rows if not row.valid]

    @property
    def warned_rows(self) -> list[Row]:
        return [row for row in self.rows if row.warnings]


# Reading


def read(content: bytes, organisation_id: uuid.UUID) -> Preview:
    """Check every row of an upload; raises UploadRejected when the file can't be used."""
    if len(content) > MAX_BYTES:
        raise UploadRejected(
            _(
                "The file is larger than %(mb)d MB. Split it into smaller files.",
                mb=MAX_BYTES // (1024 * 1024),
            )
        )
    text, encoding = _decode(content)
    lines = text.splitlines()
    if not lines or not lines[0].strip():
        raise UploadRejected(_("The file is empty, or its first line is empty."))
    delimiter = _delimiter(lines[0])
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader)
        columns, ignored = _columns(header)
        rows = []
        for number, cells in enumerate(reader, start=2):
            if not any(cell.strip() for cell in cells):
                continue  # blank lines, and Excel's rows of separators only
            if len(rows) == MAX_ROWS:
                raise UploadRejected(
                    _(
                        "The file has more than %(n)d rows. Split it into smaller files.",
                        n=MAX_ROWS,
                    )
                )
            rows.append(_check_row(number, header, columns, cells))
    except csv.Error as exc:
        raise UploadRejected(
            _("The file is not valid CSV near line %(line)d.", line=reader.line_num)
        ) from exc
    if not rows:
        raise UploadRejected(_("The file has a header line but no rows of clinics."))
    _flag_duplicates(rows, organisation_id)
    return Preview(rows, list(columns.values()), ignored, delimiter, encoding)


def _decode(content: bytes) -> tuple[str, str]:
    if b"\x00" in content:
        raise UploadRejected(
            _(
                "This is not a CSV text file. In Excel, save it with "
                "'CSV UTF-8 (comma delimited)' or 'CSV (semicolon delimited)'."
            )
        )
    try:
        return content.decode("utf-8-sig"), "UTF-8"
    except UnicodeDecodeError:
        pass
    try:
        # What Danish Excel writes for plain "CSV (semicolon delimited)".
        return content.decode("cp1252"), "Windows-1252"
    except UnicodeDecodeError:
        raise UploadRejected(
            _("The file's characters could not be read. Save it as 'CSV UTF-8' and try again.")
        ) from None


def _delimiter(header_line: str) -> str:
    """The separator that splits the header into the most known columns (Danish Excel: ;)."""

    def score(sep):
        names = [_normalise_column(h) for h in next(csv.reader([header_line], delimiter=sep))]
        return (sum(name in COLUMNS for name in names), header_line.count(sep))

    return max((",", ";", "\t"), key=score)


def _normalise_column(name: str) -> str:
    name = name.strip().strip('"').strip().lower().replace(" ", "_").replace("-", "_")
    return COLUMN_ALIASES.get(name, name)


def _columns(header: list[str]) -> tuple[dict[int, str], list[str]]:
    """{cell index: column} for the known columns, and the header cells that are ignored."""
    columns, ignored = {}, []
    for index, cell in enumerate(header):
        name = _normalise_column(cell)
        if name in COLUMNS:
            if name in columns.values():
                raise UploadRejected(_("The column %(name)s appears twice.", name=name))
            columns[index] = name
        elif cell.strip():
            ignored.append(cell.strip())
    missing = [c for c in REQUIRED_COLUMNS if c not in columns.values()]
    if missing:
        raise UploadRejected(
            _(
                "The first line must name the columns, and %(missing)s must be among them. "
                "Found: %(found)s.",
                missing=", ".join(missing),
                found=", ".join(h.strip() for h in header if h.strip()) or "–",
            )
        )
    return columns, ignored


def _check_row(number: int, header: list, columns: dict[int, str], cells: list[str]) -> Row:
    row = Row(number, {column: "" for column in COLUMNS})
    for index, column in columns.items():
        if index < len(cells):
            row.cells[column] = cells[index].strip()
    data = {"source": "import"}
    for column, text in row.cells.items():
        if not text:
            continue  # an empty cell is an absent optional value
        try:
            data[column] = _convert(column, text)
        except ValueError as exc:
            row.problem(column, str(exc))
    schema = ClinicInSchema()
    try:
        loaded = schema.load(data)
    except ValidationError as exc:
        _add_schema_errors(row, exc.normalized_messages())
        # The checks across fields (lat without lon, outside Denmark) only run when every
        # field is valid; run them on the valid fields too, so the preview names everything.
        rest = {k: v for k, v in data.items() if k not in row.errors}
        _add_schema_errors(row, schema.validate(rest, partial=True))
    else:
        if row.valid:
            row.data = loaded
    # Empty cells past the header are Excel's habit; only name them when the row is wrong.
    if len(cells) > len(header) and (row.errors or any(c.strip() for c in cells[len(header) :])):
        row.problem(
            ROW,
            _(
                "This row has %(cells)d cells but the first line names %(columns)d columns. "
                "Is there a separator inside a value without quotes?",
                cells=len(cells),
                columns=len(header),
            ),
        )
    return row


def _add_schema_errors(row: Row, messages: dict) -> None:
    for column, texts in messages.items():
        if column not in row.errors:
            for text in texts if isinstance(texts, list) else [texts]:
                row.problem(column, translate_message(str(text)))


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
        key = text.lower().removeprefix("region").strip().replace("æ", "ae").replace("ø", "oe")
        return _REGION_NAMES.get(key, text)
    if column in ("kind", "status"):
        return text.lower().replace(" ", "_")
    return text


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


def new_upload_id() -> str:
    return uuid.uuid4().hex


def _signer() -> TimestampSigner:
    return TimestampSigner(current_app.secret_key, salt=_SEAL_SALT)


def seal(content: bytes, user, upload_id: str) -> str:
    """The upload as a signed, compressed token for a hidden field, bound to this user."""
    header = json.dumps({"user": str(user.id), "upload": upload_id}).encode()
    blob = zlib.compress(header + b"\n" + content, 6)
    return _signer().sign(base64.urlsafe_b64encode(blob)).decode("ascii")


def unseal(token: str, user) -> tuple[bytes, str]:
    """(content, upload id) from seal(); UploadRejected when expired, altered or not hers."""
    unreadable = UploadRejected(_("The upload could not be read back. Upload the file again."))
    try:
        payload = _signer().unsign(token.encode("ascii"), max_age=SEAL_MAX_AGE_SECONDS)
    except SignatureExpired:
        raise UploadRejected(
            _("The preview is more than an hour old. Upload the file again.")
        ) from None
    except (BadSignature, UnicodeEncodeError):
        raise unreadable from None
    try:
        blob = zlib.decompress(base64.urlsafe_b64decode(payload))
        header, _sep, content = blob.partition(b"\n")
        meta = json.loads(header)
    except (binascii.Error, zlib.error, ValueError):
        raise unreadable from None
    if meta.get("user") != str(user.id):
        raise unreadable
    return content, meta["upload"]


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
