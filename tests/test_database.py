"""Engine settings (admin_app/database.py): web requests get a statement timeout on PostgreSQL, jobs do not."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy.exc import OperationalError

from admin_app.database import unlimited_statements
from admin_app.extensions import db
from admin_app.views import error_page

pytestmark = pytest.mark.postgresql_only


def sleep() -> None:
    db.session.execute(sa.text("SELECT pg_sleep(0.3)"))
    db.session.rollback()


def test_a_web_request_is_stopped_after_the_timeout_a_job_is_not(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(app.config, "WEB_STATEMENT_TIMEOUT_S", 0.1)
    with app.test_request_context():
        with pytest.raises(OperationalError, match="statement timeout"):
            sleep()
        db.session.rollback()
        with unlimited_statements():
            sleep()
    sleep()  # outside a request: a worker, the shell


def test_a_page_stopped_by_the_timeout_says_so(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(app.config, "WEB_STATEMENT_TIMEOUT_S", 0.1)
    with app.test_request_context("/admin/comment/?search=watches"):
        with pytest.raises(OperationalError) as stopped:
            sleep()
        body, status = error_page(stopped.value)
    assert status == 503
    assert "took longer than the back office allows (0.1 seconds)" in body


def test_the_pool_comes_from_the_configuration_and_tests_connections_before_use() -> None:
    from admin_app import create_app

    app = create_app(
        "testing",
        SQLALCHEMY_DATABASE_URI="postgresql+psycopg://postgres@127.0.0.1:9/none",  # never connected to here
        DATABASE_POOL_SIZE=7,
        DATABASE_MAX_OVERFLOW=3,
        DATABASE_CONNECT_TIMEOUT_S=4,
    )
    with app.app_context():
        pool = db.engine.pool
        assert isinstance(pool, sa.pool.QueuePool)
        assert (pool.size(), pool._max_overflow, pool._pre_ping) == (7, 3, True)
        assert app.config["SQLALCHEMY_ENGINE_OPTIONS"]["connect_args"] == {"connect_timeout": 4}
        db.engine.dispose()
