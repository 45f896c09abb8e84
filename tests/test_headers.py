"""Security headers on every kind of response: pages, redirects, errors, exports, the login page; the server banner."""

from __future__ import annotations

import http.client
import re
import threading
from collections.abc import Iterator
from html.parser import HTMLParser
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.serving import make_server

from admin_app.extensions import db
from tests.conftest import csrf_token
from tests.factories import CommentFactory

# Every directive and its sources; script-src and style-src carry the request's nonce besides.
STRICT_POLICY = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "font-src": ["'self'"],
    "connect-src": ["'self'"],
    "form-action": ["'self'"],
    "base-uri": ["'none'"],
    "object-src": ["'none'"],
    "frame-ancestors": ["'none'"],
}
NONCE = re.compile(r"'nonce-([A-Za-z0-9+/_=-]{22,})'")


def policy(response: Any) -> dict[str, list[str]]:
    directives = [part.split() for part in response.headers["Content-Security-Policy"].split(";")]
    return {name: sources for name, *sources in directives}


def header_nonce(response: Any) -> str:
    """The one nonce both script-src and style-src name."""
    directives = policy(response)
    found = {NONCE.fullmatch(source) for name in ("script-src", "style-src") for source in directives[name]}
    nonces = {match.group(1) for match in found if match}
    assert len(nonces) == 1, directives
    return nonces.pop()


class Tags(HTMLParser):
    """A page's script and style tags with their nonces (None: none), its style sheets' addresses and nonces, and
    every attribute a strict policy refuses to apply: inline event handlers and style attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.nonces: list[tuple[str, str | None]] = []
        self.sheets: list[tuple[str, str | None]] = []
        self.refused: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag in ("script", "style"):
            self.nonces.append((tag, values.get("nonce")))
        if tag == "link" and values.get("rel") == "stylesheet":
            self.sheets.append((values.get("href") or "", values.get("nonce")))
        self.refused += [f"<{tag} {name}=...>" for name, _value in attrs if name.startswith("on") or name == "style"]


def parsed(response: Any) -> Tags:
    tags = Tags()
    tags.feed(response.get_data(as_text=True))
    return tags


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
        assert {
            directive: [source for source in sources if not NONCE.fullmatch(source)]
            for directive, sources in policy(response).items()
        } == STRICT_POLICY, name
        header_nonce(response)
        assert headers["X-Content-Type-Options"] == "nosniff", name
        assert headers["Referrer-Policy"] == "same-origin", name
        assert headers["Cache-Control"] == "no-store", name


def test_every_page_gives_its_scripts_and_styles_the_nonce_its_header_names(client: FlaskClient, login_as: Any) -> None:
    pages = 0
    for name, response in responses(client, login_as):
        if response.mimetype != "text/html" or response.status_code in (301, 302, 303):
            continue
        pages += 1
        nonce, tags = header_nonce(response), parsed(response)
        assert tags.nonces, f"{name}: a page of the back office loads scripts"
        assert {tag_nonce for _tag, tag_nonce in tags.nonces} == {nonce}, f"{name}: {tags.nonces}"
        # Ours carry the nonce; Flask-Admin's form style sheets (lib.html's form_css) do not, and load as 'self'.
        assert all(sheet_nonce in (nonce, None) and href.startswith("/") for href, sheet_nonce in tags.sheets), name
        assert any(sheet_nonce == nonce for _href, sheet_nonce in tags.sheets), name
        assert tags.refused == [], name
    assert pages == 7, "login, 404, dashboard, list, details, confirmation and 400 pages"


def test_each_response_has_a_fresh_nonce(client: FlaskClient, login_as: Any) -> None:
    anonymous = [header_nonce(client.get("/login")) for _ in range(3)]
    login_as("admin")
    signed_in = [header_nonce(client.get("/admin/comment/")) for _ in range(3)]
    nonces = anonymous + signed_in
    assert len(set(nonces)) == len(nonces)
    assert all(len(nonce) >= 22 for nonce in nonces), "at least 128 bits of base64"


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
    with production.app_context():
        db.engine.dispose()  # its pool's connections (the periodic work ran before the request), closed now
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
