"""Password hashing (Argon2id) and the password policy of SECURITY.md item 2."""

import re
from datetime import UTC, datetime
from functools import cache
from importlib import resources

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app, has_app_context
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from zxcvbn import zxcvbn

MIN_LENGTH = 12
MAX_LENGTH = 128
# zxcvbn's score 4 (at least 10^10 guesses). Its score 3 starts at 10^8, which any password
# of three recognised parts reaches by construction: "Sommer2026!!" scores 3.
MIN_GUESSES_LOG10 = 10
ZXCVBN_MAX_LENGTH = 72

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


@cache
def _danish_words() -> tuple[str, ...]:
    text = resources.files("outreach").joinpath("data/danish-password-words.txt").read_text()
    return tuple(w.strip() for w in text.splitlines() if w.strip() and not w.startswith("#"))


def _years() -> tuple[str, ...]:
    # zxcvbn's own "recent year" pattern ends at 2019: later years would count as random.
    this_year = datetime.now(UTC).year
    return tuple(str(year) for year in range(1940, this_year + 2))


def _personal_words(user_inputs) -> list[str]:
    """The email, its parts and the organisation's name: what an attacker who knows whose
    account it is tries first."""
    words = []
    for value in user_inputs:
        value = (value or "").strip().lower()
        if value:
            words.append(value)
            words.append(value.split("@", 1)[0])
            words.extend(w for w in re.split(r"[@.\s_+-]+", value) if len(w) >= 3)
    return words


def _why(result, personal: set[str]) -> LazyString:
    """Why zxcvbn finds it easy to guess, from the parts it recognised (its own feedback is
    English only)."""
    for match in result["sequence"]:
        word = match.get("matched_word", "")
        pattern = match["pattern"]
        if pattern == "dictionary" and word in personal:
            return _l("it contains your email address or the organisation's name")
        if pattern in ("date", "regex") or (pattern == "dictionary" and word.isdigit()):
            return _l("it contains a date or a year")
        if pattern == "spatial":
            return _l("it follows a pattern on the keyboard")
        if pattern == "repeat":
            return _l("it repeats a character or a part")
        if pattern == "sequence":
            return _l("it contains a sequence such as abc or 123")
        if pattern == "dictionary":
            return _l("it is built from common words, names or passwords")
    return _l("it is too simple")


def password_problem(password: str, user_inputs=()) -> LazyString | None:
    """What to fix, as a message translated when shown; None when the password is acceptable.

    At least 12 characters, no composition rules, and hard to guess by zxcvbn's estimate
    (dictionaries, Danish words, keyboard patterns, dates, repeats; `user_inputs` such as the
    email and the organisation's name count as known words). Test the answer with `is None`:
    the truth value of a lazy message translates it."""
    if len(password) < MIN_LENGTH:
        return _l("Use at least %(n)d characters.", n=MIN_LENGTH)
    if len(password) > MAX_LENGTH:
        return _l("Use at most %(n)d characters.", n=MAX_LENGTH)
    if password.lower() in _common_passwords():
        return _l("This password is too common; choose another.")
    personal = _personal_words(user_inputs)
    # zxcvbn reads at most 72 characters; what follows only makes a password stronger.
    result = zxcvbn(
        password[:ZXCVBN_MAX_LENGTH],
        user_inputs=[*personal, *_danish_words(), *_years()],
    )
    if result["guesses_log10"] < MIN_GUESSES_LOG10:
        return _l(
            "This password is easy to guess: %(why)s. Choose a longer one, for example four "
            "or five words that do not belong together.",
            why=_why(result, set(personal)),
        )
    return None
