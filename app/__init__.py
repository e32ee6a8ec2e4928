"""Application factory: extensions, the list of blueprints, error handlers and CLI commands."""
import os

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from app import db_setup  # noqa: F401  (registers connection settings)
from app import vocab
from app.auth.limits import limiter
from app.config import Config
from app.extensions import csrf, db, login_manager, migrate


def create_app(test_config: dict | None = None) -> Flask:
    """Create and configure an app; ``test_config`` overrides the environment-derived settings."""
    app = Flask(__name__, instance_path=os.environ.get("INSTANCE_PATH") or None,
                instance_relative_config=True)
    os.makedirs(app.instance_path, exist_ok=True)
    app.config.from_mapping(Config(app.instance_path).as_dict())
    if test_config:
        app.config.from_mapping(test_config)

    db.init_app(app)
    from app.jobs import queue
    queue.init_app(app)
    from app.file_modes import secure_storage
    secure_storage(app)
    migrate.init_app(app, db, render_as_batch=True, directory=os.path.join(os.path.dirname(app.root_path), "migrations"))
    csrf.init_app(app)
    limiter.init_app(app)
    if app.config["TRUSTED_PROXIES"]:
        n = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)
    login_manager.init_app(app)
    # Flask-Login's "basic" protection hashes the client's address and User-Agent on every request only to
    # mark a session not fresh, and nothing here asks for a fresh login; sessions end by the account's epoch
    # (user_loader), which every request checks.
    login_manager.session_protection = None
    from app.auth.session_cookie import SessionCookieInterface
    app.session_interface = SessionCookieInterface()  # the API blueprint wraps it (app/api/auth.py)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "请先登录"

    from app import request_input
    request_input.init_app(app)  # before the blueprints: their <int:...> rules use its converter
    _import_models()
    from app.access import guard
    guard.init_app(app)  # before the blueprints, so the policy runs ahead of their own hooks
    _register_blueprints(app)
    _register_cli(app)
    from app.errors import register_error_handlers
    register_error_handlers(app)
    from app import transaction
    transaction.init_app(app)
    from app.query import catalogue
    from app.workflow import engine, runner, services as workflow_services
    engine.configure(app.config["SPEC_CACHE_SIZE"])
    runner.configure(app.config["WORKFLOW_CACHE_SIZE"])
    workflow_services.configure()
    catalogue.configure()
    app.teardown_request(runner.release_workflows)
    from app import security_headers
    security_headers.init_app(app)
    from app.layout import fixed_url
    from app.menu import menu_html, menu_links
    from app.notices import page_messages
    from app.paging import query_fields
    from app.timeutil import local
    app.jinja_env.globals.update(menu_links=menu_links, menu_html=menu_html, fixed_url=fixed_url,
                                 page_messages=page_messages)
    app.jinja_env.filters["query_fields"] = query_fields
    app.jinja_env.filters["local"] = local
    app.jinja_env.globals.update(vocab.template_globals())
    return app


def _import_models() -> None:
    # Every model module is imported here so that metadata (and Alembic) sees all tables.
    from app.auth import models as _auth  # noqa: F401
    from app.events import models as _events  # noqa: F401
    from app.orgs import models as _orgs  # noqa: F401
    from app.workflow import models as _workflow  # noqa: F401
    from app.inbox import models as _inbox  # noqa: F401
    from app.people import models as _people  # noqa: F401
    from app.attachments import models as _attachments  # noqa: F401
    from app.sms import models as _sms  # noqa: F401
    from app.api import models as _api  # noqa: F401
    from app.checks import models as _checks  # noqa: F401
    from app.reports import models as _reports  # noqa: F401
    from app.plans import models as _plans  # noqa: F401
    from app.transfers import models as _transfers  # noqa: F401
    from app.realname import models as _realname  # noqa: F401
    from app.publicity import models as _publicity  # noqa: F401
    from app.suspensions import models as _suspensions  # noqa: F401
    from app.movebacks import models as _movebacks  # noqa: F401
    from app.jobs import models as _jobs  # noqa: F401
    from app.registry import models as _registry  # noqa: F401
    from app.deadlines import models as _deadlines  # noqa: F401
    from app.vocab import guard
    guard.install()


def _register_blueprints(app: Flask) -> None:
    from app.api.views import bp as api_bp
    from app.archive.views import bp as archive_bp
    from app.audit.views import bp as audit_bp
    from app.attachments.views import bp as attachments_bp
    from app.auth.views import bp as auth_bp
    from app.checks.views import bp as checks_bp
    from app.designer.views import bp as designer_bp
    from app.inbox.views import bp as inbox_bp
    from app.main.views import bp as main_bp
    from app.orgs.views import bp as orgs_bp
    from app.plans.views import bp as plans_bp
    from app.people.views import bp as people_bp
    from app.reports.views import bp as reports_bp
    from app.printing.views import bp as printing_bp
    from app.publicity.views import bp as publicity_bp
    from app.query.views import bp as query_bp
    from app.sms.views import bp as sms_bp
    from app.transfers.views import bp as transfers_bp
    from app.realname.views import bp as realname_bp
    from app.suspensions.views import bp as suspensions_bp
    from app.movebacks.views import bp as movebacks_bp
    from app.roster.views import bp as roster_bp
    from app.onboarding.views import bp as onboarding_bp
    from app.workflow.views import bp as workflow_bp
    from app.jobs.views import bp as jobs_bp
    from app.registry.views import bp as registry_bp
    from app.registry import projection as _registry_projection  # noqa: F401  (after the person projection)

    for bp in (main_bp, auth_bp, orgs_bp, inbox_bp, people_bp, workflow_bp, attachments_bp,
               api_bp, sms_bp, designer_bp, audit_bp, reports_bp, checks_bp, printing_bp,
               query_bp, plans_bp, archive_bp, transfers_bp, realname_bp, publicity_bp,
               suspensions_bp, movebacks_bp, jobs_bp, registry_bp, roster_bp, onboarding_bp):
        app.register_blueprint(bp)


def _register_cli(app: Flask) -> None:
    from app.cli import register
    register(app)
