"""Uploading a CSV file of records (clinics, leads): reading and checking it row by row with
the API's schema, the preview's rows and messages, and the upload kept sealed between preview
and confirm. Each feature's import module gives a `Spec` (its columns, schema and cell
conversions) and does the storing itself.

Nothing about the upload is kept on the server between the two steps: the preview page
carries the file back to the browser in a signed, compressed hidden field, which also works
with several app processes behind a load balancer.
"""

import base64
import binascii
import csv
import io
import json
import uuid
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field

from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, TimestampSigner
from marshmallow import Schema, ValidationError

from outreach.i18n import translate_message

MAX_BYTES = 2 * 1024 * 1024
MAX_ROWS = 5000
SEAL_MAX_AGE_SECONDS = 3600
# The row itself rather than one of its fields (too many cells).
ROW = "row"


class UploadRejected(Exception):
    """The file as a whole can't be read; the message says why and what to do."""


@dataclass(frozen=True)
class Spec:
    """What one kind of record's CSV holds and how its cells become a schema's input."""

    columns: tuple[str, ...]
    required: tuple[str, ...]
    schema: Callable[[], Schema]
    # A cell's text as the schema wants it; ValueError with a message when it can't be.
    convert: Callable[[str, str], object]
    no_rows: str  # msgid: a header line but no rows
    salt: str  # keeps one feature's sealed uploads from being confirmed by another
    aliases: dict[str, str] = field(default_factory=dict)
    fixed: dict = field(default_factory=dict)  # values every row gets (e.g. source)
    max_bytes: int = MAX_BYTES
    max_rows: int = MAX_ROWS


@dataclass
class Row:
    number: int  # the line in a spreadsheet: the header is 1
    cells: dict[str, str]
    columns: tuple[str, ...] = ()
    data: dict | None = None  # the schema's output, when the row is valid
    errors: dict[str, list[str]] = field(default_factory=dict)
    warnings: dict[str, list[str]] = field(default_factory=dict)

    @property
    def valid(self) -> bool:
        return not self.errors

    def messages(self) -> list[tuple[str, str, str]]:
        """(level, column, message) in the order of the columns: errors, then warnings."""
        order = {column: i for i, column in enumerate((ROW, *self.columns))}
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


def read(content: bytes, spec: Spec) -> Preview:
    """Check every row of an upload; raises UploadRejected when the file can't be used."""
    if len(content) > spec.max_bytes:
        raise UploadRejected(
            _(
                "The file is larger than %(mb)d MB. Split it into smaller files.",
                mb=spec.max_bytes // (1024 * 1024),
            )
        )
    text, encoding = _decode(content)
    lines = text.splitlines()
    if not lines or not lines[0].strip():
        raise UploadRejected(_("The file is empty, or its first line is empty."))
    delimiter = _delimiter(lines[0], spec)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader)
        columns, ignored = _columns(header, spec)
        rows = []
        for number, cells in enumerate(reader, start=2):
            if not any(cell.strip() for cell in cells):
                continue  # blank lines, and Excel's rows of separators only
            if len(rows) == spec.max_rows:
                raise UploadRejected(
                    _(
                        "The file has more than %(n)d rows. Split it into smaller files.",
                        n=spec.max_rows,
                    )
                )
            rows.append(_check_row(number, header, columns, cells, spec))
    except csv.Error as exc:
        raise UploadRejected(
            _("The file is not valid CSV near line %(line)d.", line=reader.line_num)
        ) from exc
    if not rows:
        raise UploadRejected(_(spec.no_rows))
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


def _delimiter(header_line: str, spec: Spec) -> str:
    """The separator that splits the header into the most known columns (Danish Excel: ;)."""

    def score(sep):
        names = [_normalise_column(h, spec) for h in next(csv.reader([header_line], delimiter=sep))]
        return (sum(name in spec.columns for name in names), header_line.count(sep))

    return max((",", ";", "\t"), key=score)


def _normalise_column(name: str, spec: Spec) -> str:
    name = name.strip().strip('"').strip().lower().replace(" ", "_").replace("-", "_")
    return spec.aliases.get(name, name)


def _columns(header: list[str], spec: Spec) -> tuple[dict[int, str], list[str]]:
    """{cell index: column} for the known columns, and the header cells that are ignored."""
    columns, ignored = {}, []
    for index, cell in enumerate(header):
        name = _normalise_column(cell, spec)
        if name in spec.columns:
            if name in columns.values():
                raise UploadRejected(_("The column %(name)s appears twice.", name=name))
            columns[index] = name
        elif cell.strip():
            ignored.append(cell.strip())
    missing = [c for c in spec.required if c not in columns.values()]
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


def _check_row(
    number: int, header: list, columns: dict[int, str], cells: list[str], spec: Spec
) -> Row:
    row = Row(number, {column: "" for column in spec.columns}, spec.columns)
    for index, column in columns.items():
        if index < len(cells):
            row.cells[column] = cells[index].strip()
    data = dict(spec.fixed)
    for column, text in row.cells.items():
        if not text:
            continue  # an empty cell is an absent optional value
        try:
            data[column] = spec.convert(column, text)
        except ValueError as exc:
            row.problem(column, str(exc))
    schema = spec.schema()
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
            if isinstance(texts, dict):  # a list field's errors by index
                texts = [t for ts in texts.values() for t in ts]
            for text in texts if isinstance(texts, list) else [texts]:
                row.problem(column, translate_message(str(text)))


# Between preview and confirm


def new_upload_id() -> str:
    return uuid.uuid4().hex


def _signer(salt: str) -> TimestampSigner:
    return TimestampSigner(current_app.secret_key, salt=salt)


def seal(content: bytes, user, upload_id: str, salt: str) -> str:
    """The upload as a signed, compressed token for a hidden field, bound to this user."""
    header = json.dumps({"user": str(user.id), "upload": upload_id}).encode()
    blob = zlib.compress(header + b"\n" + content, 6)
    return _signer(salt).sign(base64.urlsafe_b64encode(blob)).decode("ascii")


def unseal(token: str, user, salt: str) -> tuple[bytes, str]:
    """(content, upload id) from seal(); UploadRejected when expired, altered or not hers."""
    unreadable = UploadRejected(_("The upload could not be read back. Upload the file again."))
    try:
        payload = _signer(salt).unsign(token.encode("ascii"), max_age=SEAL_MAX_AGE_SECONDS)
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
