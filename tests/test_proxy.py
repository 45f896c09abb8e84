"""Behind TRUSTED_PROXIES proxies the app sees the client's address and scheme (login limits, the audit trail,
HSTS); with none trusted, the X-Forwarded-* headers a client sends itself change nothing."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from admin_app import create_app
from admin_app.config import ConfigError
from admin_app.extensions import db
from admin_app.models import AuditEntry
from tests.conftest import csrf_token, sign_in
from tests.factories import CommentFactory, UserFactory

PROXY = "10.0.0.5"  # the balancer's address: every request reaches the app from it
PER_ADDRESS = 3
REFUSED = "Too many attempts. Please wait a moment and try again."

BuildApp = Callable[..., Flask]


@pytest.fixture
def build_app(app: Flask, database_url: str) -> Iterator[BuildApp]:
    built: list[Flask] = []

    def build(trusted: int, **overrides: object) -> Flask:
        built.append(create_app("testing", SQLALCHEMY_DATABASE_URI=database_url, TRUSTED_PROXIES=trusted, **overrides))
        return built[-1]

    yield build
    for each in built:
        with each.app_context():
            db.engine.dispose()


def through_proxy(app: Flask, forwarded_for: str, proto: str = "http") -> FlaskClient:
    """A browser whose requests arrive from the proxy, carrying the X-Forwarded-* headers it sets (or forged)."""
    client = app.test_client()
    client.environ_base |= {
        "REMOTE_ADDR": PROXY,
        "HTTP_X_FORWARDED_FOR": forwarded_for,
        "HTTP_X_FORWARDED_PROTO": proto,
    }
    return client


def limited(build_app: BuildApp, trusted: int) -> Flask:
    return build_app(trusted, RATELIMIT_ENABLED=True, LOGIN_FAILURES_PER_ADDRESS=f"{PER_ADDRESS} per 15 minutes")


def fail_logins(client: FlaskClient, times: int) -> list[int]:
    statuses = []
    for number in range(times):
        data = {"email": f"nobody{number}@example.com", "password": "wrong", "csrf_token": csrf_token(client)}
        statuses.append(client.post("/login", data=data).status_code)
    return statuses


def test_behind_a_trusted_proxy_each_client_has_its_own_login_failure_budget(build_app: BuildApp) -> None:
    app = limited(build_app, trusted=1)
    attacker = through_proxy(app, "198.51.100.7")
    assert fail_logins(attacker, PER_ADDRESS + 1)[-1] == 429

    visitor = through_proxy(app, "203.0.113.20")
    response = visitor.post(
        "/login", data={"email": "x@example.com", "password": "y", "csrf_token": csrf_token(visitor)}
    )
    assert response.status_code == 200
    assert REFUSED not in response.get_data(as_text=True)


def test_without_a_trusted_proxy_everyone_behind_it_shares_the_proxys_budget(build_app: BuildApp) -> None:
    """What TRUSTED_PROXIES is for: left at 0 behind a balancer, one attacker locks every visitor out."""
    app = limited(build_app, trusted=0)
    fail_logins(through_proxy(app, "198.51.100.7"), PER_ADDRESS + 1)
    visitor = through_proxy(app, "203.0.113.20")
    response = visitor.post(
        "/login", data={"email": "x@example.com", "password": "y", "csrf_token": csrf_token(visitor)}
    )
    assert response.status_code == 429


def test_a_forged_forwarded_for_does_not_buy_a_new_budget_from_an_app_with_no_proxy(build_app: BuildApp) -> None:
    app = limited(build_app, trusted=0)
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = "198.51.100.7"
    statuses = []
    for number in range(PER_ADDRESS + 2):
        client.environ_base["HTTP_X_FORWARDED_FOR"] = f"192.0.2.{number}"
        statuses += fail_logins(client, 1)
    assert statuses[-2:] == [429, 429]


def test_only_the_address_the_trusted_proxy_saw_counts(build_app: BuildApp) -> None:
    """One hop trusted: of "forged, real", the proxy appended the real one, the last; the forged one is ignored."""
    app = limited(build_app, trusted=1)
    statuses = []
    for number in range(PER_ADDRESS + 2):
        statuses += fail_logins(through_proxy(app, f"192.0.2.{number}, 198.51.100.7"), 1)
    assert statuses[-2:] == [429, 429]


def disable_as_moderator(client: FlaskClient) -> AuditEntry:
    sign_in(client, UserFactory(roles=["moderator"]))
    comment = CommentFactory()
    db.session.commit()
    data = {"operation": "comment.disable", "rowid": [comment.id], "reason": "spam", "confirmed": "1"}
    response = client.post("/admin/comment/moderate/", data=data | {"csrf_token": csrf_token(client)})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return db.session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id.desc())).first()


@pytest.mark.parametrize(("trusted", "recorded"), [(1, "203.0.113.20"), (0, PROXY)])
def test_the_audit_trail_records_the_client_behind_a_trusted_proxy(
    build_app: BuildApp, trusted: int, recorded: str
) -> None:
    app = build_app(trusted)
    with app.app_context():
        entry = disable_as_moderator(through_proxy(app, "203.0.113.20"))
        assert entry.action == "comment.disable"
        assert entry.remote_addr == recorded


def test_hsts_is_sent_when_the_trusted_proxy_says_the_visitor_used_https(build_app: BuildApp) -> None:
    """TLS ends at the proxy: the app hears plain HTTP and the scheme from X-Forwarded-Proto. (Flask-Talisman looks
    at that header even with no proxy trusted; a browser ignores HSTS received over plain HTTP, so a forged one
    gains nothing.)"""
    app = build_app(1, HSTS=True)
    assert "Strict-Transport-Security" in through_proxy(app, "203.0.113.20", proto="https").get("/login").headers
    assert "Strict-Transport-Security" not in through_proxy(app, "203.0.113.20").get("/login").headers


@pytest.mark.parametrize("value", [-1, "two", 1.5, True, ""])
def test_trusted_proxies_must_be_a_count(value: object) -> None:
    with pytest.raises(ConfigError, match="TRUSTED_PROXIES"):
        create_app("testing", TRUSTED_PROXIES=value)
