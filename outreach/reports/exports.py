"""The report's tables, labelled in the page's language, and their exports: CSV (one table),
XLSX (every table, a sheet each) and PDF (the whole report with its charts, by WeasyPrint).
Each file says inside what it is (the `about` lines: report, region, time of export), not only
in its name."""

from dataclasses import dataclass

from flask import current_app
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from outreach import csvsafe, xlsxsafe
from outreach.codes import country_name
from outreach.orgs.models import REGION_NAMES
from outreach.reports.charts import month_names
from outreach.reports.figures import FIGURES, admission_rate
from outreach.reports.queries import ReportData, supply_labels
from outreach.vocabulary import CONCERN_LEVELS, GENDERS, label

FIGURE_LABELS = {
    "visits": _l("Visits"),
    "clinics_visited": _l("Clinics visited"),
    "admitted_visits": _l("Admitted visits"),
    "admission_rate": _l("Admission rate"),
    "conversations": _l("Conversations"),
    "persons_talked_to": _l("Persons talked to"),
    "first_time_persons": _l("First-time contacts"),
}


# The figures in the order the report shows them: the rate right after what it divides.
FIGURE_ORDER = (*FIGURES[:3], "admission_rate", *FIGURES[3:])


class Rate(float):
    """A share, shown as a percentage (CSV: the plain fraction)."""


@dataclass
class Table:
    name: str  # used in file names and URLs
    title: str
    headers: list[str]
    rows: list[list]  # cells: int, Rate, str or None (no value)
    sheet: str = ""  # the XLSX sheet's name: whole words within Excel's 31 characters


TABLE_NAMES = (
    "figures",
    "regions",
    "months",
    "nationalities",
    "genders",
    "supplies",
    "concern",
    "screening",
)
SCREENING_LABELS = {
    "leads_recorded": _l("Leads recorded"),
    "new_clinics": _l("New clinics found through screening"),
    "new_clinics_visited": _l("Of them visited"),
    "numbers_texted": _l("Numbers texted"),
    "texts_sent": _l("Texts sent"),
    "replies": _l("Replies"),
    "opt_outs": _l("Asked not to be contacted"),
    "sms_conversations": _l("Conversations begun by SMS"),
}


def _rate(admitted: int, visits: int) -> Rate | None:
    rate = admission_rate(admitted, visits)
    return None if rate is None else Rate(rate)


def _figure_value(report: dict, key: str):
    if key == "admission_rate":
        return None if report[key] is None else Rate(report[key])
    return report[key]


def region_name(slug: str | None) -> str:
    return REGION_NAMES.get(slug, slug) if slug else _("No region")


def _language() -> str:
    locale = get_locale()
    return locale.language if locale else "da"


def tables(data: ReportData) -> list[Table]:
    """Every table of the report, in the page's language, in the page's order."""
    report, extra = data.report, data.breakdowns
    figures = Table(
        "figures",
        _("Key figures"),
        [_("Figure"), _("Value")],
        [[str(FIGURE_LABELS[key]), _figure_value(report, key)] for key in FIGURE_ORDER]
        + [[_("Visits after which the police were informed"), extra["police_informed_visits"]]],
        sheet=_("Key figures"),
    )
    region_headers = [_("Region")] + [str(FIGURE_LABELS[key]) for key in FIGURE_ORDER]

    def region_row(name: str, row: dict) -> list:
        return [
            name,
            row["visits"],
            row["clinics_visited"],
            row["admitted_visits"],
            _rate(row["admitted_visits"], row["visits"]),
            row["conversations"],
            row["persons_talked_to"],
            row["first_time_persons"],
        ]

    region_rows = [region_row(region_name(row["region"]), row) for row in report["by_region"]]
    if report["region"] is None:
        region_rows.append(region_row(_("Whole organisation"), report))
    regions = Table("regions", _("By region"), region_headers, region_rows, _("By region"))

    names = month_names()
    months = Table(
        "months",
        _("By month"),
        [
            _("Month"),
            str(FIGURE_LABELS["visits"]),
            str(FIGURE_LABELS["admitted_visits"]),
            str(FIGURE_LABELS["conversations"]),
        ],
        [
            [names[row["month"] - 1], row["visits"], row["admitted_visits"], row["conversations"]]
            for row in report.get("by_month", [])
        ],
        sheet=_("By month"),
    )
    language = _language()
    nationalities = Table(
        "nationalities",
        _("Persons talked to by nationality"),
        [_("Nationality"), _("Persons")],
        [
            [
                country_name(row["nationality"], language)
                if row["nationality"]
                else _("Not recorded"),
                row["persons"],
            ]
            for row in extra["nationalities"]
        ],
        sheet=_("Nationality"),
    )
    genders = Table(
        "genders",
        _("Persons talked to by gender"),
        [_("Gender"), _("Persons")],
        [[label(GENDERS, row["gender"]), row["persons"]] for row in extra["genders"]],
        sheet=_("Gender"),
    )
    item_labels = supply_labels(data.organisation_id)
    supplies = Table(
        "supplies",
        _("Supplies handed out"),
        [_("Item"), _("Handed out")],
        [[item_labels.get(row["item"], row["item"]), row["count"]] for row in extra["supplies"]],
        sheet=_("Supplies"),
    )
    concern = Table(
        "concern",
        _("Concern levels"),
        [_("Concern level"), str(FIGURE_LABELS["visits"]), str(FIGURE_LABELS["conversations"])],
        [
            [
                label(CONCERN_LEVELS, row["level"]) if row["level"] else _("Not assessed"),
                row["visits"],
                row["conversations"],
            ]
            for row in extra["concern"]
        ],
        sheet=_("Concern levels"),
    )
    result = [figures, regions, months, nationalities, genders, supplies, concern]
    if report.get("screening"):
        result.append(screening_table(report["screening"], names))
    return [table for table in result if table.name != "months" or table.rows]


def screening_table(screening: dict, names: list[str]) -> Table:
    """The screening section: a row per month (in the annual report) and the period's."""
    keys = list(SCREENING_LABELS)
    rows = [
        [names[row["month"] - 1], *(row[k] for k in keys)] for row in screening.get("by_month", [])
    ]
    rows.append([_("Whole period"), *(screening[k] for k in keys)])
    return Table(
        "screening",
        _("Screening and SMS outreach"),
        [_("Month"), *(str(SCREENING_LABELS[k]) for k in keys)],
        rows,
        sheet=_("Screening"),
    )


# CSV and XLSX ------------------------------------------------------------------------------

# CSV separators: `semicolon` is what Danish Excel opens as it is (';' between cells, decimal
# commas), as the clinic import's example file; `comma` is the plain format (decimal points).
SEPARATORS = csvsafe.FORMATS


def to_csv(table: Table, about: list[tuple[str, str]], separator: str = "comma") -> bytes:
    """Through outreach.csvsafe, like every CSV export (quoting, formula starts, BOM). The
    `about` lines (label, value) come first, then an empty line, then the table with its
    header."""
    delimiter, decimal = SEPARATORS[separator]
    head = [*about, []] if about else []
    return csvsafe.to_csv([*head, table.headers, *table.rows], delimiter, decimal)


def to_xlsx(
    report_tables: list[Table], title: str, about: list[tuple[str, str]], about_sheet: str
) -> bytes:
    """Through outreach.xlsxsafe, like every XLSX export: a first sheet with the `about` lines
    (what report, which region, when exported), then a sheet per table, rates as percentages."""
    return xlsxsafe.to_xlsx(
        [xlsxsafe.Sheet(t.sheet or t.title, t.headers, t.rows) for t in report_tables],
        title,
        about,
        about_sheet,
        number_format=lambda value: "0.00%" if isinstance(value, Rate) else None,
    )


# PDF ---------------------------------------------------------------------------------------


class PdfUnavailable(RuntimeError):
    """WeasyPrint or the system libraries it needs (Pango) are not installed."""


PDF_SYSTEM_PACKAGES = ("libpango-1.0-0", "libpangoft2-1.0-0")


def _weasyprint():
    # Imported on first use: the app runs without Pango; only the PDF export needs it.
    try:
        import weasyprint
    except (ImportError, OSError) as exc:
        raise PdfUnavailable(str(exc)) from exc
    return weasyprint


def to_pdf(html: str) -> bytes:
    """Render the report's print page. Only data: URLs are fetched (the charts): nothing from
    the network or the file system can be pulled into a PDF."""
    weasyprint = _weasyprint()
    stylesheet = weasyprint.CSS(filename=str(current_app.static_folder + "/css/reports.css"))
    fetcher = weasyprint.URLFetcher(allowed_protocols={"data"})
    document = weasyprint.HTML(string=html, base_url=current_app.static_folder, url_fetcher=fetcher)
    return document.write_pdf(stylesheets=[stylesheet])
