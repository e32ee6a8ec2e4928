"""Flask extensions, created unbound so that create_app() can bind them to each app."""
from flask import current_app
from flask_login import LoginManager
from flask_login.utils import _create_identifier
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect as FlaskWTFCSRFProtect
from sqlalchemy.orm import DeclarativeBase

from app.auth import csrf_tokens


class Base(DeclarativeBase):
    pass


class CSRFProtect(FlaskWTFCSRFProtect):
    """Flask-WTF's CSRF protection, its signed token reused within a session (app/auth/csrf_tokens.py)."""

    def init_app(self, app):
        super().init_app(app)
        csrf_tokens.init_app(app)


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()


def _client_identifier():
    # Flask-Login hashes the client's address and User-Agent (sha512) on every request before it looks whether
    # session protection is on; it is off (create_app: the session epoch ends sessions), so the hash is made
    # only if protection is switched on again.
    if current_app.config.get("SESSION_PROTECTION", login_manager.session_protection) in ("basic", "strong"):
        return _create_identifier()
    return None


login_manager._session_identifier_generator = _client_identifier
