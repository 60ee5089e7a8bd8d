"""Phone numbers: E.164 with Danish default, clear errors, one keyed look-up hash."""

import pytest

from outreach import phones
from outreach.crypto import keyring


@pytest.mark.parametrize(
    "written",
    ["20 12 34 56", "+45 20123456", "0045 20 12 34 56", "(+45) 20-12-34-56", "+4520123456"],
)
def test_a_danish_number_in_any_writing_becomes_its_e164_form(written):
    assert phones.normalise(written) == "+4520123456"


def test_a_number_from_abroad_keeps_its_country_code():
    assert phones.normalise("+66 81 234 5678") == "+66812345678"
    assert phones.normalise("+44 7911 123456") == "+447911123456"


@pytest.mark.parametrize(
    ("written", "message"),
    [
        ("", phones.NOT_A_NUMBER),
        ("call me", phones.NOT_A_NUMBER),
        ("1234", phones.NOT_VALID),
        ("12 34 56 78", phones.NOT_VALID),  # not a number plan of Denmark
        ("2" * 41, phones.TOO_LONG),
    ],
)
def test_a_bad_number_is_refused_with_a_message_for_the_field(written, message):
    with pytest.raises(phones.InvalidPhone) as raised:
        phones.normalise(written)
    assert str(raised.value) == message
    assert written.strip() == "" or written not in str(raised.value)


def test_the_look_up_hash_is_the_keyed_hash_of_the_e164_form(app):
    with app.app_context():
        ring = keyring()
        expected = ring.lookup(phones.LOOKUP_PURPOSE, "+4520123456")
        assert phones.lookup_hash("20 12 34 56") == expected
        assert phones.lookup_hash("0045 20 12 34 56") == expected
        assert phones.lookup_hash("+45 20 12 34 57") != expected
        assert "20123456" not in expected


def test_a_stored_number_is_shown_as_people_write_it():
    assert phones.display("+4520123456") == "20 12 34 56"
    assert phones.display("+66812345678") == "+66 81 234 5678"
