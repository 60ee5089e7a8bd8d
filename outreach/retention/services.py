"""The retention purge (SECURITY.md 21): in each organisation, persons without a conversation
for the organisation's number of years are deleted with their conversations, and the notes
of visits older than that are emptied. Before anything is deleted, the figures of every
month and year the deleted conversations count in are stored and sealed
(reports.services.seal_periods), so that every report figure of those periods stays as it
was: the report reads a sealed period from its snapshot.

One transaction per organisation: sealing, deleting, the phones' tombstones and the audit
event commit together or not at all, so a run killed midway leaves each organisation either
purged or untouched, and the next run does the rest. A second run finds nothing to do."""

import logging
from datetime import datetime

from sqlalchemy import delete, or_, select, update

from outreach.audit.services import record
from outreach.changes import stamp
from outreach.db import db, utcnow
from outreach.orgs.models import Organisation
from outreach.persons.models import Conversation, Person, PersonMerge, PersonTombstone
from outreach.reports.services import seal_periods
from outreach.retention.queries import Plan, batches, plan
from outreach.tenancy import scoped, tenant_select
from outreach.visits.models import Visit

log = logging.getLogger(__name__)

AUDIT_ACTION = "retention.purge"


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


def purge_organisation(organisation: Organisation, now: datetime) -> dict:
    """Purge one organisation at `now` and write its audit event; flushes, the caller
    commits. Returns the counts (no personal data)."""
    what = plan(organisation, now, lock=True)
    sealed = seal_periods(organisation, what.periods())
    _delete_persons(organisation.id, what.person_ids)
    _clear_visit_notes(organisation.id, what.visit_ids)
    db.session.expire_all()  # the deleted rows must not linger in the session
    counts = {**what.counts(), "snapshots_sealed": sealed}
    record(
        AUDIT_ACTION,
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
        organisation = db.session.get(Organisation, organisation_id)
        results[name] = purge_organisation(organisation, now)
        db.session.commit()
        log.info(
            "retention purge: %s persons, %s conversations, %s visit notes",
            results[name]["persons"],
            results[name]["conversations"],
            results[name]["visit_notes"],
        )
    return results
