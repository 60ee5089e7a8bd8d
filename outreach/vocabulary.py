"""The one home of every code list: each code with the msgid of its label, in display order.

Models, schemas (`OneOf`), forms, pages, exports and the phone (through the pull's reference
lists) all take their codes and labels from here. Adding a value touches this file and the
Danish catalogue; see docs/vocabulary.md.
"""

from functools import partial

from flask_babel import get_locale, gettext, lazy_gettext

from outreach import phones
from outreach.codes import country_name, language_name
from outreach.i18n import N_

# Binding code lists (DESIGN.md §2 and §4): the codes must never change.
CLINIC_KINDS = {
    "massage_clinic": N_("Massage clinic"),
    "apartment": N_("Apartment"),
    "mobile_home": N_("Mobile home"),
    "motel": N_("Motel"),
    "street": N_("Street"),
    "other": N_("Other"),
}
CLINIC_STATUSES = {"active": N_("Active"), "closed": N_("Closed"), "unknown": N_("Unknown")}
# Opening hours are keyed by these (DESIGN.md §4); the calendar fixes them.
WEEKDAYS = {
    "mon": N_("Monday"),
    "tue": N_("Tuesday"),
    "wed": N_("Wednesday"),
    "thu": N_("Thursday"),
    "fri": N_("Friday"),
    "sat": N_("Saturday"),
    "sun": N_("Sunday"),
}
VISIT_OUTCOMES = {"admitted": N_("Admitted"), "not_admitted": N_("Not admitted")}
NOT_ADMITTED_REASONS = {
    "no_answer": N_("No answer"),
    "refused": N_("Refused"),
    "closed": N_("Closed"),
    "moved": N_("Moved"),
    "other": N_("Other reason"),
}
CONCERN_LEVELS = {"green": N_("Green"), "yellow": N_("Yellow"), "red": N_("Red")}
GENDERS = {
    "woman": N_("Woman"),
    "trans_woman": N_("Trans woman"),
    "man": N_("Man"),
    "trans_man": N_("Trans man"),
    "non_binary": N_("Non-binary"),
    "unknown": N_("Not known"),
}
CHANNELS = {
    "visit": N_("Clinic visit"),
    "phone": N_("Phone"),
    "sms": N_("SMS"),
    "drop_in": N_("Drop-in"),
    "other": N_("Other"),
}
TOPICS = {
    "health_advice": N_("Health advice"),
    "sti_test_offered": N_("STI test offered"),
    "sti_test_taken": N_("STI test taken"),
    "rights_information": N_("Information about rights"),
    "referral_identification": N_("Referral for identification"),
    "shelter": N_("Shelter"),
    "health_care": N_("Health care"),
}
REFERRALS = {
    "identification_interview": N_("Identification interview"),
    "health_care": N_("Health care"),
    "shelter": N_("Shelter"),
    "other": N_("Other"),
}
# What came of an SMS sent to a number from an ad (DESIGN.md §4, sms-contact `outcome`).
SMS_OUTCOMES = {
    "sent": N_("Sent, no answer yet"),
    "reply": N_("Reply"),
    "no_reply": N_("No reply"),
    "wrong_number": N_("Wrong number"),
    "controller_answered": N_("Controller answered"),
    "opted_out": N_("Asked not to be contacted"),
}
# In increasing power: auth.models ranks them in this order.
ROLES = {"nurse": N_("Nurse"), "coordinator": N_("Coordinator"), "admin": N_("Admin")}

# Leads (DESIGN.md §4, binding codes): what a screened ad shows, and where it stands.
LEAD_FLAGS = {
    "appears_very_young": N_("appears very young"),
    "pressure_unprotected": N_("pressure to offer sex without protection"),
    "extreme_services": N_("extreme services"),
    "new_in_area": N_("new in the area"),
    "moved": N_("moved"),
    "controller_answers": N_("a controller answers the phone"),
}
LEAD_STATUSES = {
    "new": N_("New"),
    "to_verify": N_("To verify"),
    "linked": N_("Linked to a clinic"),
    "dismissed": N_("Dismissed"),
}

# Code lists of this application (extend freely).
# Why a lead was dismissed.
LEAD_DISMISS_REASONS = {
    "duplicate": N_("Duplicate of another lead"),
    "not_relevant": N_("Not relevant to the team"),
    "outside_area": N_("Outside the organisation's regions"),
    "gone": N_("The ad is gone"),
    "other": N_("Other"),
}
CLINIC_SOURCES = {
    "registry": N_("Registry"),
    "field": N_("Found in the field"),
    "screening": N_("Screening"),
    "import": N_("Import"),
    "other": N_("Other"),
}
# How a clinic's region was set: from the postcode, from the coordinates, or chosen by a person.
REGION_SOURCES = {
    "postcode": N_("derived from the postcode"),
    "coordinates": N_("derived from the coordinates"),
    "manual": N_("chosen by hand"),
}
# manual: coordinates given by a person or the phone's GPS; geocoded: looked up from the
# address; town: geocoder unreachable, the centre of the clinic's town until the scheduler's
# retry finds the address; pending: geocoder unreachable and no town known, retried by the
# scheduler; not_found: the geocoder does not know the address; none: no address to look up.
GEOCODE_STATUSES = {
    "manual": N_("Coordinates given"),
    "geocoded": N_("Found from the address"),
    "town": N_("Town centre for now (the address is looked up again automatically)"),
    "pending": N_("Not geocoded yet (retried automatically)"),
    "not_found": N_("Address not found"),
    "none": N_("No address"),
}
# Why persons.matching suggests a person met before.
MATCH_REASONS = {
    "same_alias": N_("same alias"),
    "alias": N_("similar alias"),
    "nationality": N_("same nationality"),
    "birth_year": N_("birth year within one year"),
    "clinic": N_("met recently at the same clinic"),
}

# Supplies and indicators are each organisation's own lists (orgs.queries: codes and labels
# per language, edited on the settings page). These are the codes most teams use, with a
# label for a language the organisation gave none in.
KNOWN_SUPPLIES = {
    "condoms": N_("Condoms"),
    "lubricant": N_("Lubricant"),
    "sti_test": N_("STI test"),
    "leaflet_th": N_("Leaflet (Thai)"),
    "leaflet_ro": N_("Leaflet (Romanian)"),
    "leaflet_es": N_("Leaflet (Spanish)"),
    "leaflet_en": N_("Leaflet (English)"),
}
KNOWN_INDICATORS = {
    "lives_at_workplace": N_("Lives at the workplace"),
    "no_own_passport": N_("Does not hold own passport"),
    "debt": N_("Debt"),
    "not_free_to_leave": N_("Not free to leave"),
    "signs_of_violence": N_("Signs of violence"),
    "very_young": N_("Very young"),
    "unprotected_sex_demanded": N_("Unprotected sex demanded"),
}

# Binding slugs, official codes and names (DESIGN.md §2). Proper names: not translated. The
# regions table is seeded from a migration, so a new region also needs a data migration.
REGIONS = (
    ("hovedstaden", 1084, "Region Hovedstaden"),
    ("sjaelland", 1085, "Region Sjælland"),
    ("syddanmark", 1083, "Region Syddanmark"),
    ("midtjylland", 1082, "Region Midtjylland"),
    ("nordjylland", 1081, "Region Nordjylland"),
)

# The lists the phone keeps, by the names the pull's reference carries them under.
# Audit log: every action that audit.services.record() writes, with the label the admin's
# audit page and its CSV show (tests/audit/test_labels.py finds each action in the code).
AUDIT_ACTIONS = {
    "auth.login": N_("Logged in"),
    "auth.login_failed": N_("Failed login"),
    "auth.logout": N_("Logged out"),
    "auth.password_change": N_("Changed password (every session ended)"),
    "auth.revoke": N_("Ended every session of a user"),
    "auth.session_end": N_("Ended a session"),
    "auth.device_key": N_("Fetched a phone's recovery key"),
    "device.revoke": N_("Revoked a phone"),
    "device.restore": N_("Undid a phone's revocation"),
    "device.reregister": N_("Logged in again on a revoked phone"),
    "auth.token_failed": N_("Refused an API token"),
    "auth.second_factor": N_("Gave the second factor's code"),
    "auth.second_factor_failed": N_("Wrong or missing second-factor code"),
    "auth.second_factor_replay": N_("Refused a second-factor code used before"),
    "auth.recovery_code_used": N_("Logged in with a recovery code"),
    "auth.second_factor_enrol": N_("Set up a second factor"),
    "auth.second_factor_reset": N_("Reset a user's second factor"),
    "access.denied": N_("Access denied"),
    "csrf.refused": N_("Refused a form without a valid security token"),
    "user.create": N_("Created a user"),
    "user.role_change": N_("Changed a user's role"),
    "user.activate": N_("Reactivated a user"),
    "user.deactivate": N_("Deactivated a user"),
    "token.create": N_("Created an API token"),
    "token.revoke": N_("Revoked an API token"),
    "organisation.create": N_("Created the organisation"),
    "organisation.settings": N_("Changed the settings"),
    "retention.purge": N_("Deleted person-level data past the retention period"),
    "person.read": N_("Read a person's record"),
    "person.list": N_("Listed persons"),
    "person.search": N_("Searched for persons"),
    "person.suggestions": N_("Looked up possible matches of a person"),
    "person.create": N_("Recorded a person"),
    "person.update": N_("Changed a person's record"),
    "person.merge": N_("Merged two persons"),
    "person.unmerge": N_("Undid a merge of two persons"),
    "conversation.read": N_("Read a conversation"),
    "conversation.list": N_("Listed conversations"),
    "conversation.create": N_("Recorded a conversation"),
    "conversation.update": N_("Changed a conversation"),
    "visit.read": N_("Read a visit"),
    "visit.list": N_("Listed visits"),
    "visit.create": N_("Recorded a visit"),
    "visit.update": N_("Changed a visit"),
    "sync.pull": N_("A phone fetched persons"),
    "clinic.create": N_("Added a clinic"),
    "clinic.update": N_("Changed a clinic"),
    "clinic.close": N_("Closed a clinic"),
    "clinic.reopen": N_("Reopened a clinic"),
    "clinic.import": N_("Imported clinics from a CSV file"),
    "report.export": N_("Exported the report"),
    "route_plan.create": N_("Created a route plan"),
    "route_plan.update": N_("Changed a route plan's settings"),
    "route_plan.candidate_add": N_("Added a clinic to a route plan"),
    "route_plan.candidate_remove": N_("Removed a clinic from a route plan"),
    "route_plan.optimise": N_("Planned the routes"),
    "route_plan.reorder": N_("Moved a stop of a route"),
    "route_plan.stop_remove": N_("Removed a stop from a route"),
    "route_plan.save": N_("Saved a route plan"),
    "route_plan.sheet": N_("Opened a printable route sheet"),
    "route_plan.gpx": N_("Exported a route as GPX"),
    "route_plan.reopen": N_("Took a saved route plan back to a draft"),
    "route_plan.delete": N_("Deleted a route plan"),
    "audit.export": N_("Exported the audit log"),
    "lead.read": N_("Read a lead"),
    "lead.list": N_("Listed leads"),
    "lead.create": N_("Recorded a lead"),
    "lead.update": N_("Changed a lead"),
    "lead.sighting": N_("Recorded a sighting of a lead"),
    "lead.dismiss": N_("Dismissed a lead"),
    "lead.reopen": N_("Took a lead back to verify"),
    "lead.link": N_("Linked a lead to a clinic"),
    "lead.groups": N_("Looked at the phone-number groups"),
    "lead.export": N_("Exported the lead list"),
    "lead.import": N_("Imported leads from a CSV file"),
    "sms_contact.create": N_("Recorded an SMS sent"),
    "sms_contact.update": N_("Changed an SMS contact"),
    "sms_contact.read": N_("Read an SMS contact"),
    "sms_contact.list": N_("Listed SMS contacts"),
    "sms.to_text": N_("A phone fetched the numbers to text"),
    "sms.templates": N_("Changed the SMS templates"),
}
# What an audit event is about (its object_type), for the filter and the columns.
AUDIT_OBJECT_TYPES = {
    "persons": N_("Person"),
    "conversations": N_("Conversation"),
    "visits": N_("Visit"),
    "clinics": N_("Clinic"),
    "clinic_import": N_("Clinic import"),
    "route_plans": N_("Route plan"),
    "person_merges": N_("Merge of two persons"),
    "users": N_("User"),
    "api_tokens": N_("API token"),
    "user_sessions": N_("Session"),
    "second_factors": N_("Second factor"),
    "recovery_codes": N_("Recovery code"),
    "organisations": N_("Organisation"),
    "report": N_("Report"),
    "audit_events": N_("Audit log"),
    "leads": N_("Lead"),
    "lead_import": N_("Lead import"),
    "sms_contacts": N_("SMS contact"),
}

PHONE_LISTS = {
    "clinic_kinds": CLINIC_KINDS,
    "clinic_statuses": CLINIC_STATUSES,
    "weekdays": WEEKDAYS,
    "visit_outcomes": VISIT_OUTCOMES,
    "not_admitted_reasons": NOT_ADMITTED_REASONS,
    "concern_levels": CONCERN_LEVELS,
    "genders": GENDERS,
    "channels": CHANNELS,
    "topics": TOPICS,
    "referrals": REFERRALS,
    "sms_outcomes": SMS_OUTCOMES,
}


def phone_msgids() -> set[str]:
    """The label msgids of the lists the phone keeps: its catalogue must carry them."""
    return {msgid for codes in PHONE_LISTS.values() for msgid in codes.values()}


def label(codes: dict[str, str], code: str | None) -> str:
    """The label of `code` in the current language; an unknown code is shown as it is."""
    if code is None:
        return "–"
    msgid = codes.get(code)
    return gettext(msgid) if msgid else code


def labels(codes: dict[str, str]) -> dict:
    """{code: label}, translated when shown: safe to build at import time (form fields)."""
    return {code: lazy_gettext(msgid) for code, msgid in codes.items()}


def choices(codes: dict[str, str], only=None) -> list[tuple]:
    """(code, label) pairs for a select field, in the list's order; `only` keeps some codes."""
    return [
        (code, lazy_gettext(msgid)) for code, msgid in codes.items() if only is None or code in only
    ]


def region_name(slug: str | None) -> str:
    return next((name for s, _, name in REGIONS if s == slug), "–")


def current_language() -> str:
    """The language of the page being rendered, for CLDR names (countries, languages)."""
    locale = get_locale()
    return locale.language if locale else "da"


def country_label(code: str | None) -> str:
    return country_name(code, current_language()) if code else "–"


def language_label(code: str | None) -> str:
    return language_name(code, current_language()) if code else "–"


def phone_display(e164: str | None) -> str:
    """A stored number as people write it ("20 12 34 56"), or "–"."""
    return phones.display(e164) if e164 else "–"


def template_helpers() -> dict:
    """The page templates' `<list>_label(code)` functions."""
    lists = {
        "kind": CLINIC_KINDS,
        "status": CLINIC_STATUSES,
        "role": ROLES,
        "weekday": WEEKDAYS,
        "geocode": GEOCODE_STATUSES,
        "source": CLINIC_SOURCES,
        "region_source": REGION_SOURCES,
        "visit_outcome": VISIT_OUTCOMES,
        "not_admitted_reason": NOT_ADMITTED_REASONS,
        "gender": GENDERS,
        "channel": CHANNELS,
        "topic": TOPICS,
        "referral": REFERRALS,
        "concern": CONCERN_LEVELS,
        "match_reason": MATCH_REASONS,
        "audit_action": AUDIT_ACTIONS,
        "audit_object": AUDIT_OBJECT_TYPES,
        "lead_status": LEAD_STATUSES,
        "flag": LEAD_FLAGS,
        "dismiss_reason": LEAD_DISMISS_REASONS,
        "sms_outcome": SMS_OUTCOMES,
    }
    helpers = {f"{name}_label": partial(label, codes) for name, codes in lists.items()}
    return {
        **helpers,
        "region_label": region_name,
        "country_label": country_label,
        "language_label": language_label,
        "phone_display": phone_display,
    }
