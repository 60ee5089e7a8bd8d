"""The state changes of reports: storing snapshots, which keep a period's figures after the
retention purge of person-level data, and sealing them before that purge. Flushes only; the
CLI command, the nightly job (outreach/scheduler.py) and the purge (outreach/retention)
commit."""

import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy.dialects import postgresql, sqlite

from outreach.db import db, utcnow
from outreach.orgs.models import Organisation
from outreach.reports.figures import Period
from outreach.reports.models import SNAPSHOT_KEY, ReportSnapshot
from outreach.reports.queries import ReportData, snapshot_figures


def store_snapshot(
    data: ReportData, computed_at: datetime | None = None, *, seal: bool = False
) -> None:
    """Insert or replace the snapshot of data's organisation, period and region; a sealed
    snapshot is never replaced (the rows it was computed from may be gone). `seal` seals it."""
    period = data.period
    values = {
        "id": uuid.uuid4(),
        "organisation_id": data.organisation_id,
        "kind": period.kind,
        "year": period.year,
        "month": period.month,
        "region": data.region,
        "figures": data.as_figures(),
        "computed_at": computed_at or utcnow(),
        "sealed_at": (computed_at or utcnow()) if seal else None,
    }
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = insert(ReportSnapshot).values(**values)
    stmt = stmt.on_conflict_do_update(
        index_elements=list(SNAPSHOT_KEY),
        set_={
            "figures": stmt.excluded.figures,
            "computed_at": stmt.excluded.computed_at,
            "sealed_at": stmt.excluded.sealed_at,
        },
        where=ReportSnapshot.sealed_at.is_(None),
    )
    db.session.execute(stmt)


def store_snapshots(computed: Sequence[ReportData], *, seal: bool = False) -> int:
    """Insert or replace each snapshot (sealed ones stay), all with the same computed_at;
    returns how many were computed."""
    now = utcnow()
    for data in computed:
        store_snapshot(data, now, seal=seal)
    db.session.flush()
    return len(computed)


def snapshot_period(organisation: Organisation, period: Period, *, overwrite: bool = True) -> int:
    """Store the period's figures for the organisation and for each of its regions; returns
    how many snapshots were written. Without overwrite, existing snapshots are kept.
    Everything is computed first and written at the end."""
    return store_snapshots(list(snapshot_figures(organisation, period, overwrite=overwrite)))


def seal_periods(organisation: Organisation, periods: Iterable[Period]) -> int:
    """Before the retention purge deletes person-level data of these periods: store each
    period's figures as they are now, for the organisation and each of its regions, and seal
    them, so that the report of the period reads them from then on (queries.load) and
    nothing recomputes them. A snapshot sealed by an earlier purge is kept as it is: it holds
    the figures from before that purge. Returns how many snapshots were sealed now."""
    sealed = 0
    for period in sorted(set(periods), key=lambda p: (p.year, p.month or 0)):
        sealed += store_snapshots(
            list(snapshot_figures(organisation, period, overwrite=True)), seal=True
        )
    return sealed
