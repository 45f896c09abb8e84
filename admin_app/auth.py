"""Flask-Security-Too login on the fsqla models: CSRF, two-factor, POST-only logout that ends sessions, failed-login
limits, a deactivated account told why, and the user's last_seen."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from flask import Flask, current_app, flash, g, request, session
from flask_babel import format_datetime, gettext
from flask_babel import lazy_gettext as _l
from flask_login import user_logged_out  # type: ignore[import-untyped]
from flask_security import LoginForm, SQLAlchemyUserDatastore, current_user, user_authenticated
from sqlalchemy import update

from admin_app import limits, static_files, two_factor
from admin_app.database import utcnow
from admin_app.extensions import csrf, db, security
from admin_app.models import Role, User

log = logging.getLogger(__name__)

DEACTIVATED = _l("This account has been deactivated. Ask an administrator if you think this is a mistake.")
# The id of the account the session signed in as: Flask-Login's own key holds the fs_uniquifier, which deactivating
# rotates, so once the user no longer loads, only this says whose session it was.
ACCOUNT_KEY = "account_id"
# The back office writes last_seen at most this often per user.
SEEN_EVERY = timedelta(minutes=5)


def why_inactive(user: Any) -> str:
    """What an inactive account is told: suspended (until when), or deactivated."""
    from admin_app.services.sanctions import open_suspension

    suspension = open_suspension(user.id)
    if suspension is None:
        return str(DEACTIVATED)
    if suspension.ends_at is None:
        return gettext("This account is suspended until a moderator lifts the suspension.")
    return gettext("This account is suspended until %(until)s.", until=format_datetime(suspension.ends_at, "medium"))


class BackOfficeLoginForm(LoginForm):
    """Flask-Security's login form. For a deactivated account it says "Account is disabled." only once the password
    was right, and SECURITY_RETURN_GENERIC_RESPONSES then turns that into the generic failure; here that case says
    why instead. A wrong password, or an unknown address, still gets the generic failure."""

    def validate(self, **kwargs: Any) -> bool:
        if super().validate(**kwargs):
            return True
        if self.user_authenticated and self.user is not None and not self.user.is_active:
            assert self.ifield is not None
            self.ifield.errors = []  # Flask-Security's own, which the generic responses would replace
            self.form_errors.append(why_inactive(self.user))
        return False


def init_app(app: Flask) -> None:
    csrf.init_app(app)  # before Security, which relies on it for its own forms
    datastore = SQLAlchemyUserDatastore(db, User, Role)
    security.init_app(app, datastore, login_form=BackOfficeLoginForm)
    two_factor.init_app(app)
    limits.init_app(app)
    # Signals are process-wide: subscribing with sender=app keeps one app's logouts out of another's handler.
    user_logged_out.connect(end_every_session, sender=app)
    user_logged_out.connect(forget_account, sender=app)
    user_authenticated.connect(rotate_csrf_token, sender=app)
    user_authenticated.connect(note_sign_in, sender=app)
    app.before_request(explain_ended_session)
    app.before_request(note_last_seen)


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


def note_sign_in(sender: Flask, user: Any, **_extra: Any) -> None:
    session[ACCOUNT_KEY] = user.id
    user.last_seen = utcnow()  # committed with the login's own tracking fields (SECURITY_TRACKABLE)


def forget_account(sender: Flask, **_extra: Any) -> None:
    session.pop(ACCOUNT_KEY, None)


def explain_ended_session() -> None:
    """A session whose user no longer loads is anonymous from then on. Flask-Security's loader refuses inactive
    users, and deactivating rotates the fs_uniquifier the cookie names: when that is why, the user is told (on the
    login page their next page sends them to), once. Other endings (a logout on another device) stay silent. One
    query, on the first request after the session ended; none otherwise. The session is left as Flask-Login left
    it (anonymous): its CSRF token stays good for a form already on the screen."""
    if ACCOUNT_KEY not in session or static_files.is_static(request.endpoint) or current_user.is_authenticated:
        return
    account = db.session.get(User, session.pop(ACCOUNT_KEY))
    if account is not None and not account.active:
        flash(why_inactive(account), "error")


def note_last_seen() -> None:
    """Signed-in requests keep the user's last_seen, at most once every SEEN_EVERY: one UPDATE of that row, decided
    from the row the request loads anyway (no query of its own on the other requests). Flasky's public site writes
    the same column on every request (User.ping()); the condition never moves a newer value back. last_seen is in
    no index, so PostgreSQL updates the row in place (a HOT update) rather than adding an entry to each of the
    table's indexes (trigram GINs among them): keep it out of them."""
    if static_files.is_static(request.endpoint) or not current_user.is_authenticated:
        return
    now = utcnow()
    if current_user.last_seen > now - SEEN_EVERY:
        return
    db.session.execute(
        update(User).where(User.id == current_user.id, User.last_seen < now - SEEN_EVERY).values(last_seen=now),
        execution_options={"synchronize_session": False},
    )
    # Committed before the view runs, so the view's own transaction stays its own.
    db.session.commit()
