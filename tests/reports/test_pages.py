"""The report page /reports/ and its CSV, XLSX and PDF exports."""

import io
import re

import pytest
from sqlalchemy import func, select

from outreach import xlsxsafe
from outreach.audit.models import AuditEvent
from outreach.db import db
from outreach.reports import charts, exports, figures, services
from tests.reports.dataset import build
from tests.reports.reading import read_csv


@pytest.fixture
def data(factory, org, other_org, coordinator):
    return build(factory, org, other_org, coordinator)


def export_events(org) -> list[AuditEvent]:
    return list(
        db.session.scalars(
            select(AuditEvent).where(
                AuditEvent.organisation_id == org.id, AuditEvent.action == "report.export"
            )
        )
    )


def audit_count() -> int:
    return db.session.scalar(select(func.count()).select_from(AuditEvent))


def test_the_page_shows_the_key_figures_regions_and_paragraphs(data, coordinator_client):
    response = coordinator_client.get("/reports/?year=2019")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Region Nordjylland" in html and "Region Sjælland" in html
    assert 'id="paragraph-da"' in html and 'id="paragraph-en"' in html
    assert "In 2019 the mobile health service made 6 visits to 4 different clinics" in html
    assert 'data-copy="paragraph-da"' in html
    assert "js/reports/copy.js" in html


CHART_IMG = re.compile(
    r'<img class="report-chart" src="(/reports/charts/(\w+)\.svg\?year=2019)" '
    r'width="(\d+)" height="(\d+)" loading="lazy" decoding="async" alt="[^"]+">'
)


def test_the_page_names_each_chart_as_a_lazy_image_of_its_own_size(data, coordinator_client):
    html = coordinator_client.get("/reports/?year=2019").get_data(as_text=True)
    images = CHART_IMG.findall(html)
    assert sorted(name for _, name, _, _ in images) == [
        "first_time",
        "genders",
        "months",
        "nationalities",
    ]
    for url, _name, width, height in images:
        svg = coordinator_client.get(url).get_data(as_text=True)
        # The <img>'s size is the SVG's own (in pt): the space kept for it is what arrives.
        drawn = re.search(r'<svg[^>]* width="([\d.]+)pt" height="([\d.]+)pt"', svg)
        assert (int(width), int(height)) == (
            round(float(drawn.group(1)) * 4 / 3),
            round(float(drawn.group(2)) * 4 / 3),
        )


def test_the_page_draws_no_chart(data, coordinator_client, monkeypatch):
    """The report's text is answered without waiting for matplotlib."""

    def no_drawing(*args):
        raise AssertionError("a chart was drawn for the page")

    monkeypatch.setattr(charts, "_monthly_svg", no_drawing)
    monkeypatch.setattr(charts, "_bar_svg", no_drawing)
    response = coordinator_client.get("/reports/?year=2019")
    assert response.status_code == 200
    assert len(CHART_IMG.findall(response.get_data(as_text=True))) == 4


def test_a_chart_is_an_svg_the_browser_keeps_and_revalidates(data, coordinator_client):
    response = coordinator_client.get("/reports/charts/nationalities.svg?year=2019")
    assert response.status_code == 200
    assert response.mimetype == "image/svg+xml"
    assert response.get_data(as_text=True).lstrip().startswith("<?xml")
    assert response.headers["Cache-Control"] == "private, no-cache"
    etag = response.headers["ETag"]

    again = coordinator_client.get(
        "/reports/charts/nationalities.svg?year=2019", headers={"If-None-Match": etag}
    )
    assert again.status_code == 304
    assert again.get_data() == b""


def test_a_chart_changes_its_etag_with_the_figures_and_the_language(data, coordinator_client):
    url = "/reports/charts/months.svg?year=2019"
    coordinator_client.user.locale = "da"
    db.session.flush()
    danish = coordinator_client.get(url).headers["ETag"]
    assert coordinator_client.get(url).headers["ETag"] == danish
    coordinator_client.user.locale = "en"
    db.session.flush()
    english = coordinator_client.get(url).headers["ETag"]
    region = coordinator_client.get(url.replace("year=2019", "year=2019&region=nordjylland"))
    assert len({danish, english, region.headers["ETag"]}) == 3


def test_charts_are_for_coordinators_only_and_unknown_ones_are_not_found(
    data, nurse_client, coordinator_client
):
    assert nurse_client.get("/reports/charts/months.svg?year=2019").status_code == 403
    assert coordinator_client.get("/reports/charts/pie.svg?year=2019").status_code == 404
    bad_year = coordinator_client.get("/reports/charts/months.svg?year=abc")
    assert bad_year.status_code == 422
    monthly = coordinator_client.get("/reports/charts/months.svg?year=2019&month=3")
    assert monthly.status_code == 200  # unknown arguments are ignored, as on the page


def test_opening_a_chart_writes_no_audit_event_as_the_page_does(data, coordinator_client):
    before = audit_count()
    coordinator_client.get("/reports/?year=2019")
    coordinator_client.get("/reports/charts/genders.svg?year=2019")
    assert audit_count() == before


def test_the_pdf_draws_its_charts_inline(data, coordinator_client, monkeypatch):
    printed = []
    monkeypatch.setattr(exports, "to_pdf", lambda html: printed.append(html) or b"%PDF-")
    assert coordinator_client.get("/reports/export.pdf?year=2019").status_code == 200
    images = re.findall(r'<img class="report-chart" src="data:image/svg\+xml;base64,', printed[0])
    assert len(images) == 4
    assert 'loading="lazy"' not in printed[0]


def test_the_page_has_no_inline_scripts_or_styles(data, coordinator_client):
    html = coordinator_client.get("/reports/?year=2019").get_data(as_text=True)
    assert "style=" not in html and "<style" not in html
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)
    assert " on" + "click=" not in html


def test_the_page_names_countries_in_the_page_language(data, coordinator_client):
    coordinator_client.user.locale = "en"
    db.session.flush()
    html = coordinator_client.get("/reports/?year=2019").get_data(as_text=True)
    assert "Thailand" in html and "Romania" in html
    coordinator_client.user.locale = "da"
    db.session.flush()
    html = coordinator_client.get("/reports/?year=2019").get_data(as_text=True)
    assert "Rumænien" in html


def test_the_page_defaults_to_this_year(coordinator_client):
    response = coordinator_client.get("/reports/")
    assert response.status_code == 200
    year = figures.last_valid_year() - 1
    assert f'<option selected value="{year}">' in response.get_data(as_text=True)


def test_a_filter_left_out_takes_its_default(data, coordinator_client):
    response = coordinator_client.get("/reports/?region=nordjylland")
    assert response.status_code == 200
    year = figures.last_valid_year() - 1
    assert f'<option selected value="{year}">' in response.get_data(as_text=True)


def test_a_year_that_is_not_a_number_is_refused_on_the_page(coordinator_client):
    assert coordinator_client.get("/reports/?year=abc").status_code == 422


def test_the_page_shows_a_region_filter_of_the_organisation_only(data, coordinator_client):
    html = coordinator_client.get("/reports/?year=2019&region=nordjylland").get_data(as_text=True)
    assert 'value="syddanmark"' not in html
    assert "made 2 visits to 1 clinic in Nordjylland" in html


def test_the_page_refuses_a_region_of_another_organisation(data, coordinator_client):
    response = coordinator_client.get("/reports/?year=2019&region=syddanmark")
    assert response.status_code == 422
    assert 'class="error"' in response.get_data(as_text=True)


def test_nurses_get_403_on_the_page_and_the_exports(data, nurse_client):
    for url in (
        "/reports/?year=2019",
        "/reports/export/regions.csv?year=2019",
        "/reports/export.xlsx?year=2019",
        "/reports/export.pdf?year=2019",
    ):
        assert nurse_client.get(url).status_code == 403, url


def test_the_nav_links_to_reports_for_coordinators_only(coordinator_client, nurse_client):
    assert 'href="/reports/"' in coordinator_client.get("/clinics/").get_data(as_text=True)
    assert 'href="/reports/"' not in nurse_client.get("/clinics/").get_data(as_text=True)


def test_a_missing_snapshot_is_said_plainly(data, coordinator_client):
    response = coordinator_client.get("/reports/?year=2019&source=snapshot")
    assert response.status_code == 200
    assert 'id="paragraph-da"' not in response.get_data(as_text=True)


def test_the_page_reads_a_stored_snapshot(data, coordinator_client):
    services.snapshot_period(data.org, figures.Period(2019))
    response = coordinator_client.get("/reports/?year=2019&source=snapshot")
    assert "6 visits to 4 different clinics" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    "name", ["figures", "regions", "months", "nationalities", "genders", "supplies", "concern"]
)
def test_every_table_exports_as_csv_with_one_audit_event(data, coordinator_client, name):
    before = audit_count()
    response = coordinator_client.get(f"/reports/export/{name}.csv?year=2019")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    _about, rows = read_csv(response.get_data(), ",")  # English: commas
    assert len(rows) >= 2
    assert audit_count() == before + 1
    (event,) = export_events(data.org)
    assert event.details["format"] == "csv" and event.details["table"] == name
    assert event.details["rows"] == len(rows) - 1


def test_the_regions_csv_has_the_report_figures(data, coordinator_client):
    coordinator_client.user.locale = "en"
    db.session.flush()
    response = coordinator_client.get("/reports/export/regions.csv?year=2019")
    _about, rows = read_csv(response.get_data(), ",")
    by_name = {row[0]: dict(zip(rows[0], row, strict=True)) for row in rows[1:]}
    assert by_name["Region Nordjylland"]["First-time contacts"] == "3"
    assert by_name["Region Midtjylland"]["Persons talked to"] == "4"
    assert by_name["Whole organisation"]["Visits"] == "6"
    assert by_name["Region Sjælland"]["Admission rate"] == ""


def test_an_unknown_csv_table_is_404_and_not_audited(data, coordinator_client):
    assert coordinator_client.get("/reports/export/persons.csv?year=2019").status_code == 404
    assert export_events(data.org) == []


def test_the_xlsx_export_has_a_sheet_per_table_and_one_audit_event(data, coordinator_client):
    from openpyxl import load_workbook

    coordinator_client.user.locale = "en"
    db.session.flush()
    before = audit_count()
    response = coordinator_client.get("/reports/export.xlsx?year=2019&region=nordjylland")
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(response.get_data()))
    assert len(workbook.sheetnames) == 9  # what it is, then a sheet per table
    figures = {row[0]: row[1] for row in workbook["Key figures"].iter_rows(values_only=True)}
    assert figures["Visits"] == 2 and figures["First-time contacts"] == 3
    assert figures["Admission rate"] == 1.0
    assert audit_count() == before + 1
    (event,) = export_events(data.org)
    assert (event.details["format"], event.details["region"]) == ("xlsx", "nordjylland")


def test_the_pdf_export_is_a_pdf_with_one_audit_event(data, coordinator_client):
    before = audit_count()
    response = coordinator_client.get("/reports/export.pdf?year=2019")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.get_data().startswith(b"%PDF")
    assert audit_count() == before + 1
    assert export_events(data.org)[0].details["format"] == "pdf"


def test_without_pango_the_pdf_export_explains_what_to_install(
    data, coordinator_client, monkeypatch
):
    def missing():
        raise exports.PdfUnavailable("cannot load library 'libpango-1.0-0'")

    monkeypatch.setattr(exports, "_weasyprint", missing)
    response = coordinator_client.get("/reports/export.pdf?year=2019")
    assert response.status_code == 503
    assert "libpango-1.0-0 libpangoft2-1.0-0" in response.get_data(as_text=True)
    assert export_events(data.org) == []


def test_the_exports_refuse_invalid_filters(data, coordinator_client):
    assert coordinator_client.get("/reports/export.xlsx?year=1999").status_code == 422
    assert export_events(data.org) == []


def test_csv_cells_that_look_like_formulas_are_defused():
    table = exports.Table("t", "T", ["Item", "N"], [["=HYPERLINK(1)", 1], ["-1", 2]])
    text = exports.to_csv(table, [("Region", "=A1")]).decode("utf-8-sig")
    assert "'=A1" in text
    assert "'=HYPERLINK(1)" in text and "'-1" in text


def test_the_supplies_table_names_items_with_the_organisations_labels(data, coordinator_client):
    data.org.settings = {
        **(data.org.settings or {}),
        "supplies": ["condoms"],
        "supply_labels": {"condoms": "Kondomer"},
    }
    db.session.flush()
    response = coordinator_client.get("/reports/export/supplies.csv?year=2019")
    _about, rows = read_csv(response.get_data(), ",")
    items = [row[0] for row in rows[1:]]
    assert "Kondomer" in items and "condoms" not in items


def test_the_page_offers_both_csv_separators_the_users_default_first(data, coordinator_client):
    html = coordinator_client.get("/reports/?year=2019").get_data(as_text=True)
    comma = html.index("regions.csv?separator=comma")
    assert comma < html.index("regions.csv?separator=semicolon")  # English: commas first
    coordinator_client.user.locale = "da"
    db.session.flush()
    html = coordinator_client.get("/reports/?year=2019").get_data(as_text=True)
    assert html.index("regions.csv?separator=semicolon") < html.index("regions.csv?separator=comma")
    assert "CSV til dansk Excel" in html


def test_a_danish_users_csv_has_semicolons_and_decimal_commas(data, coordinator_client):
    coordinator_client.user.locale = "da"
    db.session.flush()
    response = coordinator_client.get("/reports/export/figures.csv?year=2019")
    about, rows = read_csv(response.get_data(), ";")
    assert about["År"] == "2019"
    assert {row[0]: row[1] for row in rows[1:]}["Andel besøg med adgang"] == "0,6667"
    (event,) = export_events(data.org)
    assert (event.details["separator"], event.details["via"]) == ("semicolon", "page")
    response = coordinator_client.get("/reports/export/figures.csv?year=2019&separator=comma")
    _about, rows = read_csv(response.get_data(), ",")
    assert {row[0]: row[1] for row in rows[1:]}["Andel besøg med adgang"] == "0.6667"


def test_an_unknown_csv_separator_is_refused_naming_the_field(data, coordinator_client):
    response = coordinator_client.get("/reports/export/figures.csv?year=2019&separator=tab")
    assert response.status_code == 422
    assert "CSV separator" in response.get_data(as_text=True)
    assert export_events(data.org) == []


def test_a_sheet_name_too_long_for_excel_loses_whole_words():
    taken: set[str] = set()
    name = xlsxsafe.sheet_title("Personer talt med fordelt på nationalitet", taken)
    assert name == "Personer talt med fordelt på"
    assert xlsxsafe.sheet_title("Personer talt med fordelt på køn", taken) == (
        "Personer talt med fordelt på 2"
    )
