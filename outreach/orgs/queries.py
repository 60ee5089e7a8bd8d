"""What the application reads of an organisation: its code lists with their labels, its
offices, and the fingerprints that guard the settings editor against lost updates."""

import hashlib
import json

from flask import current_app, has_app_context
from flask_babel import force_locale, gettext
from sqlalchemy import select

from outreach.db import db
from outreach.i18n import LANGUAGES
from outreach.orgs.models import Organisation
from outreach.plausibility import DEFAULT_PERSONS_PRESENT_LIMIT, default_supply_limit
from outreach.vocabulary import KNOWN_INDICATORS, KNOWN_SUPPLIES, current_language


def find_organisation(name: str) -> Organisation | None:
    return db.session.scalar(select(Organisation).where(Organisation.name == name.strip()))


# Settings are stored in Organisation.settings (JSON):
#   "supplies": [code, ...]            what the phone offers, in this order
#   "supply_labels": {code: {language: label}}   also for removed codes, so old visits still
#                                      read well; the default language's label is always given
#   "indicators": [code, ...], "indicator_labels": {code: {language: label}}   the same
#   "offices": [{"name", "lat", "lon"}, ...]                         route bases
#   "limits": {"persons_present": n, "supplies": {code: n},   usual most per visit
#              "pack": {code: n}}                            the usual pack: one tap on the phone
#   "external_services": false          no third-party geocoding or map tiles (admins)
#   "nurse_second_factor": true         nurses log in with a second factor too (admins)
#   "retention_years": n                person-level data without contact for n years is
#                                       deleted (outreach/retention; admins; default 5)
# Removing a code only takes it off the list: visits and conversations keep what they stored.
# Labels stored before they had languages are plain strings: the default language's label
# (migration 7c2e5d1a9b40 turns them into the form above; reading accepts both).

CODE_LISTS = {"supplies": "supply_labels", "indicators": "indicator_labels"}
# Retention (SECURITY.md 21): years without contact after which a person is deleted.
DEFAULT_RETENTION_YEARS = 5
MIN_RETENTION_YEARS = 1
MAX_RETENTION_YEARS = 100
KNOWN_CODES = {"supplies": KNOWN_SUPPLIES, "indicators": KNOWN_INDICATORS}


def default_language() -> str:
    """The language every label must be given in, and the one the others fall back to: the
    deployment's default language (DEFAULT_LOCALE, Danish unless set)."""
    language = current_app.config.get("DEFAULT_LOCALE", "da") if has_app_context() else "da"
    return language if language in LANGUAGES else "da"


def default_label(code: str) -> str:
    """A readable label for a code stored before labels existed: 'no_own_passport' -> 'No own
    passport'."""
    return code.replace("_", " ").capitalize()


def label_texts(value) -> dict[str, str]:
    """A stored label as {language: text}, blank ones left out: a plain string (stored before
    labels had languages) is the default language's."""
    if isinstance(value, str):
        return {default_language(): value.strip()} if value.strip() else {}
    if isinstance(value, dict):
        return {
            language: text.strip()
            for language, text in value.items()
            if language in LANGUAGES and isinstance(text, str) and text.strip()
        }
    return {}


def stored_labels(org: Organisation, kind: str) -> dict[str, dict[str, str]]:
    """{code: {language: label}} as the organisation gave them."""
    stored = (org.settings or {}).get(CODE_LISTS[kind], {})
    return {code: label_texts(value) for code, value in stored.items()}


def named_codes(org: Organisation, kind: str) -> list[str]:
    """Every code the organisation ever named: those on the list, in its order, then those
    taken off it (they keep their labels)."""
    settings = org.settings or {}
    codes = list(settings.get(kind, []))
    return codes + [code for code in settings.get(CODE_LISTS[kind], {}) if code not in codes]


def resolve_label(kind: str, code: str, texts: dict[str, str], language: str) -> str:
    """A code's label in `language`: the organisation's own in that language; else the
    built-in label of a known code (vocabulary.KNOWN_SUPPLIES); else the organisation's in its
    default language (or any it gave); else the code made readable."""
    if texts.get(language):
        return texts[language]
    msgid = KNOWN_CODES[kind].get(code)
    if msgid is not None:
        with force_locale(language):
            return gettext(msgid)
    return texts.get(default_language()) or next(iter(texts.values()), None) or default_label(code)


def code_list(org: Organisation, kind: str, language: str | None = None) -> list[tuple[str, str]]:
    """(code, label) for each code on the list, in the list's order, in `language` (by default
    the reader's)."""
    language = language or current_language()
    stored = stored_labels(org, kind)
    return [
        (code, resolve_label(kind, code, stored.get(code, {}), language))
        for code in (org.settings or {}).get(kind, [])
    ]


def code_labels(org: Organisation, kind: str, language: str | None = None) -> dict[str, str]:
    """{code: label} in `language` (by default the reader's) for every code the organisation
    ever named, removed ones included."""
    language = language or current_language()
    stored = stored_labels(org, kind)
    return {
        code: resolve_label(kind, code, stored.get(code, {}), language)
        for code in named_codes(org, kind)
    }


def code_labels_by_language(org: Organisation, kind: str) -> dict[str, dict[str, str]]:
    """{code: {language: label}} for every code ever named and every language of the app, the
    fallbacks filled in: what the phone keeps, so that it can switch language offline."""
    stored = stored_labels(org, kind)
    return {
        code: {
            language: resolve_label(kind, code, stored.get(code, {}), language)
            for language in LANGUAGES
        }
        for code in named_codes(org, kind)
    }


def editable_labels(org: Organisation, kind: str) -> list[tuple[str, dict[str, str]]]:
    """(code, {language: label}) of each code on the list, for the settings editor: what the
    organisation gave, and a readable label in the default language for a code stored before
    labels existed."""
    stored = stored_labels(org, kind)
    language = default_language()
    rows = []
    for code in (org.settings or {}).get(kind, []):
        texts = dict(stored.get(code, {}))
        texts.setdefault(language, resolve_label(kind, code, texts, language))
        rows.append((code, texts))
    return rows


def fallback_label(kind: str, code: str, language: str, texts: dict[str, str]) -> str:
    """What shows in `language` when the organisation gives no label in it."""
    others = {other: text for other, text in texts.items() if other != language}
    return resolve_label(kind, code, others, language)


def stored_offices(org: Organisation) -> list[dict]:
    """Every office as stored, for the settings editor; routing.queries.route_bases gives
    those that can serve as a route's base."""
    return [dict(office) for office in (org.settings or {}).get("offices", [])]


def settings_revision(org: Organisation, part: str) -> str:
    """A fingerprint of one part of the settings, so an edit made from an out-of-date page is
    noticed instead of silently undoing someone else's change."""
    settings = org.settings or {}
    if part in ("offices", "limits", "lead_sites"):
        value = settings.get(part, [])
    elif part == "retention":
        value = retention_years(org)
    else:
        value = [settings.get(part, []), settings.get(CODE_LISTS[part], {})]
    body = json.dumps(value, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(body.encode()).hexdigest()[:16]


def plausibility_limits(org: Organisation) -> dict:
    """The usual most per visit, above which a number is asked about (outreach/plausibility.py):
    {"persons_present": n, "supplies": {code: n}} for every supply code the organisation ever
    named, the defaults filled in where it set none."""
    stored = (org.settings or {}).get("limits", {})
    supplies = stored.get("supplies", {})
    return {
        "persons_present": stored.get("persons_present", DEFAULT_PERSONS_PRESENT_LIMIT),
        "supplies": {
            code: supplies.get(code, default_supply_limit(code))
            for code in named_codes(org, "supplies")
        },
    }


def usual_pack(org: Organisation) -> dict[str, int]:
    """What the team hands out on an ordinary visit, {code: n} for the codes on the supply list
    (the phone fills them in with one tap); empty until a coordinator sets it."""
    pack = (org.settings or {}).get("limits", {}).get("pack", {})
    return {code: pack[code] for code, _label in code_list(org, "supplies") if pack.get(code)}


def organisation_lists(organisation_id) -> dict:
    """The organisation's supply and indicator codes (coordinators edit them)."""
    settings = db.session.get(Organisation, organisation_id).settings or {}
    return {
        "supplies": list(settings.get("supplies", [])),
        "indicators": list(settings.get("indicators", [])),
    }


def check_codes(organisation_id, field: str, kind: str, given, errors: dict) -> None:
    """Accept the codes of the organisation's list, and codes taken off it since: a record
    made before the change (or offline on a phone) must still save and resend. Problems are
    added to `errors` under `field`."""
    org = db.session.get(Organisation, organisation_id)
    current = list((org.settings or {}).get(kind, []))
    unknown = sorted(set(given) - set(current) - set(named_codes(org, kind)))
    if unknown:
        errors.setdefault(field, []).append(
            f"Unknown code(s) {', '.join(unknown)}; the organisation's list has "
            f"{', '.join(current) or 'no codes yet'}."
        )


def nurses_need_second_factor(org: Organisation) -> bool:
    """True when an admin asked nurses to log in with a second factor as well (coordinators
    and admins always do)."""
    return (org.settings or {}).get("nurse_second_factor", False) is True


def retention_years(org: Organisation) -> int:
    """After how many years without a conversation a person's data is deleted (the retention
    job, outreach/retention)."""
    return int((org.settings or {}).get("retention_years", DEFAULT_RETENTION_YEARS))


def uses_external_services(org: Organisation) -> bool:
    """False when an admin chose "no external services": no clinic address goes to a
    third-party geocoder and no map loads a third party's tiles (docs/security.md)."""
    return (org.settings or {}).get("external_services", True) is not False


def map_tile_url(org: Organisation | None) -> str:
    """Where this organisation's maps get their tiles, or "" for maps without a background:
    with no external services, only from the operator's own server (MAP_TILE_URL_SELF_HOSTED)."""
    config = current_app.config
    if org is None or uses_external_services(org) or config["MAP_TILE_URL_SELF_HOSTED"]:
        return config["MAP_TILE_URL"]
    return ""


# Screening (outreach/leads): the sites the team screens, and how long a flag counts.
DEFAULT_SCREENING_WINDOW_DAYS = 30
MAX_SCREENING_WINDOW_DAYS = 365


def lead_sites(org: Organisation) -> list[str]:
    """The names of the websites the organisation screens, in its order."""
    return [str(s) for s in (org.settings or {}).get("lead_sites", [])]


def screening_window_days(org: Organisation) -> int:
    """How many days a flagged lead raises its clinic's route priority (default 30)."""
    value = (org.settings or {}).get("screening_window_days")
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return DEFAULT_SCREENING_WINDOW_DAYS
