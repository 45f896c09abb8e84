"""Flask-Security-Too login on the fsqla models: CSRF, two-factor, POST-only logout that ends sessions, failed-login
limits."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, current_app, g, session
from flask_login import user_logged_out  # type: ignore[import-untyped]
from flask_security import SQLAlchemyUserDatastore, user_authenticated

from admin_app import limits, two_factor
from admin_app.extensions import csrf, db, security
from admin_app.models import Role, User

log = logging.getLogger(__name__)


def init_app(app: Flask) -> None:
    csrf.init_app(app)  # before Security, which relies on it for its own forms
    datastore = SQLAlchemyUserDatastore(db, User, Role)
    security.init_app(app, datastore)
    two_factor.init_app(app)
    limits.init_app(app)
    # Signals are process-wide: subscribing with sender=app keeps one app's logouts out of another's handler.
    user_logged_out.connect(end_every_session, sender=app)
    user_authenticated.connect(rotate_csrf_token, sender=app)


def rotate_csrf_token(sender: Flask, user: Any, **_extra: Any) -> None:
    """Signing in starts a new CSRF token: one read from the login page before (by whoever could see that page,
    or planted in the browser) does not carry over into the signed-in session."""
    session.pop(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"), None)
    g.pop("csrf_token", None)  # Flask-WTF's per-request cache of the session's token


def end_every_session(sender: Flask, user: Any = None, **_extra: Any) -> None:
    """Logging out gives the user a new fs_uniquifier, the identity every session cookie, remember-me cookie and
    auth token carries, so a cookie copied before logout no longer signs anyone in.

    Trade-off: this ends all of the user's sessions, on every device, not only the one logging out.
    """
    if user is None or not user.is_authenticated:
        return
    datastore = sender.extensions["security"].datastore
    datastore.set_uniquifier(user)
    datastore.commit()
