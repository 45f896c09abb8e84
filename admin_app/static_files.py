"""Static files (ours and Flask-Admin's) cached for good: every URL built for one carries a digest of its content
(``?v=``), and a request with the current digest is answered as immutable for a year. A new release changes the
digests of the files it changes, so no browser keeps an old one; a second page view fetches no static file.
"""

from __future__ import annotations

import hashlib
import os
from functools import lru_cache
from typing import Any

from flask import Flask, current_app, request, send_from_directory
from werkzeug.security import safe_join
from werkzeug.wrappers import Response

FOREVER = "public, max-age=31536000, immutable"
# Files asked for without the current digest: those that stylesheets name themselves (fonts), or a page of the
# previous release. An hour spares the fetches without keeping an old file long.
A_WHILE = "public, max-age=3600"


def folder(endpoint: str) -> str | None:
    app = current_app
    if endpoint == "static":
        return app.static_folder
    blueprint = app.blueprints.get(endpoint.removesuffix(".static"))
    return blueprint.static_folder if blueprint is not None else None


def digest(endpoint: str, filename: str) -> str | None:
    """The first 12 hex digits of the file's SHA-256, None if there is no such file."""
    root = folder(endpoint)
    path = safe_join(root, filename) if root else None
    if path is None:
        return None
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return _digest(path, stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=1024)
def _digest(path: str, _mtime_ns: int, _size: int) -> str:
    with open(path, "rb") as file:
        return hashlib.file_digest(file, "sha256").hexdigest()[:12]


def is_static(endpoint: str | None) -> bool:
    """A static file's endpoint (ours, a blueprint's, the favicon): the only answers that may be cached."""
    return endpoint is not None and (endpoint in ("static", "favicon") or endpoint.endswith(".static"))


def add_digest(endpoint: str, values: dict[str, Any]) -> None:
    """url_for(<any static endpoint>, filename=...) gets ``v=<digest>`` (replacing Flask-Admin's version numbers)."""
    if is_static(endpoint) and "filename" in values:
        if found := digest(endpoint, str(values["filename"])):
            values["v"] = found


def cache_for_good(response: Response) -> Response:
    if is_static(request.endpoint) and response.status_code in (200, 304):
        current = digest(str(request.endpoint), str((request.view_args or {}).get("filename", "")))
        asked = request.args.get("v")
        response.headers["Cache-Control"] = FOREVER if current and asked == current else A_WHILE
        response.headers.pop("Expires", None)
    return response


def favicon() -> Response:
    """/favicon.ico, which browsers ask for on their own on a first visit: the back office's icon, public like the
    static files, rather than a 404 in every console."""
    return send_from_directory(str(current_app.static_folder), "favicon.ico", mimetype="image/vnd.microsoft.icon")


def init_app(app: Flask) -> None:
    app.url_defaults(add_digest)
    app.after_request(cache_for_good)
    app.add_url_rule("/favicon.ico", "favicon", favicon)
