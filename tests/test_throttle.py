"""The login throttle's store in the database (outreach/throttle.py): its semantics, two app
servers on one database counting the same attempts, concurrent hits, no e-mail in clear.

Runs on SQLite, and on PostgreSQL when TEST_DATABASE_URL is set, against a database of its
own whose writes really commit (as two servers' would)."""

import threading
import uuid
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from flask_migrate import upgrade
from sqlalchemy import delete, func, select

from outreach import scheduler, throttle
from outreach.auth.services import create_user
from outreach.config import from_environment
from outreach.db import db
from outreach.extensions import limiter
from outreach.orgs.services import create_organisation
from outreach.throttle import DatabaseStorage, ThrottleCount
from tests.conftest import PASSWORD, ActorClient, csrf_token_from, database_url, make_app

T0 = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def throttle_url(tmp_path_factory):
    url = database_url(tmp_path_factory, "throttle")
    migrator = make_app(url)
    with migrator.app_context():
        upgrade()
        db.engine.dispose()
    return url


@pytest.fixture
def servers(throttle_url):
    """Two app servers on one database: two apps, each with its own engine."""
    # The database store, on SQLite too (where it is not the default): its semantics hold.
    first, second = (make_app(throttle_url, RATELIMIT_STORAGE_URI="outreach+db://") for _ in "12")
    yield first, second
    for server in (first, second):
        with server.app_context():
            db.session.execute(delete(ThrottleCount))
            db.session.commit()
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def clock(monkeypatch):
    """The throttle's clock, moved by hand instead of sleeping through a window."""
    current = {"now": T0}
    monkeypatch.setattr(throttle, "now", lambda: current["now"])
    return current


@pytest.fixture
def storage(servers, clock):
    first, _ = servers
    with first.app_context():
        yield DatabaseStorage()


def stored_rows(app) -> list[ThrottleCount]:
    with app.app_context():
        try:
            return list(db.session.scalars(select(ThrottleCount)))
        finally:
            db.session.remove()


# --- the storage ---------------------------------------------------------------------------


def test_hits_within_a_window_add_up(storage):
    assert [storage.incr("k", 60) for _ in range(3)] == [1, 2, 3]
    assert storage.get("k") == 3


def test_a_hit_can_count_more_than_one(storage):
    storage.incr("k", 60)

    assert storage.incr("k", 60, amount=3) == 4


def test_keys_are_counted_apart(storage):
    storage.incr("a", 60)
    storage.incr("a", 60)

    assert (storage.get("a"), storage.get("b")) == (2, 0)


def test_an_expired_window_counts_nothing(storage, clock):
    storage.incr("k", 60)
    clock["now"] = T0 + timedelta(seconds=60)

    assert storage.get("k") == 0


def test_a_hit_after_the_window_expired_starts_a_new_window(storage, clock):
    storage.incr("k", 60)
    storage.incr("k", 60)
    clock["now"] = T0 + timedelta(seconds=90)

    assert storage.incr("k", 60) == 1
    assert storage.get_expiry("k") == (T0 + timedelta(seconds=150)).timestamp()


def test_a_hit_inside_the_window_keeps_its_end(storage, clock):
    storage.incr("k", 60)
    clock["now"] = T0 + timedelta(seconds=30)
    storage.incr("k", 60)

    assert storage.get_expiry("k") == (T0 + timedelta(seconds=60)).timestamp()


def test_a_key_without_a_window_expires_now(storage):
    assert storage.get_expiry("unknown") == T0.timestamp()


def test_clear_forgets_one_key(storage):
    storage.incr("a", 60)
    storage.incr("b", 60)

    storage.clear("a")

    assert (storage.get("a"), storage.get("b")) == (0, 1)


def test_reset_forgets_every_key_and_says_how_many(storage):
    storage.incr("a", 60)
    storage.incr("b", 60)

    assert storage.reset() == 2
    assert (storage.get("a"), storage.get("b")) == (0, 0)


def test_the_storage_is_healthy_when_the_database_answers(storage):
    assert storage.check()


def test_the_cleanup_job_deletes_expired_windows_only(servers, storage, clock):
    first, _ = servers
    storage.incr("old", 60)
    clock["now"] = T0 + timedelta(seconds=61)
    storage.incr("live", 60)

    with first.app_context():
        assert scheduler.JOBS["throttle-cleanup"]() == 1

    assert len(stored_rows(first)) == 1
    assert storage.get("live") == 1


def test_the_cleanup_deletes_at_most_one_batch(servers, storage, clock):
    first, _ = servers
    for n in range(3):
        storage.incr(f"old{n}", 60)
    clock["now"] = T0 + timedelta(seconds=61)

    with first.app_context():
        assert throttle.delete_expired(batch=2) == 2

    assert len(stored_rows(first)) == 1


# --- two app servers on one database -------------------------------------------------------


def failed_login(server, email: str, ip: str):
    return server.test_client().post(
        "/api/v1/auth/login",
        json={"email": email, "password": "wrong password!"},
        environ_base={"REMOTE_ADDR": ip},
    )


@pytest.fixture
def account(servers):
    first, _ = servers
    email = f"nurse-{uuid.uuid4().hex[:8]}@example.org"
    with first.app_context():
        org = create_organisation(f"Throttle org {uuid.uuid4().hex[:6]}", ["midtjylland"])
        create_user(org, email, PASSWORD, "nurse")
        db.session.commit()
        db.session.remove()
    return email


def test_the_database_is_the_default_store(monkeypatch, tmp_path):
    monkeypatch.delenv("RATELIMIT_STORAGE_URI", raising=False)
    assert from_environment(str(tmp_path))["RATELIMIT_STORAGE_URI"] == "outreach+db://"


def test_the_database_store_is_the_limiters_storage(servers):
    assert isinstance(limiter.storage, DatabaseStorage)


@pytest.mark.parametrize("sixth", [0, 1])
def test_failed_logins_spread_over_two_servers_are_throttled_together(servers, account, sixth):
    # A new address each time: only the account's count can refuse the sixth attempt.
    for n in range(5):
        assert failed_login(servers[n % 2], account, f"198.51.100.{n + 1}").status_code == 401

    assert failed_login(servers[sixth], account, "198.51.100.99").status_code == 429


def test_both_servers_refuse_a_throttled_account(servers, account):
    for n in range(5):
        failed_login(servers[0], account, f"198.51.100.{n + 1}")

    assert [failed_login(s, account, "198.51.100.99").status_code for s in servers] == [429, 429]


def test_the_store_holds_no_email_in_clear(servers, account):
    first, second = servers
    failed_login(first, account, "198.51.100.1")
    failed_login(second, account, "198.51.100.2")

    rows = stored_rows(first)
    assert rows  # the account's count and each address's
    for row in rows:
        assert len(row.key) == 64
        assert account not in row.key
        assert account.split("@")[0] not in row.key
        assert "198.51.100" not in row.key


def test_guessing_the_current_password_on_the_account_page_is_throttled(servers, account):
    # A refused change answers 422 and commits nothing, so the request's transaction rolls
    # back: the count, on a connection of its own, must outlive it. (On the rolled-back test
    # connection of tests/conftest.py it could not, hence this test runs here.)
    nurse = ActorClient(servers[0], SimpleNamespace(email=account))
    new = "a brand new passphrase 42"
    for _ in range(5):
        response = nurse.form_post("/account", {"current": "a wrong guess here", "new": new})
        assert response.status_code == 422

    assert nurse.form_post("/account", {"current": PASSWORD, "new": new}).status_code == 429


# --- concurrency ---------------------------------------------------------------------------

THREADS, HITS = 8, 20


def test_concurrent_hits_from_both_servers_are_all_counted(servers):
    errors = []
    start = threading.Barrier(THREADS)

    def hit(server):
        try:
            with server.app_context():
                storage = DatabaseStorage()
                start.wait(10)
                for _ in range(HITS):
                    storage.incr("shared", 60)
                db.session.remove()
        except Exception as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=hit, args=(servers[n % 2],)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert errors == []
    with servers[0].app_context():
        assert DatabaseStorage().get("shared") == THREADS * HITS
        assert db.session.scalar(select(func.count()).select_from(ThrottleCount)) == 1
        db.session.remove()


# --- one counter across every way of trying a password (issue 11 item 6) -------------------


json_failed_login = failed_login


def form_failed_login(app, email: str, ip: str):
    client = app.test_client()
    html = client.get("/login", environ_base={"REMOTE_ADDR": ip}).get_data(as_text=True)
    return client.post(
        "/login",
        data={"csrf_token": csrf_token_from(html), "email": email, "password": "not it at all"},
        environ_base={"REMOTE_ADDR": ip},
    )


def test_alternating_the_login_page_and_the_json_login_hits_one_account_limit(servers, account):
    logins = [form_failed_login, json_failed_login]
    for n in range(5):
        response = logins[n % 2](servers[n % 2], account, f"198.51.100.{n + 1}")
        assert response.status_code == 401
    assert [login(servers[0], account, "198.51.100.99").status_code for login in logins] == [
        429,
        429,
    ]


def test_alternating_the_two_logins_from_one_address_hits_one_address_limit(servers):
    logins = [form_failed_login, json_failed_login]
    for n in range(5):
        response = logins[n % 2](servers[0], f"nobody{n}@example.org", "203.0.113.7")
        assert response.status_code == 401
    assert json_failed_login(servers[1], "nobody9@example.org", "203.0.113.7").status_code == 429


def test_guesses_on_the_account_page_count_with_the_logins_of_that_account(servers, account):
    nurse = ActorClient(servers[0], SimpleNamespace(email=account))
    new = "a brand new passphrase 42"
    for n in range(3):
        assert form_failed_login(servers[1], account, f"198.51.100.{n + 1}").status_code == 401
    for _ in range(2):
        response = nurse.form_post("/account", {"current": "a wrong guess here", "new": new})
        assert response.status_code == 422
    assert json_failed_login(servers[0], account, "198.51.100.50").status_code == 429
