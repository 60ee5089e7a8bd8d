"""/api/v1/auth: JSON login for the field app, logout, and who am I."""

from flask import g, request
from flask.views import MethodView
from flask_login import current_user, logout_user
from flask_smorest import abort
from flask_wtf.csrf import generate_csrf
from marshmallow import Schema, fields, validate

from outreach import errors
from outreach.apiutil import Blueprint, caller
from outreach.auth import devices, second_factor, services
from outreach.auth.access import bearer_token, start_session
from outreach.auth.views import login_limits
from outreach.db import db
from outreach.i18n import N_

blp = Blueprint(
    "auth_api",
    __name__,
    url_prefix="/api/v1/auth",
    description="Sessions for the field app (browsers); scripts use Bearer tokens.",
)


class LoginSchema(Schema):
    email = fields.String(required=True, validate=validate.Length(min=3, max=254))
    password = fields.String(required=True, validate=validate.Length(min=1, max=128))
    totp_code = fields.String(
        allow_none=True,
        validate=validate.Length(max=16),
        metadata={
            "description": "The code of the authenticator app, when the account has a second "
            "factor (a first attempt without it answers 401 `second_factor_required`)."
        },
    )
    recovery_code = fields.String(
        allow_none=True,
        validate=validate.Length(max=32),
        metadata={"description": "One of the account's one-time recovery codes, instead."},
    )
    device_id = fields.UUID(
        allow_none=True,
        metadata={
            "description": "The field app's own random id of this phone: the login registers "
            "the phone as a device of the user (registers a revoked one again, with a new "
            "recovery key) and may then fetch the phone's recovery key once, at once (POST "
            "/api/v1/auth/device-key). The sessions of a revoked device answer 401 with reason "
            "`device_revoked`."
        },
    )


class MeSchema(Schema):
    id = fields.UUID()
    email = fields.String()
    name = fields.String()
    role = fields.String()
    locale = fields.String(allow_none=True)
    organisation_id = fields.UUID()
    organisation = fields.String(attribute="organisation.name")
    regions = fields.List(fields.String(), attribute="organisation.region_slugs")
    team_phone = fields.String(
        attribute="organisation.team_phone",
        allow_none=True,
        metadata={"description": "The team's number (E.164, SMS settings): whom to call."},
    )
    csrf_token = fields.Method(
        "_csrf",
        allow_none=True,
        metadata={"description": "For the X-CSRFToken header of later writes; null with a token."},
    )

    def _csrf(self, user):
        # A Bearer-token caller needs none, and making one would start a cookie session.
        return None if bearer_token() is not None else generate_csrf()


@blp.route("/login")
class Login(MethodView):
    # Not cookie-authenticated, and a JSON body cannot be sent cross-site without CORS.
    public = True
    csrf_exempt = True
    decorators = [login_limits]

    @blp.arguments(LoginSchema)
    @blp.response(200, MeSchema)
    @blp.alt_response(
        401,
        description="Wrong email or password; with the right password of a deactivated account,"
        " reason `account_deactivated`. With the right password of an account that has a"
        " second factor: reason `second_factor_required` when no code was sent (send the same"
        " body again with `totp_code` or `recovery_code`; this does not count as a failed"
        " attempt), `second_factor_wrong` when the code was wrong or used already, and"
        " `second_factor_enrolment_required` when the account must set one up first (in a"
        " browser, at /login).",
    )
    def post(self, data):
        """Log in; answers the user and the CSRF token for later writes."""
        try:
            user = services.authenticate(data["email"], data["password"])
        except services.AccountDeactivated:
            db.session.commit()  # keeps the audit event of the failure
            abort(401, message=services.DEACTIVATED, reason=errors.ACCOUNT_DEACTIVATED)
        db.session.commit()
        if user is None:
            abort(401, message=N_("The email or the password is wrong."))
        method = None
        if second_factor.required(user) or second_factor.is_enrolled(user):
            method = _second_step(user, data.get("totp_code"), data.get("recovery_code"))
        device = None
        if data.get("device_id"):
            device = devices.register(user, data["device_id"], request.user_agent.string)
        start_session(user, device)
        services.complete_login(user, method)
        if device is not None:
            devices.grant(data["device_id"])
        db.session.commit()
        return user


def _second_step(user, totp_code: str | None, recovery_code: str | None) -> str:
    """The second factor of a JSON login (SECURITY.md 5); aborts with the reason the phone
    acts on."""
    if not second_factor.is_enrolled(user):
        g.second_step_asked = True
        abort(
            401,
            message=N_(
                "Your account needs a second factor. Set it up in a browser first: log in at"
                " the web address of Outreach."
            ),
            reason=errors.SECOND_FACTOR_ENROLMENT_REQUIRED,
        )
    if not (totp_code or "").strip() and not (recovery_code or "").strip():
        g.second_step_asked = True
        abort(
            401,
            message=N_("Give the code from your authenticator app."),
            reason=errors.SECOND_FACTOR_REQUIRED,
        )
    try:
        return second_factor.verify(user, totp_code, recovery_code)
    except second_factor.SecondFactorRefused:
        db.session.commit()  # keeps the audit event of the failure
        abort(
            401,
            message=N_("The code is wrong or was used already."),
            reason=errors.SECOND_FACTOR_WRONG,
        )


class DeviceKeyRequestSchema(Schema):
    device_id = fields.UUID(required=True)


class DeviceKeySchema(Schema):
    device_id = fields.UUID()
    recovery_key = fields.String(
        metadata={"description": "Base64 of 32 random bytes: the phone wraps its data key in it."}
    )


@blp.route("/device-key")
class DeviceKeyResource(MethodView):
    @blp.arguments(DeviceKeyRequestSchema)
    @blp.response(200, DeviceKeySchema)
    @blp.alt_response(
        403,
        description="Reason `fresh_login_required`: the key is handed out once per login of the"
        " JSON API that named this device_id, within five minutes of it.",
    )
    def post(self, data):
        """The recovery key of the caller's phone (made on first use), after a fresh login."""
        try:
            key = devices.hand_out(caller(), data["device_id"])
        except devices.NotFresh:
            db.session.rollback()
            abort(
                403,
                message=N_("Log in on this phone again to unlock its data."),
                reason=errors.FRESH_LOGIN_REQUIRED,
            )
        db.session.commit()
        return {"device_id": data["device_id"], "recovery_key": key}


@blp.route("/logout")
class Logout(MethodView):
    @blp.response(204)
    def post(self):
        """Log out and end every session of this user."""
        services.end_all_sessions(caller())
        db.session.commit()
        logout_user()


@blp.route("/me")
class Me(MethodView):
    @blp.response(200, MeSchema)
    def get(self):
        """The logged-in user, with a fresh CSRF token."""
        return current_user._get_current_object()
