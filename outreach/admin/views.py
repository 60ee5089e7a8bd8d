"""User administration inside the admin's own organisation: users, roles, sessions, and
revoking tokens (users make their own on the account page); and the organisation's audit
log, read and exported as CSV (the export is audited too).

Every user is looked up through tenancy.get_in_org_or_404, so another organisation's user
answers 404 and is never changed. Button forms carry only the CSRF token, which
access.protect_writes checks for every cookie-authenticated write.
"""

import uuid
from datetime import timedelta

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, logout_user

from outreach import csvsafe
from outreach.admin import audit_log
from outreach.admin.forms import AuditFilterForm
from outreach.audit.services import record
from outreach.auth import devices, queries, second_factor, services
from outreach.auth.access import current_session_id
from outreach.auth.forms import RoleForm, UserCreateForm
from outreach.auth.models import User
from outreach.db import db, utcnow, write_transaction
from outreach.paging import MAX_PAGE
from outreach.permissions import role_required
from outreach.tenancy import get_in_org_or_404

bp = Blueprint("admin", __name__, url_prefix="/admin")


def _actor() -> User:
    return current_user._get_current_object()


def _user_in_org(user_id: uuid.UUID) -> User:
    return get_in_org_or_404(User, user_id, current_user.organisation_id)


def _field_error(form, error: services.AccountError) -> None:
    """Show a service's refusal on the field it is about, else above the form."""
    field = getattr(form, error.field, None) if error.field else None
    if field is not None:
        field.errors = [*field.errors, str(error)]
    else:
        form.form_errors.append(str(error))


def _live_sessions(user: User):
    """The user's sessions that the idle and absolute timeouts have not ended yet."""
    now, cfg = utcnow(), current_app.config
    return queries.list_live_sessions(
        user,
        # last_seen_at is saved once per resolution, so it may lag by that much.
        seen_after=now
        - timedelta(minutes=cfg["SESSION_IDLE_MINUTES"])
        - services.SESSION_SEEN_RESOLUTION,
        created_after=now - timedelta(hours=cfg["SESSION_ABSOLUTE_HOURS"]),
    )


def _user_page(user: User, *, role_form=None, status: int = 200):
    return (
        render_template(
            "admin/user.html",
            account=user,
            role_form=role_form or RoleForm(formdata=None, role=user.role),
            # Listed to revoke, never made here: a token made by an admin would let the admin
            # act as that user (see the account page).
            tokens=queries.list_tokens(user),
            sessions=_live_sessions(user),
            devices=devices.list_devices(user),
            can_restore=devices.can_restore,
            undo_deadline=devices.undo_deadline,
            undo_days=devices.REVOCATION_UNDO_DAYS,
            current_session_id=current_session_id(),
            now=utcnow(),
            is_self=user.id == current_user.id,
            factor=second_factor.enrolled_factor(user),
            factor_required=second_factor.required(user),
        ),
        status,
    )


@bp.route("/users")
@role_required("admin")
def users():
    return render_template(
        "admin/users.html", users=queries.list_users(current_user.organisation_id)
    )


@bp.route("/users/new", methods=["GET", "POST"])
@role_required("admin")
def user_new():
    form = UserCreateForm()
    if form.validate_on_submit():
        try:
            user = services.create_user(
                current_user.organisation,
                form.email.data,
                form.password.data,
                form.role.data,
                name=form.name.data or "",
                actor=_actor(),
            )
        except services.AccountError as exc:
            _field_error(form, exc)
        else:
            db.session.commit()
            flash(_("The new user can now log in."), "success")  # no e-mail in the cookie
            return redirect(url_for("admin.user", user_id=user.id), 303)
    status = 422 if form.is_submitted() else 200
    return render_template("admin/user_new.html", form=form), status


@bp.route("/users/<uuid:user_id>")
@role_required("admin")
def user(user_id: uuid.UUID):
    return _user_page(_user_in_org(user_id))


@bp.route("/users/<uuid:user_id>/role", methods=["POST"])
@role_required("admin")
def user_role(user_id: uuid.UUID):
    account = _user_in_org(user_id)
    form = RoleForm()
    if form.validate_on_submit():
        old_role = account.role
        try:
            services.set_role(account, form.role.data, actor=_actor())
        except services.AccountError as exc:
            _field_error(form, exc)
        else:
            db.session.commit()
            if account.role != old_role:
                flash(_("The role is changed; it applies from the next login."), "success")
            return redirect(url_for("admin.user", user_id=account.id), 303)
    return _user_page(account, role_form=form, status=422)


def _set_active(user_id: uuid.UUID, active: bool, done_message: str):
    account = _user_in_org(user_id)
    try:
        services.set_active(account, active, actor=_actor())
    except services.AccountError as exc:
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash(done_message, "success")
    return redirect(url_for("admin.user", user_id=account.id), 303)


@bp.route("/users/<uuid:user_id>/deactivate", methods=["POST"])
@role_required("admin")
def user_deactivate(user_id: uuid.UUID):
    return _set_active(user_id, False, _("The user is deactivated and logged out everywhere."))


@bp.route("/users/<uuid:user_id>/reactivate", methods=["POST"])
@role_required("admin")
def user_reactivate(user_id: uuid.UUID):
    return _set_active(user_id, True, _("The user is active again and can log in."))


@bp.route("/users/<uuid:user_id>/end-sessions", methods=["POST"])
@role_required("admin")
def user_end_sessions(user_id: uuid.UUID):
    account = _user_in_org(user_id)
    services.end_all_sessions(account, actor=_actor(), reason="revoke")
    db.session.commit()
    if account.id == current_user.id:
        logout_user()  # this browser's session was one of them
        flash(_("Every session is ended, this one too. Log in again."), "info")
        return redirect(url_for("auth.login"), 303)
    flash(_("Every session of this user is ended; the next request asks for a login."), "success")
    return redirect(url_for("admin.user", user_id=account.id), 303)


@bp.route("/users/<uuid:user_id>/sessions/<uuid:session_id>/end", methods=["POST"])
@role_required("admin")
def session_end(user_id: uuid.UUID, session_id: uuid.UUID):
    account = _user_in_org(user_id)
    row = queries.find_session(account, session_id)
    if row is None:
        abort(404)
    services.end_session(row, actor=_actor())
    db.session.commit()
    if str(row.id) == current_session_id():
        logout_user()  # the admin ended the session of this very browser
        flash(_("This session is ended. Log in again."), "info")
        return redirect(url_for("auth.login"), 303)
    flash(_("The session is ended; that device asks for a login at its next request."), "success")
    return redirect(url_for("admin.user", user_id=account.id), 303)


@bp.route("/users/<uuid:user_id>/second-factor/reset", methods=["POST"])
@role_required("admin")
def user_second_factor_reset(user_id: uuid.UUID):
    """A lost phone: the user sets up a new second factor at her next login. Not one's own
    (another admin, or the operator's `reset-second-factor` command)."""
    account = _user_in_org(user_id)
    if account.id == current_user.id:
        abort(403)
    if second_factor.reset(account, actor=_actor()):
        db.session.commit()
        flash(
            _("The second factor is reset; the user sets up a new one at the next login."),
            "success",
        )
    else:
        flash(_("The user has no second factor to reset."), "info")
    return redirect(url_for("admin.user", user_id=account.id), 303)


@bp.route("/users/<uuid:user_id>/tokens/<uuid:token_id>/revoke", methods=["POST"])
@role_required("admin")
def token_revoke(user_id: uuid.UUID, token_id: uuid.UUID):
    account = _user_in_org(user_id)
    token = queries.find_token(account, token_id)
    if token is None:
        abort(404)
    services.revoke_token(token, actor=_actor())
    db.session.commit()
    flash(_("The token %(prefix)s… is revoked.", prefix=token.prefix), "success")
    return redirect(url_for("admin.user", user_id=account.id), 303)


def _device_of(account: User, device_key_id: uuid.UUID):
    device = devices.find_device(account, device_key_id)
    if device is None:
        abort(404)
    return device


@bp.route("/users/<uuid:user_id>/devices/<uuid:device_key_id>/revoke", methods=["POST"])
@role_required("admin")
def device_revoke(user_id: uuid.UUID, device_key_id: uuid.UUID):
    """A lost phone: its sessions are refused (reason device_revoked), and at its next
    connection it deletes what the server already has, keeping its unsent records."""
    account = _user_in_org(user_id)
    devices.revoke(_device_of(account, device_key_id), actor=_actor())
    db.session.commit()
    flash(
        _("The phone is revoked. At its next connection it deletes what the server already has."),
        "success",
    )
    return redirect(url_for("admin.user", user_id=account.id, _anchor="devices"), 303)


@bp.route("/users/<uuid:user_id>/devices/<uuid:device_key_id>/restore", methods=["POST"])
@role_required("admin")
def device_restore(user_id: uuid.UUID, device_key_id: uuid.UUID):
    """Undoes a revocation made by mistake, within devices.REVOCATION_UNDO_DAYS."""
    account = _user_in_org(user_id)
    device = _device_of(account, device_key_id)
    try:
        devices.restore(device, actor=_actor())
    except devices.DeviceError:
        flash(_("This revocation can no longer be undone: the phone's key is deleted."), "error")
    else:
        db.session.commit()
        flash(_("The revocation is undone: the phone works again as before."), "success")
    return redirect(url_for("admin.user", user_id=account.id, _anchor="devices"), 303)


# The audit log ------------------------------------------------------------------------------

AUDIT_PER_PAGE = 50
# The page of what an event is about, where it has one: (endpoint, its id argument).
OBJECT_PAGES = {
    "persons": ("persons.person", "person_id"),
    "conversations": ("fieldwork.conversation", "conversation_id"),
    "visits": ("fieldwork.visit", "visit_id"),
    "clinics": ("clinics.detail", "clinic_id"),
    "route_plans": ("routing.plan", "plan_id"),
    "users": ("admin.user", "user_id"),
}
# Tokens, sessions and phones have no page of their own: their owner's page lists them.
OWNER_PAGES = {"api_tokens", "user_sessions", "device_keys"}


def object_url(event) -> str | None:
    try:
        if event.object_type in OBJECT_PAGES and event.object_id:
            endpoint, argument = OBJECT_PAGES[event.object_type]
            return url_for(endpoint, **{argument: uuid.UUID(event.object_id)})
        if event.object_type in OWNER_PAGES and (event.details or {}).get("owner"):
            return url_for("admin.user", user_id=uuid.UUID(event.details["owner"]))
    except ValueError:  # not a uuid: no page
        return None
    return None


def _audit_filters():
    """The filter form and, when it is valid, the filters it gives (else None)."""
    form = AuditFilterForm(
        request.args or None, users=queries.list_users(current_user.organisation_id)
    )
    if request.args and not form.validate():
        return form, None
    return form, audit_log.AuditFilters(
        user_id=uuid.UUID(form.user.data) if form.user.data else None,
        action=form.action.data or None,
        object_type=form.object_type.data or None,
        object_id=form.object_id.data or None,
        since=form.since.data,
        until=form.until.data,
    )


def _audit_page(form, rows, total, page, status=200):
    return (
        render_template(
            "admin/audit.html",
            form=form,
            rows=rows,
            total=total,
            page=page,
            pages=-(-total // AUDIT_PER_PAGE),
            object_url=object_url,
            detail_text=audit_log.detail_text,
            csv_format=csvsafe.default_format(),
        ),
        status,
    )


@bp.route("/audit")
@role_required("admin")
def audit():
    form, filters = _audit_filters()
    if filters is None:
        return _audit_page(form, None, 0, 1, status=422)
    page = min(max(request.args.get("page", 1, type=int), 1), MAX_PAGE)  # the offset fits
    rows, total = audit_log.list_events(current_user.organisation_id, filters, page, AUDIT_PER_PAGE)
    return _audit_page(form, rows, total, page)


@bp.route("/audit/export.csv")
@role_required("admin")
def audit_export():
    """Every event the filters select, as CSV; the export is itself an audit event."""
    form, filters = _audit_filters()
    format_name = request.args.get("format") or csvsafe.default_format()
    if format_name not in csvsafe.FORMATS:
        form.form_errors.append(_("Choose the CSV format semicolon or comma."))
        filters = None
    if filters is None:
        return _audit_page(form, None, 0, 1, status=422)
    rows = audit_log.all_events(current_user.organisation_id, filters)
    content = audit_log.csv_file(rows, format_name)
    with write_transaction():  # an export leaves the system: audited, with its filters
        record(
            "audit.export",
            user=_actor(),
            object_type="audit_events",
            rows=len(rows),
            format=format_name,
            filters=form.args(),
        )
    day = utcnow().astimezone(audit_log.LOCAL_TZ).date().isoformat()
    return Response(
        content,
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="audit-log-{day}.csv"'},
    )
