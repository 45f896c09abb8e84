"""Fixtures: every test runs on SQLite and, when TEST_DATABASE_URL is set, again on PostgreSQL.

The schema comes from the migrations (once per backend and session); each test starts from empty tables
plus the standard roles.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator

import flask_migrate
import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from admin_app import create_app
from admin_app.extensions import db as _db
from admin_app.models import User
from admin_app.services.role import sync_roles
from tests.factories import PASSWORD, UserFactory

BACKENDS = ["sqlite"] + (["postgresql"] if os.environ.get("TEST_DATABASE_URL") else [])


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked postgresql_only run on PostgreSQL and are not collected for SQLite (a deselection, not a skip)."""
    keep, drop = [], []
    for item in items:
        params = getattr(getattr(item, "callspec", None), "params", {})
        on_sqlite = params.get("database_url") == "sqlite"
        (drop if on_sqlite and item.get_closest_marker("postgresql_only") else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


def reset_postgres(url: str) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as connection:  # fails loudly when the URL is set but the server is unreachable
        connection.execute(sa.text("DROP SCHEMA public CASCADE"))
        connection.execute(sa.text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite'}"
    else:
        url = os.environ["TEST_DATABASE_URL"]
        reset_postgres(url)
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=url)
    with app.app_context():
        flask_migrate.upgrade()
        _db.engine.dispose()
    return url


def empty_tables() -> None:
    tables = [table.name for table in reversed(_db.metadata.sorted_tables)]
    if _db.engine.dialect.name == "postgresql":
        # The audit tables refuse TRUNCATE by trigger; the test superuser skips user triggers for this one.
        _db.session.execute(sa.text("SET LOCAL session_replication_role = replica"))
        _db.session.execute(sa.text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
    else:
        for table in tables:
            _db.session.execute(sa.text(f"DELETE FROM {table}"))
    _db.session.commit()


@pytest.fixture(scope="session")
def shared_app(database_url: str) -> Iterator[Flask]:
    """One app per database: building one compiles every route (~0.1 s). Tests change its config only through
    monkeypatch, so nothing leaks from one test to the next."""
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=database_url)
    yield app
    with app.app_context():
        _db.engine.dispose()


@pytest.fixture
def app(shared_app: Flask) -> Iterator[Flask]:
    with shared_app.app_context():
        empty_tables()
        sync_roles()
        _db.session.commit()
        yield shared_app
        _db.session.remove()


@pytest.fixture
def db(app: Flask) -> object:
    return _db


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def csrf_token(client: FlaskClient) -> str:
    """The session's CSRF token, read from a page as a browser would (login form, or the logout form)."""
    response = client.get("/login")
    if response.status_code == 302:
        response = client.get("/admin/")
    match = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', response.get_data(as_text=True))
    assert match, "no CSRF token on the login page nor on the back office's home page"
    return match.group(1)


@pytest.fixture
def login_as(client: FlaskClient) -> Callable[[str | None], User | None]:
    """Sign in through the real login form as a new user holding ``role`` (None: stay anonymous)."""

    def login(role: str | None) -> User | None:
        if role is None:
            return None
        user = UserFactory(roles=[role])
        response = client.post(
            "/login", data={"email": user.email, "password": PASSWORD, "csrf_token": csrf_token(client)}
        )
        assert response.status_code == 302, response.get_data(as_text=True)
        return user

    return login
