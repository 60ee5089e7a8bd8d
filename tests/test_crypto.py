"""Field-level encryption at rest (outreach/crypto.py, SECURITY.md 17 and 18): the format, the
row binding, the key ring's configuration, unreadable values shown per field, and rotation.
The marker test over the raw database files is tests/test_encryption_at_rest.py."""

import base64
import logging
import os
import stat
import uuid
from contextlib import contextmanager
from datetime import UTC, datetime

import pytest
from sqlalchemy import select, update
from sqlalchemy.exc import StatementError

from outreach import crypto
from outreach.clinics.models import Clinic
from outreach.db import db
from outreach.persons.matching import exact_form
from outreach.persons.models import Conversation, Person
from outreach.visits.models import Visit
from tests.conftest import TEST_DATA_KEYS, TEST_LOOKUP_KEY, make_app
from tests.fieldwork.test_pages import edit
from tests.test_security import PRODUCTION_KEY

KEY_A = base64.b64encode(b"A" * 16 + os.urandom(16)).decode()
KEY_B = base64.b64encode(os.urandom(32)).decode()


@pytest.fixture(autouse=True)
def unreadable_logs_afresh(monkeypatch):
    """Each test starts with the log's per-minute budget of unreadable values untouched."""
    monkeypatch.setattr(crypto, "_unreadable_logged", {})


@pytest.fixture
def ring():
    return crypto.KeyRing.from_text(f"a:{KEY_A},b:{KEY_B}", KEY_B)


def raw(model, column: str, row_id):
    """A column's stored value, as it is in the database."""
    table = model.__table__
    return db.session.execute(select(table.c[column]).where(table.c.id == row_id)).scalar_one()


def write_raw(model, column: str, row_id, value) -> None:
    table = model.__table__
    db.session.connection().execute(
        update(table).where(table.c.id == row_id).values({column: value})
    )
    db.session.expire_all()


@contextmanager
def key_ring(app, data_keys: str):
    """The app with another DATA_KEYS for a while (the LOOKUP_KEY stays)."""
    before = app.extensions[crypto.EXTENSION]
    app.extensions[crypto.EXTENSION] = crypto.KeyRing.from_text(data_keys, TEST_LOOKUP_KEY)
    try:
        yield
    finally:
        app.extensions[crypto.EXTENSION] = before


def test_a_sealed_value_carries_the_version_and_key_id_and_opens_in_its_place(ring):
    place = crypto.context("persons", "alias", uuid.uuid4())
    sealed = ring.seal("Mai", place)

    assert sealed.startswith(crypto.PREFIX) and "Mai" not in sealed
    assert crypto.is_sealed(sealed) and crypto.key_id_of(sealed) == "a"
    assert ring.open(sealed, place) == "Mai"
    assert ring.seal("Mai", place) != sealed  # a fresh nonce each time


def test_a_ciphertext_copied_to_another_row_or_column_does_not_open(ring):
    row, other = uuid.uuid4(), uuid.uuid4()
    sealed = ring.seal("Mai", crypto.context("persons", "alias", row))

    with pytest.raises(crypto.Undecryptable, match="authentication failed"):
        ring.open(sealed, crypto.context("persons", "alias", other))
    with pytest.raises(crypto.Undecryptable, match="authentication failed"):
        ring.open(sealed, crypto.context("visits", "notes", row))


def test_a_tampered_ciphertext_or_key_id_does_not_open(ring):
    place = crypto.context("visits", "notes", uuid.uuid4())
    sealed = ring.seal("Ny pige", place)

    def altered(index: int, value: int) -> str:
        raw_bytes = bytearray(base64.b64decode(sealed[len(crypto.PREFIX) :]))
        raw_bytes[index] = value
        return crypto.PREFIX + base64.b64encode(bytes(raw_bytes)).decode()

    flipped = altered(-5, base64.b64decode(sealed[len(crypto.PREFIX) :])[-5] ^ 1)
    other_key = altered(2, ord("b"))  # the key id "a" becomes "b", a key the ring has
    assert crypto.key_id_of(other_key) == "b"

    for bad in (flipped, other_key):
        with pytest.raises(crypto.Undecryptable, match="authentication failed"):
            ring.open(bad, place)
    with pytest.raises(crypto.Undecryptable, match="not a sealed value"):
        ring.open("Ny pige", place)


def test_an_unknown_key_id_is_named_without_the_value(ring):
    place = crypto.context("clinics", "notes", uuid.uuid4())
    sealed = crypto.KeyRing.from_text(f"old-2024:{KEY_B}", KEY_B).seal("Bell", place)

    with pytest.raises(crypto.Undecryptable, match="key id old-2024 is not in DATA_KEYS"):
        ring.open(sealed, place)


def test_look_up_hashes_are_keyed_and_kept_apart_per_column(ring):
    other = crypto.KeyRing.from_text(f"a:{KEY_A}", KEY_A)

    assert ring.lookup("persons.alias", "mai") == ring.lookup("persons.alias", "mai")
    assert ring.lookup("persons.alias", "mai") != other.lookup("persons.alias", "mai")
    assert ring.lookup("persons.alias", "mai") != ring.lookup("users.phone", "mai")


@pytest.mark.parametrize(
    ("data_keys", "lookup_key", "variable", "says"),
    [
        ("", KEY_B, "DATA_KEYS", "not set"),
        (f"a:{KEY_A}", "", "LOOKUP_KEY", "not set"),
        (KEY_A, KEY_B, "DATA_KEYS", "KEY_ID:BASE64"),
        (f"a b:{KEY_A}", KEY_B, "DATA_KEYS", "KEY_ID:BASE64"),
        (f"{'k' * 17}:{KEY_A}", KEY_B, "DATA_KEYS", "1-16"),
        (f"a:{KEY_A},a:{KEY_B}", KEY_B, "DATA_KEYS", "given twice"),
        ("a:bm90IGEga2V5", KEY_B, "DATA_KEYS", "32 bytes"),
        (f"a:{KEY_A}", "not base64!", "LOOKUP_KEY", "not valid base64"),
    ],
)
def test_a_missing_or_malformed_key_names_the_variable_never_the_key(
    data_keys, lookup_key, variable, says
):
    with pytest.raises(crypto.KeyRingError) as raised:
        crypto.KeyRing.from_text(data_keys, lookup_key)

    assert str(raised.value).startswith(variable) and says in str(raised.value)
    assert KEY_A not in str(raised.value) and KEY_B not in str(raised.value)


@pytest.mark.parametrize("missing", ["DATA_KEYS", "LOOKUP_KEY"])
def test_production_refuses_to_start_without_either_key(tmp_path, missing):
    with pytest.raises(crypto.KeyRingError, match=f"^{missing} is not set"):
        make_app(
            f"sqlite:///{tmp_path}/p.sqlite3",
            OUTREACH_ENV="production",
            SECRET_KEY=PRODUCTION_KEY,
            **{missing: ""},
        )


def test_production_refuses_a_malformed_key(tmp_path):
    with pytest.raises(crypto.KeyRingError, match="^DATA_KEYS: the key of k1 must be 32 bytes"):
        make_app(
            f"sqlite:///{tmp_path}/p.sqlite3",
            OUTREACH_ENV="production",
            SECRET_KEY=PRODUCTION_KEY,
            DATA_KEYS="k1:" + base64.b64encode(b"short").decode(),
        )


def test_development_makes_its_keys_once_in_the_instance_folder(tmp_path, monkeypatch, caplog):
    caplog.set_level(logging.INFO, logger="outreach.crypto")
    monkeypatch.setenv("OUTREACH_INSTANCE_PATH", str(tmp_path))
    url = f"sqlite:///{tmp_path}/dev.sqlite3"

    first = make_app(url, OUTREACH_ENV="development", DATA_KEYS="", LOOKUP_KEY="")
    second = make_app(url, OUTREACH_ENV="development", DATA_KEYS="", LOOKUP_KEY="")

    keys_file = tmp_path / crypto.DEV_KEYS_FILE
    assert stat.S_IMODE(keys_file.stat().st_mode) == 0o600
    ring1, ring2 = (a.extensions[crypto.EXTENSION] for a in (first, second))
    assert ring1.keys == ring2.keys and ring1.lookup_key == ring2.lookup_key
    place = crypto.context("persons", "alias", uuid.uuid4())
    assert ring2.open(ring1.seal("Mai", place), place) == "Mai"  # a restart reads its data
    messages = [r.getMessage() for r in caplog.records if r.name == "outreach.crypto"]
    assert any("generated development encryption keys in" in m for m in messages)
    assert any("using the development encryption keys in" in m for m in messages)
    key_text = base64.b64encode(ring1.keys[ring1.active_id]).decode()
    assert not [m for m in messages if key_text in m]


def test_two_processes_starting_together_share_one_development_pair(tmp_path):
    keys_file = tmp_path / crypto.DEV_KEYS_FILE

    first = crypto._write_new_keys(keys_file)
    written = keys_file.read_text()
    second = crypto._write_new_keys(keys_file)  # the scheduler, a moment later

    assert (first, second) == (True, False)
    assert keys_file.read_text() == written
    assert [p.name for p in tmp_path.iterdir()] == [crypto.DEV_KEYS_FILE]


def test_generate_keys_prints_a_pair_of_lines_that_the_app_accepts(runner):
    result = runner.invoke(args=["generate-keys"])

    assert result.exit_code == 0, result.output
    data_line, lookup_line = result.output.strip().splitlines()
    assert data_line.startswith("DATA_KEYS=") and lookup_line.startswith("LOOKUP_KEY=")
    ring = crypto.KeyRing.from_text(data_line.split("=", 1)[1], lookup_line.split("=", 1)[1])
    assert crypto.KEY_ID.fullmatch(ring.active_id)
    assert result.output != runner.invoke(args=["generate-keys"]).output


# --- The columns ---------------------------------------------------------------------------


def test_aliases_and_notes_are_stored_sealed_with_a_keyed_look_up_hash(app, factory, org):
    clinic = factory.clinic(org, notes="Bell on the left")
    visit = factory.visit(
        clinic, datetime(2025, 5, 6, 12, tzinfo=UTC), notes="Two women", police_note="Called"
    )
    person = factory.person(org, "Ánna-Maria")
    talk = factory.conversation(person, visit, notes="Wants leaflets")

    ring = app.extensions[crypto.EXTENSION]
    for model, column, row, text in [
        (Clinic, "notes", clinic, "Bell on the left"),
        (Visit, "notes", visit, "Two women"),
        (Visit, "police_note", visit, "Called"),
        (Person, "alias", person, "Ánna-Maria"),
        (Conversation, "notes", talk, "Wants leaflets"),
    ]:
        stored = raw(model, column, row.id)
        assert crypto.key_id_of(stored) == "t1" and text not in stored
        assert ring.open(stored, crypto.context(model.__tablename__, column, row.id)) == text
    assert raw(Person, "alias_lookup", person.id) == ring.lookup(
        "persons.alias", exact_form("anna maria")
    )
    db.session.expire_all()
    assert db.session.get(Person, person.id).alias == "Ánna-Maria"


def test_an_encrypted_column_refuses_plaintext_and_cannot_be_queried(app, factory, org):
    person = factory.person(org, "Mai")

    with pytest.raises(StatementError, match="sealed values only"):
        db.session.execute(update(Person).where(Person.id == person.id).values(_alias="Mai"))
    with pytest.raises(Exception, match="expected"):
        select(Person).order_by(Person.alias)
    with pytest.raises(TypeError, match="matches"):
        select(Person).where(Person.alias == "Mai")
    with pytest.raises(TypeError, match="no look-up hash"):
        Visit.notes.matches("x")


def test_an_alias_is_found_by_its_look_up_hash_spelling_aside(app, factory, org):
    mai = factory.person(org, "Mai Ánna")
    factory.person(org, "Maja")

    found = db.session.scalars(
        select(Person.id).where(Person.organisation_id == org.id, Person.alias.matches("mai anna"))
    ).all()

    assert found == [mai.id]


def test_setting_the_same_text_again_changes_nothing(app, factory, org):
    person = factory.person(org, "Mai")
    stored = raw(Person, "alias", person.id)

    person.alias = "Mai"
    db.session.flush()

    assert raw(Person, "alias", person.id) == stored
    assert not db.session.is_modified(person)


def test_a_ciphertext_copied_to_another_person_shows_a_marker_not_a_500(
    app, factory, org, coordinator_client, caplog
):
    caplog.set_level(logging.WARNING, logger="outreach.crypto")
    mai, szandra = factory.person(org, "Mai"), factory.person(org, "Szandra")
    write_raw(Person, "alias", szandra.id, raw(Person, "alias", mai.id))

    answer = coordinator_client.get(f"/api/v1/persons/{szandra.id}")
    page = coordinator_client.get(f"/persons/{szandra.id}")
    listed = coordinator_client.get("/persons/")

    assert answer.status_code == 200
    assert answer.json["alias"] == crypto.UNREADABLE_MSGID
    assert page.status_code == 200 and listed.status_code == 200
    assert "could not be decrypted" in page.get_data(as_text=True)
    assert "Mai" in listed.get_data(as_text=True)  # the other persons are unaffected
    warned = [r.getMessage() for r in caplog.records if r.name == "outreach.crypto"]
    assert any(f"persons.alias of row {szandra.id}" in m for m in warned)
    assert not [m for m in warned if "Mai" in m or "Szandra" in m]


def test_a_missing_key_logs_the_first_unreadable_rows_not_every_one(app, monkeypatch, caplog):
    caplog.set_level(logging.WARNING, logger="outreach.crypto")
    monkeypatch.setattr(crypto, "UNREADABLE_LOGGED_PER_MINUTE", 2)
    other = crypto.KeyRing.from_text(f"gone:{KEY_A}", KEY_B)
    rows = [uuid.uuid4() for _ in range(5)]
    sealed = [other.seal("Mai", crypto.context("persons", "alias", r)) for r in rows]

    opened = [Person.alias.open(r, s) for r, s in zip(rows, sealed, strict=True)]

    assert all(isinstance(text, crypto.Unreadable) for text in opened)
    lines = [r.getMessage() for r in caplog.records if r.name == "outreach.crypto"]
    assert [str(rows[0]) in lines[0], str(rows[1]) in lines[1]] == [True, True]
    assert len(lines) == 3 and "not logged each" in lines[2]
    assert not [line for line in lines if "Mai" in line]


def test_a_tampered_note_shows_the_marker_and_a_form_saved_over_it_keeps_the_stored_value(
    app, factory, org, coordinator_client
):
    clinic = factory.clinic(org)
    visit = factory.visit(clinic, datetime(2025, 5, 6, 12, tzinfo=UTC), notes="Two women")
    stored = raw(Visit, "notes", visit.id)
    tampered = stored[:-2] + ("AA" if stored[-2:] != "AA" else "BB")
    write_raw(Visit, "notes", visit.id, tampered)

    page = coordinator_client.get(f"/visits/{visit.id}")
    saved = edit(coordinator_client, f"/visits/{visit.id}/edit", persons_present="4")

    assert page.status_code == 200
    assert "could not be decrypted" in page.get_data(as_text=True)
    assert saved.status_code == 303
    db.session.expire_all()
    assert raw(Visit, "notes", visit.id) == tampered  # not replaced by the marker
    assert db.session.get(Visit, visit.id).persons_present == 4


# --- Rotation -----------------------------------------------------------------------------------

OLD_FIRST = ",".join(reversed(TEST_DATA_KEYS.split(",")))  # t0 active, t1 known
NEW_ONLY = TEST_DATA_KEYS.split(",")[0]  # t1 alone: t0 removed


def some_years_work(factory, org):
    clinic = factory.clinic(org, notes="Bell on the left")
    persons = [factory.person(org, f"Person {i}", nationality="TH") for i in range(5)]
    for month in (3, 6, 9):
        visit = factory.visit(
            clinic, datetime(2025, month, 6, 12, tzinfo=UTC), notes=f"Visit {month}"
        )
        for person in persons[: month // 2]:
            factory.conversation(person, visit, notes=f"Talk {month}")
    return persons


def all_key_ids() -> dict[str, int]:
    found: dict[str, int] = {}
    for column in crypto.sealed_columns(db.metadata):
        col = column.table.c[column.column]
        for value in db.session.execute(select(col).where(col.is_not(None))).scalars():
            found[crypto.key_id_of(value)] = found.get(crypto.key_id_of(value), 0) + 1
    return found


def test_rotation_re_encrypts_everything_and_the_old_key_can_go(
    app, factory, org, coordinator_client, runner
):
    with key_ring(app, OLD_FIRST):
        persons = some_years_work(factory, org)
        db.session.commit()
    # The year's work under t0; the coordinator's second-factor secret was sealed under t1.
    keys_before = all_key_ids()
    assert set(keys_before) == {"t0", "t1"} and keys_before["t1"] == 1
    before = coordinator_client.get("/api/v1/reports/annual?year=2025")
    assert before.status_code == 200

    result = runner.invoke(args=["rotate-keys", "--batch-size", "2"])

    assert result.exit_code == 0, result.output
    total = sum(all_key_ids().values())
    assert all_key_ids() == {"t1": total}
    assert f"Re-encrypted {total - 1}; already under t1: 1; unreadable" in result.output
    with key_ring(app, NEW_ONLY):
        db.session.expire_all()
        assert [db.session.get(Person, p.id).alias for p in persons] == [
            f"Person {i}" for i in range(5)
        ]
        after = coordinator_client.get("/api/v1/reports/annual?year=2025")
        assert coordinator_client.get(f"/api/v1/persons/{persons[0].id}").json["alias"] == (
            "Person 0"
        )
    assert after.status_code == 200 and after.json == before.json


def test_a_rotation_stopped_half_way_is_finished_by_running_it_again(app, factory, org, runner):
    with key_ring(app, OLD_FIRST):
        some_years_work(factory, org)
        db.session.commit()
    total = sum(all_key_ids().values())
    columns = crypto.sealed_columns(db.metadata)
    ring = app.extensions[crypto.EXTENSION]
    rotation = crypto.rotate(db.session, ring, columns, batch_size=3)
    done, counts = next(rotation)  # one batch committed, then the process is killed
    rotation.close()
    assert counts.rotated == done >= 1

    result = runner.invoke(args=["rotate-keys"])

    assert result.exit_code == 0, result.output
    assert f"Re-encrypted {total - done}; already under t1: {done}; unreadable" in result.output
    again = runner.invoke(args=["rotate-keys"])
    assert f"Re-encrypted 0; already under t1: {total}" in again.output


def test_rotation_leaves_an_unreadable_value_as_it_is_and_says_so(app, factory, org, runner):
    with key_ring(app, OLD_FIRST):
        mai, szandra = factory.person(org, "Mai"), factory.person(org, "Szandra")
        db.session.commit()
    copied = raw(Person, "alias", mai.id)
    write_raw(Person, "alias", szandra.id, copied)

    result = runner.invoke(args=["rotate-keys"])

    assert result.exit_code != 0
    assert "unreadable, left as they are: 1" in result.output
    assert "keep the old keys" in result.output
    assert raw(Person, "alias", szandra.id) == copied
