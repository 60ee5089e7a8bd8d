"""Password hashing (Argon2id) and the password policy of SECURITY.md item 2."""

from functools import cache
from importlib import resources

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app, has_app_context
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString

MIN_LENGTH = 12
MAX_LENGTH = 128

# Argon2id always. "default" is argon2-cffi's RFC 9106 low-memory profile; "test" is the
# cheapest Argon2id, for the test suite only (config.check refuses it in production).
HASH_PROFILES = {
    "default": {},
    "test": {"time_cost": 1, "memory_cost": 1024, "parallelism": 1},
}


@cache
def _hashing(profile: str) -> tuple[PasswordHasher, str]:
    hasher = PasswordHasher(**HASH_PROFILES[profile])
    # Verified against when the user does not exist, so both paths cost the same time.
    return hasher, hasher.hash("timing-equaliser-not-a-password")


def _current() -> tuple[PasswordHasher, str]:
    profile = "default"
    if has_app_context():
        profile = current_app.config.get("PASSWORD_HASH_PROFILE", "default")
    return _hashing(profile)


def hash_password(password: str) -> str:
    return _current()[0].hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    hasher, dummy = _current()
    try:
        return hasher.verify(password_hash or dummy, password) and bool(password_hash)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _current()[0].check_needs_rehash(password_hash)


@cache
def _common_passwords() -> frozenset[str]:
    text = resources.files("outreach").joinpath("data/common-passwords.txt").read_text("utf-8")
    return frozenset(line.strip().lower() for line in text.splitlines() if line.strip())


def password_problem(password: str) -> LazyString | None:
    """What to fix, as a message translated when shown; None when the password is acceptable.

    Test the answer with `is None`: the truth value of a lazy message translates it."""
    if len(password) < MIN_LENGTH:
        return _l("Use at least %(n)d characters.", n=MIN_LENGTH)
    if len(password) > MAX_LENGTH:
        return _l("Use at most %(n)d characters.", n=MAX_LENGTH)
    if password.lower() in _common_passwords():
        return _l("This password is too common; choose another.")
    return None
