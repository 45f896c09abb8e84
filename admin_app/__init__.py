"""The back office: create_app builds one configured application."""

from __future__ import annotations

from typing import Any

from flask import Flask


def create_app(profile: str | None = None, **overrides: Any) -> Flask:
    from admin_app import (
        admin,
        auth,
        cli,
        config,
        database,
        headers,
        health,
        i18n,
        logs,
        periodic,
        proxy,
        static_files,
        views,
    )

    app = Flask(__name__, instance_relative_config=True)
    config.load(app, profile, overrides)
    logs.init_app(app)
    proxy.init_app(app)
    database.init_app(app)
    headers.init_app(app)
    static_files.init_app(app)
    health.init_app(app)
    auth.init_app(app)
    i18n.init_app(app)
    admin.init_app(app)
    views.init_app(app)
    periodic.init_app(app)
    cli.init_app(app)
    return app
