"""The second factor (SECURITY.md 5): TOTP codes (RFC 6238, pyotp) and one-time recovery codes.

Coordinators and admins must have one; nurses when their organisation's admin asks for it
(orgs.queries.nurses_need_second_factor), or when they set one up themselves. A code is
accepted once: the time step of the last accepted code is stored with the authenticator, and
accepting a code is one UPDATE that succeeds only for a later step, so a replay is refused
whichever process or server sees it. Recovery codes are stored as Argon2id hashes and used
once each the same way. Every state change here writes its audit event, never with a secret
or a code in its details.
"""

import io
import secrets
import time

import pyotp
import segno
from sqlalchemy import delete, or_, select, update

from outreach.audit.services import record
from outreach.auth.models import RecoveryCode, SecondFactor, User
from outreach.auth.passwords import hash_password, verify_password
from outreach.crypto import Unreadable
from outreach.db import db, utcnow
from outreach.orgs.queries import nurses_need_second_factor

ISSUER = "Outreach"
STEP_SECONDS = 30
DIGITS = 6
# A code of the step before or after the server's is accepted too: phones' clocks drift, and
# typing a code takes time.
VALID_WINDOW = 1
RECOVERY_CODE_COUNT = 10
# Recovery codes: ten characters of an alphabet without look-alikes (0/O, 1/I/L), ~50 bits.
_RECOVERY_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
_RECOVERY_LENGTH = 10


class SecondFactorRefused(Exception):
    """A code that does not let the user in; `reason` is `wrong` or `replay` (for the audit
    event only: the user hears the same in both cases)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def clock() -> float:
    """Seconds since the epoch for the codes; tests replace it to move time."""
    return time.time()


# --- the secret: read and written here only --------------------------------------------------


def secret_of(factor: SecondFactor) -> str:
    """The TOTP secret (base32) of an authenticator. The only reader of the column. Encrypted
    at rest: a secret that cannot be decrypted (its key removed too early) reads as
    crypto.Unreadable, which readable() tells apart."""
    return factor.totp_secret


def readable(factor: SecondFactor) -> bool:
    """False when the stored secret could not be decrypted: no code can match it, so the user
    logs in with a recovery code or an admin resets the second factor."""
    return not isinstance(secret_of(factor), Unreadable)


def set_secret(factor: SecondFactor, secret: str) -> None:
    """The only writer of the column."""
    factor.totp_secret = secret


# --- who needs one, who has one ----------------------------------------------------------------


def required(user: User) -> bool:
    """Whether the user must log in with a second factor (set one up first if she has none)."""
    if user.has_role("coordinator"):
        return True
    return nurses_need_second_factor(user.organisation)


def factor_of(user: User) -> SecondFactor | None:
    """The user's authenticator, enrolled or begun."""
    return db.session.scalar(select(SecondFactor).where(SecondFactor.user_id == user.id))


def enrolled_factor(user: User) -> SecondFactor | None:
    factor = factor_of(user)
    return factor if factor is not None and factor.enrolled_at is not None else None


def is_enrolled(user: User) -> bool:
    return enrolled_factor(user) is not None


def unused_recovery_codes(user: User) -> list[RecoveryCode]:
    return list(
        db.session.scalars(
            select(RecoveryCode)
            .where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
            .order_by(RecoveryCode.created_at, RecoveryCode.id)
        )
    )


# --- codes ---------------------------------------------------------------------------------------


def _totp(factor: SecondFactor) -> pyotp.TOTP:
    return pyotp.TOTP(secret_of(factor), digits=DIGITS, interval=STEP_SECONDS)


def current_step(at: float | None = None) -> int:
    return int((clock() if at is None else at) // STEP_SECONDS)


def code_at(factor: SecondFactor, at: float | None = None) -> str:
    """The code an authenticator shows at `at` (now by default): the development command
    `totp-code` and the tests use it."""
    return _totp(factor).at(clock() if at is None else at)


def _matching_step(factor: SecondFactor, code: str) -> int | None:
    """The time step, within the window around now, whose code this is; None if none."""
    if not looks_like_totp(code) or not readable(factor):
        return None
    totp = _totp(factor)
    now_step = current_step()
    for step in range(now_step - VALID_WINDOW, now_step + VALID_WINDOW + 1):
        if secrets.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def normalise_code(code: str | None) -> str:
    """What people type: spaces and dashes between groups are dropped, letters upper-cased."""
    return "".join((code or "").split()).replace("-", "").upper()


def looks_like_totp(code: str) -> bool:
    # ASCII digits only: "١٢٣٤٥٦" is digits to str.isdigit(), and no code.
    return len(code) == DIGITS and code.isascii() and code.isdigit()


def _accept_step(factor: SecondFactor, step: int) -> bool:
    """Record `step` as the last accepted one, if it is later than the stored one. One UPDATE:
    of two processes given the same code, the database lets exactly one through."""
    result = db.session.execute(
        update(SecondFactor)
        .where(
            SecondFactor.id == factor.id,
            or_(SecondFactor.last_step.is_(None), SecondFactor.last_step < step),
        )
        .values(last_step=step)
        .execution_options(synchronize_session=False)
    )
    db.session.expire(factor, ["last_step"])
    return result.rowcount == 1


def _use_recovery_code(user: User, code: str) -> RecoveryCode | None:
    for row in unused_recovery_codes(user):
        if verify_password(row.code_hash, code):
            used = db.session.execute(
                update(RecoveryCode)
                .where(RecoveryCode.id == row.id, RecoveryCode.used_at.is_(None))
                .values(used_at=utcnow())
                .execution_options(synchronize_session=False)
            )
            db.session.expire(row, ["used_at"])
            return row if used.rowcount == 1 else None
    return None


def verify(user: User, code: str | None = None, recovery_code: str | None = None) -> str:
    """Check a login's second step: a TOTP code, or a recovery code. Returns how the user got
    in (`totp` or `recovery_code`) and writes the audit event of the outcome; raises
    SecondFactorRefused otherwise. A code of six digits is a TOTP code; anything else given
    as `code` is tried as a recovery code (the login page has one field for both)."""
    factor = enrolled_factor(user)
    if factor is None:
        raise SecondFactorRefused("not_enrolled")
    code = normalise_code(code)
    recovery = normalise_code(recovery_code)
    if code and not looks_like_totp(code) and not recovery:
        code, recovery = "", code
    if code:
        step = _matching_step(factor, code)
        if step is None:
            record("auth.second_factor_failed", user=user, method="totp", reason="wrong")
            raise SecondFactorRefused("wrong")
        if not _accept_step(factor, step):
            record("auth.second_factor_replay", user=user)
            raise SecondFactorRefused("replay")
        record("auth.second_factor", user=user, method="totp")
        return "totp"
    if recovery:
        row = _use_recovery_code(user, recovery)
        if row is None:
            record("auth.second_factor_failed", user=user, method="recovery_code", reason="wrong")
            raise SecondFactorRefused("wrong")
        record(
            "auth.recovery_code_used",
            user=user,
            obj=row,
            remaining=len(unused_recovery_codes(user)),
        )
        return "recovery_code"
    record("auth.second_factor_failed", user=user, reason="missing")
    raise SecondFactorRefused("missing")


# --- enrolment ---------------------------------------------------------------------------------


def begin_enrolment(user: User) -> SecondFactor:
    """The authenticator to set up: the one begun earlier (a reloaded page shows the same QR
    code), else a new secret. An enrolled one is returned as it is."""
    factor = factor_of(user)
    if factor is not None and factor.enrolled_at is None and not readable(factor):
        set_secret(factor, pyotp.random_base32(32))  # begun under a key since removed
    if factor is None:
        factor = SecondFactor(user_id=user.id)
        set_secret(factor, pyotp.random_base32(32))
        db.session.add(factor)
        db.session.flush()
    return factor


def provisioning_uri(user: User, factor: SecondFactor) -> str:
    """otpauth://totp/Outreach:EMAIL?secret=...&issuer=Outreach, what the QR code holds."""
    return _totp(factor).provisioning_uri(name=user.email, issuer_name=ISSUER)


def qr_svg(uri: str) -> bytes:
    """The QR code as an SVG document: black modules on white, no script, no style, so that
    the CSP lets it through as an image."""
    out = io.BytesIO()
    # segno writes colours as attributes (fill, stroke), never a style attribute.
    segno.make(uri, error="m").save(out, kind="svg", scale=5, border=4, dark="#000", light="#fff")
    return out.getvalue()


def _new_recovery_code() -> str:
    raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(_RECOVERY_LENGTH))
    half = _RECOVERY_LENGTH // 2
    return f"{raw[:half]}-{raw[half:]}"


def new_recovery_codes(user: User) -> list[str]:
    """Ten fresh codes (shown once; the earlier ones stop working), stored hashed."""
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = [_new_recovery_code() for _ in range(RECOVERY_CODE_COUNT)]
    now = utcnow()
    db.session.add_all(
        RecoveryCode(user_id=user.id, code_hash=hash_password(normalise_code(c)), created_at=now)
        for c in codes
    )
    db.session.flush()
    return codes


def confirm_enrolment(user: User, code: str) -> list[str]:
    """A first code from the authenticator finishes the enrolment; returns the recovery codes
    to show once. Raises SecondFactorRefused("wrong") for a code that does not match."""
    factor = begin_enrolment(user)
    if factor.enrolled_at is not None:
        raise SecondFactorRefused("enrolled")
    step = _matching_step(factor, normalise_code(code))
    if step is None or not _accept_step(factor, step):
        record("auth.second_factor_failed", user=user, method="enrolment", reason="wrong")
        raise SecondFactorRefused("wrong")
    factor.enrolled_at = utcnow()
    codes = new_recovery_codes(user)
    record("auth.second_factor_enrol", user=user, obj=factor)
    return codes


def enrol_directly(user: User, *, actor_note: str) -> tuple[SecondFactor, list[str]]:
    """Enrol without a first code from a phone: for the demo and the operator's set-up only
    (the secret is printed for them to add to an authenticator)."""
    factor = begin_enrolment(user)
    factor.enrolled_at = utcnow()
    codes = new_recovery_codes(user)
    record("auth.second_factor_enrol", user=user, obj=factor, by=actor_note)
    return factor, codes


def reset(user: User, *, actor: User | None, via: str = "admin") -> bool:
    """Remove the user's authenticator and recovery codes (a lost phone): she sets up a new one
    at her next login when she needs one. Returns False when there was nothing to remove."""
    factor = factor_of(user)
    had_codes = db.session.execute(
        delete(RecoveryCode).where(RecoveryCode.user_id == user.id)
    ).rowcount
    if factor is None and not had_codes:
        return False
    if factor is not None:
        db.session.delete(factor)
    db.session.flush()
    record(
        "auth.second_factor_reset",
        user=actor,
        organisation_id=user.organisation_id,
        obj=user,
        via=via,
    )
    return True
