"""Tự Lực: the composition root. `flask` finds create_app() here by itself."""

import os

import click
from flask import Flask
from flask_migrate import Migrate
from flask_wtf.csrf import CSRFProtect

from core import audit, i18n, proxy, uploads, urls, web
from core.auth import enforce_login, login_manager
from core.config import load_config
from core.db import configure_engine, db
from core.logs import configure_logging
from core.scheduler import scheduler_cli
from core.schema import check_schema_current
from core.security import set_security_headers
from core.submissions import answer_sent_again, remember_answer
from core.views import register_error_handlers

migrate = Migrate()
csrf = CSRFProtect()


def create_app(config: dict | None = None) -> Flask:
    instance_path = (config or {}).get("INSTANCE_PATH") or os.environ.get("TULUC_INSTANCE_PATH")
    app = Flask(__name__, instance_path=instance_path, instance_relative_config=True)
    load_config(app, config)
    configure_logging(app.config.get("LOG_LEVEL", "INFO"))
    proxy.init_app(app)  # ProxyFix, and a warning when requests do not match the setting

    db.init_app(app)
    migrate.init_app(app, db, directory="migrations", render_as_batch=True, compare_type=True)
    uploads.init_app(app)  # before CSRF, which reads the body
    csrf.init_app(app)
    login_manager.init_app(app)
    i18n.init_app(app)
    urls.init_app(app)
    audit.init_app(app)
    web.init_app(app)
    with app.app_context():
        configure_engine(db.engine, app.config["SQLITE_BUSY_TIMEOUT"])

    from accounts.cli import users_cli
    from accounts.views.blueprint import bp as accounts_bp
    from core.backup import backup_command, restore_command
    from core.views import bp as core_bp
    from demo.cli import demo_command
    from groups.views.blueprint import bp as groups_bp
    from imports.views.blueprint import bp as imports_bp
    from inbox.views import bp as inbox_bp
    from livelihoods.views.blueprint import bp as livelihoods_bp
    from plans.views import bp as plans_bp
    from reports.audit import bp as audit_bp
    from reports.export_job_views import bp as export_jobs_bp
    from reports.export_views import bp as exports_bp
    from reports.facts.cli import analytics_cli
    from reports.pages.blueprint import bp as progress_bp
    from reports.views import bp as reports_bp
    from support.views.blueprint import bp as support_bp
    from support.views.provider_common import bp as providers_bp

    for bp in (
        core_bp,
        accounts_bp,
        groups_bp,
        livelihoods_bp,
        support_bp,
        providers_bp,
        plans_bp,
        reports_bp,
        audit_bp,
        progress_bp,
        imports_bp,
        exports_bp,
        export_jobs_bp,
        inbox_bp,
    ):
        app.register_blueprint(bp)
    csrf.exempt("accounts.views.login.logout")  # it checks the token itself; see its docstring
    app.cli.add_command(users_cli)
    app.cli.add_command(demo_command)
    app.cli.add_command(scheduler_cli)
    app.cli.add_command(analytics_cli)
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)

    enforce_login(app)
    app.before_request(answer_sent_again)  # after the login check, before any view's own
    app.after_request(set_security_headers)
    app.after_request(remember_answer)
    register_error_handlers(app)

    # Serving (gunicorn, `flask run`) needs the schema at head; `flask db upgrade`,
    # `flask demo` and tests manage it themselves.
    if app.config["ENV"] == "production" and not click.get_current_context(silent=True):
        check_schema_current(app)
    return app
