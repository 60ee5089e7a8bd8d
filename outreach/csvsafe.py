"""The one way to write a CSV file that people open in a spreadsheet: every export uses it.

Spreadsheets run a cell that starts with = + - @ (or a tab or CR before one) as a formula,
and Danish Excel splits lines on ";" while other programs split on "," or a tab: a label
`Glide;=1+1` written unquoted by a comma-separated writer becomes a live formula there. So
every field that holds any of the separators, a quote or a line break is quoted, and a
formula start is neutralised with a leading apostrophe wherever a cell could begin: at the
start of the field and after every separator inside it, whichever separator the reader
picks.
"""

import re
from collections.abc import Iterable, Sequence

from flask_babel import get_locale

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
SEPARATORS = (",", ";", "\t")
# The formats a user picks by name: (delimiter, decimal mark).
FORMATS = {"semicolon": (";", ","), "comma": (",", ".")}
_NEEDS_QUOTES = re.compile(r'[,;\t"\r\n]')
# The start of the field, or a separator or line break, then optional spaces or a quote, then
# a formula character.
_CELL_START = re.compile(r'(^|[,;\t\r\n])([ "]*)(?=[=+\-@\t\r])')


def neutralise(text: str) -> str:
    """`text` with an apostrophe before every formula start where a cell could begin."""
    return _CELL_START.sub(lambda m: m.group(1) + m.group(2) + "'", text)


def field(value, delimiter: str = ",", decimal: str = ".") -> str:
    """One field as written: numbers as they are (with `decimal` as the decimal mark), text
    neutralised, and quoted when needed."""
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, int | float):
        text = neutralise(str(value))
    elif isinstance(value, float):
        text = repr(value).replace(".", decimal)
    else:
        return str(value)
    if _NEEDS_QUOTES.search(text) or delimiter in text:
        return '"' + text.replace('"', '""') + '"'
    return text


def to_csv(rows: Iterable[Sequence], delimiter: str = ",", decimal: str = ".") -> bytes:
    """UTF-8 with a byte-order mark (so that spreadsheet programs read æ, ø and å), CRLF line
    ends, every row through field()."""
    lines = (delimiter.join(field(value, delimiter, decimal) for value in row) for row in rows)
    return ("\ufeff" + "".join(line + "\r\n" for line in lines)).encode("utf-8")


def default_format() -> str:
    """Semicolons and decimal commas for a Danish user (what Danish Excel opens as it is);
    the plain comma format for everyone else."""
    locale = get_locale()
    return "semicolon" if (locale.language if locale else "da") == "da" else "comma"
