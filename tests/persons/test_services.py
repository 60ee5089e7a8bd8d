"""Person services without HTTP: who counts as first-time before and after merges, merge
chains and their undoing, who may merge, the audit trail and the phone's person index."""

import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from outreach.audit.models import AuditEvent
from outreach.db import db, utcnow
from outreach.errors import FieldErrors
from outreach.persons import queries, services
from outreach.persons.models import Person
from outreach.records import NotAllowed

CPH = ZoneInfo("Europe/Copenhagen")


def year(y: int) -> tuple[datetime, datetime]:
    """A calendar year in Copenhagen time, as the figures count it."""
    return datetime(y, 1, 1, tzinfo=CPH), datetime(y + 1, 1, 1, tzinfo=CPH)


def first_met(factory, org, alias: str, at: datetime) -> Person:
    """A person whose first conversation (by phone) was at `at`."""
    person = factory.person(org, alias)
    factory.conversation(person, occurred_at=at)
    return person


def first_time(org, y: int) -> set[uuid.UUID]:
    return queries.first_time_person_ids(org.id, *year(y))


def fresh(person: Person) -> Person:
    db.session.commit()  # as a request would: the changed rows get their numbers
    return db.session.get(Person, person.id)


def audit_actions() -> list[str]:
    return list(db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.at)))


@pytest.fixture
def anna(org, factory):
    """First met in March 2019, and met again in 2020."""
    person = first_met(factory, org, "Anna", datetime(2019, 3, 12, 14, 0, tzinfo=UTC))
    factory.conversation(person, occurred_at=datetime(2020, 6, 2, 11, 0, tzinfo=UTC))
    return person


@pytest.fixture
def anja(org, factory):
    """First met in May 2020: a new contact that year, unless she is Anna."""
    return first_met(factory, org, "Anja", datetime(2020, 5, 20, 15, 0, tzinfo=UTC))


# --- first-time contacts ------------------------------------------------------------------


def test_a_person_first_met_in_the_year_is_a_first_time_contact_that_year(org, anna, anja):
    assert first_time(org, 2020) == {anja.id}


def test_a_person_met_before_the_year_is_not_a_first_time_contact_again(org, anna, anja):
    assert anna.id not in first_time(org, 2020)
    assert first_time(org, 2019) == {anna.id}


def test_after_a_merge_the_duplicate_counts_as_the_person_first_met_earlier(
    org, coordinator, anna, anja
):
    services.merge_persons(coordinator, anja.id, anna.id)

    assert first_time(org, 2020) == set()
    assert first_time(org, 2019) == {anna.id}


def test_after_undoing_the_merge_the_duplicate_is_first_time_again(org, coordinator, anna, anja):
    merge = services.merge_persons(coordinator, anja.id, anna.id)

    services.unmerge_persons(coordinator, merge.id)

    assert first_time(org, 2020) == {anja.id}


def test_the_earliest_meeting_counts_whichever_record_is_kept(org, coordinator, anna, anja):
    services.merge_persons(coordinator, anna.id, anja.id)

    assert first_time(org, 2020) == set()
    assert first_time(org, 2019) == {anja.id}


def test_the_first_contact_time_includes_the_merged_records(org, coordinator, anna, anja):
    services.merge_persons(coordinator, anna.id, anja.id)
    first = queries.first_contact_at(org.id, fresh(anja))

    assert first == datetime(2019, 3, 12, 14, 0, tzinfo=UTC)


def test_a_person_without_conversations_is_no_first_time_contact(org, factory):
    factory.person(org, "Nok")

    assert first_time(org, 2020) == set()


def test_the_year_is_counted_in_copenhagen_time(org, factory):
    # 23:30 UTC on New Year's Eve is already 00:30 on New Year's Day in Copenhagen.
    person = first_met(factory, org, "Lin", datetime(2019, 12, 31, 23, 30, tzinfo=UTC))

    assert first_time(org, 2020) == {person.id}
    assert first_time(org, 2019) == set()


def test_first_time_contacts_are_counted_per_organisation(org, other_org, anja, factory):
    first_met(factory, other_org, "Anja", datetime(2018, 1, 5, 12, 0, tzinfo=UTC))

    assert first_time(org, 2020) == {anja.id}
    assert first_time(other_org, 2020) == set()


# --- merge chains ---------------------------------------------------------------------------


@pytest.fixture
def trio(org, factory):
    return tuple(factory.person(org, alias) for alias in ("Mai", "May", "Maj"))


def test_merging_a_merged_group_moves_every_member(coordinator, trio):
    a, b, c = trio
    services.merge_persons(coordinator, c.id, b.id)

    services.merge_persons(coordinator, b.id, a.id)

    assert (fresh(b).canonical_id, fresh(c).canonical_id) == (a.id, a.id)
    assert (fresh(b).merged_into_id, fresh(c).merged_into_id) == (a.id, b.id)


def test_undoing_the_later_merge_of_a_chain_leaves_the_earlier_one(coordinator, trio):
    a, b, c = trio
    services.merge_persons(coordinator, c.id, b.id)
    later = services.merge_persons(coordinator, b.id, a.id)

    services.unmerge_persons(coordinator, later.id)

    assert fresh(a).canonical_id == a.id
    assert (fresh(b).canonical_id, fresh(b).merged_into_id) == (b.id, None)
    assert (fresh(c).canonical_id, fresh(c).merged_into_id) == (b.id, b.id)


def test_undoing_the_earlier_merge_of_a_chain_frees_only_that_record(coordinator, trio):
    a, b, c = trio
    earlier = services.merge_persons(coordinator, c.id, b.id)
    services.merge_persons(coordinator, b.id, a.id)

    services.unmerge_persons(coordinator, earlier.id)

    assert (fresh(c).canonical_id, fresh(c).merged_into_id) == (c.id, None)
    assert fresh(b).canonical_id == a.id


def test_merging_into_a_merged_record_counts_as_the_end_of_its_chain(coordinator, trio):
    a, b, c = trio
    services.merge_persons(coordinator, b.id, a.id)

    services.merge_persons(coordinator, c.id, b.id)

    assert fresh(c).canonical_id == a.id


def test_first_time_follows_the_whole_chain(org, coordinator, factory):
    a = first_met(factory, org, "Mai", datetime(2019, 3, 1, 12, 0, tzinfo=UTC))
    b = first_met(factory, org, "May", datetime(2020, 5, 1, 12, 0, tzinfo=UTC))
    c = first_met(factory, org, "Maj", datetime(2020, 8, 1, 12, 0, tzinfo=UTC))
    services.merge_persons(coordinator, c.id, b.id)
    assert first_time(org, 2020) == {b.id}

    services.merge_persons(coordinator, b.id, a.id)

    assert first_time(org, 2020) == set()


# --- refused merges -------------------------------------------------------------------------


def test_merging_a_person_into_herself_is_refused(coordinator, anna):
    with pytest.raises(services.MergeError):
        services.merge_persons(coordinator, anna.id, anna.id)


def test_merging_a_person_already_merged_is_refused(coordinator, trio):
    a, b, c = trio
    services.merge_persons(coordinator, b.id, a.id)

    with pytest.raises(services.MergeError):
        services.merge_persons(coordinator, b.id, c.id)
    assert fresh(b).merged_into_id == a.id


def test_merging_two_records_already_counted_as_one_is_refused(coordinator, trio):
    a, b, c = trio
    services.merge_persons(coordinator, b.id, a.id)
    services.merge_persons(coordinator, c.id, b.id)

    with pytest.raises(services.MergeError):
        services.merge_persons(coordinator, a.id, c.id)


def test_merging_with_another_organisations_person_is_refused_on_that_field(
    coordinator, anna, other_org, factory
):
    theirs = factory.person(other_org, "Anna")

    with pytest.raises(FieldErrors) as refused:
        services.merge_persons(coordinator, anna.id, theirs.id)

    assert set(refused.value.errors) == {"target_id"}
    assert fresh(anna).merged_into_id is None


def test_a_nurse_may_not_merge_persons(nurse, anna, anja):
    with pytest.raises(NotAllowed):
        services.merge_persons(nurse, anja.id, anna.id)

    assert fresh(anja).merged_into_id is None


def test_a_nurse_may_not_undo_a_merge(nurse, coordinator, anna, anja):
    merge = services.merge_persons(coordinator, anja.id, anna.id)

    with pytest.raises(NotAllowed):
        services.unmerge_persons(nurse, merge.id)

    assert fresh(anja).merged_into_id == anna.id


def test_an_admin_may_merge_persons(admin, anna, anja):
    services.merge_persons(admin, anja.id, anna.id)

    assert fresh(anja).canonical_id == anna.id


def test_undoing_a_merge_twice_is_refused(coordinator, anna, anja):
    merge = services.merge_persons(coordinator, anja.id, anna.id)
    services.unmerge_persons(coordinator, merge.id)

    with pytest.raises(services.MergeError):
        services.unmerge_persons(coordinator, merge.id)


def test_undoing_a_merge_of_another_organisation_is_refused(factory, other_org, coordinator):
    their_coordinator = factory.user(other_org, "coordinator")
    a, b = factory.person(other_org, "Mai"), factory.person(other_org, "May")
    merge = services.merge_persons(their_coordinator, b.id, a.id)

    with pytest.raises(FieldErrors):
        services.unmerge_persons(coordinator, merge.id)

    assert fresh(b).merged_into_id == a.id


# --- audit and sync -------------------------------------------------------------------------


def test_a_merge_writes_one_audit_event(coordinator, anna, anja):
    before = audit_actions()

    merge = services.merge_persons(coordinator, anja.id, anna.id)

    assert audit_actions()[len(before) :] == ["person.merge"]
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "person.merge"))
    assert (event.object_id, event.user_id) == (str(merge.id), coordinator.id)
    assert event.details == {"source": str(anja.id), "target": str(anna.id)}


def test_undoing_a_merge_writes_one_audit_event(coordinator, anna, anja):
    merge = services.merge_persons(coordinator, anja.id, anna.id)
    before = audit_actions()

    services.unmerge_persons(coordinator, merge.id)

    assert audit_actions()[len(before) :] == ["person.unmerge"]


def test_a_refused_merge_writes_no_audit_event(coordinator, anna):
    before = audit_actions()

    with pytest.raises(services.MergeError):
        services.merge_persons(coordinator, anna.id, anna.id)

    assert audit_actions() == before


def test_a_merge_gives_every_moved_record_a_new_sync_number(coordinator, trio):
    a, b, c = trio
    services.merge_persons(coordinator, c.id, b.id)
    seqs = {p.id: fresh(p).sync_seq for p in trio}

    services.merge_persons(coordinator, b.id, a.id)

    assert fresh(b).sync_seq > seqs[b.id]
    assert fresh(c).sync_seq > seqs[c.id]
    assert fresh(a).sync_seq == seqs[a.id]


def test_undoing_a_merge_gives_the_freed_record_a_new_sync_number(coordinator, anna, anja):
    merge = services.merge_persons(coordinator, anja.id, anna.id)
    seq = fresh(anja).sync_seq

    services.unmerge_persons(coordinator, merge.id)

    assert fresh(anja).sync_seq > seq


# --- the phone's person index -------------------------------------------------------------


def index_by_id(org, **kwargs) -> dict[str, dict]:
    return {p["id"]: p for p in queries.person_index(org.id, **kwargs)}


def test_the_index_holds_only_what_matching_and_the_suggestion_cards_need(org, anna):
    entry = index_by_id(org)[str(anna.id)]

    assert set(entry) == {
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


def test_the_index_leaves_out_merged_duplicates(org, coordinator, anna, anja):
    services.merge_persons(coordinator, anja.id, anna.id)

    assert set(index_by_id(org)) == {str(anna.id)}


def test_the_sync_index_sends_merged_duplicates_with_the_person_they_count_as(
    org, coordinator, trio
):
    a, b, c = trio
    services.merge_persons(coordinator, c.id, b.id)
    services.merge_persons(coordinator, b.id, a.id)

    index = index_by_id(org, include_merged=True)

    assert index[str(c.id)]["merged_into_id"] == str(a.id)
    assert index[str(a.id)]["merged_into_id"] is None


def test_the_index_lists_clinics_visited_in_the_last_half_year(org, factory):
    recent_clinic, old_clinic = factory.clinic(org), factory.clinic(org)
    person = factory.person(org, "Mai")
    factory.conversation(
        person, factory.visit(recent_clinic, utcnow() - timedelta(days=10)), utcnow()
    )
    factory.conversation(
        person, factory.visit(old_clinic, utcnow() - timedelta(days=300)), utcnow()
    )

    assert index_by_id(org)[str(person.id)]["recent_clinic_ids"] == [str(recent_clinic.id)]


def test_the_kept_person_inherits_the_recent_clinics_of_her_duplicate(org, factory, coordinator):
    clinic = factory.clinic(org)
    kept, duplicate = factory.person(org, "Mai"), factory.person(org, "May")
    factory.conversation(duplicate, factory.visit(clinic, utcnow() - timedelta(days=3)), utcnow())

    services.merge_persons(coordinator, duplicate.id, kept.id)

    assert index_by_id(org)[str(kept.id)]["recent_clinic_ids"] == [str(clinic.id)]


def test_the_index_never_holds_another_organisations_persons(org, other_org, anna, factory):
    factory.person(other_org, "Theirs")

    assert set(index_by_id(org, include_merged=True)) == {str(anna.id)}
