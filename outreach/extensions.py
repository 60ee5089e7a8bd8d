"""Flask extensions, created unbound here and bound to the app in create_app."""

from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_smorest import Api
from flask_talisman import Talisman
from flask_wtf import CSRFProtect

from outreach.db import db
from outreach.errors import ErrorSchema


class OutreachApi(Api):
    """flask-smorest's Api without its app-wide HTTPException handler: errors.py owns that,
    and its envelope is the one documented."""

    ERROR_SCHEMA = ErrorSchema

    def _register_error_handlers(self):
        pass


login_manager = LoginManager()
migrate = Migrate()
csrf = CSRFProtect()
babel = Babel()
limiter = Limiter(key_func=get_remote_address, default_limits=[])
talisman = Talisman()
api = OutreachApi()

__all__ = ["api", "babel", "csrf", "db", "limiter", "login_manager", "migrate", "talisman"]
