"""The report page and its exports (coordinators and admins)."""

import logging

from babel.numbers import format_decimal, format_percent
from flask import Blueprint, Response, render_template, request
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from outreach.audit.services import record
from outreach.db import utcnow, write_transaction
from outreach.permissions import role_required
from outreach.reports import charts, exports, figures, queries, wording
from outreach.reports.forms import ReportFilterForm

log = logging.getLogger(__name__)
bp = Blueprint("reports", __name__, url_prefix="/reports")


class Filters:
    """The page's validated filters, or the form with its errors."""

    def __init__(self, organisation):
        self.form = ReportFilterForm(
            request.args or None,
            figures.organisation_regions(organisation),
            queries.first_data_year(organisation.id),
        )
        self.valid = not request.args or self.form.validate()
        self.period = figures.Period(self.form.year.data) if self.valid else None
        self.region = (self.form.region.data or None) if self.valid else None
        self.source = self.form.source.data if self.valid else "live"

    def args(self) -> dict:
        """The query string that reproduces these filters (for the export links)."""
        args = {"year": self.period.year}
        if self.region:
            args["region"] = self.region
        if self.source != "live":
            args["source"] = self.source
        return args


def _load(organisation, filters: Filters) -> queries.ReportData | None:
    if filters.source == "snapshot":
        return queries.read_snapshot(organisation, filters.period, filters.region)
    return queries.report_data(organisation, filters.period, filters.region)


def _cell(value) -> str:
    """A table cell as the page and the PDF show it."""
    locale = str(get_locale() or "da")
    if value is None:
        return "–"
    if isinstance(value, exports.Rate):
        return format_percent(value, locale=locale, decimal_quantization=False)
    if isinstance(value, int):
        return format_decimal(value, locale=locale)
    return str(value)


def _context(organisation, filters: Filters, data: queries.ReportData) -> dict:
    report = data.report
    tables = {table.name: table for table in exports.tables(data)}
    series = {key: str(exports.FIGURE_LABELS[key]) for key in figures.MONTH_FIGURES}
    first_time = [
        (exports.region_name(row["region"]).removeprefix("Region "), row["first_time_persons"])
        for row in report["by_region"]
    ]
    chart_svgs = {
        "nationalities": charts.bar_chart(
            [(row[0], row[1]) for row in tables["nationalities"].rows], other=_("Other")
        ),
        "genders": charts.bar_chart([(row[0], row[1]) for row in tables["genders"].rows]),
        "first_time": charts.bar_chart(first_time),
    }
    if data.period.kind == "year":
        chart_svgs["months"] = charts.monthly_chart(report["by_month"], series)
    return {
        "organisation": organisation,
        "filters": filters,
        "data": data,
        "report": report,
        "tables": tables,
        "charts": {name: charts.data_url(svg) for name, svg in chart_svgs.items()},
        "paragraphs": {
            "da": wording.paragraph(report, "da"),
            "en": wording.paragraph(report, "en"),
        },
        "cell": _cell,
        "region_name": exports.region_name,
    }


@bp.route("/")
@role_required("coordinator")
def index():
    organisation = current_user.organisation
    filters = Filters(organisation)
    if not filters.valid:
        return render_template("reports/index.html", filters=filters, data=None), 422
    data = _load(organisation, filters)
    if data is None:
        return render_template("reports/index.html", filters=filters, data=None)
    return render_template(
        "reports/index.html", interactive=True, **_context(organisation, filters, data)
    )


def _export_data():
    """(organisation, filters, data), or the page answering why not."""
    organisation = current_user.organisation
    filters = Filters(organisation)
    if not filters.valid:
        return None, render_template("reports/index.html", filters=filters, data=None), 422
    data = _load(organisation, filters)
    if data is None:
        return None, render_template("reports/index.html", filters=filters, data=None), 404
    return (organisation, filters, data), None, None


def _file_name(filters: Filters, what: str, extension: str) -> str:
    parts = ["outreach-report", str(filters.period.year)]
    if filters.region:
        parts.append(filters.region)
    if filters.source == "snapshot":
        parts.append("snapshot")
    return "-".join([*parts, what]) + "." + extension


def _audited(content: bytes, mimetype: str, file_name: str, filters: Filters, **counts):
    """Answer an export after writing its one audit event (SECURITY.md 20): what was exported,
    never a figure about a person."""
    with write_transaction():
        record(
            "report.export",
            user=current_user._get_current_object(),
            object_type="report",
            object_id=str(filters.period.year),
            year=filters.period.year,
            region=filters.region,
            source=filters.source,
            **counts,
        )
    return Response(
        content,
        mimetype=mimetype,
        headers={"Content-Disposition": f'attachment; filename="{file_name}"'},
    )


@bp.route("/export/<name>.csv")
@role_required("coordinator")
def export_csv(name: str):
    loaded, page, status = _export_data()
    if loaded is None:
        return page, status
    _organisation, filters, data = loaded
    table = next((t for t in exports.tables(data) if t.name == name), None)
    if table is None:
        return render_template("error.html", code=404, error=None), 404
    return _audited(
        exports.to_csv(table),
        "text/csv",
        _file_name(filters, name, "csv"),
        filters,
        format="csv",
        table=name,
        rows=len(table.rows),
    )


@bp.route("/export.xlsx")
@role_required("coordinator")
def export_xlsx():
    loaded, page, status = _export_data()
    if loaded is None:
        return page, status
    _organisation, filters, data = loaded
    report_tables = exports.tables(data)
    title = _("Report %(year)s", year=filters.period.year)
    return _audited(
        exports.to_xlsx(report_tables, title),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        _file_name(filters, "tables", "xlsx"),
        filters,
        format="xlsx",
        tables=len(report_tables),
        rows=sum(len(t.rows) for t in report_tables),
    )


@bp.route("/export.pdf")
@role_required("coordinator")
def export_pdf():
    loaded, page, status = _export_data()
    if loaded is None:
        return page, status
    organisation, filters, data = loaded
    html = render_template(
        "reports/pdf.html", interactive=False, now=utcnow(), **_context(organisation, filters, data)
    )
    try:
        pdf = exports.to_pdf(html)
    except exports.PdfUnavailable as exc:
        log.warning("PDF export unavailable: %s", exc)
        return render_template(
            "reports/pdf_unavailable.html", packages=exports.PDF_SYSTEM_PACKAGES
        ), 503
    return _audited(
        pdf,
        "application/pdf",
        _file_name(filters, "report", "pdf"),
        filters,
        format="pdf",
        tables=len(exports.tables(data)),
    )
