"""WTForms for the account and user administration pages."""

from flask_babel import lazy_gettext as _l
from wtforms import EmailField, IntegerField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp, ValidationError

from outreach.auth.passwords import MAX_LENGTH, password_problem
from outreach.auth.services import NAME_MAX_LENGTH, TOKEN_MAX_DAYS, TOKEN_NAME_MAX_LENGTH
from outreach.i18n import FlaskForm

REQUIRED = _l("Fill in this field.")


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class LoginForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(REQUIRED), Length(max=254)])
    password = PasswordField(
        _l("Password"), validators=[DataRequired(REQUIRED), Length(max=MAX_LENGTH)]
    )


class SecondFactorForm(FlaskForm):
    """The login's second step: a code from the authenticator app, or a recovery code."""

    code = StringField(
        _l("Code"),
        filters=[_strip],
        validators=[
            DataRequired(REQUIRED),
            Length(max=32, message=_l("Use at most %(max)d characters.")),
        ],
    )


def _acceptable_password(form, field):
    problem = password_problem(field.data or "")
    if problem is not None:
        raise ValidationError(problem)


class PasswordChangeForm(FlaskForm):
    current = PasswordField(_l("Current password"), validators=[DataRequired(REQUIRED)])
    new = PasswordField(
        _l("New password"), validators=[DataRequired(REQUIRED), _acceptable_password]
    )


def role_choices():
    return [("nurse", _l("Nurse")), ("coordinator", _l("Coordinator")), ("admin", _l("Admin"))]


class UserCreateForm(FlaskForm):
    email = EmailField(
        _l("Email"),
        filters=[_strip],
        validators=[
            DataRequired(REQUIRED),
            Length(max=254, message=_l("Use at most %(max)d characters.")),
            Regexp(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", message=_l("Give a valid email address.")),
        ],
    )
    name = StringField(
        _l("Name"),
        filters=[_strip],
        validators=[
            Length(max=NAME_MAX_LENGTH, message=_l("Use at most %(max)d characters.")),
        ],
    )
    role = SelectField(_l("Role"), choices=role_choices, validate_choice=True, default="nurse")
    password = PasswordField(
        _l("Initial password"), validators=[DataRequired(REQUIRED), _acceptable_password]
    )


class RoleForm(FlaskForm):
    role = SelectField(_l("Role"), choices=role_choices, validate_choice=True)


class TokenCreateForm(FlaskForm):
    name = StringField(
        _l("What the token is for"),
        validators=[
            DataRequired(REQUIRED),
            Length(max=TOKEN_NAME_MAX_LENGTH, message=_l("Use at most %(max)d characters.")),
        ],
    )
    expires_days = IntegerField(
        _l("Expires after (days)"),
        validators=[
            Optional(),
            NumberRange(
                min=1,
                max=TOKEN_MAX_DAYS,
                message=_l("Give a number of days from %(min)s to %(max)s, or none."),
            ),
        ],
    )
