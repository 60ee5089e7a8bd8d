"""WTForms of the SMS settings page: a template per language, the team's number and the limit."""

from collections.abc import Sequence

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, ValidationError

from outreach.codes import language_codes
from outreach.i18n import FlaskForm
from outreach.sms.queries import MAX_PERIOD_DAYS, MAX_TEMPLATE_LENGTH
from outreach.vocabulary import language_label


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def language_choices(likely: Sequence[str] = ()) -> dict[str, list[tuple[str, str]]]:
    """The language picker: the organisation's likely languages first, in their order
    (queries.likely_languages), then the others by name."""
    codes = set(language_codes())
    first = [code for code in dict.fromkeys(likely) if code in codes]
    rest = sorted(((c, language_label(c)) for c in codes - set(first)), key=lambda c: c[1].lower())
    return {
        _("Your organisation's languages"): [(c, language_label(c)) for c in first],
        _("Other languages"): rest,
    }


class TemplateForm(FlaskForm):
    language = SelectField(_l("Language"), validators=[InputRequired()])
    body = TextAreaField(
        _l("Message"),
        filters=[_strip],
        validators=[
            InputRequired(_l("Write the message.")),
            Length(max=MAX_TEMPLATE_LENGTH),
        ],
    )

    def __init__(self, *args, likely: Sequence[str] = (), **kwargs):
        super().__init__(*args, **kwargs)
        self.language.choices = language_choices(likely)


class RemoveTemplateForm(FlaskForm):
    language = HiddenField(validators=[InputRequired()])


class OptionsForm(FlaskForm):
    team_phone = StringField(_l("The team's phone number"), filters=[_strip])
    period_days = StringField(_l("Days between two texts to one number"), filters=[_strip])

    def validate_period_days(self, field):
        if self.days() is None or not 1 <= self.days() <= MAX_PERIOD_DAYS:
            raise ValidationError(
                _l("Give a whole number of days from 1 to %(max)d.", max=MAX_PERIOD_DAYS)
            )

    def days(self) -> int | None:
        text = (self.period_days.data or "").replace(" ", "")
        return int(text) if text.isdigit() else None
