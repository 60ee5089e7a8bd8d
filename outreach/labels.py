"""Translated labels for the binding code values, used by pages and exports."""

from flask_babel import lazy_gettext as _l

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


def label(mapping: dict, code: str | None) -> str:
    if code is None:
        return "–"
    return str(mapping.get(code, code))


def template_helpers() -> dict:
    return {
        "kind_label": lambda c: label(KIND_LABELS, c),
        "status_label": lambda c: label(STATUS_LABELS, c),
        "role_label": lambda c: label(ROLE_LABELS, c),
        "region_label": lambda c: REGION_NAMES.get(c, "–") if c else "–",
        "weekday_label": lambda c: label(WEEKDAY_LABELS, c),
        "geocode_label": lambda c: label(GEOCODE_LABELS, c),
        "source_label": lambda c: label(SOURCE_LABELS, c),
    }
