"""Every state change of organisations: creating one, and editing its settings."""

import re

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from outreach.audit.services import record
from outreach.db import db
from outreach.denmark import in_denmark
from outreach.i18n import LANGUAGES
from outreach.orgs.models import REGION_SLUGS, Organisation, Region
from outreach.orgs.queries import (
    CODE_LISTS,
    MAX_RETENTION_YEARS,
    MAX_SCREENING_WINDOW_DAYS,
    MIN_RETENTION_YEARS,
    default_label,
    default_language,
    find_organisation,
    label_texts,
    lead_sites,
    nurses_need_second_factor,
    plausibility_limits,
    retention_years,
    screening_window_days,
    settings_revision,
    uses_external_services,
)
from outreach.plausibility import MAX_COUNT, MAX_PERSONS_PRESENT


class OrganisationError(ValueError):
    pass


def create_organisation(
    name: str, region_slugs: list[str], settings: dict | None = None, actor=None
) -> Organisation:
    name = name.strip()
    if not name:
        raise OrganisationError("Give the organisation a name.")
    if find_organisation(name):
        raise OrganisationError(f"An organisation named {name!r} already exists.")
    unknown = [s for s in region_slugs if s not in REGION_SLUGS]
    if unknown:
        raise OrganisationError(
            f"Unknown region {', '.join(unknown)}; use {', '.join(REGION_SLUGS)}."
        )
    if not region_slugs:
        raise OrganisationError("Give at least one region with --region.")
    regions = db.session.scalars(select(Region).where(Region.slug.in_(region_slugs))).all()
    if len(regions) != len(set(region_slugs)):
        raise OrganisationError("The regions are not in the database; run `flask db upgrade`.")
    org = Organisation(name=name, settings=settings or {}, regions=list(regions))
    db.session.add(org)
    db.session.flush()
    record(
        "organisation.create",
        user=actor,
        organisation_id=org.id,
        obj=org,
        regions=sorted(region_slugs),
    )
    return org


# Settings: the supply list, the indicator checklist and the offices ----------------------------
#
# Stored in Organisation.settings (JSON):
#   "supplies": [code, ...]            what the phone offers, in this order
#   "supply_labels": {code: {language: label}}   also for removed codes, so old visits still
#                                      read well; the default language's label is always given
#   "indicators": [code, ...], "indicator_labels": {code: {language: label}}   the same
#   "offices": [{"name", "lat", "lon"}, ...]                         route bases
#   "limits": {"persons_present": n, "supplies": {code: n}}   usual most per visit
# Removing a code only takes it off the list: visits and conversations keep what they stored.

# lower_snake_case, at most 40 characters: what the visit and conversation schemas accept.
CODE_PATTERN = re.compile(r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$")
CODE_MAX_LENGTH = 40
LABEL_MAX_LENGTH = 80
MAX_LIST_ENTRIES = 100
OFFICE_NAME_MAX_LENGTH = 80
MAX_OFFICES = 30


class SettingsError(OrganisationError):
    """Settings that cannot be stored; the message says why. Messages stay lazy: str(error)
    translates them in the request that answers, and a caller outside a request needs none."""


class SettingsConflict(SettingsError):
    """The settings changed since the editor loaded them."""


def code_problem(code: str):
    """What is wrong with a code (a lazy message), or None."""
    if len(code) > CODE_MAX_LENGTH:
        return _l("Use at most %(max)d characters.", max=CODE_MAX_LENGTH)
    if not CODE_PATTERN.match(code):
        return _l(
            "Use lower-case letters a-z, digits and single underscores, starting with a "
            "letter, e.g. leaflet_th."
        )
    return None


def _check_revision(org: Organisation, part: str, expected: str | None) -> None:
    if expected is not None and expected != settings_revision(org, part):
        raise SettingsConflict(
            _l(
                "Someone else changed this list while you were editing it. The page now "
                "shows the current list; make your change again."
            )
        )


def set_code_list(
    org: Organisation,
    kind: str,
    entries: list[tuple[str, dict[str, str]]],
    actor=None,
    expected_revision: str | None = None,
) -> bool:
    """Replace the supply list or the indicator checklist with `entries` [(code, {language:
    label})]. The default language's label is required; a language left out (or blank) shows
    the fallback of orgs.queries.resolve_label. A plain string is the default language's label.

    Returns whether anything changed. Codes taken off the list keep their labels, so visits
    and conversations that used them still show a name."""
    if kind not in CODE_LISTS:
        raise ValueError(f"unknown code list {kind!r}")
    _check_revision(org, kind, expected_revision)
    if len(entries) > MAX_LIST_ENTRIES:
        raise SettingsError(_l("A list can have at most %(max)d items.", max=MAX_LIST_ENTRIES))
    language = default_language()
    given = [(code, label_texts(texts)) for code, texts in entries]
    codes = [code for code, _ in given]
    for code, texts in given:
        problem = code_problem(code)
        if problem is not None:
            raise SettingsError(_l("The code %(code)s cannot be used.", code=code))
        unknown = set(texts) - set(LANGUAGES)
        if unknown:
            raise ValueError(f"labels in unknown languages {sorted(unknown)}")
        if not texts.get(language) or any(len(t) > LABEL_MAX_LENGTH for t in texts.values()):
            raise SettingsError(
                _l("Give every code a label of at most %(max)d characters.", max=LABEL_MAX_LENGTH)
            )
    if len(set(codes)) != len(codes):
        raise SettingsError(_l("Each code can be on the list only once."))

    settings = dict(org.settings or {})
    old_codes = list(settings.get(kind, []))
    # Every code ever on the list keeps a label, also one stored before labels existed:
    # records that used a removed code must still save (orgs.queries.check_codes).
    old_labels = {code: {language: default_label(code)} for code in old_codes}
    old_labels.update(
        {code: label_texts(value) for code, value in settings.get(CODE_LISTS[kind], {}).items()}
    )
    labels = {**old_labels, **dict(given)}
    if codes == old_codes and labels == old_labels:
        return False
    settings[kind] = codes
    settings[CODE_LISTS[kind]] = labels
    return _store(
        org,
        settings,
        actor,
        kind,
        added=[c for c in codes if c not in old_codes],
        removed=[c for c in old_codes if c not in codes],
        relabelled=sorted(c for c in codes if c in old_labels and old_labels[c] != labels[c]),
    )


def _store(org: Organisation, settings: dict, actor, part: str, **details) -> bool:
    """Save a changed part of the settings and audit it (codes and names, never label text)."""
    org.settings = settings  # a new dict: the JSON column does not track changes inside it
    db.session.flush()
    record(
        "organisation.settings", user=actor, organisation_id=org.id, obj=org, part=part, **details
    )
    return True


def set_offices(
    org: Organisation, entries: list[dict], actor=None, expected_revision: str | None = None
) -> bool:
    """Replace the offices (route bases): [{"name", "lat", "lon"}], each inside Denmark."""
    _check_revision(org, "offices", expected_revision)
    if len(entries) > MAX_OFFICES:
        raise SettingsError(_l("At most %(max)d offices.", max=MAX_OFFICES))
    cleaned = []
    for entry in entries:
        name = " ".join(str(entry["name"]).split())
        lat, lon = round(float(entry["lat"]), 6), round(float(entry["lon"]), 6)
        if not name or len(name) > OFFICE_NAME_MAX_LENGTH:
            raise SettingsError(_l("Give every office a name."))
        if not in_denmark(lat, lon):
            raise SettingsError(_l("%(name)s is not in Denmark.", name=name))
        cleaned.append({"name": name, "lat": lat, "lon": lon})
    names = [office["name"].casefold() for office in cleaned]
    if len(set(names)) != len(names):
        raise SettingsError(_l("Two offices cannot have the same name."))
    settings = dict(org.settings or {})
    old = list(settings.get("offices", []))
    if cleaned == old:
        return False
    settings["offices"] = cleaned
    old_names = [o.get("name") for o in old]
    new_names = [o["name"] for o in cleaned]
    return _store(
        org,
        settings,
        actor,
        "offices",
        added=[n for n in new_names if n not in old_names],
        removed=[n for n in old_names if n not in new_names],
    )


def limit_problem(value: int, ceiling: int):
    """What is wrong with a usual-most limit (a lazy message), or None: a limit at or above
    what is refused anyway would never ask anything."""
    if not 1 <= value < ceiling:
        return _l("Give a whole number from 1 to %(max)d.", max=ceiling - 1)
    return None


def set_limits(
    org: Organisation,
    persons_present: int,
    supplies: dict[str, int],
    actor=None,
    expected_revision: str | None = None,
    pack: dict[str, int] | None = None,
) -> bool:
    """Set the usual most per visit: persons present, and each supply code's count. Codes not
    given keep what they had. `pack`, when given, replaces the usual pack ({code: n}, codes
    with 0 left out), none of it above its usual most. Returns whether anything changed."""
    _check_revision(org, "limits", expected_revision)
    if limit_problem(persons_present, MAX_PERSONS_PRESENT) is not None:
        raise SettingsError(
            _l(
                "Persons present: give a whole number from 1 to %(max)d.",
                max=MAX_PERSONS_PRESENT - 1,
            )
        )
    known = plausibility_limits(org)
    for code, value in supplies.items():
        if code not in known["supplies"]:
            raise SettingsError(_l("The code %(code)s cannot be used.", code=code))
        if limit_problem(value, MAX_COUNT) is not None:
            raise SettingsError(
                _l("%(code)s: give a whole number from 1 to %(max)d.", code=code, max=MAX_COUNT - 1)
            )
    most = {**known["supplies"], **supplies}
    stored_pack = (org.settings or {}).get("limits", {}).get("pack", {})
    new_pack = stored_pack if pack is None else {code: n for code, n in pack.items() if n}
    for code, value in new_pack.items():
        if code not in most:
            raise SettingsError(_l("The code %(code)s cannot be used.", code=code))
        if not 0 < value <= most[code]:
            raise SettingsError(
                _l(
                    "%(code)s: the usual pack can hold from 0 to the usual most, %(max)d.",
                    code=code,
                    max=most[code],
                )
            )
    changed = sorted(code for code, value in supplies.items() if value != known["supplies"][code])
    if persons_present != known["persons_present"]:
        changed.insert(0, "persons_present")
    if new_pack != stored_pack:
        changed.append("pack")
    if not changed:
        return False
    settings = dict(org.settings or {})
    settings["limits"] = {
        "persons_present": persons_present,
        "supplies": most,
        **({"pack": new_pack} if new_pack else {}),
    }
    return _store(org, settings, actor, "limits", changed=changed)


def retention_problem(years: int):
    """What is wrong with a retention period in years (a lazy message), or None."""
    if not MIN_RETENTION_YEARS <= years <= MAX_RETENTION_YEARS:
        return _l(
            "Give a whole number of years from %(min)d to %(max)d.",
            min=MIN_RETENTION_YEARS,
            max=MAX_RETENTION_YEARS,
        )
    return None


def set_retention_years(
    org: Organisation, years: int, actor=None, expected_revision: str | None = None
) -> bool:
    """Set after how many years without contact a person's data is deleted (the retention
    job, outreach/retention). Returns whether it changed."""
    _check_revision(org, "retention", expected_revision)
    if isinstance(years, bool) or not isinstance(years, int):
        raise SettingsError(_l("Years without contact: give a whole number."))
    problem = retention_problem(years)
    if problem is not None:
        raise SettingsError(problem)
    old = retention_years(org)
    if years == old:
        return False
    settings = dict(org.settings or {})
    settings["retention_years"] = years
    return _store(org, settings, actor, "retention", old=old, new=years)


def set_external_services(org: Organisation, allowed: bool, actor=None) -> bool:
    """Allow or refuse third-party services (geocoding, map tiles) for the organisation."""
    if uses_external_services(org) == allowed:
        return False
    settings = dict(org.settings or {})
    settings["external_services"] = allowed
    return _store(org, settings, actor, "external_services", allowed=allowed)


def set_nurse_second_factor(org: Organisation, required: bool, actor=None) -> bool:
    """Ask nurses for a second factor at login, or not (coordinators and admins always)."""
    if nurses_need_second_factor(org) == required:
        return False
    settings = dict(org.settings or {})
    settings["nurse_second_factor"] = required
    return _store(org, settings, actor, "nurse_second_factor", required=required)


MAX_LEAD_SITES = 50
LEAD_SITE_MAX_LENGTH = 100


def set_lead_sites(
    org: Organisation, names: list[str], actor=None, expected_revision: str | None = None
) -> bool:
    """Replace the list of sites the team screens (names, in order; leads keep the name they
    were recorded with). Returns whether it changed."""
    _check_revision(org, "lead_sites", expected_revision)
    cleaned = [" ".join(str(name).split()) for name in names]
    cleaned = [name for name in cleaned if name]
    if len(cleaned) > MAX_LEAD_SITES:
        raise SettingsError(_l("At most %(max)d sites.", max=MAX_LEAD_SITES))
    if any(len(name) > LEAD_SITE_MAX_LENGTH for name in cleaned):
        raise SettingsError(
            _l("A site's name is at most %(max)d characters.", max=LEAD_SITE_MAX_LENGTH)
        )
    folded = [name.casefold() for name in cleaned]
    if len(set(folded)) != len(folded):
        raise SettingsError(_l("Two sites cannot have the same name."))
    old = lead_sites(org)
    if cleaned == old:
        return False
    settings = dict(org.settings or {})
    settings["lead_sites"] = cleaned
    return _store(
        org,
        settings,
        actor,
        "lead_sites",
        added=[n for n in cleaned if n not in old],
        removed=[n for n in old if n not in cleaned],
    )


def screening_window_problem(days: int):
    if not 1 <= days <= MAX_SCREENING_WINDOW_DAYS:
        return _l("Give a whole number of days from 1 to %(max)d.", max=MAX_SCREENING_WINDOW_DAYS)
    return None


def set_screening_window(org: Organisation, days: int, actor=None) -> bool:
    """How many days a flagged lead raises its clinic's route priority."""
    if isinstance(days, bool) or not isinstance(days, int):
        raise SettingsError(_l("Give a whole number of days."))
    problem = screening_window_problem(days)
    if problem is not None:
        raise SettingsError(problem)
    old = screening_window_days(org)
    if days == old:
        return False
    settings = dict(org.settings or {})
    settings["screening_window_days"] = days
    return _store(org, settings, actor, "screening_window", old=old, new=days)
