"""/api/v1/visits: the create-or-replace contract of DESIGN.md §4, validation, references,
tenancy and the list."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from outreach.audit.models import AuditEvent
from outreach.db import db
from outreach.visits.models import Visit
from tests.conftest import assert_envelope

SUPPLIES = ["condoms", "lubricant", "leaflet_th"]
INDICATORS = ["debt", "no_own_passport", "lives_at_workplace"]
REPRESENTATION_FIELDS = {
    "id",
    "clinic_id",
    "started_at",
    "ended_at",
    "outcome",
    "not_admitted_reason",
    "staff",
    "persons_present",
    "supplies",
    "concern_level",
    "indicators",
    "police_informed",
    "police_informed_at",
    "police_note",
    "notes",
    "created_at",
    "updated_at",
}


@pytest.fixture(autouse=True)
def org_lists(org):
    """The organisation's supply and indicator lists (a new organisation has none)."""
    org.settings = {"supplies": SUPPLIES, "indicators": INDICATORS}
    db.session.flush()


@pytest.fixture
def clinic(factory, org):
    return factory.clinic(org, name="Lotus Massage")


def url(visit_id) -> str:
    return f"/api/v1/visits/{visit_id}"


def new_id() -> str:
    return str(uuid.uuid4())


def body(clinic, **overrides) -> dict:
    """A valid admitted visit as the phone sends it (Copenhagen summer time)."""
    values = {
        "clinic_id": str(clinic.id),
        "started_at": "2025-05-06T14:30:00+02:00",
        "ended_at": "2025-05-06T15:05:00+02:00",
        "outcome": "admitted",
        "persons_present": 2,
        "supplies": {"condoms": 50, "leaflet_th": 2},
        "concern_level": "green",
        "indicators": [],
        "police_informed": False,
        "notes": "Two women, one new.",
    }
    values.update(overrides)
    return values


def not_admitted(clinic, **overrides) -> dict:
    values = body(
        clinic,
        outcome="not_admitted",
        not_admitted_reason="no_answer",
        ended_at=None,
        persons_present=None,
        supplies={},
        concern_level=None,
        notes=None,
    )
    values.update(overrides)
    return values


def stored(visit_id) -> Visit | None:
    db.session.expire_all()
    return db.session.get(Visit, uuid.UUID(str(visit_id)))


def visit_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Visit))


def audit_actions() -> list[str]:
    return list(db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.at)))


def in_days(days: int) -> str:
    return (datetime.now(UTC) + timedelta(days=days)).isoformat()


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


# --- create-or-replace -------------------------------------------------------------------


def test_put_with_a_new_id_creates_the_visit_and_answers_201_with_an_etag(nurse_client, clinic):
    visit_id = new_id()

    response = nurse_client.put(url(visit_id), json=body(clinic))

    assert response.status_code == 201
    assert response.headers["ETag"].startswith('"')
    assert response.json["id"] == visit_id
    assert stored(visit_id).clinic_id == clinic.id


def test_the_created_answer_is_the_stored_representation(nurse_client, clinic):
    visit_id = new_id()

    created = nurse_client.put(url(visit_id), json=body(clinic))
    read = nurse_client.get(url(visit_id))

    assert set(created.json) == REPRESENTATION_FIELDS
    assert created.json == read.json
    assert created.headers["ETag"] == read.headers["ETag"]


def test_the_representation_holds_what_was_sent(nurse_client, clinic):
    answer = nurse_client.put(url(new_id()), json=body(clinic)).json

    assert answer["clinic_id"] == str(clinic.id)
    assert at(answer["started_at"]) == datetime(2025, 5, 6, 12, 30, tzinfo=UTC)
    assert at(answer["ended_at"]) == datetime(2025, 5, 6, 13, 5, tzinfo=UTC)
    assert answer["outcome"] == "admitted"
    assert answer["persons_present"] == 2
    assert answer["supplies"] == {"condoms": 50, "leaflet_th": 2}
    assert answer["concern_level"] == "green"
    assert answer["police_informed"] is False
    assert answer["notes"] == "Two women, one new."


def test_timestamps_are_stored_in_utc(nurse_client, clinic):
    visit_id = new_id()

    nurse_client.put(url(visit_id), json=body(clinic))

    assert stored(visit_id).started_at == datetime(2025, 5, 6, 12, 30, tzinfo=UTC)
    assert stored(visit_id).started_at.utcoffset() == timedelta(0)


def test_resending_the_same_body_answers_200_and_changes_nothing(nurse_client, clinic):
    visit_id = new_id()
    first = nurse_client.put(url(visit_id), json=body(clinic))
    before = stored(visit_id)
    updated_at, sync_seq = before.updated_at, before.sync_seq
    events = audit_actions()

    again = nurse_client.put(url(visit_id), json=body(clinic))

    assert again.status_code == 200
    assert again.headers["ETag"] == first.headers["ETag"]
    assert again.json == first.json
    assert (stored(visit_id).updated_at, stored(visit_id).sync_seq) == (updated_at, sync_seq)
    assert audit_actions() == events
    assert visit_count() == 1


def test_resending_the_same_instant_in_another_offset_changes_nothing(nurse_client, clinic):
    visit_id = new_id()
    first = nurse_client.put(url(visit_id), json=body(clinic))

    again = nurse_client.put(
        url(visit_id),
        json=body(clinic, started_at="2025-05-06T12:30:00Z", ended_at="2025-05-06T13:05:00+00:00"),
    )

    assert again.status_code == 200
    assert again.headers["ETag"] == first.headers["ETag"]


def test_resending_supplies_with_a_zero_count_changes_nothing(nurse_client, clinic):
    visit_id = new_id()
    first = nurse_client.put(url(visit_id), json=body(clinic))

    again = nurse_client.put(
        url(visit_id), json=body(clinic, supplies={"leaflet_th": 2, "condoms": 50, "lubricant": 0})
    )

    assert again.headers["ETag"] == first.headers["ETag"]


def test_put_with_a_different_body_replaces_the_visit(nurse_client, clinic):
    visit_id = new_id()
    first = nurse_client.put(url(visit_id), json=body(clinic))

    response = nurse_client.put(url(visit_id), json=body(clinic, persons_present=3))

    assert response.status_code == 200
    assert response.json["persons_present"] == 3
    assert response.headers["ETag"] != first.headers["ETag"]
    assert stored(visit_id).persons_present == 3
    assert visit_count() == 1


def test_a_replacement_gets_a_new_sync_sequence_number(nurse_client, clinic):
    visit_id = new_id()
    nurse_client.put(url(visit_id), json=body(clinic))
    first_seq = stored(visit_id).sync_seq

    nurse_client.put(url(visit_id), json=body(clinic, notes="Changed"))

    assert stored(visit_id).sync_seq > first_seq


def test_replacing_clears_the_optional_fields_left_out(nurse_client, clinic):
    visit_id = new_id()
    nurse_client.put(url(visit_id), json=body(clinic))
    replacement = body(clinic)
    del replacement["notes"], replacement["supplies"]

    answer = nurse_client.put(url(visit_id), json=replacement).json

    assert (answer["notes"], answer["supplies"]) == (None, {})


def test_creating_and_replacing_write_one_audit_event_each(nurse_client, clinic):
    visit_id = new_id()
    before = len(audit_actions())

    nurse_client.put(url(visit_id), json=body(clinic))
    nurse_client.put(url(visit_id), json=body(clinic, notes="Changed"))

    assert audit_actions()[before:] == ["visit.create", "visit.update"]


def test_if_match_with_an_out_of_date_etag_answers_412_and_changes_nothing(nurse_client, clinic):
    visit_id = new_id()
    old_tag = nurse_client.put(url(visit_id), json=body(clinic)).headers["ETag"]
    nurse_client.put(url(visit_id), json=body(clinic, notes="By a colleague"))
    updated_at = stored(visit_id).updated_at

    response = nurse_client.put(
        url(visit_id), json=body(clinic, notes="Mine"), headers={"If-Match": old_tag}
    )

    assert_envelope(response, 412)
    assert stored(visit_id).notes == "By a colleague"
    assert stored(visit_id).updated_at == updated_at


def test_if_match_with_the_current_etag_replaces(nurse_client, clinic):
    visit_id = new_id()
    tag = nurse_client.put(url(visit_id), json=body(clinic)).headers["ETag"]

    response = nurse_client.put(
        url(visit_id), json=body(clinic, notes="Mine"), headers={"If-Match": tag}
    )

    assert response.status_code == 200
    assert stored(visit_id).notes == "Mine"


def test_if_match_on_an_id_that_does_not_exist_answers_412_and_creates_nothing(
    nurse_client, clinic
):
    visit_id = new_id()

    response = nurse_client.put(url(visit_id), json=body(clinic), headers={"If-Match": '"x"'})

    assert_envelope(response, 412)
    assert stored(visit_id) is None


def test_a_not_admitted_visit_is_stored_with_its_reason(nurse_client, clinic):
    answer = nurse_client.put(
        url(new_id()), json=not_admitted(clinic, not_admitted_reason="closed")
    )

    assert answer.status_code == 201
    assert (answer.json["outcome"], answer.json["not_admitted_reason"]) == (
        "not_admitted",
        "closed",
    )


def test_a_police_informed_visit_keeps_when_and_a_note(nurse_client, clinic):
    answer = nurse_client.put(
        url(new_id()),
        json=body(
            clinic,
            concern_level="red",
            indicators=["no_own_passport", "debt"],
            police_informed=True,
            police_informed_at="2025-05-06T16:00:00+02:00",
            police_note="Called the duty officer.",
        ),
    ).json

    assert answer["police_informed"] is True
    assert at(answer["police_informed_at"]) == datetime(2025, 5, 6, 14, 0, tzinfo=UTC)
    assert answer["indicators"] == ["debt", "no_own_passport"]


def test_staff_of_the_organisation_are_stored(nurse_client, nurse, factory, org, clinic):
    colleague = factory.user(org, "nurse")

    answer = nurse_client.put(
        url(new_id()), json=body(clinic, staff=[str(nurse.id), str(colleague.id)])
    ).json

    assert sorted(answer["staff"]) == sorted([str(nurse.id), str(colleague.id)])


# --- validation ----------------------------------------------------------------------------


def _without(field):
    def make(clinic):
        values = body(clinic)
        del values[field]
        return values

    return make


INVALID_BODIES = {
    "missing clinic_id": (_without("clinic_id"), "clinic_id"),
    "clinic_id not a uuid": (lambda c: body(c, clinic_id="lotus"), "clinic_id"),
    "missing started_at": (_without("started_at"), "started_at"),
    "missing outcome": (_without("outcome"), "outcome"),
    "unknown outcome": (lambda c: body(c, outcome="maybe"), "outcome"),
    "naive started_at": (lambda c: body(c, started_at="2025-05-06T14:30:00"), "started_at"),
    "naive ended_at": (lambda c: body(c, ended_at="2025-05-06T15:05:00"), "ended_at"),
    "started_at as a date": (lambda c: body(c, started_at="2025-05-06"), "started_at"),
    "started_at as text": (lambda c: body(c, started_at="this afternoon"), "started_at"),
    "not admitted without a reason": (
        lambda c: not_admitted(c, not_admitted_reason=None),
        "not_admitted_reason",
    ),
    "unknown reason": (
        lambda c: not_admitted(c, not_admitted_reason="asleep"),
        "not_admitted_reason",
    ),
    "admitted with a reason": (
        lambda c: body(c, not_admitted_reason="refused"),
        "not_admitted_reason",
    ),
    "ended before it started": (
        lambda c: body(c, ended_at="2025-05-06T14:00:00+02:00"),
        "ended_at",
    ),
    "unknown concern level": (lambda c: body(c, concern_level="orange"), "concern_level"),
    "unknown supply code": (lambda c: body(c, supplies={"condoms": 5, "gloves": 2}), "supplies"),
    "supply code in capitals": (lambda c: body(c, supplies={"Condoms": 5}), "supplies"),
    "negative supply count": (lambda c: body(c, supplies={"condoms": -1}), "supplies.condoms"),
    "supply count as text": (lambda c: body(c, supplies={"condoms": "many"}), "supplies.condoms"),
    "fractional supply count": (
        lambda c: body(c, supplies={"condoms": 50, "lubricant": 2.5}),
        "supplies.lubricant",
    ),
    "supply count above the hard ceiling": (
        lambda c: body(c, supplies={"condoms": 99_999}),
        "supplies.condoms",
    ),
    "fractional persons present": (lambda c: body(c, persons_present=2.5), "persons_present"),
    "admitted with no one present": (lambda c: body(c, persons_present=0), "persons_present"),
    "started in the future": (
        lambda c: body(c, started_at=in_days(2), ended_at=None),
        "started_at",
    ),
    "ended in the future": (lambda c: body(c, ended_at=in_days(1)), "ended_at"),
    "police informed in the future": (
        lambda c: body(c, police_informed=True, police_informed_at=in_days(1)),
        "police_informed_at",
    ),
    "unknown indicator": (lambda c: body(c, indicators=["debt", "sad"]), "indicators"),
    "negative persons present": (lambda c: body(c, persons_present=-1), "persons_present"),
    "staff not a uuid": (lambda c: body(c, staff=["nina"]), "staff"),
    "police note without police informed": (
        lambda c: body(c, police_note="Called them"),
        "police_informed",
    ),
    "police_informed as text": (lambda c: body(c, police_informed="yes please"), "police_informed"),
    "notes as a number": (lambda c: body(c, notes=42), "notes"),
    "unknown field": (lambda c: body(c, mood="tired"), "mood"),
    "organisation_id in the body": (
        lambda c: body(c, organisation_id=str(uuid.uuid4())),
        "organisation_id",
    ),
}


@pytest.mark.parametrize(("make", "field"), INVALID_BODIES.values(), ids=INVALID_BODIES.keys())
def test_an_invalid_body_answers_422_naming_the_field_and_stores_nothing(
    nurse_client, clinic, make, field
):
    visit_id = new_id()

    response = nurse_client.put(url(visit_id), json=make(clinic))

    errors = assert_envelope(response, 422)["errors"]
    assert field in errors
    assert stored(visit_id) is None
    assert visit_count() == 0


def test_an_invalid_body_leaves_an_existing_visit_unchanged(nurse_client, clinic):
    visit_id = new_id()
    nurse_client.put(url(visit_id), json=body(clinic))

    response = nurse_client.put(url(visit_id), json=body(clinic, outcome="maybe", notes="New"))

    assert_envelope(response, 422)
    assert stored(visit_id).notes == "Two women, one new."


def test_every_invalid_field_is_named_at_once(nurse_client, clinic):
    response = nurse_client.put(
        url(new_id()), json=body(clinic, outcome="maybe", concern_level="orange", mood="tired")
    )

    assert {"outcome", "concern_level", "mood"} <= set(assert_envelope(response, 422)["errors"])


# --- references ----------------------------------------------------------------------------


def test_a_clinic_id_that_does_not_exist_answers_422_on_clinic_id(nurse_client, clinic):
    visit_id = new_id()

    response = nurse_client.put(url(visit_id), json=body(clinic, clinic_id=new_id()))

    assert set(assert_envelope(response, 422)["errors"]) == {"clinic_id"}
    assert stored(visit_id) is None


def test_another_organisations_clinic_answers_422_on_clinic_id(
    nurse_client, clinic, factory, other_org
):
    theirs = factory.clinic(other_org, name="Their clinic")
    visit_id = new_id()

    response = nurse_client.put(url(visit_id), json=body(clinic, clinic_id=str(theirs.id)))

    assert set(assert_envelope(response, 422)["errors"]) == {"clinic_id"}
    assert "Their clinic" not in response.get_data(as_text=True)
    assert stored(visit_id) is None


def test_a_staff_member_of_another_organisation_answers_422_on_staff(
    nurse_client, nurse, clinic, factory, other_org
):
    stranger = factory.user(other_org, "nurse")
    visit_id = new_id()

    response = nurse_client.put(
        url(visit_id), json=body(clinic, staff=[str(nurse.id), str(stranger.id)])
    )

    assert set(assert_envelope(response, 422)["errors"]) == {"staff"}
    assert stored(visit_id) is None


def test_a_staff_id_that_does_not_exist_answers_422_on_staff(nurse_client, clinic):
    response = nurse_client.put(url(new_id()), json=body(clinic, staff=[new_id()]))

    assert set(assert_envelope(response, 422)["errors"]) == {"staff"}


def test_supply_codes_come_from_the_callers_organisation(nurse_client, clinic, other_org):
    other_org.settings = {"supplies": ["gloves"], "indicators": []}
    db.session.flush()

    response = nurse_client.put(url(new_id()), json=body(clinic, supplies={"gloves": 1}))

    assert "supplies" in assert_envelope(response, 422)["errors"]


# --- tenancy -------------------------------------------------------------------------------


@pytest.fixture
def their_visit(factory, other_org):
    theirs = factory.clinic(other_org, name="Their clinic")
    return factory.visit(
        theirs, datetime(2025, 5, 1, 10, 0, tzinfo=UTC), notes="theirs", persons_present=1
    )


def test_get_of_another_organisations_visit_answers_404(nurse_client, their_visit):
    response = nurse_client.get(url(their_visit.id))

    assert "errors" not in assert_envelope(response, 404)
    assert "theirs" not in response.get_data(as_text=True)


def test_put_to_another_organisations_visit_answers_404_and_leaves_it_unchanged(
    nurse_client, clinic, their_visit, other_org
):
    updated_at = stored(their_visit.id).updated_at

    response = nurse_client.put(url(their_visit.id), json=body(clinic, notes="Taken over"))

    assert_envelope(response, 404)
    row = stored(their_visit.id)
    assert (row.notes, row.organisation_id, row.updated_at) == ("theirs", other_org.id, updated_at)


def test_put_to_another_organisations_visit_with_if_match_also_answers_404(
    nurse_client, clinic, their_visit
):
    response = nurse_client.put(url(their_visit.id), json=body(clinic), headers={"If-Match": '"x"'})

    assert_envelope(response, 404)


def test_get_of_an_unknown_id_answers_404(nurse_client):
    assert_envelope(nurse_client.get(url(new_id())), 404)


def test_without_credentials_a_put_answers_401_and_stores_nothing(client, clinic):
    visit_id = new_id()

    response = client.put(url(visit_id), json=body(clinic))

    assert_envelope(response, 401)
    assert stored(visit_id) is None


# --- the list -------------------------------------------------------------------------------


def list_ids(client, **params) -> list[str]:
    response = client.get("/api/v1/visits", query_string=params)
    assert response.status_code == 200, response.get_data(as_text=True)
    return [v["id"] for v in response.json["items"]]


def day(n: int) -> datetime:
    return datetime(2025, 3, 1, 10, 0, tzinfo=UTC) + timedelta(days=n)


def test_the_list_shows_only_the_callers_organisation(
    coordinator_client, clinic, their_visit, factory
):
    ours = factory.visit(clinic, day(0))

    assert list_ids(coordinator_client) == [str(ours.id)]


def test_the_list_is_newest_first(coordinator_client, clinic, factory):
    older = factory.visit(clinic, day(0))
    newer = factory.visit(clinic, day(5))

    assert list_ids(coordinator_client) == [str(newer.id), str(older.id)]


def test_the_list_filters_by_clinic(coordinator_client, clinic, factory, org):
    ours = factory.visit(clinic, day(0))
    factory.visit(factory.clinic(org), day(1))

    assert list_ids(coordinator_client, clinic_id=str(clinic.id)) == [str(ours.id)]


def test_the_list_filters_by_outcome(coordinator_client, clinic, factory):
    factory.visit(clinic, day(0))
    refused = factory.visit(clinic, day(1), outcome="not_admitted", not_admitted_reason="refused")

    assert list_ids(coordinator_client, outcome="not_admitted") == [str(refused.id)]


def test_the_list_filters_by_a_time_window_including_since_and_excluding_until(
    coordinator_client, clinic, factory
):
    factory.visit(clinic, day(0))
    inside = factory.visit(clinic, day(1))
    factory.visit(clinic, day(2))

    ids = list_ids(coordinator_client, since=day(1).isoformat(), until=day(2).isoformat())

    assert ids == [str(inside.id)]


def test_the_list_pages_with_a_total(coordinator_client, clinic, factory):
    visits = [factory.visit(clinic, day(n)) for n in range(5)]
    newest_first = [str(v.id) for v in reversed(visits)]

    first = coordinator_client.get("/api/v1/visits", query_string={"per_page": 2}).json
    third = coordinator_client.get("/api/v1/visits", query_string={"per_page": 2, "page": 3}).json

    assert (first["total"], first["page"], first["per_page"]) == (5, 1, 2)
    assert [v["id"] for v in first["items"]] == newest_first[:2]
    assert [v["id"] for v in third["items"]] == newest_first[4:]


def test_a_page_past_the_end_is_empty(coordinator_client, clinic, factory):
    factory.visit(clinic, day(0))

    answer = coordinator_client.get("/api/v1/visits", query_string={"page": 9}).json

    assert (answer["items"], answer["total"]) == ([], 1)


BAD_FILTERS = {
    "naive since": {"since": "2025-03-01T10:00:00"},
    "unknown outcome": {"outcome": "maybe"},
    "page zero": {"page": 0},
    "huge page size": {"per_page": 100000},
    "clinic_id not a uuid": {"clinic_id": "lotus"},
}


@pytest.mark.parametrize("params", BAD_FILTERS.values(), ids=BAD_FILTERS.keys())
def test_a_bad_filter_answers_422_naming_it(coordinator_client, params):
    response = coordinator_client.get("/api/v1/visits", query_string=params)

    assert set(params) <= set(assert_envelope(response, 422)["errors"])


def test_a_visit_keeps_saving_after_its_supply_code_is_taken_off_the_list(
    app, coordinator_client, coordinator, org, factory
):
    from outreach.orgs.services import set_code_list

    org.settings = {"supplies": ["condoms", "lubricant"], "indicators": []}
    clinic = factory.clinic(org)
    body = {
        "clinic_id": str(clinic.id),
        "started_at": "2026-03-02T10:00:00+01:00",
        "outcome": "admitted",
        "supplies": {"lubricant": 5},
    }
    visit_id = uuid.uuid4()
    assert coordinator_client.put(f"/api/v1/visits/{visit_id}", json=body).status_code == 201
    set_code_list(org, "supplies", [("condoms", "Condoms")], actor=coordinator)
    resend = coordinator_client.put(f"/api/v1/visits/{visit_id}", json=body)
    assert resend.status_code == 200


def test_a_code_the_organisation_never_had_is_still_refused(coordinator_client, org, factory):
    org.settings = {"supplies": ["condoms"], "indicators": []}
    clinic = factory.clinic(org)
    body = {
        "clinic_id": str(clinic.id),
        "started_at": "2026-03-02T10:00:00+01:00",
        "outcome": "admitted",
        "supplies": {"caviar": 1},
    }
    answer = coordinator_client.put(f"/api/v1/visits/{uuid.uuid4()}", json=body)
    assert answer.status_code == 422
    assert "supplies" in answer.json["errors"]


def test_a_weak_etag_in_if_match_never_matches(coordinator_client, org, factory):
    clinic = factory.clinic(org)
    body = {
        "clinic_id": str(clinic.id),
        "started_at": "2026-03-02T10:00:00+01:00",
        "outcome": "admitted",
    }
    visit_id = uuid.uuid4()
    tag = coordinator_client.put(f"/api/v1/visits/{visit_id}", json=body).headers["ETag"]
    answer = coordinator_client.put(
        f"/api/v1/visits/{visit_id}", json={**body, "notes": "x"}, headers={"If-Match": "W/" + tag}
    )
    assert answer.status_code == 412


# --- a deadlock victim runs again ----------------------------------------------------------


class _Deadlock(Exception):
    sqlstate = "40P01"  # what psycopg gives PostgreSQL's deadlock_detected


@pytest.mark.parametrize(("sqlstate", "answered"), [("40P01", 201), ("40001", 201), ("57014", 500)])
def test_a_put_ended_as_a_deadlock_victim_runs_again_and_answers(
    nurse_client, clinic, monkeypatch, sqlstate, answered
):
    from sqlalchemy.exc import OperationalError

    from outreach.visits import services

    real, calls = services.put_visit, []

    def put_visit(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:  # the first attempt wrote, then PostgreSQL ended it
            real(*args, **kwargs)
            db.session.flush()
            orig = _Deadlock()
            orig.sqlstate = sqlstate
            raise OperationalError("UPDATE clinics ...", {}, orig)
        return real(*args, **kwargs)

    monkeypatch.setattr(services, "put_visit", put_visit)
    visit_id = new_id()
    response = nurse_client.put(url(visit_id), json=body(clinic))

    assert response.status_code == answered
    if answered == 201:
        assert len(calls) == 2
        assert visit_count() == 1 and stored(visit_id) is not None  # once, not twice
    else:  # a statement timeout is not a deadlock: no second run, the 500 envelope
        assert len(calls) == 1
        assert_envelope(response, 500)
        assert visit_count() == 0


def test_a_put_that_sqlite_kept_waiting_for_its_write_lock_runs_again(
    nurse_client, clinic, monkeypatch
):
    import sqlite3

    from sqlalchemy.exc import OperationalError

    from outreach.visits import services

    real, calls = services.put_visit, []

    def put_visit(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise OperationalError(
                "BEGIN IMMEDIATE", {}, sqlite3.OperationalError("database is locked")
            )
        return real(*args, **kwargs)

    monkeypatch.setattr(services, "put_visit", put_visit)
    response = nurse_client.put(url(new_id()), json=body(clinic))

    assert response.status_code == 201 and len(calls) == 2
