"""Configuration from environment variables; the table in README.md lists every one."""

import math
import os
from datetime import timedelta
from pathlib import Path

from zxcvbn import zxcvbn

# The project folder: static/, migrations/ and the default instance/ folder are in it.
ROOT = Path(__file__).resolve().parent.parent
# Refused in production (see check()).
DEFAULT_SECRET_KEY = "dev-only-not-secret"  # noqa: S105  # nosec B105  # refused in production


def _bool(value: str | None, default: bool) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def normalise_database_url(url: str) -> str:
    """Accept the plain `postgresql://` form that hosting platforms hand out."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def from_environment(instance_path: str) -> dict:
    env = os.environ
    environment = env.get("OUTREACH_ENV", "production")
    development = environment in {"development", "testing"}
    default_db = "sqlite:///" + str(Path(instance_path) / "outreach.sqlite3")
    return {
        "OUTREACH_ENV": environment,
        "SECRET_KEY": env.get("SECRET_KEY", DEFAULT_SECRET_KEY),
        "SQLALCHEMY_DATABASE_URI": normalise_database_url(env.get("DATABASE_URL", default_db)),
        "SESSION_COOKIE_SECURE": _bool(env.get("SESSION_COOKIE_SECURE"), not development),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": _bool(env.get("SESSION_COOKIE_SECURE"), not development),
        "REMEMBER_COOKIE_HTTPONLY": True,
        "SESSION_IDLE_MINUTES": int(env.get("SESSION_IDLE_MINUTES", "480")),
        "SESSION_ABSOLUTE_HOURS": int(env.get("SESSION_ABSOLUTE_HOURS", "16")),
        "PERMANENT_SESSION_LIFETIME": timedelta(hours=int(env.get("SESSION_ABSOLUTE_HOURS", "16"))),
        "MAX_CONTENT_LENGTH": int(env.get("MAX_CONTENT_LENGTH", str(5 * 1024 * 1024))),
        "FORCE_HTTPS": _bool(env.get("FORCE_HTTPS"), False),
        # A database error's message quotes the statement's parameters (row contents: aliases,
        # notes) unless hidden; DB_LOG_PARAMETERS=true shows them, in development only.
        "SQLALCHEMY_ENGINE_OPTIONS": {
            "hide_parameters": not (development and _bool(env.get("DB_LOG_PARAMETERS"), False))
        },
        # The login throttle's counts; unset: default_throttle_store().
        # The login throttle's counts: the app's own database (outreach/throttle.py), shared
        # by every worker and app server; or memory:// (per process), redis://...
        "RATELIMIT_STORAGE_URI": env.get("RATELIMIT_STORAGE_URI", "outreach+db://"),
        "LOGIN_RATE_LIMIT": env.get("LOGIN_RATE_LIMIT", "5 per minute"),
        # Encrypts `flask backup` files (base64 of 32 bytes); separate from every other key.
        "BACKUP_KEY": env.get("BACKUP_KEY", ""),
        # Keep each organisation's person index (decrypted aliases) in memory while its change
        # number stays the same (persons/queries.py); the test suite turns it off.
        "PERSON_INDEX_CACHE": _bool(env.get("PERSON_INDEX_CACHE"), True),
        # Field-level encryption (outreach/crypto.py, DESIGN.md §4): KEY_ID:BASE64 entries of
        # 32-byte keys, the first one active; and the key of the look-up hashes. Production
        # refuses to start without them; development makes a pair in the instance folder.
        "DATA_KEYS": env.get("DATA_KEYS", ""),
        "LOOKUP_KEY": env.get("LOOKUP_KEY", ""),
        # A query on tenant rows without tenancy.scoped(): "raise" (development, tests),
        # "warn" (a log line naming the tables), or "off".
        # Log lines (outreach/logs.py): JSON objects, or "text" for a person at a terminal.
        "LOG_FORMAT": env.get("LOG_FORMAT", "text" if development else "json"),
        "LOG_LEVEL": env.get("LOG_LEVEL", "INFO").upper(),
        "TENANCY_GUARD": env.get("TENANCY_GUARD", "raise" if development else "off"),
        "DEFAULT_LOCALE": env.get("DEFAULT_LOCALE", "da"),
        "BABEL_DEFAULT_LOCALE": env.get("DEFAULT_LOCALE", "da"),
        "BABEL_DEFAULT_TIMEZONE": "Europe/Copenhagen",
        "GEOCODER": env.get("GEOCODER", "nominatim"),
        "GEOCODER_USER_AGENT": env.get(
            "GEOCODER_USER_AGENT", "outreach-field-visits/0.1 (set GEOCODER_USER_AGENT)"
        ),
        "GEOCODER_TIMEOUT": float(env.get("GEOCODER_TIMEOUT", "5")),
        # A self-hosted Nominatim (https://nominatim.example.org); empty: OpenStreetMap's.
        "NOMINATIM_URL": env.get("NOMINATIM_URL", ""),
        "GEOCODE_RETRY_MINUTES": int(env.get("GEOCODE_RETRY_MINUTES", "30")),
        # Clinics geocoded per retry run: Nominatim allows one request a second, so 600 take
        # about ten minutes, well inside the run interval and the job's lease.
        "GEOCODE_BATCH": int(env.get("GEOCODE_BATCH", "600")),
        # Snapshots of the figures: taken nightly at this local hour; a period that ended more
        # than the grace days ago is final and never recomputed (retention-proof).
        "REPORT_SNAPSHOT_HOUR": int(env.get("REPORT_SNAPSHOT_HOUR", "2")),
        "REPORT_SNAPSHOT_GRACE_DAYS": int(env.get("REPORT_SNAPSHOT_GRACE_DAYS", "31")),
        # The daily retention purge of person-level data (outreach/retention) runs at this
        # local hour (and 30 minutes), after the snapshots.
        "RETENTION_HOUR": int(env.get("RETENTION_HOUR", "3")),
        # Route planning (outreach/routing): the travel model is great-circle km × detour at
        # a fixed speed, or "osrm" for driving times from an OSRM server (docs/routing.md).
        "ROUTING_ENGINE": env.get("ROUTING_ENGINE", "great_circle"),
        "ROUTING_DETOUR_FACTOR": float(env.get("ROUTING_DETOUR_FACTOR", "1.3")),
        "ROUTING_SPEED_KMH": float(env.get("ROUTING_SPEED_KMH", "60")),
        "OSRM_URL": env.get("OSRM_URL", ""),
        "OSRM_TIMEOUT": float(env.get("OSRM_TIMEOUT", "10")),
        # The solver's effort is fixed, never a matter of seconds (the same day gives the same
        # plan on a busy machine): VROOM's search effort (1-5) and threads, ROUTING_RESTARTS
        # runs with perturbed costs, ROUTING_RUINS ruin-and-recreate steps of the local
        # search. The seconds are only safety nets: the cap of one VROOM run, and the time
        # after which no further re-run or local search starts.
        "ROUTING_EXPLORATION_LEVEL": int(env.get("ROUTING_EXPLORATION_LEVEL", "5")),
        "ROUTING_THREADS": int(env.get("ROUTING_THREADS", "2")),
        "ROUTING_TIMEOUT_SECONDS": float(env.get("ROUTING_TIMEOUT_SECONDS", "10")),
        "ROUTING_SEARCH_SECONDS": float(env.get("ROUTING_SEARCH_SECONDS", "10")),
        "ROUTING_RESTARTS": int(env.get("ROUTING_RESTARTS", "4")),
        "ROUTING_RUINS": int(env.get("ROUTING_RUINS", "400")),
        # At most this many clinics (highest priority first) go to the solver per plan.
        "ROUTING_MAX_CANDIDATES": int(env.get("ROUTING_MAX_CANDIDATES", "80")),
        # Days between visits to one clinic that the priority counts as "due".
        "ROUTING_TARGET_INTERVAL_DAYS": int(env.get("ROUTING_TARGET_INTERVAL_DAYS", "60")),
        "MAP_TILE_URL": env.get("MAP_TILE_URL", "https://tile.openstreetmap.org/{z}/{x}/{y}.png"),
        # MAP_TILE_URL is the operator's own tile server: organisations that chose "no external
        # services" get tiles from it too (without it, their maps have no background).
        "MAP_TILE_URL_SELF_HOSTED": _bool(env.get("MAP_TILE_URL_SELF_HOSTED"), False),
        "MAP_TILE_ATTRIBUTION": env.get(
            "MAP_TILE_ATTRIBUTION", "&copy; OpenStreetMap contributors"
        ),
        # Flask-WTF: we call csrf.protect() ourselves so Bearer-token requests can skip it.
        "WTF_CSRF_CHECK_DEFAULT": False,
        "WTF_CSRF_TIME_LIMIT": None,
        # flask-smorest / OpenAPI
        "API_TITLE": "Outreach API",
        "API_VERSION": "v1",
        "OPENAPI_VERSION": "3.0.3",
        "OPENAPI_URL_PREFIX": "/api/v1",
        "OPENAPI_JSON_PATH": "openapi.json",
        "API_SPEC_OPTIONS": {"security": [{"bearerToken": []}, {"sessionCookie": []}]},
    }


class ConfigurationError(RuntimeError):
    pass


MIN_SECRET_BITS = 96


def secret_bits(key: str) -> float:
    """An estimate of a secret's entropy in bits, from zxcvbn's count of the guesses it would
    take (repeats, sequences, words and keyboard runs are cheap; random characters are not).
    A random value passes easily (secrets.token_urlsafe(32): about 140 bits); 32 times "a",
    or a word repeated, does not."""
    if not key:
        return 0.0
    return zxcvbn(key[:72])["guesses_log10"] * math.log2(10)


def check(config) -> None:
    """Production refuses to start with a missing, default or guessable secret (SECURITY.md
    18); the testing environment is for the test suite alone."""
    # TEST_SUITE is set in code by tests/conftest.py, never from the environment.
    if config["OUTREACH_ENV"] == "testing" and not config.get("TEST_SUITE"):
        raise ConfigurationError(
            "OUTREACH_ENV=testing is for the test suite only; use OUTREACH_ENV=development "
            "for a local run."
        )
    if config["OUTREACH_ENV"] in {"development", "testing"}:
        return
    if config.get("PASSWORD_HASH_PROFILE", "default") != "default":
        raise ConfigurationError("PASSWORD_HASH_PROFILE is for the test suite only.")
    key = config.get("SECRET_KEY") or ""
    if key == DEFAULT_SECRET_KEY or len(key) < 32 or secret_bits(key) < MIN_SECRET_BITS:
        raise ConfigurationError(
            "SECRET_KEY must be set to a random value of at least 32 characters in production "
            "(it looks guessable or too short; make one with: python3 -c 'import secrets; "
            "print(secrets.token_urlsafe(32))'), or set OUTREACH_ENV=development for a local run."
        )
