"""Build the Flask application: a list of named wiring steps, and no side effects on data."""

from __future__ import annotations

from flask import Flask
from flask_wtf import CSRFProtect

from monitor.compliance.engine import prepare as prepare_rules
from monitor.core import paths
from monitor.core.crypto import vault_for
from monitor.core.settings import Settings
from monitor.db.session import make_session_factory
from monitor.services.catalog import load_catalog
from monitor.web import auth, db, errors, filters, i18n, pagecache, security

csrf = CSRFProtect()


def create_app(settings: Settings | None = None) -> Flask:
    """Create the web application.

    :param settings: use these instead of reading the environment (tests pass their own).
    :raises ChecklistError: a checklist file is invalid; the message lists every problem.
    :raises ConfigError: a setting is unusable (for example no secret key in production).
    """
    settings = settings or Settings.from_env()
    app = Flask(
        "monitor",
        template_folder=str(paths.TEMPLATES),
        static_folder=str(paths.STATIC),
        instance_path=str(settings.instance_dir.resolve()),
    )
    app.config.update(
        SECRET_KEY=settings.secret_key,
        PERMANENT_SESSION_LIFETIME=settings.session_hours * 3600,
        WTF_CSRF_TIME_LIMIT=None,  # the session's own expiry bounds the token's life
        TEMPLATES_AUTO_RELOAD=not settings.is_production,
    )
    app.extensions["monitor.settings"] = settings
    _attach_database(app, settings)
    _attach_catalog(app, settings)
    _attach_vault(app, settings)
    pagecache.install(app, settings.page_cache_mb)
    i18n.register(app, settings)
    security.register(app, settings)
    csrf.init_app(app)
    filters.register(app)
    _register_blueprints(app)
    _add_ping(app)
    errors.register(app)
    return app


def _add_ping(app: Flask) -> None:
    # The benchmark's baseline: the cheapest response the stack can give (no database, no page).
    app.add_url_rule("/ping", "ping", lambda: ("ok", 200, {"Content-Type": "text/plain"}))


def _attach_database(app: Flask, settings: Settings) -> None:
    app.extensions["monitor.sessions"] = make_session_factory(settings.database_url,
                                                              deferred_checkpoints=True)
    app.after_request(db.checkpoint_after_writes)
    app.teardown_appcontext(db.close_session)
    app.before_request(auth.load_user)


def _attach_catalog(app: Flask, settings: Settings) -> None:
    # Fail at start-up rather than on the first visit that needs a broken checklist; compile
    # every checklist's rules now, so that the first submit does not wait for it.
    catalog = load_catalog(settings.checklist_dir)
    for checklist in catalog:
        prepare_rules(checklist, catalog.standards)
    app.extensions["monitor.catalog"] = catalog


def _attach_vault(app: Flask, settings: Settings) -> None:
    app.extensions["monitor.vault"] = vault_for(settings.data_keys, settings.data_key_file)


def _register_blueprints(app: Flask) -> None:
    from monitor.web.views import (
        account,
        admin,
        dashboard,
        exports,
        facilities,
        imports,
        interviews,
        paper,
        public,
        reports,
        results,
        visits,
    )

    for blueprint in (auth.bp, public.bp, dashboard.bp, facilities.bp, results.bp, visits.bp,
                      interviews.bp, paper.bp, admin.bp, exports.bp, imports.bp, reports.bp,
                      account.bp):
        app.register_blueprint(blueprint)
