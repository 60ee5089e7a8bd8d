"""The recovery keys of phones (auth.models.DeviceKey): who may have one, and when."""

import base64
import secrets
import uuid

from flask import session

from outreach.audit.services import record
from outreach.auth.access import clock
from outreach.auth.models import DeviceKey, User
from outreach.db import db, utcnow

# A login of the JSON API that names its phone may fetch that phone's key once, this soon after.
FRESH_SECONDS = 300
_GRANT = "device_key_grant"  # in the session cookie: [device id, when the login was made]


class NotFresh(Exception):
    """No full login on this phone just before: the key is not handed out."""


def grant(device_id: uuid.UUID) -> None:
    """Called by a whole login (password and second factor) that named its phone."""
    session[_GRANT] = [str(device_id), clock()]


def hand_out(user: User, device_id: uuid.UUID) -> str:
    """The recovery key (base64 of 32 random bytes) of `user`'s phone `device_id`, made on
    first use. Only once per fresh, full login made on that same phone: the grant the login
    put in the session is used up here, expired or not."""
    granted = session.pop(_GRANT, None)
    if not granted or granted[0] != str(device_id) or clock() - granted[1] > FRESH_SECONDS:
        raise NotFresh()
    key = db.session.scalar(
        db.select(DeviceKey).where(DeviceKey.user_id == user.id, DeviceKey.device_id == device_id)
    )
    if key is None:
        key = DeviceKey(id=uuid.uuid4(), user_id=user.id, device_id=device_id)
        key.recovery_key = base64.b64encode(secrets.token_bytes(32)).decode()
        db.session.add(key)
    key.last_handed_out_at = utcnow()
    db.session.flush()
    record("auth.device_key", user=user, obj=key, device=str(device_id))
    return key.recovery_key
