"""`flask --app outreach backup FILE` and `restore FILE` (outreach/backup.py): a day's data
survives backup, drop and restore with every API record and the annual report identical; the
file shows no personal data; a damaged, truncated, foreign or wrong-key file, or a non-empty
target, is refused with a clear message and nothing written.

The databases here are their own (real commits, as the commands make): SQLite files in a
temporary folder, or new PostgreSQL databases when the suite runs on PostgreSQL, where
pg_dump and pg_restore do the work."""

import base64
import io
import os
import tempfile
from pathlib import Path

import pytest
from flask_migrate import upgrade
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from outreach import backup, tenancy
from outreach.auth.queries import find_users_by_email
from outreach.db import db
from outreach.persons.models import Person
from tests.conftest import ActorClient, Factory, database_url, login_body, make_app
from tests.reports.dataset import build, local

KEY = base64.b64encode(bytes(range(32))).decode()
OTHER_KEY = base64.b64encode(bytes(range(1, 33))).decode()
MARKER = "Zq7Marker-Backup-Secret"
RECORDS = (
    "/api/v1/clinics?per_page=100",
    "/api/v1/visits?per_page=100",
    "/api/v1/persons?per_page=100",
    "/api/v1/conversations?per_page=100",
    "/api/v1/reports/annual?year=2019",
)


def new_app(tmp_path_factory, name: str):
    return make_app(database_url(tmp_path_factory, name), BACKUP_KEY=KEY)


def records(app, email: str) -> dict:
    """What a coordinator reads through the API: every list, and the annual report."""
    with app.app_context():
        # Read in a context of its own: outside a request, SQLite's transaction takes the
        # write lock, and the login's request could not write.
        (coordinator,) = find_users_by_email(email)
        body = login_body(coordinator)
    with app.app_context():
        client = ActorClient(app, coordinator, body=body)
        answers = {}
        for url in RECORDS:
            response = client.get(url)
            assert response.status_code == 200, (url, response.get_data(as_text=True))
            body = response.get_json()
            if "total" in body:
                assert body["total"] == len(body["items"]) > 0, url
            answers[url] = body
        return answers


def person_count(app) -> int:
    with app.app_context():
        return db.session.scalar(
            tenancy.unscoped(select(func.count()).select_from(Person), "every organisation's")
        )


def drop_database(app) -> None:
    """Throw the database away and leave an empty one under the same URL."""
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() == "sqlite":
        for suffix in ("", "-wal", "-shm"):
            Path(url.database + suffix).unlink(missing_ok=True)
        return
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE "{url.database}"'))
        connection.execute(text(f'CREATE DATABASE "{url.database}"'))
    admin.dispose()


def is_empty(app) -> bool:
    return backup._is_empty(app.config["SQLALCHEMY_DATABASE_URI"])


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    """A database with a day's data (the report tests' year, a merge, another organisation)
    and a person whose alias and conversation notes carry MARKER, all committed."""
    app = new_app(tmp_path_factory, "backup_source")
    with app.app_context():
        upgrade()
        factory = Factory()
        org, other_org = factory.organisation(), factory.organisation(regions=("syddanmark",))
        coordinator = factory.user(org, "coordinator")
        data = build(factory, org, other_org, coordinator)
        marked = factory.person(org, f"Alias {MARKER}", nationality="TH", gender="woman")
        factory.conversation(marked, data.visits["v4"], notes=f"Talked about {MARKER}.")
        factory.conversation(marked, occurred_at=local(2019, 8, 8, 9), notes=MARKER)
        db.session.commit()
        email = coordinator.email
        db.session.remove()
    yield app, email
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(scope="module")
def backup_file(source, tmp_path_factory):
    app, _ = source
    path = tmp_path_factory.mktemp("backups") / "outreach.backup"
    result = run(app, "backup", str(path))
    assert result.exit_code == 0, result.output
    return path


@pytest.fixture
def empty_target(tmp_path_factory):
    app = new_app(tmp_path_factory, "backup_target")
    assert is_empty(app)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def run(app, *args):
    """A command as `flask --app outreach ...` runs it: in an app context of its own."""
    with app.app_context():
        return app.test_cli_runner().invoke(args=list(args))


def restore(app, path, **overrides):
    app.config.update(overrides)
    return run(app, "restore", str(path))


def refused(result, *phrases):
    assert result.exit_code != 0, result.output
    assert "Traceback" not in result.output
    for phrase in phrases:
        assert phrase in result.output, result.output


# --- backup, drop, restore -----------------------------------------------------------------


def test_backup_drop_restore_gives_back_every_record_and_the_annual_report(
    source, tmp_path_factory
):
    app, email = source
    before = records(app, email)
    path = tmp_path_factory.mktemp("roundtrip") / "nightly.backup"
    result = run(app, "backup", str(path))
    assert result.exit_code == 0, result.output
    assert path.stat().st_mode & 0o777 == 0o600

    drop_database(app)
    assert is_empty(app)
    result = restore(app, path)

    assert result.exit_code == 0, result.output
    assert records(app, email) == before
    assert before["/api/v1/reports/annual?year=2019"]["persons_talked_to"] == 8


def test_the_backup_file_shows_no_personal_data(source, backup_file):
    content = backup_file.read_bytes()

    assert content.startswith(backup.MAGIC)
    for needle in (MARKER, "Anna", "Edda", "Talked about"):
        assert needle.encode() not in content
        assert needle.encode("utf-16-le") not in content


def test_a_backup_never_overwrites_a_file(source, backup_file):
    app, _ = source
    before = backup_file.read_bytes()

    result = run(app, "backup", str(backup_file))

    refused(result, "exists")
    assert backup_file.read_bytes() == before


def test_a_restore_into_a_database_with_data_is_refused_and_writes_nothing(source, backup_file):
    app, _ = source
    persons = person_count(app)

    refused(restore(app, backup_file), "not empty", "Nothing was written")

    assert person_count(app) == persons


def test_a_restore_into_a_migrated_but_empty_database_is_refused(empty_target, backup_file):
    with empty_target.app_context():
        upgrade()

    refused(restore(empty_target, backup_file), "not empty")


def test_the_backup_restores_into_another_empty_database(source, backup_file, empty_target):
    app, email = source

    result = restore(empty_target, backup_file)

    assert result.exit_code == 0, result.output
    assert records(empty_target, email) == records(app, email)


# --- damaged, foreign and wrong-key files --------------------------------------------------


def damaged(backup_file, tmp_path, change) -> Path:
    path = tmp_path / "damaged.backup"
    path.write_bytes(change(bytearray(backup_file.read_bytes())))
    return path


def flip(offset_from_end: int):
    def change(content: bytearray) -> bytes:
        content[len(content) - offset_from_end] ^= 0x01
        return bytes(content)

    return change


@pytest.mark.parametrize(
    "change, phrases",
    [
        (flip(1), ("cannot be decrypted", "Nothing was restored")),  # the last tag
        (flip(200), ("cannot be decrypted", "Nothing was restored")),  # the ciphertext
        (lambda c: bytes(c[:-1]), ("truncated",)),
        (lambda c: bytes(c[: len(c) // 2]), ("truncated",)),
        (lambda c: bytes(c[: backup.HEADER.size]), ("truncated",)),
        (lambda c: bytes(c) + b"\0", ("after its last chunk",)),
        (lambda c: b"SQLite format 3\0" + bytes(c[16:]), ("not an Outreach backup",)),
    ],
    ids=["last-byte", "middle-byte", "1-short", "half", "header-only", "appended", "foreign"],
)
def test_a_damaged_backup_is_refused_and_nothing_is_written(
    backup_file, empty_target, tmp_path, monkeypatch, change, phrases
):
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))

    result = restore(empty_target, damaged(backup_file, tmp_path, change))

    refused(result, *phrases)
    assert is_empty(empty_target)
    assert not any(scratch.iterdir()), "the decrypted part was left on disk"


def test_a_backup_made_with_another_key_is_refused(backup_file, empty_target):
    result = restore(empty_target, backup_file, BACKUP_KEY=OTHER_KEY)

    refused(result, "another BACKUP_KEY", "Nothing was restored")
    assert is_empty(empty_target)


@pytest.mark.parametrize(
    "key, phrase",
    [("", "BACKUP_KEY is not set"), ("not base64!", "not valid base64"), ("c2hvcnQ=", "5 bytes")],
)
def test_a_missing_or_malformed_key_says_how_to_make_one(backup_file, empty_target, key, phrase):
    result = restore(empty_target, backup_file, BACKUP_KEY=key)

    refused(result, phrase, "generate-backup-key", "os.urandom(32)")
    assert is_empty(empty_target)


def test_generate_backup_key_prints_a_key_the_commands_accept(empty_target):
    result = run(empty_target, "generate-backup-key")

    assert result.exit_code == 0
    assert len(backup.parse_key(result.output.strip())) == 32


def test_a_missing_file_is_refused(empty_target, tmp_path):
    refused(restore(empty_target, tmp_path / "none.backup"), "does not exist")


# --- the chunked format --------------------------------------------------------------------


@pytest.fixture
def small_chunks(monkeypatch):
    monkeypatch.setattr(backup, "CHUNK_BYTES", 64)


def sealed(tmp_path, plain: bytes) -> bytes:
    source = tmp_path / "plain"
    source.write_bytes(plain)
    out = io.BytesIO()
    backup.encrypt(source, out, backup.parse_key(KEY), backup.KIND_SQLITE)
    return out.getvalue()


def opened(tmp_path, content: bytes, key=KEY) -> bytes:
    path = tmp_path / "sealed"
    path.write_bytes(content)
    out = io.BytesIO()
    assert backup.decrypt(path, out, backup.parse_key(key)) == backup.KIND_SQLITE
    return out.getvalue()


def chunks(content: bytes) -> list[bytes]:
    """The chunk records (length, flag, ciphertext) after the header."""
    found, at = [], backup.HEADER.size
    while at < len(content):
        length, _ = backup.CHUNK_HEAD.unpack_from(content, at)
        end = at + backup.CHUNK_HEAD.size + length
        found.append(content[at:end])
        at = end
    return found


@pytest.mark.parametrize("size", [0, 1, 64, 65, 64 * 5 + 3])
def test_any_length_streams_through_chunks_and_back(small_chunks, tmp_path, size):
    plain = os.urandom(size)

    content = sealed(tmp_path, plain)

    assert len(chunks(content)) == max(1, -(-size // 64))
    assert opened(tmp_path, content) == plain


def test_a_backup_cut_at_a_chunk_boundary_is_refused(small_chunks, tmp_path):
    content = sealed(tmp_path, os.urandom(64 * 3))
    header, records_ = content[: backup.HEADER.size], chunks(content)

    with pytest.raises(backup.BackupError, match="truncated"):
        opened(tmp_path, header + b"".join(records_[:2]))


def test_reordered_or_relabelled_chunks_are_refused(small_chunks, tmp_path):
    content = sealed(tmp_path, os.urandom(64 * 3))
    header, (first, second, last) = content[: backup.HEADER.size], chunks(content)
    # the second chunk marked final, as if the file ended there
    relabelled = second[:4] + bytes([backup.FINAL]) + second[5:]

    for forged in (header + second + first + last, header + first + relabelled):
        with pytest.raises(backup.BackupError, match="cannot be decrypted"):
            opened(tmp_path, forged)


def test_a_chunk_from_another_backup_is_refused(small_chunks, tmp_path):
    plain = os.urandom(64 * 2)
    one, other = sealed(tmp_path, plain), sealed(tmp_path, plain)
    header = one[: backup.HEADER.size]

    with pytest.raises(backup.BackupError, match="cannot be decrypted"):
        opened(tmp_path, header + chunks(one)[0] + chunks(other)[1])


def test_the_login_still_works_after_a_restore(source, backup_file, empty_target):
    """The users' password hashes and second factors come back with the rest: the
    coordinator logs in with her password and a code of her authenticator."""
    _, email = source
    assert restore(empty_target, backup_file).exit_code == 0

    with empty_target.app_context():
        (coordinator,) = find_users_by_email(email)
        body = login_body(coordinator)
    with empty_target.app_context():
        response = empty_target.test_client().post("/api/v1/auth/login", json=body)

    assert response.status_code == 200
