"""Fixtures: every test runs on SQLite and, when TEST_DATABASE_URL is set, again on PostgreSQL.

The schema comes from the migrations (once per backend and session); each test starts from empty tables
plus the standard roles.
"""

from __future__ import annotations

import contextvars
import gc
import os
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

import flask_migrate
import pytest
import sqlalchemy as sa
from flask import Flask
from flask.globals import _cv_app
from flask.testing import FlaskClient
from sqlalchemy.engine import make_url

from admin_app import create_app
from admin_app.extensions import db as _db
from admin_app.extensions import security
from admin_app.models import User
from admin_app.services.role import sync_roles
from admin_app.two_factor import requires_two_factor
from tests.factories import PASSWORD, UserFactory

BACKENDS = ["sqlite"] + (["postgresql"] if os.environ.get("TEST_DATABASE_URL") else [])


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "redis: needs Redis at TEST_REDIS_URL; deselected when it is not set")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked postgresql_only run on PostgreSQL and are not collected for SQLite, tests marked redis only when
    TEST_REDIS_URL is set (a deselection, not a skip)."""
    keep, drop = [], []
    for item in items:
        params = getattr(getattr(item, "callspec", None), "params", {})
        # A test of its own database (a browser journey) is on SQLite unless TEST_DATABASE_URL is set.
        on_sqlite = params.get("database_url", "sqlite" if not os.environ.get("TEST_DATABASE_URL") else "") == "sqlite"
        needs_redis = item.get_closest_marker("redis") and not os.environ.get("TEST_REDIS_URL")
        (drop if (on_sqlite and item.get_closest_marker("postgresql_only")) or needs_redis else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Print the access matrix's size and the hostile-input test's request count, so every run states what it
    covered."""
    passed = terminalreporter.stats.get("passed", [])
    if (hostile_all := sys.modules.get("tests.test_hostile_input")) is not None and hostile_all.REQUESTS:
        terminalreporter.write_line(hostile_all.summary())
    matrix = [report for report in passed if "test_access.py::test_access[" in report.nodeid]
    if matrix:
        from tests.admin.test_access import CASES, ROLES, ROUTES

        terminalreporter.write_line(
            f"access matrix: {len(ROUTES)} route/method pairs ({len(CASES)} with every action, operation and lookup)"
            f" x {len(ROLES)} roles, {len(matrix)} combinations passed, each with its exact answer, on "
            f"{len(BACKENDS)} database(s)"
        )


@contextmanager
def scratch_database(suffix: str) -> Iterator[str]:
    """A fresh PostgreSQL database beside TEST_DATABASE_URL's, private to this run (concurrent runs on one server
    never share tables), dropped afterwards. Fails loudly when the URL is set but the server is unreachable."""
    server = make_url(os.environ["TEST_DATABASE_URL"])
    name = f"{server.database}_{suffix}_{os.getpid()}"
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with ExitStack() as stack:
        if request.param == "sqlite":
            url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite'}"
        else:
            url = stack.enter_context(scratch_database("suite"))
        app = create_app("testing", SQLALCHEMY_DATABASE_URI=url)
        with app.app_context():
            flask_migrate.upgrade()
            _db.engine.dispose()
        yield url


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


class IsolatedClient(FlaskClient):
    """Runs each request in an application context of its own, as a real server does.

    Flask reuses an app context that is already pushed (the test's, for factories and assertions), so without
    this every request of a test would share one ``g`` (Flask-WTF's cached CSRF token, Flask-Login's cached user)
    and one database session with the test and with each other.
    """

    def open(self, *args: Any, **kwargs: Any) -> Any:
        # Buffered: a streamed body (stream_with_context) is read inside the request's own context, too.
        kwargs.setdefault("buffered", True)
        return contextvars.copy_context().run(self._open_without_app_context, *args, **kwargs)

    def _open_without_app_context(self, *args: Any, **kwargs: Any) -> Any:
        _cv_app.set(None)  # only in this copied context: Flask pushes a fresh app context for the request
        return super().open(*args, **kwargs)


@pytest.fixture(scope="session")
def shared_app(database_url: str) -> Iterator[Flask]:
    """One app per database: building one compiles every route (~0.1 s). Tests change its config only through
    monkeypatch, so nothing leaks from one test to the next."""
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=database_url)
    app.test_client_class = IsolatedClient
    yield app
    with app.app_context():
        _db.engine.dispose()  # before the scratch database is dropped


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


def recorded_statements(work: Callable[[], Any]) -> list[str]:
    """The SQL statements ``work()`` sends, in order (an executemany counts once)."""
    seen: list[str] = []

    def listener(*args: Any) -> None:
        seen.append(args[2])

    sa.event.listen(_db.engine, "before_cursor_execute", listener)
    try:
        work()
    finally:
        sa.event.remove(_db.engine, "before_cursor_execute", listener)
    return seen


def count_statements(work: Callable[[], Any]) -> int:
    """How many SQL statements ``work()`` sends (an executemany counts once)."""
    return len(recorded_statements(work))


def csrf_token(client: FlaskClient) -> str:
    """The session's CSRF token, read from a page as a browser would (login form, or the logout form)."""
    response = client.get("/login")
    if response.status_code == 302:  # signed in: a page that changes nothing (the dashboard keeps counts)
        response = client.get("/admin/preferences/")
    match = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', response.get_data(as_text=True))
    assert match, "no CSRF token on the login page nor on the preferences page"
    return match.group(1)


def choose_language(client: FlaskClient, code: str, next_path: str = "/login") -> Any:
    """The language menu's POST, as a browser sends it from ``next_path``."""
    return client.post("/language", data={"lang": code, "next": next_path, "csrf_token": csrf_token(client)})


@pytest.fixture
def login_as(client: FlaskClient) -> Callable[[str | None], User | None]:
    """Sign in through the real login form as a new user holding ``role`` (None: stay anonymous)."""

    def login(role: str | None) -> User | None:
        if role is None:
            return None
        user = UserFactory(roles=[role])
        sign_in(client, user)
        return user

    return login


def provision_authenticator(user: User) -> str:
    """Give ``user`` an authenticator app, as two-factor setup would; returns the TOTP secret."""
    secret = security.totp_factory.generate_totp_secret()
    security.datastore.tf_set(user, "authenticator", totp_secret=secret)
    _db.session.commit()
    return secret


def totp_code(user: User) -> str:
    return security.totp_factory.generate_totp_password(user.tf_totp_secret)


def sign_in(client: FlaskClient, user: User) -> None:
    """The real login form, then, for users who must use two-factor, the code from their authenticator app (set
    up on the fly if they have none)."""
    if requires_two_factor(user) and not user.tf_primary_method:
        provision_authenticator(user)
    token = csrf_token(client)  # read before: opening the login page again would restart the sign-in
    response = client.post("/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302, response.get_data(as_text=True)
    if response.headers["Location"].startswith("/tf-validate"):
        response = client.post("/tf-validate", data={"code": totp_code(user), "csrf_token": token})
        assert response.status_code == 302 and not response.headers["Location"].startswith("/tf-"), response.text


@pytest.fixture(autouse=True)
def collect_garbage() -> Iterator[None]:
    """After each test, the garbage collector: a resource a test leaves open (an app's connection pool never
    disposed) is reported at that test, not at whichever later test the collector happens to run in."""
    yield
    gc.collect()
