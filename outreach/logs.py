"""Logging: one JSON line per request and per log record, never personal data.

A request's line holds a request id, the method, the route *template*
(`/api/v1/persons/<uuid:person_id>`, never the concrete path), the status, the duration and
the user's id: never a query string, a body, a header or a form value, since any of them may
carry an alias, a note or a phone number. This holds for every route, with no list of routes
whose query strings would be "safe" to log: deny by default with nothing allowed, since no
question about a request needs its query string (issue 11 item 5). Aliases are not sent in
URLs in the first place (suggestions take a POST body, person searches are kept server-side),
so the access log of a proxy in front does not see them either.

Other records keep their message, which the code writes with ids and counts only; an exception
keeps its type and stack frames but not its message, since a database error quotes the row it
refused (PostgreSQL's DETAIL: "Failing row contains (...)"; the statement's parameters are
hidden, see SQLALCHEMY_ENGINE_OPTIONS in config.py) and a validation error may quote the value.
"""

import json
import logging
import re
import sys
import time
import traceback
import uuid
from datetime import UTC, datetime

from flask import Flask, g, has_request_context, request

REQUEST_ID_HEADER = "X-Request-ID"
# An incoming id is kept when it looks like one (nginx's $request_id, a UUID, a trace id);
# anything else is replaced, so a client cannot write arbitrary text into the log.
_SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")
REQUEST_LOGGER = "outreach.request"
_HANDLER_MARK = "_outreach_handler"

request_log = logging.getLogger(REQUEST_LOGGER)


def _exception_frames(exc_info) -> list[str]:
    """The type and where it was raised, without the message (see the module's docstring)."""
    exc_type, _, tb = exc_info
    frames = [f"{f.filename}:{f.lineno} in {f.name}" for f in traceback.extract_tb(tb)]
    return [*frames, f"{exc_type.__module__}.{exc_type.__qualname__}"]


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ts, level, logger, msg, the request's fields when the record
    is a request line, the request id of the request it was logged in, the exception's type
    and frames."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        entry.update(getattr(record, "request", None) or {})
        if "request_id" not in entry and has_request_context() and "request_id" in g:
            entry["request_id"] = g.request_id
        if record.exc_info and record.exc_info[0] is not None:
            entry["exc_type"] = record.exc_info[0].__qualname__
            entry["exc_frames"] = _exception_frames(record.exc_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


class TextFormatter(JsonFormatter):
    """For a person at a terminal (development): the same fields, not JSON."""

    def format(self, record: logging.LogRecord) -> str:
        entry = json.loads(super().format(record))
        head = f"{entry.pop('ts')} {entry.pop('level')} {entry.pop('logger')}: {entry.pop('msg')}"
        frames = entry.pop("exc_frames", [])
        rest = " ".join(f"{key}={value}" for key, value in entry.items())
        return "\n  ".join([f"{head} {rest}".rstrip(), *frames])


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever sys.stderr is at the time (as logging.lastResort does), so a
    process that swaps stderr (pytest's capture, a daemon) never gets a closed stream."""

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, value):
        pass


def configure_logging(app: Flask) -> None:
    """The root logger's one handler (stderr), JSON unless LOG_FORMAT=text; the request log.

    Idempotent: a second app in one process (the tests) replaces the handler it installed
    and leaves any other handler (pytest's capture) alone."""
    formatter = TextFormatter() if app.config["LOG_FORMAT"] == "text" else JsonFormatter()
    handler = _StderrHandler()
    handler.setFormatter(formatter)
    setattr(handler, _HANDLER_MARK, True)
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, _HANDLER_MARK, False)]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(app.config["LOG_LEVEL"])
    # Flask's own handler would print app.logger's records a second time, unformatted.
    app.logger.handlers.clear()
    app.logger.propagate = True
    # The development server's access line carries the query string; ours replaces it.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    # /readyz asks Alembic for the schema's revision, which says so at INFO each time;
    # `flask db upgrade` sets Alembic's levels again from alembic.ini (migrations/env.py).
    logging.getLogger("alembic").setLevel(logging.WARNING)
    app.before_request(_start_request)
    app.after_request(_log_request)


def _start_request() -> None:
    incoming = request.headers.get(REQUEST_ID_HEADER, "")
    g.request_id = incoming if _SANE_REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex
    g.request_started = time.perf_counter()


def _user_id() -> str | None:
    # Only a user this request already loaded: asking Flask-Login here would read the
    # database for a static file or a health check.
    user = g.get("_login_user")
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return str(user.id)


def _log_request(response):
    started = g.get("request_started")
    if started is None:  # a before_request hook ahead of ours answered; none should
        _start_request()
        started = g.request_started
    rule = request.url_rule
    fields = {
        "request_id": g.request_id,
        "method": request.method,
        "route": rule.rule if rule is not None else None,
        "status": response.status_code,
        "duration_ms": round((time.perf_counter() - started) * 1000, 1),
        "user_id": _user_id(),
    }
    request_log.info("request", extra={"request": fields})
    response.headers[REQUEST_ID_HEADER] = g.request_id
    return response
