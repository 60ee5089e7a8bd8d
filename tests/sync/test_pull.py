"""GET /api/v1/sync: the phone's pull by the organisation's change sequence. A cursor sent
back answers only what changed since; limits page without losing or repeating a record; one
organisation never sees another's changes."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from outreach.changes import stamp
from outreach.db import db, utcnow
from outreach.persons.models import TOPICS

SUPPLIES = ["condoms", "lubricant", "leaflet_th"]
INDICATORS = ["debt", "no_own_passport"]


@pytest.fixture(autouse=True)
def org_lists(org):
    org.settings = {"supplies": SUPPLIES, "indicators": INDICATORS}
    db.session.flush()


def new_id() -> str:
    return str(uuid.uuid4())


def put(client, collection: str, body: dict, record_id: str | None = None) -> str:
    record_id = record_id or new_id()
    response = client.put(f"/api/v1/{collection}/{record_id}", json=body)
    assert response.status_code in (200, 201), response.get_data(as_text=True)
    return record_id


def put_clinic(client, name="Lotus Massage", record_id=None) -> str:
    body = {
        "name": name,
        "kind": "massage_clinic",
        "address": "Vestergade 3",
        "postcode": "8000",
        "city": "Aarhus C",
        "lat": 56.157,
        "lon": 10.204,
    }
    return put(client, "clinics", body, record_id)


def put_visit(client, clinic_id, started_at=None, record_id=None, **fields) -> str:
    started_at = started_at or utcnow() - timedelta(days=2)
    body = {"clinic_id": clinic_id, "started_at": started_at.isoformat(), "outcome": "admitted"}
    body.update(fields)
    return put(client, "visits", body, record_id)


def put_person(client, alias="Mai", record_id=None, **fields) -> str:
    return put(client, "persons", {"alias": alias, **fields}, record_id)


def pull(client, **params) -> dict:
    response = client.get("/api/v1/sync", query_string=params)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.json


def ids(answer: dict, kind: str) -> list[str]:
    return [row["id"] for row in answer[kind]]


def all_ids(answer: dict) -> list[str]:
    return ids(answer, "clinics") + ids(answer, "visits") + ids(answer, "persons")


# --- the cursor ----------------------------------------------------------------------------


def test_a_new_organisation_pulls_nothing_and_cursor_zero(nurse_client):
    answer = pull(nurse_client)

    assert (answer["cursor"], answer["more"]) == (0, False)
    assert all_ids(answer) == []


def test_a_first_pull_from_cursor_zero_answers_everything(nurse_client):
    clinic = put_clinic(nurse_client)
    visit = put_visit(nurse_client, clinic)
    person = put_person(nurse_client)

    answer = pull(nurse_client, cursor=0)

    assert (ids(answer, "clinics"), ids(answer, "visits"), ids(answer, "persons")) == (
        [clinic],
        [visit],
        [person],
    )
    assert answer["more"] is False


def test_the_cursor_is_the_organisations_latest_change(nurse_client, org):
    put_visit(nurse_client, put_clinic(nurse_client))

    answer = pull(nurse_client)

    db.session.refresh(org)
    assert answer["cursor"] == org.sync_seq > 0


def test_sending_the_cursor_back_answers_nothing_when_nothing_changed(nurse_client):
    put_visit(nurse_client, put_clinic(nurse_client))
    cursor = pull(nurse_client)["cursor"]

    answer = pull(nurse_client, cursor=cursor)

    assert all_ids(answer) == []
    assert (answer["cursor"], answer["more"]) == (cursor, False)


def test_a_change_after_a_pull_appears_in_the_next_pull_exactly_once(nurse_client):
    clinic = put_clinic(nurse_client)
    started_at = utcnow() - timedelta(days=2)  # the same time: a new one sends the clinic too
    visit = put_visit(nurse_client, clinic, started_at=started_at, notes="First")
    first = pull(nurse_client)

    put_visit(nurse_client, clinic, started_at=started_at, record_id=visit, notes="Changed")
    second = pull(nurse_client, cursor=first["cursor"])
    third = pull(nurse_client, cursor=second["cursor"])

    assert all_ids(second) == [visit]
    assert second["visits"][0]["notes"] == "Changed"
    assert all_ids(third) == []


def test_a_new_record_after_a_pull_appears_in_the_next_pull(nurse_client):
    put_clinic(nurse_client)
    cursor = pull(nurse_client)["cursor"]

    person = put_person(nurse_client, "Nok")

    assert all_ids(pull(nurse_client, cursor=cursor)) == [person]


def test_a_resend_that_changes_nothing_does_not_appear_again(nurse_client):
    clinic = put_clinic(nurse_client)
    visit = put_visit(nurse_client, clinic, started_at=datetime(2026, 1, 5, 10, 0, tzinfo=UTC))
    cursor = pull(nurse_client)["cursor"]

    put_visit(
        nurse_client, clinic, started_at=datetime(2026, 1, 5, 10, 0, tzinfo=UTC), record_id=visit
    )

    assert all_ids(pull(nurse_client, cursor=cursor)) == []


def test_a_cursor_from_the_future_answers_nothing_and_keeps_the_cursor(nurse_client):
    put_clinic(nurse_client)

    answer = pull(nurse_client, cursor=10_000)

    assert all_ids(answer) == []
    assert answer["cursor"] == 10_000


# --- paging ---------------------------------------------------------------------------------


def test_a_limit_pages_through_every_change_without_losing_or_repeating_one(nurse_client):
    made = []
    for n in range(7):  # 7 clinics, 10 visits, 8 persons, interleaved: 25 records
        clinic = put_clinic(nurse_client, name=f"Clinic {n}")
        made += [clinic, put_visit(nurse_client, clinic), put_person(nurse_client, f"P{n}")]
    made += [put_visit(nurse_client, clinic) for _ in range(3)]
    made.append(put_person(nurse_client, "Last"))
    assert len(made) == 25

    pages, cursor = [], 0
    while True:
        answer = pull(nurse_client, cursor=cursor, limit=7)
        pages.append(answer)
        assert answer["cursor"] >= cursor
        cursor = answer["cursor"]
        if not answer["more"]:
            break
        assert len(pages) < 10, "the pull never ends"

    pulled = [record_id for page in pages for record_id in all_ids(page)]
    assert [len(all_ids(page)) for page in pages] == [7, 7, 7, 4]
    assert sorted(pulled) == sorted(made)


def test_a_page_answers_the_oldest_changes_first(nurse_client):
    clinic = put_clinic(nurse_client)
    visits = [put_visit(nurse_client, clinic) for _ in range(3)]

    answer = pull(nurse_client, limit=3)

    assert (ids(answer, "clinics"), ids(answer, "visits")) == ([clinic], visits[:2])
    assert answer["more"] is True


def test_a_limit_exactly_reached_says_no_more(nurse_client):
    put_visit(nurse_client, put_clinic(nurse_client))

    answer = pull(nurse_client, limit=2)

    assert len(all_ids(answer)) == 2
    assert answer["more"] is False


def test_a_record_changed_between_pages_comes_again_with_its_latest_state(nurse_client):
    clinic = put_clinic(nurse_client)
    first_visit = put_visit(nurse_client, clinic, notes="First")
    put_visit(nurse_client, clinic)
    page = pull(nurse_client, limit=2)
    assert first_visit in ids(page, "visits")

    put_visit(nurse_client, clinic, record_id=first_visit, notes="Changed")
    rest = pull(nurse_client, cursor=page["cursor"])

    assert [v["notes"] for v in rest["visits"] if v["id"] == first_visit] == ["Changed"]


# --- scope ----------------------------------------------------------------------------------


def test_another_organisations_changes_never_appear(nurse_client, other_coordinator_client):
    ours = put_clinic(nurse_client)
    theirs = put_clinic(other_coordinator_client, name="Theirs")
    put_visit(other_coordinator_client, theirs)
    put_person(other_coordinator_client, "Theirs")

    answer = pull(nurse_client)

    assert all_ids(answer) == [ours]


def test_another_organisations_changes_do_not_move_the_cursor(
    nurse_client, other_coordinator_client
):
    put_clinic(nurse_client)
    cursor = pull(nurse_client)["cursor"]

    put_clinic(other_coordinator_client, name="Theirs")

    assert pull(nurse_client, cursor=cursor)["cursor"] == cursor


def test_visits_older_than_the_phones_history_are_left_out(nurse_client):
    clinic = put_clinic(nurse_client)
    recent = put_visit(nurse_client, clinic, started_at=utcnow() - timedelta(days=30))
    put_visit(nurse_client, clinic, started_at=utcnow() - timedelta(days=500))

    assert ids(pull(nurse_client), "visits") == [recent]


def test_conversations_and_their_notes_never_go_to_the_phone(nurse_client):
    clinic = put_clinic(nurse_client)
    visit = put_visit(nurse_client, clinic)
    person = put_person(nurse_client)
    put(
        nurse_client,
        "conversations",
        {"person_id": person, "visit_id": visit, "channel": "visit", "notes": "Secret-Marker"},
    )

    response = nurse_client.get("/api/v1/sync")

    assert "conversations" not in response.json
    assert "Secret-Marker" not in response.get_data(as_text=True)


# --- persons in the pull ---------------------------------------------------------------------


def test_persons_come_as_the_minimal_matching_index(nurse_client):
    put_person(nurse_client, "Mai", nationality="TH", birth_year=1995, languages=["th"])

    (person,) = pull(nurse_client)["persons"]

    assert set(person) == {
        "id",
        "alias",
        "nationality",
        "birth_year",
        "gender",
        "recent_clinic_ids",
        "last_met_at",
        "last_clinic_id",
        "conversations",
        "merged_into_id",
    }
    assert (person["last_met_at"], person["conversations"]) == (None, 0)  # not talked to yet
    assert (person["alias"], person["nationality"], person["birth_year"]) == ("Mai", "TH", 1995)


def test_a_conversation_brings_the_person_back_with_the_clinic_she_was_met_in(nurse_client):
    clinic = put_clinic(nurse_client)
    visit = put_visit(nurse_client, clinic)
    person = put_person(nurse_client)
    cursor = pull(nurse_client)["cursor"]

    put(
        nurse_client,
        "conversations",
        {"person_id": person, "visit_id": visit, "channel": "visit"},
    )
    answer = pull(nurse_client, cursor=cursor)

    assert [(p["id"], p["recent_clinic_ids"]) for p in answer["persons"]] == [(person, [clinic])]


def test_a_persons_entry_tells_when_and_where_she_was_last_met(nurse_client):
    clinic = put_clinic(nurse_client)
    visit = put_visit(nurse_client, clinic)
    person = put_person(nurse_client)
    put(nurse_client, "conversations", {"person_id": person, "visit_id": visit, "channel": "visit"})

    (entry,) = pull(nurse_client)["persons"]

    assert entry["last_clinic_id"] == clinic
    assert entry["conversations"] == 1
    assert entry["last_met_at"].endswith("+00:00")


def test_a_visit_moved_to_another_clinic_sends_its_persons_again_with_the_new_clinic(
    nurse_client,
):
    first, second = put_clinic(nurse_client), put_clinic(nurse_client, name="Orchid Spa")
    started_at = utcnow() - timedelta(days=2)
    visit = put_visit(nurse_client, first, started_at=started_at)
    person = put_person(nurse_client)
    put(nurse_client, "conversations", {"person_id": person, "visit_id": visit, "channel": "visit"})
    cursor = pull(nurse_client)["cursor"]

    put_visit(nurse_client, second, started_at=started_at, record_id=visit)
    answer = pull(nurse_client, cursor=cursor)

    assert [(p["id"], p["recent_clinic_ids"]) for p in answer["persons"]] == [(person, [second])]


def test_a_conversation_with_a_merged_duplicate_sends_the_kept_person_again(
    nurse_client, coordinator_client
):
    clinic = put_clinic(nurse_client)
    visit = put_visit(nurse_client, clinic)
    kept, duplicate = put_person(nurse_client, "Yasmin"), put_person(nurse_client, "Jassmine")
    coordinator_client.post(
        "/api/v1/person-merges", json={"source_id": duplicate, "target_id": kept}
    )
    cursor = pull(nurse_client)["cursor"]

    put(
        nurse_client,
        "conversations",
        {"person_id": duplicate, "visit_id": visit, "channel": "visit"},
    )
    persons = {p["id"]: p for p in pull(nurse_client, cursor=cursor)["persons"]}

    assert persons[kept]["recent_clinic_ids"] == [clinic]


def test_a_merged_duplicate_comes_with_the_person_it_was_merged_into(
    nurse_client, coordinator_client
):
    kept = put_person(nurse_client, "Yasmin")
    duplicate = put_person(nurse_client, "Jassmine")
    cursor = pull(nurse_client)["cursor"]

    response = coordinator_client.post(
        "/api/v1/person-merges", json={"source_id": duplicate, "target_id": kept}
    )
    assert response.status_code == 201
    answer = pull(nurse_client, cursor=cursor)

    assert {p["id"]: p["merged_into_id"] for p in answer["persons"]} == {duplicate: kept}


def test_an_undone_merge_sends_the_duplicate_again_as_her_own_person(
    nurse_client, coordinator_client
):
    kept = put_person(nurse_client, "Yasmin")
    duplicate = put_person(nurse_client, "Jassmine")
    merge = coordinator_client.post(
        "/api/v1/person-merges", json={"source_id": duplicate, "target_id": kept}
    ).json
    cursor = pull(nurse_client)["cursor"]

    coordinator_client.post(f"/api/v1/person-merges/{merge['id']}/undo")
    answer = pull(nurse_client, cursor=cursor)

    assert {p["id"]: p["merged_into_id"] for p in answer["persons"]} == {duplicate: None}


# --- reference lists, roles and bad queries ---------------------------------------------------


def test_the_reference_lists_come_with_every_pull(nurse_client):
    cursor = pull(nurse_client)["cursor"]

    reference = pull(nurse_client, cursor=cursor)["reference"]

    assert reference["supplies"] == SUPPLIES
    assert reference["indicators"] == INDICATORS
    assert reference["topics"] == list(TOPICS)
    assert reference["channels"] == ["visit", "phone", "sms", "drop_in", "other"]
    assert reference["concern_levels"] == ["green", "yellow", "red"]
    assert reference["not_admitted_reasons"] == ["no_answer", "refused", "closed", "moved", "other"]
    assert "trans_woman" in reference["genders"]
    assert "massage_clinic" in reference["clinic_kinds"]
    assert reference["weekdays"] == ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
    assert reference["visit_outcomes"] == ["admitted", "not_admitted"]
    assert reference["clinic_statuses"] == ["active", "closed", "unknown"]


def test_every_code_list_comes_with_the_label_msgid_of_each_code(nurse_client, nurse):
    """The phone translates the msgids with its catalogue, so labels follow a language switch
    made offline; the msgids are English whatever the caller's language."""
    nurse.locale = "da"
    db.session.flush()
    reference = pull(nurse_client)["reference"]

    assert reference["labels"]["clinic_kinds"]["massage_clinic"] == "Massage clinic"
    assert reference["labels"]["not_admitted_reasons"]["other"] == "Other reason"
    for name, labels in reference["labels"].items():
        assert set(labels) == set(reference[name]), name
        assert all(isinstance(msgid, str) and msgid for msgid in labels.values()), name


def test_the_pull_schema_documents_every_reference_list(org):
    """The answer is dumped through the schema: a list it does not name would be dropped."""
    from outreach.sync.api import ReferenceSchema
    from outreach.sync.queries import reference_lists

    assert set(reference_lists(org.id)) == set(ReferenceSchema().fields)


def test_the_reference_lists_are_the_callers_organisations(nurse_client, other_org):
    other_org.settings = {"supplies": ["gloves"], "indicators": ["theirs"]}
    db.session.flush()

    reference = pull(nurse_client)["reference"]

    assert (reference["supplies"], reference["indicators"]) == (SUPPLIES, INDICATORS)


def test_a_nurse_can_pull(nurse_client):
    assert nurse_client.get("/api/v1/sync").status_code == 200


def test_a_coordinator_can_pull(coordinator_client):
    assert coordinator_client.get("/api/v1/sync").status_code == 200


def test_without_credentials_the_pull_answers_401(client):
    assert client.get("/api/v1/sync").status_code == 401


@pytest.mark.parametrize(
    "params",
    [{"cursor": -1}, {"cursor": "yesterday"}, {"limit": 0}, {"limit": 100000}],
    ids=["negative cursor", "cursor as text", "limit zero", "limit too large"],
)
def test_a_bad_cursor_or_limit_answers_422_naming_it(nurse_client, params):
    response = nurse_client.get("/api/v1/sync", query_string=params)

    assert response.status_code == 422
    assert set(params) <= set(response.json["errors"])


# --- the sequence itself --------------------------------------------------------------------


def test_every_stamp_takes_the_next_number_of_the_rows_organisation(factory, org, other_org):
    ours, theirs = factory.clinic(org), factory.clinic(other_org)  # the factory stamps too
    assert theirs.sync_seq == 1  # the first number of its organisation

    first = ours.sync_seq
    stamp(ours)
    stamp(theirs)
    stamp(ours)
    assert ours.sync_seq == first  # marked only: the numbers are taken at commit

    db.session.commit()
    assert ours.sync_seq == first + 1  # one number a row, however often it was stamped
    assert theirs.sync_seq == 2


def test_the_reference_lists_carry_labels_and_the_organisations_active_staff(
    app, nurse_client, nurse, org, factory
):
    from outreach.db import db

    org.settings = {
        "supplies": ["condoms"],
        "supply_labels": {"condoms": "Kondomer"},
        "indicators": ["debt"],
    }
    colleague = factory.user(org, "nurse")
    gone = factory.user(org, "nurse")
    gone.active = False
    db.session.flush()
    reference = nurse_client.get("/api/v1/sync").json["reference"]
    assert reference["supply_labels"] == {"condoms": "Kondomer"}
    assert reference["indicator_labels"] == {"debt": "Debt"}
    ids = {s["id"] for s in reference["staff"]}
    assert {str(nurse.id), str(colleague.id)} <= ids
    assert str(gone.id) not in ids


def test_the_reference_lists_carry_each_label_in_every_language(nurse_client, nurse, org):
    org.settings = {
        "supplies": ["condoms", "gloves"],
        "supply_labels": {
            "condoms": {"da": "Kondomer", "en": "Condoms"},
            "gloves": {"en": "Gloves"},  # no Danish label: the default language's
        },
        "indicators": ["debt"],  # no label: a known code's built-in one
    }
    db.session.flush()

    reference = nurse_client.get("/api/v1/sync").json["reference"]

    assert reference["supply_labels_by_language"] == {
        "condoms": {"da": "Kondomer", "en": "Condoms"},
        "gloves": {"da": "Gloves", "en": "Gloves"},
    }
    assert reference["indicator_labels_by_language"] == {"debt": {"da": "Gæld", "en": "Debt"}}


def test_a_phone_older_than_labels_per_language_gets_its_users_language(nurse_client, nurse, org):
    """Older phones read `supply_labels` as {code: string}: it stays one, in the language of
    the account that pulls."""
    org.settings = {
        "supplies": ["condoms"],
        "supply_labels": {"condoms": {"da": "Kondomer", "en": "Condoms"}},
    }
    nurse.locale = "da"
    db.session.flush()

    reference = nurse_client.get("/api/v1/sync").json["reference"]

    assert reference["supply_labels"] == {"condoms": "Kondomer"}


def test_a_pull_that_carries_persons_writes_one_audit_event(app, nurse_client, nurse, org):
    from sqlalchemy import select

    from outreach.audit.models import AuditEvent
    from outreach.db import db
    from outreach.persons.services import put_person

    put_person(
        nurse,
        uuid.uuid4(),
        {
            "alias": "Mai",
            "nationality": "TH",
            "birth_year": 1990,
            "gender": "woman",
            "languages": [],
        },
    )
    db.session.commit()
    nurse_client.get("/api/v1/sync")
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "sync.pull")).all()
    assert [(e.user_id, e.details) for e in events] == [(nurse.id, {"count": 1, "visits": 0})]


# --- each clinic's last visit ------------------------------------------------------------------


def clinic_in(answer: dict, clinic_id: str) -> dict:
    (clinic,) = [c for c in answer["clinics"] if c["id"] == clinic_id]
    return clinic


def same_instant(text: str, when: datetime) -> bool:
    return datetime.fromisoformat(text) == when


def test_a_clinic_comes_with_its_last_visit_also_one_older_than_the_phones_history(nurse_client):
    clinic = put_clinic(nurse_client)
    long_ago = (utcnow() - timedelta(days=500)).replace(microsecond=0)
    put_visit(nurse_client, clinic, started_at=long_ago - timedelta(days=30))
    put_visit(nurse_client, clinic, started_at=long_ago)

    answer = pull(nurse_client)

    assert ids(answer, "visits") == []  # the phone keeps no visit this old ...
    assert same_instant(clinic_in(answer, clinic)["last_visit_at"], long_ago)  # ... yet knows


def test_a_clinic_never_visited_comes_with_no_last_visit(nurse_client):
    clinic = put_clinic(nurse_client)

    assert clinic_in(pull(nurse_client), clinic)["last_visit_at"] is None


def test_a_new_visit_sends_its_clinic_again_with_the_new_date(nurse_client):
    clinic, other = put_clinic(nurse_client), put_clinic(nurse_client, name="Orchid Spa")
    put_visit(nurse_client, clinic, started_at=utcnow() - timedelta(days=450))
    cursor = pull(nurse_client)["cursor"]

    now = utcnow().replace(microsecond=0)
    visit = put_visit(nurse_client, clinic, started_at=now)
    answer = pull(nurse_client, cursor=cursor)

    assert ids(answer, "clinics") == [clinic]  # not the clinic without a new visit
    assert ids(answer, "visits") == [visit]
    assert same_instant(clinic_in(answer, clinic)["last_visit_at"], now)
    assert other not in all_ids(answer)


def test_a_visit_moved_to_another_clinic_sends_both_clinics_with_their_new_dates(nurse_client):
    first, second = put_clinic(nurse_client), put_clinic(nurse_client, name="Orchid Spa")
    started_at = utcnow().replace(microsecond=0) - timedelta(days=2)
    visit = put_visit(nurse_client, first, started_at=started_at)
    cursor = pull(nurse_client)["cursor"]

    put_visit(nurse_client, second, started_at=started_at, record_id=visit)
    answer = pull(nurse_client, cursor=cursor)

    assert sorted(ids(answer, "clinics")) == sorted([first, second])
    assert clinic_in(answer, first)["last_visit_at"] is None
    assert same_instant(clinic_in(answer, second)["last_visit_at"], started_at)


def test_a_visit_given_another_time_sends_its_clinic_again(nurse_client):
    clinic = put_clinic(nurse_client)
    started_at = utcnow().replace(microsecond=0) - timedelta(days=3)
    visit = put_visit(nurse_client, clinic, started_at=started_at)
    cursor = pull(nurse_client)["cursor"]

    put_visit(nurse_client, clinic, started_at=started_at + timedelta(days=1), record_id=visit)
    answer = pull(nurse_client, cursor=cursor)

    assert same_instant(clinic_in(answer, clinic)["last_visit_at"], started_at + timedelta(days=1))


def test_a_visit_changed_otherwise_does_not_send_its_clinic_again(nurse_client):
    clinic = put_clinic(nurse_client)
    started_at = utcnow() - timedelta(days=2)
    visit = put_visit(nurse_client, clinic, started_at=started_at, notes="First")
    cursor = pull(nurse_client)["cursor"]

    put_visit(nurse_client, clinic, started_at=started_at, record_id=visit, notes="Changed")

    assert ids(pull(nurse_client, cursor=cursor), "clinics") == []


def test_a_new_visit_leaves_the_clinics_etag_and_record_unchanged(nurse_client):
    clinic = put_clinic(nurse_client)
    before = nurse_client.get(f"/api/v1/clinics/{clinic}")

    put_visit(nurse_client, clinic)
    after = nurse_client.get(f"/api/v1/clinics/{clinic}")

    assert after.headers["ETag"] == before.headers["ETag"]
    assert after.json == before.json
    assert "last_visit_at" not in after.json
