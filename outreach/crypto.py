"""Field-level encryption at rest (SECURITY.md 17, 18): the key ring, the ciphertext format,
the one encrypted column type every feature uses, keyed look-up hashes, and key rotation.

**Key ring.** `DATA_KEYS` is `KEY_ID:BASE64[,KEY_ID:BASE64...]` of 32-byte AES-256 keys, the
first one active (new values are sealed with it; the others only open older values);
`LOOKUP_KEY` is one base64 32-byte key for HMAC-SHA256 look-up hashes (DESIGN.md §4).
Production refuses to start without them; development makes a pair once and keeps it in the
instance folder (mode 0600); the test suite brings its own.

**Format.** A sealed value is the text `enc:` + base64 of
`version (1 byte, 0x01) | key id length (1 byte) | key id (ASCII) | nonce (12) | AES-GCM
ciphertext and tag (16)`. The associated data is that header plus the value's place:
`<table>.<column>:<row id>`, so a ciphertext copied to another row, or to another column of
the same row, fails authentication, and so does one whose key id or version was altered.

**Columns.** A model keeps the ciphertext in a mapped column of type `SealedText` (a private
attribute, e.g. `_alias`, on the column named `alias`) and exposes the plaintext through an
`Encrypted` descriptor (`alias = Encrypted("_alias")`). Setting the descriptor records the
plaintext as pending; a `before_flush` hook seals every pending value with the row's id (set
first when the row has none yet), so the order of constructor arguments does not matter.
Reading decrypts once per stored value. `SealedText` refuses to bind anything that is not a
sealed value, so plaintext cannot reach the column by mistake. Because `Model.alias` on the
class is the descriptor, not a column, any SQL that filters or sorts by an encrypted value
fails at once; a look-up needs a keyed hash column beside it (`lookup=`).

**Unreadable values** (a key removed too early, a tampered or copied ciphertext) read as an
`Unreadable` marker string for that field alone, logged with the table, column and row id,
never with the value; setting the field back to the marker keeps the stored ciphertext.
"""

import base64
import binascii
import hashlib
import hmac
import logging
import os
import re
import secrets
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from flask import current_app
from flask_babel import gettext
from sqlalchemy import (
    MetaData,
    Table,
    Text,
    TypeDecorator,
    bindparam,
    event,
    func,
    select,
    update,
)
from sqlalchemy.orm import Session

from outreach.i18n import N_

log = logging.getLogger(__name__)

VERSION = 1
PREFIX = "enc:"
KEY_BYTES = 32
NONCE_BYTES = 12
TAG_BYTES = 16
KEY_ID = re.compile(r"[A-Za-z0-9-]{1,16}")
EXTENSION = "outreach_keyring"
# The development key ring, made once in the instance folder (mode 0600).
DEV_KEYS_FILE = "encryption-keys.env"
# Opened values remembered per key ring (KeyRing.open): about 200 bytes each.
OPENED_KEPT = 200_000
# What an unreadable field shows (msgid; translated when read).
UNREADABLE_MSGID = N_("[unreadable: this encrypted value could not be decrypted]")


class KeyRingError(RuntimeError):
    """A missing or malformed key: the message names the variable to set, never a key."""


class Undecryptable(ValueError):
    """A sealed value that does not open: the reason, never the value."""


# The key ring --------------------------------------------------------------------------------


def _decode_key(text: str, variable: str, where: str) -> bytes:
    try:
        key = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise KeyRingError(f"{variable}: {where} is not valid base64.") from None
    if len(key) != KEY_BYTES:
        raise KeyRingError(
            f"{variable}: {where} must be {KEY_BYTES} bytes (base64 of 32 random bytes), "
            f"not {len(key)}; make a pair with: flask --app outreach generate-keys"
        )
    return key


def parse_data_keys(text: str) -> dict[str, bytes]:
    """{key id: key}, the active one first, from DATA_KEYS."""
    if not (text or "").strip():
        raise KeyRingError(
            "DATA_KEYS is not set: set it to KEY_ID:BASE64 (the first key is active); make "
            "one with: flask --app outreach generate-keys"
        )
    keys: dict[str, bytes] = {}
    for number, entry in enumerate(text.split(","), start=1):
        key_id, sep, value = entry.strip().partition(":")
        where = f"entry {number}"
        if not sep or not KEY_ID.fullmatch(key_id):
            raise KeyRingError(
                f"DATA_KEYS: {where} must be KEY_ID:BASE64, the key id 1-16 letters, digits or '-'."
            )
        if key_id in keys:
            raise KeyRingError(f"DATA_KEYS: key id {key_id} is given twice.")
        keys[key_id] = _decode_key(value, "DATA_KEYS", f"the key of {key_id}")
    return keys


def parse_lookup_key(text: str) -> bytes:
    if not (text or "").strip():
        raise KeyRingError(
            "LOOKUP_KEY is not set: set it to the base64 of 32 random bytes; make one with: "
            "flask --app outreach generate-keys"
        )
    return _decode_key(text, "LOOKUP_KEY", "the key")


@dataclass
class KeyRing:
    keys: dict[str, bytes]  # the active key first
    lookup_key: bytes
    _ciphers: dict[str, AESGCM] = field(default_factory=dict, repr=False)
    _opened: dict[tuple[str, str], str] = field(default_factory=dict, repr=False)

    @classmethod
    def from_text(cls, data_keys: str, lookup_key: str) -> "KeyRing":
        return cls(parse_data_keys(data_keys), parse_lookup_key(lookup_key))

    @property
    def active_id(self) -> str:
        return next(iter(self.keys))

    def _cipher(self, key_id: str) -> AESGCM:
        cipher = self._ciphers.get(key_id)
        if cipher is None:
            cipher = self._ciphers[key_id] = AESGCM(self.keys[key_id])
        return cipher

    def seal(self, plaintext: str, context: str) -> str:
        key_id = self.active_id
        header = _header(key_id)
        nonce = os.urandom(NONCE_BYTES)
        body = self._cipher(key_id).encrypt(
            nonce, plaintext.encode("utf-8"), header + context.encode("utf-8")
        )
        return PREFIX + base64.b64encode(header + nonce + body).decode("ascii")

    def open(self, sealed: str, context: str) -> str:
        """The plaintext; Undecryptable (with the reason, never the value) if it does not
        open here. What opened is remembered (the same sealed value in the same place always
        opens to the same text), so reading an organisation's aliases again costs a look-up."""
        known = self._opened.get((sealed, context))
        if known is not None:
            return known
        text = self._open(sealed, context)
        if len(self._opened) >= OPENED_KEPT:
            self._opened.clear()
        self._opened[(sealed, context)] = text
        return text

    def _open(self, sealed: str, context: str) -> str:
        header, key_id, nonce, body = _split(sealed)
        if key_id not in self.keys:
            raise Undecryptable(f"key id {key_id} is not in DATA_KEYS")
        try:
            plain = self._cipher(key_id).decrypt(nonce, body, header + context.encode("utf-8"))
        except InvalidTag:
            raise Undecryptable("authentication failed (altered, or not this row's)") from None
        return plain.decode("utf-8")

    def lookup(self, purpose: str, normalised: str) -> str:
        """HMAC-SHA256 (hex) of a normalised value for exact look-ups; `purpose` (the table
        and column) keeps equal values of different columns apart."""
        message = purpose.encode("utf-8") + b"\x00" + normalised.encode("utf-8")
        return hmac.new(self.lookup_key, message, hashlib.sha256).hexdigest()


def _header(key_id: str) -> bytes:
    kid = key_id.encode("ascii")
    return bytes([VERSION, len(kid)]) + kid


def _split(sealed: str) -> tuple[bytes, str, bytes, bytes]:
    """(header, key id, nonce, ciphertext and tag) of a sealed value; Undecryptable if it is
    not one."""
    if not isinstance(sealed, str) or not sealed.startswith(PREFIX):
        raise Undecryptable("not a sealed value")
    try:
        raw = binascii.a2b_base64(sealed[len(PREFIX) :], strict_mode=True)
    except (binascii.Error, ValueError):
        raise Undecryptable("not a sealed value (base64)") from None
    if len(raw) < 2 or raw[0] != VERSION:
        raise Undecryptable("unknown format version")
    end = 2 + raw[1]
    try:
        key_id = raw[2:end].decode("ascii")
    except UnicodeDecodeError:
        raise Undecryptable("malformed key id") from None
    if not KEY_ID.fullmatch(key_id) or len(raw) < end + NONCE_BYTES + TAG_BYTES:
        raise Undecryptable("malformed header")
    return raw[:end], key_id, raw[end : end + NONCE_BYTES], raw[end + NONCE_BYTES :]


def is_sealed(value) -> bool:
    """Whether a stored value is in the sealed format (what the migration skips)."""
    try:
        _split(value)
    except Undecryptable:
        return False
    return True


def key_id_of(sealed: str) -> str:
    return _split(sealed)[1]


def context(table: str, column: str, row_id) -> str:
    """The associated data naming a value's place; a UUID id in its canonical form."""
    return f"{table}.{column}:{row_id}"


def generate_keys(today: datetime | None = None) -> tuple[str, str]:
    """A fresh pair of environment lines: DATA_KEYS=<id>:<key> and LOOKUP_KEY=<key>. The key
    id is the date and four random hex digits, so rotations sort by age."""
    day = (today or datetime.now(UTC)).strftime("%Y%m%d")
    key_id = f"{day}-{secrets.token_hex(2)}"
    data = base64.b64encode(secrets.token_bytes(KEY_BYTES)).decode()
    lookup = base64.b64encode(secrets.token_bytes(KEY_BYTES)).decode()
    return f"DATA_KEYS={key_id}:{data}", f"LOOKUP_KEY={lookup}"


def _write_new_keys(path: Path) -> bool:
    """Write a fresh pair to `path` (0600) unless it exists; False when another process (the
    scheduler started beside `flask run`) was first. Written whole to a file of its own, then
    linked into place, so a reader never sees half a file."""
    partial = path.with_name(f"{path.name}.{os.getpid()}.partial")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as file:
        file.write("# Development encryption keys (flask --app outreach generate-keys).\n")
        file.write("\n".join(generate_keys()) + "\n")
    try:
        os.link(partial, path)
    except FileExistsError:
        return False
    finally:
        partial.unlink()
    return True


def _development_keys(instance_path: str) -> tuple[str, str]:
    """The development pair from the instance folder, made there (0600) the first time."""
    path = Path(instance_path) / DEV_KEYS_FILE
    if not path.exists() and _write_new_keys(path):
        log.warning(
            "No DATA_KEYS/LOOKUP_KEY set: generated development encryption keys in %s "
            "(keep the file: the data written with them cannot be read without it)",
            path,
        )
    else:
        log.info("No DATA_KEYS/LOOKUP_KEY set: using the development encryption keys in %s", path)
    values = {}
    for line in path.read_text().splitlines():
        name, sep, value = line.partition("=")
        if sep and not name.startswith("#"):
            values[name.strip()] = value.strip()
    return values.get("DATA_KEYS", ""), values.get("LOOKUP_KEY", "")


def init_app(app) -> None:
    """Load the key ring; production (and a half-set pair anywhere) refuses to start with a
    message naming the variable. Development without either key uses its own pair, made once
    in the instance folder."""
    data_keys = app.config.get("DATA_KEYS") or ""
    lookup_key = app.config.get("LOOKUP_KEY") or ""
    if not data_keys and not lookup_key and app.config["OUTREACH_ENV"] == "development":
        data_keys, lookup_key = _development_keys(app.instance_path)
    app.extensions[EXTENSION] = KeyRing.from_text(data_keys, lookup_key)


def keyring() -> KeyRing:
    return current_app.extensions[EXTENSION]


# The column type and the descriptor -------------------------------------------------------------


class Unreadable(str):
    """What an encrypted field reads as when its value does not open (translated marker)."""


class _Pending:
    """Plaintext set on a model, sealed by the before_flush hook (never bound as it is)."""

    __slots__ = ("text",)

    def __init__(self, text: str):
        self.text = text

    def __repr__(self) -> str:
        return "<pending encrypted value>"  # never the text, also in a traceback


class SealedText(TypeDecorator):
    """A column that holds sealed values only: anything else is refused at the bind."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None or (isinstance(value, str) and value.startswith(PREFIX)):
            return value
        raise ValueError("an encrypted column takes sealed values only (set it via Encrypted)")


# A key missing from DATA_KEYS makes every value under it unreadable: the log names the first
# rows of each column and reason each minute, not every row of a 20,000-person list.
UNREADABLE_LOGGED_PER_MINUTE = 20
_unreadable_logged: dict[tuple[str, str, str], tuple[int, int]] = {}


def _warn_unreadable(table: str, column: str, row_id, reason: str) -> None:
    minute = int(time.monotonic() // 60)
    key = (table, column, reason)
    seen_minute, count = _unreadable_logged.get(key, (minute, 0))
    if seen_minute != minute:
        count = 0
    _unreadable_logged[key] = (minute, count + 1)
    if count < UNREADABLE_LOGGED_PER_MINUTE:
        log.warning(
            "unreadable encrypted value: %s.%s of row %s: %s", table, column, row_id, reason
        )
    elif count == UNREADABLE_LOGGED_PER_MINUTE:
        log.warning(
            "unreadable encrypted values: more of %s.%s this minute (%s); not logged each",
            table,
            column,
            reason,
        )


class Encrypted:
    """The plaintext view of a SealedText column (see the module's docstring). `lookup` names
    a column that gets `KeyRing.lookup(<table>.<column>, normalise(plaintext))` at each seal;
    `purpose` replaces `<table>.<column>` where equal values of several tables must hash
    alike (phone numbers: outreach/phones.py)."""

    def __init__(
        self,
        column_attr: str,
        *,
        lookup: str | None = None,
        normalise: Callable[[str], str] = str,
        purpose: str | None = None,
    ):
        self.column_attr = column_attr
        self.lookup = lookup
        self.normalise = normalise
        self.purpose = purpose
        self.name = ""
        self.owner: type | None = None
        self._place: tuple[str, str] | None = None

    def __set_name__(self, owner, name: str) -> None:
        self.name, self.owner = name, owner
        _FIELDS.setdefault(owner, {})[name] = self

    @property
    def column(self):
        """The SealedText column: select it to read stored values in bulk (see open())."""
        return getattr(self.owner, self.column_attr)

    def place(self) -> tuple[str, str]:
        """(table, column) of this field."""
        if self._place is None:
            column = self.owner.__mapper__.attrs[self.column_attr].columns[0]
            self._place = (column.table.name, column.name)
        return self._place

    def matches(self, text: str):
        """SQL: the rows whose value is `text` once normalised, by the keyed look-up hash
        beside the column (the table is not decrypted). Only for a field with `lookup=`."""
        if not self.lookup:
            raise TypeError(f"{self.name} is encrypted and has no look-up hash")
        return getattr(self.owner, self.lookup) == keyring().lookup(
            self.lookup_purpose(), self.normalise(text)
        )

    def lookup_purpose(self) -> str:
        """What the look-up hash is keyed on besides the value: the column, or `purpose`."""
        if self.purpose:
            return self.purpose
        table, column = self.place()
        return f"{table}.{column}"

    # `Model.alias == "Mai"` would compare this descriptor, not the column, and quietly be
    # False in a WHERE clause: refuse it, and say what to use.
    def _refuse(self, other):
        raise TypeError(
            f"{self.name} is encrypted: SQL cannot compare or sort it; use "
            f"{self.name}.matches(text) (a keyed look-up hash) or read and open the values"
        )

    __eq__ = __ne__ = __lt__ = __le__ = __gt__ = __ge__ = _refuse
    __hash__ = object.__hash__

    def open(self, row_id, stored: str | None) -> str | None:
        """The plaintext of a stored value of row `row_id` (read with `.column` in a bulk
        select), or the Unreadable marker."""
        if stored is None:
            return None
        table, column = self.place()
        try:
            return keyring().open(stored, context(table, column, row_id))
        except Undecryptable as error:
            _warn_unreadable(table, column, row_id, str(error))
            return Unreadable(gettext(UNREADABLE_MSGID))

    def __get__(self, obj, owner=None):
        if obj is None:
            return self  # Model.alias in SQL fails: encrypted values cannot be queried
        stored = getattr(obj, self.column_attr)
        if stored is None:
            return None
        if isinstance(stored, _Pending):
            return stored.text
        cache = obj.__dict__.setdefault("_outreach_plaintext", {})
        hit = cache.get(self.name)
        if hit is not None and hit[0] == stored:
            return hit[1]
        text = self.open(obj.id, stored)
        cache[self.name] = (stored, text)
        return text

    def __set__(self, obj, value) -> None:
        if value is not None and not isinstance(value, str):
            raise TypeError(f"{self.name} takes a string or None")
        if value == self.__get__(obj):
            # The same text, or the unreadable marker handed back by a form: the stored
            # ciphertext stays, so nothing changes and nothing is lost.
            return
        setattr(obj, self.column_attr, None if value is None else _Pending(value))


_FIELDS: dict[type, dict[str, Encrypted]] = {}


def fields_of(cls) -> list[Encrypted]:
    found: dict[str, Encrypted] = {}
    for klass in reversed(cls.__mro__):
        found.update(_FIELDS.get(klass, {}))
    return list(found.values())


def _seal_pending(obj, ring: KeyRing) -> None:
    for f in fields_of(type(obj)):
        stored = obj.__dict__.get(f.column_attr)
        if not isinstance(stored, _Pending):
            continue
        if obj.id is None:
            obj.id = uuid.uuid4()  # the id the column's default would give, needed now
        table, column = f.place()
        sealed = ring.seal(stored.text, context(table, column, obj.id))
        setattr(obj, f.column_attr, sealed)
        obj.__dict__.setdefault("_outreach_plaintext", {})[f.name] = (sealed, stored.text)
        if f.lookup:
            setattr(obj, f.lookup, ring.lookup(f.lookup_purpose(), f.normalise(stored.text)))


@event.listens_for(Session, "before_flush")
def _seal_before_flush(session, flush_context, instances):
    objects = [o for o in (*session.new, *session.dirty) if fields_of(type(o))]
    if objects:
        ring = keyring()
        for obj in objects:
            _seal_pending(obj, ring)


# Rotation ------------------------------------------------------------------------------------


@dataclass
class SealedColumn:
    table: Table
    column: str

    @property
    def name(self) -> str:
        return f"{self.table.name}.{self.column}"


def sealed_columns(metadata: MetaData) -> list[SealedColumn]:
    """Every SealedText column of the schema, in a stable order."""
    return [
        SealedColumn(table, column.name)
        for table in sorted(metadata.tables.values(), key=lambda t: t.name)
        for column in table.columns
        if isinstance(column.type, SealedText)
    ]


@dataclass
class RotationCounts:
    rotated: int = 0  # re-sealed under the active key
    current: int = 0  # already under the active key: left as they are
    unreadable: int = 0  # do not open with any key of the ring: left as they are


def count_values(session: Session, columns: list[SealedColumn]) -> int:
    """How many values the columns hold (their tables, not one organisation's rows: the
    statements run on the session's connection, outside the tenancy guard)."""
    connection = session.connection()
    total = 0
    for sc in columns:
        col = sc.table.c[sc.column]
        total += connection.scalar(select(func.count(col)).where(col.is_not(None))) or 0
    return total


def rotate(
    session: Session,
    ring: KeyRing,
    columns: list[SealedColumn],
    *,
    batch_size: int = 500,
) -> Iterator[tuple[int, RotationCounts]]:
    """Re-seal every value of `columns` under the active key, `batch_size` rows at a time
    (keyset-paged by the primary key, a commit after each batch). Values already under the
    active key are skipped, so a run killed half-way is simply run again. Yields (values
    looked at in the batch, running counts). Only the sealed column changes: no timestamp or
    change number moves, since the plaintext is the same."""
    counts = RotationCounts()
    active = ring.active_id
    for sc in columns:
        table, col = sc.table, sc.table.c[sc.column]
        (pk,) = table.primary_key.columns
        # Only if the value is still the one read: a row changed meanwhile by the app (under
        # the active key already) is not put back to what it was.
        replace = (
            update(table)
            .where(pk == bindparam("row_id"), col == bindparam("was", type_=col.type))
            .values({sc.column: bindparam("sealed", type_=col.type)})
        )
        last = None
        while True:
            stmt = select(pk, col).where(col.is_not(None)).order_by(pk).limit(batch_size)
            if last is not None:
                stmt = stmt.where(pk > last)
            connection = session.connection()
            rows = connection.execute(stmt).all()
            if not rows:
                break
            changes = []
            for row_id, sealed in rows:
                place = context(table.name, sc.column, row_id)
                try:
                    if key_id_of(sealed) == active:
                        counts.current += 1
                        continue
                    plain = ring.open(sealed, place)
                except Undecryptable as error:
                    counts.unreadable += 1
                    log.warning(
                        "rotate-keys: %s of row %s left as it is: %s", sc.name, row_id, error
                    )
                    continue
                changes.append({"row_id": row_id, "was": sealed, "sealed": ring.seal(plain, place)})
            if changes:
                connection.execute(replace, changes)
                counts.rotated += len(changes)
            last = rows[-1][0]
            session.commit()
            yield len(rows), counts
