"""/api/v1/reports: the annual report of DESIGN.md §4, the same figures for a month, and the
annual report as files (PDF, XLSX, CSV) for scripts."""

import logging

from flask.views import MethodView
from flask_smorest import abort

from outreach import csvsafe
from outreach.apiutil import Blueprint, caller
from outreach.db import utcnow
from outreach.permissions import role_required
from outreach.reports import exports, figures, files, queries
from outreach.reports.schemas import (
    AnnualCsvQuerySchema,
    AnnualQuerySchema,
    AnnualReportSchema,
    MonthlyQuerySchema,
    MonthlyReportSchema,
)

log = logging.getLogger(__name__)

blp = Blueprint(
    "reports_api",
    __name__,
    url_prefix="/api/v1/reports",
    description="Report figures of the caller's organisation (coordinators and admins).",
)

SOURCE_HEADERS = {
    "X-Report-Source": {
        "description": "live, or snapshot when read from a stored snapshot (also with "
        "source=live for a period whose person-level data the retention purge deleted).",
        "schema": {"type": "string"},
    },
    "X-Report-Computed-At": {
        "description": "When the figures were computed (ISO 8601, UTC).",
        "schema": {"type": "string"},
    },
}


def _answer(organisation, period, args):
    region = figures.check_region(organisation, args["region"])
    source = args["source"]
    # A period the retention purge deleted person-level data of is read from its sealed
    # snapshot, also when live figures are asked for: computed now they would shrink.
    data = queries.read_snapshot(organisation, period, region, sealed=source == "live")
    if data is not None:
        report, computed_at, source = data.report, data.computed_at, "snapshot"
    elif source == "snapshot":
        abort(404, message="No snapshot is stored for this period and region.")
    else:
        cube = figures.compute_cube(organisation.id, period)
        report = figures.build_report(cube, figures.organisation_regions(organisation), region)
        report = queries.with_screening(report, organisation.id, period)
        computed_at = utcnow()
    headers = {
        "X-Report-Source": source,
        "X-Report-Computed-At": computed_at.isoformat(timespec="seconds"),
    }
    return report, 200, headers


class _ReportView(MethodView):
    # Before the query string is read: a nurse gets 403 whatever she asks.
    decorators = [role_required("coordinator")]


def _document(func):
    func = blp.alt_response(403, description="Nurses may not read reports.")(func)
    func = blp.alt_response(404, description="source=snapshot and no snapshot is stored.")(func)
    return blp.alt_response(
        422, description="Invalid year or month, or a region that is not your organisation's."
    )(func)


@blp.route("/annual")
class AnnualReport(_ReportView):
    @blp.arguments(AnnualQuerySchema, location="query")
    @blp.response(200, AnnualReportSchema, headers=SOURCE_HEADERS)
    @_document
    def get(self, args):
        """The annual report: a year's figures, by region and by month (DESIGN.md §3, §4)."""
        user = caller()
        return _answer(user.organisation, figures.Period(args["year"]), args)


@blp.route("/monthly")
class MonthlyReport(_ReportView):
    @blp.arguments(MonthlyQuerySchema, location="query")
    @blp.response(200, MonthlyReportSchema, headers=SOURCE_HEADERS)
    @_document
    def get(self, args):
        """The same figures for one calendar month, by region."""
        user = caller()
        return _answer(user.organisation, figures.Period(args["year"], args["month"]), args)


# The annual report as files: the same files as the page's downloads (reports/files.py) ------

FILE_HEADERS = {
    "Content-Disposition": {
        "description": 'attachment; filename="outreach-report-YEAR[-REGION][-snapshot]-….EXT"',
        "schema": {"type": "string"},
    }
}
BINARY = {"type": "string", "format": "binary"}


def _report_data(args):
    """(organisation, data) of the query, or the JSON 422/404 envelope."""
    organisation = caller().organisation
    region = figures.check_region(organisation, args["region"])
    data = queries.load(organisation, figures.Period(args["year"]), region, args["source"])
    if data is None:
        abort(404, message="No snapshot is stored for this period and region.")
    return organisation, data


def _send(report_file: files.ReportFile, data, args):
    return files.answer(report_file, caller(), data, args["source"], via="api")


def _document_file(func):
    func = _document(func)
    return blp.alt_response(
        503, description="PDF only: the server lacks Pango, which WeasyPrint needs."
    )(func)


@blp.route("/annual.pdf")
class AnnualReportPdf(_ReportView):
    @blp.arguments(AnnualQuerySchema, location="query")
    @blp.response(200, BINARY, content_type="application/pdf", headers=FILE_HEADERS)
    @_document_file
    def get(self, args):
        """The annual report as the PDF the page prints: every figure of the JSON, with the
        page's tables and charts. Writes one audit event."""
        organisation, data = _report_data(args)
        try:
            report_file = files.pdf_file(organisation, data, args["source"])
        except exports.PdfUnavailable as exc:
            log.warning("PDF export unavailable: %s", exc)
            abort(
                503,
                message="PDF export needs the system packages "
                + " ".join(exports.PDF_SYSTEM_PACKAGES)
                + ".",
            )
        return _send(report_file, data, args)


@blp.route("/annual.xlsx")
class AnnualReportXlsx(_ReportView):
    @blp.arguments(AnnualQuerySchema, location="query")
    @blp.response(200, BINARY, content_type=files.XLSX_TYPE, headers=FILE_HEADERS)
    @_document
    def get(self, args):
        """The annual report as an Excel workbook: a first sheet saying what it is (report,
        region, time of export in Copenhagen time), then a sheet per table. One audit event."""
        organisation, data = _report_data(args)
        return _send(files.xlsx_file(organisation, data, args["source"]), data, args)


@blp.route("/annual.csv")
class AnnualReportCsv(_ReportView):
    @blp.arguments(AnnualCsvQuerySchema, location="query")
    @blp.response(
        200,
        {"type": "string"},
        content_type="text/csv; charset=utf-8",
        headers=FILE_HEADERS,
    )
    @_document
    def get(self, args):
        """One table of the annual report as CSV, UTF-8 with a byte-order mark: first lines
        "label;value" saying what it is (report, organisation, year, region, figures, time of
        export in Copenhagen time), an empty line, then the table with its header line. One
        audit event."""
        organisation, data = _report_data(args)
        separator = args["separator"] or csvsafe.default_format()
        report_file = files.csv_file(organisation, data, args["source"], args["table"], separator)
        return _send(report_file, data, args)
