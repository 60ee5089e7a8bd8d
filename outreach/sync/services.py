"""The change sequence: every write to a row the phone keeps gets the organisation's next
number, taken under a row lock so numbers commit in order. A phone's cursor is the highest
number it has seen; it never depends on the phone's clock."""

from sqlalchemy import update

from outreach.db import db
from outreach.orgs.models import Organisation


def next_seq(organisation_id) -> int:
    return db.session.execute(
        update(Organisation)
        .where(Organisation.id == organisation_id)
        .values(sync_seq=Organisation.sync_seq + 1)
        .returning(Organisation.sync_seq)
        .execution_options(synchronize_session=False)
    ).scalar_one()


def stamp(obj) -> None:
    """Give a row the next sequence number; call on every change of a synced row."""
    obj.sync_seq = next_seq(obj.organisation_id)
