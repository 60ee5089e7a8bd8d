"""The bodies the phone sends carry exactly the fields of the API's input schemas.

The phone builds its bodies offline, from the JavaScript it has cached, so the field lists are
part of the shipped code rather than something it could ask the server for at the moment of
saving; this test reads them out of that code and holds them to the schemas, so a field added
to, renamed in or dropped from a schema fails here instead of in a nurse's outbox.
"""

import json
import re
from pathlib import Path

from outreach.clinics.schemas import ClinicInSchema
from outreach.persons.schemas import ConversationInSchema, PersonInSchema
from outreach.visits.schemas import VisitInSchema

FIELD = Path(__file__).resolve().parents[2] / "static" / "field"

TOKEN = re.compile(
    r"""\s+|//[^\n]*|/\*.*?\*/|"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`(?:[^`\\]|\\.)*`"""
    r"""|\.\.\.|[\w$]+|.""",
    re.S,
)


def _source(name: str) -> str:
    return (FIELD / name).read_text()


def _object_keys(source: str, anchor: str) -> list[str]:
    """The top-level keys of the object literal that opens at the end of `anchor` (spreads
    such as `...kept` are skipped; the test that owns the anchor says what they add)."""
    assert source.count(anchor) == 1, anchor
    start = source.index(anchor) + len(anchor) - 1
    assert source[start] == "{", anchor
    keys, depth, at_key = [], 0, False
    for match in TOKEN.finditer(source, start):
        token = match.group()
        if token.isspace() or token.startswith(("//", "/*")):
            continue
        if token in ("{", "(", "["):
            depth += 1
            at_key = at_key or depth == 1
        elif token in ("}", ")", "]"):
            depth -= 1
            if depth == 0:
                return keys
        elif depth == 1 and token == ",":
            at_key = True
        elif depth == 1 and at_key:
            if token != "...":
                keys.append(token)
            at_key = False
    raise AssertionError(f"no end to the object after {anchor!r}")


# Said in a body, never stored: the record's fields are the rest (docs/plausibility.md).
NOT_STORED = {"confirmed_unusual"}


def _fields(schema) -> list[str]:
    return [name for name in schema().load_fields if name not in NOT_STORED]


def test_the_object_reader_finds_keys_shorthands_and_skips_nested_values_and_spreads():
    source = 'x = { ...base, a: f(1, { b: 2 }), c, "d": `e${{ f: 1 }.f}`, g: [h, i] };'
    assert _object_keys(source, "x = {") == ["a", "c", '"d"', "g"]


def test_visit_fields_are_the_visit_schemas_fields():
    records = _source("records.js")
    array = re.search(r"export const VISIT_FIELDS = \[(.*?)\];", records, re.S).group(1)
    visit_fields = [json.loads(s) for s in re.findall(r'"[^"]*"', array)]
    assert visit_fields == _fields(VisitInSchema)


def test_the_visit_form_sends_every_visit_field():
    keys = _object_keys(_source("screens/visit-form.js"), "const body = {")
    assert sorted(keys) == sorted(_fields(VisitInSchema))


def test_a_clinic_sent_back_and_a_clinic_from_the_form_carry_the_clinic_schemas_fields():
    from_stored = _object_keys(
        _source("records.js"), "export function clinicBody(clinic) {\n  return {"
    )
    # The clinic's phone number (issue 14) is not pulled to phones and a body without it
    # keeps the stored number (tests/leads/test_clinic_phone.py): the phone never sends it.
    clinic_fields = [name for name in _fields(ClinicInSchema) if name != "phone"]
    assert sorted(from_stored) == sorted(clinic_fields)
    # The form's body starts from clinicBody(...) (`...kept`) and sets these over it.
    from_form = _object_keys(_source("screens/clinic-form.js"), "const body = {")
    assert set(from_form) <= set(_fields(ClinicInSchema))


def test_a_person_from_either_form_carries_the_person_schemas_fields():
    fix_form = _object_keys(_source("screens/person-form.js"), 'outbox.save("person", id, {')
    new_in_conversation = _object_keys(_source("screens/conversation-form.js"), "personBody = {")
    assert sorted(fix_form) == sorted(_fields(PersonInSchema))
    assert sorted(new_in_conversation) == sorted(_fields(PersonInSchema))


def test_the_conversation_form_sends_every_conversation_field():
    keys = _object_keys(_source("screens/conversation-form.js"), "const body = {")
    assert sorted(keys) == sorted(_fields(ConversationInSchema))
