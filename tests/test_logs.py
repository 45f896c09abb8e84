"""Request ids, one log line per request (text or JSON) with user, status, duration and SQL work, slow queries."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient

from admin_app import create_app
from admin_app.extensions import db
from tests.conftest import IsolatedClient, sign_in
from tests.factories import UserFactory

BuildApp = Callable[..., Flask]


@pytest.fixture
def build_app(app: Flask, database_url: str) -> Iterator[BuildApp]:
    built: list[Flask] = []

    def build(**overrides: object) -> Flask:
        built.append(create_app("testing", SQLALCHEMY_DATABASE_URI=database_url, LOG_LEVEL="INFO", **overrides))
        built[-1].test_client_class = IsolatedClient
        return built[-1]

    yield build
    for each in built:
        with each.app_context():
            db.engine.dispose()
    create_app("testing")  # puts the suite's own (quiet) log handler back


def request_lines(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [record for record in caplog.records if record.name == "admin_app.requests"]


def test_a_proxys_request_id_is_kept_and_echoed(client: FlaskClient) -> None:
    response = client.get("/login", headers={"X-Request-ID": "9f1c2e7a-req-0001"})
    assert response.headers["X-Request-ID"] == "9f1c2e7a-req-0001"


@pytest.mark.parametrize("offered", [None, "", "short", "x" * 129, "id with spaces", "id;drop", "ünïcode-id-1234"])
def test_without_a_usable_request_id_one_is_drawn(client: FlaskClient, offered: str | None) -> None:
    headers = {"X-Request-ID": offered} if offered is not None else {}
    first = client.get("/login", headers=headers).headers["X-Request-ID"]
    second = client.get("/login", headers=headers).headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", first) and first != second


def test_each_request_is_one_line_with_its_user_status_duration_and_sql(
    build_app: BuildApp, caplog: pytest.LogCaptureFixture
) -> None:
    app = build_app()
    client = app.test_client()
    with app.app_context():
        moderator = UserFactory(roles=["moderator"])
        db.session.commit()
        sign_in(client, moderator)
        caplog.clear()
        with caplog.at_level(logging.INFO, logger="admin_app.requests"):
            response = client.get("/admin/comment/?page_size=20", headers={"X-Request-ID": "list-page-request-1"})
        assert response.status_code == 200
        [line] = request_lines(caplog)
        assert line.request_id == "list-page-request-1"
        assert (line.user_id, line.method, line.path, line.status) == (moderator.id, "GET", "/admin/comment/", 200)
        assert line.duration_ms > 0 and line.sql_count >= 2 and 0 < line.sql_ms <= line.duration_ms


def test_the_production_format_is_one_json_object_a_line(build_app: BuildApp, capsys: pytest.CaptureFixture) -> None:
    app = build_app(LOG_FORMAT="json")
    capsys.readouterr()
    app.test_client().get("/healthz", headers={"X-Request-ID": "health-check-0001"})
    [line] = [json.loads(text) for text in capsys.readouterr().err.splitlines() if "admin_app.requests" in text]
    assert line["request_id"] == "health-check-0001"
    assert line["level"] == "INFO" and line["path"] == "/healthz" and line["status"] == 200
    assert line["user_id"] is None and line["sql_count"] == 0 and "time" in line and "duration_ms" in line


def test_plain_text_stays_the_default(build_app: BuildApp, capsys: pytest.CaptureFixture) -> None:
    app = build_app()
    capsys.readouterr()
    app.test_client().get("/healthz", headers={"X-Request-ID": "health-check-0002"})
    [line] = [text for text in capsys.readouterr().err.splitlines() if "admin_app.requests" in text]
    assert line.endswith("INFO [health-check-0002] admin_app.requests: GET /healthz 200")


def test_a_slow_statement_is_logged_with_its_request(build_app: BuildApp, caplog: pytest.LogCaptureFixture) -> None:
    app = build_app(SLOW_QUERY_SECONDS=0)  # every statement is "slow"
    with caplog.at_level(logging.WARNING, logger="admin_app.sql"):
        app.test_client().get("/readyz", headers={"X-Request-ID": "slow-query-test-1"})
    slow = [record for record in caplog.records if record.name == "admin_app.sql"]
    assert slow and all(record.request_id == "slow-query-test-1" for record in slow)
    assert any("alembic_version" in record.statement for record in slow)


def test_the_error_page_quotes_the_request_id(build_app: BuildApp, caplog: pytest.LogCaptureFixture) -> None:
    app = build_app()

    @app.get("/fails")
    def fails() -> str:
        raise RuntimeError("a bug")

    response = app.test_client().get("/fails", headers={"X-Request-ID": "ask-for-this-one-7"})
    assert response.status_code == 500
    assert response.headers["X-Request-ID"] == "ask-for-this-one-7"
    assert "<code>ask-for-this-one-7</code>" in response.get_data(as_text=True)
    [error] = [record for record in caplog.records if record.levelno == logging.ERROR]
    assert error.request_id == "ask-for-this-one-7" and error.exc_info


def test_a_4xx_page_quotes_no_reference(client: FlaskClient) -> None:
    assert "error-reference" not in client.get("/no/such/page").get_data(as_text=True)
