"""User administration inside the admin's own organisation."""

from flask import Blueprint, render_template
from flask_login import current_user
from sqlalchemy import select

from outreach.auth.access import role_required
from outreach.auth.models import User
from outreach.db import db
from outreach.tenancy import tenant_select

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.route("/users")
@role_required("admin")
def users():
    rows = db.session.scalars(
        tenant_select(User, current_user.organisation_id).order_by(User.email)
    ).all()
    return render_template("admin/users.html", users=rows)


__all__ = ["bp", "select"]
