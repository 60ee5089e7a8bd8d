"""The state changes of reports: storing snapshots, which keep a period's figures after the
retention purge of person-level data. Flushes only; the CLI command and the nightly job
(outreach/scheduler.py) commit."""

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.dialects import postgresql, sqlite

from outreach.db import db, utcnow
from outreach.orgs.models import Organisation
from outreach.reports.figures import Period
from outreach.reports.models import SNAPSHOT_KEY, ReportSnapshot
from outreach.reports.queries import ReportData, snapshot_figures


def store_snapshot(data: ReportData, computed_at: datetime | None = None) -> None:
    """Insert or replace the snapshot of data's organisation, period and region."""
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
    }
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = insert(ReportSnapshot).values(**values)
    stmt = stmt.on_conflict_do_update(
        index_elements=list(SNAPSHOT_KEY),
        set_={"figures": stmt.excluded.figures, "computed_at": stmt.excluded.computed_at},
    )
    db.session.execute(stmt)


def store_snapshots(computed: Sequence[ReportData]) -> int:
    """Insert or replace each snapshot, all with the same computed_at; returns how many."""
    now = utcnow()
    for data in computed:
        store_snapshot(data, now)
    db.session.flush()
    return len(computed)


def snapshot_period(organisation: Organisation, period: Period, *, overwrite: bool = True) -> int:
    """Store the period's figures for the organisation and for each of its regions; returns
    how many snapshots were written. Without overwrite, existing snapshots are kept.
    Everything is computed first and written at the end."""
    return store_snapshots(list(snapshot_figures(organisation, period, overwrite=overwrite)))
