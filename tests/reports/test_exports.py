"""The annual report as files for scripts, GET /api/v1/reports/annual.pdf, .xlsx and .csv with
a Bearer token, on the demo's year (figures of three digits, as in the real annual report):
the PDF prints every figure of the JSON whole, inside the A4 page; the CSV and XLSX read back.

The demo is loaded once for this module into a transaction rolled back at its end."""

from collections import Counter
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from outreach import demo
from outreach.audit.models import AuditEvent
from outreach.auth.models import User
from outreach.auth.services import create_token
from outreach.db import db
from outreach.reports.figures import admission_rate
from tests.conftest import rolled_back
from tests.reports.reading import pdf_lines, printed, printed_numbers, read_csv, read_xlsx

TODAY = datetime(2026, 6, 15, 9, 0, tzinfo=UTC)
YEAR = 2025  # the demo's busiest full year: 421 visits, 189 first-time contacts
COORDINATOR = "coordinator@demo.outreach.dk"
HEADINGS = {"da": "Til årsrapporten", "en": "For the annual report"}


@pytest.fixture(scope="module")
def loaded(_app):
    with rolled_back(_app):
        demo.load(today=TODAY)
        db.session.commit()
        yield


@pytest.fixture
def script(loaded, app):
    """A client that sends the demo coordinator's personal API token, in her language."""
    user = db.session.scalar(select(User).where(User.email == COORDINATOR))

    class Script:
        def __init__(self):
            self.user = user
            _row, token = create_token(user, "report script")
            db.session.commit()
            self.client = app.test_client()
            self.headers = {"Authorization": f"Bearer {token}"}

        def language(self, locale: str) -> "Script":
            self.user.locale = locale
            db.session.commit()
            return self

        def get(self, url: str):
            return self.client.get(url, headers=self.headers)

    return Script()


def export_events() -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == "report.export")))


def region_row(figures: dict, locale: str) -> list[str]:
    """A row of the table by region as printed: the figures, the rate after admitted visits."""
    rate = admission_rate(figures["admitted_visits"], figures["visits"])
    values = [figures["visits"], figures["clinics_visited"], figures["admitted_visits"], rate]
    values += [figures["conversations"], figures["persons_talked_to"]]
    values += [figures["first_time_persons"]]
    return [printed(v, locale) for v in values]


KEY_FIGURES = ["visits", "clinics_visited", "admitted_visits", "admission_rate"]
KEY_FIGURES += ["conversations", "persons_talked_to", "first_time_persons"]


@pytest.mark.parametrize("locale", ["da", "en"])
@pytest.mark.parametrize("region", [None, "nordjylland"])
def test_the_pdf_prints_every_figure_of_the_json_whole(script, tmp_path, locale, region):
    script.language(locale)
    query = f"year={YEAR}" + (f"&region={region}" if region else "")
    report = script.get(f"/api/v1/reports/annual?{query}").json
    assert report["visits"] >= 100 and report["by_region"][0]["visits"] >= 100

    response = script.get(f"/api/v1/reports/annual.pdf?{query}")
    assert response.status_code == 200
    lines = pdf_lines(response.get_data(), tmp_path)
    number_lines = [printed_numbers(line, locale) for line in lines]

    # The key-figure boxes, between the title and the paragraphs: each figure whole, and the
    # visits after which the police were informed.
    top = next(i for i, line in enumerate(lines) if line.strip().endswith(str(YEAR)))
    end = next(i for i, line in enumerate(lines) if HEADINGS[locale] in line)
    boxes = [n for numbers in number_lines[top + 1 : end] for n in numbers]
    expected = [printed(report[key], locale) for key in KEY_FIGURES]
    assert not Counter(expected) - Counter(boxes), (expected, boxes)
    assert len(boxes) == len(expected) + 1, boxes

    # The table by region: each region's row on one line, every figure whole in its column.
    rows = [region_row(row, locale) for row in report["by_region"]]
    if region is None:
        rows.append(region_row(report, locale))  # the whole organisation
    for row in rows:
        assert row in number_lines, (row, number_lines)

    # The months: visits, admitted visits, conversations.
    for month in report["by_month"]:
        values = [month["visits"], month["admitted_visits"], month["conversations"]]
        assert [printed(v, locale) for v in values] in number_lines, month


@pytest.mark.parametrize(
    ("extension", "mimetype"),
    [
        ("pdf", "application/pdf"),
        ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        ("csv", "text/csv"),
    ],
)
def test_a_token_gets_each_file_with_one_audit_event(script, extension, mimetype):
    before = len(export_events())
    response = script.get(f"/api/v1/reports/annual.{extension}?year={YEAR}&region=sjaelland")
    assert response.status_code == 200
    assert response.mimetype == mimetype
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert f"outreach-report-{YEAR}-sjaelland-" in disposition and disposition.endswith(
        f'.{extension}"'
    )
    events = export_events()
    assert len(events) == before + 1
    event = events[-1]
    assert event.user_id == script.user.id
    assert (event.details["via"], event.details["format"]) == ("api", extension)
    assert (event.details["year"], event.details["region"]) == (YEAR, "sjaelland")
    # Counts and choices only: no figure about a person, no name.
    allowed = {"via", "format", "year", "region", "source", "table", "separator"}
    allowed |= {"rows", "tables"}
    assert set(event.details) <= allowed


def test_csv_for_a_danish_user_opens_in_danish_excel(script):
    script.language("da")
    response = script.get(f"/api/v1/reports/annual.csv?year={YEAR}")
    about, rows = read_csv(response.get_data(), ";")
    assert about["År"] == str(YEAR) and about["Region"] == "Alle regioner"
    assert about["Eksporteret"].endswith("dansk tid (Europe/Copenhagen)")
    header, *regions = rows
    assert header[0] == "Region" and "Førstegangskontakter" in header
    whole = {row[0]: row for row in regions}["Hele organisationen"]
    report = script.get(f"/api/v1/reports/annual?year={YEAR}").json
    assert whole[1] == str(report["visits"])
    rate = header.index("Andel besøg med adgang")
    assert whole[rate] == str(report["admission_rate"]).replace(".", ",")  # decimal comma


def test_csv_with_commas_on_request_and_for_an_english_user(script):
    script.language("da")
    url = f"/api/v1/reports/annual.csv?year={YEAR}&region=midtjylland&table=months"
    response = script.get(url + "&separator=comma")
    about, rows = read_csv(response.get_data(), ",")
    assert about["Region"] == "Region Midtjylland" and len(rows) == 13
    script.language("en")
    response = script.get(f"/api/v1/reports/annual.csv?year={YEAR}")
    about, rows = read_csv(response.get_data(), ",")
    assert about["Year"] == str(YEAR) and about["Exported"].endswith("(Europe/Copenhagen)")
    rate = rows[0].index("Admission rate")
    assert "." in rows[-1][rate] and "," not in rows[-1][rate]


@pytest.mark.parametrize("locale", ["da", "en"])
def test_the_workbook_says_what_it_is_and_names_sheets_in_whole_words(script, locale):
    script.language(locale)
    response = script.get(f"/api/v1/reports/annual.xlsx?year={YEAR}&region=nordjylland")
    workbook = read_xlsx(response.get_data())
    about = {row[0]: row[1] for row in workbook.worksheets[0].iter_rows(values_only=True)}
    labels = {"da": ("År", "Eksporteret"), "en": ("Year", "Exported")}[locale]
    assert about[labels[0]] == str(YEAR) and "Nordjylland" in about["Region"]
    assert about[labels[1]].endswith("(Europe/Copenhagen)")
    names = workbook.sheetnames
    expected = {
        "da": ["Rapport", "Nøgletal", "Pr. region", "Pr. måned", "Nationalitet", "Køn"],
        "en": ["Report", "Key figures", "By region", "By month", "Nationality", "Gender"],
    }[locale]
    assert names[:6] == expected and len(names) == 9  # ... and the screening section
    assert all(len(name) <= 31 for name in names)
    regions = workbook[names[2]]
    header = [c.value for c in regions[1]]
    assert header[0] == "Region" and len(header) == 8


def test_the_pdf_says_year_region_and_time_of_export(script, tmp_path):
    script.language("da")
    response = script.get(f"/api/v1/reports/annual.pdf?year={YEAR}&region=nordjylland")
    text = "\n".join(pdf_lines(response.get_data(), tmp_path))
    assert f"Årsrapport {YEAR}" in text and "Region Nordjylland" in text
    assert "Udskrevet" in text and "dansk tid (Europe/Copenhagen)" in text


SUPPLY_NAMES = {
    "da": ["Kondomer", "Glidecreme", "Folder (thai)"],
    "en": ["Condoms", "Lubricant", "Leaflet (Thai)"],
}


@pytest.mark.parametrize("locale", ["da", "en"])
def test_the_files_name_supplies_in_the_readers_language(script, tmp_path, locale):
    script.language(locale)
    other = SUPPLY_NAMES["en" if locale == "da" else "da"]

    separator = ";" if locale == "da" else ","
    response = script.get(f"/api/v1/reports/annual.csv?year={YEAR}&table=supplies")
    _about, rows = read_csv(response.get_data(), separator)
    items = [row[0] for row in rows[1:]]
    assert set(SUPPLY_NAMES[locale]) <= set(items) and not set(other) & set(items)

    workbook = read_xlsx(script.get(f"/api/v1/reports/annual.xlsx?year={YEAR}").get_data())
    cells = {
        c for sheet in workbook.worksheets for row in sheet.iter_rows(values_only=True) for c in row
    }
    assert set(SUPPLY_NAMES[locale]) <= cells and not set(other) & cells

    text = "\n".join(
        pdf_lines(script.get(f"/api/v1/reports/annual.pdf?year={YEAR}").get_data(), tmp_path)
    )
    assert all(name in text for name in SUPPLY_NAMES[locale])
    assert not any(name in text for name in other)
