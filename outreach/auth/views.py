"""Login, logout, language and the user's own account pages."""

import textwrap
import uuid
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, logout_user

from outreach.auth import access, devices, queries, second_factor, services
from outreach.auth.access import start_session
from outreach.auth.forms import LoginForm, PasswordChangeForm, SecondFactorForm, TokenCreateForm
from outreach.db import db, utcnow, write_transaction
from outreach.extensions import limiter
from outreach.i18n import LANGUAGES
from outreach.permissions import public

bp = Blueprint("auth", __name__)


def _end_browser_session() -> None:
    """Forget the login in this browser's cookie; only the chosen language survives."""
    logout_user()
    locale = session.get("locale")
    session.clear()
    if locale:
        session["locale"] = locale


def _safe_next(target: str | None, default: str | None = None) -> str:
    """Only same-site paths: never an open redirect."""
    # Browsers read "/\\evil.example" as "//evil.example" and drop tabs and newlines inside
    # URLs ("/\t/evil.example"), so a backslash or a control character is refused outright.
    if (
        target
        and target.startswith("/")
        and not target.startswith("//")
        and not any(c == "\\" or ord(c) < 32 or ord(c) == 127 for c in target)
    ):
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc:
            return target
    return default or url_for("main.home")


def _landing(user) -> str:
    """Where a login without a `next` page leads: an admin to the users."""
    if user.role == "admin":
        return url_for("admin.users")
    return url_for("main.home")


def _after_login(user) -> str:
    return _safe_next(request.args.get("next"), _landing(user))


def login_email() -> str:
    """The account a login attempt is for, from the form or the JSON body."""
    if request.is_json:
        data = request.get_json(silent=True)
        email = data.get("email", "") if isinstance(data, dict) else ""
        return queries.normalise_email(str(email))
    return queries.normalise_email(request.form.get("email", ""))


def counts_when_refused(status: int):
    """A limit's deduct_when: the request is an attempt to count when it answered `status`.

    The count is written on the throttle store's own connection (outreach/throttle.py), after
    the response is made. A refused attempt keeps nothing uncommitted, so its transaction
    ends here first: on SQLite a writing request holds the write lock until it ends, and the
    count would wait for it."""

    def refused(response) -> bool:
        # A right password that is asked for its second step is no failed attempt.
        if response.status_code != status or g.get("second_step_asked"):
            return False
        db.session.rollback()
        return True

    return refused


# One counter per account and one per address, shared by every way of trying a password:
# the login page, the JSON login and the current-password check of the account page. A
# shared limit's scope names the counter, so the endpoints add up instead of each giving its
# own allowance (issue 11 item 6). The counts live in RATELIMIT_STORAGE_URI: the database by
# default, shared by every process; redis://... when configured (docs/security.md).
ACCOUNT_SCOPE = "password-guess-account"
ADDRESS_SCOPE = "password-guess-address"


def _login_rate():
    return current_app.config["LOGIN_RATE_LIMIT"]


def password_limits(account_key, *, refused_status: int):
    """The two shared counters on a view where a password is tried for `account_key()`;
    an attempt counts when the view answers `refused_status`."""
    refused = counts_when_refused(refused_status)

    def decorate(view):
        view = limiter.shared_limit(
            _login_rate, ADDRESS_SCOPE, methods=["POST"], deduct_when=refused
        )(view)
        view = limiter.shared_limit(
            _login_rate,
            ACCOUNT_SCOPE,
            methods=["POST"],
            key_func=lambda: "login-account:" + account_key(),
            deduct_when=refused,
        )(view)
        return view

    return decorate


# Failed attempts are throttled per IP and per account (SECURITY.md 3).
login_limits = password_limits(login_email, refused_status=401)


# --- the second step (SECURITY.md 5) ---------------------------------------------------------
# After the right password of an account with (or in need of) a second factor, the cookie
# holds only the user's id, her session version and the time: no session starts until the
# code is given (or, for an account that must have a factor and has none, until one is set
# up). The state lasts SECOND_STEP_SECONDS.
SECOND_STEP_KEY = "second_step"
SECOND_STEP_SECONDS = 300


def _next_args() -> dict:
    target = request.args.get("next")
    return {"next": target} if target else {}


def _begin_second_step(user):
    locale = session.get("locale")
    session.clear()
    if locale:
        session["locale"] = locale
    session[SECOND_STEP_KEY] = {
        "user": str(user.id),
        "version": user.session_version,
        "at": access.clock(),
    }
    if second_factor.is_enrolled(user):
        return redirect(url_for("auth.login_code", **_next_args()))
    return redirect(url_for("auth.enrol", **_next_args()))


def second_step_user():
    """The user who gave her password a moment ago and is asked for her second factor."""
    state = session.get(SECOND_STEP_KEY)
    if not isinstance(state, dict) or not isinstance(state.get("at"), int | float):
        return None
    if not 0 <= access.clock() - state["at"] <= SECOND_STEP_SECONDS:
        return None
    user = queries.find_user_by_id(state.get("user"))
    if user is None or not user.active or user.session_version != state.get("version"):
        return None
    return user


def _second_step_email() -> str:
    user = second_step_user()
    return queries.normalise_email(user.email) if user is not None else ""


def _needs_second_step(user) -> bool:
    return second_factor.required(user) or second_factor.is_enrolled(user)


def _finish_login(user, method: str | None):
    start_session(user)
    services.complete_login(user, method)
    db.session.commit()


@bp.route("/login", methods=["GET", "POST"])
@public
@login_limits
def login():
    if current_user.is_authenticated and request.method == "GET":
        return redirect(_after_login(current_user))
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = services.authenticate(form.email.data, form.password.data)
        except services.AccountDeactivated as exc:
            db.session.commit()  # keeps the audit event of the failure
            form.form_errors.append(str(exc))
            return render_template("auth/login.html", form=form), 401
        if user is not None:
            if _needs_second_step(user):
                db.session.commit()
                return _begin_second_step(user)
            _finish_login(user, None)
            return redirect(_after_login(user))
        db.session.commit()  # keeps the audit event of the failure
        form.password.errors.append(_("The email or the password is wrong."))
        return render_template("auth/login.html", form=form), 401
    return render_template("auth/login.html", form=form)


def _ask_to_log_in_again():
    """Back to the password: the second step ran out (or ended), or never began."""
    if session.pop(SECOND_STEP_KEY, None) is not None:
        flash(_("Log in again: the time for the code ran out."), "info")
    return redirect(url_for("auth.login", **_next_args()))


@bp.route("/login/code", methods=["GET", "POST"])
@public
@password_limits(_second_step_email, refused_status=401)
def login_code():
    """The second step: a code from the authenticator app, or one of the recovery codes."""
    user = second_step_user()
    if user is None:
        return _ask_to_log_in_again()
    if not second_factor.is_enrolled(user):
        return redirect(url_for("auth.enrol", **_next_args()))
    form = SecondFactorForm()
    if form.validate_on_submit():
        try:
            method = second_factor.verify(user, form.code.data)
        except second_factor.SecondFactorRefused:
            db.session.commit()  # keeps the audit event of the failure
            form.code.errors.append(_("The code is wrong or was used already."))
            return render_template("auth/login_code.html", form=form), 401
        _finish_login(user, method)
        if method == "recovery_code":
            left = len(second_factor.unused_recovery_codes(user))
            flash(
                _(
                    "You logged in with a recovery code; %(count)d are left. If your phone is"
                    " lost, ask an admin to reset your second factor.",
                    count=left,
                ),
                "info",
            )
        return redirect(_after_login(user))
    status = 422 if form.is_submitted() else 200
    return render_template("auth/login_code.html", form=form), status


def _enrolling_user():
    """(user, during_login): a logged-in user setting up a factor from her account page, or
    one who gave her password and must set one up before anything else."""
    if current_user.is_authenticated:
        return current_user._get_current_object(), False
    return second_step_user(), True


def _enrolling_email() -> str:
    user, _during_login = _enrolling_user()
    return queries.normalise_email(user.email) if user is not None else ""


@bp.route("/login/second-factor", methods=["GET", "POST"])
@public
# Guesses at the first code count with the password guesses for the account.
@password_limits(_enrolling_email, refused_status=422)
def enrol():
    """Set up the second factor: a QR code and the secret as text; a first code finishes it
    and the recovery codes are shown, once."""
    user, during_login = _enrolling_user()
    if user is None:
        return _ask_to_log_in_again()
    if second_factor.is_enrolled(user):
        if during_login:
            return redirect(url_for("auth.login_code", **_next_args()))
        flash(_("Your second factor is set up already."), "info")
        return redirect(url_for("auth.account"))
    if second_factor.factor_of(user) is None:
        # A GET that writes: in a transaction of its own (docs/architecture.md).
        with write_transaction():
            second_factor.begin_enrolment(user)
    factor = second_factor.factor_of(user)
    form = SecondFactorForm()
    if form.validate_on_submit():
        try:
            codes = second_factor.confirm_enrolment(user, form.code.data)
        except second_factor.SecondFactorRefused:
            db.session.commit()  # keeps the audit event of the failure
            form.code.errors.append(
                _("The code does not match. Check the phone's time and type the newest code.")
            )
        else:
            if during_login:
                _finish_login(user, "enrolment")
            else:
                db.session.commit()
            # Rendered, not redirected: the codes must never travel in a cookie or a URL.
            return render_template(
                "auth/recovery_codes.html",
                codes=codes,
                continue_url=_after_login(user) if during_login else url_for("auth.account"),
            )
    status = 422 if form.is_submitted() else 200
    return (
        render_template(
            "auth/enrol.html",
            form=form,
            during_login=during_login,
            # In groups of four, as authenticator apps accept it: easier to type, and the
            # line can wrap on a phone.
            secret=" ".join(textwrap.wrap(second_factor.secret_of(factor), 4)),
            qr_url=url_for("auth.enrol_qr"),
        ),
        status,
    )


@bp.route("/login/second-factor/qr.svg")
@public
def enrol_qr():
    """The QR code of the authenticator being set up, as an SVG image (no script, no style)."""
    user, _during_login = _enrolling_user()
    factor = second_factor.factor_of(user) if user is not None else None
    if factor is None or factor.enrolled_at is not None:
        abort(404)
    svg = second_factor.qr_svg(second_factor.provisioning_uri(user, factor))
    response = Response(svg, mimetype="image/svg+xml")
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/logout", methods=["POST"])
def logout():
    services.end_all_sessions(current_user._get_current_object())
    db.session.commit()
    _end_browser_session()
    flash(_("You are logged out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/language", methods=["POST"])
@public
def set_language():
    lang = request.form.get("lang", "")
    if lang not in LANGUAGES:
        abort(400)
    session["locale"] = lang
    if current_user.is_authenticated:
        services.set_locale(current_user._get_current_object(), lang)
        db.session.commit()
    return redirect(_safe_next(request.form.get("next")))


@bp.route("/account", methods=["GET", "POST"])
# The current password is asked again here: a borrowed session must not guess it freely, and
# its guesses count with the logins' for the same account.
@password_limits(lambda: queries.normalise_email(current_user.email), refused_status=422)
def account():
    form = PasswordChangeForm()
    if form.validate_on_submit():
        try:
            services.change_password(
                current_user._get_current_object(), form.current.data, form.new.data
            )
        except services.AccountError as exc:
            field = form.new if exc.field == "new" else form.current
            field.errors = [*field.errors, str(exc)]
        else:
            db.session.commit()
            _end_browser_session()
            flash(_("Password changed. Log in again with the new password."), "success")
            return redirect(url_for("auth.login"), 303)
    status = 422 if form.is_submitted() else 200
    return _account_page(form=form, status=status)


def _account_page(*, form=None, token_form=None, status: int = 200):
    user = current_user._get_current_object()
    return (
        render_template(
            "auth/account.html",
            form=form or PasswordChangeForm(formdata=None),
            token_form=token_form or TokenCreateForm(formdata=None),
            tokens=queries.list_tokens(user),
            devices=devices.list_devices(user),
            factor=second_factor.enrolled_factor(user),
            factor_required=second_factor.required(user),
            recovery_codes_left=len(second_factor.unused_recovery_codes(user)),
            now=utcnow(),
        ),
        status,
    )


@bp.route("/account/tokens", methods=["POST"])
def token_create():
    """A user makes her own tokens; nobody else can (an admin's token would be hers)."""
    user = current_user._get_current_object()
    form = TokenCreateForm()
    if form.validate_on_submit():
        try:
            token, plain = services.create_token(
                user, form.name.data, expires_days=form.expires_days.data
            )
        except services.AccountError as exc:
            target = getattr(form, exc.field or "", None)
            if target is not None:
                target.errors = [*target.errors, str(exc)]
            else:
                form.form_errors.append(str(exc))
        else:
            db.session.commit()
            # Rendered, not redirected: the plain token must never travel in a cookie or a URL.
            return render_template(
                "auth/token_created.html", account=user, token=token, plain=plain
            )
    return _account_page(token_form=form, status=422)


@bp.route("/account/tokens/<uuid:token_id>/revoke", methods=["POST"])
def token_revoke(token_id: uuid.UUID):
    user = current_user._get_current_object()
    token = queries.find_token(user, token_id)
    if token is None:
        abort(404)
    services.revoke_token(token, actor=user)
    db.session.commit()
    flash(_("The token %(prefix)s… is revoked.", prefix=token.prefix), "success")
    return redirect(url_for("auth.account"), 303)


@bp.route("/account/devices/<uuid:device_key_id>/revoke", methods=["POST"])
def device_revoke(device_key_id: uuid.UUID):
    """A user revokes one of her own phones (a lost one); an admin can undo it."""
    user = current_user._get_current_object()
    device = devices.find_device(user, device_key_id)
    if device is None:
        abort(404)
    devices.revoke(device, actor=user)
    db.session.commit()
    flash(
        _("The phone is revoked. At its next connection it deletes what the server already has."),
        "success",
    )
    return redirect(url_for("auth.account", _anchor="devices"), 303)
