"""Language selection: Danish by default, English on request, remembered per user; the
translation of API messages; and the base classes of every form, so that WTForms' and
Flask-WTF's own messages come in the reader's language too."""

import re

import flask_wtf
import wtforms
from flask import current_app, has_request_context, session
from flask_babel import get_translations, gettext
from flask_login import current_user
from flask_wtf.csrf import _FlaskFormCSRF
from wtforms.validators import ValidationError

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
        re.compile(r"^Give a year from (?P<first>\d+) to (?P<latest>\d+)\.$"),
        N_("Give a year from %(first)s to %(latest)s."),
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


# Forms -----------------------------------------------------------------------------------------
#
# WTForms ships no Danish catalogue, and Flask-WTF's CSRF messages are plain English, so every
# form of the app derives from FlaskForm or Form below: their messages are looked up in the
# app's own catalogue (the msgids listed here, so that extraction keeps them there).
WTFORMS_MESSAGES = (
    N_("This field is required."),
    N_("Invalid input."),
    N_("Invalid field name '%s'."),
    N_("Field must be equal to %(other_name)s."),
    N_("Field must be between %(min)d and %(max)d characters long."),
    N_("Number must be at least %(min)s."),
    N_("Number must be at most %(max)s."),
    N_("Number must be between %(min)s and %(max)s."),
    N_("Date must be at least %(min)s."),
    N_("Date must be at most %(max)s."),
    N_("Date must be between %(min)s and %(max)s."),
    N_("Invalid email address."),
    N_("Invalid IP address."),
    N_("Invalid Mac address."),
    N_("Invalid URL."),
    N_("Invalid UUID."),
    N_("Invalid value, must be one of: %(values)s."),
    N_("Invalid value, can't be any of: %(values)s."),
    N_("This field cannot be edited."),
    N_("This field is disabled and cannot have a value."),
    N_("Invalid CSRF Token."),
    N_("CSRF token missing."),
    N_("CSRF failed."),
    N_("CSRF token expired."),
    N_("Invalid Choice: could not coerce."),
    N_("Choices cannot be None."),
    N_("Not a valid choice."),
    N_("Invalid choice(s): one or more data inputs could not be coerced."),
    N_("Not a valid datetime value."),
    N_("Not a valid date value."),
    N_("Not a valid time value."),
    N_("Not a valid week value."),
    N_("Not a valid integer value."),
    N_("Not a valid decimal value."),
    N_("Not a valid float value."),
    # Flask-WTF: file fields and its CSRF check.
    N_("File does not have an approved extension: {extensions}"),
    N_("File does not have an approved extension."),
    N_("The CSRF token is missing."),
    N_("The CSRF session token is missing."),
    N_("The CSRF token has expired."),
    N_("The CSRF token is invalid."),
    N_("The CSRF tokens do not match."),
)


def _wtforms_plurals(ngettext):
    """WTForms' messages with plural forms: literal ngettext calls, so that the extractor
    keeps them in the catalogue; called with a function that returns each (singular, plural)."""
    return (
        ngettext(
            "Field must be at least %(min)d character long.",
            "Field must be at least %(min)d characters long.",
            1,
        ),
        ngettext(
            "Field cannot be longer than %(max)d character.",
            "Field cannot be longer than %(max)d characters.",
            1,
        ),
        ngettext(
            "Field must be exactly %(max)d character long.",
            "Field must be exactly %(max)d characters long.",
            1,
        ),
        ngettext(
            "'%(value)s' is not a valid choice for this field.",
            "'%(value)s' are not valid choices for this field.",
            1,
        ),
    )


WTFORMS_PLURALS = _wtforms_plurals(lambda singular, plural, n: (singular, plural))


class _CatalogueTranslations:
    """WTForms' translations interface over the app's catalogue in the current language. It
    only looks a message up: WTForms fills in the values itself."""

    def gettext(self, string):
        return get_translations().ugettext(string)

    def ngettext(self, singular, plural, n):
        return get_translations().ungettext(singular, plural, n)


FORM_TRANSLATIONS = _CatalogueTranslations()


class _TranslatedCSRF(_FlaskFormCSRF):
    def validate_csrf_token(self, form, field):
        try:
            super().validate_csrf_token(form, field)
        except ValidationError as error:
            raise ValidationError(gettext(error.args[0])) from error


class Form(wtforms.Form):
    """The base of every sub-form (FormField rows) of the app."""

    class Meta:
        def get_translations(self, form):
            return FORM_TRANSLATIONS


class FlaskForm(flask_wtf.FlaskForm):
    """The base of every form of the app: Flask-WTF's, speaking the reader's language."""

    class Meta:
        csrf_class = _TranslatedCSRF

        def get_translations(self, form):
            return FORM_TRANSLATIONS
