"""Scheduled jobs (APScheduler), run only by `flask --app outreach scheduler`.

Each job runs under a lease in the database, so two scheduler processes (or a restart while
a run is still going) never run the same job at the same time, on SQLite or PostgreSQL.
"""

import contextlib
import logging
import os
import socket
from collections.abc import Callable
from datetime import datetime, timedelta
from importlib import import_module

from apscheduler.schedulers.blocking import BlockingScheduler
from flask import current_app
from sqlalchemy import String, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from outreach import throttle
from outreach.auth import devices
from outreach.clinics.services import retry_pending_geocoding
from outreach.db import UTCDateTime, db, utcnow
from outreach.reports import queries, services
from outreach.retention import services as retention

log = logging.getLogger(__name__)
EPOCH = datetime(1970, 1, 1).astimezone()


class JobLock(db.Model):
    __tablename__ = "job_locks"

    name: Mapped[str] = mapped_column(String(60), primary_key=True)
    locked_until: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    holder: Mapped[str | None] = mapped_column(String(120))
    last_run_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


def holder_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _create_lock_row(name: str) -> None:
    """The job's row, unless it exists; a write, so the transaction begins as a writer."""
    dialect = db.session.get_bind().dialect.name
    if dialect in ("postgresql", "sqlite"):
        insert = import_module(f"sqlalchemy.dialects.{dialect}").insert
        db.session.execute(
            insert(JobLock)
            .values(name=name, locked_until=EPOCH)
            .on_conflict_do_nothing(index_elements=["name"])
        )
        return
    if db.session.get(JobLock, name) is None:
        try:
            with db.session.begin_nested():
                db.session.add(JobLock(name=name, locked_until=EPOCH))
        except IntegrityError:
            pass  # another process created it first


def acquire(name: str, lease: timedelta, holder: str) -> bool:
    """Take the lease on a job; False when another process holds it. Commits.

    Nothing is read before the first write: on SQLite a transaction that reads and then
    writes fails at once ("database is locked") when another process wrote in between,
    whereas one that starts with a write waits its turn (busy_timeout).
    """
    db.session.commit()  # start from a fresh transaction
    _create_lock_row(name)
    now = utcnow()
    taken = db.session.execute(
        update(JobLock)
        .where(JobLock.name == name, JobLock.locked_until < now)
        .values(locked_until=now + lease, holder=holder)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    return taken == 1


def release(name: str, holder: str) -> None:
    now = utcnow()
    db.session.execute(
        update(JobLock)
        .where(JobLock.name == name, JobLock.holder == holder)
        .values(locked_until=now, last_run_at=now)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


def run_locked(
    name: str,
    job: Callable[[], object],
    *,
    lease: timedelta = timedelta(minutes=30),
    holder: str | None = None,
):
    """Run `job` if this process gets the lease; returns its result, or None when skipped."""
    holder = holder or holder_name()
    if not acquire(name, lease, holder):
        log.info("job %s skipped: another process holds its lease", name)
        return None
    try:
        result = job()
        db.session.commit()
        return result
    except Exception:
        db.session.rollback()
        log.exception("job %s failed", name)
        raise
    finally:
        release(name, holder)


def geocode_retry_job() -> int:
    return retry_pending_geocoding(current_app.config["GEOCODE_BATCH"])


def report_snapshots_job(now: datetime | None = None) -> int:
    """The nightly snapshots (reports.queries.due_snapshots); returns how many were written.

    Commits after each read and after each period's writes: on SQLite every transaction takes
    the write lock (BEGIN IMMEDIATE, outreach/db.py), and the web requests should not wait
    behind a whole period's queries.
    """
    written = 0
    for organisation, period, overwrite in queries.due_snapshots(now or utcnow()):
        computed = []
        for data in queries.snapshot_figures(organisation, period, overwrite=overwrite):
            computed.append(data)
            db.session.commit()
        written += services.store_snapshots(computed)
        db.session.commit()
    return written


def retention_job(now: datetime | None = None) -> int:
    """The retention purge (outreach/retention), one transaction per organisation; returns
    how many persons were deleted."""
    return sum(counts["persons"] for counts in retention.purge(now).values())


def revoked_devices_job(now: datetime | None = None) -> int:
    """Drops the recovery keys of phones revoked longer ago than the revocation can be undone
    (auth.devices); returns how many."""
    dropped = devices.drop_revoked_keys(now)
    db.session.commit()
    return dropped


def throttle_cleanup_job() -> int:
    """Deletes the login throttle's expired counts (outreach/throttle.py), a batch per run:
    a run takes a short write, and rows left over count as nothing until the next run."""
    return throttle.delete_expired(batch=10_000)


def planner_statistics_job() -> str:
    """Fresh statistics for the query planner (ANALYZE). Without them SQLite plans a query by
    the shape of its indexes alone and reads a person's conversations by scanning the
    organisation's every conversation (0.1 s instead of 0.2 ms with 20,000 persons; the kept
    person index, persons.queries, relies on the fast plan). On SQLite the sample is bounded
    (analysis_limit), so the write lock is short; PostgreSQL's autovacuum analyses too, and
    this only makes sure of it after a bulk load. Returns the database's name."""
    dialect = db.session.connection().dialect.name
    if dialect == "sqlite":
        db.session.execute(text("PRAGMA analysis_limit=1000"))
    db.session.execute(text("ANALYZE"))
    db.session.commit()
    return dialect


JOBS: dict[str, Callable[[], object]] = {
    "geocode-retry": geocode_retry_job,
    "planner-statistics": planner_statistics_job,
    "report-snapshots": report_snapshots_job,
    "retention": retention_job,
    "revoked-devices": revoked_devices_job,
    "throttle-cleanup": throttle_cleanup_job,
}


def job_lock_names() -> list[str]:
    return list(db.session.scalars(select(JobLock.name)))


def _in_app(app, name):
    def run():
        with app.app_context():
            try:
                run_locked(name, JOBS[name])
            finally:
                db.session.remove()

    run.__qualname__ = f"job {name}"  # APScheduler's log lines name a job by it
    return run


def build_scheduler(app, scheduler_class=None):
    scheduler = (scheduler_class or BlockingScheduler)(timezone="Europe/Copenhagen")
    scheduler.add_job(
        _in_app(app, "geocode-retry"),
        "interval",
        minutes=app.config["GEOCODE_RETRY_MINUTES"],
        id="geocode-retry",
        next_run_time=utcnow() + timedelta(seconds=10),
        coalesce=True,
        max_instances=1,
    )
    scheduler.add_job(
        _in_app(app, "throttle-cleanup"),
        "interval",
        minutes=15,
        id="throttle-cleanup",
        coalesce=True,
        max_instances=1,
    )
    # Nightly, Danish time: snapshots of the current and previous month and year.
    scheduler.add_job(
        _in_app(app, "report-snapshots"),
        "cron",
        hour=app.config["REPORT_SNAPSHOT_HOUR"],
        minute=15,
        id="report-snapshots",
        coalesce=True,
        max_instances=1,
        misfire_grace_time=6 * 3600,
    )
    # Daily, after the snapshots: the retention purge of person-level data.
    scheduler.add_job(
        _in_app(app, "retention"),
        "cron",
        hour=app.config["RETENTION_HOUR"],
        minute=30,
        id="retention",
        coalesce=True,
        max_instances=1,
        misfire_grace_time=6 * 3600,
    )
    # Daily, with the retention purge: the keys of phones revoked more than 30 days ago.
    scheduler.add_job(
        _in_app(app, "revoked-devices"),
        "cron",
        hour=app.config["RETENTION_HOUR"],
        minute=40,
        id="revoked-devices",
        coalesce=True,
        max_instances=1,
        misfire_grace_time=6 * 3600,
    )
    # Daily, and a minute after the scheduler starts (a new or restored database has none).
    scheduler.add_job(
        _in_app(app, "planner-statistics"),
        "cron",
        hour=app.config["RETENTION_HOUR"],
        minute=50,
        id="planner-statistics",
        next_run_time=utcnow() + timedelta(minutes=1),
        coalesce=True,
        max_instances=1,
        misfire_grace_time=6 * 3600,
    )
    return scheduler


def run_forever(app) -> None:
    # Logging is set up by the app factory (outreach/logs.py): JSON lines in production.
    scheduler = build_scheduler(app)
    log.info("scheduler started with jobs: %s", ", ".join(j.id for j in scheduler.get_jobs()))
    with contextlib.suppress(KeyboardInterrupt, SystemExit):
        scheduler.start()
