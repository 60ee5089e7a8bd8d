"""Translated labels for the binding code values, used by pages and exports."""

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

from outreach.codes import country_name, language_name
from outreach.orgs.models import REGION_NAMES

KIND_LABELS = {
    "massage_clinic": _l("Massage clinic"),
    "apartment": _l("Apartment"),
    "mobile_home": _l("Mobile home"),
    "motel": _l("Motel"),
    "street": _l("Street"),
    "other": _l("Other"),
}
STATUS_LABELS = {"active": _l("Active"), "closed": _l("Closed"), "unknown": _l("Unknown")}
ROLE_LABELS = {"nurse": _l("Nurse"), "coordinator": _l("Coordinator"), "admin": _l("Admin")}
WEEKDAY_LABELS = {
    "mon": _l("Monday"),
    "tue": _l("Tuesday"),
    "wed": _l("Wednesday"),
    "thu": _l("Thursday"),
    "fri": _l("Friday"),
    "sat": _l("Saturday"),
    "sun": _l("Sunday"),
}
GEOCODE_LABELS = {
    "manual": _l("Coordinates given"),
    "geocoded": _l("Found from the address"),
    "pending": _l("Not geocoded yet (retried automatically)"),
    "not_found": _l("Address not found"),
    "none": _l("No address"),
}
SOURCE_LABELS = {
    "registry": _l("Registry"),
    "field": _l("Found in the field"),
    "screening": _l("Screening"),
    "import": _l("Import"),
    "other": _l("Other"),
}
GENDER_LABELS = {
    "woman": _l("Woman"),
    "trans_woman": _l("Trans woman"),
    "man": _l("Man"),
    "trans_man": _l("Trans man"),
    "non_binary": _l("Non-binary"),
    "unknown": _l("Not known"),
}
CHANNEL_LABELS = {
    "visit": _l("Clinic visit"),
    "phone": _l("Phone"),
    "sms": _l("SMS"),
    "drop_in": _l("Drop-in"),
    "other": _l("Other"),
}
TOPIC_LABELS = {
    "health_advice": _l("Health advice"),
    "sti_test_offered": _l("STI test offered"),
    "sti_test_taken": _l("STI test taken"),
    "rights_information": _l("Information about rights"),
    "referral_identification": _l("Referral for identification"),
    "shelter": _l("Shelter"),
    "health_care": _l("Health care"),
}
REFERRAL_LABELS = {
    "identification_interview": _l("Identification interview"),
    "health_care": _l("Health care"),
    "shelter": _l("Shelter"),
    "other": _l("Other"),
}
CONCERN_LABELS = {"green": _l("Green"), "yellow": _l("Yellow"), "red": _l("Red")}
# Why persons.matching suggests a person met before.
MATCH_REASON_LABELS = {
    "alias": _l("similar alias"),
    "nationality": _l("same nationality"),
    "birth_year": _l("birth year within one year"),
    "clinic": _l("met recently at the same clinic"),
}


def label(mapping: dict, code: str | None) -> str:
    if code is None:
        return "–"
    return str(mapping.get(code, code))


def current_language() -> str:
    """The language of the page being rendered, for CLDR names (countries, languages)."""
    locale = get_locale()
    return locale.language if locale else "da"


def country_label(code: str | None) -> str:
    return country_name(code, current_language()) if code else "–"


def language_label(code: str | None) -> str:
    return language_name(code, current_language()) if code else "–"


def template_helpers() -> dict:
    return {
        "kind_label": lambda c: label(KIND_LABELS, c),
        "status_label": lambda c: label(STATUS_LABELS, c),
        "role_label": lambda c: label(ROLE_LABELS, c),
        "region_label": lambda c: REGION_NAMES.get(c, "–") if c else "–",
        "weekday_label": lambda c: label(WEEKDAY_LABELS, c),
        "geocode_label": lambda c: label(GEOCODE_LABELS, c),
        "source_label": lambda c: label(SOURCE_LABELS, c),
        "gender_label": lambda c: label(GENDER_LABELS, c),
        "channel_label": lambda c: label(CHANNEL_LABELS, c),
        "topic_label": lambda c: label(TOPIC_LABELS, c),
        "referral_label": lambda c: label(REFERRAL_LABELS, c),
        "concern_label": lambda c: label(CONCERN_LABELS, c),
        "match_reason_label": lambda c: label(MATCH_REASON_LABELS, c),
        "country_label": country_label,
        "language_label": language_label,
    }
