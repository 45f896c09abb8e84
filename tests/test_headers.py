"""Security headers on every kind of response: pages, redirects, errors, exports, the login page; the server banner."""

from __future__ import annotations

import http.client
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.serving import make_server

from tests.conftest import csrf_token
from tests.factories import CommentFactory


def responses(client: FlaskClient, login_as: Any) -> Iterator[tuple[str, Any]]:
    yield "login page", client.get("/login")
    yield "redirect to login", client.get("/admin/comment/")
    yield "404", client.get("/nowhere")
    login_as("admin")
    comment = CommentFactory()
    yield "dashboard", client.get("/admin/")
    yield "list", client.get("/admin/comment/")
    yield "details", client.get(f"/admin/comment/details/?id={comment.id}")
    yield (
        "confirmation",
        client.post(
            "/admin/comment/action/",
            data={"action": "disable", "rowid": [comment.id], "csrf_token": csrf_token(client)},
        ),
    )
    yield "export", client.get("/admin/comment/export/csv/")
    yield "403-free redirect", client.get("/")
    yield "400", client.get("/admin/reports/comment-volume/?from=nonsense")


def test_every_response_refuses_framing_sniffing_and_caching(client: FlaskClient, login_as: Any) -> None:
    for name, response in responses(client, login_as):
        headers = response.headers
        assert headers["X-Frame-Options"] == "DENY", name
        assert "frame-ancestors 'none'" in headers["Content-Security-Policy"], name
        assert headers["X-Content-Type-Options"] == "nosniff", name
        assert headers["Referrer-Policy"] == "same-origin", name
        assert headers["Cache-Control"] == "no-store", name


def test_static_files_may_be_cached(client: FlaskClient) -> None:
    response = client.get("/static/back-office.css")
    assert response.status_code == 200
    assert response.headers.get("Cache-Control") != "no-store"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_hsts_in_production_over_https(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    plain = app.test_client().get("/login", base_url="https://localhost")
    assert "Strict-Transport-Security" not in plain.headers, "off by default (make run serves plain HTTP)"
    from admin_app import create_app

    production = create_app(
        "production",
        SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
        SECRET_KEY="x" * 32,
        SECURITY_PASSWORD_SALT="y" * 32,
        SECURITY_TOTP_SECRETS={"1": "z" * 32},
        RATELIMIT_ENABLED=False,
    )
    response = production.test_client().get("/login", base_url="https://localhost")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


def test_the_development_server_names_no_versions(app: Flask) -> None:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
        connection.request("GET", "/login")
        response = connection.getresponse()
        response.read()
        banner = response.getheader("Server") or ""
        connection.close()
    finally:
        server.shutdown()
        thread.join()
    assert response.status == 200
    assert "Werkzeug" not in banner and "Python" not in banner and "/" not in banner
