"""The bounds every JSON body and query string of the API is held to, whatever its schema says:
clean strings, sane times, bounded lists and dicts, shallow nesting (issue 11).

`Parser` is the webargs parser of every API blueprint (apiutil.Blueprint): it refuses a body
nested past Python's recursion limit as invalid JSON, and before a schema loads anything it
checks each field's raw value, so that a 400,000-item list costs one len() and one message
instead of 400,000 of each. The validators here bound what the schemas name; document()
puts the bounds in the OpenAPI document.
"""

import json
import re
from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta

from apispec import BasePlugin
from apispec.ext.marshmallow.common import resolve_schema_cls
from flask_babel import gettext
from marshmallow import ValidationError, fields, validate
from webargs.flaskparser import FlaskParser
from wtforms import SelectMultipleField
from wtforms.validators import StopValidation
from wtforms.widgets import CheckboxInput, ListWidget

from outreach.i18n import N_

EARLIEST = date(2000, 1, 1)
MAX_DEPTH = 8  # a field's value nests at most this deep; opening_hours, the deepest, is 3
# NUL (PostgreSQL refuses it in text) and lone surrogates (no UTF-8 encodes them).
UNENCODABLE = re.compile("[\x00\ud800-\udfff]")
# Explicit bidi embeddings, overrides and isolates: they make a name read differently on
# screen than it sorts and matches ("Trojan Source"); right-to-left text itself needs none.
BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")

NOT_TEXT = N_("Contains a character that is not allowed (a NUL byte or a lone surrogate).")
TOO_DEEP = N_("Nested too deep.")
TOO_MANY = N_("Too many items.")


class Between(validate.Validator):
    """A date, or an aware datetime, from 2000-01-01 to `ahead` after today (or now)."""

    def __init__(self, ahead: timedelta, error: str, description: str):
        self.ahead = ahead
        self.error = error
        self.description = description

    def whole_years(self, *, timestamp: bool) -> list[int]:
        """The years every instant of which is in range today. A timestamp's offset can move
        it up to 14 hours, so 2000 counts only for dates; the year of `now + ahead` only if
        that reaches its end."""
        first = EARLIEST.year + (1 if timestamp else 0)
        end = date.today() + self.ahead
        last = end.year if (end.month, end.day) == (12, 31) else end.year - 1
        return list(range(first, last + 1))

    def __call__(self, value):
        if isinstance(value, datetime):
            # Compared as aware datetimes: no conversion, so no overflow at year 1 or 9999.
            low = datetime.combine(EARLIEST, time(), tzinfo=UTC)
            high = datetime.now(UTC) + self.ahead
        else:
            low, high = EARLIEST, date.today() + self.ahead
        if not low <= value <= high:
            raise ValidationError(self.error)
        return value


# Things that happened (a visit, a conversation, a filter on them): 2000 to now + 1 day, the
# day a phone's clock may run ahead.
HAPPENED = Between(
    timedelta(days=1),
    N_("Give a time from 2000-01-01 to one day from now."),
    "From 2000-01-01 to one day from now.",
)
HAPPENED_DAY = Between(
    timedelta(days=1),
    N_("Give a date from 2000-01-01 to tomorrow."),
    "From 2000-01-01 to tomorrow.",
)
# Route plans are made ahead, up to a year.
PLANNED_DAY = Between(
    timedelta(days=366),
    N_("Give a date from 2000-01-01 to a year from now."),
    "From 2000-01-01 to a year from now.",
)


class InRange:
    """The same range as a WTForms validator, for the HTML forms' date fields."""

    def __init__(self, between: Between):
        self.between = between

    def __call__(self, form, field):
        if field.data is None:
            return
        try:
            self.between(field.data)
        except ValidationError:
            raise StopValidation(gettext(self.between.error)) from None


class MultiCheckboxField(SelectMultipleField):
    """A list of codes as checkboxes, for the HTML forms (flags, indicators, regions)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class Integer(fields.Integer):
    """A whole number. JSON has one number type, so 50.0 is 50; 50.5 (or 2.6e-42) is refused,
    where a plain marshmallow Integer would quietly store 50 (or 0). Every integer field of
    every schema is this one; a test keeps it so."""

    def _validated(self, value):
        if isinstance(value, float) and not value.is_integer():
            raise self.make_error("invalid", input=value)
        return super()._validated(value)


def no_bidi_controls(value):
    """For names and aliases: no explicit bidi controls (U+202A-U+202E, U+2066-U+2069)."""
    if value is not None and BIDI_CONTROLS.search(value):
        raise ValidationError(N_("Contains a bidirectional control character, not allowed here."))


def _bound(field) -> int | None:
    """The most items a list field, or keys a dict field, may have (its Length validator)."""
    for validator in field.validators:
        if isinstance(validator, validate.Length) and validator.max is not None:
            return validator.max
        if isinstance(validator, validate.Length) and validator.equal is not None:
            return validator.equal
    return None


def raw_value_error(value, bound: int | None) -> str | None:
    """What is wrong with a field's value as parsed from JSON (or a query string), before any
    schema looks at it: too many items, too deep, or a string no database stores. Iterative, so
    that no depth of nesting can exhaust the stack."""
    if bound is not None and isinstance(value, list | Mapping) and len(value) > bound:
        return TOO_MANY
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            if UNENCODABLE.search(item):
                return NOT_TEXT
        elif isinstance(item, list | Mapping):
            if depth > MAX_DEPTH:
                return TOO_DEEP
            children = item.items() if isinstance(item, Mapping) else enumerate(item)
            for key, child in children:
                if isinstance(key, str) and UNENCODABLE.search(key):
                    return NOT_TEXT
                stack.append((child, depth + 1))
    return None


class Parser(FlaskParser):
    """webargs' Flask parser with the bounds of this module."""

    def _raw_load_json(self, req):
        try:
            return super()._raw_load_json(req)
        except RecursionError:
            # The JSON decoder recursed past the limit: as invalid as any unparseable body.
            raise json.JSONDecodeError("Nested too deep.", "<body>", 0) from None

    def pre_load(self, location_data, *, schema, req, location):
        if not isinstance(location_data, Mapping):
            return location_data
        by_key = {field.data_key or name: field for name, field in schema.load_fields.items()}
        errors = {}
        for key, value in location_data.items():
            if isinstance(key, str) and UNENCODABLE.search(key):
                errors["_schema"] = [NOT_TEXT]
                continue
            field = by_key.get(key)
            bound = _bound(field) if isinstance(field, fields.List | fields.Dict) else None
            error = raw_value_error(value, bound)
            if error:
                errors[key] = [error]
        if errors:
            raise ValidationError(errors)
        return location_data


def document(converter, field, ret, **kwargs) -> dict:
    """apispec attribute function: a dict's Length is its number of keys (maxProperties, not
    maxLength); a time range goes in the description, and a pattern admits the whole years
    inside it, so that a client (or a fuzzer) generating from the document stays inside."""
    if isinstance(field, fields.Dict):
        for length, properties in (("maxLength", "maxProperties"), ("minLength", "minProperties")):
            if length in ret:
                ret[properties] = ret.pop(length)
    if ANY_OBJECT_OR_NULL in ret.get("anyOf", ()):
        # apispec writes a nullable nested schema (OpenAPI 3.0) as "it, or any object or
        # null", which admits {} and every other object the server refuses: "it, or null".
        ret["anyOf"] = [NULL if branch == ANY_OBJECT_OR_NULL else branch for branch in ret["anyOf"]]
    ranges = [v for v in field.validators if isinstance(v, Between)]
    if not ranges:
        return {}
    description = field.metadata.get("description")
    years = ranges[0].whole_years(timestamp=isinstance(field, fields.DateTime))
    return {
        "description": " ".join(filter(None, [description, *(r.description for r in ranges)])),
        "pattern": "^(" + "|".join(map(str, years)) + ")-",
    }


class RulesPlugin(BasePlugin):
    """apispec plugin: a schema's OPENAPI_RULES (JSON Schema keywords across its fields, such
    as anyOf) join its definition, so the document states the rules its validators check."""

    def schema_helper(self, name, definition, **kwargs):
        schema = kwargs.get("schema")
        if schema is None:
            return None
        return dict(getattr(resolve_schema_cls(schema), "OPENAPI_RULES", {}))


NULL = {"nullable": True, "enum": [None]}  # absent or null (OpenAPI 3.0)
ANY_OBJECT_OR_NULL = {"type": "object", "nullable": True}
