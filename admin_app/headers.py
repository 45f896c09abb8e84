"""Security headers on every response (Flask-Talisman): a strict Content-Security-Policy, no framing by any site, no
MIME sniffing, no referrer to other sites, nothing dynamic kept in a cache, and no server version banner.

The Content-Security-Policy runs only the back office's own files: scripts and style sheets from this origin, or
inline ones carrying the request's nonce (``csp_nonce()`` in templates; Flask-Admin's ``admin_csp_nonce_attribute``
holds the same one). No inline event handler, ``javascript:`` link or ``style=`` attribute runs: templates bind
behaviour from static scripts (admin_app/static/csp-handlers.js for Flask-Admin's own markup) and style with
classes. ``frame-ancestors 'none'`` (with X-Frame-Options: DENY for older browsers): the confirmation pages of bulk
actions cannot be framed and clicked through. HSTS is sent on HTTPS responses when ``HSTS`` is on (the production
profile).
"""

from __future__ import annotations

from flask import Flask, request
from flask_talisman import DENY, Talisman
from werkzeug.serving import WSGIRequestHandler
from werkzeug.wrappers import Response

from admin_app import static_files

SERVER_NAME = "back-office"
SELF = "'self'"
NONE = "'none'"
CONTENT_SECURITY_POLICY = {
    "default-src": SELF,
    "script-src": SELF,
    "style-src": SELF,
    # The two-factor setup page's QR code is a data: URI (Flask-Security's Totp.generate_qrcode), and Bootstrap's
    # style sheet draws its select arrows and menu icon with data: images.
    "img-src": f"{SELF} data:",
    "font-src": SELF,
    "connect-src": SELF,
    "form-action": SELF,
    "base-uri": NONE,
    "object-src": NONE,
    "frame-ancestors": NONE,
}
# Talisman appends 'nonce-...' to these directives, fresh on every request.
NONCE_IN = ["script-src", "style-src"]


def init_app(app: Flask) -> None:
    config = app.config
    Talisman(
        app,
        force_https=config["FORCE_HTTPS"],
        strict_transport_security=config["HSTS"],
        frame_options=DENY,
        content_security_policy=CONTENT_SECURITY_POLICY,
        content_security_policy_nonce_in=NONCE_IN,
        referrer_policy="same-origin",
        x_content_type_options=True,
        # Talisman writes these into the app's config: pass ours through unchanged.
        session_cookie_secure=config.get("SESSION_COOKIE_SECURE", False),
        session_cookie_http_only=config.get("SESSION_COOKIE_HTTPONLY", True),
        session_cookie_samesite=config.get("SESSION_COOKIE_SAMESITE", "Lax"),
    )
    app.after_request(keep_out_of_caches)
    hide_dev_server_version()


def keep_out_of_caches(response: Response) -> Response:
    """Every page, export and redirect may carry personal data or moderation state, and a signed-out browser's
    back button must not show it again: only static files may be cached."""
    if not static_files.is_static(request.endpoint):
        response.headers["Cache-Control"] = "no-store"
        response.headers.pop("Expires", None)
    return response


def hide_dev_server_version() -> None:
    """Werkzeug's development server (``make run``) names itself and Python with their versions in every
    response's Server header; ``version_string`` is http.server's documented hook for that header. (gunicorn says
    only "gunicorn".)"""
    WSGIRequestHandler.version_string = lambda self: SERVER_NAME  # type: ignore[method-assign]
