"""Scheduled jobs: the geocode-retry job, the database lease that keeps two scheduler processes
from running the same job at once, and the rule that only `flask scheduler` starts them.

The lease tests need real commits seen by other connections, so they run on a database of
their own ("jobs"), shared by several apps: each app has its own engine, like a process."""

import threading
import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from flask_migrate import upgrade
from sqlalchemy import delete, text

from outreach import create_app, scheduler
from outreach.clinics.services import retry_pending_geocoding
from outreach.db import db
from outreach.denmark import town_for_postcode
from outreach.geo import LocalGeocoder
from tests.conftest import PLACES, TEST_DATA_KEYS, TEST_LOOKUP_KEY, database_url, make_app

LEASE = timedelta(minutes=30)


# --- the geocode-retry job -----------------------------------------------------------------


def pending_clinic(factory, org, **fields):
    values = {
        "address": "Vestergade 3",
        "postcode": "8000",
        "city": "Aarhus C",
        "lat": None,
        "lon": None,
        "geocode_status": "pending",
        "geocode_attempted_at": datetime(2026, 1, 1, tzinfo=UTC),
    }
    values.update(fields)
    return factory.clinic(org, **values)


def test_the_retry_job_geocodes_pending_clinics_once_the_geocoder_is_back(app, factory, org):
    clinic = pending_clinic(factory, org)

    assert scheduler.JOBS["geocode-retry"]() == 1

    assert (clinic.lat, clinic.lon, clinic.geocode_status) == (56.1570, 10.2040, "geocoded")


def test_the_retry_job_marks_an_unknown_address_not_found(app, factory, org):
    clinic = pending_clinic(factory, org, address="Nowhere 1")

    retry_pending_geocoding()

    assert (clinic.lat, clinic.geocode_status) == (None, "not_found")


def test_the_retry_job_puts_clinics_at_their_town_while_the_geocoder_is_away(app, factory, org):
    app.extensions["geocoder"] = LocalGeocoder(available=False)
    clinic = pending_clinic(factory, org)
    nowhere = pending_clinic(factory, org, postcode=None, city=None)

    assert retry_pending_geocoding() == 0

    aarhus = town_for_postcode("8000")
    assert (clinic.lat, clinic.lon, clinic.geocode_status) == (aarhus.lat, aarhus.lon, "town")
    assert (nowhere.lat, nowhere.geocode_status) == (None, "pending")


def test_the_retry_job_stops_at_the_first_failure_instead_of_asking_for_every_clinic(
    app, factory, org
):
    geocoder = LocalGeocoder(available=False)
    app.extensions["geocoder"] = geocoder
    clinics = [pending_clinic(factory, org) for _ in range(3)]

    retry_pending_geocoding()

    assert len(geocoder.calls) == 1
    # The rest of a bulk import still goes on the map, at the town, without a request each.
    assert {c.geocode_status for c in clinics} == {"town"}


def test_the_retry_job_finds_the_address_of_a_clinic_at_its_town_once_the_geocoder_is_back(
    app, factory, org
):
    aarhus = town_for_postcode("8000")
    clinic = pending_clinic(factory, org, lat=aarhus.lat, lon=aarhus.lon, geocode_status="town")

    assert retry_pending_geocoding() == 1

    assert (clinic.lat, clinic.lon, clinic.geocode_status) == (56.1570, 10.2040, "geocoded")


def test_the_retry_job_derives_the_region_from_the_found_coordinates(app, factory, org):
    clinic = pending_clinic(
        factory,
        org,
        address="Algade 10",
        postcode=None,
        city=None,
        region_slug=None,
        region_source=None,
    )
    app.extensions["geocoder"] = LocalGeocoder({"Algade 10, Danmark": (57.048, 9.919)})

    retry_pending_geocoding()

    assert (clinic.region_slug, clinic.region_source) == ("nordjylland", "coordinates")


def test_the_retry_job_keeps_a_region_chosen_by_a_person(app, factory, org):
    clinic = pending_clinic(factory, org, region_slug="syddanmark", region_source="manual")

    retry_pending_geocoding()

    assert clinic.region_slug == "syddanmark"


def test_the_retry_job_leaves_other_clinics_alone(app, factory, org):
    app.extensions["geocoder"] = geocoder = LocalGeocoder(PLACES)
    factory.clinic(org, lat=None, lon=None, geocode_status="not_found")
    factory.clinic(org, geocode_status="manual")

    assert retry_pending_geocoding() == 0
    assert geocoder.calls == []


def test_the_retry_job_serves_every_organisation(app, factory, org, other_org):
    ours = pending_clinic(factory, org)
    theirs = pending_clinic(factory, other_org)

    retry_pending_geocoding()

    assert ours.geocode_status == theirs.geocode_status == "geocoded"


def test_the_retry_job_runs_under_its_lease(app, factory, org):
    clinic = pending_clinic(factory, org)

    scheduler.run_locked("geocode-retry", scheduler.JOBS["geocode-retry"], holder="tests:1")

    assert clinic.geocode_status == "geocoded"


# --- the lease, between "processes" --------------------------------------------------------


@pytest.fixture(scope="module")
def jobs_url(tmp_path_factory):
    url = database_url(tmp_path_factory, "jobs")
    migrator = make_app(url)
    with migrator.app_context():
        upgrade()
        db.engine.dispose()
    return url


class Process:
    """One scheduler process: an app with its own engine, and its own holder name."""

    def __init__(self, url: str, name: str):
        self.app = make_app(url)
        self.holder = f"{name}:{uuid.uuid4().hex[:6]}"

    def acquire(self, job: str, lease: timedelta = LEASE) -> bool:
        with self.app.app_context():
            try:
                return scheduler.acquire(job, lease, self.holder)
            finally:
                db.session.remove()

    def release(self, job: str) -> None:
        with self.app.app_context():
            try:
                scheduler.release(job, self.holder)
            finally:
                db.session.remove()

    def run_locked(self, job: str, func, lease: timedelta = LEASE):
        with self.app.app_context():
            try:
                return scheduler.run_locked(job, func, lease=lease, holder=self.holder)
            finally:
                db.session.remove()

    def lock(self, job: str) -> scheduler.JobLock | None:
        with self.app.app_context():
            try:
                return db.session.get(scheduler.JobLock, job)
            finally:
                db.session.remove()

    def close(self) -> None:
        with self.app.app_context():
            db.engine.dispose()


@pytest.fixture
def processes(jobs_url):
    first, second = Process(jobs_url, "first"), Process(jobs_url, "second")
    yield first, second
    with first.app.app_context():
        db.session.execute(delete(scheduler.JobLock))
        db.session.commit()
        db.session.remove()
    first.close()
    second.close()


@pytest.fixture
def job_name():
    return f"job-{uuid.uuid4().hex[:8]}"


def test_a_free_job_can_be_acquired(processes, job_name):
    first, _ = processes

    assert first.acquire(job_name)


def test_a_job_cannot_be_acquired_while_another_process_holds_its_lease(processes, job_name):
    first, second = processes
    first.acquire(job_name)

    assert not second.acquire(job_name)


def test_a_job_can_be_acquired_after_the_holder_released_it(processes, job_name):
    first, second = processes
    first.acquire(job_name)
    first.release(job_name)

    assert second.acquire(job_name)


def test_an_expired_lease_can_be_taken_over(processes, job_name):
    first, second = processes
    first.acquire(job_name, lease=timedelta(milliseconds=1))
    time.sleep(0.01)

    assert second.acquire(job_name)
    assert second.lock(job_name).holder == second.holder


def test_only_the_holder_can_release_a_lease(processes, job_name):
    first, second = processes
    first.acquire(job_name)

    second.release(job_name)

    assert not second.acquire(job_name)


def test_releasing_records_when_the_job_last_ran(processes, job_name):
    first, _ = processes
    first.acquire(job_name)

    first.release(job_name)

    assert first.lock(job_name).last_run_at is not None


def test_run_locked_skips_the_job_while_another_process_runs_it(processes, job_name):
    first, second = processes
    started, finish = threading.Event(), threading.Event()
    ran_in_second = []

    def long_job():
        started.set()
        assert finish.wait(10)
        return "first"

    worker = threading.Thread(target=first.run_locked, args=(job_name, long_job))
    worker.start()
    try:
        assert started.wait(10)
        result = second.run_locked(job_name, lambda: ran_in_second.append(1))
    finally:
        finish.set()
        worker.join(10)

    assert result is None
    assert ran_in_second == []


def test_run_locked_runs_the_job_once_the_other_process_has_finished(processes, job_name):
    first, second = processes
    first.run_locked(job_name, lambda: "first")

    assert second.run_locked(job_name, lambda: "second") == "second"


def test_run_locked_releases_the_lease_when_the_job_fails(processes, job_name):
    first, second = processes

    def failing_job():
        raise RuntimeError("geocoder exploded")

    with pytest.raises(RuntimeError):
        first.run_locked(job_name, failing_job)

    assert second.acquire(job_name)


def test_run_locked_commits_what_the_job_wrote(processes, job_name):
    first, second = processes
    marker = f"{job_name}-marker"

    def job():
        db.session.add(scheduler.JobLock(name=marker, locked_until=datetime.now(UTC)))

    first.run_locked(job_name, job)

    assert second.lock(marker) is not None


def test_concurrent_processes_never_run_the_same_job_at_the_same_time(jobs_url, job_name):
    workers = [Process(jobs_url, f"worker{n}") for n in range(4)]
    state = {"running": 0, "most": 0, "runs": 0}
    guard = threading.Lock()
    errors = []

    def job():
        with guard:
            state["running"] += 1
            state["most"] = max(state["most"], state["running"])
            state["runs"] += 1
        time.sleep(0.02)
        with guard:
            state["running"] -= 1

    def loop(worker):
        try:
            for _ in range(5):
                worker.run_locked(job_name, job)
        except Exception as exc:  # reported below, with the worker's name
            errors.append((worker.holder, exc))

    threads = [threading.Thread(target=loop, args=(w,)) for w in workers]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    finally:
        for worker in workers:
            worker.close()

    assert errors == []
    assert state["most"] == 1
    assert state["runs"] >= 1


# --- starting the scheduler ----------------------------------------------------------------


def scheduler_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if "scheduler" in t.name.lower()]


def test_create_app_starts_no_thread(tmp_path):
    before = set(threading.enumerate())

    app = create_app(
        {
            "OUTREACH_ENV": "testing",
            "TEST_SUITE": True,
            "TESTING": True,
            "DATABASE_URL": "sqlite:///" + str(tmp_path / "app.sqlite3"),
            "GEOCODER": "none",
            "DATA_KEYS": TEST_DATA_KEYS,
            "LOOKUP_KEY": TEST_LOOKUP_KEY,
        }
    )

    assert app is not None
    assert set(threading.enumerate()) - before == set()
    assert scheduler_threads() == []


def test_the_scheduler_command_runs_the_scheduler_in_the_foreground(runner, monkeypatch):
    started = []
    monkeypatch.setattr(scheduler, "run_forever", lambda app: started.append(app))

    result = runner.invoke(args=["scheduler"])

    assert result.exit_code == 0, result.output
    assert len(started) == 1


def test_the_scheduler_has_the_geocode_retry_job_at_the_configured_interval(app):
    from apscheduler.schedulers.background import BackgroundScheduler

    built = scheduler.build_scheduler(app, BackgroundScheduler)

    job = built.get_job("geocode-retry")
    assert job.trigger.interval == timedelta(minutes=app.config["GEOCODE_RETRY_MINUTES"])
    assert job.max_instances == 1
    assert not built.running


def test_the_scheduler_runs_the_retention_purge_daily_at_the_configured_hour(app):
    from apscheduler.schedulers.background import BackgroundScheduler

    built = scheduler.build_scheduler(app, BackgroundScheduler)

    job = built.get_job("retention")
    fields = {field.name: str(field) for field in job.trigger.fields}
    assert (fields["hour"], fields["minute"], fields["day"]) == (
        str(app.config["RETENTION_HOUR"]),
        "30",
        "*",
    )
    assert job.max_instances == 1
    assert scheduler.JOBS["retention"] is scheduler.retention_job


def test_the_retention_purge_runs_under_its_lease(app, factory, org):
    """While another process holds the lease, the purge (and the command) does not run."""
    old = factory.person(org, "Old", created_at=datetime(2015, 1, 1, tzinfo=UTC))
    assert scheduler.acquire("retention", LEASE, "other-process:1")

    assert scheduler.run_locked("retention", scheduler.retention_job, holder="tests:1") is None
    assert db.session.get(type(old), old.id) is not None

    scheduler.release("retention", "other-process:1")
    assert scheduler.run_locked("retention", scheduler.retention_job, holder="tests:1") == 1


def test_the_planner_statistics_job_gives_the_planner_its_statistics(app, factory, org):
    factory.person(org, "Mai")
    db.session.commit()

    dialect = scheduler.JOBS["planner-statistics"]()

    if dialect == "sqlite":
        tables = set(db.session.scalars(text("SELECT tbl FROM sqlite_stat1")))
        assert "persons" in tables  # (an empty table gets no row)
    else:
        # -1: never analysed (PostgreSQL 14 and later)
        assert (
            db.session.scalar(text("SELECT reltuples FROM pg_class WHERE relname = 'persons'")) >= 0
        )


def test_the_scheduler_runs_the_statistics_soon_after_it_starts_and_daily(app):
    job = scheduler.build_scheduler(app).get_job("planner-statistics")
    assert job is not None
    assert str(job.trigger).startswith("cron")


def test_every_scheduled_job_is_named_in_the_log_lines(app):
    jobs = scheduler.build_scheduler(app).get_jobs()
    assert {job.name for job in jobs} == {f"job {name}" for name in scheduler.JOBS}
