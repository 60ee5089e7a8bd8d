"""The change sequence: every write to a row the phone keeps gets its organisation's next
number, taken under a row lock so numbers commit in order. A phone's cursor is the highest
number it has seen; it never depends on the phone's clock.

Kernel code: the counter lives on the organisations table, named here as a plain table so that
the kernel does not import the orgs feature."""

from sqlalchemy import BigInteger, Uuid, column, select, table, update
from sqlalchemy.orm import Mapped, mapped_column

from outreach.db import db

_organisations = table("organisations", column("id", Uuid), column("sync_seq", BigInteger))


class Synced:
    """The column every synced table carries."""

    # The organisation's change-sequence number of the last write to this row.
    sync_seq: Mapped[int] = mapped_column(BigInteger, default=0, nullable=False)


def next_seq(organisation_id) -> int:
    # Without autoflush: the rows being changed are written afterwards, numbered, in one
    # statement each, instead of an insert now and an update of their number later.
    with db.session.no_autoflush:
        return db.session.execute(
            update(_organisations)
            .where(_organisations.c.id == organisation_id)
            .values(sync_seq=_organisations.c.sync_seq + 1)
            .returning(_organisations.c.sync_seq)
        ).scalar_one()


def committed_seq(organisation_id) -> int:
    """The highest number a reader may rely on: a plain read of the counter sees its last
    committed value (a writer holding the next number keeps its row locked, not hidden from
    reads), and every number up to it was taken by a transaction that has already ended."""
    return db.session.execute(
        select(_organisations.c.sync_seq).where(_organisations.c.id == organisation_id)
    ).scalar_one()


def stamp(obj) -> None:
    """Give a row the next sequence number; call on every change of a synced row."""
    obj.sync_seq = next_seq(obj.organisation_id)
