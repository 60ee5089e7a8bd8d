"""Tenant-scoped reads of the reports beyond the binding figures: the page's breakdowns (who
was met, what was handed out, what caused concern), everything one report shows (live or from
a stored snapshot), the year picker's first year, and what the nightly snapshots compute."""

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import Integer, case, cast, distinct, func, select, true
from sqlalchemy.orm import aliased

from outreach.clinics.models import Clinic
from outreach.db import db
from outreach.orgs.models import Organisation
from outreach.orgs.queries import code_labels
from outreach.persons.models import Conversation, Person
from outreach.reports.figures import (
    FIRST_YEAR,
    LOCAL_TZ,
    Period,
    build_report,
    check_region,
    columns_of,
    compute_cube,
    in_period,
    organisation_regions,
)
from outreach.reports.models import ReportSnapshot
from outreach.reports.screening import screening
from outreach.tenancy import scoped, tenant_select
from outreach.visits.models import CONCERN_LEVELS, Visit

SNAPSHOT_VERSION = 1

# Breakdowns for the page: who was met, what was handed out, what caused concern -------------


def _conversations_in(organisation_id, period: Period, region: str | None, *columns):
    stmt = columns_of(Conversation, organisation_id, *columns).where(
        in_period(Conversation.occurred_at, period)
    )
    if region is not None:
        stmt = scoped(
            stmt.join_from(Conversation, Visit, Visit.id == Conversation.visit_id)
            .join(Clinic, Clinic.id == Visit.clinic_id)
            .where(Clinic.region_slug == region),
            organisation_id,
            Visit,
            Clinic,
        )
    return stmt


def _visits_in(organisation_id, period: Period, region: str | None, *columns):
    stmt = columns_of(Visit, organisation_id, *columns).where(in_period(Visit.started_at, period))
    if region is not None:
        stmt = scoped(
            stmt.join_from(Visit, Clinic, Clinic.id == Visit.clinic_id).where(
                Clinic.region_slug == region
            ),
            organisation_id,
            Clinic,
        )
    return stmt


def _persons_by_nationality_and_gender(organisation_id, period: Period, region: str | None):
    """Persons talked to in the period, counted once each (after merges), by the nationality
    and gender of the record every merged record counts as: [(nationality, gender, n)].
    Each person has one of each, so summing over one gives the counts by the other."""
    canonical = aliased(Person)
    stmt = (
        _conversations_in(
            organisation_id,
            period,
            region,
            canonical.nationality,
            canonical.gender,
            func.count(distinct(canonical.id)),
        )
        .join_from(Conversation, Person, Person.id == Conversation.person_id)
        .join(canonical, canonical.id == Person.canonical_id)
        .group_by(canonical.nationality, canonical.gender)
    )
    stmt = scoped(stmt, organisation_id, Person, canonical)
    return db.session.execute(stmt).all()


def _totals_by(rows, index: int) -> list[tuple]:
    """Sum the last column of (nationality, gender, n) rows by one of the first two; largest
    first, unknown last."""
    totals: dict = {}
    for row in rows:
        totals[row[index]] = totals.get(row[index], 0) + row[-1]
    return sorted(totals.items(), key=lambda kv: (-kv[1], kv[0] is None, kv[0] or ""))


def _supplies(organisation_id, period: Period, region: str | None):
    """Items handed out: the sum of each item's count over the visits' `supplies` objects."""
    dialect = db.session.get_bind().dialect.name
    # The same JSON table function under two names: SQLite's json_each gives typed values,
    # PostgreSQL's json_each_text gives text (cast below in both).
    each = func.json_each_text if dialect == "postgresql" else func.json_each
    items = each(Visit.supplies).table_valued("key", "value", name="item")
    total = func.sum(cast(items.c.value, Integer))
    stmt = (
        _visits_in(organisation_id, period, region, items.c.key, total)
        .join_from(Visit, items, true())
        .group_by(items.c.key)
    )
    rows = db.session.execute(stmt).all()
    return sorted(((key, int(n or 0)) for key, n in rows), key=lambda row: (-row[1], row[0]))


def _visit_concern(organisation_id, period, region) -> tuple[dict, int]:
    """Visits by concern level, and how many of them the police were informed of."""
    police = func.sum(case((Visit.police_informed.is_(True), 1), else_=0))
    rows = db.session.execute(
        _visits_in(
            organisation_id, period, region, Visit.concern_level, func.count(), police
        ).group_by(Visit.concern_level)
    ).all()
    levels = {level: n for level, n, _ in rows}
    return levels, sum(informed for _, _, informed in rows)


def _conversation_concern(organisation_id, period, region) -> dict:
    stmt = _conversations_in(
        organisation_id, period, region, Conversation.concern_level, func.count()
    ).group_by(Conversation.concern_level)
    return dict(db.session.execute(stmt).all())


def breakdowns(organisation_id, period: Period, region: str | None = None) -> dict:
    """The page's tables beyond the binding figures. JSON-ready (stored in snapshots)."""
    visit_concern, police = _visit_concern(organisation_id, period, region)
    conversation_concern = _conversation_concern(organisation_id, period, region)
    persons = _persons_by_nationality_and_gender(organisation_id, period, region)
    return {
        "nationalities": [
            {"nationality": code, "persons": n} for code, n in _totals_by(persons, 0)
        ],
        "genders": [{"gender": code, "persons": n} for code, n in _totals_by(persons, 1)],
        "supplies": [
            {"item": item, "count": n} for item, n in _supplies(organisation_id, period, region)
        ],
        "concern": [
            {
                "level": level,
                "visits": visit_concern.get(level, 0),
                "conversations": conversation_concern.get(level, 0),
            }
            for level in (*CONCERN_LEVELS, None)
        ],
        "police_informed_visits": police,
    }


def supply_labels(organisation_id) -> dict:
    """The organisation's names for its supply codes (also for codes taken off the list)."""
    return code_labels(db.session.get(Organisation, organisation_id), "supplies")


# One report: the figures and the breakdowns ----------------------------------------------


@dataclass
class ReportData:
    """Everything the page, the exports and a snapshot show for one period and region."""

    organisation_id: uuid.UUID
    period: Period
    region: str | None
    report: dict
    breakdowns: dict
    computed_at: datetime | None = None  # set when read from a snapshot

    def as_figures(self) -> dict:
        return {"version": SNAPSHOT_VERSION, "report": self.report, "breakdowns": self.breakdowns}


def report_data(organisation: Organisation, period: Period, region: str | None = None):
    region = check_region(organisation, region)
    cube = compute_cube(organisation.id, period)
    return ReportData(
        organisation.id,
        period,
        region,
        with_screening(
            build_report(cube, organisation_regions(organisation), region), organisation.id, period
        ),
        breakdowns(organisation.id, period, region),
    )


def with_screening(report: dict, organisation_id, period: Period) -> dict:
    """The report with its `screening` object (reports/screening.py): computed now unless it
    has one (a snapshot stored before the screening section has none)."""
    if "screening" in report:
        return report
    return {**report, "screening": screening(organisation_id, period, report["region"])}


def load(organisation: Organisation, period: Period, region: str | None, source: str):
    """The report as the page and the files show it: computed now (`live`), or the stored
    snapshot (`snapshot`; None when none was stored). A period whose person-level data the
    retention purge deleted is always read from its sealed snapshot: computed now, its
    figures would shrink."""
    if source == "snapshot":
        return read_snapshot(organisation, period, region)
    return read_snapshot(organisation, period, region, sealed=True) or report_data(
        organisation, period, region
    )


# Snapshots ---------------------------------------------------------------------------------


def read_snapshot(
    organisation: Organisation, period: Period, region: str | None = None, *, sealed=False
):
    """The stored figures of a period as ReportData, or None when none was stored (with
    `sealed`: none sealed by the retention purge)."""
    region = check_region(organisation, region)
    stmt = tenant_select(ReportSnapshot, organisation.id).where(
        ReportSnapshot.kind == period.kind,
        ReportSnapshot.year == period.year,
        _is(ReportSnapshot.month, period.month),
        _is(ReportSnapshot.region, region),
    )
    if sealed:
        stmt = stmt.where(ReportSnapshot.sealed_at.is_not(None))
    snapshot = db.session.scalar(stmt)
    if snapshot is None:
        return None
    return ReportData(
        organisation.id,
        period,
        region,
        with_screening(snapshot.figures["report"], organisation.id, period),
        snapshot.figures["breakdowns"],
        computed_at=snapshot.computed_at,
    )


def _is(column, value):
    return column.is_(None) if value is None else column == value


def snapshot_exists(
    organisation_id, period: Period, region: str | None, *, sealed: bool = False
) -> bool:
    stmt = (
        tenant_select(ReportSnapshot, organisation_id)
        .with_only_columns(ReportSnapshot.id)
        .where(
            ReportSnapshot.kind == period.kind,
            ReportSnapshot.year == period.year,
            _is(ReportSnapshot.month, period.month),
            _is(ReportSnapshot.region, region),
        )
    )
    if sealed:
        stmt = stmt.where(ReportSnapshot.sealed_at.is_not(None))
    return db.session.scalar(stmt) is not None


def snapshot_figures(
    organisation: Organisation, period: Period, *, overwrite: bool = True
) -> Iterator[ReportData]:
    """The period's figures for the organisation and for each of its regions, one at a time:
    those without a snapshot, and with overwrite also those whose snapshot the retention
    purge has not sealed (a sealed one is never recomputed). The cube is read once, before
    the first; a caller may end its transaction between two (the nightly job does)."""
    organisation_id, regions = organisation.id, organisation_regions(organisation)
    wanted = [
        region
        for region in [None, *regions]
        # With overwrite, skip only sealed snapshots; without, skip every stored one.
        if not snapshot_exists(organisation_id, period, region, sealed=overwrite)
    ]
    if not wanted:
        return
    cube = compute_cube(organisation_id, period)
    for region in wanted:
        report = build_report(cube, regions, region)
        extra = breakdowns(organisation_id, period, region)
        yield ReportData(organisation_id, period, region, report, extra)


def periods_to_snapshot(now: datetime) -> list[Period]:
    """The nightly job's periods: the current and previous month and year."""
    month, year = Period.containing(now, "month"), Period.containing(now, "year")
    return [month, month.previous(), year, year.previous()]


def due_snapshots(now: datetime) -> list[tuple[Organisation, Period, bool]]:
    """The nightly job's work: (organisation, period, overwrite) for the current and previous
    month and year of every organisation. A period that ended more than
    REPORT_SNAPSHOT_GRACE_DAYS ago (default 31: time for records made offline to arrive) is
    final: its snapshot is written once and never recomputed (overwrite False), so a later
    retention purge cannot shrink it."""
    grace = timedelta(days=current_app.config["REPORT_SNAPSHOT_GRACE_DAYS"])
    organisations = list(db.session.scalars(select(Organisation).order_by(Organisation.name)))
    return [
        (organisation, period, now < period.end + grace)
        for organisation in organisations
        for period in periods_to_snapshot(now)
    ]


# The year picker ---------------------------------------------------------------------------


def first_data_year(organisation_id) -> int | None:
    """The year of the organisation's first visit or conversation, or of its first sealed
    snapshot (the retention purge may have deleted the conversations), for the year picker."""
    first = [
        db.session.scalar(columns_of(Visit, organisation_id, func.min(Visit.started_at))),
        db.session.scalar(
            columns_of(Conversation, organisation_id, func.min(Conversation.occurred_at))
        ),
    ]
    years = [at.astimezone(LOCAL_TZ).year for at in first if at is not None]
    sealed = db.session.scalar(
        columns_of(ReportSnapshot, organisation_id, func.min(ReportSnapshot.year)).where(
            ReportSnapshot.sealed_at.is_not(None)
        )
    )
    if sealed is not None:
        years.append(sealed)
    if not years:
        return None
    return max(FIRST_YEAR, min(years))
