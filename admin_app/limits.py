"""Failed sign-in steps, limited: the password, the two-factor code and the password re-check, each per account
and per client address.

Each guarded step is declared once in ``GUARDS``: Flask-Security-Too's view, whose account a failure is charged
to, and how a failure is told from a success. Limits are checked before the view runs and deducted after it
(Flask-Limiter's ``deduct_when``), so only failures cost budget; once a budget is spent the step answers 429 (the
error page's translated text) until the window passes, whatever is typed. Concurrent attempts in flight may
overshoot a budget by at most the number of requests the server handles at once.

The limiter is built per app, not taken from extensions.py: a Limiter keeps its storage, its enabled flag and its
registered limits on the instance, and every init_app overwrites them, so one instance shared by several apps
(tests, or anything building a second app) would mix their counters and settings.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

from flask import Flask, current_app, request, session
from flask.typing import RouteCallable
from flask_limiter import Limiter, RequestLimit
from flask_limiter.util import get_remote_address
from flask_security import current_user, lookup_identity
from werkzeug.wrappers import Response

from admin_app.extensions import security

log = logging.getLogger(__name__)


def submitted_email() -> str:
    """The e-mail a login was attempted for, as typed."""
    email = request.form.get("email")
    if email is None and request.is_json:
        payload = request.get_json(silent=True)
        email = payload.get("email") if isinstance(payload, dict) else None
    return str(email or "").strip()


def login_account() -> str:
    """The account Flask-Security resolves the typed e-mail to (its own normalisation: case, full-width letters,
    IDNA), so every spelling of one address shares one budget; an unknown address is keyed on its normalised
    form, and text that is no address at all on itself, lower-cased."""
    user = submitted_user()
    # Lower-cased too: the datastore matches addresses case-insensitively, so Ghost@ and ghost@ are one account.
    return f"user:{user.fs_uniquifier}" if user is not None else f"email:{normalised(submitted_email()).lower()}"


def submitted_user() -> Any:
    try:
        return lookup_identity(submitted_email())
    except Exception:  # noqa: BLE001 (whatever a malformed identity makes the lookup raise, it is no account)
        return None


def normalised(email: str) -> str:
    try:
        return str(security.mail_util.normalize(email))
    except ValueError:  # not an address at all
        return email.casefold()


def pending_account() -> str:
    """The account whose second factor is being checked: the half-signed-in session's, or the signed-in user's
    (setting up or changing their authenticator)."""
    if current_user.is_authenticated:
        return f"user:{current_user.fs_uniquifier}"
    return f"user:{session.get('tf_user_id', '')}"


def signed_in_account() -> str:
    return f"user:{current_user.fs_uniquifier}" if current_user.is_authenticated else ""


def password_failed(response: Response) -> bool:
    """A login POST answered without signing anyone in, unless the password was right and the second step has
    begun (Flask-Security clears ``tf_user_id`` at the start of each login POST and sets it only then)."""
    return not current_user.is_authenticated and "tf_user_id" not in session


def code_failed(response: Response) -> bool:
    """A wrong code re-renders the form (200); a right one redirects onwards."""
    return response.status_code == 200 or (response.status_code < 400 and not current_user.is_authenticated)


def recheck_failed(response: Response) -> bool:
    """A wrong password on the re-check page re-renders it; the right one redirects back to the task."""
    return response.status_code == 200


@dataclass(frozen=True)
class Guard:
    endpoint: str  # Flask-Security-Too's view
    per_account: str  # config key of the budget per account
    account: Callable[[], str]  # whose budget a failure spends
    failed: Callable[[Response], bool]  # did this POST fail?


GUARDS = (
    Guard("security.login", "LOGIN_FAILURES_PER_ACCOUNT", login_account, password_failed),
    Guard("security.two_factor_token_validation", "CODE_FAILURES_PER_ACCOUNT", pending_account, code_failed),
    Guard("security.verify", "RECHECK_FAILURES_PER_ACCOUNT", signed_in_account, recheck_failed),
)


def account_key(guard: Guard) -> Callable[[], str]:
    # Hashed: the storage (Redis) then holds no e-mail addresses, and a key's length does not depend on what was typed.
    return lambda: hashlib.sha256(guard.account().encode()).hexdigest()


def deduct_when(guard: Guard) -> Callable[[Response], bool]:
    # A 429 verified nothing; a 400 (no CSRF token, say) never reached the check either.
    return lambda response: (
        request.method == "POST" and response.status_code not in (400, 429) and guard.failed(response)
    )


def refused_account() -> str:
    """The account a refusal is logged for, as people read it: the (normalised) address."""
    if request.endpoint == "security.login":
        user = submitted_user()
        return str(user.email) if user is not None else normalised(submitted_email())
    if current_user.is_authenticated:
        return str(current_user.email)
    user = security.datastore.find_user(fs_uniquifier=session.get("tf_user_id", ""))
    return str(user.email) if user else ""


def log_refusal(limit: RequestLimit) -> None:
    log.warning(
        "sign-in step refused, too many failures (%s) at %s: account=%r address=%s",
        limit.limit,
        request.endpoint,
        refused_account(),
        request.remote_addr,
    )


def init_app(app: Flask) -> None:
    limiter = Limiter(key_func=get_remote_address, on_breach=log_refusal)
    limiter.init_app(app)
    if not limiter.enabled:
        return
    for guard in GUARDS:
        name = guard.endpoint.rpartition(".")[2]
        per_address = limiter.limit(
            lambda: current_app.config["LOGIN_FAILURES_PER_ADDRESS"],
            scope=f"{name}:address",
            methods=["POST"],
            deduct_when=deduct_when(guard),
        )
        per_account = limiter.limit(
            lambda key=guard.per_account: current_app.config[key],  # type: ignore[misc]
            key_func=account_key(guard),
            scope=f"{name}:account",
            methods=["POST"],
            deduct_when=deduct_when(guard),
            exempt_when=lambda guard=guard: guard.account().endswith(":"),  # type: ignore[misc]
        )
        view = app.view_functions[guard.endpoint]
        app.view_functions[guard.endpoint] = cast(RouteCallable, per_address(per_account(view)))
