"""A moderator's browser over HTTPS through HAProxy, for the checks and the sign-ins the load reuses: the balanced
address or one host's pinned address per request, one cookie jar across both."""

from __future__ import annotations

import json
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import requests

from bench.multihost import pages
from bench.multihost.balancer import Ports
from bench.multihost.hosts import Host

USER_AGENT = "multihost-bench"


class Browser:
    def __init__(self, ports: Ports, cert: Path) -> None:
        self.ports = ports
        self.session = requests.Session()
        # Not the environment's CA bundle or proxies (requests lets REQUESTS_CA_BUNDLE override ``verify``).
        self.session.trust_env = False
        self.session.verify = str(cert)
        self.session.headers["User-Agent"] = USER_AGENT
        self.page = ports.url() + "/"

    def get(self, path: str, host: Host | None = None, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("allow_redirects", False)
        response = self.session.get(self.ports.url(host) + path, timeout=30, **kwargs)
        self.page = self.ports.url() + path
        return response

    def post(self, path: str, data: Any, host: Host | None = None, **kwargs: Any) -> requests.Response:
        """As the page last opened posts it: the CSRF check on HTTPS wants a same-origin Referer, as browsers send
        (Referrer-Policy: same-origin)."""
        kwargs.setdefault("allow_redirects", False)
        headers = {"Referer": self.page, **kwargs.pop("headers", {})}
        response = self.session.post(self.ports.url(host) + path, data=data, timeout=30, headers=headers, **kwargs)
        self.page = self.ports.url() + path
        return response

    def login(self, email: str, password: str, host: Host | None = None) -> requests.Response:
        """The login form: its page for the CSRF token, then the POST (argon2: about a second on the server)."""
        token = pages.csrf_token(self.get("/login", host).text)
        return self.post("/login", {"email": email, "password": password, "csrf_token": token or ""}, host)

    def cookies(self) -> list[dict[str, Any]]:
        """The jar as plain data, so that another process (a locust user) continues this very session."""
        return [
            {
                "name": c.name,
                "value": c.value,
                "domain": c.domain,
                "path": c.path,
                "secure": c.secure,
                "expires": c.expires,
                "rest": {"HttpOnly": c.get_nonstandard_attr("HttpOnly")},
            }
            for c in self.session.cookies
        ]


def served_by(response: requests.Response) -> str:
    return response.headers.get("X-Served-By", "?")


def sign_in_all(ports: Ports, cert: Path, emails: Iterable[str], password: str, path: Path) -> int:
    """Sign each account in once through the balancer, four at a time (argon2 takes about a second of a core), and
    keep the sessions for the load in ``path``; returns how many could not sign in."""

    def sign_in(email: str) -> dict[str, Any] | None:
        browser = Browser(ports, cert)
        response = browser.login(email, password)
        if response.status_code != 302 or not pages.signed_in(browser.get("/admin/comment/").text):
            return None
        return {"email": email, "cookies": browser.cookies()}

    with ThreadPoolExecutor(4) as pool:
        signed = list(pool.map(sign_in, emails))
    path.write_text(json.dumps([session for session in signed if session]))
    return sum(1 for session in signed if session is None)
