"""Phone numbers of leads, clinics and SMS contacts: normalised to E.164 with `phonenumbers`
(Danish numbers may be written without +45), and the one keyed look-up hash that makes equal
numbers findable and groupable across tables without their clear text in SQL.

The hash is KeyRing.lookup (outreach/crypto.py, the same keyed HMAC as the alias look-up) of
the E.164 form, under one purpose for every table: a number written "20 12 34 56" on a lead,
"+45 20123456" on a clinic and "0045 20 12 34 56" on an SMS contact hashes the same."""

import phonenumbers
from marshmallow import ValidationError, fields

from outreach.crypto import keyring
from outreach.i18n import N_

DEFAULT_REGION = "DK"
# One purpose for every table's phone column, so that the hashes of leads, clinics and SMS
# contacts compare equal (Encrypted(..., purpose=LOOKUP_PURPOSE)).
LOOKUP_PURPOSE = "phone"
MAX_LENGTH = 40  # what a person may type, spaces and punctuation included

NOT_A_NUMBER = N_("Not a phone number: write it as on the ad, e.g. 20 12 34 56 or +45 20 12 34 56.")
NOT_VALID = N_(
    "Not a valid phone number: check the digits; a number from abroad starts with + and the "
    "country code."
)
TOO_LONG = N_("A phone number is at most 40 characters.")


class InvalidPhone(ValueError):
    """A number that does not parse or is not valid; the message (a msgid) is for the field
    and never repeats the number."""


def normalise(text: str, region: str = DEFAULT_REGION) -> str:
    """The E.164 form of a phone number ("+4520123456"); InvalidPhone when it is none."""
    text = (text or "").strip()
    if len(text) > MAX_LENGTH:
        raise InvalidPhone(TOO_LONG)
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        raise InvalidPhone(NOT_A_NUMBER) from None
    if not phonenumbers.is_valid_number(number):
        raise InvalidPhone(NOT_VALID)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def lookup_hash(text: str) -> str:
    """The keyed look-up hash of a number in any writing (InvalidPhone if it is none): the
    value of every `phone_lookup` column."""
    return keyring().lookup(LOOKUP_PURPOSE, normalise(text))


def display(e164: str) -> str:
    """A stored E.164 number as people write it: national for Danish numbers, else
    international ("20 12 34 56", "+66 81 234 5678")."""
    try:
        number = phonenumbers.parse(e164, DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        return e164
    fmt = (
        phonenumbers.PhoneNumberFormat.NATIONAL
        if phonenumbers.region_code_for_number(number) == DEFAULT_REGION
        else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    )
    return phonenumbers.format_number(number, fmt)


class PhoneField(fields.String):
    """A JSON body's phone number: any writing in, E.164 out; a bad one is a field error."""

    def __init__(self, **kwargs):
        metadata = {
            "description": "A phone number in any common writing (Danish without +45); "
            "stored and answered in E.164, e.g. +4520123456.",
            "maxLength": MAX_LENGTH,
            **kwargs.pop("metadata", {}),
        }
        super().__init__(metadata=metadata, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            return normalise(text)
        except InvalidPhone as error:
            raise ValidationError(str(error)) from None
