"""The sync contract under real concurrency, with real commits: a pull running while others
write never skips a record, and two copies of one new record sent at the same moment are a
create and a resend, never a server error. Writers are threads, each with its own client and
connection. On SQLite writers are serialised, so these mostly matter on PostgreSQL; they run
on both."""

import threading
import time
import uuid

import pytest
from flask_migrate import upgrade
from sqlalchemy import func

from outreach.db import db
from outreach.persons.models import Person
from outreach.tenancy import tenant_select
from tests.conftest import ActorClient, Factory, database_url, make_app

WRITERS = 4
RECORDS_PER_WRITER = 12
PAIRS = 50
DEADLINE = 120  # seconds: every loop here stops by then, whatever happens


@pytest.fixture(scope="module")
def live_app(tmp_path_factory):
    app = make_app(database_url(tmp_path_factory, "concurrency"), RATELIMIT_ENABLED=False)
    with app.app_context():
        upgrade()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def nurse(live_app):
    """A nurse of a fresh organisation, committed, so every thread's connection sees her."""
    with live_app.app_context():
        factory = Factory()
        org = factory.organisation()
        org.settings = {"supplies": ["condoms"], "indicators": ["debt"]}
        user = factory.user(org)
        db.session.commit()
        db.session.refresh(user)
        db.session.expunge(user)
        db.session.remove()
    return user


def clinic_body(name: str) -> dict:
    return {
        "name": name,
        "kind": "massage_clinic",
        "address": "Vestergade 3",
        "postcode": "8000",
        "city": "Aarhus C",
        "lat": 56.157,
        "lon": 10.204,
    }


def pull_all(client, cursor: int, seen: dict) -> int:
    """Pull until `more` is false; keep the newest copy of every record by (kind, id)."""
    for _ in range(1000):
        response = client.get("/api/v1/sync", query_string={"cursor": cursor, "limit": 7})
        assert response.status_code == 200, response.get_data(as_text=True)
        answer = response.json
        for kind in ("clinics", "persons"):
            for row in answer[kind]:
                seen[(kind, row["id"])] = row.get("name") or row.get("alias")
        cursor = answer["cursor"]
        if not answer["more"]:
            return cursor
    raise AssertionError("the pull never ended")


def test_a_pull_running_while_others_write_misses_nothing(live_app, nurse):
    writers_done = threading.Event()
    failures: list[str] = []
    deadline = time.monotonic() + DEADLINE

    def write(n: int) -> None:
        try:
            client = ActorClient(live_app, nurse)
            for i in range(RECORDS_PER_WRITER):
                if time.monotonic() > deadline:
                    return
                # Clinics and persons alternate: the pull reads them in separate queries.
                if i % 2:
                    collection, body = "clinics", clinic_body(f"Clinic {n}-{i}")
                else:
                    collection, body = "persons", {"alias": f"Person {n}-{i}"}
                record_id = str(uuid.uuid4())
                response = client.put(f"/api/v1/{collection}/{record_id}", json=body)
                if response.status_code != 201:
                    failures.append(f"{collection} {response.status_code}")
                if i % 3 == 0:  # and some records change again, taking a newer number
                    key = "name" if collection == "clinics" else "alias"
                    body = {**body, key: body[key] + " renamed"}
                    response = client.put(f"/api/v1/{collection}/{record_id}", json=body)
                    if response.status_code != 200:
                        failures.append(f"{collection} again {response.status_code}")
        except Exception as exc:  # noqa: BLE001 - a thread's failure is reported by the test
            failures.append(repr(exc))

    threads = [threading.Thread(target=write, args=(n,)) for n in range(WRITERS)]
    for thread in threads:
        thread.start()
    puller = ActorClient(live_app, nurse)
    seen: dict = {}
    cursor = 0
    while not writers_done.is_set() and time.monotonic() < deadline:
        cursor = pull_all(puller.client, cursor, seen)
        if not any(thread.is_alive() for thread in threads):
            writers_done.set()
    for thread in threads:
        thread.join(timeout=max(0.0, deadline - time.monotonic()))
    cursor = pull_all(puller.client, cursor, seen)  # what committed after the last pull

    assert failures == []
    final: dict = {}
    pull_all(puller.client, 0, final)
    assert len(final) == WRITERS * RECORDS_PER_WRITER
    assert seen == final


def test_two_copies_of_a_new_record_at_the_same_moment_are_a_create_and_a_resend(live_app, nurse):
    clients = [ActorClient(live_app, nurse), ActorClient(live_app, nurse)]
    barrier = threading.Barrier(2, timeout=30)
    deadline = time.monotonic() + DEADLINE
    record_ids, statuses = [], []

    def send(client, record_id: str, out: list) -> None:
        try:
            barrier.wait()
            response = client.put(f"/api/v1/persons/{record_id}", json={"alias": "Mai"})
            out.append((response.status_code, response.content_type))
        except Exception as exc:  # noqa: BLE001 - the test reports it
            out.append((repr(exc), None))

    for _ in range(PAIRS):
        if time.monotonic() > deadline:
            break
        record_id = str(uuid.uuid4())
        answers: list = []
        threads = [threading.Thread(target=send, args=(c, record_id, answers)) for c in clients]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        record_ids.append(record_id)
        statuses.append(sorted(str(status) for status, _ in answers))
        assert all(kind == "application/json" for _, kind in answers), answers

    assert len(record_ids) == PAIRS
    assert all(pair == ["200", "201"] for pair in statuses), statuses
    with live_app.app_context():
        ids = [uuid.UUID(i) for i in record_ids]
        count = db.session.scalar(
            tenant_select(Person, nurse.organisation_id)
            .with_only_columns(func.count())
            .where(Person.id.in_(ids))
        )
        db.session.remove()
    assert count == PAIRS
