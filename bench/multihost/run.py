"""`make multihost`: two app hosts, each in its own network namespace (gunicorn and an RQ worker), behind HAProxy on
127.0.0.1 with TLS, over this machine's PostgreSQL and Redis (a scratch database ``multihost``, Redis databases 9 and
10). It checks that a session started on one host works on the other, that failed logins are counted across hosts,
and that /readyz takes a host out of the balancer when its database goes away (and back in when it returns); then it
runs two load phases of moderators (locust, --users at once for --duration seconds), the second with every process of
host a SIGKILLed half-way, and prints for each the requests served, p50, p99, errors and 5xx per window, and the audit
check (the database holds exactly the audited changes). Exits 1 when a check fails; always tears everything down.

Needs root (ip netns), socat, openssl and Debian's haproxy. See bench/multihost/README.md.
"""

from __future__ import annotations

import argparse
import fcntl
import functools
import json
import os
import shutil
import signal
import socket
import sys
import tempfile
import time
from pathlib import Path
from types import FrameType

sys.path[0] = str(Path(__file__).resolve().parents[2])  # run as a script: import from the project's root

import requests  # noqa: E402
import sqlalchemy as sa  # noqa: E402

from bench.multihost import audit, balancer, checks, client, data, hosts, load  # noqa: E402
from bench.multihost.report import print_check, print_phase  # noqa: E402

LOCK = Path("/run/multihost-bench.lock")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=int, default=60, help="seconds of each load phase (%(default)s)")
    parser.add_argument("--users", type=int, default=8, help="moderators at once, each signed in once (%(default)s)")
    parser.add_argument("--comments", type=int, default=30_000, help="comments to seed (%(default)s)")
    parser.add_argument("--port", type=int, default=8443, help="HAProxy's balanced port; +1, +2 pin to a, b")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database and the run's logs")
    return parser.parse_args()


def main() -> int:
    args = parse_args()
    if os.geteuid() != 0:
        sys.exit("needs root: it creates network namespaces (ip netns)")
    missing = [tool for tool in ("ip", "socat", "openssl", balancer.HAPROXY) if not shutil.which(tool)]
    if missing:
        sys.exit(f"missing: {', '.join(missing)} (apt-get install iproute2 socat openssl haproxy)")
    lock = open(LOCK, "w")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        sys.exit("another multihost run is in progress")
    signal.signal(signal.SIGTERM, _interrupted)
    directory = Path(tempfile.mkdtemp(prefix="multihost-"))
    processes = hosts.Processes(directory)
    started, passed = time.monotonic(), False
    print(f"multihost: {args.users} users, {args.duration} s per phase, {args.comments} comments; logs in {directory}")
    try:
        passed = run(args, directory, processes)
    except KeyboardInterrupt:
        print("\ninterrupted: tearing down")
    finally:
        teardown(processes, keep=args.keep)
        if passed and not args.keep:
            shutil.rmtree(directory, ignore_errors=True)
    print(f"\nwall time: {time.monotonic() - started:.0f} s; {'all checks passed' if passed else 'FAILED'}")
    return 0 if passed else 1


def _interrupted(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def run(args: argparse.Namespace, directory: Path, processes: hosts.Processes) -> bool:
    if stale := hosts.clean_leftovers():
        print(f"stopped {len(stale)} processes an earlier run left behind")
    ports = balancer.Ports(args.port)
    _require_free_ports(ports)
    keys = data.Secrets.fresh()

    step = _Step()
    data.recreate_database()
    data.flush_redis()
    step.done(f"deploy (manage.py deploy): {data.manage(keys, 'deploy'):.1f} s")
    dataset, seconds = data.seed(keys, args.comments)
    step.done(f"seed: {dataset.users} users, {dataset.posts} posts, {dataset.comments} comments in {seconds:.1f} s")
    emails = data.create_moderators(keys, args.users)
    step.done(f"{len(emails)} moderators for the load, one more for the login-limit check")

    hosts.create_network()
    for host in hosts.HOSTS:
        processes.start(f"pg-{host.name}", hosts.forwarder_args(host, hosts.PG_PORT))
        processes.start(f"redis-{host.name}", hosts.forwarder_args(host, hosts.REDIS_PORT))
        processes.start(f"gunicorn-{host.name}", hosts.gunicorn_args(host), data.host_env(keys, host))
        processes.start(f"worker-{host.name}", hosts.worker_args(host), data.host_env(keys, host))
    bundle, cert = balancer.make_certificate(directory)
    config_path = directory / "haproxy.cfg"
    config_path.write_text(balancer.config(directory, ports, bundle))
    balancer.check_config(config_path)
    processes.start("haproxy", balancer.start_args(config_path))
    sock = directory / "haproxy.sock"
    if not _wait_ready(sock, timeout=90):
        print(f"FAIL  the hosts did not become ready and UP within 90 s: see {directory}")
        return False
    step.done(f"hosts a ({hosts.HOSTS[0].inner}) and b ({hosts.HOSTS[1].inner}) ready and UP behind {ports.url()}")

    results = [
        checks.session_is_shared(ports, cert, emails[0]),
        checks.failures_are_shared(ports, cert),
        checks.readiness(
            ports,
            cert,
            sock,
            emails[0],
            hosts.HOSTS[0],
            cut=lambda: processes.stop("pg-a", signal.SIGKILL),
            restore=lambda: processes.start("pg-a", hosts.forwarder_args(hosts.HOSTS[0], hosts.PG_PORT)),
        ),
    ]
    for result in results:
        print_check(result)

    sessions = directory / "sessions.json"
    signed_in = time.monotonic()
    failed = client.sign_in_all(ports, cert, emails, data.MODERATOR_PASSWORD, sessions)
    step.done(f"{len(emails) - failed} moderators signed in once each ({time.monotonic() - signed_in:.1f} s)")
    if failed:
        print(f"FAIL  {failed} moderators could not sign in")
        return False
    from admin_app.services.demo_text import WORDS

    config = {
        "sessions": json.loads(sessions.read_text()),
        "cert": str(cert),
        "max_comment_id": dataset.max_comment_id,
        "max_post_id": dataset.max_post_id,
        "words": sorted({w for w in WORDS if len(w) >= 3}),
    }
    engine = sa.create_engine(data.database_url())
    passed = all(result.passed for result in results)

    phases: tuple[tuple[str, hosts.Host | None], ...] = (("steady", None), ("kill", hosts.HOSTS[0]))
    for label, victim in phases:
        passed &= _all_running(processes, keys)
        start = audit.snapshot(engine)
        phase = load.run(
            processes,
            ports,
            config,
            directory,
            label,
            args.users,
            args.duration,
            kill=functools.partial(hosts.kill_host, victim) if victim else None,
            killed=victim.name if victim else None,
        )
        busy = audit.wait_for_quiet(engine)
        report = audit.check(engine, start, phase.operations)
        passed &= print_phase(phase, report, args.users, busy)
    engine.dispose()
    return passed


def _all_running(processes: hosts.Processes, keys: data.Secrets) -> bool:
    """Before a phase: every host still runs its gunicorn (else fail) and its RQ worker (one that something else
    stopped is started again, and said so: the kill must find a whole host)."""
    ok = True
    for host in hosts.HOSTS:
        for role, args in (("gunicorn", hosts.gunicorn_args(host)), ("worker", hosts.worker_args(host))):
            label = f"{role}-{host.name}"
            code = processes.started[label].poll()
            if code is None:
                continue
            print(f"note: {label} exited ({code}) before this phase; see {processes.logs / (label + '.log')}")
            if role == "gunicorn":
                ok = False
            else:
                processes.stop(label)
                processes.start(label, args, data.host_env(keys, host))
    return ok


class _Step:
    def __init__(self) -> None:
        self.start = time.monotonic()

    def done(self, line: str) -> None:
        print(f"[{time.monotonic() - self.start:5.1f} s] {line}", flush=True)


def _require_free_ports(ports: balancer.Ports) -> None:
    for port in (ports.balanced, *[ports.pinned(host) for host in hosts.HOSTS]):
        with socket.socket() as probe:
            if probe.connect_ex((balancer.LISTEN, port)) == 0:
                raise SystemExit(f"{balancer.LISTEN}:{port} is taken: choose another --port")


def _wait_ready(sock: Path, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            ready = all(requests.get(host.url + "/readyz", timeout=2).status_code == 200 for host in hosts.HOSTS)
            if ready and set(balancer.server_status(sock).values()) == {"UP"}:
                return True
        except (requests.RequestException, OSError):
            pass
        time.sleep(0.25)
    return False


def teardown(processes: hosts.Processes, keep: bool) -> None:
    """Every process this run started, the namespaces (and whatever still runs in them), the Redis databases and,
    unless --keep, the scratch database."""
    processes.stop_all()
    hosts.remove_network()
    hosts.STATE.unlink(missing_ok=True)
    try:
        data.flush_redis()
        if not keep:
            data.drop_database()
    except Exception as error:  # teardown goes on: report and continue
        print(f"teardown: {error}")


if __name__ == "__main__":
    sys.exit(main())
