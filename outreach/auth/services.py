"""Every state change of accounts: users, logins, sessions and API tokens."""

import hashlib
import re
import secrets
from datetime import datetime, timedelta

from flask import current_app, has_request_context
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select
from sqlalchemy.orm import joinedload

from outreach.audit.services import record
from outreach.auth.models import ROLES, ApiToken, DeviceKey, User, UserSession
from outreach.auth.passwords import hash_password, needs_rehash, password_problem, verify_password
from outreach.auth.queries import (
    find_user_in_org,
    find_users_by_email,
    most_accounts_per_email,
    normalise_email,
)
from outreach.db import db, utcnow
from outreach.i18n import N_
from outreach.orgs.models import Organisation

TOKEN_PREFIX = "otk_"  # noqa: S105  # nosec B105  # a visible prefix, not a secret
NAME_MAX_LENGTH = 120
TOKEN_NAME_MAX_LENGTH = 80
TOKEN_MAX_DAYS = 3650
# Writing last_used_at on every request would turn each API read into a write.
TOKEN_USE_RESOLUTION = timedelta(minutes=1)
# The same for a session's last_seen_at.
SESSION_SEEN_RESOLUTION = timedelta(minutes=1)
# And a phone's (auth.models.DeviceKey): its list shows the day and hour, not the minute.
DEVICE_SEEN_RESOLUTION = timedelta(minutes=5)


class AccountError(ValueError):
    """A request about accounts that cannot be carried out; the message says why.

    The message is a lazy translation, rendered in the reader's language when it is shown;
    `field` names the form field it is about, when there is one.
    """

    def __init__(self, message, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field

    def __str__(self) -> str:
        if has_request_context():
            return str(self.message)
        # The command line has no reader whose language could be chosen: it speaks English.
        with force_locale("en"):
            return str(self.message)


def create_user(
    organisation: Organisation,
    email: str,
    password: str,
    role: str,
    *,
    name: str = "",
    actor: User | None = None,
) -> User:
    email = normalise_email(email)
    name = (name or "").strip()
    if role not in ROLES:
        raise AccountError(
            _l("Unknown role %(role)s; use one of %(roles)s.", role=role, roles=", ".join(ROLES)),
            field="role",
        )
    if "@" not in email or len(email) > 254:
        raise AccountError(_l("Give a valid email address."), field="email")
    if len(name) > NAME_MAX_LENGTH:
        raise AccountError(_l("Use at most %(n)d characters.", n=NAME_MAX_LENGTH), field="name")
    # Unique within the organisation only: whether another organisation has this address is
    # none of this admin's business (docs/security.md).
    if find_user_in_org(organisation.id, email) is not None:
        raise AccountError(
            _l("A user with the email %(email)s already exists.", email=email), field="email"
        )
    problem = password_problem(password, (email, organisation.name))
    if problem is not None:
        raise AccountError(problem, field="password")
    user = User(
        organisation_id=organisation.id,
        email=email,
        name=name,
        password_hash=hash_password(password),
        role=role,
    )
    db.session.add(user)
    db.session.flush()
    record("user.create", user=actor, organisation_id=organisation.id, obj=user, role=role)
    return user


DEACTIVATED = N_("This account is deactivated. Ask an admin of your organisation.")


class AccountDeactivated(AccountError):
    """The password was right, but an admin has deactivated the account."""

    def __init__(self):
        super().__init__(_l(DEACTIVATED))


# Every login attempt verifies at least this many password hashes, whether the address has no
# account, one, or one in each of several organisations, so that neither the answer's time nor
# its change when an admin adds an account tells whether an address exists elsewhere
# (docs/security.md, "One e-mail, several organisations").
LOGIN_VERIFICATIONS_FLOOR = 2


def _most_recent(users: list[User]) -> User:
    """Of several accounts that the password opens, the one used last (the oldest if none
    was); max() keeps the first of equals, and the candidates come oldest first."""
    never = datetime.min.replace(tzinfo=utcnow().tzinfo)
    return max(users, key=lambda u: u.last_login_at or never)


def authenticate(email: str, password: str) -> User | None:
    """The user if email and password match an active account, else None (the caller then
    asks for the second factor if the account needs one, and calls complete_login); raises
    AccountDeactivated only after the right password, so that a guess learns nothing.

    An address may have an account in several organisations: the password is verified
    against each (all of them, never stopping at the first match), and then against a
    stand-in hash until LOGIN_VERIFICATIONS_FLOOR or the most accounts any address has is
    reached. The work is the same whether the address is unknown, has one account or several,
    and whether the password is right. If the password opens several active accounts, the
    one used last is logged in."""
    candidates = find_users_by_email(email)
    rounds = max(LOGIN_VERIFICATIONS_FLOOR, most_accounts_per_email(), len(candidates))
    opened = [user for user in candidates if verify_password(user.password_hash, password)]
    for _ in range(rounds - len(candidates)):
        verify_password(None, password)
    active = [user for user in opened if user.active]
    if not active:
        for user in candidates or [None]:
            record(
                "auth.login_failed",
                organisation_id=user.organisation_id if user else None,
                user=user,
                reason="inactive" if user in opened else "credentials",
            )
        if opened:
            raise AccountDeactivated()
        return None
    user = _most_recent(active)
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user


def complete_login(user: User, second_factor: str | None = None) -> None:
    """The login is whole (the password, and the second factor when the account needs one):
    one `auth.login` event, saying how the second step was passed, if there was one."""
    user.last_login_at = utcnow()
    if second_factor:
        record("auth.login", user=user, second_factor=second_factor)
    else:
        record("auth.login", user=user)


_BROWSERS = (  # the first that matches names the browser: Edge and Opera also say Chrome
    ("Edge", r"Edg(e|A|iOS)?/"),
    ("Opera", r"OPR/|Opera"),
    ("Samsung Internet", r"SamsungBrowser/"),
    ("Firefox", r"Firefox/|FxiOS/"),
    ("Chrome", r"Chrome/|CriOS/"),
    ("Safari", r"Safari/"),
)
_SYSTEMS = (
    ("Android", r"Android"),
    ("iOS", r"iPhone|iPad|iPod"),
    ("Windows", r"Windows"),
    ("macOS", r"Mac OS X|Macintosh"),
    ("Linux", r"Linux|X11"),
)


def device_summary(user_agent: str | None) -> str:
    """ "Chrome · Android" from a User-Agent header: enough to tell an admin which device is
    which, and no more of the header is stored."""
    text = user_agent or ""
    browser = next((name for name, pattern in _BROWSERS if re.search(pattern, text)), "")
    system = next((name for name, pattern in _SYSTEMS if re.search(pattern, text)), "")
    if browser and system:
        return f"{browser} · {system}"
    return browser or system


def start_user_session(
    user: User, user_agent: str | None, device: DeviceKey | None = None
) -> UserSession:
    """A new session row at login, made on `device` when the field app named its phone (then
    revoking the phone refuses it); this user's rows past the absolute timeout are removed."""
    now = utcnow()
    oldest = now - timedelta(hours=current_app.config["SESSION_ABSOLUTE_HOURS"])
    db.session.execute(
        delete(UserSession).where(UserSession.user_id == user.id, UserSession.created_at < oldest)
    )
    row = UserSession(
        user_id=user.id,
        created_at=now,
        last_seen_at=now,
        device=device_summary(user_agent),
        device_key_id=device.id if device is not None else None,
    )
    db.session.add(row)
    db.session.flush()
    return row


def session_seen_is_due(row: UserSession, now: datetime | None = None) -> bool:
    return (now or utcnow()) - row.last_seen_at >= SESSION_SEEN_RESOLUTION


def note_session_seen(row: UserSession) -> None:
    row.last_seen_at = utcnow()


def device_seen_is_due(device: DeviceKey, now: datetime | None = None) -> bool:
    seen = device.last_seen_at
    return seen is None or (now or utcnow()) - seen >= DEVICE_SEEN_RESOLUTION


def note_device_seen(device: DeviceKey) -> None:
    device.last_seen_at = utcnow()


def end_session(row: UserSession, *, actor: User) -> None:
    """One session stops working (a lost phone); the user's other sessions go on."""
    if row.ended_at is not None:
        return
    row.ended_at = utcnow()
    row.end_reason = "revoke"
    record("auth.session_end", user=actor, obj=row, owner=str(row.user_id))


def _end_live_sessions(user: User, reason: str) -> None:
    user.session_version += 1
    now = utcnow()
    live = select(UserSession).where(UserSession.user_id == user.id, UserSession.ended_at.is_(None))
    for row in db.session.scalars(live):
        row.ended_at, row.end_reason = now, reason


def end_all_sessions(user: User, *, actor: User | None = None, reason: str = "logout") -> None:
    """Every cookie issued to this user before now stops working."""
    _end_live_sessions(user, reason)
    record(f"auth.{reason}", user=actor or user, obj=user)


def change_password(user: User, current: str, new: str) -> None:
    if not verify_password(user.password_hash, current):
        raise AccountError(_l("The current password is wrong."), field="current")
    problem = password_problem(new, (user.email, user.organisation.name))
    if problem is not None:
        raise AccountError(problem, field="new")
    user.password_hash = hash_password(new)
    end_all_sessions(user, reason="password_change")


def set_role(user: User, role: str, *, actor: User) -> None:
    if role not in ROLES:
        raise AccountError(_l("Unknown role %(role)s.", role=role), field="role")
    if user.id == actor.id and role != "admin":
        raise AccountError(_l("You cannot take the admin role from yourself."), field="role")
    if role == user.role:
        return
    old, user.role = user.role, role
    _end_live_sessions(user, "role_change")  # the new role counts from the next login
    record("user.role_change", user=actor, obj=user, old=old, new=role)


def set_active(user: User, active: bool, *, actor: User) -> None:
    if user.id == actor.id and not active:
        raise AccountError(_l("You cannot deactivate yourself."))
    if user.active == active:
        return
    user.active = active
    _end_live_sessions(user, "activate" if active else "deactivate")
    record("user.activate" if active else "user.deactivate", user=actor, obj=user)


def set_locale(user: User, locale: str) -> None:
    user.locale = locale


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(
    user: User, name: str = "", *, expires_days: int | None = None
) -> tuple[ApiToken, str]:
    """A new personal token of `user`, made by that user (the account page) or by the
    operator (`flask create-token`), never by another user: whoever holds a token acts as
    its user. The plain token is returned once and never stored."""
    if not user.active:
        raise AccountError(_l("The user is deactivated; reactivate the user first."))
    if expires_days is not None and not 1 <= expires_days <= TOKEN_MAX_DAYS:
        raise AccountError(
            _l("Give a number of days from 1 to %(n)d, or none.", n=TOKEN_MAX_DAYS),
            field="expires_days",
        )
    plain = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user_id=user.id,
        name=(name or "").strip()[:TOKEN_NAME_MAX_LENGTH],
        token_hash=_hash_token(plain),
        prefix=plain[: len(TOKEN_PREFIX) + 4],
        expires_at=utcnow() + timedelta(days=expires_days) if expires_days else None,
    )
    db.session.add(token)
    db.session.flush()
    record("token.create", user=user, obj=token, owner=str(user.id), expires_days=expires_days)
    return token, plain


def revoke_token(token: ApiToken, *, actor: User) -> None:
    """The token's user, or an admin of its organisation (the caller checks which)."""
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        record("token.revoke", user=actor, obj=token, owner=str(token.user_id))


def live_token(plain: str) -> ApiToken | None:
    """The token behind a Bearer value, if it still lets its user in. Reads only."""
    if not plain.startswith(TOKEN_PREFIX):
        return None
    token = db.session.scalar(
        # The user in the same statement: every request with a token needs both.
        select(ApiToken)
        .options(joinedload(ApiToken.user))
        .where(ApiToken.token_hash == _hash_token(plain))
    )
    if (
        token is None
        or token.revoked_at is not None
        or token.expired(utcnow())
        or not token.user.active
    ):
        return None
    return token


def note_token_refused(plain: str) -> None:
    """Audit a Bearer value that let nobody in. A token that exists but is revoked, expired or
    belongs to a deactivated user is named by id (its organisation sees the attempt); an
    unknown value is recorded without any part of it."""
    token = None
    if plain.startswith(TOKEN_PREFIX):
        token = db.session.scalar(
            select(ApiToken)
            .options(joinedload(ApiToken.user))
            .where(ApiToken.token_hash == _hash_token(plain))
        )
    if token is None:
        record("auth.token_failed", reason="unknown")
        return
    reason = "revoked" if token.revoked_at is not None else "expired"
    if token.revoked_at is None and not token.user.active:
        reason = "inactive"
    record(
        "auth.token_failed",
        organisation_id=token.user.organisation_id,
        obj=token,
        owner=str(token.user_id),
        reason=reason,
    )


def token_use_is_due(token: ApiToken) -> bool:
    """Whether this use must be saved: at most once per TOKEN_USE_RESOLUTION, so that most
    requests made with a token stay reads."""
    return token.last_used_at is None or utcnow() - token.last_used_at >= TOKEN_USE_RESOLUTION


def note_token_use(token: ApiToken) -> None:
    token.last_used_at = utcnow()
