"""Flask-Babel: the request's locale and time zone."""

from __future__ import annotations

from flask import Flask, current_app, has_request_context, request
from flask_security import current_user

from admin_app.extensions import babel


def select_locale() -> str | None:
    if not has_request_context():
        return None
    if current_user and current_user.is_authenticated and current_user.locale:
        return str(current_user.locale)
    return request.accept_languages.best_match(current_app.config["LANGUAGES"])


def select_timezone() -> str | None:
    if not has_request_context():
        return None
    if current_user and current_user.is_authenticated and current_user.timezone:
        return str(current_user.timezone)
    return None


def init_app(app: Flask) -> None:
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
