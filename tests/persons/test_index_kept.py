"""The person index kept between suggestions (persons.queries.person_index): after any change
it is the index read whole, though it reads only the persons changed since (and drops the
deleted ones). Every kind of change that alters an entry is tried: a new person, a changed
alias, a conversation (new, moved to another person), a visit moved to another clinic, a
merge and its undo, a person deleted by the retention purge."""

import uuid
from datetime import timedelta

import pytest

from outreach.db import db, utcnow
from outreach.persons import queries
from outreach.persons.models import Person
from outreach.retention import services as retention
from tests.persons.test_api_conversations import body as talk
from tests.persons.test_api_persons import body as person_body
from tests.visits.test_api import body as visit_body


@pytest.fixture
def kept(app, monkeypatch):
    """The kept index switched on for this test, and the reads it makes counted."""
    monkeypatch.setitem(app.config, "PERSON_INDEX_CACHE", True)
    monkeypatch.setattr(queries, "_INDEX_CACHE", {})
    reads = []

    def counted(organisation_id, groups=None):
        reads.append("whole" if groups is None else len(groups))
        return READ_ENTRIES(organisation_id, groups)

    monkeypatch.setattr(queries, "_read_entries", counted)
    return reads


READ_ENTRIES = queries._read_entries  # the reads the test itself makes are not counted


def read_whole(org, merged):
    return [e for e, _ in READ_ENTRIES(org.id) if merged or e["merged_into_id"] is None]


def by_id(index):
    return sorted(index, key=lambda entry: entry["id"])


def same_as_read_whole(org):
    db.session.expire_all()
    for merged in (False, True):
        assert by_id(queries.person_index(org.id, merged)) == by_id(read_whole(org, merged))


def put(client, path, body):
    response = client.put(path, json=body)
    assert response.status_code in (200, 201), response.get_data(as_text=True)
    return response


class Ref:
    def __init__(self, id):
        self.id = id


def when(days_ago: float) -> str:
    return (utcnow() - timedelta(days=days_ago)).isoformat(timespec="seconds")


def new_visit(client, clinic, days_ago=2) -> uuid.UUID:
    visit_id = uuid.uuid4()
    started = visit_body(
        clinic, started_at=when(days_ago), ended_at=when(days_ago - 0.02), supplies={}
    )
    put(client, f"/api/v1/visits/{visit_id}", started)
    return visit_id


def new_person(client, alias) -> uuid.UUID:
    person_id = uuid.uuid4()
    put(client, f"/api/v1/persons/{person_id}", person_body(alias=alias))
    return person_id


def test_each_kind_of_change_gives_the_index_read_whole(
    app, kept, factory, org, nurse_client, coordinator_client
):
    clinic, other_clinic = factory.clinic(org), factory.clinic(org)
    visit = new_visit(nurse_client, clinic)
    mai, lina, ana = (new_person(nurse_client, a) for a in ("Mai", "Lina", "Ana"))
    first_talk = uuid.uuid4()
    put(nurse_client, f"/api/v1/conversations/{first_talk}", talk(Ref(mai), visit))
    same_as_read_whole(org)
    assert kept[-2:] == ["whole", "whole"]  # the first read of each index
    del kept[:]

    # A new person, and a changed alias.
    new_person(nurse_client, "Szandra")
    same_as_read_whole(org)
    put(nurse_client, f"/api/v1/persons/{lina}", person_body(alias="Lina Maria"))
    same_as_read_whole(org)
    # A conversation, and the same conversation moved to another person.
    second_talk = uuid.uuid4()
    put(nurse_client, f"/api/v1/conversations/{second_talk}", talk(Ref(lina), visit))
    same_as_read_whole(org)
    put(coordinator_client, f"/api/v1/conversations/{second_talk}", talk(Ref(ana), visit))
    same_as_read_whole(org)
    # The visit moved to another clinic: where they were last met changes.
    moved = visit_body(other_clinic, started_at=when(2), ended_at=when(1.98), supplies={})
    put(coordinator_client, f"/api/v1/visits/{visit}", moved)
    same_as_read_whole(org)
    # A merge and its undo: the counts of the whole group change.
    merged = coordinator_client.post(
        "/api/v1/person-merges", json={"source_id": str(ana), "target_id": str(mai)}
    )
    assert merged.status_code == 201, merged.get_data(as_text=True)
    same_as_read_whole(org)
    undone = coordinator_client.post(f"/api/v1/person-merges/{merged.json['id']}/undo")
    assert undone.status_code == 200, undone.get_data(as_text=True)
    same_as_read_whole(org)

    assert "whole" not in kept and kept  # every change above was read as a few groups
    assert max(kept) <= 2


def test_a_person_deleted_by_the_retention_purge_leaves_the_kept_index(
    app, kept, factory, org, nurse_client
):
    gone, stays = new_person(nurse_client, "Gone"), new_person(nurse_client, "Stays")
    same_as_read_whole(org)
    assert {e["id"] for e in queries.person_index(org.id)} == {str(gone), str(stays)}

    retention._delete_persons(org.id, [gone])
    db.session.commit()

    same_as_read_whole(org)
    assert {e["id"] for e in queries.person_index(org.id)} == {str(stays)}
    assert db.session.get(Person, gone) is None


def test_many_changes_read_the_index_whole_again(app, kept, org, nurse_client, monkeypatch):
    monkeypatch.setattr(queries, "INDEX_REFRESH_LIMIT", 2)
    new_person(nurse_client, "Mai")
    same_as_read_whole(org)
    del kept[:]
    for alias in ("Lina", "Ana", "Nok"):
        new_person(nurse_client, alias)

    same_as_read_whole(org)

    assert kept[0] == "whole"
