"""WTForms for the persons pages: the list's search and filters, finding a duplicate,
confirming a merge and undoing one."""

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, RadioField, SearchField, SelectField
from wtforms.validators import DataRequired, Length

from outreach.i18n import FlaskForm
from outreach.persons.models import GENDERS

ALIAS_MAX_LENGTH = 100


def _strip(value):
    return " ".join(value.split()) if isinstance(value, str) else value


class PersonSearchForm(FlaskForm):
    """Posted, never sent as a query string: an alias is personal data and must not end up
    in URLs or access logs (SECURITY.md 19)."""

    q = SearchField(
        _l("Alias"),
        filters=[_strip],
        validators=[Length(max=ALIAS_MAX_LENGTH, message=_l("Use at most %(max)d characters."))],
    )
    nationality = SelectField(_l("Nationality"), validate_choice=True, default="")
    gender = SelectField(_l("Gender"), validate_choice=True, default="")
    merged = BooleanField(_l("Show merged records"))

    def set_choices(self, nationalities: list[tuple[str, str]], gender_labels: dict) -> None:
        self.nationality.choices = [("", _l("Any nationality")), *nationalities]
        self.gender.choices = [("", _l("Any gender"))] + [
            (code, gender_labels[code]) for code in GENDERS
        ]


class DuplicateSearchForm(FlaskForm):
    q = SearchField(
        _l("Search by alias"),
        filters=[_strip],
        validators=[
            DataRequired(_l("Type an alias, or part of one.")),
            Length(max=ALIAS_MAX_LENGTH, message=_l("Use at most %(max)d characters.")),
        ],
    )


class MergeForm(FlaskForm):
    # The view sets the choices: the records that may be kept (the other one must not be
    # merged into a third already).
    keep = RadioField(_l("Which record to keep"), validate_choice=True)


class UndoMergeForm(FlaskForm):
    """Nothing to fill in: the confirmation button and its CSRF token."""
