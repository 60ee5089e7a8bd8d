"""`flask --app outreach retention [--dry-run]`: the counts per year without deleting, or the
purge now (the daily job's code, under its lease), one audit event each run."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from outreach import scheduler
from outreach.audit.models import AuditEvent
from outreach.db import db
from outreach.persons.models import Person
from outreach.retention import services
from tests.retention.conftest import NOW


@pytest.fixture(autouse=True)
def clock(monkeypatch):
    monkeypatch.setattr(services, "utcnow", lambda: NOW)


def persons(org) -> int:
    return db.session.scalar(
        select(func.count()).select_from(Person).where(Person.organisation_id == org.id)
    )


def purge_events() -> list[AuditEvent]:
    return list(
        db.session.scalars(select(AuditEvent).where(AuditEvent.action == "retention.purge"))
    )


def test_the_dry_run_lists_counts_per_year_and_deletes_nothing(retention_data, runner):
    org = retention_data.org
    before = persons(org)

    result = runner.invoke(args=["retention", "--dry-run"])

    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert f"{org.name}: would delete 6 person(s) (7 record(s)), 9 conversation(s), " in (
        result.output
    )
    assert "notes of 3 visit(s); no contact since 2020-01-15T02:00:00+00:00 (5 years)" in (
        result.output
    )
    assert "  2018: 0 person(s) last met, 1 conversation(s), notes of 0 visit(s)" in lines
    assert "  2019: 5 person(s) last met, 7 conversation(s), notes of 2 visit(s)" in lines
    assert "  2020: 1 person(s) last met, 1 conversation(s), notes of 1 visit(s)" in lines
    assert f"{retention_data.other_org.name}: would delete 0 person(s)" in result.output
    db.session.expire_all()
    assert persons(org) == before
    assert purge_events() == []
    assert retention_data.visits["v1"].notes == "old visit note"
    for person in retention_data.persons.values():
        assert person.alias not in result.output


def test_the_command_purges_now_and_writes_one_audit_event_per_organisation(retention_data, runner):
    org = retention_data.org

    result = runner.invoke(args=["retention"])

    assert result.exit_code == 0, result.output
    assert f"{org.name}: deleted 6 person(s) (7 record(s)), 9 conversation(s)" in result.output
    assert "  40 report snapshot(s) sealed." in result.output
    db.session.expire_all()
    assert persons(org) == 3
    events = purge_events()
    assert sorted(e.organisation_id for e in events) == sorted(
        [org.id, retention_data.other_org.id]
    )
    assert {e.organisation_id: e.details["persons"] for e in events}[org.id] == 6

    again = runner.invoke(args=["retention"])
    assert again.exit_code == 0, again.output
    assert f"{org.name}: deleted 0 person(s)" in again.output
    assert len(purge_events()) == 4


def test_the_command_does_not_run_while_the_job_runs_elsewhere(retention_data, runner):
    assert scheduler.acquire("retention", timedelta(minutes=30), "elsewhere:1")

    result = runner.invoke(args=["retention"])

    assert result.exit_code == 1
    assert "running in another process" in result.output
    assert persons(retention_data.org) == 10  # A to J: nothing deleted
