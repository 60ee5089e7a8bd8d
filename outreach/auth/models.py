"""User, UserSession, ApiToken and the second factor's tables."""

import uuid
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import BigInteger, Boolean, ForeignKey, Integer, String, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column, relationship

from outreach import vocabulary
from outreach.crypto import Encrypted, SealedText
from outreach.db import Timestamps, UTCDateTime, UUIDPrimaryKey, db, utcnow
from outreach.orgs.models import Organisation

ROLES = tuple(vocabulary.ROLES)  # binding, in increasing power
ROLE_RANK = {role: rank for rank, role in enumerate(ROLES)}


class User(UUIDPrimaryKey, Timestamps, UserMixin, db.Model):
    __tablename__ = "users"
    # An e-mail is unique within an organisation, not across them: an admin adding an address
    # learns nothing about other organisations (docs/security.md, "One e-mail, several
    # organisations"); the login tries each account with that address.
    __table_args__ = (UniqueConstraint("organisation_id", "email", name="uq_users_org_email"),)

    organisation_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("organisations.id"), nullable=False, index=True
    )
    email: Mapped[str] = mapped_column(String(254), nullable=False, index=True)
    name: Mapped[str] = mapped_column(String(120), default="", nullable=False)
    password_hash: Mapped[str] = mapped_column(String(255), nullable=False)
    role: Mapped[str] = mapped_column(String(20), nullable=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)
    locale: Mapped[str | None] = mapped_column(String(5))
    # Bumped on logout, password change and revocation: every older session stops working.
    session_version: Mapped[int] = mapped_column(Integer, default=1, nullable=False)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    organisation: Mapped[Organisation] = relationship()

    @property
    def is_active(self) -> bool:  # Flask-Login
        return self.active

    def get_id(self) -> str:  # Flask-Login: the version makes old cookies invalid
        return f"{self.id}:{self.session_version}"

    def has_role(self, minimum: str) -> bool:
        return ROLE_RANK[self.role] >= ROLE_RANK[minimum]

    @property
    def display_name(self) -> str:
        return self.name or self.email

    def __repr__(self) -> str:
        return f"<User {self.email} {self.role}>"


class ApiToken(UUIDPrimaryKey, db.Model):
    __tablename__ = "api_tokens"

    user_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("users.id"), nullable=False, index=True
    )
    name: Mapped[str] = mapped_column(String(80), default="", nullable=False)
    # SHA-256 of the token: tokens are 256 random bits, so a fast hash is enough to look up.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    prefix: Mapped[str] = mapped_column(String(12), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # None: until revoked. Enforced at each use (services.live_token).
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()

    def expired(self, at: datetime) -> bool:
        return self.expires_at is not None and self.expires_at <= at


class UserSession(UUIDPrimaryKey, db.Model):
    """One login in one browser or phone: admins see each and can end one (a lost phone).

    The cookie carries the row's id; a session counts while its row is not ended and its
    user's session_version is the cookie's (ending all sessions bumps the version)."""

    __tablename__ = "user_sessions"

    user_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("users.id"), nullable=False, index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    # Saved at most once per auth.services.SESSION_SEEN_RESOLUTION, so most requests stay reads.
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    # "Firefox · Android": a summary, never the whole User-Agent header.
    device: Mapped[str] = mapped_column(String(60), default="", nullable=False)
    # The phone this session was made on (a login of the field app that named it): revoking
    # the phone refuses the session with reason device_revoked (auth.devices).
    device_key_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("device_keys.id"), index=True
    )
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    end_reason: Mapped[str | None] = mapped_column(String(20))

    user: Mapped[User] = relationship()


class SecondFactor(UUIDPrimaryKey, db.Model):
    """A user's TOTP authenticator (SECURITY.md 5): one row per user. Without enrolled_at it
    is an enrolment begun and not yet confirmed by a first code, and does not count."""

    __tablename__ = "second_factors"

    user_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("users.id"), nullable=False, unique=True
    )
    # Encrypted at rest (outreach/crypto.py), read and written only by
    # auth.second_factor.secret_of() and set_secret().
    _totp_secret: Mapped[str] = mapped_column("totp_secret", SealedText, nullable=False)
    totp_secret = Encrypted("_totp_secret")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    enrolled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The last time step (Unix time // 30) whose code was accepted: a code of that step or an
    # earlier one is refused, by every process, since the check and the update are one UPDATE.
    last_step: Mapped[int | None] = mapped_column(BigInteger)

    user: Mapped[User] = relationship()


class RecoveryCode(UUIDPrimaryKey, db.Model):
    """One of the ten one-time codes shown once at enrolment, stored as an Argon2id hash."""

    __tablename__ = "recovery_codes"

    user_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("users.id"), nullable=False, index=True
    )
    code_hash: Mapped[str] = mapped_column(String(255), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class DeviceKey(UUIDPrimaryKey, db.Model):
    """One phone of one user (SECURITY.md 22 and 23; docs/security.md, "Phone data protection
    (issue 13)"): made by the field app's first login on it, named from its User-Agent, seen
    now and then, revocable by its user and by an admin; and its recovery key. The phone wraps
    its data key under that key as well as under the nurse's PIN, so that a forgotten PIN
    loses nothing. The phone names itself by a random id it made; the key is handed out only
    after a fresh, full login on that phone (auth.devices).

    A revoked phone's sessions are refused (reason device_revoked). An admin may undo the
    revocation for REVOCATION_UNDO_DAYS, which gives the phone its key back; after that the
    key is dropped (recovery_key None) and only a new login on the phone registers it again,
    with a new key."""

    __tablename__ = "device_keys"
    __table_args__ = (UniqueConstraint("user_id", "device_id", name="uq_device_keys_user_device"),)

    user_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("users.id"), nullable=False, index=True
    )
    device_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    # "Chrome · Android" (auth.services.device_summary), never the whole User-Agent header.
    name: Mapped[str] = mapped_column(String(60), default="", nullable=False)
    # 32 random bytes, base64; encrypted at rest (outreach/crypto.py). None: dropped after a
    # revocation that was not undone in time.
    _recovery_key: Mapped[str | None] = mapped_column("recovery_key", SealedText)
    recovery_key = Encrypted("_recovery_key")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    # Saved at most once per auth.devices.SEEN_RESOLUTION, so most requests stay reads.
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_handed_out_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()
