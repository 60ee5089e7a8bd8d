"""What the retention purge would delete in one organisation, read without changing anything:
the persons without contact for the organisation's number of years (merged records judged
together), their conversations, and the visits whose notes are older than that.

Only ids, times and counts are read: never an alias or a note (they are personal data, and
encrypted at rest)."""

import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import func, or_, select

from outreach.db import db
from outreach.orgs.models import Organisation
from outreach.orgs.queries import retention_years
from outreach.persons.models import Conversation, Person
from outreach.reports.figures import LOCAL_TZ, Period
from outreach.tenancy import scoped, scoped_outerjoin
from outreach.visits.models import Visit

BATCH = 500  # ids per IN (...) list: well under every database's limit on bound values


def cutoff(now: datetime, years: int) -> datetime:
    """The instant `years` calendar years before `now`, in UTC (29 February: the 28th)."""
    now = now.astimezone(UTC)
    try:
        return now.replace(year=now.year - years)
    except ValueError:
        return now.replace(year=now.year - years, day=28)


def batches(ids: list) -> list[list]:
    return [ids[i : i + BATCH] for i in range(0, len(ids), BATCH)]


@dataclass
class Plan:
    """One organisation's purge: what goes, and the counts by Copenhagen calendar year."""

    organisation: Organisation
    years: int
    cutoff: datetime
    persons: int = 0  # persons as the reports count them: merged records as one
    person_ids: list[uuid.UUID] = field(default_factory=list)  # every record, merged ones too
    conversation_times: list[datetime] = field(default_factory=list)
    visit_ids: list[uuid.UUID] = field(default_factory=list)
    persons_by_year: Counter = field(default_factory=Counter)  # by the year of last contact
    conversations_by_year: Counter = field(default_factory=Counter)
    visit_notes_by_year: Counter = field(default_factory=Counter)

    def periods(self) -> set[Period]:
        """The months and years whose figures the deleted conversations count in."""
        periods = set()
        for at in self.conversation_times:
            local = at.astimezone(LOCAL_TZ)
            periods.update((Period(local.year), Period(local.year, local.month)))
        return periods

    def counts(self) -> dict:
        """Counts only, never an id: for the audit event and the command's output."""
        years = sorted(
            set(self.persons_by_year)
            | set(self.conversations_by_year)
            | set(self.visit_notes_by_year)
        )
        return {
            "years": self.years,
            "cutoff": self.cutoff.isoformat(timespec="seconds"),
            "persons": self.persons,
            "person_records": len(self.person_ids),
            "conversations": len(self.conversation_times),
            "visit_notes": len(self.visit_ids),
            "by_year": {
                str(year): {
                    "persons": self.persons_by_year[year],
                    "conversations": self.conversations_by_year[year],
                    "visit_notes": self.visit_notes_by_year[year],
                }
                for year in years
            },
        }


def _year(at: datetime) -> int:
    return at.astimezone(LOCAL_TZ).year


def expired_groups(organisation_id, before: datetime) -> dict[uuid.UUID, datetime]:
    """{canonical id: last contact} of the persons without contact since `before`. Merged
    records are one person: a group is judged by the newest conversation of any of its
    records; a group without any conversation by when its newest record was made."""
    last_conversation = func.max(Conversation.occurred_at)
    newest_record = func.max(Person.created_at)
    stmt = select(Person.canonical_id, last_conversation, newest_record).select_from(Person)
    stmt = scoped_outerjoin(
        stmt, Conversation, Conversation.person_id == Person.id, organisation_id, left=Person
    )
    stmt = scoped(stmt, organisation_id, Person).group_by(Person.canonical_id)
    stmt = stmt.having(func.coalesce(last_conversation, newest_record) < before)
    return {
        canonical: conversation or created
        for canonical, conversation, created in db.session.execute(stmt)
    }


def group_members(organisation_id, canonical_ids: list, *, lock: bool = False) -> list:
    """The ids of every record of these persons (merged records included); with `lock`,
    locked until the transaction ends (PostgreSQL), so no conversation or merge can name
    them meanwhile."""
    members = []
    for batch in batches(canonical_ids):
        stmt = scoped(
            select(Person.id).where(Person.canonical_id.in_(batch)), organisation_id, Person
        )
        if lock:
            stmt = stmt.with_for_update()
        members.extend(db.session.scalars(stmt))
    return members


def conversation_times(organisation_id, person_ids: list) -> list[datetime]:
    times = []
    for batch in batches(person_ids):
        stmt = scoped(
            select(Conversation.occurred_at).where(Conversation.person_id.in_(batch)),
            organisation_id,
            Conversation,
        )
        times.extend(db.session.scalars(stmt))
    return times


def visits_with_old_notes(organisation_id, before: datetime) -> list[tuple[uuid.UUID, datetime]]:
    """(id, start) of the visits started before `before` that still have a note or a police
    note (only whether there is one is read)."""
    stmt = scoped(
        select(Visit.id, Visit.started_at).where(
            Visit.started_at < before,
            or_(Visit.notes.column.is_not(None), Visit.police_note.column.is_not(None)),
        ),
        organisation_id,
        Visit,
    )
    return list(db.session.execute(stmt.order_by(Visit.started_at)))


def plan(organisation: Organisation, now: datetime, *, lock: bool = False) -> Plan:
    """What the purge deletes in the organisation at `now`; with `lock` (the purge itself),
    the persons are locked and judged again after the lock, so a conversation stored
    meanwhile keeps its person."""
    years = retention_years(organisation)
    result = Plan(organisation, years, cutoff(now, years))
    organisation_id = organisation.id
    groups = expired_groups(organisation_id, result.cutoff)
    if lock and groups:
        group_members(organisation_id, list(groups), lock=True)
        groups = expired_groups(organisation_id, result.cutoff)
    result.persons = len(groups)
    result.person_ids = group_members(organisation_id, list(groups))
    for last_contact in groups.values():
        result.persons_by_year[_year(last_contact)] += 1
    result.conversation_times = conversation_times(organisation_id, result.person_ids)
    for at in result.conversation_times:
        result.conversations_by_year[_year(at)] += 1
    for visit_id, started_at in visits_with_old_notes(organisation_id, result.cutoff):
        result.visit_ids.append(visit_id)
        result.visit_notes_by_year[_year(started_at)] += 1
    return result
