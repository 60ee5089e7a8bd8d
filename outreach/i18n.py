"""Language selection: Danish by default, English on request, remembered per user."""

from flask import current_app, has_request_context, session
from flask_login import current_user

LANGUAGES = {"da": "Dansk", "en": "English"}
DEFAULT_LOCALE = "da"  # the team works in Danish; config DEFAULT_LOCALE can change it


def select_locale() -> str | None:
    if not has_request_context():
        return None  # outside a request (CLI, jobs): Babel's default locale
    if current_user and current_user.is_authenticated and current_user.locale in LANGUAGES:
        return current_user.locale
    locale = session.get("locale")
    return locale if locale in LANGUAGES else current_app.config["DEFAULT_LOCALE"]
