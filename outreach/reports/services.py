"""The report figures of DESIGN.md §3 for one organisation and period, computed in SQL, and
the snapshots that keep them after the retention purge of person-level data.

How the figures are computed (docs/reports.md has the definitions as implemented):

- A period is a calendar year or month in Europe/Copenhagen. Its bounds are the UTC instants
  of local midnight, computed here with zoneinfo; the queries compare stored UTC timestamps
  with them, so the same SQL runs on SQLite and PostgreSQL.
- Four aggregate queries per year give a small "cube" of figures by clinic region (and by
  month); every report the API, page, exports and snapshots show is a sum over that cube, so
  the organisation's totals and every region's figures come from the same queries.
- Persons are counted by `Person.canonical_id`: merged records count as one person.
"""

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import (
    Integer,
    case,
    cast,
    distinct,
    exists,
    func,
    literal_column,
    select,
    true,
    union_all,
)
from sqlalchemy.orm import aliased

from outreach.clinics.models import Clinic
from outreach.db import db, utcnow
from outreach.errors import FieldErrors
from outreach.orgs.models import REGIONS, Organisation
from outreach.persons.models import Conversation, Person
from outreach.reports.models import SNAPSHOT_KEY, ReportSnapshot
from outreach.tenancy import tenant_select
from outreach.visits.models import CONCERN_LEVELS, Visit

LOCAL_TZ = ZoneInfo("Europe/Copenhagen")
FIRST_YEAR = 2000
FIGURES = (
    "visits",
    "clinics_visited",
    "admitted_visits",
    "conversations",
    "persons_talked_to",
    "first_time_persons",
)
MONTH_FIGURES = ("visits", "admitted_visits", "conversations")
SNAPSHOT_VERSION = 1
# Regions in the order of their official codes: Nordjylland (1081) first, as the annual
# report names them.
REGION_ORDER = {slug: code for slug, code, _ in REGIONS}


def local_midnight(year: int, month: int, day: int = 1) -> datetime:
    """The UTC instant at which this day begins in Copenhagen."""
    return datetime(year, month, day, tzinfo=LOCAL_TZ).astimezone(UTC)


def last_valid_year(now: datetime | None = None) -> int:
    """Reports may be asked for up to next year (plans made in December)."""
    return (now or utcnow()).astimezone(LOCAL_TZ).year + 1


def sorted_regions(slugs) -> list[str]:
    return sorted(slugs, key=lambda slug: REGION_ORDER.get(slug, 0))


@dataclass(frozen=True)
class Period:
    """A calendar year (month None) or month in Copenhagen local time."""

    year: int
    month: int | None = None

    @property
    def kind(self) -> str:
        return "year" if self.month is None else "month"

    @property
    def start(self) -> datetime:
        return local_midnight(self.year, self.month or 1)

    @property
    def end(self) -> datetime:
        if self.month is None or self.month == 12:
            return local_midnight(self.year + 1, 1)
        return local_midnight(self.year, self.month + 1)

    def month_starts(self) -> list[datetime]:
        """For a year: the UTC instants at which its months 2 to 12 begin."""
        return [local_midnight(self.year, month) for month in range(2, 13)]

    def previous(self) -> "Period":
        if self.month is None:
            return Period(self.year - 1)
        if self.month == 1:
            return Period(self.year - 1, 12)
        return Period(self.year, self.month - 1)

    @classmethod
    def containing(cls, instant: datetime, kind: str) -> "Period":
        local = instant.astimezone(LOCAL_TZ)
        return cls(local.year) if kind == "year" else cls(local.year, local.month)


# The cube ----------------------------------------------------------------------------------


@dataclass
class Cube:
    """A period's figures grouped by the region of the visit's clinic; the key None collects
    visits to clinics without a region and conversations held outside visits.

    visits:              region -> (visits, clinics visited, admitted visits)
    conversations:       region -> (conversations, persons talked to there, persons whose
                         first conversation of the period was there, first-time persons)
    visit_months:        (region, month) -> (visits, admitted visits)      [years only]
    conversation_months: (region, month) -> conversations                  [years only]

    A clinic has one region and a person's first conversation of the period happened in one
    place, so clinics, first conversations and first-time persons add up over regions;
    persons talked to do not (a person met in two regions counts in both).
    """

    period: Period
    visits: dict = field(default_factory=dict)
    conversations: dict = field(default_factory=dict)
    visit_months: dict = field(default_factory=dict)
    conversation_months: dict = field(default_factory=dict)

    def figures(self, region: str | None = None) -> dict:
        """The six figures of DESIGN.md §3 plus admission_rate; region None: all of them."""
        if region is None:
            visits, clinics, admitted = _column_sums(self.visits.values(), 3)
            conversations, _, persons, first_time = _column_sums(self.conversations.values(), 4)
        else:
            visits, clinics, admitted = self.visits.get(region, (0, 0, 0))
            conversations, persons, _, first_time = self.conversations.get(region, (0, 0, 0, 0))
        return {
            "visits": visits,
            "clinics_visited": clinics,
            "admitted_visits": admitted,
            "admission_rate": admission_rate(admitted, visits),
            "conversations": conversations,
            "persons_talked_to": persons,
            "first_time_persons": first_time,
        }

    def by_month(self, region: str | None = None) -> list[dict]:
        months = []
        for month in range(1, 13):
            visits = admitted = conversations = 0
            for (where, m), (v, a) in self.visit_months.items():
                if m == month and (region is None or where == region):
                    visits, admitted = visits + v, admitted + a
            for (where, m), c in self.conversation_months.items():
                if m == month and (region is None or where == region):
                    conversations += c
            months.append(
                {
                    "month": month,
                    "visits": visits,
                    "admitted_visits": admitted,
                    "conversations": conversations,
                }
            )
        return months

    def regions_visited(self) -> list[str]:
        return sorted_regions(r for r, (visits, _, _) in self.visits.items() if r and visits)


def _column_sums(rows, width: int) -> list[int]:
    sums = [0] * width
    for row in rows:
        for i, value in enumerate(row):
            sums[i] += value
    return sums


def admission_rate(admitted: int, visits: int) -> float | None:
    return round(admitted / visits, 4) if visits else None


def _in_period(column, period: Period):
    return (column >= period.start) & (column < period.end)


def _month_of(column, period: Period):
    """The local month (1-12) of a timestamp already known to lie in the year `period`."""
    return case(
        *[(column < start, month) for month, start in enumerate(period.month_starts(), 1)],
        else_=12,
    )


def _scoped(model, organisation_id, *columns):
    """`SELECT columns FROM model WHERE model.organisation_id = :org`, for aggregates."""
    return tenant_select(model, organisation_id).with_only_columns(
        *columns, maintain_column_froms=True
    )


def _visit_region_query(organisation_id, period: Period, *columns):
    return (
        _scoped(Visit, organisation_id, *columns)
        .join_from(Visit, Clinic, Clinic.id == Visit.clinic_id)
        .where(_in_period(Visit.started_at, period))
    )


def _conversation_region_query(organisation_id, period: Period, *columns):
    return (
        _scoped(Conversation, organisation_id, *columns)
        .outerjoin_from(Conversation, Visit, Visit.id == Conversation.visit_id)
        .outerjoin(Clinic, Clinic.id == Visit.clinic_id)
        .where(_in_period(Conversation.occurred_at, period))
    )


def compute_cube(organisation_id: uuid.UUID, period: Period) -> Cube:
    """The cube of one period, in one statement: the period's visits and its conversations
    are each read once (two CTEs, each used twice, which SQLite and PostgreSQL materialise)
    and aggregated by region and, for a year, by region and month."""
    by_month = period.kind == "year"
    region = Clinic.region_slug

    def month_of(column):
        return _month_of(column, period) if by_month else literal_column("0")

    visits = _visit_region_query(
        organisation_id,
        period,
        Visit.clinic_id.label("clinic"),
        region.label("region"),
        month_of(Visit.started_at).label("month"),
        case((Visit.outcome == "admitted", 1), else_=0).label("admitted"),
    ).cte("period_visits")

    # Each conversation of the period with its canonical person and region, numbered per
    # person in time order: number 1 is the person's first conversation of the period, which
    # is her first-ever one unless the organisation talked to her before the period.
    person = Person.canonical_id
    conversations = (
        _conversation_region_query(
            organisation_id,
            period,
            person.label("person"),
            region.label("region"),
            month_of(Conversation.occurred_at).label("month"),
            func.row_number()
            .over(partition_by=person, order_by=(Conversation.occurred_at, Conversation.id))
            .label("n"),
        )
        .join_from(Conversation, Person, Person.id == Conversation.person_id)
        .cte("period_conversations")
    )
    earlier_person, earlier = aliased(Person), aliased(Conversation)
    # Canonical ids are ids of the organisation's own persons, so this needs no org filter.
    met_before = exists().where(
        earlier_person.canonical_id == conversations.c.person,
        earlier.person_id == earlier_person.id,
        earlier.occurred_at < period.start,
    )
    v, c = visits.c, conversations.c

    def rows(kind: str, where, month, *figures):
        """One part of the UNION: (kind, region, month, figure, figure, figure)."""
        zeros = [literal_column("0")] * (3 - len(figures))
        return select(literal_column(f"'{kind}'"), where, month, *figures, *zeros)

    no_month = literal_column("0")
    parts = [
        rows(
            "visits",
            v.region,
            no_month,
            func.count(),
            func.count(distinct(v.clinic)),
            func.sum(v.admitted),
        ).group_by(v.region),
        rows(
            "conversations",
            c.region,
            no_month,
            func.count(),
            func.count(distinct(c.person)),
            func.sum(case((c.n == 1, 1), else_=0)),
        ).group_by(c.region),
        # First-time persons: a filter rather than an expression in the aggregate above, so
        # the probe runs once per person and PostgreSQL's cost estimate (and JIT) stays small.
        rows("first_time", c.region, no_month, func.count())
        .where(c.n == 1, ~met_before)
        .group_by(c.region),
    ]
    if by_month:
        parts += [
            rows("visit_months", v.region, v.month, func.count(), func.sum(v.admitted)).group_by(
                v.region, v.month
            ),
            rows("conversation_months", c.region, c.month, func.count()).group_by(
                c.region, c.month
            ),
        ]
    cube = Cube(period)
    first_time = {}
    for kind, where, month, a, b, c3 in db.session.execute(union_all(*parts)):
        if kind == "visits":
            cube.visits[where] = (a, b, c3)
        elif kind == "conversations":
            cube.conversations[where] = (a, b, c3)
        elif kind == "first_time":
            first_time[where] = a
        elif kind == "visit_months":
            cube.visit_months[(where, month)] = (a, b)
        else:
            cube.conversation_months[(where, month)] = a
    cube.conversations = {
        where: (*figures, first_time.get(where, 0)) for where, figures in cube.conversations.items()
    }
    return cube


# Reports -----------------------------------------------------------------------------------


def organisation_regions(organisation: Organisation) -> list[str]:
    return sorted_regions(organisation.region_slugs)


def check_region(organisation: Organisation, region: str | None) -> str | None:
    """The region filter, if it is one of the organisation's regions; else 422 on `region`."""
    if region is None or region in organisation.region_slugs:
        return region
    allowed = ", ".join(organisation_regions(organisation))
    raise FieldErrors({"region": [f"Not a region of your organisation; use one of {allowed}."]})


def _figures_without_rate(figures: dict) -> dict:
    return {key: figures[key] for key in FIGURES}


def build_report(cube: Cube, regions: list[str], region: str | None = None) -> dict:
    """The API representation of DESIGN.md §4 for the cube's period; with a region the
    top-level figures and months are that region's, and by_region still lists all."""
    period = cube.period
    report = {"year": period.year}
    if period.month is not None:
        report["month"] = period.month
    report["region"] = region
    report.update(cube.figures(region))
    report["by_region"] = [
        {"region": slug, **_figures_without_rate(cube.figures(slug))} for slug in regions
    ]
    if period.kind == "year":
        report["by_month"] = cube.by_month(region)
    return report


def annual_report(organisation: Organisation, year: int, region: str | None = None) -> dict:
    region = check_region(organisation, region)
    cube = compute_cube(organisation.id, Period(year))
    return build_report(cube, organisation_regions(organisation), region)


def monthly_report(
    organisation: Organisation, year: int, month: int, region: str | None = None
) -> dict:
    region = check_region(organisation, region)
    cube = compute_cube(organisation.id, Period(year, month))
    return build_report(cube, organisation_regions(organisation), region)


# Breakdowns for the page: who was met, what was handed out, what caused concern -------------


def _conversations_in(organisation_id, period: Period, region: str | None, *columns):
    stmt = _scoped(Conversation, organisation_id, *columns).where(
        _in_period(Conversation.occurred_at, period)
    )
    if region is not None:
        stmt = (
            stmt.join_from(Conversation, Visit, Visit.id == Conversation.visit_id)
            .join(Clinic, Clinic.id == Visit.clinic_id)
            .where(Clinic.region_slug == region)
        )
    return stmt


def _visits_in(organisation_id, period: Period, region: str | None, *columns):
    stmt = _scoped(Visit, organisation_id, *columns).where(_in_period(Visit.started_at, period))
    if region is not None:
        stmt = stmt.join_from(Visit, Clinic, Clinic.id == Visit.clinic_id).where(
            Clinic.region_slug == region
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
        build_report(cube, organisation_regions(organisation), region),
        breakdowns(organisation.id, period, region),
    )


# Snapshots ---------------------------------------------------------------------------------


def read_snapshot(organisation: Organisation, period: Period, region: str | None = None):
    """The stored figures of a period as ReportData, or None when none was stored."""
    region = check_region(organisation, region)
    snapshot = db.session.scalar(
        tenant_select(ReportSnapshot, organisation.id).where(
            ReportSnapshot.kind == period.kind,
            ReportSnapshot.year == period.year,
            _is(ReportSnapshot.month, period.month),
            _is(ReportSnapshot.region, region),
        )
    )
    if snapshot is None:
        return None
    return ReportData(
        organisation.id,
        period,
        region,
        snapshot.figures["report"],
        snapshot.figures["breakdowns"],
        computed_at=snapshot.computed_at,
    )


def _is(column, value):
    return column.is_(None) if value is None else column == value


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
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    stmt = insert(ReportSnapshot).values(**values)
    stmt = stmt.on_conflict_do_update(
        index_elements=list(SNAPSHOT_KEY),
        set_={"figures": stmt.excluded.figures, "computed_at": stmt.excluded.computed_at},
    )
    db.session.execute(stmt)


def snapshot_exists(organisation_id, period: Period, region: str | None) -> bool:
    return (
        db.session.scalar(
            tenant_select(ReportSnapshot, organisation_id)
            .with_only_columns(ReportSnapshot.id)
            .where(
                ReportSnapshot.kind == period.kind,
                ReportSnapshot.year == period.year,
                _is(ReportSnapshot.month, period.month),
                _is(ReportSnapshot.region, region),
            )
        )
        is not None
    )


def snapshot_period(
    organisation: Organisation, period: Period, *, overwrite: bool = True, end_reads: bool = False
) -> int:
    """Store the period's figures for the organisation and for each of its regions; returns
    how many snapshots were written. Without overwrite, existing snapshots are kept.

    Everything is computed first and written at the end. With end_reads (the nightly job),
    the transaction is also committed after each read: on SQLite every transaction takes the
    write lock (BEGIN IMMEDIATE, outreach/db.py), and the web requests should not wait
    behind a whole period's queries.
    """
    organisation_id, regions = organisation.id, organisation_regions(organisation)
    wanted = [
        region
        for region in [None, *regions]
        if overwrite or not snapshot_exists(organisation_id, period, region)
    ]
    if not wanted:
        return 0
    cube = compute_cube(organisation_id, period)
    computed = []
    for region in wanted:
        report = build_report(cube, regions, region)
        extra = breakdowns(organisation_id, period, region)
        computed.append(ReportData(organisation_id, period, region, report, extra))
        if end_reads:
            db.session.commit()
    now = utcnow()
    for data in computed:
        store_snapshot(data, now)
    db.session.flush()
    return len(computed)


def periods_to_snapshot(now: datetime) -> list[Period]:
    """The nightly job's periods: the current and previous month and year."""
    month, year = Period.containing(now, "month"), Period.containing(now, "year")
    return [month, month.previous(), year, year.previous()]


def take_snapshots(now: datetime | None = None) -> int:
    """The nightly job: snapshot the current and previous month and year of every
    organisation. A period that ended more than REPORT_SNAPSHOT_GRACE_DAYS ago (default 31:
    time for records made offline to arrive) is final: its snapshot is written once and
    never recomputed, so a later retention purge cannot shrink it. Commits per period.
    """
    now = now or utcnow()
    grace = timedelta(days=current_app.config["REPORT_SNAPSHOT_GRACE_DAYS"])
    written = 0
    organisations = list(db.session.scalars(select(Organisation).order_by(Organisation.name)))
    for organisation in organisations:
        for period in periods_to_snapshot(now):
            final = now >= period.end + grace
            written += snapshot_period(organisation, period, overwrite=not final, end_reads=True)
            db.session.commit()
    return written


def first_data_year(organisation_id) -> int | None:
    """The year of the organisation's first visit or conversation, for the year picker."""
    first = [
        db.session.scalar(_scoped(Visit, organisation_id, func.min(Visit.started_at))),
        db.session.scalar(
            _scoped(Conversation, organisation_id, func.min(Conversation.occurred_at))
        ),
    ]
    first = [at for at in first if at is not None]
    if not first:
        return None
    return max(FIRST_YEAR, min(first).astimezone(LOCAL_TZ).year)
