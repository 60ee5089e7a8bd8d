"""The one way to write an XLSX workbook that people open in a spreadsheet: every export uses
it (the report's tables, the lead list), as every CSV goes through outreach/csvsafe.py.

A first sheet says what the file is (the `about` lines: what, whose, when exported), then a
sheet per table with its header in row 1, frozen. A text cell is stored as text, never as a
formula, whatever it starts with (= + - @): a cell that came from a person's typing cannot run
in the spreadsheet. openpyxl is loaded on first use (architecture.md: deferred imports)."""

import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass

MIME_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SHEET_NAME_MAX = 31  # Excel's limit


@dataclass
class Sheet:
    title: str  # the sheet's name: whole words within Excel's 31 characters
    headers: list[str]
    rows: list[list]  # cells: int, float, str or None (no value)


def sheet_title(title: str, taken: set[str]) -> str:
    """The sheet name: the given short name; one that is too long (a new translation, say)
    loses whole words from its end, never half a word."""
    clean = " ".join("".join(" " if c in "[]:*?/\\" else c for c in title).split())
    while len(clean) > SHEET_NAME_MAX and " " in clean:
        clean = clean.rsplit(" ", 1)[0]
    clean = clean[:SHEET_NAME_MAX]
    candidate, n = clean, 2
    while candidate.lower() in taken:
        suffix = f" {n}"
        candidate = clean[: SHEET_NAME_MAX - len(suffix)].rstrip() + suffix
        n += 1
    taken.add(candidate.lower())
    return candidate


def to_xlsx(
    sheets: Sequence[Sheet],
    title: str,
    about: list[tuple[str, str]],
    about_sheet: str,
    number_format: Callable[[object], str | None] | None = None,
) -> bytes:
    """The workbook as bytes. `number_format(value)`: the Excel number format of a cell's
    value, or None for the default (the report shows its rates as percentages)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook()
    workbook.remove(workbook.active)
    workbook.properties.title = title
    workbook.properties.creator = "Outreach"
    taken: set[str] = set()
    cover = workbook.create_sheet(sheet_title(about_sheet, taken))
    for label_text, value in about:
        cover.append([label_text, value])
        for cell in cover[cover.max_row]:
            cell.data_type = "s"
        cover.cell(cover.max_row, 1).font = Font(bold=True)
    cover.column_dimensions["A"].width = max([len(a) for a, _v in about] + [10]) + 2
    cover.column_dimensions["B"].width = min(max([len(v) for _a, v in about] + [10]) + 2, 80)
    for table in sheets:
        sheet = workbook.create_sheet(sheet_title(table.title, taken))
        sheet.append(table.headers)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in table.rows:
            sheet.append([None if v is None else v for v in row])
            for cell, value in zip(sheet[sheet.max_row], row, strict=True):
                if isinstance(value, str):
                    cell.data_type = "s"  # never a formula, whatever the text starts with
                elif number_format is not None and (found := number_format(value)):
                    cell.number_format = found
        sheet.freeze_panes = "A2"
        for index, header in enumerate(table.headers, 1):
            width = max([len(str(header))] + [len(str(r[index - 1] or "")) for r in table.rows])
            sheet.column_dimensions[get_column_letter(index)].width = min(max(width + 2, 10), 50)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
