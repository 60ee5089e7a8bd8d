"""Report snapshots: the nightly job, what it stores, that the figures survive a retention
purge, and that two scheduler processes on one database store each snapshot once.

The concurrency tests need real commits seen by other connections, so they run on a database
of their own ("reportjobs"), shared by two apps: each app has its own engine, like a process.
"""

import threading
import time
import uuid
from datetime import timedelta

import pytest
from flask_migrate import upgrade
from sqlalchemy import delete, func, select

from outreach import scheduler
from outreach.db import db
from outreach.persons.models import Conversation, Person, PersonMerge
from outreach.reports import figures, queries, services
from outreach.reports.figures import Period
from outreach.reports.models import ReportSnapshot
from tests.conftest import Factory, database_url, make_app
from tests.reports.dataset import ANNUAL_2019, build, local

MID_JANUARY_2020 = local(2020, 1, 15, 3)


@pytest.fixture
def data(factory, org, other_org, coordinator):
    return build(factory, org, other_org, coordinator)


def snapshots(org=None) -> list[ReportSnapshot]:
    stmt = select(ReportSnapshot)
    if org is not None:
        stmt = stmt.where(ReportSnapshot.organisation_id == org.id)
    return list(db.session.scalars(stmt))


def keys(rows) -> list[tuple]:
    return sorted(
        (str(r.organisation_id), r.kind, r.year, r.month or 0, r.region or "") for r in rows
    )


def purge_person_level_data(org) -> None:
    """What the retention job does to persons with no recent contact: delete them."""
    db.session.execute(delete(PersonMerge).where(PersonMerge.organisation_id == org.id))
    db.session.execute(delete(Conversation).where(Conversation.organisation_id == org.id))
    db.session.execute(
        Person.__table__.update()
        .where(Person.organisation_id == org.id)
        .values(merged_into_id=None)
    )
    db.session.execute(delete(Person).where(Person.organisation_id == org.id))
    db.session.flush()


def test_the_job_snapshots_the_current_and_previous_month_and_year(data):
    written = scheduler.report_snapshots_job(MID_JANUARY_2020)
    # 4 periods x (the whole organisation + 3 regions) + 4 x (the other org + its 1 region)
    assert written == 4 * 4 + 4 * 2
    periods = {(r.kind, r.year, r.month) for r in snapshots(data.org)}
    assert periods == {
        ("month", 2020, 1),
        ("month", 2019, 12),
        ("year", 2020, None),
        ("year", 2019, None),
    }
    regions = {r.region for r in snapshots(data.org)}
    assert regions == {None, "nordjylland", "midtjylland", "sjaelland"}


def test_a_snapshot_holds_the_same_report_as_the_live_figures(data):
    scheduler.report_snapshots_job(MID_JANUARY_2020)
    stored = queries.read_snapshot(data.org, Period(2019))
    assert stored.report == queries.with_screening(
        figures.annual_report(data.org, 2019), data.org.id, Period(2019)
    )
    assert stored.report["first_time_persons"] == ANNUAL_2019["first_time_persons"]
    assert stored.breakdowns == queries.breakdowns(data.org.id, Period(2019))
    regional = queries.read_snapshot(data.org, Period(2019), "nordjylland")
    assert regional.report == queries.with_screening(
        figures.annual_report(data.org, 2019, "nordjylland"), data.org.id, Period(2019)
    )
    month = queries.read_snapshot(data.org, Period(2019, 12))
    assert (month.report["visits"], month.report["first_time_persons"]) == (1, 1)


def test_running_the_job_again_replaces_each_snapshot_instead_of_adding_one(data):
    scheduler.report_snapshots_job(MID_JANUARY_2020)
    first = {r.id: r.computed_at for r in snapshots()}
    scheduler.report_snapshots_job(MID_JANUARY_2020 + timedelta(hours=1))
    db.session.expire_all()
    rows = snapshots()
    assert len(rows) == len(first)
    assert len(set(keys(rows))) == len(rows)
    assert all(r.computed_at > first[r.id] for r in rows if r.id in first)


def test_the_figures_survive_a_retention_purge_of_person_level_data(data):
    scheduler.report_snapshots_job(MID_JANUARY_2020)
    before = queries.read_snapshot(data.org, Period(2019))

    purge_person_level_data(data.org)

    assert figures.annual_report(data.org, 2019)["persons_talked_to"] == 0  # live: gone
    after = queries.read_snapshot(data.org, Period(2019))
    assert after.report == before.report and after.breakdowns == before.breakdowns
    assert after.report["persons_talked_to"] == 7


def test_a_final_snapshot_is_not_recomputed_after_the_grace_period(data):
    scheduler.report_snapshots_job(MID_JANUARY_2020)
    purge_person_level_data(data.org)

    # In March 2020, 2019 ended more than 31 days ago: its snapshot is final.
    scheduler.report_snapshots_job(local(2020, 3, 2, 3))

    db.session.expire_all()
    assert queries.read_snapshot(data.org, Period(2019)).report["persons_talked_to"] == 7
    assert queries.read_snapshot(data.org, Period(2019, 12)).report["conversations"] == 2
    # The current year is still recomputed from what is left.
    assert queries.read_snapshot(data.org, Period(2020)).report["persons_talked_to"] == 0


def test_within_the_grace_period_late_records_still_change_the_previous_year(data, factory):
    scheduler.report_snapshots_job(MID_JANUARY_2020)
    factory.conversation(data.persons["I"], data.visits["v4"])  # synced late from a phone
    scheduler.report_snapshots_job(MID_JANUARY_2020 + timedelta(days=1))
    db.session.expire_all()
    assert queries.read_snapshot(data.org, Period(2019)).report["conversations"] == 11


def test_the_snapshot_command_fills_in_a_missing_period_without_overwriting(data, runner):
    result = runner.invoke(args=["reports", "snapshot", "--year", "2018"])
    assert result.exit_code == 0, result.output
    stored = queries.read_snapshot(data.org, Period(2018))
    assert stored.report["visits"] == 1
    computed_at = stored.computed_at

    result = runner.invoke(args=["reports", "snapshot", "--year", "2018"])
    assert result.exit_code == 0, result.output
    assert "0 snapshot(s)" in result.output
    assert queries.read_snapshot(data.org, Period(2018)).computed_at == computed_at


def test_the_snapshot_command_refuses_an_unknown_organisation(runner):
    result = runner.invoke(args=["reports", "snapshot", "--year", "2018", "--org", "Nobody"])
    assert result.exit_code != 0
    assert "No organisation" in result.output


def test_the_nightly_work_is_every_organisations_recent_periods_final_after_the_grace(data):
    due = queries.due_snapshots(local(2020, 3, 2, 3))
    assert {org.id for org, _, _ in due} >= {data.org.id, data.other_org.id}
    # Only 2019 ended more than 31 days ago: its snapshot is final, never overwritten.
    assert [(period, overwrite) for org, period, overwrite in due if org.id == data.org.id] == [
        (Period(2020, 3), True),
        (Period(2020, 2), True),
        (Period(2020), True),
        (Period(2019), False),
    ]


def test_without_overwrite_only_the_snapshots_not_yet_stored_are_computed(data):
    whole = next(queries.snapshot_figures(data.org, Period(2019)))
    services.store_snapshots([whole])

    left = list(queries.snapshot_figures(data.org, Period(2019), overwrite=False))

    assert whole.region is None
    assert [d.region for d in left] == figures.organisation_regions(data.org)
    assert all(d.report == figures.annual_report(data.org, 2019, d.region) for d in left)


def test_storing_snapshots_leaves_the_commit_to_the_caller(data):
    db.session.commit()  # the dataset stays; what follows is the caller's to keep or undo
    assert services.snapshot_period(data.org, Period(2019)) == 4
    assert len(snapshots(data.org)) == 4
    db.session.rollback()
    assert snapshots(data.org) == []


def test_the_job_is_registered_and_scheduled_nightly(app):
    from apscheduler.schedulers.background import BackgroundScheduler

    assert "report-snapshots" in scheduler.JOBS
    built = scheduler.build_scheduler(app, BackgroundScheduler)
    job = built.get_job("report-snapshots")
    assert job is not None and job.max_instances == 1
    assert str(job.trigger.timezone) == "Europe/Copenhagen"
    assert "hour='2'" in str(job.trigger) and "minute='15'" in str(job.trigger)


# --- two scheduler processes on one database ------------------------------------------------


@pytest.fixture(scope="module")
def reportjobs_url(tmp_path_factory):
    url = database_url(tmp_path_factory, "reportjobs")
    app = make_app(url)
    with app.app_context():
        upgrade()
        factory = Factory()
        org = factory.organisation(regions=("midtjylland", "nordjylland"))
        coordinator = factory.user(org, "coordinator")
        other = factory.organisation(regions=("syddanmark",))
        build(factory, org, other, coordinator)
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return url


class Process:
    """One scheduler process: an app with its own engine and its own holder name."""

    def __init__(self, url: str, name: str):
        self.app = make_app(url)
        self.holder = f"{name}:{uuid.uuid4().hex[:6]}"

    def run_job(self, job, now):
        with self.app.app_context():
            try:
                return scheduler.run_locked(
                    "report-snapshots", lambda: job(now), holder=self.holder
                )
            finally:
                db.session.remove()

    def query(self, func_):
        with self.app.app_context():
            try:
                return func_()
            finally:
                db.session.remove()

    def close(self):
        with self.app.app_context():
            db.engine.dispose()


@pytest.fixture
def processes(reportjobs_url):
    first, second = Process(reportjobs_url, "first"), Process(reportjobs_url, "second")
    yield first, second
    with first.app.app_context():
        db.session.execute(delete(ReportSnapshot))
        db.session.execute(delete(scheduler.JobLock))
        db.session.commit()
        db.session.remove()
    first.close()
    second.close()


def snapshot_rows():
    return [
        (str(r.organisation_id), r.kind, r.year, r.month, r.region, r.computed_at)
        for r in db.session.scalars(select(ReportSnapshot))
    ]


def test_two_processes_started_together_take_the_snapshots_once(processes):
    first, second = processes
    runs = []
    start = threading.Barrier(2)

    def slow_job(now):
        runs.append(now)
        time.sleep(1.0)  # the other process asks for the lease meanwhile
        return scheduler.report_snapshots_job(now)

    results = []

    def run(process):
        start.wait()
        results.append(process.run_job(slow_job, MID_JANUARY_2020))

    threads = [threading.Thread(target=run, args=(p,)) for p in processes]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert len(runs) == 1
    assert sorted(results, key=lambda r: r is not None) == [None, 4 * 3 + 4 * 2]
    rows = first.query(snapshot_rows)
    assert len(rows) == 4 * 3 + 4 * 2
    assert len({row[:5] for row in rows}) == len(rows)
    # The first process's lease is released: the lock row says when it last ran.
    lock = second.query(lambda: db.session.get(scheduler.JobLock, "report-snapshots"))
    assert lock.last_run_at is not None


def test_runs_one_after_the_other_replace_the_snapshots_in_place(processes):
    first, second = processes
    assert first.run_job(scheduler.report_snapshots_job, MID_JANUARY_2020) == 20
    before = {row[:5]: row[5] for row in first.query(snapshot_rows)}
    assert second.run_job(scheduler.report_snapshots_job, MID_JANUARY_2020) == 20
    after = {row[:5]: row[5] for row in second.query(snapshot_rows)}
    assert set(after) == set(before)
    assert all(after[key] >= before[key] for key in before)
    count = first.query(lambda: db.session.scalar(select(func.count()).select_from(ReportSnapshot)))
    assert count == 20
