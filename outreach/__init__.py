"""Outreach: the field-visit system of a mobile health outreach team.

The application factory is the composition root: the `register_*` steps import the features
inside the function on purpose (the one kind of deferred import we keep). Every module of the
package, the kernel's too, runs this file first when it is imported; imports at the top here
would load the whole application, migrations and the scheduler included, for `import
outreach.db`, and would make every module depend on every other."""

import os
from pathlib import Path

from flask import Flask

from outreach import config as config_module
from outreach.config import ROOT


def create_app(config: dict | None = None) -> Flask:
    app = Flask(
        __name__,
        static_folder=str(ROOT / "static"),
        static_url_path="/static",
        instance_path=os.environ.get("OUTREACH_INSTANCE_PATH", str(ROOT / "instance")),
    )
    configure(app, config)
    register_logging(app)
    register_extensions(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_commands(app)
    return app


def configure(app: Flask, overrides: dict | None) -> None:
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config.update(config_module.from_environment(app.instance_path))
    if overrides:
        app.config.update(overrides)
    if "DATABASE_URL" in (overrides or {}):
        app.config["SQLALCHEMY_DATABASE_URI"] = config_module.normalise_database_url(
            overrides["DATABASE_URL"]
        )
    config_module.check(app.config)
    app.debug = False  # debug pages leak code and data; never on, even in development


def register_logging(app: Flask) -> None:
    # First, so its before_request hook runs before any that may answer (a login redirect)
    # and its after_request hook runs last, on the final response.
    from outreach import logs

    logs.configure_logging(app)


def register_extensions(app: Flask) -> None:
    # models: the schema; throttle: registers the outreach+db:// storage before the limiter
    # looks up RATELIMIT_STORAGE_URI.
    from outreach import (  # noqa: F401
        compression,
        crypto,
        geo,
        i18n,
        inputs,
        models,
        security,
        tenancy,
        throttle,
    )
    from outreach.auth import access
    from outreach.extensions import api, babel, csrf, db, limiter, login_manager, migrate

    db.init_app(app)
    migrate.init_app(
        app, db, directory=str(ROOT / "migrations"), compare_type=True, render_as_batch=True
    )
    login_manager.init_app(app)
    csrf.init_app(app)
    limiter.init_app(app)
    babel.init_app(app, locale_selector=i18n.select_locale)
    app.jinja_env.filters["translate_message"] = i18n.translate_message
    api.init_app(app, spec_kwargs={"extra_plugins": [inputs.RulesPlugin()]})
    api.ma_plugin.converter.add_attribute_function(inputs.document)
    api.spec.components.security_scheme(
        "bearerToken",
        {
            "type": "http",
            "scheme": "bearer",
            "description": "A personal API token (flask --app outreach create-token).",
        },
    )
    api.spec.components.security_scheme(
        "sessionCookie",
        {
            "type": "apiKey",
            "in": "cookie",
            "name": "session",
            "description": "Browsers: the login cookie, plus X-CSRFToken on writes.",
        },
    )
    crypto.init_app(app)  # the key ring: refuses to start without it (SECURITY.md 18)
    security.init_app(app)
    compression.init_app(app)
    access.init_app(app)
    geo.init_app(app)
    tenancy.init_app(app)


def register_blueprints(app: Flask) -> None:
    from outreach import main
    from outreach.admin import views as admin_views
    from outreach.auth import api as auth_api
    from outreach.auth import views as auth_views
    from outreach.clinics import api as clinics_api
    from outreach.clinics import views as clinics_views
    from outreach.extensions import api
    from outreach.field import views as field_views
    from outreach.fieldwork import views as fieldwork_views
    from outreach.leads import api as leads_api
    from outreach.leads import views as leads_views
    from outreach.orgs import views as settings_views
    from outreach.persons import api as persons_api
    from outreach.persons import views as persons_views
    from outreach.reports import api as reports_api
    from outreach.reports import views as reports_views
    from outreach.routing import api as routing_api
    from outreach.routing import views as routing_views
    from outreach.sms import api as sms_api
    from outreach.sms import views as sms_views
    from outreach.sync import api as sync_api
    from outreach.visits import api as visits_api

    app.register_blueprint(main.bp)
    app.register_blueprint(auth_views.bp)
    app.register_blueprint(admin_views.bp)
    app.register_blueprint(clinics_views.bp)
    app.register_blueprint(field_views.bp)
    app.register_blueprint(fieldwork_views.bp)
    app.register_blueprint(persons_views.bp)
    app.register_blueprint(settings_views.bp)
    app.register_blueprint(reports_views.bp)
    app.register_blueprint(routing_views.bp)
    app.register_blueprint(leads_views.bp)
    app.register_blueprint(sms_views.bp)
    api.register_blueprint(auth_api.blp)
    api.register_blueprint(clinics_api.blp)
    api.register_blueprint(visits_api.blp)
    api.register_blueprint(persons_api.blp)
    api.register_blueprint(sync_api.blp)
    api.register_blueprint(reports_api.blp)
    api.register_blueprint(routing_api.blp)
    api.register_blueprint(leads_api.blp)
    api.register_blueprint(sms_api.blp)


def register_errorhandlers(app: Flask) -> None:
    from outreach import errors

    errors.register(app)


def register_commands(app: Flask) -> None:
    from outreach import cli

    cli.register(app)
