"""Security headers (Flask-Talisman) and no caching of authenticated answers."""

from urllib.parse import urlsplit

from flask_login import current_user

from outreach.extensions import talisman


def content_security_policy(app) -> dict:
    tiles = urlsplit(app.config["MAP_TILE_URL"].replace("{s}", "a"))
    tile_origin = f"{tiles.scheme}://{tiles.netloc}" if tiles.netloc else None
    img = ["'self'", "data:"] + ([tile_origin] if tile_origin else [])
    return {
        "default-src": "'self'",
        "script-src": "'self'",
        "style-src": "'self'",
        "img-src": img,
        "connect-src": "'self'",
        "font-src": "'self'",
        "object-src": "'none'",
        "base-uri": "'self'",
        "form-action": "'self'",
        "frame-ancestors": "'none'",
        "manifest-src": "'self'",
        "worker-src": "'self'",
    }


# An authenticated answer a view lets the browser keep (never a shared cache) but never show
# without asking the server again: an image from its own URL with an ETag (the report charts).
PRIVATE_REVALIDATE = "private, no-cache"


def _no_store_when_authenticated(response):
    kept = response.headers.get("Cache-Control") == PRIVATE_REVALIDATE
    if current_user and current_user.is_authenticated and not kept:
        response.headers["Cache-Control"] = "no-store"
    return response


def init_app(app):
    talisman.init_app(
        app,
        force_https=app.config["FORCE_HTTPS"],
        strict_transport_security=True,
        session_cookie_secure=app.config["SESSION_COOKIE_SECURE"],
        content_security_policy=content_security_policy(app),
        referrer_policy="no-referrer",
        frame_options="DENY",
        permissions_policy={"geolocation": "(self)", "camera": "()", "microphone": "()"},
    )
    app.after_request(_no_store_when_authenticated)
