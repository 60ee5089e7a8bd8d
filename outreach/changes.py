"""The change sequence: every write to a row the phone keeps gets its organisation's next
number, taken under a row lock so numbers commit in order. A phone's cursor is the highest
number it has seen; it never depends on the phone's clock.

The numbers are taken as the last step before COMMIT (`stamp` only marks the row): the lock
serialises every writer of an organisation from taking its number to its commit, so the less
happens in between, the more writers get through (docs/performance.md, "Sync under load").

Kernel code: the counter lives on the organisations table, named here as a plain table so that
the kernel does not import the orgs feature."""

from sqlalchemy import BigInteger, Uuid, column, event, inspect, select, table, update
from sqlalchemy.orm import Mapped, Session, mapped_column
from sqlalchemy.orm.attributes import flag_modified

from outreach.db import db

_organisations = table("organisations", column("id", Uuid), column("sync_seq", BigInteger))


class Synced:
    """The column every synced table carries."""

    # The organisation's change-sequence number of the last write to this row.
    sync_seq: Mapped[int] = mapped_column(BigInteger, default=0, nullable=False)


# session.info: the rows to number at commit, in order, by id(): marking one is O(1), also in a
# transaction that marks thousands (the retention purge's tombstones).
_MARKED = "outreach_stamp"


def _take_numbers(session: Session, organisation_id, count: int) -> int:
    """Move the organisation's counter on by `count` under its row lock; the last number."""
    return session.execute(
        update(_organisations)
        .where(_organisations.c.id == organisation_id)
        .values(sync_seq=_organisations.c.sync_seq + count)
        .returning(_organisations.c.sync_seq)
    ).scalar_one()


def committed_seq(organisation_id) -> int:
    """The highest number a reader may rely on: a plain read of the counter sees its last
    committed value (a writer holding the next number keeps its row locked, not hidden from
    reads), and every number up to it was taken by a transaction that has already ended."""
    return db.session.execute(
        select(_organisations.c.sync_seq).where(_organisations.c.id == organisation_id)
    ).scalar_one()


def has_stamped_rows(session: Session) -> bool:
    """Whether this transaction changed synced rows that are not numbered yet."""
    return bool(session.info.get(_MARKED))


def stamp(obj) -> None:
    """Give a row the next sequence number when the transaction commits; call on every
    change of a synced row. A row already in the database is marked changed now, so that the
    flush before the numbering locks it (see number_marked_rows)."""
    session = db.session()
    session.info.setdefault(_MARKED, {}).setdefault(id(obj), obj)
    if inspect(obj).persistent:
        flag_modified(obj, "sync_seq")


def resend(obj) -> None:
    """Stamp a row whose own fields did not change, so that phones pull it again for what it
    carries from other rows (a clinic's last visit): it keeps its `updated_at`, and with it
    its representation and ETag."""
    stamp(obj)
    if inspect(obj).persistent and hasattr(obj, "updated_at"):
        flag_modified(obj, "updated_at")


@event.listens_for(Session, "before_commit")
def _before_commit(session: Session) -> None:
    if not session.in_nested_transaction():  # the whole transaction, not a savepoint
        number_marked_rows(session)


def number_marked_rows(session: Session) -> None:
    """Number the marked rows: just before the commit of the whole transaction (and in the
    tests' factories, which flush and never commit).

    Every change is flushed first, so each row this transaction writes is locked before the
    counter is: a writer waiting for the counter holds no lock that the counter's holder still
    needs (no deadlock), and the holder's remaining work is one UPDATE of the counter, one of
    its numbered rows, and the commit."""
    marked = list(session.info.pop(_MARKED, {}).values())
    if not marked:
        return
    session.flush()
    by_organisation: dict = {}
    for row in marked:
        if inspect(row).persistent:  # not a row rolled back with its savepoint, or deleted
            by_organisation.setdefault(row.organisation_id, []).append(row)
    for organisation_id, rows in by_organisation.items():
        last = _take_numbers(session, organisation_id, len(rows))
        for number, row in enumerate(rows, start=last - len(rows) + 1):
            row.sync_seq = number
            if hasattr(row, "updated_at"):
                # The number is bookkeeping, not a change: the row keeps the time its flush
                # gave it (or the one it was given) instead of the update's default.
                flag_modified(row, "updated_at")


@event.listens_for(Session, "after_soft_rollback")
def _forget_marks(session: Session, previous_transaction) -> None:
    if previous_transaction.parent is None:  # the whole transaction, not a savepoint
        session.info.pop(_MARKED, None)
