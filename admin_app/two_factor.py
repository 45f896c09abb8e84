"""Two-factor sign-in (Flask-Security-Too's authenticator method): required for users holding the permission named
by TWO_FACTOR_REQUIRED_PERMISSION, and every TOTP code works once."""

from __future__ import annotations

from typing import Any, cast

from flask import Flask, current_app, flash, redirect, request, session, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_security import Totp, current_user, logout_user, tf_code_confirmed, user_authenticated
from passlib.exc import UsedTokenError
from passlib.totp import TotpMatch
from sqlalchemy import CursorResult, or_, update
from sqlalchemy.orm import object_session
from werkzeug.wrappers import Response

# The session remembers whose second factor it checked: the user's fs_uniquifier, which logging out rotates.
PASSED_KEY = "two_factor_passed"
# What the setup page says of the method a user has, for each of SECURITY_TWO_FACTOR_ENABLED_METHODS (a method
# enabled there needs its sentence here: tests/test_two_factor.py checks). Flask-Security's own line reads
# "Currently setup two-factor method: none".
METHODS_IN_USE = {"authenticator": _l("You sign in with a code from your authenticator app.")}


class OneTimeTotp(Totp):
    """Flask-Security's TOTP factory with passlib's replay protection: each user's last accepted time step is
    stored, and a code from that step or an earlier one is refused."""

    def get_last_counter(self, user: Any) -> int | None:
        return cast(int | None, user.tf_totp_last_counter)

    def set_last_counter(self, user: Any, tmatch: TotpMatch) -> None:
        # A conditional UPDATE rather than an attribute write: of two requests carrying the same code at once,
        # the second waits on the row lock, then finds the counter already moved and is refused.
        # A signed-in user setting up their authenticator arrives as current_user, a LocalProxy: its type is no model.
        user = user._get_current_object() if hasattr(user, "_get_current_object") else user
        model = type(user)
        session = object_session(user)
        assert session is not None, "the user signing in is loaded from the database"
        moved = session.execute(
            update(model)
            .where(
                model.id == user.id,
                or_(model.tf_totp_last_counter.is_(None), model.tf_totp_last_counter < tmatch.counter),
            )
            .values(tf_totp_last_counter=tmatch.counter)
        )
        if cast(CursorResult[Any], moved).rowcount != 1:
            raise UsedTokenError()


def requires_two_factor(user: Any) -> bool:
    permission = current_app.config["TWO_FACTOR_REQUIRED_PERMISSION"]
    return bool(permission) and bool(user.has_permission(permission))


def method_in_use(user: Any) -> str:
    """The setup page's words for the two-factor method ``user`` has set up; "" when none (nothing to say)."""
    text = METHODS_IN_USE.get(getattr(user, "tf_primary_method", None) or "")
    return str(text) if text else ""


def init_app(app: Flask) -> None:
    # Signals are process-wide: sender=app keeps other apps (tests build several) out of these handlers.
    tf_code_confirmed.connect(remember_second_factor, sender=app)
    user_authenticated.connect(forget_second_factor, sender=app)
    app.before_request(demand_second_factor)
    app.jinja_env.globals["two_factor_method_in_use"] = method_in_use  # templates/security/two_factor_setup.html


def remember_second_factor(sender: Flask, user: Any, **_extra: Any) -> None:
    session[PASSED_KEY] = user.fs_uniquifier


def forget_second_factor(sender: Flask, user: Any, authn_via: list[str] | None = None, **_extra: Any) -> None:
    # A sign-in by password alone names its method; the one completing a two-factor sign-in does not (it follows
    # tf_code_confirmed, whose mark must survive it).
    if authn_via:
        session.pop(PASSED_KEY, None)


def demand_second_factor() -> Response | None:
    """A session that signed in without a code (the permission was granted afterwards, say) cannot go on once the
    user needs two-factor: it is ended, and the next sign-in asks for a code, or sets the authenticator up."""
    if request.blueprint in {"security", None} or not current_user.is_authenticated:
        return None
    if session.get(PASSED_KEY) == current_user.fs_uniquifier or not requires_two_factor(current_user):
        return None
    logout_user()
    flash(gettext("Your account now needs a code from an authenticator app. Please sign in again."), "warning")
    return redirect(url_for("security.login", next=request.full_path))
