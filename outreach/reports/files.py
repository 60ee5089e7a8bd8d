"""The report as files (one table as CSV, the XLSX workbook, the PDF), built one way for the
back office (/reports/export…) and the API (/api/v1/reports/annual.*), and answered with one
audit event each; and the cells and context the page and the PDF are rendered from."""

from dataclasses import dataclass
from datetime import datetime

from babel.numbers import format_decimal, format_percent
from flask import Response, render_template
from flask_babel import get_locale
from flask_babel import gettext as _

from outreach import xlsxsafe
from outreach.audit.services import record
from outreach.db import utcnow, write_transaction
from outreach.orgs.models import Organisation
from outreach.reports import charts, exports, figures, wording
from outreach.reports.queries import ReportData

XLSX_TYPE = xlsxsafe.MIME_TYPE


@dataclass
class ReportFile:
    content: bytes
    mimetype: str
    file_name: str
    details: dict  # for the audit event: what was exported, counts only


def _language() -> str:
    locale = get_locale()
    return locale.language if locale else "da"


def cell(value) -> str:
    """A table cell as the page and the PDF show it."""
    if value is None:
        return "–"
    if isinstance(value, exports.Rate):
        return format_percent(value, locale=_language(), decimal_quantization=False)
    if isinstance(value, int):
        return format_decimal(value, locale=_language())
    return str(value)


def local_time(at: datetime) -> str:
    """A time inside a file: Copenhagen local time, saying so."""
    text = at.astimezone(figures.LOCAL_TZ).strftime("%Y-%m-%d %H:%M")
    return _("%(time)s Danish time (Europe/Copenhagen)", time=text)


def _title(data: ReportData) -> str:
    if data.period.month:
        return _("Report for %(month)s/%(year)s", month=data.period.month, year=data.period.year)
    return _("Annual report %(year)s", year=data.period.year)


def about(organisation: Organisation, data: ReportData, exported_at: datetime) -> list:
    """What a file is, written inside it: report, year, region, figures, time of export."""
    if data.computed_at is None:
        source = _("Computed at export")
    else:
        source = _("Stored snapshot, computed %(at)s", at=local_time(data.computed_at))
    return [
        (_("Report"), _title(data)),
        (_("Organisation"), organisation.name),
        (_("Year"), str(data.period.year)),
        (_("Region"), exports.region_name(data.region) if data.region else _("All regions")),
        (_("Figures"), source),
        (_("Exported"), local_time(exported_at)),
    ]


def report_charts(
    data: ReportData, tables: dict | None = None
) -> dict[str, charts.MonthlyChart | charts.BarChart]:
    """The report's charts by name, described, not drawn (charts.py); a chart with nothing to
    show is left out. `tables`: exports.tables(data) by name, when already at hand."""
    report = data.report
    if tables is None:
        tables = {table.name: table for table in exports.tables(data)}
    first_time = [
        (exports.region_name(row["region"]).removeprefix("Region "), row["first_time_persons"])
        for row in report["by_region"]
    ]
    found = {
        "nationalities": charts.bar_chart(
            [(row[0], row[1]) for row in tables["nationalities"].rows], other=_("Other")
        ),
        "genders": charts.bar_chart([(row[0], row[1]) for row in tables["genders"].rows]),
        "first_time": charts.bar_chart(first_time),
    }
    if data.period.kind == "year":
        series = {key: str(exports.FIGURE_LABELS[key]) for key in figures.MONTH_FIGURES}
        found["months"] = charts.monthly_chart(report["by_month"], series)
    return {name: chart for name, chart in found.items() if chart is not None}


@dataclass
class ChartImage:
    """An <img> of reports/_report.html: its source and its size in CSS pixels."""

    src: str
    width: int
    height: int


def context(organisation: Organisation, data: ReportData, chart_src=None) -> dict:
    """What reports/_report.html shows, on the page and in the PDF. `chart_src(name)` is the
    URL of each chart's image (the page); without it the charts are drawn into data: URLs
    (the PDF)."""
    report = data.report
    tables = {table.name: table for table in exports.tables(data)}
    images = {}
    for name, chart in report_charts(data, tables).items():
        src = chart_src(name) if chart_src else charts.data_url(chart.svg())
        images[name] = ChartImage(src, chart.width, chart.height)
    return {
        "organisation": organisation,
        "data": data,
        "report": report,
        "tables": tables,
        "charts": images,
        "paragraphs": {
            "da": wording.paragraph(report, "da"),
            "en": wording.paragraph(report, "en"),
        },
        "cell": cell,
        "region_name": exports.region_name,
    }


def _file_name(data: ReportData, source: str, what: str, extension: str) -> str:
    parts = ["outreach-report", str(data.period.year)]
    if data.region:
        parts.append(data.region)
    if source == "snapshot":
        parts.append("snapshot")
    return "-".join([*parts, what]) + "." + extension


def csv_file(
    organisation: Organisation, data: ReportData, source: str, name: str, separator: str
) -> ReportFile | None:
    """One table as CSV; None when there is no table of that name."""
    table = next((t for t in exports.tables(data) if t.name == name), None)
    if table is None:
        return None
    return ReportFile(
        exports.to_csv(table, about(organisation, data, utcnow()), separator),
        "text/csv",
        _file_name(data, source, name, "csv"),
        {"format": "csv", "table": name, "separator": separator, "rows": len(table.rows)},
    )


def xlsx_file(organisation: Organisation, data: ReportData, source: str) -> ReportFile:
    report_tables = exports.tables(data)
    return ReportFile(
        exports.to_xlsx(
            report_tables, _title(data), about(organisation, data, utcnow()), _("Report")
        ),
        XLSX_TYPE,
        _file_name(data, source, "tables", "xlsx"),
        {
            "format": "xlsx",
            "tables": len(report_tables),
            "rows": sum(len(t.rows) for t in report_tables),
        },
    )


def pdf_file(organisation: Organisation, data: ReportData, source: str) -> ReportFile:
    """The whole report with its charts; raises exports.PdfUnavailable without Pango."""
    html = render_template(
        "reports/pdf.html",
        interactive=False,
        exported=local_time(utcnow()),
        **context(organisation, data),
    )
    return ReportFile(
        exports.to_pdf(html),
        "application/pdf",
        _file_name(data, source, "report", "pdf"),
        {"format": "pdf", "tables": len(exports.tables(data))},
    )


def answer(report_file: ReportFile, user, data: ReportData, source: str, via: str) -> Response:
    """The file as a download, after writing its one audit event (SECURITY.md 20): what was
    exported and through which door (`page` or `api`), never a figure about a person."""
    with write_transaction():
        record(
            "report.export",
            user=user,
            object_type="report",
            object_id=str(data.period.year),
            year=data.period.year,
            region=data.region,
            source=source,
            via=via,
            **report_file.details,
        )
    return Response(
        report_file.content,
        mimetype=report_file.mimetype,
        headers={"Content-Disposition": f'attachment; filename="{report_file.file_name}"'},
    )
