"""/healthz and /readyz: JSON, no login, no cookie; ready means the database answers at our migrations' head and
Redis answers when configured."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from admin_app import create_app
from admin_app.extensions import db
from tests.conftest import count_statements

CLOSED_PORT = 9  # discard: nothing listens there on this machine

BuildApp = Callable[..., Flask]


@pytest.fixture
def build_app(app: Flask, database_url: str) -> Iterator[BuildApp]:
    built: list[Flask] = []

    def build(**overrides: object) -> Flask:
        overrides.setdefault("SQLALCHEMY_DATABASE_URI", database_url)
        built.append(create_app("testing", **overrides))
        return built[-1]

    yield build
    for each in built:
        with each.app_context():
            db.engine.dispose()


def test_healthz_answers_without_the_database_or_a_cookie(client: FlaskClient, login_as: Callable) -> None:
    login_as("moderator")  # a signed-in browser: its session cookie must not get the user loaded
    response = None

    def poll() -> None:
        nonlocal response
        response = client.get("/healthz")

    assert count_statements(poll) == 0
    assert response is not None and response.status_code == 200
    assert response.get_json() == {"status": "alive"}
    assert "Set-Cookie" not in response.headers


def test_readyz_is_ready_at_the_head_of_our_migrations(client: FlaskClient) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ready", "checks": {"database": "ok"}}
    assert "Set-Cookie" not in response.headers


def test_readyz_needs_no_login_and_sets_no_cookie_even_with_a_session(client: FlaskClient, login_as: Callable) -> None:
    login_as("staff")
    response = client.get("/readyz")
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers


@pytest.mark.redis
def test_readyz_checks_redis_when_jobs_and_limits_use_it(build_app: BuildApp) -> None:
    url = os.environ["TEST_REDIS_URL"]
    response = build_app(JOBS_REDIS_URL=url, RATELIMIT_STORAGE_URI=url).test_client().get("/readyz")
    assert response.status_code == 200
    assert response.get_json()["checks"] == {"database": "ok", "jobs": "ok", "rate_limits": "ok"}


def test_readyz_is_503_when_redis_does_not_answer(build_app: BuildApp) -> None:
    app = build_app(JOBS_REDIS_URL=f"redis://127.0.0.1:{CLOSED_PORT}/0")
    started = time.perf_counter()
    response = app.test_client().get("/readyz")
    assert time.perf_counter() - started < 3 * app.config["READY_TIMEOUT_S"]
    assert response.status_code == 503
    assert response.get_json() == {"status": "not ready", "checks": {"database": "ok", "jobs": "unreachable"}}


@pytest.mark.parametrize(
    "unreachable",
    [f"postgresql+psycopg://postgres@127.0.0.1:{CLOSED_PORT}/test", "sqlite:////nonexistent/directory/db.sqlite"],
    ids=["postgresql-port-closed", "sqlite-file-unopenable"],
)
def test_readyz_is_503_when_the_database_is_away(build_app: BuildApp, unreachable: str) -> None:
    app = build_app(SQLALCHEMY_DATABASE_URI=unreachable)
    client = app.test_client()
    assert client.get("/healthz").status_code == 200  # alive: nothing to restart
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "not ready", "checks": {"database": "unreachable"}}


def test_readyz_is_503_until_the_migrations_are_applied(build_app: BuildApp, tmp_path: Path) -> None:
    app = build_app(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'new.sqlite'}")
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["checks"] == {"database": "pending"}


def test_readyz_stays_ready_when_a_newer_release_migrated_the_database(build_app: BuildApp, tmp_path: Path) -> None:
    """A rolling deployment: the new release has migrated; hosts still on this one keep serving until replaced."""
    app = build_app(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'newer.sqlite'}")
    with app.app_context():
        db.session.execute(sa.text("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)"))
        db.session.execute(sa.text("INSERT INTO alembic_version VALUES ('9999_from_the_next_release')"))
        db.session.commit()
    response = app.test_client().get("/readyz")
    assert response.status_code == 200
    assert response.get_json()["checks"] == {"database": "newer"}
