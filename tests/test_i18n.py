"""Danish by default, English on request, remembered per user; the catalogue is complete."""

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from outreach.config import ROOT
from tests.conftest import make_app


@pytest.fixture
def danish_app(_app):
    """An app with the production default language, on the suite's database."""
    return make_app(_app.config["SQLALCHEMY_DATABASE_URI"], DEFAULT_LOCALE="da")


def test_the_login_page_is_in_danish_by_default(danish_app):
    page = danish_app.test_client().get("/login").get_data(as_text=True)
    assert '<html lang="da">' in page
    assert "Adgangskode" in page


def test_a_visitor_can_switch_to_english(danish_app):
    client = danish_app.test_client()
    token = client.get("/login").get_data(as_text=True).split('name="csrf_token" value="')[1]
    client.post(
        "/language", data={"lang": "en", "csrf_token": token.split('"')[0], "next": "/login"}
    )
    page = client.get("/login").get_data(as_text=True)
    assert '<html lang="en">' in page
    assert "Password" in page


def _danish_catalogue():
    with open(ROOT / "outreach/translations/da/LC_MESSAGES/messages.po", "rb") as f:
        return read_po(f)


def test_every_danish_message_is_translated():
    catalog = _danish_catalogue()
    missing = [
        m.id
        for m in catalog
        if m.id and (not m.string or (isinstance(m.string, tuple) and not all(m.string)) or m.fuzzy)
    ]
    assert missing == []


def _extracted_as_the_script_does():
    """What scripts/update-translations.sh extracts: babel.cfg's files, its -k keywords."""
    with open(ROOT / "babel.cfg") as f:
        method_map, options_map = parse_mapping_cfg(f)
    keywords = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None, "N_": None, "t": None}
    found = extract_from_dir(ROOT, method_map, options_map, keywords=keywords)
    return [(path, m if isinstance(m, str) else m[0]) for path, _, m, _, _ in found]


def test_every_string_in_the_code_is_in_the_danish_catalogue():
    """Python, templates and the field app's JavaScript. Run scripts/update-translations.sh
    and translate when this fails."""
    extracted = _extracted_as_the_script_does()
    in_code = {msgid for _, msgid in extracted}
    in_catalogue = {m.id if isinstance(m.id, str) else m.id[0] for m in _danish_catalogue()}
    assert sorted(in_code - in_catalogue) == []
    # The extraction reaches every part: a babel.cfg pattern that matches nothing would pass.
    parts = {
        path.split("/")[0] if "/templates/" not in path else "templates" for path, _ in extracted
    }
    assert {"outreach", "templates", "static"} <= parts


def test_the_script_extracts_every_string_the_phone_is_served():
    from outreach.field.views import phone_msgids

    assert phone_msgids() <= {msgid for _, msgid in _extracted_as_the_script_does()}


def test_an_api_validation_message_comes_in_the_users_language(app, login, nurse):
    from outreach.db import db

    nurse.locale = "da"
    db.session.flush()
    client = login(nurse)
    answer = client.put(f"/api/v1/visits/{factory_uuid()}", json={"outcome": "admitted"})
    assert answer.status_code == 422
    assert answer.json["errors"]["clinic_id"] == ["Mangler data i et obligatorisk felt."]
    assert answer.json["errors"]["started_at"] == ["Mangler data i et obligatorisk felt."]


def test_a_message_with_values_is_translated_with_its_values(app):
    from flask_babel import force_locale

    from outreach.i18n import translate_message

    with app.test_request_context(), force_locale("da"):
        assert translate_message("Must be one of: green, yellow, red.") == (
            "Skal være en af: green, yellow, red."
        )


def factory_uuid():
    import uuid

    return uuid.uuid4()
