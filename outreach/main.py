"""The landing page, the health check and template helpers shared by every page."""

from flask import Blueprint, redirect, url_for
from flask_babel import get_locale
from flask_login import current_user

from outreach.i18n import LANGUAGES
from outreach.permissions import public
from outreach.vocabulary import template_helpers

bp = Blueprint("main", __name__)


@bp.route("/")
def home():
    return redirect(url_for("clinics.index"))


@bp.route("/healthz")
@public
def health():
    return {"status": "ok"}


@bp.app_context_processor
def template_globals():
    return {
        "languages": LANGUAGES,
        "user": current_user,
        "get_locale": get_locale,
        **template_helpers(),
    }
