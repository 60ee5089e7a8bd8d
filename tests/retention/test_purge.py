"""The retention purge (SECURITY.md 21) with a controlled clock: who goes and who stays,
merged persons as one, visit notes, and every report figure of the purged years unchanged."""

import json

import pytest
from sqlalchemy import func, select

from outreach import scheduler
from outreach.audit.models import AuditEvent
from outreach.db import db
from outreach.persons.models import Conversation, Person, PersonMerge, PersonTombstone
from outreach.reports.figures import Period
from outreach.reports.models import ReportSnapshot
from outreach.retention import services
from outreach.visits.models import Visit
from tests.reports.dataset import local
from tests.reports.reading import read_csv
from tests.retention.conftest import DELETED, KEPT, NOW, OLD_NOTES

REGIONS = (None, "midtjylland", "nordjylland", "sjaelland")
YEARS = range(2017, 2026)
PURGED_YEARS = (2018, 2019, 2020)
TABLES = ("figures", "regions", "months", "nationalities", "genders", "supplies", "concern")


def _get(client, url: str, **params):
    params = {key: value for key, value in params.items() if value is not None}
    response = client.get(url, query_string=params)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response


def reports(client) -> dict:
    """Every annual report (2017-2025) and every monthly one of the purged years, for the
    organisation and each region, as the API answers them."""
    answers = {}
    for region in REGIONS:
        for year in YEARS:
            answers[("year", year, region)] = _get(
                client, "/api/v1/reports/annual", year=year, region=region
            ).json
        for year in PURGED_YEARS:
            for month in range(1, 13):
                answers[("month", year, month, region)] = _get(
                    client, "/api/v1/reports/monthly", year=year, month=month, region=region
                ).json
    return answers


def csv_tables(client) -> dict:
    """Every table of the purged years' CSV files (the about lines say when they were made)."""
    tables = {}
    for region in (None, "nordjylland"):
        for year in PURGED_YEARS:
            for table in TABLES:
                content = _get(
                    client,
                    "/api/v1/reports/annual.csv",
                    year=year,
                    region=region,
                    table=table,
                    separator="comma",
                ).data
                tables[(year, region, table)] = read_csv(content, ",")[1]
    return tables


def xlsx_cells(client, year: int) -> dict:
    from tests.reports.reading import read_xlsx

    workbook = read_xlsx(_get(client, "/api/v1/reports/annual.xlsx", year=year).data)
    # The first sheet says what the file is and when it was made; the others are the tables.
    return {
        sheet.title: [list(row) for row in sheet.iter_rows(values_only=True)]
        for sheet in workbook.worksheets[1:]
    }


def persons_left(org) -> set[str]:
    """The aliases of the organisation's persons (encrypted: opened here, not in SQL)."""
    rows = db.session.execute(
        select(Person.id, Person.alias.column).where(Person.organisation_id == org.id)
    )
    return {Person.alias.open(pid, sealed) for pid, sealed in rows}


def purge(now=NOW):
    """The scheduled job as the scheduler runs it: under its lease."""
    return scheduler.run_locked("retention", lambda: scheduler.retention_job(now), holder="t:1")


def test_every_report_figure_of_the_purged_years_is_unchanged(retention_data, coordinator_client):
    before = reports(coordinator_client)
    files_before = csv_tables(coordinator_client)
    xlsx_before = xlsx_cells(coordinator_client, 2019)

    assert purge() == 6  # persons after merges: A, B, C, J, I and F (with G)

    db.session.expire_all()
    after = reports(coordinator_client)
    assert after.keys() == before.keys()
    changed = [key for key in before if after[key] != before[key]]
    assert changed == []
    assert csv_tables(coordinator_client) == files_before
    assert xlsx_cells(coordinator_client, 2019) == xlsx_before
    # Not trivially: the purged years had these figures, and the rows are gone.
    assert before[("year", 2019, None)]["persons_talked_to"] == 7
    assert before[("year", 2020, None)]["persons_talked_to"] == 2  # H and I


def test_the_report_reads_a_purged_period_from_its_sealed_snapshot(
    retention_data, coordinator_client
):
    purge()

    response = _get(coordinator_client, "/api/v1/reports/annual", year=2019)
    assert response.headers["X-Report-Source"] == "snapshot"
    # A year the purge did not touch is still computed from the rows.
    response = _get(coordinator_client, "/api/v1/reports/annual", year=2023)
    assert response.headers["X-Report-Source"] == "live"
    # Month of 2019 without a deleted conversation: live, and the same anyway.
    response = _get(coordinator_client, "/api/v1/reports/monthly", year=2019, month=2)
    assert response.headers["X-Report-Source"] == "live"


def test_persons_without_contact_go_with_their_conversations_and_merges(retention_data):
    org = retention_data.org
    deleted_ids = {retention_data.persons[key].id for key in DELETED}
    kept = {retention_data.persons[key].alias for key in KEPT}

    purge()

    db.session.expire_all()
    assert persons_left(org) == kept
    assert (
        db.session.scalar(
            select(func.count())
            .select_from(Conversation)
            .where(Conversation.person_id.in_(deleted_ids))
        )
        == 0
    )
    merges = db.session.scalars(select(PersonMerge).where(PersonMerge.organisation_id == org.id))
    assert [(m.source_id, m.target_id) for m in merges] == [
        (retention_data.persons["D"].id, retention_data.persons["E"].id)
    ]
    tombstones = set(
        db.session.scalars(
            select(PersonTombstone.person_id).where(PersonTombstone.organisation_id == org.id)
        )
    )
    assert tombstones == deleted_ids


def test_a_merged_group_is_kept_whole_when_any_record_was_met_recently(retention_data):
    persons = retention_data.persons
    e_id, d_id = persons["E"].id, persons["D"].id

    purge()

    db.session.expire_all()
    # E's own conversations are from 2018 and 2019; D (merged into E) was met in 2024.
    kept = db.session.scalars(
        select(Conversation.occurred_at).where(Conversation.person_id.in_([e_id, d_id]))
    ).all()
    assert sorted(at.year for at in kept) == [2018, 2019, 2019, 2024]
    assert db.session.get(Person, d_id).merged_into_id == e_id


def test_rows_within_the_retention_period_are_untouched(retention_data):
    h = retention_data.persons["H"]
    rows = {
        c.id: (c.occurred_at, c.notes, c.updated_at)
        for c in db.session.scalars(select(Conversation).where(Conversation.person_id == h.id))
    }
    recent = retention_data.recent_visit
    recent_seen = (recent.notes, recent.updated_at, recent.sync_seq)

    purge()

    db.session.expire_all()
    after = {
        c.id: (c.occurred_at, c.notes, c.updated_at)
        for c in db.session.scalars(select(Conversation).where(Conversation.person_id == h.id))
    }
    assert after == rows and len(rows) == 3
    recent = db.session.get(Visit, recent.id)
    assert (recent.notes, recent.updated_at, recent.sync_seq) == recent_seen
    assert recent.notes == "recent visit note"


def test_notes_of_visits_older_than_the_period_are_emptied(retention_data):
    visits = retention_data.visits
    seq_before = {key: visits[key].sync_seq for key in OLD_NOTES}

    purge()

    db.session.expire_all()
    for key in OLD_NOTES:
        visit = db.session.get(Visit, visits[key].id)
        assert (visit.notes, visit.police_note) == (None, None)
        assert visit.sync_seq > seq_before[key]  # phones that keep it pull it again
    # The visits themselves stay: they are the report's visits.
    assert db.session.get(Visit, visits["v2"].id).police_informed is True


def test_another_organisations_own_period_applies_to_its_persons(retention_data):
    other = retention_data.other_org

    purge()

    db.session.expire_all()
    assert persons_left(other) == {"Olga", "Oda"}  # met in 2019; it keeps ten years


def test_each_run_writes_one_audit_event_with_counts_and_no_personal_data(retention_data):
    org = retention_data.org
    personal = [p.alias for p in retention_data.persons.values()]
    personal += [str(p.id) for p in retention_data.persons.values()]

    purge()

    events = list(
        db.session.scalars(
            select(AuditEvent).where(
                AuditEvent.action == "retention.purge", AuditEvent.organisation_id == org.id
            )
        )
    )
    assert len(events) == 1
    details = events[0].details
    assert (details["persons"], details["person_records"]) == (6, 7)
    assert (details["conversations"], details["visit_notes"]) == (9, 3)
    assert details["years"] == 5
    assert details["by_year"]["2019"] == {"persons": 5, "conversations": 7, "visit_notes": 2}
    assert details["by_year"]["2020"] == {"persons": 1, "conversations": 1, "visit_notes": 1}
    assert details["snapshots_sealed"] == (3 + 7) * len(REGIONS)
    text = json.dumps(events[0].details)
    assert [value for value in personal if value in text] == []
    assert "note" not in text.replace("visit_notes", "")


def test_a_second_run_deletes_nothing_and_changes_no_figure(retention_data, coordinator_client):
    purge()
    db.session.expire_all()
    first = reports(coordinator_client)
    sealed = {
        (s.kind, s.year, s.month, s.region): (s.figures, s.computed_at)
        for s in db.session.scalars(select(ReportSnapshot))
    }

    assert purge(NOW.replace(day=16)) == 0

    db.session.expire_all()
    assert reports(coordinator_client) == first
    assert {
        (s.kind, s.year, s.month, s.region): (s.figures, s.computed_at)
        for s in db.session.scalars(select(ReportSnapshot))
    } == sealed
    counts = db.session.scalars(
        select(AuditEvent.details).where(
            AuditEvent.action == "retention.purge",
            AuditEvent.organisation_id == retention_data.org.id,
        )
    ).all()
    assert [c["persons"] for c in counts] == [6, 0]


def test_a_later_purge_keeps_the_figures_sealed_by_an_earlier_one(
    retention_data, coordinator_client
):
    """A year later, H's 2019 and 2020 conversations... are still kept (met in 2023), but
    E's group goes in 2029; 2019 was sealed in 2025 with the figures from before any purge."""
    before = reports(coordinator_client)
    purge()
    purge(local(2029, 6, 1))  # D (= E) last met February 2024: the group goes now

    db.session.expire_all()
    assert "Edda" not in persons_left(retention_data.org)
    after = reports(coordinator_client)
    assert [key for key in before if after[key] != before[key]] == []


def test_the_nightly_snapshots_never_overwrite_a_sealed_period(retention_data, runner):
    purge()
    stored = db.session.scalar(
        select(ReportSnapshot).where(
            ReportSnapshot.organisation_id == retention_data.org.id,
            ReportSnapshot.kind == "year",
            ReportSnapshot.year == 2020,
            ReportSnapshot.region.is_(None),
        )
    )
    figures, computed_at = stored.figures, stored.computed_at

    # In January 2021 (with the clock of the snapshot job), 2020 is within the grace period
    # and would be recomputed; and the command is asked to overwrite it.
    scheduler.report_snapshots_job(local(2021, 1, 10, 3))
    result = runner.invoke(args=["reports", "snapshot", "--year", "2020", "--overwrite"])
    assert result.exit_code == 0, result.output

    db.session.expire_all()
    stored = db.session.get(ReportSnapshot, stored.id)
    assert (stored.figures, stored.computed_at) == (figures, computed_at)
    assert stored.figures["report"]["persons_talked_to"] == 2


def test_a_run_that_fails_midway_leaves_the_organisation_as_it_was(
    retention_data, monkeypatch, coordinator_client
):
    org = retention_data.org
    before = reports(coordinator_client)
    aliases = persons_left(org)

    def killed(*args):
        raise RuntimeError("killed")

    monkeypatch.setattr(services, "_clear_visit_notes", killed)
    with pytest.raises(RuntimeError):
        purge()

    db.session.expire_all()
    assert persons_left(org) == aliases
    # The periods were sealed ahead, in transactions of their own: their report is the same.
    assert reports(coordinator_client) == before
    assert (
        db.session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "retention.purge")
        )
        == 0
    )
    assert db.session.get(Visit, retention_data.visits["v1"].id).notes == "old visit note"

    monkeypatch.undo()
    purge()
    db.session.expire_all()
    assert reports(coordinator_client) == before
    assert persons_left(org) == {"Dana", "Edda", "Hana"}


def test_a_person_never_talked_to_counts_from_when_she_was_recorded(factory, org):
    old_id = factory.person(org, "Quiet", created_at=local(2019, 3, 3)).id
    factory.person(org, "New", created_at=local(2024, 3, 3))

    purge()

    db.session.expire_all()
    assert persons_left(org) == {"New"}
    assert db.session.get(PersonTombstone, old_id) is not None


def test_the_period_sealed_is_each_month_and_year_of_a_deleted_conversation(retention_data):
    purge()

    sealed = {
        (s.kind, s.year, s.month)
        for s in db.session.scalars(
            select(ReportSnapshot).where(
                ReportSnapshot.organisation_id == retention_data.org.id,
                ReportSnapshot.sealed_at.is_not(None),
            )
        )
    }
    months = {(2018, 11), (2019, 1), (2019, 4), (2019, 5), (2019, 7), (2019, 9), (2020, 1)}
    assert sealed == {("year", y, None) for y in PURGED_YEARS} | {
        ("month", y, m) for y, m in months
    }
    assert Period(2019, 7) in {Period(y, m) for _, y, m in sealed if m}


def test_a_person_met_while_the_purge_runs_is_kept(retention_data, factory, monkeypatch):
    """A conversation committed between the purge's first look and its lock on the persons
    (here: stored just before the lock) keeps the person: she is judged again after it."""
    from outreach.retention import queries

    a = retention_data.persons["A"]
    lock = queries.group_members

    def met_just_now(organisation_id, canonical_ids, **kwargs):
        if kwargs.get("lock") and a.canonical_id in canonical_ids:
            factory.conversation(a, occurred_at=local(2025, 1, 15, 2))
        return lock(organisation_id, canonical_ids, **kwargs)

    monkeypatch.setattr(queries, "group_members", met_just_now)
    purge()

    db.session.expire_all()
    assert "Anna" in persons_left(retention_data.org)
    assert "Bea" not in persons_left(retention_data.org)


def test_periods_not_sealed_ahead_are_sealed_in_the_purge_itself(
    retention_data, monkeypatch, coordinator_client
):
    """A conversation stored between the sealing ahead and the purge's own transaction may
    fall in a period not sealed yet: the purge seals it before deleting."""
    before = reports(coordinator_client)
    monkeypatch.setattr(services, "seal_ahead", lambda organisation, now: 0)

    purge()

    db.session.expire_all()
    assert reports(coordinator_client) == before
    event = db.session.scalar(
        select(AuditEvent).where(
            AuditEvent.action == "retention.purge",
            AuditEvent.organisation_id == retention_data.org.id,
        )
    )
    assert event.details["snapshots_sealed"] == (3 + 7) * len(REGIONS)


def test_the_year_picker_still_starts_at_a_purged_year(factory, org, coordinator_client):
    """Only a phone call in 2014 made that year the first: after the purge the sealed
    snapshot keeps it in the picker."""
    from outreach.reports.queries import first_data_year

    factory.conversation(factory.person(org, "Caller"), occurred_at=local(2014, 5, 5))
    factory.visit(factory.clinic(org), local(2016, 5, 5))
    assert first_data_year(org.id) == 2014

    purge()

    db.session.expire_all()
    assert persons_left(org) == set()
    assert first_data_year(org.id) == 2014
    assert _get(coordinator_client, "/api/v1/reports/annual", year=2014).json["conversations"] == 1
