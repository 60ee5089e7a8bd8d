"""A person the retention purge deleted on the server leaves the phone's person index at the
next pull (the pull's `deleted_persons`), instead of being offered for matching forever."""

import uuid

import pytest
from sqlalchemy import select

from outreach.auth.models import User
from outreach.db import db
from outreach.retention.services import _delete_persons
from tests.field.conftest import NURSE, known_person, unique

pytestmark = pytest.mark.browser

HAS_PERSON = "(await m.getAll('persons')).some((p) => p.id === '{id}')"


def test_a_purged_person_leaves_the_phone_at_the_next_pull(phone, in_db):
    _, kept = known_person(in_db, unique("Kept"))
    _, purged = known_person(in_db, unique("Purged"))
    device = phone()
    device.start_app()
    device.log_in()
    device.wait_synced()
    assert device.evaluate_module("db.js", HAS_PERSON.format(id=purged))

    def purge():  # the purge's own deletion step, for this person only
        nurse = db.session.scalar(select(User).where(User.email == NURSE))
        _delete_persons(nurse.organisation_id, [uuid.UUID(purged)])

    in_db(purge)
    device.evaluate_module("sync.js", "await m.pull()")

    assert not device.evaluate_module("db.js", HAS_PERSON.format(id=purged))
    assert device.evaluate_module("db.js", HAS_PERSON.format(id=kept))
