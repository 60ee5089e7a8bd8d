"""Helpers shared by the JSON API handlers: ETag headers and the caller's user object."""

from flask import abort, request
from flask_login import current_user


def caller():
    """The authenticated user (a plain object, not the proxy)."""
    return current_user._get_current_object()


def require_role(minimum: str) -> None:
    if not current_user.has_role(minimum):
        abort(403)


def if_match() -> str | None:
    return request.headers.get("If-Match")


def with_etag(obj, status: int, tag: str):
    """A handler's answer: the object (dumped by the response schema), status and ETag."""
    return obj, status, {"ETag": tag}
