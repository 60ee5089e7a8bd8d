"""Who may do what: deny by default, one role decorator, session timeouts, Bearer tokens."""

import time

from flask import current_app, flash, g, redirect, request, request_started, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from flask_smorest import abort as api_abort

from outreach import errors
from outreach.auth import queries, services
from outreach.db import write_transaction
from outreach.extensions import csrf, login_manager

UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


def clock() -> float:
    """Seconds since the epoch; tests replace it to move time."""
    return time.time()


def is_api_request() -> bool:
    return request.path.startswith("/api/")


def bearer_token() -> str | None:
    """The personal API token of this request. Tokens are for the JSON API only: pages ignore
    the header, so a leaked token never reaches the admin pages, and page forms always need
    their CSRF token."""
    if not is_api_request():
        return None
    header = request.headers.get("Authorization", "")
    if header[:7].lower() == "bearer ":
        return header[7:].strip()
    return None


SESSION_ROW_KEY = "sid"  # the cookie's UserSession id


@login_manager.user_loader
def _load_user(session_id: str):
    if bearer_token() is not None:
        return None  # a request with a token is judged by the token alone
    try:
        found = queries.load_session_user(session_id, session.get(SESSION_ROW_KEY))
    except queries.DeviceRevoked:
        g.device_revoked = True  # the 401 tells the phone to forget what the server has
        return None
    if found is None:
        return None
    user, row, device = found
    device_due = device is not None and services.device_seen_is_due(device)
    if services.session_seen_is_due(row) or device_due:
        # As a token's last use: in a transaction of its own, so that reads stay reads.
        with write_transaction():
            services.note_session_seen(row)
            if device_due:
                services.note_device_seen(device)
    return user


def current_session_id() -> str | None:
    """The id of this browser's UserSession, to mark it in the list of sessions."""
    return session.get(SESSION_ROW_KEY)


@login_manager.request_loader
def _load_user_from_token(req):
    token = bearer_token()
    if not token:
        return None
    api_token = services.live_token(token)
    if api_token is None:
        # Audited in a transaction of its own, with nothing of the value sent.
        with write_transaction():
            services.note_token_refused(token)
        return None
    if services.token_use_is_due(api_token):
        # Its last use is saved now, in a transaction of its own, before the handler runs: a
        # read never commits, and a refused write rolls back, yet both count as uses.
        with write_transaction():
            services.note_token_use(api_token)
    return api_token.user


def _session_ended() -> bool:
    """This request came with a session that no longer counts: it timed out just now, or its
    user's session version moved on (logout elsewhere, password change, deactivation)."""
    if bearer_token() is not None:
        return False  # judged by the token alone
    return g.get("session_timed_out", False) or "_user_id" in session


@login_manager.unauthorized_handler
def _unauthorized():
    if is_api_request():
        if g.get("device_revoked", False):
            api_abort(401, reason=errors.DEVICE_REVOKED)
        api_abort(401, reason=errors.SESSION_EXPIRED if _session_ended() else errors.LOGIN_REQUIRED)
    flash(_("Please log in to continue."), "info")
    return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))


def _view_flag(name: str) -> bool:
    """A flag set by @public / @csrf_exempt on a view function or a MethodView class."""
    view = current_app.view_functions.get(request.endpoint)
    view_class = getattr(view, "view_class", None)
    return bool(getattr(view, name, False) or getattr(view_class, name, False))


def _view_is_public() -> bool:
    if request.endpoint is None:
        return True  # no such route: the 404 handler answers
    if request.endpoint == "static" or request.endpoint.startswith("api-docs."):
        return True
    return _view_flag("public")


def enforce_session_timeouts():
    if "_user_id" not in session or bearer_token() is not None:
        return None
    now = clock()
    cfg = current_app.config
    login_at = session.setdefault("login_at", now)
    seen_at = session.get("seen_at", now)
    if (
        now - seen_at > cfg["SESSION_IDLE_MINUTES"] * 60
        or now - login_at > cfg["SESSION_ABSOLUTE_HOURS"] * 3600
    ):
        # A revoked phone must hear that it was revoked, not only that its session is over.
        g.device_revoked = queries.session_device_revoked(session.get(SESSION_ROW_KEY))
        logout_user()
        session.clear()
        g.session_timed_out = True  # the 401 says why; the cleared cookie no longer can
        return None
    if now - seen_at > 30:  # don't rewrite the cookie on every request
        session["seen_at"] = now
    return None


def deny_by_default():
    if _view_is_public():
        return None
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    return None


def protect_writes():
    """CSRF on every cookie-authenticated write; Bearer-token requests carry no cookie."""
    if request.method not in UNSAFE_METHODS or bearer_token() is not None:
        return
    if request.endpoint is not None and _view_flag("csrf_exempt"):
        return
    csrf.protect()


def start_session(user, device=None) -> None:
    """A fresh session at login: nothing from before survives in the cookie. `device`: the
    phone the field app's login named (auth.devices.register)."""
    locale = session.get("locale")
    session.clear()
    login_user(user)
    row = services.start_user_session(user, request.user_agent.string, device)
    session[SESSION_ROW_KEY] = str(row.id)
    now = clock()
    session["login_at"] = now
    session["seen_at"] = now
    session.permanent = True
    if locale and not user.locale:
        user.locale = locale


# What is kept in `g` for one request: the user (Flask-Login), the CSRF token (Flask-WTF), the
# locale (Flask-Babel) and this module's session_timed_out and device_revoked. A request gets
# a fresh `g` only when it pushes its own app context; one that runs inside an app context
# that is already open (a test holding one, a script using the test client) would otherwise
# be judged by an earlier request's user.
_PER_REQUEST_CACHES = (
    "_login_user",
    "csrf_token",
    "_flask_babel",
    "session_timed_out",
    "device_revoked",
)


def _forget_earlier_requests(sender, **extra) -> None:
    for name in _PER_REQUEST_CACHES:
        g.pop(name, None)


def init_app(app):
    request_started.connect(_forget_earlier_requests, app)
    app.before_request(enforce_session_timeouts)
    app.before_request(deny_by_default)
    app.before_request(protect_writes)
