"""The retention purge (SECURITY.md 21): in each organisation, persons without a conversation
for the organisation's number of years are deleted with their conversations, and the notes
of visits older than that are emptied. Before anything is deleted, the figures of every
month and year the deleted conversations count in are stored and sealed
(reports.services.seal_periods), so that every report figure of those periods stays as it
was: the report reads a sealed period from its snapshot.

Per organisation, the periods are sealed first, each in short transactions of its own
(seal_ahead); then one transaction locks the persons, judges them again, seals whatever
period is still unsealed, deletes, leaves the phones' tombstones and writes the audit event:
all of that commits together or not at all. A run killed midway leaves each organisation
purged or untouched (perhaps with periods sealed early, whose report is what it was), and
the next run does the rest. A second run finds nothing to do."""

import logging
from datetime import datetime

from sqlalchemy import delete, or_, select, update

from outreach.audit.services import record
from outreach.changes import stamp
from outreach.db import db, utcnow
from outreach.orgs.models import Organisation
from outreach.persons.models import Conversation, Person, PersonMerge, PersonTombstone
from outreach.reports.queries import snapshot_figures
from outreach.reports.services import seal_periods, store_snapshots
from outreach.retention.queries import Plan, batches, plan
from outreach.tenancy import scoped, tenant_select
from outreach.visits.models import Visit

log = logging.getLogger(__name__)


def organisations() -> list[Organisation]:
    return list(db.session.scalars(select(Organisation).order_by(Organisation.name)))


def plans(now: datetime | None = None) -> list[Plan]:
    """What a purge at `now` would delete in each organisation (the dry run); reads only."""
    now = now or utcnow()
    return [plan(organisation, now) for organisation in organisations()]


def _delete_persons(organisation_id, person_ids: list) -> None:
    for batch in batches(person_ids):
        db.session.execute(
            scoped(
                delete(PersonMerge).where(
                    or_(PersonMerge.source_id.in_(batch), PersonMerge.target_id.in_(batch))
                ),
                organisation_id,
                PersonMerge,
            ).execution_options(synchronize_session=False)
        )
        db.session.execute(
            scoped(
                delete(Conversation).where(Conversation.person_id.in_(batch)),
                organisation_id,
                Conversation,
            ).execution_options(synchronize_session=False)
        )
        # A merged record points at the one it was merged into: unlink the group first, so
        # that the order in which its records go does not matter.
        db.session.execute(
            scoped(
                update(Person).where(Person.id.in_(batch)).values(merged_into_id=None),
                organisation_id,
                Person,
            ).execution_options(synchronize_session=False)
        )
    for batch in batches(person_ids):
        db.session.execute(
            scoped(
                delete(Person).where(Person.id.in_(batch)), organisation_id, Person
            ).execution_options(synchronize_session=False)
        )
    now = utcnow()
    for person_id in person_ids:
        # Numbered in the change sequence: the pull tells the phones to drop her.
        tombstone = PersonTombstone(
            person_id=person_id, organisation_id=organisation_id, deleted_at=now
        )
        db.session.add(tombstone)
        stamp(tombstone)


def _clear_visit_notes(organisation_id, visit_ids: list) -> None:
    """Through the ORM, one visit at a time, so each gets a change number (phones that keep
    the visit pull it without its notes) and whatever the columns' type does on write."""
    for batch in batches(visit_ids):
        for visit in db.session.scalars(
            tenant_select(Visit, organisation_id).where(Visit.id.in_(batch))
        ):
            visit.notes = None
            visit.police_note = None
            stamp(visit)
        db.session.flush()


def seal_ahead(organisation: Organisation, now: datetime) -> int:
    """Seal the periods the purge at `now` will touch before it starts, one period at a
    time, ending the transaction after each read and each write (as the nightly snapshots
    do: on SQLite every transaction of the scheduler holds the write lock), so the purge's own
    transaction stays short. From its seal on, a period's report is its snapshot, so sealing
    early changes no figure, and a run killed between the two steps leaves sealed periods
    whose report is what it was. Returns how many snapshots were sealed."""
    periods = plan(organisation, now).periods()
    db.session.commit()
    sealed = 0
    for period in sorted(periods, key=lambda p: (p.year, p.month or 0)):
        computed = []
        for data in snapshot_figures(organisation, period, overwrite=True):
            computed.append(data)
            db.session.commit()
        sealed += store_snapshots(computed, seal=True)
        db.session.commit()
    return sealed


def purge_organisation(organisation: Organisation, now: datetime, sealed_ahead: int = 0) -> dict:
    """Purge one organisation at `now` and write its audit event; flushes, the caller
    commits. Returns the counts (no personal data). Periods not sealed ahead (a conversation
    stored since) are sealed here, in the same transaction, before anything is deleted."""
    what = plan(organisation, now, lock=True)
    sealed = sealed_ahead + seal_periods(organisation, what.periods())
    _delete_persons(organisation.id, what.person_ids)
    _clear_visit_notes(organisation.id, what.visit_ids)
    db.session.expire_all()  # the deleted rows must not linger in the session
    counts = {**what.counts(), "snapshots_sealed": sealed}
    record(
        "retention.purge",
        organisation_id=organisation.id,
        object_type="organisations",
        object_id=organisation.id,
        **counts,
    )
    db.session.flush()
    return counts


def purge(now: datetime | None = None) -> dict[str, dict]:
    """The purge in every organisation, one transaction each (committed here); returns
    {organisation name: counts}."""
    now = now or utcnow()
    db.session.commit()
    results = {}
    for organisation_id, name in [(o.id, o.name) for o in organisations()]:
        sealed = seal_ahead(db.session.get(Organisation, organisation_id), now)
        organisation = db.session.get(Organisation, organisation_id)
        results[name] = purge_organisation(organisation, now, sealed)
        db.session.commit()
        log.info(
            "retention purge: %s persons, %s conversations, %s visit notes",
            results[name]["persons"],
            results[name]["conversations"],
            results[name]["visit_notes"],
        )
    return results
