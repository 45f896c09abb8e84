"""Failed logins are limited per account and per address; successes cost nothing; the 429 is the app's page.

The testing profile turns rate limits off, so each test here builds its own app with them on: every app gets its
own limiter and storage (memory unless a test says otherwise), so no count survives from one test to the next.
"""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Callable, Iterator

import pytest
import redis
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import update

from admin_app import create_app
from admin_app.extensions import db
from admin_app.models import User
from tests.conftest import csrf_token, provision_authenticator, sign_in, totp_code
from tests.factories import PASSWORD, UserFactory

REFUSED = "Too many attempts. Please wait a moment and try again."
PER_ACCOUNT, PER_ADDRESS, CODES, RECHECKS = 3, 5, 4, 2

BuildApp = Callable[..., Flask]


@pytest.fixture
def build_app(app: Flask, database_url: str) -> Iterator[BuildApp]:
    """Apps with login limits on, over the test's database (``app`` has emptied it); engines disposed after."""
    built: list[Flask] = []

    def build(**overrides: object) -> Flask:
        limited = create_app(
            "testing",
            SQLALCHEMY_DATABASE_URI=database_url,
            RATELIMIT_ENABLED=True,
            LOGIN_FAILURES_PER_ACCOUNT=f"{PER_ACCOUNT} per 15 minutes",
            LOGIN_FAILURES_PER_ADDRESS=f"{PER_ADDRESS} per 15 minutes",
            CODE_FAILURES_PER_ACCOUNT=f"{CODES} per 15 minutes",
            RECHECK_FAILURES_PER_ACCOUNT=f"{RECHECKS} per 15 minutes",
            **overrides,
        )
        built.append(limited)
        return limited

    yield build
    for limited in built:
        with limited.app_context():
            db.engine.dispose()


@pytest.fixture
def limited_app(build_app: BuildApp) -> Flask:
    return build_app()


def attempt(client: FlaskClient, email: str, password: str) -> tuple[int, str]:
    response = client.post("/login", data={"email": email, "password": password, "csrf_token": csrf_token(client)})
    return response.status_code, response.get_data(as_text=True)


def browser(app: Flask, address: str = "127.0.0.1") -> FlaskClient:
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def fail(app: Flask, email: str, times: int, address: str = "127.0.0.1") -> None:
    client = browser(app, address)
    for _ in range(times):
        status, page = attempt(client, email, "wrong password")
        assert status == 200 and REFUSED not in page


def login_status(app: Flask, email: str, address: str = "127.0.0.1") -> int:
    """A fresh browser's login with the right password: 302 signed in, 200 refused by the form, 429 limited."""
    return attempt(browser(app, address), email, PASSWORD)[0]


def test_the_general_suite_runs_with_login_limits_off(client: FlaskClient) -> None:
    user = UserFactory(roles=["staff"])
    for _ in range(PER_ADDRESS + 2):
        assert attempt(client, user.email, "wrong password")[0] == 200
    assert attempt(client, user.email, PASSWORD)[0] == 302


def test_failures_for_one_account_lock_it_even_with_the_right_password(limited_app: Flask) -> None:
    user, other = UserFactory(roles=["staff"]), UserFactory(roles=["staff"])
    fail(limited_app, user.email, PER_ACCOUNT)

    client = limited_app.test_client()
    response = client.post("/login", data={"email": user.email, "password": PASSWORD, "csrf_token": csrf_token(client)})
    page = response.get_data(as_text=True)
    assert response.status_code == 429
    assert REFUSED in page and "per 15 minute" not in page
    assert int(response.headers["Retry-After"]) > 0
    assert client.get("/admin/").status_code == 302

    assert login_status(limited_app, other.email) == 302, "another account from the same address is not locked"
    assert login_status(limited_app, user.email, address="198.51.100.2") == 429, "the lock follows the account"


def test_the_account_is_the_email_however_it_is_typed(limited_app: Flask) -> None:
    user = UserFactory(roles=["staff"], email="casey@example.org")
    for typed in ["Casey@Example.org", " casey@example.org", "CASEY@EXAMPLE.ORG"]:
        fail(limited_app, typed, 1)
    assert login_status(limited_app, user.email) == 429


def test_failures_from_one_address_lock_it_for_every_account(limited_app: Flask) -> None:
    user = UserFactory(roles=["staff"])
    for n in range(PER_ADDRESS):  # unknown accounts count too, so guessing e-mails is limited as well
        fail(limited_app, f"nobody{n}@example.org", 1, address="203.0.113.7")

    assert login_status(limited_app, user.email, address="203.0.113.7") == 429
    assert login_status(limited_app, user.email, address="198.51.100.2") == 302


def test_successful_logins_cost_nothing(limited_app: Flask) -> None:
    user = UserFactory(roles=["staff"])
    for _ in range(PER_ADDRESS + 1):
        assert login_status(limited_app, user.email) == 302
    fail(limited_app, user.email, PER_ACCOUNT)  # the whole budget is still there
    assert login_status(limited_app, user.email) == 429


def test_showing_the_login_page_is_never_limited(limited_app: Flask) -> None:
    user = UserFactory(roles=["staff"])
    fail(limited_app, user.email, PER_ACCOUNT)
    assert limited_app.test_client().get("/login").status_code == 200


def test_a_refusal_is_logged_with_account_and_address(limited_app: Flask, caplog: pytest.LogCaptureFixture) -> None:
    user = UserFactory(roles=["staff"])
    fail(limited_app, user.email, PER_ACCOUNT, address="203.0.113.9")
    assert not [r for r in caplog.records if r.name == "admin_app.limits"], "failures below the limit are not refusals"

    with caplog.at_level(logging.WARNING, logger="admin_app.limits"):
        assert login_status(limited_app, user.email.upper(), address="203.0.113.9") == 429
    [record] = [r for r in caplog.records if r.name == "admin_app.limits"]
    assert record.levelno == logging.WARNING
    assert user.email in record.getMessage() and "203.0.113.9" in record.getMessage()


def test_each_app_counts_in_its_own_memory(build_app: BuildApp) -> None:
    """Two processes with memory storage do not share counts: the control for the Redis test below."""
    first, second = build_app(), build_app()
    user = UserFactory(roles=["staff"])
    fail(first, user.email, PER_ACCOUNT)
    assert login_status(first, user.email) == 429
    assert login_status(second, user.email) == 302


@pytest.mark.redis
def test_redis_shares_the_count_between_workers(build_app: BuildApp) -> None:
    """Two apps over one Redis, as two gunicorn workers: failures counted by one lock the account in the other."""
    url = os.environ["TEST_REDIS_URL"]
    prefix = f"test-{uuid.uuid4().hex}"
    first, second = (build_app(RATELIMIT_STORAGE_URI=url, RATELIMIT_KEY_PREFIX=prefix) for _ in range(2))
    client = redis.Redis.from_url(url)
    try:
        user = UserFactory(roles=["staff"])
        fail(first, user.email, PER_ACCOUNT - 1)
        assert login_status(second, user.email) == 302
        fail(second, user.email, 1)
        assert login_status(first, user.email) == 429
        keys = [key.decode() for key in client.scan_iter(f"*{prefix}*")]
        assert keys and not any(user.email in key for key in keys), "the account is stored hashed"
    finally:
        stale = list(client.scan_iter(f"*{prefix}*"))
        if stale:
            client.delete(*stale)
        client.close()


def test_with_the_limit_storage_down_logins_still_work_and_are_counted_in_memory(build_app: BuildApp) -> None:
    """Redis unreachable (nothing listens on port 1): the login page neither fails nor stops limiting."""
    unreachable = build_app(RATELIMIT_STORAGE_URI="redis://127.0.0.1:1")
    user = UserFactory(roles=["staff"])

    assert login_status(unreachable, user.email) == 302
    fail(unreachable, user.email, PER_ACCOUNT)
    assert login_status(unreachable, user.email) == 429


def test_the_account_is_the_one_flask_security_resolves(limited_app: Flask) -> None:
    """Flask-Security normalises the domain (NFKC, IDNA, case) and matches the whole address case-insensitively:
    every spelling that signs in to the account spends that account's budget, locked or not."""
    user = UserFactory(roles=["staff"], email="robin@example.org")
    for typed in ["robin@ｅxample.org", "ROBIN@exａmple.org", "Robin@EXAMPLE.ORG"]:
        fail(limited_app, typed, 1)
    assert login_status(limited_app, "robin@ｅxample.ｏrg") == 429
    assert login_status(limited_app, user.email) == 429


def test_unknown_accounts_are_counted_on_their_normalised_address(limited_app: Flask) -> None:
    for typed in ["ghost@ｅxample.org", "Ghost@example.org", "ghost@EXAMPLE.org"]:
        fail(limited_app, typed, 1)
    status, page = attempt(browser(limited_app), "ghost@example.org", "wrong password")
    assert status == 429 and REFUSED in page


def test_the_password_step_of_a_two_factor_sign_in_is_no_failure(limited_app: Flask) -> None:
    """An admin signing in correctly more often than the failure budget is never locked out."""
    admin = UserFactory(roles=["admin"])
    provision_authenticator(admin)
    for _ in range(PER_ACCOUNT + 2):
        client = browser(limited_app)
        status, _page = attempt(client, admin.email, PASSWORD)
        assert status == 302
    fail(limited_app, admin.email, PER_ACCOUNT)  # real failures still count
    assert login_status(limited_app, admin.email) == 429


def start_two_factor(app: Flask, user: object, address: str = "127.0.0.1") -> tuple[FlaskClient, str]:
    client = browser(app, address)
    token = csrf_token(client)
    response = client.post("/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token})  # type: ignore[attr-defined]
    assert response.status_code == 302 and response.headers["Location"].startswith("/tf-validate")
    return client, token


def test_wrong_two_factor_codes_lock_the_account_even_for_the_right_code(limited_app: Flask) -> None:
    admin, other = UserFactory(roles=["admin"]), UserFactory(roles=["admin"])
    provision_authenticator(admin)
    provision_authenticator(other)
    client, token = start_two_factor(limited_app, admin)
    for _ in range(CODES):
        response = client.post("/tf-validate", data={"code": "000000", "csrf_token": token})
        assert response.status_code == 200 and REFUSED not in response.text
    response = client.post("/tf-validate", data={"code": totp_code(admin), "csrf_token": token})
    assert response.status_code == 429 and REFUSED in response.text
    assert client.get("/admin/").status_code == 302, "not signed in"

    fresh, fresh_token = start_two_factor(limited_app, admin, address="198.51.100.4")  # the password again, elsewhere
    response = fresh.post("/tf-validate", data={"code": totp_code(admin), "csrf_token": fresh_token})
    assert response.status_code == 429, "the budget is the account's, not the browser's"

    other_client, other_token = start_two_factor(limited_app, other)
    response = other_client.post("/tf-validate", data={"code": totp_code(other), "csrf_token": other_token})
    assert response.status_code == 302 and other_client.get("/admin/").status_code == 200


def test_right_codes_cost_nothing(limited_app: Flask) -> None:
    admin = UserFactory(roles=["admin"])
    provision_authenticator(admin)
    for _ in range(CODES + 1):
        client, token = start_two_factor(limited_app, admin)
        with limited_app.app_context():
            db.session.execute(update(User).where(User.id == admin.id).values(tf_totp_last_counter=None))
            db.session.commit()
        response = client.post("/tf-validate", data={"code": totp_code(admin), "csrf_token": token})
        assert response.status_code == 302


def test_wrong_passwords_on_the_re_check_page_are_limited(limited_app: Flask) -> None:
    staff = UserFactory(roles=["staff"])
    client = browser(limited_app)
    sign_in(client, staff)
    for _ in range(RECHECKS):
        response = client.post("/verify", data={"password": "wrong", "csrf_token": csrf_token(client)})
        assert response.status_code == 200 and REFUSED not in response.text
    response = client.post("/verify", data={"password": PASSWORD, "csrf_token": csrf_token(client)})
    assert response.status_code == 429 and REFUSED in response.text

    other = browser(limited_app)
    sign_in(other, UserFactory(roles=["staff"]))
    assert other.post("/verify", data={"password": PASSWORD, "csrf_token": csrf_token(other)}).status_code == 302
