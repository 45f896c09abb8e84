"""Every static URL a page names carries its file's digest and is cached for a year; anything else for an hour."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from pathlib import Path

from flask import Flask, url_for
from flask.testing import FlaskClient

from admin_app.static_files import A_WHILE, FOREVER

STATIC_URL = re.compile(r'(?:href|src)="(/(?:admin/)?static/[^"]+)"')


def static_urls(html: str) -> list[str]:
    return [url.replace("&amp;", "&") for url in STATIC_URL.findall(html)]


def test_every_static_file_a_page_names_is_versioned_by_its_content(client: FlaskClient, login_as: Callable) -> None:
    login_as("admin")
    urls = set()
    for path in ("/login", "/admin/", "/admin/comment/", "/admin/queue/", "/admin/reports/"):
        urls |= set(static_urls(client.get(path, follow_redirects=True).get_data(as_text=True)))
    assert len(urls) >= 15
    for url in sorted(urls):
        response = client.get(url)
        assert response.status_code == 200, url
        body = response.get_data()
        assert url.endswith(f"v={hashlib.sha256(body).hexdigest()[:12]}"), url
        assert response.headers["Cache-Control"] == FOREVER, url
        assert "Expires" not in response.headers


def test_a_static_file_without_its_current_digest_is_kept_an_hour(client: FlaskClient) -> None:
    for url in (
        "/static/back-office.css",
        "/static/back-office.css?v=0123456789ab",
        "/admin/static/vendor/jquery.min.js?v=3.5.1",
    ):
        response = client.get(url)
        assert response.status_code == 200
        assert response.headers["Cache-Control"] == A_WHILE, url


def test_a_changed_file_gets_a_new_url(app: Flask) -> None:
    path = Path(app.static_folder or "") / "test-static-digest.css"
    try:
        path.write_text("a { color: red }")
        with app.test_request_context():
            first = url_for("static", filename=path.name)
        path.write_text("a { color: blue; }")
        with app.test_request_context():
            second = url_for("static", filename=path.name)
    finally:
        path.unlink()
    assert first != second and "v=" in first and "v=" in second


def test_a_missing_file_is_still_a_404(client: FlaskClient) -> None:
    assert client.get("/static/no-such-file.css").status_code == 404
    assert client.get("/static/../config.py").status_code == 404


def test_the_favicon_browsers_ask_for_on_their_own_is_served_to_anyone(client: FlaskClient) -> None:
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response.mimetype == "image/vnd.microsoft.icon" and response.data[:4] == b"\x00\x00\x01\x00"  # an icon
    assert response.headers["Cache-Control"] == A_WHILE
