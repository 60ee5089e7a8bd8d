"""/api/v1/reports: the annual report of DESIGN.md §4 and the same figures for a month."""

from flask.views import MethodView
from flask_smorest import abort

from outreach.apiutil import Blueprint, caller
from outreach.db import utcnow
from outreach.permissions import role_required
from outreach.reports import figures, queries
from outreach.reports.schemas import (
    AnnualQuerySchema,
    AnnualReportSchema,
    MonthlyQuerySchema,
    MonthlyReportSchema,
)

blp = Blueprint(
    "reports_api",
    __name__,
    url_prefix="/api/v1/reports",
    description="Report figures of the caller's organisation (coordinators and admins).",
)

SOURCE_HEADERS = {
    "X-Report-Source": {
        "description": "live, or snapshot when read from a stored snapshot.",
        "schema": {"type": "string"},
    },
    "X-Report-Computed-At": {
        "description": "When the figures were computed (ISO 8601, UTC).",
        "schema": {"type": "string"},
    },
}


def _answer(organisation, period, args):
    region = figures.check_region(organisation, args["region"])
    if args["source"] == "snapshot":
        data = queries.read_snapshot(organisation, period, region)
        if data is None:
            abort(404, message="No snapshot is stored for this period and region.")
        report, computed_at = data.report, data.computed_at
    else:
        cube = figures.compute_cube(organisation.id, period)
        report = figures.build_report(cube, figures.organisation_regions(organisation), region)
        computed_at = utcnow()
    headers = {
        "X-Report-Source": args["source"],
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
