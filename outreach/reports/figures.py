"""The report figures of DESIGN.md §3 for one organisation and period, computed in SQL: the
periods, the cube of figures by region and month, and the report the API shows.

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
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import case, distinct, exists, func, literal_column, select, union_all
from sqlalchemy.orm import aliased

from outreach.clinics.models import Clinic
from outreach.db import db, utcnow
from outreach.errors import FieldErrors
from outreach.orgs.models import REGIONS, Organisation
from outreach.persons.models import Conversation, Person
from outreach.tenancy import scoped, scoped_outerjoin, tenant_select
from outreach.visits.models import Visit

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


def in_period(column, period: Period):
    """The timestamp column lies in the period."""
    return (column >= period.start) & (column < period.end)


def _month_of(column, period: Period):
    """The local month (1-12) of a timestamp already known to lie in the year `period`."""
    return case(
        *[(column < start, month) for month, start in enumerate(period.month_starts(), 1)],
        else_=12,
    )


def columns_of(model, organisation_id, *columns):
    """`SELECT columns FROM model WHERE model.organisation_id = :org`, for aggregates."""
    return tenant_select(model, organisation_id).with_only_columns(
        *columns, maintain_column_froms=True
    )


def _visit_region_query(organisation_id, period: Period, *columns):
    stmt = columns_of(Visit, organisation_id, *columns).join_from(
        Visit, Clinic, Clinic.id == Visit.clinic_id
    )
    return scoped(stmt, organisation_id, Clinic).where(in_period(Visit.started_at, period))


def _conversation_region_query(organisation_id, period: Period, *columns):
    stmt = columns_of(Conversation, organisation_id, *columns)
    stmt = scoped_outerjoin(
        stmt, Visit, Visit.id == Conversation.visit_id, organisation_id, left=Conversation
    )
    stmt = scoped_outerjoin(stmt, Clinic, Clinic.id == Visit.clinic_id, organisation_id)
    return stmt.where(in_period(Conversation.occurred_at, period))


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
    conversations = _conversation_region_query(
        organisation_id,
        period,
        person.label("person"),
        region.label("region"),
        month_of(Conversation.occurred_at).label("month"),
        func.row_number()
        .over(partition_by=person, order_by=(Conversation.occurred_at, Conversation.id))
        .label("n"),
    ).join_from(Conversation, Person, Person.id == Conversation.person_id)
    conversations = scoped(conversations, organisation_id, Person).cte("period_conversations")
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
