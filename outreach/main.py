"""The landing page, the health checks and template helpers shared by every page."""

import functools
import logging

from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Blueprint, current_app, jsonify, redirect, url_for
from flask_babel import get_locale
from flask_login import current_user
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from outreach.db import db
from outreach.extensions import limiter
from outreach.i18n import LANGUAGES
from outreach.permissions import public
from outreach.vocabulary import template_helpers

bp = Blueprint("main", __name__)
log = logging.getLogger(__name__)

# /readyz's reasons for a 503, for a load balancer or a person to read (docs/deployment.md).
DATABASE_UNREACHABLE = "database_unreachable"
MIGRATIONS_PENDING = "migrations_pending"


@bp.route("/")
def home():
    """The start page after login: nurses work on their phones, so they go to the field app;
    everyone else to the clinic registry."""
    if not current_user.has_role("coordinator"):
        return redirect(url_for("field.shell"))
    return redirect(url_for("clinics.index"))


def _probe_answer(body: dict, status: int = 200):
    response = jsonify(body)
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"  # a cached "ready" would lie
    return response


@bp.route("/healthz")
@public
@limiter.exempt
def health():
    """Alive: the process answers requests. Touches nothing else, the database included, so a
    database outage does not make a supervisor restart healthy workers."""
    return _probe_answer({"status": "ok"})


@functools.cache
def _revisions(directory: str) -> tuple[frozenset[str], frozenset[str]]:
    """(heads, every revision) of the migrations this process was started with: read once."""
    script = ScriptDirectory(directory)
    known = frozenset(r.revision for r in script.walk_revisions())
    return frozenset(script.get_heads()), known


def _migrations_pending(current: frozenset[str]) -> bool:
    heads, known = _revisions(current_app.extensions["migrate"].directory)
    # A revision this code does not know is a newer release's migration, run just before the
    # reload (docs/deployment.md): the schema is ahead, which this release is written to
    # bear, so the old workers stay ready until they are replaced.
    return current != heads and current <= known


@bp.route("/readyz")
@public
@limiter.exempt
def ready():
    """Ready for traffic: the database answers and its schema is at the migrations' head."""
    try:
        connection = db.session.connection()
        connection.execute(text("SELECT 1"))
        current = frozenset(MigrationContext.configure(connection).get_current_heads())
    except SQLAlchemyError as error:
        db.session.rollback()
        # The error's text may name the host or the user: the type is enough here.
        log.warning("readyz: database unreachable (%s)", type(error).__name__)
        return _probe_answer({"status": "not_ready", "reason": DATABASE_UNREACHABLE}, 503)
    if _migrations_pending(current):
        return _probe_answer({"status": "not_ready", "reason": MIGRATIONS_PENDING}, 503)
    return _probe_answer({"status": "ready"})


@bp.app_context_processor
def template_globals():
    return {
        "languages": LANGUAGES,
        "user": current_user,
        "get_locale": get_locale,
        **template_helpers(),
    }
