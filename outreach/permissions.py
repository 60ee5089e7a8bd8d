"""Marks on views that say who may reach them: the short public allow-list, the role a view
needs, and the writes that are not cookie-authenticated. Kernel code: every feature's views use
these; the hooks that act on the marks are in auth/access.py."""

from functools import wraps

from flask import abort
from flask_login import current_user

from outreach.extensions import login_manager


def public(view):
    """Mark a view as reachable without logging in (the short allow-list)."""
    view.public = True
    return view


def role_required(minimum: str):
    """Require a logged-in user whose role is at least `minimum` (nurse < coordinator < admin)."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if not current_user.has_role(minimum):
                abort(403)
            return view(*args, **kwargs)

        wrapped.min_role = minimum
        return wrapped

    return decorator


def csrf_exempt(view):
    """Mark a write that is not cookie-authenticated (the JSON login)."""
    view.csrf_exempt = True
    return view
