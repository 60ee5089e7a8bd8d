"""/api/v1/auth: JSON login for the field app, logout, and who am I."""

from flask.views import MethodView
from flask_login import current_user, logout_user
from flask_smorest import abort
from flask_wtf.csrf import generate_csrf
from marshmallow import Schema, fields, validate

from outreach import errors
from outreach.apiutil import Blueprint, caller
from outreach.auth import services
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


class MeSchema(Schema):
    id = fields.UUID()
    email = fields.String()
    name = fields.String()
    role = fields.String()
    locale = fields.String(allow_none=True)
    organisation_id = fields.UUID()
    organisation = fields.String(attribute="organisation.name")
    regions = fields.List(fields.String(), attribute="organisation.region_slugs")
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
        " reason `account_deactivated`.",
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
        start_session(user)
        db.session.commit()
        return user


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
