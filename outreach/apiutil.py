"""Helpers shared by the JSON API handlers: the blueprint, the caller, ETags and the
create-or-replace answer."""

import flask_smorest
from flask import request
from flask_login import current_user
from flask_smorest import abort
from sqlalchemy.exc import OperationalError

from outreach.db import commit_keeping_state, db
from outreach.i18n import N_
from outreach.inputs import Parser
from outreach.plausibility import warning_answer
from outreach.records import NotAllowed, PreconditionFailed, RecordNotFound


class Blueprint(flask_smorest.Blueprint):
    """Every API blueprint: its arguments go through inputs.Parser (the bounds of issue 11)."""

    ARGUMENTS_PARSER = Parser()


def caller():
    """The authenticated user (a plain object, not the proxy)."""
    return current_user._get_current_object()


def require_role(minimum: str) -> None:
    if not current_user.has_role(minimum):
        abort(403, message=f"This needs the {minimum} role.")


def if_match() -> str | None:
    return request.headers.get("If-Match")


def with_etag(obj, status: int, tag: str):
    """A handler's answer: the object (dumped by the response schema), status and ETag."""
    return obj, status, {"ETag": tag}


def found_or_404(obj):
    if obj is None:
        abort(404)
    return obj


# PostgreSQL ends one of two transactions that wait for each other (deadlock_detected), or
# one that could not be serialised; SQLite gives up waiting for its write lock ("database is
# locked", raised at BEGIN before anything is written): the whole transaction can run again.
TRANSIENT_SQLSTATES = {"40P01", "40001"}
PUT_ATTEMPTS = 3


def transient(exc: OperationalError) -> bool:
    if getattr(exc.orig, "sqlstate", None) in TRANSIENT_SQLSTATES:
        return True
    return type(exc.orig).__module__.startswith("sqlite3") and "locked" in str(exc.orig)


def put_answer(put, etag, object_id, data):
    """Run a create-or-replace service for the caller and answer per DESIGN.md §4. A
    transaction PostgreSQL ended as a deadlock victim runs again (two phones' records that
    touch the same rows, e.g. a clinic's last visit, in different orders): the phone gets its
    answer, not a 500."""
    for attempt in range(1, PUT_ATTEMPTS + 1):
        try:
            result = _put_once(put, object_id, data)
            break
        except OperationalError as exc:
            if attempt == PUT_ATTEMPTS or not transient(exc):
                raise
            db.session.rollback()
    answer = _Warned(result.obj, result.warnings) if result.warnings else result.obj
    return with_etag(answer, 201 if result.created else 200, etag(result.obj))


def _put_once(put, object_id, data):
    try:
        result = put(caller(), object_id, data, if_match())
    except RecordNotFound:
        abort(404)
    except PreconditionFailed:
        abort(412, message=N_("The record has changed since you read it; read it again."))
    except NotAllowed as exc:
        abort(403, message=str(exc))
    if result.changed:
        # Read back in the same transaction: the answer shows what the columns stored (times
        # in UTC, say), and the commit then need not expire what the answer is made from.
        db.session.refresh(result.obj)
    commit_keeping_state()
    return result


class _Warned:
    """A stored record and the warnings about it, for the response schema (its `warnings`
    field); every other attribute is the record's."""

    def __init__(self, obj, warnings: list[dict]):
        self._obj = obj
        self.warnings = [warning_answer(w) for w in warnings]

    def __getattr__(self, name):
        return getattr(self._obj, name)


PUT_RESPONSES = {
    412: "If-Match names an out-of-date ETag.",
    404: "The id belongs to another organisation.",
    422: "Invalid body, or a reference to an id that does not exist in your organisation.",
}


def document_put(blp, schema):
    """The answers every create-or-replace endpoint documents."""

    def decorator(func):
        func = blp.alt_response(201, schema=schema, description="Created.")(func)
        for code, text in PUT_RESPONSES.items():
            func = blp.alt_response(code, description=text)(func)
        return func

    return decorator
