"""One JSON error envelope for the API; plain, generic HTML error pages elsewhere."""

import uuid

from flask import current_app, jsonify, render_template, request
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from marshmallow import Schema, fields
from werkzeug.exceptions import HTTPException, InternalServerError

from outreach.audit.services import record
from outreach.db import db, write_transaction
from outreach.i18n import N_, translate_message
from outreach.inputs import NOT_TEXT, UNENCODABLE, Integer
from outreach.tenancy import owner_of_row

# The envelope's machine-readable `reason` (DESIGN.md §4), where a client must act differently
# from what the status code alone says.
CSRF = "csrf"  # a fresh token from GET /api/v1/auth/me, then the same request again
SESSION_EXPIRED = "session_expired"  # a session ended (timeout, logout elsewhere): log in again
LOGIN_REQUIRED = "login_required"  # no session or no valid token was sent at all
# The session was made on a phone that its user or an admin revoked (a lost phone): the phone
# forgets what the server already has, keeps its unsent records, and asks for a new login.
DEVICE_REVOKED = "device_revoked"
# The right password of an account an admin has deactivated: logging in again will not help.
ACCOUNT_DEACTIVATED = "account_deactivated"
# The JSON login's second step (SECURITY.md 5): the password was right and the account needs
# a code (send it with the password again); the code sent was wrong or used already; or the
# account has no second factor yet and must set one up in a browser first.
SECOND_FACTOR_REQUIRED = "second_factor_required"
SECOND_FACTOR_WRONG = "second_factor_wrong"
SECOND_FACTOR_ENROLMENT_REQUIRED = "second_factor_enrolment_required"
# A phone's recovery key is handed out only just after a full login on that phone (403).
FRESH_LOGIN_REQUIRED = "fresh_login_required"
REASONS = (
    CSRF,
    SESSION_EXPIRED,
    LOGIN_REQUIRED,
    DEVICE_REVOKED,
    ACCOUNT_DEACTIVATED,
    SECOND_FACTOR_REQUIRED,
    SECOND_FACTOR_WRONG,
    SECOND_FACTOR_ENROLMENT_REQUIRED,
    FRESH_LOGIN_REQUIRED,
)
# A 422 lists this many field messages and counts the rest: a body of 400,000 bad items must
# not answer 60 MB.
MAX_ERRORS = 50


class ErrorSchema(Schema):
    """The error envelope, for the OpenAPI document (handle_http_exception builds it)."""

    code = Integer(required=True, metadata={"description": "The HTTP status code."})
    message = fields.String(required=True, metadata={"description": "For people to read."})
    errors = fields.Dict(
        keys=fields.String(),
        metadata={"description": 'Messages per field: {"field": ["message", ...]} (422).'},
    )
    reason = fields.String(
        metadata={
            "enum": list(REASONS),
            "description": "What the client should do about it: on every 401, on a "
            "refused CSRF token (400), and on a recovery key asked for without a fresh login "
            "(403).",
        }
    )


class FieldErrors(Exception):
    """Validation failed in a service: {"field": ["message", ...]} answered as 422."""

    def __init__(self, errors: dict[str, list[str]]):
        super().__init__(errors)
        self.errors = errors


def _flatten_webargs(errors: dict) -> dict:
    # webargs nests messages by location ({"json": {...}, "query": {...}}); the API contract
    # is one flat {"field": [...]} object, and a schema-level error is "_schema".
    flat: dict = {}
    for location, messages in errors.items():
        if isinstance(messages, dict):
            for field, value in messages.items():
                flat[field] = value
        else:
            flat[location] = messages
    return flat


def capped(errors: dict) -> dict:
    """The first MAX_ERRORS messages of {"field": [...] or {nested}}, and how many more."""
    budget, dropped = MAX_ERRORS, 0

    def keep(node):
        nonlocal budget, dropped
        if isinstance(node, dict):
            kept = {key: value for key, value in ((k, keep(v)) for k, v in node.items()) if value}
            return kept or None
        if budget > 0:
            budget -= 1
            return node
        dropped += 1
        return None

    kept = keep(errors) or {}
    if dropped:
        kept["_truncated"] = [f"{dropped} more errors not listed."]
    return kept


def _is_unparseable_json(errors) -> bool:
    return isinstance(errors, dict) and set(errors) == {"json"} and isinstance(errors["json"], list)


def error_envelope(
    code: int, message: str, errors: dict | None = None, headers=None, reason: str | None = None
):
    body = {"code": code, "message": message}
    if errors:
        body["errors"] = errors
    if reason:
        body["reason"] = reason
    response = jsonify(body)
    response.status_code = code
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def _wants_json() -> bool:
    return request.path.startswith("/api/")


# The id arguments of the app's URLs and the tables their ids name. A 404 for an id that
# another organisation owns is a refused access like a 403 (tests/audit/test_one_event_each.py
# keeps this list complete).
URL_ID_TABLES = dict(  # pairs, not a dict display: bandit reads "token_id" as a password
    [
        ("person_id", "persons"),
        ("other_id", "persons"),
        ("conversation_id", "conversations"),
        ("merge_id", "person_merges"),
        ("visit_id", "visits"),
        ("clinic_id", "clinics"),
        ("lead_id", "leads"),
        ("plan_id", "route_plans"),
        ("user_id", "users"),
        ("token_id", "api_tokens"),
        ("session_id", "user_sessions"),
        ("device_key_id", "device_keys"),
        ("contact_id", "sms_contacts"),
    ]
)


def _foreign_table(user) -> str | None:
    """The table of an id in the URL that another organisation owns, if any."""
    for name, value in (request.view_args or {}).items():
        table = URL_ID_TABLES.get(name)
        if table and isinstance(value, uuid.UUID):
            owner = owner_of_row(table, value)
            if owner is not None and owner != user.organisation_id:
                return table
    return None


def _audit_denial(error: HTTPException) -> None:
    """Every refused access by a logged-in user (a 403, or a 404 for another organisation's
    record), and every refused CSRF token, is audited (SECURITY.md 20): the route and the
    method, nothing of what was sent."""
    refused_csrf = isinstance(error, CSRFError)
    if not refused_csrf and error.code not in (403, 404):
        return
    user = current_user._get_current_object() if current_user.is_authenticated else None
    if user is None and not refused_csrf:
        return
    details = {}
    if error.code == 404:
        with db.session.no_autoflush:
            foreign = _foreign_table(user)
        if foreign is None:
            return  # not found anywhere, or found in the caller's own organisation
        details = {"reason": "other_organisation", "table": foreign}
    db.session.rollback()  # nothing the refused request began may be kept
    with write_transaction():  # a refused GET writes too
        record(
            "csrf.refused" if refused_csrf else "access.denied",
            user=user,
            endpoint=request.endpoint,
            method=request.method,
            **details,
        )


def handle_http_exception(error: HTTPException):
    _audit_denial(error)
    if _wants_json():
        code = error.code
        data = getattr(error, "data", None) or {}
        errors = data.get("errors") or data.get("messages")
        message = data.get("message") or error.description or error.name
        if code == 400 and _is_unparseable_json(errors):
            # webargs answers a body that is not JSON at all with 400; DESIGN.md §4 makes
            # every invalid body a 422 with field errors, so the phone handles one case.
            code, errors = 422, {"_schema": list(errors["json"])}
            message = N_("The request body is not valid JSON.")
        elif errors and code == 422:
            errors = capped(_flatten_webargs(errors))
        if code == 422 and "message" not in data:
            message = N_("The request has invalid fields.")  # not werkzeug's wording
        # A 401 that names no reason of its own (the JSON login's wrong password, and any
        # later one) means the same to every client: log in.
        reason = data.get("reason") or (LOGIN_REQUIRED if code == 401 else None)
        if isinstance(error, CSRFError):
            reason = CSRF
            # Untranslated on purpose: field apps cached before `reason` existed match the text.
            message = "The CSRF token is missing or invalid; send it in the X-CSRFToken header."
        else:
            message, errors = translate_message(message), translate_message(errors)
        headers = data.get("headers") or {}
        for key, value in error.get_headers():
            # Allow on 405, Retry-After on 429/503, WWW-Authenticate: the envelope keeps them.
            if key.lower() != "content-type":
                headers.setdefault(key, value)
        if code == 401:
            headers.setdefault("WWW-Authenticate", 'Bearer realm="outreach"')
        return error_envelope(code, message, errors, headers, reason)
    return render_template("error.html", code=error.code, error=error), error.code


def handle_field_errors(error: FieldErrors):
    if _wants_json():
        return error_envelope(
            422,
            translate_message(N_("The request has invalid fields.")),
            translate_message(capped(error.errors)),
        )
    messages = sorted({m for ms in capped(error.errors).values() for m in ms if isinstance(m, str)})
    return render_template(
        "error.html", code=422, error=None, messages=translate_message(messages)
    ), 422


FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def refuse_unstorable_text():
    """Before every request: a query or form value (or its name) with a NUL byte or a lone
    surrogate, which no database stores (PostgreSQL refuses NUL in text), is refused with 422
    before any view sees it, on every page and form, as the API's parser refuses it in JSON
    (inputs.raw_value_error); never a 500 from the database."""
    values = list(request.args.items(multi=True))
    if request.mimetype in FORM_TYPES:
        values += list(request.form.items(multi=True))
    for name, value in values:
        if UNENCODABLE.search(name) or UNENCODABLE.search(value):
            field = "_form" if UNENCODABLE.search(name) else name
            raise FieldErrors({field: [NOT_TEXT]})


def handle_unexpected(error: Exception):
    # Never a stack trace to the client; the log keeps it (outreach/logs.py drops the
    # exception's message, which may quote personal data). The route template, not the path.
    rule = request.url_rule.rule if request.url_rule is not None else None
    current_app.logger.exception("Unhandled error on %s %s", request.method, rule)
    # The error may have left the session's transaction failed; nothing it began is kept, and
    # the answer (and the after-request hooks that ask who is logged in) read afresh.
    db.session.rollback()
    return handle_http_exception(InternalServerError())


def error_title(code: int) -> str:
    titles = {
        400: _("The request could not be understood."),
        401: _("Please log in."),
        403: _("You do not have access to this page."),
        404: _("The page was not found."),
        405: _("This action is not allowed here."),
        413: _("The upload is too large."),
        422: _("Some fields are not valid."),
        429: _("Too many attempts. Wait a minute and try again."),
    }
    return titles.get(code, _("Something went wrong. Try again later."))


def register(app):
    app.before_request(refuse_unstorable_text)
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(FieldErrors, handle_field_errors)
    app.register_error_handler(Exception, handle_unexpected)
    app.jinja_env.globals["error_title"] = error_title
