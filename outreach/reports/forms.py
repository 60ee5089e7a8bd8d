"""The report page's filters, read from the query string (the same names as the API's)."""

from flask_babel import lazy_gettext as _l
from wtforms import SelectField
from wtforms.validators import DataRequired, Optional

from outreach.db import utcnow
from outreach.i18n import FlaskForm
from outreach.orgs.models import REGION_NAMES
from outreach.reports.figures import FIRST_YEAR, LOCAL_TZ, last_valid_year
from outreach.reports.schemas import SOURCES

SOURCE_LABELS = {"live": _l("Computed now"), "snapshot": _l("Stored snapshot")}
SEPARATOR_LABELS = {"semicolon": _l("Semicolons"), "comma": _l("Commas")}


def _year(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


class ReportFilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET form that changes nothing

    year = SelectField(_l("Year"), coerce=_year, validators=[DataRequired()])
    region = SelectField(_l("Region"), validators=[Optional()])
    source = SelectField(_l("Figures"), default="live")
    # Only the CSV links set it (not shown in the form); empty: the user's language decides.
    separator = SelectField(_l("CSV separator"), validators=[Optional()])

    def __init__(self, formdata, regions: list[str], first_year: int | None):
        this_year = utcnow().astimezone(LOCAL_TZ).year
        super().__init__(formdata=formdata, year=this_year)
        # The years with data up to this year, and any other valid year asked for by URL.
        years = set(range(first_year or this_year, this_year + 1))
        asked = _year(formdata.get("year")) if formdata else None
        if asked is not None and FIRST_YEAR <= asked <= last_valid_year():
            years.add(asked)
        self.year.choices = [(y, str(y)) for y in sorted(years, reverse=True)]
        self.region.choices = [("", _l("All regions"))] + [
            (slug, REGION_NAMES[slug]) for slug in regions
        ]
        self.source.choices = [(s, SOURCE_LABELS[s]) for s in SOURCES]
        self.separator.choices = [("", "")] + list(SEPARATOR_LABELS.items())
