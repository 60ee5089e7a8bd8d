"""WTForms for the organisation settings page: supply list, indicator checklist, offices,
and the usual most per visit (plausibility limits).

Each list is edited as rows: the rows already stored plus a few empty ones for additions.
An empty row is ignored; a row ticked "remove" is left out. The forms only check what a user
typed; orgs.services stores the result and keeps its own invariants.
"""

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, FieldList, FormField, HiddenField, RadioField, StringField
from wtforms.validators import InputRequired, ValidationError

from outreach.denmark import in_denmark
from outreach.i18n import LANGUAGES, FlaskForm, Form
from outreach.orgs import services
from outreach.orgs.queries import default_language
from outreach.plausibility import MAX_COUNT, MAX_PERSONS_PRESENT

BLANK_ROWS = 3
BLANK_OFFICE_ROWS = 1  # offices are added rarely; saving brings a new empty row
# Bound what a posted form may make us build (rows beyond these are never read).
MAX_CODE_ROWS = services.MAX_LIST_ENTRIES + BLANK_ROWS
MAX_OFFICE_ROWS = services.MAX_OFFICES + BLANK_ROWS


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class CodeRowForm(Form):
    """A code and its label in each language of the app (fields label_da, label_en, ...): the
    default language's label is required, the others fall back (orgs.queries.resolve_label)."""

    code = StringField(_l("Code"), filters=[_strip])
    remove = BooleanField(_l("Remove"))

    def label_fields(self) -> dict:
        return {language: self[f"label_{language}"] for language in LANGUAGES}

    def is_blank(self) -> bool:
        return not self.code.data and not any(f.data for f in self.label_fields().values())

    def validate_code(self, field):
        if self.remove.data or self.is_blank():
            return
        if not field.data:
            raise ValidationError(_l("Give a code."))
        problem = services.code_problem(field.data)
        if problem is not None:
            raise ValidationError(problem)

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if self.remove.data or self.is_blank():
            return valid
        required = default_language()
        for language, field in self.label_fields().items():
            if language == required and not field.data:
                field.errors = [*field.errors, _l("Give a label.")]
                valid = False
            elif len(field.data or "") > services.LABEL_MAX_LENGTH:
                field.errors = [
                    *field.errors,
                    _l("Use at most %(max)d characters.", max=services.LABEL_MAX_LENGTH),
                ]
                valid = False
        return valid

    def labels(self) -> dict[str, str]:
        """{language: label} of the languages given."""
        return {language: f.data for language, f in self.label_fields().items() if f.data}


for _language in LANGUAGES:
    setattr(CodeRowForm, f"label_{_language}", StringField(_l("Label"), filters=[_strip]))


class _SettingsForm(FlaskForm):
    class Meta:
        # Three of these forms share one page, so each has a prefix for unique element ids;
        # the CSRF token is checked for every write by access.protect_writes, from the page's
        # plain csrf_token field.
        csrf = False


# Every settings form carries the revision of the part it was made from: without it an edit
# could not be told from one made on an out-of-date page, and a post without its rows (a
# truncated or hand-made request) would replace the list with nothing.
STALE_FORM = _l(
    "The form is incomplete or out of date. Reload the page and make your change again."
)


class CodeListForm(_SettingsForm):
    revision = HiddenField(validators=[InputRequired(STALE_FORM)])
    rows = FieldList(FormField(CodeRowForm), max_entries=MAX_CODE_ROWS)
    # Emptying a whole list is never the result of a plain save: it has to be asked for.
    confirm_empty = BooleanField(_l("Yes, empty the whole list"))

    def kept_rows(self) -> list[CodeRowForm]:
        return [
            row.form for row in self.rows if not row.form.remove.data and not row.form.is_blank()
        ]

    def entries(self) -> list[tuple[str, dict[str, str]]]:
        """(code, {language: label}) of the rows to store, in the order shown."""
        return [(row.code.data, row.labels()) for row in self.kept_rows()]

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        seen_codes: dict[str, CodeRowForm] = {}
        seen_labels: set[tuple[str, str]] = set()
        for row in self.kept_rows():
            code = row.code.data
            if code and code in seen_codes:
                row.code.errors = [*row.code.errors, _l("This code is already on the list.")]
                valid = False
            elif code:
                seen_codes[code] = row
            for language, field in row.label_fields().items():
                key = (language, (field.data or "").casefold())
                if key[1] and key in seen_labels:
                    field.errors = [*field.errors, _l("Another item already has this label.")]
                    valid = False
                elif key[1]:
                    seen_labels.add(key)
        if len(self.kept_rows()) > services.MAX_LIST_ENTRIES:
            self.form_errors.append(
                _l("A list can have at most %(max)d items.", max=services.MAX_LIST_ENTRIES)
            )
            valid = False
        if valid and not self.kept_rows() and not self.confirm_empty.data:
            self.confirm_empty.errors = [
                _l("This would remove every item. Tick the box to confirm, and save again.")
            ]
            valid = False
        return valid


def _coordinate(text: str | None) -> float | None:
    """A decimal number as typed in Danish or English: '56,1567' or '56.1567'."""
    if not text:
        return None
    try:
        return float(text.replace(",", ".").replace(" ", ""))
    except ValueError:
        return None


class OfficeRowForm(Form):
    name = StringField(_l("Name"), filters=[_strip])
    lat = StringField(_l("Latitude"), filters=[_strip])
    lon = StringField(_l("Longitude"), filters=[_strip])
    remove = BooleanField(_l("Remove"))

    def is_blank(self) -> bool:
        return not (self.name.data or self.lat.data or self.lon.data)

    def _counts(self) -> bool:
        return not self.remove.data and not self.is_blank()

    def validate_name(self, field):
        if not self._counts():
            return
        if not field.data:
            raise ValidationError(_l("Give the office a name."))
        if len(field.data) > services.OFFICE_NAME_MAX_LENGTH:
            raise ValidationError(
                _l("Use at most %(max)d characters.", max=services.OFFICE_NAME_MAX_LENGTH)
            )

    def validate_lat(self, field):
        if self._counts() and _coordinate(field.data) is None:
            raise ValidationError(_l("Give the latitude as a decimal number, e.g. 56.1567."))

    def validate_lon(self, field):
        if not self._counts():
            return
        lon = _coordinate(field.data)
        if lon is None:
            raise ValidationError(_l("Give the longitude as a decimal number, e.g. 10.2108."))
        lat = _coordinate(self.lat.data)
        if lat is None or in_denmark(lat, lon):
            return
        if in_denmark(lon, lat):
            raise ValidationError(_l("Latitude and longitude look swapped."))
        raise ValidationError(
            _l(
                "This point is not in Denmark. Latitude is about 54.5 to 57.8 and longitude "
                "about 8 to 15.2."
            )
        )

    def office(self) -> dict:
        return {
            "name": self.name.data,
            "lat": _coordinate(self.lat.data),
            "lon": _coordinate(self.lon.data),
        }


class OfficesForm(_SettingsForm):
    revision = HiddenField(validators=[InputRequired(STALE_FORM)])
    rows = FieldList(FormField(OfficeRowForm), max_entries=MAX_OFFICE_ROWS)

    def kept_rows(self) -> list[OfficeRowForm]:
        return [row.form for row in self.rows if row.form._counts()]

    def entries(self) -> list[dict]:
        return [row.office() for row in self.kept_rows()]

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        seen: set[str] = set()
        for row in self.kept_rows():
            key = " ".join((row.name.data or "").split()).casefold()
            if key and key in seen:
                row.name.errors = [*row.name.errors, _l("Another office already has this name.")]
                valid = False
            seen.add(key)
        if len(self.kept_rows()) > services.MAX_OFFICES:
            self.form_errors.append(_l("At most %(max)d offices.", max=services.MAX_OFFICES))
            valid = False
        return valid


def _whole(text: str | None) -> int | None:
    """A whole number as typed, spaces allowed ('1 000'); anything else is None."""
    digits = (text or "").replace(" ", "").replace("\u00a0", "")
    return int(digits) if digits.isdigit() else None


def _check_limit(text: str | None, ceiling: int) -> None:
    value = _whole(text)
    if value is None or services.limit_problem(value, ceiling) is not None:
        raise ValidationError(_l("Give a whole number from 1 to %(max)d.", max=ceiling - 1))


class LimitRowForm(Form):
    code = HiddenField(filters=[_strip])
    limit = StringField(_l("Usual most per visit"), filters=[_strip])
    # What the phone's "usual pack" button fills in; blank or 0: not in the pack.
    pack = StringField(_l("Usual pack"), filters=[_strip])

    def validate_limit(self, field):
        _check_limit(field.data, MAX_COUNT)

    def validate_pack(self, field):
        if not field.data:
            return
        value, most = _whole(field.data), _whole(self.limit.data)
        if value is None or value >= MAX_COUNT:
            raise ValidationError(_l("Give a whole number from 0 to %(max)d.", max=MAX_COUNT - 1))
        if most is not None and value > most:
            raise ValidationError(_l("The usual pack cannot be above the usual most."))


class LimitsForm(_SettingsForm):
    revision = HiddenField()
    persons_present = StringField(_l("Persons present"), filters=[_strip])
    rows = FieldList(FormField(LimitRowForm), max_entries=MAX_CODE_ROWS)

    def validate_persons_present(self, field):
        _check_limit(field.data, MAX_PERSONS_PRESENT)

    def persons_present_limit(self) -> int:
        return _whole(self.persons_present.data)

    def supply_limits(self) -> dict[str, int]:
        return {row.form.code.data: _whole(row.form.limit.data) for row in self.rows}

    def pack(self) -> dict[str, int]:
        """The usual pack: the rows with a number above 0."""
        return {
            row.form.code.data: _whole(row.form.pack.data)
            for row in self.rows
            if _whole(row.form.pack.data)
        }


class RetentionForm(_SettingsForm):
    revision = HiddenField(validators=[InputRequired(STALE_FORM)])
    years = StringField(_l("Years without contact"), filters=[_strip])

    def validate_years(self, field):
        value = _whole(field.data)
        problem = services.retention_problem(value) if value is not None else True
        if problem is not None:
            raise ValidationError(
                _l(
                    "Give a whole number of years from %(min)d to %(max)d.",
                    min=services.MIN_RETENTION_YEARS,
                    max=services.MAX_RETENTION_YEARS,
                )
            )

    def retention_years(self) -> int:
        return _whole(self.years.data)


def _external_choices():
    return [
        ("allowed", _l("Use them: addresses are looked up and maps have a background")),
        ("none", _l("No external services")),
    ]


class ExternalServicesForm(_SettingsForm):
    # A choice that must be sent, not a checkbox: a post without the field (a truncated or
    # hand-made request) must not silently turn the third parties back on.
    choice = RadioField(
        _l("Services run by others"),
        choices=_external_choices,
        validators=[InputRequired(_l("Choose one."))],
    )

    def allowed(self) -> bool:
        return self.choice.data == "allowed"


def _nurse_second_factor_choices():
    return [
        ("required", _l("Nurses log in with a second factor too")),
        ("optional", _l("Nurses choose for themselves")),
    ]


class NurseSecondFactorForm(_SettingsForm):
    # A choice that must be sent, as above: a post without it changes nothing.
    choice = RadioField(
        _l("Second factor for nurses"),
        choices=_nurse_second_factor_choices,
        validators=[InputRequired(_l("Choose one."))],
    )

    def required(self) -> bool:
        return self.choice.data == "required"
