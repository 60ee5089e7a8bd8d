"""Reads of accounts: users by e-mail or session, an organisation's users, a user's tokens."""

import uuid

from sqlalchemy import select

from outreach.auth.models import ApiToken, User
from outreach.db import db
from outreach.tenancy import tenant_select, unscoped


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


def find_user_by_email(email: str) -> User | None:
    stmt = select(User).where(User.email == normalise_email(email))
    return db.session.scalar(unscoped(stmt, "an e-mail address is unique across organisations"))


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


def load_session_user(session_id: str) -> User | None:
    """Flask-Login's id is `uuid:session_version`; an older version is a dead session."""
    user_id, _, version = session_id.partition(":")
    try:
        user_uuid = uuid.UUID(user_id)
    except ValueError:
        return None
    stmt = select(User).where(User.id == user_uuid)
    user = db.session.scalar(unscoped(stmt, "a session names its user, not yet its organisation"))
    if user is None or not user.active or str(user.session_version) != version:
        return None
    return user
