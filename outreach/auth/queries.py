"""Reads of accounts: users by e-mail or session, an organisation's users, a user's sessions
and tokens."""

import uuid
from datetime import datetime

from sqlalchemy import func, select

from outreach.auth.models import ApiToken, DeviceKey, User, UserSession
from outreach.db import db
from outreach.tenancy import tenant_select, unscoped


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


def find_users_by_email(email: str) -> list[User]:
    """Every account with this address, in any organisation, oldest first (the login tries
    each; an address is unique only within an organisation)."""
    stmt = (
        select(User).where(User.email == normalise_email(email)).order_by(User.created_at, User.id)
    )
    return list(db.session.scalars(unscoped(stmt, "the login name spans organisations")).all())


def find_user_by_id(user_id) -> User | None:
    """The user whose password was verified a moment ago (the login's second step, which
    knows her by the id in the cookie, before any session tells her organisation)."""
    user_id = _uuid(user_id)
    if user_id is None:
        return None
    stmt = select(User).where(User.id == user_id)
    return db.session.scalar(unscoped(stmt, "the login's second step, before a session"))


def find_user_in_org(organisation_id: uuid.UUID, email: str) -> User | None:
    stmt = tenant_select(User, organisation_id).where(User.email == normalise_email(email))
    return db.session.scalar(stmt)


def most_accounts_per_email() -> int:
    """The largest number of accounts that share one address, over the whole database: the
    login verifies at least this many password hashes for every attempt (services.py)."""
    per_email = select(func.count().label("n")).select_from(User).group_by(User.email).subquery()
    stmt = unscoped(select(func.max(per_email.c.n)), "a count over every organisation")
    return db.session.scalar(stmt) or 0


def list_users(organisation_id: uuid.UUID) -> list[User]:
    return list(db.session.scalars(tenant_select(User, organisation_id).order_by(User.email)).all())


def list_tokens(user: User) -> list[ApiToken]:
    return list(
        db.session.scalars(
            select(ApiToken)
            .where(ApiToken.user_id == user.id)
            .order_by(ApiToken.created_at.desc(), ApiToken.id)
        ).all()
    )


def find_token(user: User, token_id: uuid.UUID) -> ApiToken | None:
    """The token with this id if it belongs to this user (never another user's)."""
    return db.session.scalar(
        select(ApiToken).where(ApiToken.id == token_id, ApiToken.user_id == user.id)
    )


def _uuid(text) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(text))
    except ValueError:
        return None


class DeviceRevoked(Exception):
    """The session was made on a phone that has been revoked (auth.devices.revoke)."""


def load_session_user(session_id: str, row_id) -> tuple[User, UserSession, DeviceKey | None] | None:
    """The user, the session row and the phone it was made on (None: a browser) of a cookie,
    if the session still counts; raises DeviceRevoked when its phone was revoked.

    Flask-Login's id is `uuid:session_version`: an older version is a dead session; `row_id`
    is the cookie's UserSession, which must be the user's and not ended."""
    user_id, _, version = session_id.partition(":")
    user_uuid, row_uuid = _uuid(user_id), _uuid(row_id)
    if user_uuid is None or row_uuid is None:
        return None
    stmt = (
        select(User, UserSession, DeviceKey)
        .join(UserSession, UserSession.user_id == User.id)
        .outerjoin(DeviceKey, DeviceKey.id == UserSession.device_key_id)
        .where(User.id == user_uuid, UserSession.id == row_uuid, UserSession.ended_at.is_(None))
    )
    found = db.session.execute(
        unscoped(stmt, "a session names its user, not yet its organisation")
    ).first()
    if found is None:
        return None
    user, row, device = found
    if device is not None and device.revoked_at is not None:
        raise DeviceRevoked()
    if not user.active or str(user.session_version) != version:
        return None
    return user, row, device


def session_device_revoked(row_id) -> bool:
    """Whether the session row `row_id` (a cookie's, ended or not) was made on a phone that has
    been revoked: a revoked phone hears so even when its session has timed out meanwhile."""
    row_uuid = _uuid(row_id)
    if row_uuid is None:
        return False
    stmt = (
        select(DeviceKey.revoked_at)
        .join(UserSession, UserSession.device_key_id == DeviceKey.id)
        .where(UserSession.id == row_uuid)
    )
    return db.session.scalar(stmt) is not None


def list_live_sessions(user: User, *, seen_after: datetime, created_after: datetime):
    """The user's sessions that still count: not ended, not made on a revoked phone, not idle
    since `seen_after`, begun after `created_after` (the idle and absolute timeouts); the
    newest first."""
    return list(
        db.session.scalars(
            select(UserSession)
            .outerjoin(DeviceKey, DeviceKey.id == UserSession.device_key_id)
            .where(
                UserSession.user_id == user.id,
                UserSession.ended_at.is_(None),
                DeviceKey.revoked_at.is_(None),
                UserSession.last_seen_at > seen_after,
                UserSession.created_at > created_after,
            )
            .order_by(UserSession.last_seen_at.desc(), UserSession.id)
        ).all()
    )


def find_session(user: User, session_id: uuid.UUID) -> UserSession | None:
    """The session with this id if it is this user's (never another user's)."""
    return db.session.scalar(
        select(UserSession).where(UserSession.id == session_id, UserSession.user_id == user.id)
    )
