"""/api/v1/conversations: the create-or-replace contract, validation, references to persons
and visits, tenancy, the list, and the time of a conversation held in a visit."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from outreach.db import db
from outreach.persons.models import Conversation, Person
from tests.conftest import assert_envelope

INDICATORS = ["debt", "no_own_passport", "lives_at_workplace"]
VISIT_START = datetime(2025, 5, 6, 12, 30, tzinfo=UTC)
REPRESENTATION_FIELDS = {
    "id",
    "person_id",
    "visit_id",
    "channel",
    "occurred_at",
    "topics",
    "language",
    "interpreter_used",
    "concern_level",
    "indicators",
    "referral",
    "follow_up_needed",
    "notes",
    "created_at",
    "updated_at",
}


@pytest.fixture(autouse=True)
def org_lists(org):
    org.settings = {"supplies": ["condoms"], "indicators": INDICATORS}
    db.session.flush()


@pytest.fixture
def clinic(factory, org):
    return factory.clinic(org)


@pytest.fixture
def visit(factory, clinic):
    return factory.visit(clinic, VISIT_START)


@pytest.fixture
def person(factory, org):
    return factory.person(org, "Mai")


def url(conversation_id) -> str:
    return f"/api/v1/conversations/{conversation_id}"


def new_id() -> str:
    return str(uuid.uuid4())


def body(person, visit=None, **overrides) -> dict:
    """A conversation in the visit (a Visit or its id; its time taken from the visit), or by
    phone without one."""
    values = {
        "person_id": str(person.id),
        "visit_id": str(getattr(visit, "id", visit)) if visit else None,
        "channel": "visit" if visit else "phone",
        "topics": ["health_advice", "sti_test_offered"],
        "language": "th",
        "interpreter_used": False,
        "concern_level": "green",
        "indicators": [],
        "referral": None,
        "notes": "Talked about the test.",
    }
    if not visit:
        values["occurred_at"] = "2025-06-01T20:15:00+02:00"
    values.update(overrides)
    return values


def stored(conversation_id) -> Conversation | None:
    db.session.expire_all()
    return db.session.get(Conversation, uuid.UUID(str(conversation_id)))


def conversation_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Conversation))


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


# --- create-or-replace -------------------------------------------------------------------


def test_put_with_a_new_id_creates_the_conversation_and_answers_201_with_an_etag(
    nurse_client, person, visit
):
    conversation_id = new_id()

    response = nurse_client.put(url(conversation_id), json=body(person, visit))

    assert response.status_code == 201
    assert response.headers["ETag"].startswith('"')
    assert response.json["id"] == conversation_id
    assert stored(conversation_id).person_id == person.id


def test_the_created_answer_is_the_stored_representation(nurse_client, person, visit):
    conversation_id = new_id()

    created = nurse_client.put(url(conversation_id), json=body(person, visit))
    read = nurse_client.get(url(conversation_id))

    assert set(created.json) == REPRESENTATION_FIELDS
    assert created.json == read.json
    assert created.headers["ETag"] == read.headers["ETag"]


def test_the_representation_holds_what_was_sent(nurse_client, person, visit):
    answer = nurse_client.put(
        url(new_id()),
        json=body(
            person,
            visit,
            concern_level="yellow",
            indicators=["no_own_passport", "debt"],
            referral="identification_interview",
            follow_up_needed=True,
            interpreter_used=True,
        ),
    ).json

    assert (answer["person_id"], answer["visit_id"], answer["channel"]) == (
        str(person.id),
        str(visit.id),
        "visit",
    )
    assert answer["topics"] == ["health_advice", "sti_test_offered"]
    assert (answer["language"], answer["interpreter_used"]) == ("th", True)
    assert answer["concern_level"] == "yellow"
    assert answer["indicators"] == ["debt", "no_own_passport"]
    assert (answer["referral"], answer["follow_up_needed"]) == ("identification_interview", True)


def test_a_phone_conversation_keeps_its_own_time_and_no_visit(nurse_client, person):
    answer = nurse_client.put(url(new_id()), json=body(person)).json

    assert answer["visit_id"] is None
    assert at(answer["occurred_at"]) == datetime(2025, 6, 1, 18, 15, tzinfo=UTC)


def test_resending_the_same_body_answers_200_and_changes_nothing(nurse_client, person, visit):
    conversation_id = new_id()
    first = nurse_client.put(url(conversation_id), json=body(person, visit))
    row = stored(conversation_id)
    updated_at, sync_seq = row.updated_at, row.sync_seq

    again = nurse_client.put(url(conversation_id), json=body(person, visit))

    assert again.status_code == 200
    assert again.headers["ETag"] == first.headers["ETag"]
    assert again.json == first.json
    assert (stored(conversation_id).updated_at, stored(conversation_id).sync_seq) == (
        updated_at,
        sync_seq,
    )
    assert conversation_count() == 1


def test_resending_the_topics_in_another_order_changes_nothing(nurse_client, person, visit):
    conversation_id = new_id()
    first = nurse_client.put(url(conversation_id), json=body(person, visit))

    again = nurse_client.put(
        url(conversation_id),
        json=body(person, visit, topics=["sti_test_offered", "health_advice"]),
    )

    assert again.headers["ETag"] == first.headers["ETag"]


def test_put_with_a_different_body_replaces_the_conversation(nurse_client, person, visit):
    conversation_id = new_id()
    first = nurse_client.put(url(conversation_id), json=body(person, visit))

    response = nurse_client.put(
        url(conversation_id), json=body(person, visit, topics=["rights_information"])
    )

    assert response.status_code == 200
    assert response.json["topics"] == ["rights_information"]
    assert response.headers["ETag"] != first.headers["ETag"]
    assert conversation_count() == 1


def test_if_match_with_an_out_of_date_etag_answers_412_and_changes_nothing(
    nurse_client, person, visit
):
    conversation_id = new_id()
    old_tag = nurse_client.put(url(conversation_id), json=body(person, visit)).headers["ETag"]
    nurse_client.put(url(conversation_id), json=body(person, visit, notes="By a colleague"))
    updated_at = stored(conversation_id).updated_at

    response = nurse_client.put(
        url(conversation_id), json=body(person, visit, notes="Mine"), headers={"If-Match": old_tag}
    )

    assert_envelope(response, 412)
    assert stored(conversation_id).notes == "By a colleague"
    assert stored(conversation_id).updated_at == updated_at


def test_if_match_with_the_current_etag_replaces(nurse_client, person, visit):
    conversation_id = new_id()
    tag = nurse_client.put(url(conversation_id), json=body(person, visit)).headers["ETag"]

    response = nurse_client.put(
        url(conversation_id), json=body(person, visit, notes="Mine"), headers={"If-Match": tag}
    )

    assert response.status_code == 200
    assert stored(conversation_id).notes == "Mine"


def test_a_conversation_touches_its_person_so_phones_pull_her_recent_clinics(
    nurse_client, person, visit
):
    before = person.sync_seq

    nurse_client.put(url(new_id()), json=body(person, visit))

    db.session.expire_all()
    assert db.session.get(Person, person.id).sync_seq > before


def test_moving_a_conversation_to_another_person_touches_both(
    nurse_client, org, person, visit, factory
):
    other = factory.person(org, "Nok")
    conversation_id = new_id()
    nurse_client.put(url(conversation_id), json=body(person, visit))
    db.session.expire_all()
    seq_before = {p.id: db.session.get(Person, p.id).sync_seq for p in (person, other)}

    nurse_client.put(url(conversation_id), json=body(other, visit))

    db.session.expire_all()
    assert db.session.get(Person, person.id).sync_seq > seq_before[person.id]
    assert db.session.get(Person, other.id).sync_seq > seq_before[other.id]


# --- the time of a conversation held in a visit ------------------------------------------------


def test_a_conversation_in_a_visit_without_a_time_takes_the_visits_start(
    nurse_client, person, visit
):
    answer = nurse_client.put(url(new_id()), json=body(person, visit)).json

    assert at(answer["occurred_at"]) == VISIT_START


def test_a_conversation_in_a_visit_may_give_its_own_time(nurse_client, person, visit):
    answer = nurse_client.put(
        url(new_id()), json=body(person, visit, occurred_at="2025-05-06T15:00:00+02:00")
    ).json

    assert at(answer["occurred_at"]) == datetime(2025, 5, 6, 13, 0, tzinfo=UTC)


def _api_visit(client, clinic, visit_id, started_at: str):
    response = client.put(
        f"/api/v1/visits/{visit_id}",
        json={
            "clinic_id": str(clinic.id),
            "started_at": started_at,
            "outcome": "admitted",
        },
    )
    assert response.status_code in (200, 201), response.get_data(as_text=True)


def test_the_conversation_moves_when_the_visits_start_is_changed(nurse_client, person, clinic):
    visit_id = new_id()
    _api_visit(nurse_client, clinic, visit_id, "2025-05-06T14:30:00+02:00")
    conversation_id = new_id()
    nurse_client.put(url(conversation_id), json=body(person, visit_id))

    _api_visit(nurse_client, clinic, visit_id, "2025-05-07T11:00:00+02:00")

    assert stored(conversation_id).occurred_at == datetime(2025, 5, 7, 9, 0, tzinfo=UTC)
    read = nurse_client.get(url(conversation_id)).json
    assert at(read["occurred_at"]) == datetime(2025, 5, 7, 9, 0, tzinfo=UTC)


def test_a_conversation_with_its_own_time_stays_when_the_visit_moves(nurse_client, person, clinic):
    visit_id = new_id()
    _api_visit(nurse_client, clinic, visit_id, "2025-05-06T14:30:00+02:00")
    conversation_id = new_id()
    nurse_client.put(
        url(conversation_id),
        json=body(person, visit_id, occurred_at="2025-05-06T15:00:00+02:00"),
    )

    _api_visit(nurse_client, clinic, visit_id, "2025-05-07T11:00:00+02:00")

    assert stored(conversation_id).occurred_at == datetime(2025, 5, 6, 13, 0, tzinfo=UTC)


def test_the_moved_conversation_gets_a_new_etag(nurse_client, person, clinic):
    visit_id = new_id()
    _api_visit(nurse_client, clinic, visit_id, "2025-05-06T14:30:00+02:00")
    conversation_id = new_id()
    tag = nurse_client.put(url(conversation_id), json=body(person, visit_id)).headers["ETag"]

    _api_visit(nurse_client, clinic, visit_id, "2025-05-07T11:00:00+02:00")

    assert nurse_client.get(url(conversation_id)).headers["ETag"] != tag


def test_resending_a_conversation_after_its_visit_moved_changes_nothing(
    nurse_client, person, clinic
):
    visit_id = new_id()
    _api_visit(nurse_client, clinic, visit_id, "2025-05-06T14:30:00+02:00")
    conversation_id = new_id()
    nurse_client.put(url(conversation_id), json=body(person, visit_id))
    _api_visit(nurse_client, clinic, visit_id, "2025-05-07T11:00:00+02:00")
    moved = stored(conversation_id).updated_at

    again = nurse_client.put(url(conversation_id), json=body(person, visit_id))

    assert again.status_code == 200
    assert stored(conversation_id).updated_at == moved
    assert at(again.json["occurred_at"]) == datetime(2025, 5, 7, 9, 0, tzinfo=UTC)


# --- validation ----------------------------------------------------------------------------


def _without(field):
    def make(person, visit):
        values = body(person, visit)
        del values[field]
        return values

    return make


INVALID_BODIES = {
    "missing person_id": (_without("person_id"), "person_id"),
    "person_id not a uuid": (lambda p, v: body(p, v, person_id="mai"), "person_id"),
    "missing channel": (_without("channel"), "channel"),
    "unknown channel": (lambda p, v: body(p, v, channel="letter"), "channel"),
    "neither visit nor time": (lambda p, v: body(p, None, occurred_at=None), "occurred_at"),
    "channel visit without a visit": (lambda p, v: body(p, None, channel="visit"), "visit_id"),
    "a visit with the channel phone": (lambda p, v: body(p, v, channel="phone"), "channel"),
    "a visit with the channel sms": (lambda p, v: body(p, v, channel="sms"), "channel"),
    "naive occurred_at": (
        lambda p, v: body(p, None, occurred_at="2025-06-01T20:15:00"),
        "occurred_at",
    ),
    "occurred_at as text": (lambda p, v: body(p, None, occurred_at="yesterday"), "occurred_at"),
    "unknown topic": (lambda p, v: body(p, v, topics=["weather"]), "topics"),
    "topics as text": (lambda p, v: body(p, v, topics="health_advice"), "topics"),
    "unknown concern level": (lambda p, v: body(p, v, concern_level="orange"), "concern_level"),
    "unknown indicator": (lambda p, v: body(p, v, indicators=["debt", "sad"]), "indicators"),
    "unknown referral": (lambda p, v: body(p, v, referral="police"), "referral"),
    "language of three letters": (lambda p, v: body(p, v, language="tha"), "language"),
    "unknown language": (lambda p, v: body(p, v, language="qq"), "language"),
    "notes too long": (lambda p, v: body(p, v, notes="x" * 5001), "notes"),
    "unknown field": (lambda p, v: body(p, v, real_name="x"), "real_name"),
}


@pytest.mark.parametrize(("make", "field"), INVALID_BODIES.values(), ids=INVALID_BODIES.keys())
def test_an_invalid_body_answers_422_naming_the_field_and_stores_nothing(
    nurse_client, person, visit, make, field
):
    conversation_id = new_id()

    response = nurse_client.put(url(conversation_id), json=make(person, visit))

    assert field in assert_envelope(response, 422)["errors"]
    assert stored(conversation_id) is None
    assert conversation_count() == 0


def test_an_invalid_body_leaves_an_existing_conversation_unchanged(nurse_client, person, visit):
    conversation_id = new_id()
    nurse_client.put(url(conversation_id), json=body(person, visit))

    response = nurse_client.put(
        url(conversation_id), json=body(person, visit, channel="letter", notes="New")
    )

    assert_envelope(response, 422)
    assert stored(conversation_id).notes == "Talked about the test."


@pytest.mark.parametrize("channel", ["phone", "sms", "drop_in", "other"])
def test_a_conversation_outside_visits_takes_any_other_channel(nurse_client, person, channel):
    response = nurse_client.put(url(new_id()), json=body(person, channel=channel))

    assert response.status_code == 201


# --- references ----------------------------------------------------------------------------


def test_a_person_id_that_does_not_exist_answers_422_on_person_id(nurse_client, person, visit):
    conversation_id = new_id()

    response = nurse_client.put(url(conversation_id), json=body(person, visit, person_id=new_id()))

    assert set(assert_envelope(response, 422)["errors"]) == {"person_id"}
    assert stored(conversation_id) is None


def test_another_organisations_person_answers_422_on_person_id(
    nurse_client, person, visit, other_org, factory
):
    theirs = factory.person(other_org, "Theirs")
    conversation_id = new_id()

    response = nurse_client.put(
        url(conversation_id), json=body(person, visit, person_id=str(theirs.id))
    )

    assert set(assert_envelope(response, 422)["errors"]) == {"person_id"}
    assert "Theirs" not in response.get_data(as_text=True)
    assert stored(conversation_id) is None


def test_a_visit_id_that_does_not_exist_answers_422_on_visit_id(nurse_client, person, visit):
    response = nurse_client.put(url(new_id()), json=body(person, visit, visit_id=new_id()))

    assert set(assert_envelope(response, 422)["errors"]) == {"visit_id"}


def test_another_organisations_visit_answers_422_on_visit_id(
    nurse_client, person, visit, factory, other_org
):
    their_visit = factory.visit(factory.clinic(other_org), VISIT_START)
    conversation_id = new_id()

    response = nurse_client.put(
        url(conversation_id), json=body(person, visit, visit_id=str(their_visit.id))
    )

    assert set(assert_envelope(response, 422)["errors"]) == {"visit_id"}
    assert stored(conversation_id) is None


def test_both_unknown_references_are_named_at_once(nurse_client, person, visit):
    response = nurse_client.put(
        url(new_id()), json=body(person, visit, person_id=new_id(), visit_id=new_id())
    )

    assert set(assert_envelope(response, 422)["errors"]) == {"person_id", "visit_id"}


def test_indicator_codes_come_from_the_callers_organisation(nurse_client, person, other_org):
    other_org.settings = {"supplies": [], "indicators": ["their_indicator"]}
    db.session.flush()

    response = nurse_client.put(url(new_id()), json=body(person, indicators=["their_indicator"]))

    assert "indicators" in assert_envelope(response, 422)["errors"]


# --- tenancy -------------------------------------------------------------------------------


@pytest.fixture
def their_conversation(factory, other_org):
    theirs = factory.person(other_org, "Theirs")
    return factory.conversation(theirs, occurred_at=VISIT_START, notes="theirs")


def test_get_of_another_organisations_conversation_answers_404(nurse_client, their_conversation):
    response = nurse_client.get(url(their_conversation.id))

    assert "errors" not in assert_envelope(response, 404)
    assert "theirs" not in response.get_data(as_text=True)


def test_put_to_another_organisations_conversation_answers_404_and_leaves_it_unchanged(
    nurse_client, person, their_conversation, other_org
):
    updated_at = stored(their_conversation.id).updated_at

    response = nurse_client.put(url(their_conversation.id), json=body(person, notes="Taken"))

    assert_envelope(response, 404)
    row = stored(their_conversation.id)
    assert (row.notes, row.organisation_id, row.updated_at) == ("theirs", other_org.id, updated_at)


def test_without_credentials_a_put_answers_401_and_stores_nothing(client, person, visit):
    conversation_id = new_id()

    response = client.put(url(conversation_id), json=body(person, visit))

    assert_envelope(response, 401)
    assert stored(conversation_id) is None


# --- the list -------------------------------------------------------------------------------


def list_answer(client, **params) -> dict:
    response = client.get("/api/v1/conversations", query_string=params)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.json


def ids(answer) -> list[str]:
    return [c["id"] for c in answer["items"]]


def test_the_list_shows_only_the_callers_organisation(
    coordinator_client, person, their_conversation, factory
):
    ours = factory.conversation(person, occurred_at=VISIT_START)

    assert ids(list_answer(coordinator_client)) == [str(ours.id)]


def test_the_list_is_newest_first(coordinator_client, person, factory):
    older = factory.conversation(person, occurred_at=VISIT_START)
    newer = factory.conversation(person, occurred_at=VISIT_START + timedelta(days=1))

    assert ids(list_answer(coordinator_client)) == [str(newer.id), str(older.id)]


def test_the_list_filters_by_person(coordinator_client, org, person, factory):
    hers = factory.conversation(person, occurred_at=VISIT_START)
    factory.conversation(factory.person(org, "Nok"), occurred_at=VISIT_START)

    assert ids(list_answer(coordinator_client, person_id=str(person.id))) == [str(hers.id)]


def test_the_list_filters_by_visit(coordinator_client, person, visit, factory):
    in_visit = factory.conversation(person, visit, VISIT_START)
    factory.conversation(person, occurred_at=VISIT_START)

    assert ids(list_answer(coordinator_client, visit_id=str(visit.id))) == [str(in_visit.id)]


def test_the_list_pages_with_a_total(coordinator_client, person, factory):
    made = [
        factory.conversation(person, occurred_at=VISIT_START + timedelta(hours=n)) for n in range(5)
    ]
    newest_first = [str(c.id) for c in reversed(made)]

    pages = [list_answer(coordinator_client, per_page=2, page=n) for n in (1, 2, 3)]

    assert [ids(p) for p in pages] == [newest_first[:2], newest_first[2:4], newest_first[4:]]
    assert {p["total"] for p in pages} == {5}


def test_a_bad_list_filter_answers_422_naming_it(coordinator_client):
    response = coordinator_client.get("/api/v1/conversations", query_string={"person_id": "mai"})

    assert "person_id" in assert_envelope(response, 422)["errors"]
