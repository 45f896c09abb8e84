"""HAProxy in front of the two hosts: TLS with a throwaway certificate, /readyz as the health check, a frontend that
balances and one per host that pins to it, and the stats socket that says when a server goes DOWN or comes UP.
"""

from __future__ import annotations

import csv
import io
import socket
import subprocess
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bench.multihost.hosts import APP_PORT, HOSTS, Host

HAPROXY = "/usr/sbin/haproxy"
LISTEN = "127.0.0.1"
BACKEND = "app"


@dataclass(frozen=True)
class Ports:
    balanced: int

    def pinned(self, host: Host) -> int:
        """A frontend that sends everything to this one host (no health check: it shows the host's own answers)."""
        return self.balanced + 1 + HOSTS.index(host)

    @property
    def site(self) -> str:
        return f"{LISTEN}:{self.balanced}"

    def url(self, host: Host | None = None) -> str:
        return f"https://{LISTEN}:{self.balanced if host is None else self.pinned(host)}"


def make_certificate(directory: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1, made now: (HAProxy's PEM with the key, the certificate to trust)."""
    key, cert = directory / "key.pem", directory / "cert.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-days",
            "2",
            "-subj",
            f"/CN={LISTEN}",
            "-addext",
            f"subjectAltName=IP:{LISTEN}",
        ],
        check=True,
        capture_output=True,
    )
    bundle = directory / "haproxy.pem"
    bundle.write_bytes(cert.read_bytes() + key.read_bytes())
    bundle.chmod(0o600)
    return bundle, cert


def config(directory: Path, ports: Ports, bundle: Path) -> str:
    """The balancer as production would run it: TLS ends here, the app trusts one proxy hop (TRUSTED_PROXIES=1),
    no stickiness (any host serves any session), and only connection failures are retried: a request that reached
    a host may have committed (a POST) or written to the audit trail (a CSV export is a GET), so it is never
    replayed on the other host."""
    servers = "\n".join(f"    server {host.name} {host.inner}:{APP_PORT} check" for host in HOSTS)
    pinned = "\n".join(
        f"""
{frontend(f"pin_{host.name}", ports.pinned(host), bundle, f"only_{host.name}", site=ports.site)}
backend only_{host.name}
    server {host.name} {host.inner}:{APP_PORT}
"""
        for host in HOSTS
    )
    return f"""global
    log stdout format raw local0
    stats socket {directory / "haproxy.sock"} mode 600 level admin
    maxconn 2000

defaults
    mode http
    log global
    option httplog
    timeout connect 1s
    timeout client 60s
    timeout server 60s
    timeout check 3s
    # A connection refused (a host just killed, not yet marked DOWN) is tried again on the other host.
    retries 2
    option redispatch 1
    retry-on conn-failure
    option forwardfor
{frontend("balanced", ports.balanced, bundle, BACKEND)}

backend {BACKEND}
    balance roundrobin
    option httpchk
    http-check send meth GET uri /readyz ver HTTP/1.1 hdr Host {LISTEN}
    http-check expect status 200
    default-server inter 1s fall 2 rise 2
{servers}
{pinned}"""


def frontend(name: str, port: int, bundle: Path, backend: str, site: str = "") -> str:
    """Only the client's own address counts: whatever X-Forwarded-* it sent is dropped. X-Served-By tells the checks
    and the load which host answered. A pinned door presents the request as addressed to the site (``site``: the
    balanced address), so that one browser session is one origin to the app whichever door it goes through (the
    CSRF check compares the Referer with the Host)."""
    host = f"\n    http-request set-header Host {site}" if site else ""
    return f"""
frontend {name}
    bind {LISTEN}:{port} ssl crt {bundle} alpn http/1.1
    http-request del-header X-Forwarded-For
    http-request del-header X-Forwarded-Proto
    http-request del-header X-Forwarded-Host
    http-request set-header X-Forwarded-Proto https{host}
    http-response set-header X-Served-By %[srv_name]
    default_backend {backend}
"""


def start_args(config_path: Path) -> list[str]:
    return [HAPROXY, "-db", "-f", str(config_path)]


def check_config(config_path: Path) -> None:
    subprocess.run([HAPROXY, "-c", "-q", "-f", str(config_path)], check=True)


def show_stat(sock: Path) -> list[dict[str, str]]:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
        client.settimeout(2)
        client.connect(str(sock))
        client.sendall(b"show stat\n")
        chunks = []
        while chunk := client.recv(65536):
            chunks.append(chunk)
    text = b"".join(chunks).decode().lstrip("# ")
    return list(csv.DictReader(io.StringIO(text)))


def server_status(sock: Path, backend: str = BACKEND) -> dict[str, str]:
    """Each server of the balanced backend: "UP", "DOWN", or a transition ("UP 1/2", "DOWN 1/2")."""
    return {
        row["svname"]: row["status"]
        for row in show_stat(sock)
        if row["pxname"] == backend and row["svname"] not in ("FRONTEND", "BACKEND")
    }


@dataclass
class StatusWatch:
    """Polls the stats socket in a thread and keeps each change of a server's status with its wall-clock time."""

    sock: Path
    servers: Sequence[str]
    interval: float = 0.05
    changes: list[tuple[float, str, str]] = field(default_factory=list)  # (time.time(), server, status)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def __enter__(self) -> StatusWatch:
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(5)

    def _run(self) -> None:
        last: dict[str, str] = {}
        while not self._stop.is_set():
            try:
                now, status = time.time(), server_status(self.sock)
            except OSError:
                status = {}
            for server in self.servers:
                if server in status and status[server] != last.get(server):
                    self.changes.append((now, server, status[server]))
                    last[server] = status[server]
            self._stop.wait(self.interval)

    def first(self, server: str, status: str, after: float = 0.0) -> float | None:
        return next(
            (when for when, name, found in self.changes if name == server and found == status and when >= after), None
        )
