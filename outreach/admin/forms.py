"""The audit page's filters, read from the query string: a GET form that changes nothing, so
its links (the pager, the CSV export) carry the same filters. Ids and codes only: no filter
takes a person's alias or notes, so none reaches a URL (SECURITY.md 19)."""

from flask_babel import lazy_gettext as _l
from wtforms import DateField, SelectField, StringField, ValidationError
from wtforms.validators import Length, Optional, Regexp

from outreach.i18n import FlaskForm
from outreach.vocabulary import AUDIT_ACTIONS, AUDIT_OBJECT_TYPES, choices

OBJECT_ID_MAX = 64  # AuditEvent.object_id


class AuditFilterForm(FlaskForm):
    class Meta:
        csrf = False

    user = SelectField(_l("User"), validators=[Optional()], default="")
    action = SelectField(_l("Action"), validators=[Optional()], default="")
    object_type = SelectField(_l("About"), validators=[Optional()], default="")
    object_id = StringField(
        _l("Record id"),
        validators=[
            Optional(),
            Length(max=OBJECT_ID_MAX, message=_l("Use at most %(max)d characters.")),
            Regexp(
                r"^[A-Za-z0-9_-]+$",
                message=_l("An id has only letters, digits, - and _ (copy it from a record)."),
            ),
        ],
    )
    since = DateField(_l("From"), validators=[Optional()])
    until = DateField(_l("To"), validators=[Optional()])

    def __init__(self, formdata=None, users=()):
        super().__init__(formdata=formdata)
        self.user.choices = [("", _l("Everyone"))] + [
            (str(u.id), f"{u.name} ({u.email})" if u.name else u.email) for u in users
        ]
        self.action.choices = [("", _l("All actions"))] + choices(AUDIT_ACTIONS)
        self.object_type.choices = [("", _l("Anything"))] + choices(AUDIT_OBJECT_TYPES)

    def validate_until(self, field):
        if field.data and self.since.data and field.data < self.since.data:
            raise ValidationError(_l("The end date is before the start date."))

    def args(self) -> dict:
        """The query string that reproduces these filters (pager and export links)."""
        return {
            name: value.isoformat() if hasattr(value, "isoformat") else value
            for name, value in self.data.items()
            if value
        }
