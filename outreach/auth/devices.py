"""The phones of users (auth.models.DeviceKey): registered by the field app's login, seen now
and then, revoked and restored; and their recovery keys: who may have one, and when."""

import base64
import secrets
import uuid
from datetime import datetime, timedelta

from flask import session
from sqlalchemy import select, update

from outreach.audit.services import record
from outreach.auth.access import clock
from outreach.auth.models import DeviceKey, User
from outreach.auth.services import device_summary
from outreach.db import db, utcnow

# A login of the JSON API that names its phone may fetch that phone's key once, this soon after.
FRESH_SECONDS = 300
_GRANT = "device_key_grant"  # in the session cookie: [device id, when the login was made]
# An admin may undo a revocation this long; then the phone's recovery key is dropped
# (drop_revoked_keys, the scheduler's "revoked-devices" job).
REVOCATION_UNDO_DAYS = 30


class NotFresh(Exception):
    """No full login on this phone just before: the key is not handed out."""


class DeviceError(ValueError):
    """A revocation that cannot be undone (any more)."""


def _new_key() -> str:
    return base64.b64encode(secrets.token_bytes(32)).decode()


def find(user: User, device_id: uuid.UUID) -> DeviceKey | None:
    """The phone `device_id` of `user` (the phone's own id), if it was ever registered."""
    return db.session.scalar(
        select(DeviceKey).where(DeviceKey.user_id == user.id, DeviceKey.device_id == device_id)
    )


def register(user: User, device_id: uuid.UUID, user_agent: str | None) -> DeviceKey:
    """A whole login of the field app on phone `device_id`: the phone is made a device of
    `user` the first time, renamed and seen every time. A revoked phone is registered again
    with a new recovery key: the login proved the user (password and second factor), and the
    old key, which the phone was told to forget, never opens anything again."""
    now = utcnow()
    device = find(user, device_id)
    if device is None:
        device = DeviceKey(id=uuid.uuid4(), user_id=user.id, device_id=device_id, created_at=now)
        device.recovery_key = _new_key()
        db.session.add(device)
    elif device.revoked_at is not None:
        device.revoked_at = None
        device.recovery_key = _new_key()
        db.session.flush()
        record("device.reregister", user=user, obj=device, owner=str(user.id))
    device.name = device_summary(user_agent)
    device.last_seen_at = now
    db.session.flush()
    return device


def grant(device_id: uuid.UUID) -> None:
    """Called by a whole login (password and second factor) that named its phone."""
    session[_GRANT] = [str(device_id), clock()]


def hand_out(user: User, device_id: uuid.UUID) -> str:
    """The recovery key (base64 of 32 random bytes) of `user`'s phone `device_id`, registered
    by the login. Only once per fresh, full login made on that same phone: the grant the login
    put in the session is used up here, expired or not."""
    granted = session.pop(_GRANT, None)
    if not granted or granted[0] != str(device_id) or clock() - granted[1] > FRESH_SECONDS:
        raise NotFresh()
    key = find(user, device_id)
    if key is None or key.revoked_at is not None or key.recovery_key is None:
        raise NotFresh()
    key.last_handed_out_at = utcnow()
    db.session.flush()
    record("auth.device_key", user=user, obj=key, device=str(device_id))
    return key.recovery_key


def list_devices(user: User) -> list[DeviceKey]:
    """The user's phones: those in use first, the most recently seen first."""
    return list(
        db.session.scalars(
            select(DeviceKey)
            .where(DeviceKey.user_id == user.id)
            .order_by(
                DeviceKey.revoked_at.is_not(None),
                DeviceKey.last_seen_at.desc().nulls_last(),
                DeviceKey.id,
            )
        )
    )


def find_device(user: User, device_key_id: uuid.UUID) -> DeviceKey | None:
    """The device with this row id if it is this user's (never another user's)."""
    return db.session.scalar(
        select(DeviceKey).where(DeviceKey.id == device_key_id, DeviceKey.user_id == user.id)
    )


def revoke(device: DeviceKey, *, actor: User) -> bool:
    """The phone is lost: every session made on it is refused from its next request on (reason
    device_revoked), and its recovery key is handed out no more. The key itself is kept,
    sealed, for REVOCATION_UNDO_DAYS (restore). False when it was revoked already."""
    if device.revoked_at is not None:
        return False
    device.revoked_at = utcnow()
    db.session.flush()
    record("device.revoke", user=actor, obj=device, owner=str(device.user_id))
    return True


def undo_deadline(device: DeviceKey) -> datetime | None:
    if device.revoked_at is None:
        return None
    return device.revoked_at + timedelta(days=REVOCATION_UNDO_DAYS)


def can_restore(device: DeviceKey, now: datetime | None = None) -> bool:
    deadline = undo_deadline(device)
    return deadline is not None and device.recovery_key is not None and (now or utcnow()) < deadline


def restore(device: DeviceKey, *, actor: User) -> None:
    """Undoes a revocation made by mistake: the phone's sessions count again and its recovery
    key is the one it had. Only within REVOCATION_UNDO_DAYS, while the key is kept."""
    if device.revoked_at is None:
        return
    if not can_restore(device):
        raise DeviceError("the revocation is older than the days it can be undone in")
    device.revoked_at = None
    db.session.flush()
    record("device.restore", user=actor, obj=device, owner=str(device.user_id))


def drop_revoked_keys(now: datetime | None = None) -> int:
    """Drops the recovery key of every phone revoked more than REVOCATION_UNDO_DAYS ago (the
    revocation can no longer be undone); the row stays, for the lists and the audit log.
    Flushes; returns how many keys were dropped."""
    cutoff = (now or utcnow()) - timedelta(days=REVOCATION_UNDO_DAYS)
    result = db.session.execute(
        update(DeviceKey)
        .where(
            DeviceKey.revoked_at.is_not(None),
            DeviceKey.revoked_at <= cutoff,
            DeviceKey._recovery_key.is_not(None),
        )
        .values(_recovery_key=None)
        .execution_options(synchronize_session=False)
    )
    db.session.expire_all()
    return result.rowcount
