"""Who takes SQLite's write lock: a reading request runs deferred and never blocks a writer;
a writing request locks at its start; a write inside a reading request goes through
db.write_transaction(), and the guard refuses any other. Real commits on a database of this
module's own, with test routes on an app of its own; every wait is bounded."""

import os
import sqlite3
import threading
import time

import pytest
from flask import Blueprint
from flask_migrate import upgrade
from sqlalchemy import select, text, update

from outreach.db import WriteInReadTransaction, db, write_transaction
from outreach.orgs.models import Organisation
from outreach.permissions import csrf_exempt, public
from tests.conftest import Factory, database_url, make_app

ON_SQLITE = not os.environ.get("TEST_DATABASE_URL")
sqlite_only = pytest.mark.skipif(not ON_SQLITE, reason="SQLite's write lock")
WAIT = 10  # seconds: no wait in this module lasts longer
ROUNDS = 15

held = threading.Barrier(2, timeout=WAIT)  # a request has read (or begun) and now waits
release = threading.Barrier(2, timeout=WAIT)  # the test lets it finish


def _organisation() -> Organisation:
    return db.session.scalars(select(Organisation).order_by(Organisation.id)).first()


def _routes() -> Blueprint:
    bp = Blueprint("transactions_test", __name__, url_prefix="/transactions-test")

    @bp.get("/hold-read")
    @public
    def hold_read():
        name = _organisation().name  # the read transaction is open from here
        held.wait()
        release.wait()
        return name

    @bp.post("/hold-write")
    @public
    @csrf_exempt
    def hold_write():
        db.session.connection()  # begins the transaction, nothing written yet
        held.wait()
        release.wait()
        return "ok"

    @bp.get("/write-without-helper/<how>")
    @public
    def write_without_helper(how):
        if how == "flush":
            _organisation().name = "renamed"
            db.session.flush()
        else:
            db.session.execute(update(Organisation).values(name="renamed"))
        return "ok"

    @bp.get("/read-then-write")
    @public
    def read_then_write():
        org = _organisation()
        assert org.name  # the read transaction is open from here
        held.wait()  # another connection commits now, between this read and the write
        release.wait()
        with write_transaction():
            org.name += "+"
        return "ok"

    return bp


@pytest.fixture(scope="module")
def live_app(tmp_path_factory):
    app = make_app(database_url(tmp_path_factory, "transactions"), RATELIMIT_ENABLED=False)
    app.register_blueprint(_routes())
    with app.app_context():
        upgrade()
        Factory().organisation(name="Transactions")
        db.session.commit()
        db.session.remove()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def sqlite_path(app) -> str:
    return app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///")


def in_thread(target) -> tuple[threading.Thread, list]:
    out: list = []

    def run():
        try:
            out.append(target())
        except BaseException as error:  # noqa: BLE001 - handed to the test thread
            out.append(error)

    thread = threading.Thread(target=run)
    thread.start()
    return thread, out


def finish(thread: threading.Thread, out: list):
    thread.join(WAIT)
    assert not thread.is_alive()
    if isinstance(out[0], BaseException):
        raise out[0]
    return out[0]


def rename_from_outside(app, suffix: str) -> None:
    """A writer on a connection of its own, outside any request."""
    with app.app_context(), db.engine.begin() as conn:
        conn.execute(text("UPDATE organisations SET name = name || :s"), {"s": suffix})


@sqlite_only
def test_a_long_read_in_a_get_does_not_block_a_writer(live_app):
    client = live_app.test_client()
    thread, out = in_thread(lambda: client.get("/transactions-test/hold-read"))
    held.wait()
    writer = sqlite3.connect(sqlite_path(live_app), timeout=2, isolation_level=None)
    try:
        started = time.monotonic()
        writer.execute("BEGIN IMMEDIATE")
        writer.execute("UPDATE organisations SET name = name || '!'")
        writer.execute("COMMIT")
        took = time.monotonic() - started
    finally:
        writer.close()
        release.wait()
    assert finish(thread, out).status_code == 200
    assert took < 1  # finished while the read was still open, without waiting for it


@sqlite_only
def test_a_post_takes_the_write_lock_at_its_start(live_app):
    client = live_app.test_client()
    thread, out = in_thread(lambda: client.post("/transactions-test/hold-write"))
    held.wait()
    other = sqlite3.connect(sqlite_path(live_app), timeout=0.2, isolation_level=None)
    try:
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            other.execute("BEGIN IMMEDIATE")
    finally:
        other.close()
        release.wait()
    assert finish(thread, out).status_code == 200


@sqlite_only
@pytest.mark.parametrize("how", ["flush", "execute"])
def test_a_write_in_a_reading_request_outside_write_transaction_is_refused(live_app, how, caplog):
    response = live_app.test_client().get(f"/transactions-test/write-without-helper/{how}")
    assert response.status_code == 500
    [failure] = [r for r in caplog.records if r.exc_info]
    assert failure.exc_info[0] is WriteInReadTransaction
    assert "db.write_transaction()" in str(failure.exc_info[1])
    with live_app.app_context():
        assert _organisation().name != "renamed"


@sqlite_only
def test_in_production_the_guard_logs_the_write_without_personal_data(live_app, caplog):
    live_app.config["OUTREACH_ENV"] = "production"
    try:
        response = live_app.test_client().get("/transactions-test/write-without-helper/flush")
    finally:
        live_app.config["OUTREACH_ENV"] = "testing"
    assert response.status_code == 200
    [warning] = [r for r in caplog.records if r.name == "outreach.db"]
    assert "Organisation" in warning.getMessage()
    assert "renamed" not in warning.getMessage()


@sqlite_only
def test_sqlite_fails_a_deferred_read_then_write_when_another_connection_wrote_between(live_app):
    """The failure write_transaction() exists for: busy_timeout cannot wait it out."""
    path = sqlite_path(live_app)
    reader = sqlite3.connect(path, timeout=2, isolation_level=None)
    try:
        reader.execute("BEGIN")
        reader.execute("SELECT name FROM organisations").fetchall()
        rename_from_outside(live_app, "~")
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            reader.execute("UPDATE organisations SET name = name || '?'")
    finally:
        reader.close()


def test_write_transaction_in_a_get_commits_though_others_write_between_read_and_write(live_app):
    client = live_app.test_client()
    with live_app.app_context():
        before = _organisation().name
        db.session.remove()
    deadline = time.monotonic() + 60
    for n in range(ROUNDS):
        assert time.monotonic() < deadline
        thread, out = in_thread(lambda: client.get("/transactions-test/read-then-write"))
        held.wait()
        try:
            rename_from_outside(live_app, f"/{n}")
        finally:
            release.wait()
        response = finish(thread, out)
        assert response.status_code == 200, response.get_data(as_text=True)
    with live_app.app_context():
        after = _organisation().name
        db.session.remove()
    # Every outside write and every request's write is there, none lost to a lock.
    assert len(after) == len(before) + sum(len(f"/{n}") + 1 for n in range(ROUNDS))
