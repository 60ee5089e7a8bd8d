"""Serves the field app's shell, its service worker, web manifest and phone catalogues.

Nothing here carries personal data, so every route is public: the phone must be able to load
and cache the app before (and without) a session. Records travel only through /api/v1.
"""

import hashlib
from functools import cache
from pathlib import Path

from babel import Locale
from babel.messages.extract import extract_from_dir
from flask import Blueprint, abort, jsonify, make_response, render_template, request, url_for
from flask_babel import force_locale, gettext

from outreach import vocabulary
from outreach.codes import country_codes, language_codes
from outreach.config import ROOT
from outreach.i18n import LANGUAGES
from outreach.orgs.models import REGION_NAMES
from outreach.permissions import public

bp = Blueprint("field", __name__)

FIELD_STATIC = ROOT / "static" / "field"
PACKAGE = Path(__file__).resolve().parent
TEMPLATES = PACKAGE.parent / "templates" / "field"
TRANSLATIONS = PACKAGE.parent / "translations"
THEME_COLOUR = "#0b5f73"
# Files in static/field that the phone never loads.
NOT_SHIPPED = {".py", ".md"}
# The phone's translation calls (static/field/i18n.js), also inside template strings; babel.cfg
# and scripts/update-translations.sh extract the same calls into the catalogue.
JS_KEYWORDS = {"t": None, "N_": None}
JS_OPTIONS = {"parse_template_string": "true"}


@cache
def _msgids_in_the_code() -> frozenset[str]:
    # Extracted once per process: the shipped files change only with a deploy.
    found = extract_from_dir(
        FIELD_STATIC,
        [("**.js", "javascript")],
        options_map={"**.js": JS_OPTIONS},
        keywords=JS_KEYWORDS,
    )
    return frozenset(message for _file, _line, message, _comments, _context in found)


def phone_msgids() -> frozenset[str]:
    """Every msgid the field app shows: the t()/N_() literals of its JavaScript and the labels
    of the code lists it gets in the pull (outreach/vocabulary.py)."""
    return _msgids_in_the_code() | vocabulary.phone_msgids()


def _static_files() -> list[Path]:
    return sorted(p for p in FIELD_STATIC.rglob("*") if p.is_file() and p.suffix not in NOT_SHIPPED)


def _catalogue_urls() -> list[str]:
    urls = []
    for lang in LANGUAGES:
        urls.append(url_for("field.catalogue", lang=lang))
        urls.append(url_for("field.code_names", lang=lang))
    return urls


def precache_urls() -> list[str]:
    """Everything the app needs offline: the shell, static files and the catalogues."""
    statics = [
        url_for("static", filename=p.relative_to(ROOT / "static").as_posix())
        for p in _static_files()
    ]
    return [url_for("field.shell"), url_for("field.manifest"), *_catalogue_urls(), *statics]


def app_version() -> str:
    """A hash of everything the service worker caches: any change installs a new cache."""
    digest = hashlib.sha256()
    sources = [
        *_static_files(),
        *sorted(TEMPLATES.glob("*")),
        PACKAGE / "views.py",
        PACKAGE.parent / "vocabulary.py",  # its labels are in the catalogues
        *sorted(TRANSLATIONS.glob("*/LC_MESSAGES/messages.*")),
    ]
    for path in sources:
        if path.is_file():
            digest.update(path.as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _no_cache(response):
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.route("/field/")
@public
def shell():
    """The one page of the app; screens are drawn by static/field/app.js (hash routes)."""
    # Every module is named up front (modulepreload), so the browser fetches them at once
    # instead of one import level after another before the first screen can be drawn.
    modules = [
        url_for("static", filename=p.relative_to(ROOT / "static").as_posix())
        for p in _static_files()
        if p.suffix == ".js"
    ]
    # The catalogue of the language the app will most likely load is preloaded with the
    # modules: the first screen then waits for no round trip after the JavaScript has run.
    lang = likely_language()
    catalogues = [url_for("field.catalogue", lang=lang), url_for("field.code_names", lang=lang)]
    response = make_response(
        render_template(
            "field/shell.html", theme=THEME_COLOUR, modules=modules, catalogues=catalogues
        )
    )
    response.vary.add("Accept-Language")
    return _no_cache(response)


def likely_language() -> str:
    """The language static/field/i18n.js preferred() picks on a phone with no saved choice and
    no account yet: English when the browser's first language is English, else Danish. (A
    saved choice or the account's language can differ; the preload is then unused, and the
    app fetches its catalogue as before.)"""
    first = next(iter(request.accept_languages.values()), "")
    return "en" if first.lower().startswith("en") else "da"


@bp.route("/sw.js")
@public
def service_worker():
    body = render_template(
        "field/sw.js",
        version=app_version(),
        precache=precache_urls(),
        shell_url=url_for("field.shell"),
    )
    response = make_response(body)
    response.mimetype = "text/javascript"
    response.headers["Service-Worker-Allowed"] = "/"
    return _no_cache(response)


@bp.route("/field/manifest.webmanifest")
@public
def manifest():
    def icon(size: int, purpose: str) -> dict:
        name = f"icons/{'maskable' if purpose == 'maskable' else 'icon'}-{size}.png"
        return {
            "src": url_for("static", filename=f"field/{name}"),
            "sizes": f"{size}x{size}",
            "type": "image/png",
            "purpose": purpose,
        }

    body = {
        "id": url_for("field.shell"),
        "name": gettext("Outreach field app"),
        "short_name": "Outreach",
        "description": gettext("Visits and conversations, also without a connection."),
        "start_url": url_for("field.shell"),
        "scope": url_for("field.shell"),
        "display": "standalone",
        "orientation": "portrait",
        "background_color": "#ffffff",
        "theme_color": THEME_COLOUR,
        "icons": [icon(192, "any"), icon(512, "any"), icon(192, "maskable"), icon(512, "maskable")],
    }
    response = jsonify(body)
    response.mimetype = "application/manifest+json"
    return _no_cache(response)


def _language_or_404(lang: str) -> str:
    if lang not in LANGUAGES:
        abort(404)
    return lang


@bp.route("/field/i18n/<lang>.json")
@public
def catalogue(lang: str):
    """{msgid: translation} for every phone string, from the same catalogue as the pages."""
    with force_locale(_language_or_404(lang)):
        messages = {msgid: gettext(msgid) for msgid in sorted(phone_msgids())}
    return _no_cache(jsonify(messages))


@bp.route("/field/codes/<lang>.json")
@public
def code_names(lang: str):
    """Country, language and region names (CLDR data via Babel) for the phone's pickers."""
    locale = Locale.parse(_language_or_404(lang))
    body = {
        "countries": {c: locale.territories.get(c, c) for c in sorted(country_codes())},
        "languages": {c: locale.languages.get(c, c) for c in sorted(language_codes())},
        "regions": dict(REGION_NAMES),
    }
    return _no_cache(jsonify(body))
