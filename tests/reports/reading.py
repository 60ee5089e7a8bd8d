"""Reading the report's files back as a script or a printer would: CSV with the csv module,
XLSX with openpyxl, the PDF's text as printed on the page (Debian's pdftotext, poppler-utils,
which leaves out whatever lies outside the page, as a printer cuts it off)."""

import csv
import io
import re
import shutil
import subprocess

from babel.numbers import format_decimal, format_percent


def read_csv(content: bytes, delimiter: str) -> tuple[dict, list[list[str]]]:
    """(the about lines as {label: value}, the table's rows with its header first)."""
    assert content.startswith(b"\xef\xbb\xbf"), "UTF-8 with a byte-order mark"
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig")), delimiter=delimiter))
    blank = rows.index([])
    about = dict(rows[:blank])
    assert all(len(row) == 2 for row in rows[:blank])
    return about, rows[blank + 1 :]


def read_xlsx(content: bytes):
    from openpyxl import load_workbook

    return load_workbook(io.BytesIO(content))


def pdf_lines(content: bytes, tmp_path) -> list[str]:
    """The text of every page as printed, line by line (layout kept: a table row is a line)."""
    if shutil.which("pdftotext") is None:
        raise AssertionError(
            "pdftotext is missing: install Debian's poppler-utils "
            "(make test does: scripts/ensure-system-packages.sh pdf)."
        )
    path = tmp_path / "report.pdf"
    path.write_bytes(content)
    text = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True, text=True
    ).stdout
    return [line.replace("\xa0", " ").replace("\u202f", " ") for line in text.splitlines()]


# A figure as printed: digits with the locale's group separators, an optional decimal part,
# and "%" for a share; never a piece of a longer number.
SEPARATORS = {"da": (".", ","), "en": (",", ".")}


def printed_numbers(line: str, locale: str = "da") -> list[str]:
    group, decimal = (re.escape(c) for c in SEPARATORS[locale])
    number = re.compile(
        rf"(?<![\d.,])\d{{1,3}}(?:{group}\d{{3}})*(?:{decimal}\d+)?(?: ?%)?(?![\d.,]*\d)"
    )
    return [n.replace(" ", "") for n in number.findall(line)]


def printed(value, locale: str = "da") -> str:
    """A figure of the JSON as the PDF prints it (the page's formatting)."""
    if isinstance(value, float):
        text = format_percent(value, locale=locale, decimal_quantization=False)
        return text.replace("\xa0", "").replace("\u202f", "").replace(" ", "")
    return format_decimal(value, locale=locale)
