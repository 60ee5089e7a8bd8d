"""Every form's error messages come in Danish: WTForms' and Flask-WTF's own messages too.

Each FlaskForm subclass of the app is submitted empty and with values out of range or of the
wrong kind, and its errors are rendered in Danish and in English: no Danish message may be its
English one, and none may hold a phrase of WTForms' or Flask-WTF's English messages.
"""

import importlib
import pkgutil
from types import SimpleNamespace

import flask_wtf
import pytest
from flask_babel import force_locale
from flask_wtf.file import FileField
from werkzeug.datastructures import MultiDict
from wtforms import (
    BooleanField,
    DateField,
    DateTimeField,
    DecimalField,
    FieldList,
    FloatField,
    FormField,
    IntegerField,
    SelectFieldBase,
    SelectMultipleField,
    StringField,
)
from wtforms.csrf.core import CSRFTokenField
from wtforms.validators import DataRequired, Length

import outreach
from outreach import i18n
from outreach.persons.models import GENDERS
from outreach.routing.forms import save_form

# English phrases of WTForms' and Flask-WTF's built-in messages (wtforms/locale/wtforms.pot,
# flask_wtf/csrf.py): none of them may reach a Danish page.
ENGLISH_PHRASES = (
    "This field",
    "Field must",
    "Field cannot",
    "Number must",
    "Date must",
    "Invalid",
    "Not a valid",
    "is required",
    "CSRF",
    "could not coerce",
    "valid choice",
    "approved extension",
)


def _app_forms() -> list[type]:
    for module in pkgutil.walk_packages(outreach.__path__, "outreach."):
        importlib.import_module(module.name)
    found, todo = [], [flask_wtf.FlaskForm]
    while todo:
        cls = todo.pop()
        for sub in cls.__subclasses__():
            todo.append(sub)
            if sub.__module__.startswith("outreach.") and "<locals>" not in sub.__qualname__:
                found.append(sub)
    return sorted(found, key=lambda c: f"{c.__module__}.{c.__qualname__}")


APP_FORMS = _app_forms()


def _organisation():
    return SimpleNamespace(
        settings={"offices": [{"name": "Kontoret", "lat": 56.15, "lon": 10.2}]},
        region_slugs=["midtjylland", "nordjylland"],
    )


def _plan():
    return SimpleNamespace(
        routes=[SimpleNamespace(position=0, nurse_id=None, day=0)], is_trip=False
    )


def _with(form, prepare):
    prepare(form)
    return form


# Forms whose constructor needs more than the posted data, or whose view sets choices.
BUILDERS = {
    "PersonSearchForm": lambda cls, data: _with(
        cls(formdata=data),
        lambda f: f.set_choices([("DK", "Danmark")], dict.fromkeys(GENDERS, "x")),
    ),
    "MergeForm": lambda cls, data: _with(
        cls(formdata=data), lambda f: setattr(f.keep, "choices", [("a", "A"), ("b", "B")])
    ),
    "ClinicFilterForm": lambda cls, data: cls(data, regions=["midtjylland"]),
    "ClinicForm": lambda cls, data: cls(formdata=data, may_close=False),
    "LeadFilterForm": lambda cls, data: cls(data, regions=["midtjylland"], sites=["Annoncesiden"]),
    "LeadForm": lambda cls, data: cls(formdata=data, sites=["Annoncesiden"]),
    "ReportFilterForm": lambda cls, data: cls(data, regions=["midtjylland"], first_year=2020),
    "PlanForm": lambda cls, data: cls(_organisation(), [], formdata=data),
    "SaveForm": lambda cls, data: save_form(_plan(), [], formdata=data),
    "VisitForm": lambda cls, data: cls(
        formdata=data,
        clinics=[("c", "Klinik")],
        staff=[("s", "Sygeplejerske")],
        supplies=[("condoms", "Kondomer")],
        indicators=[("debt", "Gæld")],
    ),
    "ConversationForm": lambda cls, data: cls(
        formdata=data, persons=[("p", "P")], languages=[("en", "Engelsk")], indicators=[]
    ),
}


def build(cls, data):
    builder = BUILDERS.get(cls.__name__, lambda cls, data: cls(formdata=data))
    return builder(cls, data)


def _leaves(form):
    """(name, field) of every input a browser would post, rows of FieldLists included."""
    for field in form:
        if isinstance(field, FieldList):
            entry = field.append_entry()
            if isinstance(entry, FormField):
                yield from _leaves(entry.form)
            else:
                yield entry.name, entry
        elif isinstance(field, FormField):
            yield from _leaves(field.form)
        elif not isinstance(field, (CSRFTokenField, FileField)):
            yield field.name, field


def _value(field, kind: str):
    """What to post: `huge` numbers and texts, `negative` numbers, `garbage` of the wrong kind."""
    if isinstance(field, BooleanField):
        return "y"
    if isinstance(field, (IntegerField, FloatField, DecimalField)):
        return {"huge": "999999999", "negative": "-5", "garbage": "abc"}[kind]
    if isinstance(field, (DateField, DateTimeField)):
        return {"huge": "99999-99-99", "negative": "-1", "garbage": "abc"}[kind]
    if isinstance(field, SelectMultipleField):
        return ["no-such-choice"]
    if isinstance(field, SelectFieldBase):
        return "no-such-choice" if kind != "negative" else "-1"
    return {"huge": "x" * 6000, "negative": "-1", "garbage": "Not a code! <b>"}[kind]


def submissions(cls, app) -> dict[str, MultiDict]:
    with app.test_request_context("/", method="POST"):
        fields = list(_leaves(build(cls, MultiDict())))
    answer = {"empty": MultiDict()}
    for kind in ("huge", "negative", "garbage"):
        data = MultiDict()
        for name, field in fields:
            value = _value(field, kind)
            for item in value if isinstance(value, list) else [value]:
                data.add(name, item)
        answer[kind] = data
    return answer


def _messages(errors) -> list[str]:
    if isinstance(errors, dict):
        return [m for key in sorted(errors, key=str) for m in _messages(errors[key])]
    if isinstance(errors, (list, tuple)):
        return [m for item in errors for m in _messages(item)]
    return [str(errors)]


def rendered_errors(app, cls, data, language) -> list[str]:
    with app.test_request_context("/", method="POST", data=data), force_locale(language):
        form = build(cls, data)
        form.validate()
        return _messages(form.errors)


def test_the_app_has_forms_to_check():
    names = {cls.__name__ for cls in APP_FORMS}
    assert {"LoginForm", "PlanForm", "ClinicForm", "CodeListForm"} <= names


@pytest.mark.parametrize("cls", APP_FORMS, ids=lambda cls: cls.__name__)
def test_every_form_derives_from_the_translated_base(cls):
    assert issubclass(cls, i18n.FlaskForm), "import FlaskForm from outreach.i18n"


@pytest.mark.parametrize("cls", APP_FORMS, ids=lambda cls: cls.__name__)
def test_every_forms_errors_are_in_danish(app, cls):
    for kind, data in submissions(cls, app).items():
        danish = rendered_errors(app, cls, data, "da")
        english = rendered_errors(app, cls, data, "en")
        assert len(danish) == len(english), kind
        for da, en in zip(danish, english, strict=True):
            assert da != en, f"{kind}: {en!r} is not translated"
            assert not [p for p in ENGLISH_PHRASES if p in da], f"{kind}: {da!r}"


def test_the_forms_gave_many_messages_to_compare(app):
    """Not a vacuous pass: the forms above produced errors of every kind, WTForms' own too."""
    english = [
        message
        for cls in APP_FORMS
        for data in submissions(cls, app).values()
        for message in rendered_errors(app, cls, data, "en")
    ]
    assert len(english) > 100
    for phrase in ("This field is required.", "Number must be between", "Not a valid choice."):
        assert any(phrase in m for m in english), phrase


def test_wtforms_own_messages_are_rendered_in_danish(app):
    """The messages of the issue: a number out of range, an empty required field."""
    from outreach.routing.forms import PlanForm

    data = MultiDict({"service_minutes": "1", "date": ""})
    with app.test_request_context("/", method="POST", data=data), force_locale("da"):
        form = PlanForm(_organisation(), [], formdata=data, meta={"csrf": False})
        form.validate()
        assert form.service_minutes.errors == ["Tallet skal være mellem 5 og 480."]

    class Plain(i18n.FlaskForm):
        class Meta:
            csrf = False

        name = StringField(validators=[DataRequired(), Length(min=3)])

    with app.test_request_context("/", method="POST", data={"name": ""}), force_locale("da"):
        form = Plain()
        form.validate()
        assert form.name.errors == ["Udfyld dette felt."]
    with app.test_request_context("/", method="POST", data={"name": "ab"}), force_locale("da"):
        form = Plain()
        form.validate()
        assert form.name.errors == ["Feltet skal være mindst 3 tegn langt."]


def test_a_missing_csrf_token_is_reported_in_danish(app):
    from outreach.auth.forms import LoginForm

    data = MultiDict({"email": "a@example.org", "password": "x"})
    with app.test_request_context("/", method="POST", data=data), force_locale("da"):
        form = LoginForm()
        assert not form.validate()
        (message,) = form.csrf_token.errors
        assert "CSRF" not in message and "sikkerhedsnøgle" in message


def test_every_wtforms_message_is_in_the_danish_catalogue(app):
    """WTForms' own list (wtforms.pot): a newer WTForms with a new message fails here."""
    import os

    import wtforms.i18n
    from babel.messages.pofile import read_po

    with open(os.path.join(wtforms.i18n.messages_path(), "wtforms.pot"), "rb") as f:
        theirs = {m.id for m in read_po(f) if m.id}  # a str, or (singular, plural)
    ours = {*i18n.WTFORMS_MESSAGES, *i18n.WTFORMS_PLURALS, *i18n.MARSHMALLOW_MESSAGES}
    assert theirs - ours == set()
