"""Proxy awareness: behind TRUSTED_PROXIES proxies (nginx, a load balancer), the client's address, scheme and host
come from their X-Forwarded-* headers (Werkzeug's ProxyFix). Off by default: a client that sends those headers to
an app no proxy stands in front of changes nothing, so it cannot pick the address its login failures count against.
"""

from __future__ import annotations

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from admin_app.config import ConfigError


def trusted_hops(value: object) -> int:
    """The number of proxies in front of the app, each of which appends the address it saw to X-Forwarded-For."""
    if isinstance(value, bool) or not isinstance(value, int | str) or not str(value).isdigit():
        raise ConfigError(f"TRUSTED_PROXIES must be a number of proxies (0 or more), not {value!r}")
    return int(value)


def init_app(app: Flask) -> None:
    hops = trusted_hops(app.config["TRUSTED_PROXIES"])
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops)  # type: ignore[method-assign]
