"""The back office: create_app builds one configured application."""

from __future__ import annotations

from typing import Any

from flask import Flask


def create_app(profile: str | None = None, **overrides: Any) -> Flask:
    from admin_app import admin, auth, cli, config, i18n, views
    from admin_app.database import include_object
    from admin_app.extensions import db, limiter, migrate

    app = Flask(__name__, instance_relative_config=True)
    config.load(app, profile, overrides)
    db.init_app(app)
    migrate.init_app(app, db, directory=config.MIGRATIONS_DIR, render_as_batch=True, include_object=include_object)
    limiter.init_app(app)
    auth.init_app(app)
    i18n.init_app(app)
    admin.init_app(app)
    views.init_app(app)
    cli.init_app(app)
    return app
