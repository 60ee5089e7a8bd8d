"""WTForms for the account pages."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Regexp, ValidationError

from outreach.auth.passwords import password_problem


class LoginForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=128)])


def _acceptable_password(form, field):
    problem = password_problem(field.data or "")
    if problem:
        raise ValidationError(problem)


class PasswordChangeForm(FlaskForm):
    current = PasswordField(_l("Current password"), validators=[DataRequired()])
    new = PasswordField(_l("New password"), validators=[DataRequired(), _acceptable_password])


def role_choices():
    return [("nurse", _l("Nurse")), ("coordinator", _l("Coordinator")), ("admin", _l("Admin"))]


class UserCreateForm(FlaskForm):
    email = EmailField(
        _l("Email"),
        validators=[DataRequired(), Length(max=254), Regexp(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")],
    )
    name = StringField(_l("Name"), validators=[Length(max=120)])
    role = SelectField(_l("Role"), choices=role_choices)
    password = PasswordField(
        _l("Initial password"), validators=[DataRequired(), _acceptable_password]
    )


class UserEditForm(FlaskForm):
    role = SelectField(_l("Role"), choices=role_choices)
    active = BooleanField(_l("Active"))


class TokenCreateForm(FlaskForm):
    name = StringField(_l("What the token is for"), validators=[DataRequired(), Length(max=80)])
