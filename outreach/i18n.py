"""Language selection: Danish by default, English on request, remembered per user; and the
translation of API messages."""

import re

from flask import current_app, has_request_context, session
from flask_babel import gettext
from flask_login import current_user

LANGUAGES = {"da": "Dansk", "en": "English"}


def select_locale() -> str | None:
    if not has_request_context():
        return None  # outside a request (CLI, jobs): Babel's default locale
    if current_user and current_user.is_authenticated and current_user.locale in LANGUAGES:
        return current_user.locale
    locale = session.get("locale")
    return locale if locale in LANGUAGES else current_app.config["DEFAULT_LOCALE"]


def N_(message: str) -> str:
    """Mark a message for the catalogue without translating it now: API validation messages
    are made outside the user's language and translated when the error answer is built."""
    return message


# marshmallow's own messages, so the catalogue has them.
MARSHMALLOW_MESSAGES = (
    N_("Missing data for required field."),
    N_("Field may not be null."),
    N_("Unknown field."),
    N_("Invalid input type."),
    N_("Invalid type."),
    N_("Invalid value."),
    N_("Invalid input."),
    N_("Not a valid string."),
    N_("Not a valid integer."),
    N_("Not a valid number."),
    N_("Not a valid boolean."),
    N_("Not a valid UUID."),
    N_("Not a valid date."),
    N_("Not a valid datetime."),
    N_("Not a valid aware datetime."),
    N_("Not a valid list."),
    N_("Not a valid mapping type."),
    N_("Number too large."),
    N_("String does not match expected pattern."),
    N_("Special numeric values (nan or infinity) are not permitted."),
    N_("OSRM (some legs estimated)"),
)
# Messages with values in them: (what the English message looks like, catalogue template).
MESSAGE_PATTERNS = [
    (re.compile(r"^Must be one of: (?P<choices>.*)\.$"), N_("Must be one of: %(choices)s.")),
    (
        re.compile(r"^Length must be between (?P<min>\d+) and (?P<max>\d+)\.$"),
        N_("Length must be between %(min)s and %(max)s."),
    ),
    (
        re.compile(r"^Longer than maximum length (?P<max>\d+)\.$"),
        N_("Longer than maximum length %(max)s."),
    ),
    (
        re.compile(r"^Shorter than minimum length (?P<min>\d+)\.$"),
        N_("Shorter than minimum length %(min)s."),
    ),
    (
        re.compile(
            r"^Must be greater than or equal to (?P<min>\S+) and less than or equal to "
            r"(?P<max>\S+)\.$"
        ),
        N_("Must be greater than or equal to %(min)s and less than or equal to %(max)s."),
    ),
    (
        re.compile(r"^Must be greater than or equal to (?P<min>\S+)\.$"),
        N_("Must be greater than or equal to %(min)s."),
    ),
    (
        re.compile(r"^Must be less than or equal to (?P<max>\S+)\.$"),
        N_("Must be less than or equal to %(max)s."),
    ),
    (
        re.compile(
            r"^Unknown code\(s\) (?P<codes>.*); the organisation's list has (?P<allowed>.*)\.$"
        ),
        N_("Unknown code(s) %(codes)s; the organisation's list has %(allowed)s."),
    ),
    (
        re.compile(r"^(?P<count>\d+) more errors not listed\.$"),
        N_("%(count)s more errors not listed."),
    ),
    # How a route plan's travel times were made (outreach/routing/travel.py).
    (
        re.compile(r"^great-circle × (?P<factor>[\d.]+) at (?P<speed>[\d.]+) km/h$"),
        N_("great-circle distance × %(factor)s at %(speed)s km/h"),
    ),
]


def translate_message(message):
    """A message (or a list/dict of them) in the user's language, where the catalogue has it."""
    if isinstance(message, list):
        return [translate_message(m) for m in message]
    if isinstance(message, dict):
        return {key: translate_message(value) for key, value in message.items()}
    if not isinstance(message, str):
        return message
    for pattern, template in MESSAGE_PATTERNS:
        match = pattern.match(message)
        if match:
            return gettext(template, **match.groupdict())
    return gettext(message)
