"""/api/v1/persons, /api/v1/person-merges and /api/v1/persons/suggestions over HTTP: the
create-or-replace contract, validation, tenancy, audited reads, the list, merges and roles."""

import uuid
from datetime import date

import pytest
from sqlalchemy import func, select

from outreach.audit.models import AuditEvent
from outreach.db import db
from outreach.persons.models import Person, PersonMerge
from tests.conftest import assert_envelope

REPRESENTATION_FIELDS = {
    "id",
    "alias",
    "nationality",
    "birth_year",
    "gender",
    "languages",
    "merged_into_id",
    "canonical_id",
    "created_at",
    "updated_at",
}


def url(person_id) -> str:
    return f"/api/v1/persons/{person_id}"


def new_id() -> str:
    return str(uuid.uuid4())


def body(**overrides) -> dict:
    values = {
        "alias": "Mai",
        "nationality": "TH",
        "birth_year": 1995,
        "gender": "woman",
        "languages": ["th", "en"],
    }
    values.update(overrides)
    return values


def stored(person_id) -> Person | None:
    db.session.expire_all()
    return db.session.get(Person, uuid.UUID(str(person_id)))


def person_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Person))


def events(action: str | None = None) -> list[AuditEvent]:
    stmt = select(AuditEvent).order_by(AuditEvent.at)
    if action:
        stmt = stmt.where(AuditEvent.action == action)
    return list(db.session.scalars(stmt))


def create(client, **overrides) -> str:
    person_id = new_id()
    response = client.put(url(person_id), json=body(**overrides))
    assert response.status_code == 201, response.get_data(as_text=True)
    return person_id


# --- create-or-replace -------------------------------------------------------------------


def test_put_with_a_new_id_creates_the_person_and_answers_201_with_an_etag(nurse_client):
    person_id = new_id()

    response = nurse_client.put(url(person_id), json=body())

    assert response.status_code == 201
    assert response.headers["ETag"].startswith('"')
    assert response.json["id"] == person_id
    assert stored(person_id).alias == "Mai"


def test_the_created_answer_is_the_stored_representation(nurse_client):
    person_id = new_id()

    created = nurse_client.put(url(person_id), json=body())
    read = nurse_client.get(url(person_id))

    assert set(created.json) == REPRESENTATION_FIELDS
    assert created.json == read.json
    assert created.headers["ETag"] == read.headers["ETag"]


def test_a_new_person_counts_as_herself(nurse_client):
    answer = nurse_client.put(url(new_id()), json=body()).json

    assert answer["canonical_id"] == answer["id"]
    assert answer["merged_into_id"] is None


def test_the_representation_holds_what_was_sent(nurse_client):
    answer = nurse_client.put(url(new_id()), json=body()).json

    assert (answer["alias"], answer["nationality"], answer["birth_year"]) == ("Mai", "TH", 1995)
    assert answer["gender"] == "woman"
    assert answer["languages"] == ["en", "th"]


def test_only_the_alias_is_required(nurse_client):
    answer = nurse_client.put(url(new_id()), json={"alias": "Nok"}).json

    assert (answer["nationality"], answer["birth_year"], answer["languages"]) == (None, None, [])
    assert answer["gender"] == "unknown"


def test_the_alias_is_stored_with_single_spaces(nurse_client):
    answer = nurse_client.put(url(new_id()), json=body(alias="  Mai   Lin ")).json

    assert answer["alias"] == "Mai Lin"


def test_resending_the_same_body_answers_200_and_changes_nothing(nurse_client):
    person_id = new_id()
    first = nurse_client.put(url(person_id), json=body())
    row = stored(person_id)
    updated_at, sync_seq = row.updated_at, row.sync_seq
    before = len(events())

    again = nurse_client.put(url(person_id), json=body())

    assert again.status_code == 200
    assert again.headers["ETag"] == first.headers["ETag"]
    assert again.json == first.json
    assert (stored(person_id).updated_at, stored(person_id).sync_seq) == (updated_at, sync_seq)
    assert len(events()) == before
    assert person_count() == 1


def test_resending_the_languages_in_another_order_changes_nothing(nurse_client):
    person_id = new_id()
    first = nurse_client.put(url(person_id), json=body(languages=["th", "en"]))

    again = nurse_client.put(url(person_id), json=body(languages=["en", "th", "en"]))

    assert again.status_code == 200
    assert again.headers["ETag"] == first.headers["ETag"]


def test_put_with_a_different_body_replaces_the_person(nurse_client):
    person_id = new_id()
    first = nurse_client.put(url(person_id), json=body())

    response = nurse_client.put(url(person_id), json=body(alias="May", birth_year=1994))

    assert response.status_code == 200
    assert (response.json["alias"], response.json["birth_year"]) == ("May", 1994)
    assert response.headers["ETag"] != first.headers["ETag"]
    assert stored(person_id).alias == "May"
    assert person_count() == 1


def test_replacing_keeps_who_the_person_counts_as(nurse_client):
    person_id = new_id()
    nurse_client.put(url(person_id), json=body())

    answer = nurse_client.put(url(person_id), json=body(alias="May")).json

    assert answer["canonical_id"] == person_id


def test_if_match_with_an_out_of_date_etag_answers_412_and_changes_nothing(nurse_client):
    person_id = new_id()
    old_tag = nurse_client.put(url(person_id), json=body()).headers["ETag"]
    nurse_client.put(url(person_id), json=body(alias="May"))
    updated_at = stored(person_id).updated_at

    response = nurse_client.put(
        url(person_id), json=body(alias="Maja"), headers={"If-Match": old_tag}
    )

    assert_envelope(response, 412)
    assert stored(person_id).alias == "May"
    assert stored(person_id).updated_at == updated_at


def test_if_match_with_the_current_etag_replaces(nurse_client):
    person_id = new_id()
    tag = nurse_client.put(url(person_id), json=body()).headers["ETag"]

    response = nurse_client.put(url(person_id), json=body(alias="May"), headers={"If-Match": tag})

    assert response.status_code == 200
    assert stored(person_id).alias == "May"


def test_creating_and_replacing_write_one_audit_event_each(nurse_client):
    person_id = new_id()
    before = len(events())

    nurse_client.put(url(person_id), json=body())
    nurse_client.put(url(person_id), json=body(alias="May"))

    assert [e.action for e in events()[before:]] == ["person.create", "person.update"]


def test_the_audit_event_holds_no_personal_data(nurse_client):
    person_id = create(nurse_client, alias="Yasmin-Marker")

    (event,) = events("person.create")

    assert event.object_id == person_id
    assert "Yasmin-Marker" not in str(event.details)


# --- validation ----------------------------------------------------------------------------


def _without(field):
    values = body()
    del values[field]
    return values


INVALID_BODIES = {
    "missing alias": (_without("alias"), "alias"),
    "empty alias": (body(alias=""), "alias"),
    "blank alias": (body(alias="   "), "alias"),
    "null alias": (body(alias=None), "alias"),
    "alias too long": (body(alias="x" * 101), "alias"),
    "nationality in lower case": (body(nationality="th"), "nationality"),
    "nationality of three letters": (body(nationality="THA"), "nationality"),
    "unknown nationality": (body(nationality="XX"), "nationality"),
    "nationality as a name": (body(nationality="Thailand"), "nationality"),
    "unknown gender": (body(gender="female"), "gender"),
    "language of three letters": (body(languages=["tha"]), "languages"),
    "language in capitals": (body(languages=["TH"]), "languages"),
    "unknown language": (body(languages=["qq"]), "languages"),
    "languages as text": (body(languages="th"), "languages"),
    "birth year long ago": (body(birth_year=1900), "birth_year"),
    "birth year of a child": (body(birth_year=date.today().year - 5), "birth_year"),
    "birth year in the future": (body(birth_year=date.today().year + 1), "birth_year"),
    "birth year as text": (body(birth_year="nineties"), "birth_year"),
    "unknown field": (body(real_name="x"), "real_name"),
    "canonical_id in the body": (body(canonical_id=new_id()), "canonical_id"),
}


@pytest.mark.parametrize(("payload", "field"), INVALID_BODIES.values(), ids=INVALID_BODIES.keys())
def test_an_invalid_body_answers_422_naming_the_field_and_stores_nothing(
    nurse_client, payload, field
):
    person_id = new_id()

    response = nurse_client.put(url(person_id), json=payload)

    assert field in assert_envelope(response, 422)["errors"]
    assert stored(person_id) is None
    assert person_count() == 0


def test_the_oldest_and_youngest_allowed_birth_years_are_accepted(nurse_client):
    oldest = nurse_client.put(url(new_id()), json=body(birth_year=1920))
    youngest = nurse_client.put(url(new_id()), json=body(birth_year=date.today().year - 12))

    assert (oldest.status_code, youngest.status_code) == (201, 201)


def test_an_invalid_body_leaves_an_existing_person_unchanged(nurse_client):
    person_id = create(nurse_client)

    response = nurse_client.put(url(person_id), json=body(alias="May", gender="female"))

    assert_envelope(response, 422)
    assert stored(person_id).alias == "Mai"


# --- tenancy and audited reads ---------------------------------------------------------------


@pytest.fixture
def their_person(other_coordinator_client):
    return create(other_coordinator_client, alias="Theirs")


def test_get_of_another_organisations_person_answers_404(nurse_client, their_person):
    response = nurse_client.get(url(their_person))

    assert "errors" not in assert_envelope(response, 404)
    assert "Theirs" not in response.get_data(as_text=True)


def test_put_to_another_organisations_person_answers_404_and_leaves_it_unchanged(
    nurse_client, their_person, other_org
):
    updated_at = stored(their_person).updated_at

    response = nurse_client.put(url(their_person), json=body(alias="Taken over"))

    assert_envelope(response, 404)
    row = stored(their_person)
    assert (row.alias, row.organisation_id, row.updated_at) == ("Theirs", other_org.id, updated_at)


def test_reading_a_person_writes_exactly_one_audit_event(nurse_client, nurse):
    person_id = create(nurse_client)
    before = len(events())

    nurse_client.get(url(person_id))

    new = events()[before:]
    assert [(e.action, e.object_id, e.user_id) for e in new] == [
        ("person.read", person_id, nurse.id)
    ]


def test_every_read_is_audited_again(nurse_client):
    person_id = create(nurse_client)

    nurse_client.get(url(person_id))
    nurse_client.get(url(person_id))

    assert len(events("person.read")) == 2


def test_reading_another_organisations_person_writes_no_read_event(nurse_client, their_person):
    nurse_client.get(url(their_person))

    assert events("person.read") == []


def test_writing_a_person_is_not_counted_as_reading_it(nurse_client):
    create(nurse_client)

    assert events("person.read") == []


# --- the list -------------------------------------------------------------------------------


def list_answer(client, **params) -> dict:
    response = client.get("/api/v1/persons", query_string=params)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.json


def test_the_list_shows_only_the_callers_organisation(nurse_client, their_person):
    ours = create(nurse_client)

    assert [p["id"] for p in list_answer(nurse_client)["items"]] == [ours]


def test_the_list_filters_by_nationality(nurse_client):
    create(nurse_client, nationality="TH")
    romanian = create(nurse_client, alias="Ioana", nationality="RO")

    items = list_answer(nurse_client, nationality="RO")["items"]

    assert [p["id"] for p in items] == [romanian]


def test_the_list_filters_by_gender(nurse_client):
    create(nurse_client, gender="woman")
    trans = create(nurse_client, alias="Bella", gender="trans_woman")

    items = list_answer(nurse_client, gender="trans_woman")["items"]

    assert [p["id"] for p in items] == [trans]


def test_the_list_pages_with_a_total(nurse_client):
    ids = {create(nurse_client, alias=f"Person {n}") for n in range(5)}

    pages = [list_answer(nurse_client, per_page=2, page=n) for n in (1, 2, 3)]

    assert [len(p["items"]) for p in pages] == [2, 2, 1]
    assert {p["total"] for p in pages} == {5}
    assert {item["id"] for p in pages for item in p["items"]} == ids


def test_the_list_leaves_out_merged_duplicates_unless_asked(nurse_client, coordinator_client):
    kept = create(nurse_client, alias="Yasmin")
    duplicate = create(nurse_client, alias="Jassmine")
    merge(coordinator_client, duplicate, kept)

    default = {p["id"] for p in list_answer(nurse_client)["items"]}
    everyone = {p["id"] for p in list_answer(nurse_client, include_merged="true")["items"]}

    assert default == {kept}
    assert everyone == {kept, duplicate}


def test_listing_persons_writes_one_audit_event(nurse_client):
    create(nurse_client)
    create(nurse_client, alias="Nok")
    before = len(events())

    list_answer(nurse_client)

    assert [e.action for e in events()[before:]] == ["person.list"]


def test_a_bad_list_filter_answers_422_naming_it(nurse_client):
    response = nurse_client.get("/api/v1/persons", query_string={"nationality": "Thailand"})

    assert "nationality" in assert_envelope(response, 422)["errors"]


# --- merges over HTTP -----------------------------------------------------------------------


def merge(client, source_id, target_id):
    response = client.post(
        "/api/v1/person-merges", json={"source_id": source_id, "target_id": target_id}
    )
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.json


def test_a_coordinator_merges_a_duplicate_into_the_person_to_keep(coordinator_client):
    kept, duplicate = create(coordinator_client), create(coordinator_client, alias="May")

    answer = merge(coordinator_client, duplicate, kept)

    assert (answer["source_id"], answer["target_id"], answer["undone_at"]) == (
        duplicate,
        kept,
        None,
    )
    assert stored(duplicate).merged_into_id == uuid.UUID(kept)
    assert stored(duplicate).canonical_id == uuid.UUID(kept)


def test_the_merged_duplicate_reads_with_merged_into_id(coordinator_client):
    kept, duplicate = create(coordinator_client), create(coordinator_client, alias="May")
    merge(coordinator_client, duplicate, kept)

    answer = coordinator_client.get(url(duplicate)).json

    assert (answer["merged_into_id"], answer["canonical_id"]) == (kept, kept)


def test_a_nurse_may_not_merge_persons(nurse_client):
    kept, duplicate = create(nurse_client), create(nurse_client, alias="May")

    response = nurse_client.post(
        "/api/v1/person-merges", json={"source_id": duplicate, "target_id": kept}
    )

    assert_envelope(response, 403)
    assert stored(duplicate).merged_into_id is None
    assert db.session.scalar(select(func.count()).select_from(PersonMerge)) == 0


def test_merging_a_person_into_herself_answers_409(coordinator_client):
    person_id = create(coordinator_client)

    response = coordinator_client.post(
        "/api/v1/person-merges", json={"source_id": person_id, "target_id": person_id}
    )

    assert_envelope(response, 409)


def test_merging_an_already_merged_person_answers_409(coordinator_client):
    a, b, c = (create(coordinator_client, alias=n) for n in ("Mai", "May", "Maj"))
    merge(coordinator_client, b, a)

    response = coordinator_client.post(
        "/api/v1/person-merges", json={"source_id": b, "target_id": c}
    )

    assert_envelope(response, 409)
    assert stored(b).merged_into_id == uuid.UUID(a)


def test_merging_with_another_organisations_person_answers_422_on_that_field(
    coordinator_client, their_person
):
    ours = create(coordinator_client)

    response = coordinator_client.post(
        "/api/v1/person-merges", json={"source_id": their_person, "target_id": ours}
    )

    assert set(assert_envelope(response, 422)["errors"]) == {"source_id"}
    assert stored(their_person).merged_into_id is None


def test_a_coordinator_undoes_a_merge(coordinator_client):
    kept, duplicate = create(coordinator_client), create(coordinator_client, alias="May")
    merge_id = merge(coordinator_client, duplicate, kept)["id"]

    response = coordinator_client.post(f"/api/v1/person-merges/{merge_id}/undo")

    assert response.status_code == 200
    assert response.json["undone_at"] is not None
    assert stored(duplicate).merged_into_id is None
    assert stored(duplicate).canonical_id == uuid.UUID(duplicate)


def test_undoing_a_merge_twice_answers_409(coordinator_client):
    kept, duplicate = create(coordinator_client), create(coordinator_client, alias="May")
    merge_id = merge(coordinator_client, duplicate, kept)["id"]
    coordinator_client.post(f"/api/v1/person-merges/{merge_id}/undo")

    response = coordinator_client.post(f"/api/v1/person-merges/{merge_id}/undo")

    assert_envelope(response, 409)


def test_a_nurse_may_not_undo_a_merge(coordinator_client, nurse_client):
    kept, duplicate = create(coordinator_client), create(coordinator_client, alias="May")
    merge_id = merge(coordinator_client, duplicate, kept)["id"]

    response = nurse_client.post(f"/api/v1/person-merges/{merge_id}/undo")

    assert_envelope(response, 403)
    assert stored(duplicate).merged_into_id == uuid.UUID(kept)


def test_undoing_another_organisations_merge_answers_404(
    coordinator_client, other_coordinator_client
):
    kept = create(other_coordinator_client)
    duplicate = create(other_coordinator_client, alias="May")
    merge_id = merge(other_coordinator_client, duplicate, kept)["id"]

    response = coordinator_client.post(f"/api/v1/person-merges/{merge_id}/undo")

    assert_envelope(response, 404)
    assert stored(duplicate).merged_into_id == uuid.UUID(kept)


# --- suggestions over HTTP ------------------------------------------------------------------


def test_suggestions_answer_ranked_persons_with_scores_and_reasons(nurse_client):
    yasmin = create(nurse_client, alias="Yasmin", nationality="RO", birth_year=1996)
    jasmine = create(nurse_client, alias="Jasmine", nationality="BG", birth_year=1985)
    create(nurse_client, alias="Natasha", nationality="RO", birth_year=1996)

    response = nurse_client.post(
        "/api/v1/persons/suggestions",
        json={"alias": "Jassmine", "nationality": "RO", "birth_year": 1997},
    )

    assert response.status_code == 200
    assert [s["person"]["id"] for s in response.json] == [yasmin, jasmine]
    scores = [s["score"] for s in response.json]
    assert scores == sorted(scores, reverse=True)
    assert response.json[0]["reasons"] == ["alias", "nationality", "birth_year"]


def test_suggestions_never_show_another_organisations_persons(nurse_client, their_person):
    response = nurse_client.post("/api/v1/persons/suggestions", json={"alias": "Theirs"})

    assert response.json == []


def test_suggestions_need_an_alias(nurse_client):
    response = nurse_client.post("/api/v1/persons/suggestions", json={})

    assert "alias" in assert_envelope(response, 422)["errors"]


def test_suggestions_by_get_are_refused_so_no_alias_is_in_a_url(nurse_client):
    response = nurse_client.get("/api/v1/persons/suggestions?alias=Jassmine")

    body = assert_envelope(response, 405)
    assert "POST" in body["message"] and "Jassmine" not in response.get_data(as_text=True)
    assert response.headers["Allow"] == "POST"


def test_suggestions_that_show_persons_write_one_audit_event(nurse_client, nurse):
    from outreach.audit.models import AuditEvent
    from outreach.persons.services import put_person

    put_person(
        nurse,
        uuid.uuid4(),
        {
            "alias": "Yasmin",
            "nationality": "TH",
            "birth_year": 1990,
            "gender": "woman",
            "languages": [],
        },
    )
    db.session.flush()
    answer = nurse_client.post("/api/v1/persons/suggestions", json={"alias": "Jassmine"})
    assert answer.status_code == 200 and len(answer.json) == 1
    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "person.suggestions")
    ).all()
    assert [e.details for e in events] == [{"count": 1}]
