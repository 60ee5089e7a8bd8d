"""Encrypted backups of the database and their restore (`flask --app outreach backup FILE`,
`restore FILE`; the file format and the operator's routine are in docs/deployment.md).

A backup holds every person's alias and every conversation's notes, so it is only ever
written encrypted and authenticated, with a key of its own (BACKUP_KEY), never a field key.
Restoring decrypts and verifies the whole file into a private temporary folder before the
database is touched: a corrupted, truncated, wrong-key or foreign file writes nothing.

SQLite is copied with its online backup API (a consistent copy while the app keeps writing);
PostgreSQL with `pg_dump` in its custom format, restored by `pg_restore` in one transaction.
"""

import base64
import binascii
import glob
import os
import shutil
import sqlite3
import struct
import subprocess  # nosec B404  # pg_dump/pg_restore with our own argv, never a shell
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import create_engine, inspect, literal, select, table
from sqlalchemy.engine import URL, make_url

MAGIC = b"OUTREACH-BACKUP"
VERSION = 1
KIND_SQLITE = 1
KIND_POSTGRESQL = 2
KINDS = {KIND_SQLITE: "SQLite", KIND_POSTGRESQL: "PostgreSQL"}
FILE_ID_BYTES = 16
HEADER = struct.Struct(f">{len(MAGIC)}sBB{FILE_ID_BYTES}s")
CHUNK_BYTES = 1024 * 1024
TAG_BYTES = 16
# Before each chunk: its length (ciphertext and tag) and whether it is the last one.
CHUNK_HEAD = struct.Struct(">IB")
FINAL = 1
KEY_HELP = (
    "Set BACKUP_KEY to the base64 of 32 random bytes, kept apart from the backups, e.g. from "
    "`flask --app outreach generate-backup-key` or "
    '`python -c "import base64,os;print(base64.b64encode(os.urandom(32)).decode())"`.'
)


class BackupError(Exception):
    """A backup or restore refused; the message says why and what to do."""


def generate_key() -> str:
    return base64.b64encode(os.urandom(32)).decode()


def parse_key(value: str | None) -> bytes:
    if not value:
        raise BackupError("BACKUP_KEY is not set. " + KEY_HELP)
    try:
        key = base64.b64decode(value.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise BackupError("BACKUP_KEY is not valid base64. " + KEY_HELP) from None
    if len(key) != 32:
        raise BackupError(f"BACKUP_KEY holds {len(key)} bytes, not 32. " + KEY_HELP)
    return key


# --- the file format -----------------------------------------------------------------------


def _cipher(key: bytes, file_id: bytes) -> AESGCM:
    """A key of this file's own (HKDF of the backup key and the file's random id), so that
    counter nonces never repeat under one key across files."""
    derived = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=file_id, info=b"outreach-backup v1"
    ).derive(key)
    return AESGCM(derived)


def _nonce(index: int) -> bytes:
    return index.to_bytes(12, "big")


def _associated(header: bytes, index: int, final: bool) -> bytes:
    # The header (kind and file id), the chunk's place and its final flag are authenticated:
    # a chunk moved, dropped, or taken from another file fails its tag.
    return header + index.to_bytes(8, "big") + bytes([final])


def encrypt(source: Path, target, key: bytes, kind: int) -> None:
    """Write `source` encrypted to the open binary file `target`."""
    header = HEADER.pack(MAGIC, VERSION, kind, os.urandom(FILE_ID_BYTES))
    cipher = _cipher(key, header[-FILE_ID_BYTES:])
    target.write(header)
    with open(source, "rb") as plain:
        index = 0
        chunk = plain.read(CHUNK_BYTES)
        while True:
            following = plain.read(CHUNK_BYTES)
            final = not following
            sealed = cipher.encrypt(_nonce(index), chunk, _associated(header, index, final))
            target.write(CHUNK_HEAD.pack(len(sealed), FINAL if final else 0))
            target.write(sealed)
            if final:
                return
            chunk, index = following, index + 1


def _read_exactly(source, size: int) -> bytes:
    data = source.read(size)
    if len(data) != size:
        raise BackupError("The backup file is truncated; nothing was restored.")
    return data


def decrypt(source: Path, target, key: bytes) -> int:
    """Decrypt and verify the whole of `source` into the open binary file `target`; the
    backup's kind (KIND_SQLITE or KIND_POSTGRESQL) is returned only if every chunk verified
    and the last one is marked final."""
    with open(source, "rb") as sealed_file:
        header = sealed_file.read(HEADER.size)
        if len(header) < len(MAGIC) or header[: len(MAGIC)] != MAGIC:
            raise BackupError(f"{source} is not an Outreach backup; nothing was restored.")
        if len(header) < HEADER.size:
            raise BackupError("The backup file is truncated; nothing was restored.")
        _, version, kind, file_id = HEADER.unpack(header)
        if version != VERSION:
            raise BackupError(
                f"The backup has format version {version}; this release reads version "
                f"{VERSION}. Nothing was restored."
            )
        if kind not in KINDS:
            raise BackupError("The backup file is corrupted (unknown kind); nothing was restored.")
        cipher = _cipher(key, file_id)
        index = 0
        while True:
            length, flags = CHUNK_HEAD.unpack(_read_exactly(sealed_file, CHUNK_HEAD.size))
            if flags not in (0, FINAL) or not TAG_BYTES <= length <= CHUNK_BYTES + TAG_BYTES:
                raise BackupError("The backup file is corrupted; nothing was restored.")
            sealed = _read_exactly(sealed_file, length)
            final = flags == FINAL
            try:
                plain = cipher.decrypt(_nonce(index), sealed, _associated(header, index, final))
            except InvalidTag:
                raise BackupError(
                    "The backup cannot be decrypted: it was made with another BACKUP_KEY, or "
                    "the file is corrupted. Nothing was restored."
                ) from None
            target.write(plain)
            if final:
                break
            index += 1
        if sealed_file.read(1):
            raise BackupError(
                "The backup file has data after its last chunk; nothing was restored."
            )
    return kind


# --- the databases -------------------------------------------------------------------------


@contextmanager
def _private_folder() -> Iterator[Path]:
    """A folder only this user can read (mkdtemp makes it 0700), for the plaintext copy."""
    folder = tempfile.mkdtemp(prefix="outreach-backup-")
    try:
        yield Path(folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _sqlite_path(url: URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise BackupError("An in-memory SQLite database cannot be backed up or restored.")
    return Path(url.database)


def _pg_tool(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    # Debian keeps the versioned tools off PATH when only the server package is installed.
    candidates = sorted(
        glob.glob(f"/usr/lib/postgresql/*/bin/{name}"),
        key=lambda path: (
            int(Path(path).parent.parent.name) if Path(path).parent.parent.name.isdigit() else 0
        ),
    )
    if not candidates:
        raise BackupError(
            f"{name} was not found on PATH or in /usr/lib/postgresql/*/bin; install the "
            "PostgreSQL client (Debian: postgresql-client) of the server's version or newer."
        )
    return candidates[-1]


def _pg_connection(url: URL) -> tuple[str, dict]:
    """A libpq URL without the password, and an environment that carries it: a password on
    a command line is readable by every user of the machine (ps)."""
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = url.password
    libpq = url.set(drivername="postgresql", password=None)
    return libpq.render_as_string(hide_password=False), env


def _run(command: list[str], env: dict, what: str) -> None:
    # Our own argv (pg_dump/pg_restore and paths we chose), never a shell.
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603  # nosec B603
    if result.returncode != 0:
        # pg_dump/pg_restore report object names and connection trouble, never row data.
        raise BackupError(f"{what} failed: {result.stderr.strip() or result.returncode}")


def backup(database_url: str, target: Path, key: bytes) -> None:
    """Write an encrypted backup of the database to `target` (a new file, mode 0600)."""
    url = make_url(database_url)
    target = Path(target)
    if target.exists():
        raise BackupError(f"{target} exists; give a new file name (backups are never overwritten).")
    with _private_folder() as folder:
        plain = folder / "plain"
        if url.get_backend_name() == "sqlite":
            kind = KIND_SQLITE
            source_path = _sqlite_path(url)
            if not source_path.exists():
                raise BackupError(f"The database {source_path} does not exist.")
            source = sqlite3.connect(source_path)
            copy = sqlite3.connect(plain)
            try:
                source.backup(copy)
            finally:
                copy.close()
                source.close()
        elif url.get_backend_name() == "postgresql":
            kind = KIND_POSTGRESQL
            dsn, env = _pg_connection(url)
            _run(
                [
                    _pg_tool("pg_dump"),
                    "--format=custom",
                    "--no-owner",
                    "--no-privileges",
                    f"--file={plain}",
                    f"--dbname={dsn}",
                ],
                env,
                "pg_dump",
            )
        else:
            raise BackupError(f"Backups of {url.get_backend_name()} databases are not supported.")
        # Written beside the target and renamed at the end: a failed run leaves no half file.
        partial = target.with_name(target.name + ".partial")
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(descriptor, "wb") as sealed:
                encrypt(plain, sealed, key, kind)
                sealed.flush()
                os.fsync(sealed.fileno())
            os.replace(partial, target)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise


def _is_empty(database_url: str) -> bool:
    """No table with a row, and no migration version (a migrated but empty schema would make
    the restore's CREATE TABLEs fail half-way on PostgreSQL, and is refused on both)."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        path = _sqlite_path(url)
        if not path.exists() or path.stat().st_size == 0:
            return True
    engine = create_engine(url, hide_parameters=True)  # an error would quote row contents
    try:
        with engine.connect() as connection:
            tables = inspect(connection).get_table_names()
            return "alembic_version" not in tables and not any(
                connection.execute(select(literal(1)).select_from(table(name)).limit(1)).first()
                for name in tables
            )
    finally:
        engine.dispose()


NOT_EMPTY = (
    "The database is not empty (it has tables with rows, or a migration version); a backup "
    "is restored only into an empty database. Nothing was written."
)


def restore(database_url: str, source: Path, key: bytes) -> None:
    """Restore the backup `source` into the configured, empty database. The caller disposes
    of its own connections afterwards (their schema caches predate the restore)."""
    url = make_url(database_url)
    backend = url.get_backend_name()
    if backend not in ("sqlite", "postgresql"):
        raise BackupError(f"Restoring into {backend} databases is not supported.")
    source = Path(source)
    if not source.is_file():
        raise BackupError(f"{source} does not exist.")
    with _private_folder() as folder:
        plain = folder / "plain"
        with open(plain, "wb") as target:
            kind = decrypt(source, target, key)
        wanted = KIND_SQLITE if backend == "sqlite" else KIND_POSTGRESQL
        if kind != wanted:
            raise BackupError(
                f"This is a backup of a {KINDS[kind]} database; the configured database is "
                f"{KINDS[wanted]}. Nothing was restored."
            )
        if backend == "sqlite":
            _restore_sqlite(database_url, _sqlite_path(url), plain)
        else:
            _restore_postgresql(url, database_url, plain)


def _restore_sqlite(database_url: str, path: Path, plain: Path) -> None:
    copy = sqlite3.connect(plain)
    try:
        try:
            intact = copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        except sqlite3.DatabaseError:
            intact = False
        if not intact:
            raise BackupError("The backup's database fails SQLite's integrity check.")
        if not _is_empty(database_url):
            raise BackupError(NOT_EMPTY)
        path.parent.mkdir(parents=True, exist_ok=True)
        # The backup API writes the pages under SQLite's own locking (and WAL), unlike a
        # file copy over a database that a process may have open.
        database = sqlite3.connect(path)
        try:
            copy.backup(database)
        finally:
            database.close()
    finally:
        copy.close()


def _restore_postgresql(url: URL, database_url: str, plain: Path) -> None:
    dsn, env = _pg_connection(url)
    pg_restore = _pg_tool("pg_restore")
    # The archive's table of contents must read before anything is written.
    _run([pg_restore, "--list", str(plain)], env, "Reading the backup's archive")
    if not _is_empty(database_url):
        raise BackupError(NOT_EMPTY)
    _run(
        [
            pg_restore,
            "--no-owner",
            "--no-privileges",
            "--single-transaction",
            "--exit-on-error",
            f"--dbname={dsn}",
            str(plain),
        ],
        env,
        "pg_restore",
    )
