"""The report page and its exports (coordinators and admins)."""

import logging

from flask import Blueprint, Response, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from outreach import csvsafe
from outreach.permissions import role_required
from outreach.reports import exports, figures, files, queries
from outreach.reports.forms import ReportFilterForm
from outreach.security import PRIVATE_REVALIDATE

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
        self.separator = (self.form.separator.data or None) if self.valid else None

    def args(self) -> dict:
        """The query string that reproduces these filters (for the export links)."""
        args = {"year": self.period.year}
        if self.region:
            args["region"] = self.region
        if self.source != "live":
            args["source"] = self.source
        return args


def _csv_separators() -> list[tuple[str, str]]:
    """The CSV links' separators, the user's default first."""
    labels = {
        "semicolon": _("CSV for Danish Excel (semicolons, decimal commas)"),
        "comma": _("CSV with commas (decimal points)"),
    }
    first = csvsafe.default_format()
    return sorted(labels.items(), key=lambda item: item[0] != first)


def _load(organisation, filters: Filters) -> queries.ReportData | None:
    return queries.load(organisation, filters.period, filters.region, filters.source)


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

    def chart_src(name: str) -> str:
        return url_for("reports.chart", name=name, **filters.args())

    return render_template(
        "reports/index.html",
        interactive=True,
        filters=filters,
        csv_separators=_csv_separators(),
        **files.context(organisation, data, chart_src),
    )


@bp.route("/charts/<name>.svg")
@role_required("coordinator")
def chart(name: str):
    """One chart of the page as SVG, for the same filters as the page. Its ETag is what the
    chart shows (figures, labels, language) and how it is drawn, so a browser asking again
    for unchanged figures gets a 304 and nothing is drawn; "private, no-cache": kept by the
    browser only, and never shown without asking (after a logout the answer is the login)."""
    loaded, page, status = _export_data()
    if loaded is None:
        return page, status
    _organisation, _filters, data = loaded
    found = files.report_charts(data).get(name)
    if found is None:
        return render_template("error.html", code=404, error=None), 404
    response = Response(mimetype="image/svg+xml")
    response.set_etag(found.etag)
    response.headers["Cache-Control"] = PRIVATE_REVALIDATE
    response.make_conditional(request)
    if response.status_code == 200:
        response.set_data(found.svg())
    return response


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


def _answer(report_file: files.ReportFile, filters: Filters, data: queries.ReportData):
    user = current_user._get_current_object()
    return files.answer(report_file, user, data, filters.source, via="page")


@bp.route("/export/<name>.csv")
@role_required("coordinator")
def export_csv(name: str):
    loaded, page, status = _export_data()
    if loaded is None:
        return page, status
    organisation, filters, data = loaded
    separator = filters.separator or csvsafe.default_format()
    report_file = files.csv_file(organisation, data, filters.source, name, separator)
    if report_file is None:
        return render_template("error.html", code=404, error=None), 404
    return _answer(report_file, filters, data)


@bp.route("/export.xlsx")
@role_required("coordinator")
def export_xlsx():
    loaded, page, status = _export_data()
    if loaded is None:
        return page, status
    organisation, filters, data = loaded
    return _answer(files.xlsx_file(organisation, data, filters.source), filters, data)


@bp.route("/export.pdf")
@role_required("coordinator")
def export_pdf():
    loaded, page, status = _export_data()
    if loaded is None:
        return page, status
    organisation, filters, data = loaded
    try:
        report_file = files.pdf_file(organisation, data, filters.source)
    except exports.PdfUnavailable as exc:
        log.warning("PDF export unavailable: %s", exc)
        return render_template(
            "reports/pdf_unavailable.html", packages=exports.PDF_SYSTEM_PACKAGES
        ), 503
    return _answer(report_file, filters, data)
