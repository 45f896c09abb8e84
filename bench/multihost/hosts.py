"""The two app hosts: a network namespace each on a veth pair, forwarders to PostgreSQL and Redis on the host side,
gunicorn and an RQ worker inside; and the teardown that removes every piece, whatever happened.

Everything started here is remembered by process id (and its start time, so a stale id from an earlier run that the
kernel has since reused is never signalled) in STATE, so a run that was itself killed is cleaned up by the next.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = ROOT / ".venv" / "bin"
STATE = Path("/run/multihost-bench.json")
APP_PORT = 8000
PG_PORT, REDIS_PORT = 5432, 6379


@dataclass(frozen=True)
class Host:
    name: str  # "a" or "b": HAProxy's server name too
    subnet: int  # 10.231.<subnet>.0/24

    @property
    def netns(self) -> str:
        return f"mhbench-{self.name}"

    @property
    def outer(self) -> str:
        """The host side of the veth: where this host's forwarders listen."""
        return f"10.231.{self.subnet}.1"

    @property
    def inner(self) -> str:
        """The app's own address inside its namespace."""
        return f"10.231.{self.subnet}.2"

    @property
    def veth(self) -> tuple[str, str]:
        return f"mhb-{self.name}-out", f"mhb-{self.name}-in"

    @property
    def url(self) -> str:
        return f"http://{self.inner}:{APP_PORT}"


HOSTS = (Host("a", 1), Host("b", 2))


def sh(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, check=check, capture_output=True, text=True)


class Processes:
    """Processes this run started, by id; each in a session of its own so that its children (socat's forked
    connections, gunicorn's workers) go with it."""

    def __init__(self, logs: Path) -> None:
        self.logs = logs
        self.started: dict[str, subprocess.Popen[bytes]] = {}

    def start(self, label: str, args: Sequence[str], env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
        log = open(self.logs / f"{label}.log", "ab")
        process = subprocess.Popen(
            list(args),
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        log.close()
        self.started[label] = process
        remember(process.pid)
        return process

    def stop(self, label: str, sig: signal.Signals = signal.SIGTERM, wait: float = 5.0) -> None:
        process = self.started.pop(label, None)
        if process is None:
            return
        kill_group(process.pid, sig)
        try:
            process.wait(wait)
        except subprocess.TimeoutExpired:
            kill_group(process.pid, signal.SIGKILL)
            process.wait(5)
        forget(process.pid)

    def stop_all(self) -> None:
        for label in reversed(list(self.started)):
            self.stop(label)


def kill_group(pid: int, sig: signal.Signals) -> None:
    try:
        os.killpg(pid, sig)  # the session leader's id is its group's id
    except ProcessLookupError:
        pass


# Network: two namespaces, a veth pair each; the forwarders are processes (Processes).


def create_network() -> None:
    for host in HOSTS:
        outer, inner = host.veth
        sh("ip", "netns", "add", host.netns)
        sh("ip", "link", "add", outer, "type", "veth", "peer", "name", inner)
        sh("ip", "link", "set", inner, "netns", host.netns)
        sh("ip", "addr", "add", f"{host.outer}/24", "dev", outer)
        sh("ip", "link", "set", outer, "up")
        inside = ("ip", "netns", "exec", host.netns)
        sh(*inside, "ip", "addr", "add", f"{host.inner}/24", "dev", inner)
        sh(*inside, "ip", "link", "set", inner, "up")
        sh(*inside, "ip", "link", "set", "lo", "up")


def namespace_pids(host: Host) -> list[int]:
    found = sh("ip", "netns", "pids", host.netns, check=False)
    return [int(pid) for pid in found.stdout.split()] if found.returncode == 0 else []


def kill_host(host: Host) -> list[str]:
    """SIGKILL every process of the host at once (``ip netns pids NAME | xargs kill -9``); what each killed one was."""
    pids = namespace_pids(host)
    killed = [describe(pid) for pid in pids]
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    return killed


def describe(pid: int) -> str:
    """A process as the report names it: "gunicorn" (master or worker) or "rq worker" (``manage.py worker``)."""
    args = _cmdline(pid).split("\0")
    if any(arg.endswith("gunicorn") for arg in args):
        return "gunicorn"
    if "manage.py" in args and "worker" in args:
        return "rq worker"
    return Path(args[0]).name if args and args[0] else f"pid {pid}"


def remove_network() -> None:
    """Namespaces and veths of ours (by their fixed names), with any process still inside them."""
    existing = sh("ip", "netns", "list", check=False).stdout
    for host in HOSTS:
        if host.netns in existing:
            for pid in namespace_pids(host):
                kill_group(pid, signal.SIGKILL)
            deadline = time.monotonic() + 5
            while namespace_pids(host) and time.monotonic() < deadline:
                time.sleep(0.1)
            sh("ip", "netns", "del", host.netns, check=False)
        sh("ip", "link", "del", host.veth[0], check=False)  # gone with the namespace, unless it was left alone


def forwarder_args(host: Host, port: int) -> list[str]:
    return ["socat", f"TCP-LISTEN:{port},bind={host.outer},fork,reuseaddr", f"TCP:127.0.0.1:{port}"]


def in_namespace(host: Host, *args: str) -> list[str]:
    return ["ip", "netns", "exec", host.netns, *args]


def gunicorn_args(host: Host) -> list[str]:
    return in_namespace(
        host,
        str(VENV_BIN / "gunicorn"),
        "-c",
        "config/gunicorn.conf.py",
        "--bind",
        f"{host.inner}:{APP_PORT}",
        "admin_app.wsgi:app",
    )


def worker_args(host: Host) -> list[str]:
    return in_namespace(host, str(VENV_BIN / "python"), "manage.py", "worker")


# What a run that was killed itself (SIGKILL, a power cut) left behind.


def remember(pid: int) -> None:
    state = _read_state()
    state[str(pid)] = _started(pid)
    STATE.write_text(json.dumps(state))


def forget(pid: int) -> None:
    state = _read_state()
    state.pop(str(pid), None)
    STATE.write_text(json.dumps(state))


def clean_leftovers() -> list[int]:
    """Stop the processes an earlier run recorded and never stopped (only if each id is still the same process: the
    same start time), with their groups, then remove its namespaces."""
    stopped = []
    for pid, started in _read_state().items():
        if started and _started(int(pid)) == started:
            kill_group(int(pid), signal.SIGKILL)
            stopped.append(int(pid))
    STATE.unlink(missing_ok=True)
    remove_network()
    return stopped


def _read_state() -> dict[str, str]:
    try:
        return dict(json.loads(STATE.read_text()))
    except (FileNotFoundError, ValueError):
        return {}


def _started(pid: int) -> str:
    """The process's start time in clock ticks since boot (/proc/PID/stat, field 22): fixed at fork, kept across exec
    (a command line is not: ``ip netns exec`` becomes gunicorn, and reads empty while exec runs)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return ""
    return stat.rpartition(")")[2].split()[19]


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
    except OSError:
        return ""
