"""Flask-Security-Too login on the fsqla models: CSRF, two-factor, POST-only logout that ends sessions, failed-login
limits."""

from __future__ import annotations

import hashlib
import logging
from typing import Any, cast

from flask import Flask, current_app, request
from flask.typing import RouteCallable
from flask_limiter import Limiter, RequestLimit
from flask_limiter.util import get_remote_address
from flask_login import user_logged_out  # type: ignore[import-untyped]
from flask_security import SQLAlchemyUserDatastore, current_user
from werkzeug.wrappers import Response

from admin_app import two_factor
from admin_app.extensions import csrf, db, security
from admin_app.models import Role, User

log = logging.getLogger(__name__)


def init_app(app: Flask) -> None:
    csrf.init_app(app)  # before Security, which relies on it for its own forms
    datastore = SQLAlchemyUserDatastore(db, User, Role)
    security.init_app(app, datastore)
    two_factor.init_app(app)
    limit_failed_logins(app)
    # Signals are process-wide: subscribing with sender=app keeps one app's logouts out of another's handler.
    user_logged_out.connect(end_every_session, sender=app)


# Failed logins. The limiter is built per app, not taken from extensions.py: a Limiter keeps its storage, its
# enabled flag and its registered limits on the instance, and every init_app overwrites them, so one instance
# shared by several apps (tests, or anything building a second app) would mix their counters and settings.


def submitted_account() -> str:
    """The e-mail the login was attempted for, normalised as Flask-Security matches it (case-insensitively)."""
    email = request.form.get("email")
    if email is None and request.is_json:
        payload = request.get_json(silent=True)
        email = payload.get("email") if isinstance(payload, dict) else None
    return str(email or "").strip().lower()


def account_key() -> str:
    # Hashed: the storage (Redis) then holds no e-mail addresses, and a key's length does not depend on what was typed.
    return hashlib.sha256(submitted_account().encode()).hexdigest()


def login_failed(response: Response) -> bool:
    """Only a login POST that was answered without signing anyone in costs budget; a 429 verified nothing."""
    return request.method == "POST" and response.status_code != 429 and not current_user.is_authenticated


def log_refusal(limit: RequestLimit) -> None:
    log.warning(
        "login refused, too many failed attempts (%s): account=%r address=%s",
        limit.limit,
        submitted_account(),
        request.remote_addr,
    )


def limit_failed_logins(app: Flask) -> None:
    """Count failed logins per submitted account and per address; once either budget is spent, the login form
    answers 429 (the error page's translated text) until the window passes, whatever the password.

    Limits are checked before Flask-Security's view runs and deducted after it, so concurrent attempts in flight
    may overshoot a budget by at most the number of requests the server handles at once.
    """
    limiter = Limiter(key_func=get_remote_address, on_breach=log_refusal)
    limiter.init_app(app)
    if not limiter.enabled:
        return
    per_address = limiter.limit(
        lambda: current_app.config["LOGIN_FAILURES_PER_ADDRESS"],
        scope="address",
        methods=["POST"],
        deduct_when=login_failed,
    )
    per_account = limiter.limit(
        lambda: current_app.config["LOGIN_FAILURES_PER_ACCOUNT"],
        key_func=account_key,
        scope="account",
        methods=["POST"],
        deduct_when=login_failed,
        exempt_when=lambda: not submitted_account(),
    )
    login_view = app.view_functions["security.login"]
    app.view_functions["security.login"] = cast(RouteCallable, per_address(per_account(login_view)))


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
