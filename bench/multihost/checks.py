"""The three functional checks, each returning its printed lines and whether it passed: a session started on one host
works on the other; failed logins spread over both hosts spend one budget; /readyz takes a host whose database went
away out of the balancer, and brings it back."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import requests

from bench.multihost import balancer, pages
from bench.multihost.balancer import Ports
from bench.multihost.client import Browser, served_by
from bench.multihost.data import FAILURES_PER_ACCOUNT, LIMIT_ACCOUNT, MODERATOR_PASSWORD
from bench.multihost.hosts import HOSTS, Host

TOO_MANY = "Too many attempts"


@dataclass
class Check:
    name: str
    lines: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    def expect(self, ok: bool, line: str) -> None:
        self.lines.append(("ok    " if ok else "FAIL  ") + line)
        if not ok:
            self.failures.append(line)

    @property
    def passed(self) -> bool:
        return not self.failures


def session_is_shared(ports: Ports, cert: Path, email: str) -> Check:
    """Sign in on one host, read and moderate on the other (the CSRF token travels too), sign out on one and be
    signed out on both; in both directions."""
    check = Check("a session started on one host works on the other")
    for home, other in (HOSTS, HOSTS[::-1]):
        browser = Browser(ports, cert)
        login = browser.login(email, MODERATOR_PASSWORD, home)
        check.expect(
            login.status_code == 302 and served_by(login) == home.name,
            f"signed in on {home.name}: {login.status_code} (served by {served_by(login)})",
        )
        listing = browser.get("/admin/comment/?flt0_disabled_equals=0", other)
        check.expect(
            listing.status_code == 200 and pages.signed_in(listing.text) and served_by(listing) == other.name,
            f"comment list on {other.name}: {listing.status_code}, signed in: "
            f"{pages.signed_in(listing.text)} (served by {served_by(listing)})",
        )
        ticked = pages.row_ids(listing.text)[:2]
        token = pages.csrf_token(listing.text) or ""
        asked = browser.post(
            "/admin/comment/action/",
            [
                ("action", "disable"),
                ("csrf_token", token),
                ("url", "/admin/comment/"),
                *[("rowid", str(i)) for i in ticked],
            ],
            home,
        )
        confirm = pages.form(asked.text, "/moderate/")
        check.expect(
            asked.status_code == 200 and confirm is not None,
            f"bulk disable of {len(ticked)} rows asked on {home.name} with {other.name}'s CSRF token: "
            f"{asked.status_code}, confirmation page: {confirm is not None}",
        )
        if confirm is None:
            continue
        done = browser.post(confirm.attrs["action"], pages.confirmation_data(confirm, "spam"), other)
        shown = pages.result(browser.get("/admin/comment/", home).text)
        check.expect(
            done.status_code == 302 and shown is not None and shown.changed == len(ticked),
            f"confirmed on {other.name}: {done.status_code}; result shown on {home.name}: "
            f"{shown.changed if shown else None} comments {shown.verb if shown else ''}",
        )
        token = pages.csrf_token(browser.get("/admin/comment/", other).text) or ""
        out = browser.post("/logout", {"csrf_token": token}, other)
        after = browser.get("/admin/comment/", home)
        check.expect(
            out.status_code == 302 and after.status_code == 302 and "/login" in after.headers["Location"],
            f"signed out on {other.name}: {out.status_code}; then the list on {home.name}: "
            f"{after.status_code} to {after.headers.get('Location')}",
        )
    return check


def failures_are_shared(ports: Ports, cert: Path) -> Check:
    """FAILURES_PER_ACCOUNT wrong passwords for one account, alternating between the hosts, then the right one on each
    host: refused (429) on both. Counted per process or per host, each host would have seen only half the
    failures and let the right password in."""
    check = Check(f"failed logins are counted across hosts (budget {FAILURES_PER_ACCOUNT} per account)")
    for attempt in range(FAILURES_PER_ACCOUNT):
        host = HOSTS[attempt % 2]
        answer = Browser(ports, cert).login(LIMIT_ACCOUNT, "wrong password", host)
        check.expect(
            answer.status_code == 200 and TOO_MANY not in answer.text and served_by(answer) == host.name,
            f"wrong password #{attempt + 1} on {host.name}: {answer.status_code} (refused as invalid)",
        )
    for host in HOSTS:
        answer = Browser(ports, cert).login(LIMIT_ACCOUNT, MODERATOR_PASSWORD, host)
        check.expect(
            answer.status_code == 429 and served_by(answer) == host.name,
            f"right password on {host.name} after {FAILURES_PER_ACCOUNT} failures over both hosts: "
            f"{answer.status_code} (429 expected)",
        )
    return check


@dataclass
class Traffic:
    """Signed-in list requests through the balancer in a thread: (time, status, served by)."""

    browser: Browser
    seen: list[tuple[float, int, str]] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)

    def __enter__(self) -> Traffic:
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(35)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                response = self.browser.get("/admin/comment/")
                self.seen.append((time.time(), response.status_code, served_by(response)))
            except requests.RequestException:
                self.seen.append((time.time(), 0, "?"))
            self._stop.wait(0.05)

    def between(self, start: float, end: float) -> list[tuple[float, int, str]]:
        return [item for item in self.seen if start <= item[0] < end]


def readiness(
    ports: Ports,
    cert: Path,
    sock: Path,
    email: str,
    host: Host,
    cut: Callable[[], object],
    restore: Callable[[], object],
) -> Check:
    """Kill ``host``'s PostgreSQL forwarder: its /readyz says 503 and HAProxy marks it DOWN while the other host
    serves every request; restart the forwarder and it is ready and UP again. Signed-in list requests run through
    the balancer all along, to show what moderators see meanwhile."""
    check = Check(f"/readyz takes {host.name} out when its database goes away, and back when it returns")
    other = next(h for h in HOSTS if h is not host)
    browser = Browser(ports, cert)
    browser.login(email, MODERATOR_PASSWORD)
    with Traffic(browser) as traffic:
        time.sleep(1)
        cut_at = time.time()
        cut()
        not_ready = poll_ready(host, want=503, timeout=15)
        down = poll_status(sock, host, "DOWN", timeout=15)
        other_ready = requests.get(other.url + "/readyz", timeout=5).status_code
        check.expect(
            not_ready is not None,
            f"{host.name}'s /readyz answered 503 {_since(cut_at, not_ready)} after its PostgreSQL forwarder was killed",
        )
        check.expect(
            down is not None,
            f"HAProxy marked {host.name} DOWN {_since(cut_at, down)} after the kill (check inter 1s fall 2)",
        )
        check.expect(other_ready == 200, f"{other.name}'s /readyz meanwhile: {other_ready}")
        time.sleep(3)
        down_at = down or cut_at
        before_down = traffic.between(cut_at, down_at)
        while_down = traffic.between(down_at + 0.5, time.time())
        check.lines.append(f"info  between the kill and DOWN: {len(before_down)} list requests, {_tally(before_down)}")
        check.expect(
            bool(while_down) and all(s == 200 and by == other.name for _, s, by in while_down),
            f"while {host.name} is DOWN: {len(while_down)} list requests through the balancer, {_tally(while_down)}",
        )
        restored_at = time.time()
        restore()
        ready = poll_ready(host, want=200, timeout=30)
        up = poll_status(sock, host, "UP", timeout=30)
        check.expect(
            ready is not None, f"forwarder restarted: {host.name}'s /readyz 200 {_since(restored_at, ready)} later"
        )
        check.expect(
            up is not None, f"HAProxy marked {host.name} UP {_since(restored_at, up)} after the restart (rise 2)"
        )
        time.sleep(3)
        after = traffic.between((up or restored_at) + 0.5, time.time())
    hosts_after = {by for _, status, by in after if status == 200}
    check.expect(
        hosts_after == {"a", "b"} and all(status == 200 for _, status, _ in after),
        f"once UP: {len(after)} list requests, {_tally(after)}",
    )
    return check


def poll_ready(host: Host, want: int, timeout: float) -> float | None:
    """When (time.time()) the host's own /readyz, asked directly on its namespace address, answered ``want``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if requests.get(host.url + "/readyz", timeout=5).status_code == want:
                return time.time()
        except requests.RequestException:
            pass
        time.sleep(0.1)
    return None


def poll_status(sock: Path, host: Host, wanted: str, timeout: float) -> float | None:
    """When (time.time()) HAProxy's stats first read ``wanted`` for the host."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if balancer.server_status(sock).get(host.name) == wanted:
                return time.time()
        except OSError:
            pass
        time.sleep(0.05)
    return None


def _since(start: float, when: float | None) -> str:
    return "never" if when is None else f"{when - start:.1f} s"


def _tally(seen: list[tuple[float, int, str]]) -> str:
    counts: dict[str, int] = {}
    for _, status, by in seen:
        key = f"{status} from {by}"
        counts[key] = counts.get(key, 0) + 1
    return ", ".join(f"{n} x {key}" for key, n in sorted(counts.items())) or "none"
