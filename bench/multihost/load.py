"""A load phase: locust headless for a fixed time at a fixed number of users, optionally with one host SIGKILLed
half-way while HAProxy's view of it is watched; then its figures from the per-request log, overall and per window.

Windows of a run with a kill, by the time each request ended: before (start to the kill), during (the kill to the
moment HAProxy's stats first read DOWN for that host, polled every 50 ms), after (DOWN to the end).
"""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bench.multihost.balancer import Ports, StatusWatch
from bench.multihost.hosts import HOSTS, ROOT, VENV_BIN, Processes


@dataclass(frozen=True)
class Request:
    end: float
    ms: float
    status: int  # 0: no HTTP answer at all (connection reset, timeout)
    served_by: str
    error: str
    method: str
    name: str


@dataclass
class Phase:
    label: str
    requests: list[Request]
    operations: list[dict[str, object]]
    started: float
    ended: float
    kill_at: float | None = None
    down_at: float | None = None
    killed: str | None = None
    killed_processes: list[str] = field(default_factory=list)
    status_changes: list[tuple[float, str, str]] = field(default_factory=list)


def run(
    processes: Processes,
    ports: Ports,
    config: dict[str, object],
    directory: Path,
    label: str,
    users: int,
    duration: int,
    kill: Callable[[], list[str]] | None = None,
    killed: str | None = None,
) -> Phase:
    requests_log, operations_log = directory / f"{label}-requests.log", directory / f"{label}-operations.log"
    settings = directory / f"{label}-load.json"
    logs = {"label": label, "requests_log": str(requests_log), "operations_log": str(operations_log)}
    settings.write_text(json.dumps({**config, **logs}))
    env = {**_base_env(), "MULTIHOST_LOAD": str(settings), "PYTHONPATH": str(ROOT)}
    args = [
        str(VENV_BIN / "locust"),
        "-f",
        "bench/multihost/locustfile.py",
        "--headless",
        "--users",
        str(users),
        "--spawn-rate",
        str(users),
        "--run-time",
        f"{duration}s",
        "--stop-timeout",
        "10",
        "--host",
        ports.url(),
        "--only-summary",
        "--exit-code-on-error",
        "0",
    ]
    phase = Phase(label, [], [], started=time.time(), ended=0.0, killed=killed)
    with StatusWatch(directory / "haproxy.sock", [host.name for host in HOSTS]) as watch:
        locust = processes.start(f"locust-{label}", args, env)
        first = _first_request(requests_log, locust)
        phase.started = first
        if kill is not None:
            time.sleep(max(0.0, first + duration / 2 - time.time()))
            phase.kill_at = time.time()
            phase.killed_processes = kill()
        locust.wait(duration + 60)
        processes.stop(f"locust-{label}")
        time.sleep(0.2)
    phase.status_changes = watch.changes
    if phase.kill_at is not None and killed is not None:
        phase.down_at = watch.first(killed, "DOWN", after=phase.kill_at)
    phase.requests = read_requests(requests_log)
    phase.ended = max((r.end for r in phase.requests), default=time.time())
    phase.operations = [json.loads(line) for line in operations_log.read_text().splitlines() if line.strip()]
    return phase


def _base_env() -> dict[str, str]:
    import os

    return {key: os.environ[key] for key in ("PATH", "HOME", "LANG") if key in os.environ}


def _first_request(log: Path, process: subprocess.Popen[bytes], timeout: float = 60) -> float:
    """When the first request ended: the run's start, as locust's timer starts with the first users."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"locust exited ({process.returncode}) before any request: see {log.parent}")
        if log.exists() and log.stat().st_size:
            break
        time.sleep(0.05)
    else:
        raise RuntimeError("locust sent no request within a minute")
    return min(r.end for r in read_requests(log))


def read_requests(log: Path) -> list[Request]:
    found = []
    for line in log.read_text().splitlines():
        end, ms, status, served, error, method, name = line.split(" ", 6)
        found.append(Request(float(end), float(ms), int(status), served, error, method, name.replace("_", " ")))
    return found


# Figures.


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


@dataclass(frozen=True)
class Figures:
    served: int  # answered with any HTTP status
    failed: int  # 5xx, or no answer at all
    fivexx: int
    no_answer: int
    p50: float
    p99: float
    per_second: float
    by_host: dict[str, int]


def figures(requests: list[Request], seconds: float) -> Figures:
    answered = [r for r in requests if r.status]
    fivexx = sum(1 for r in answered if r.status >= 500)
    no_answer = len(requests) - len(answered)
    by_host: dict[str, int] = {}
    for r in answered:
        by_host[r.served_by] = by_host.get(r.served_by, 0) + 1
    times = [r.ms for r in requests]
    return Figures(
        len(answered),
        fivexx + no_answer,
        fivexx,
        no_answer,
        percentile(times, 0.5),
        percentile(times, 0.99),
        len(answered) / seconds if seconds > 0 else 0.0,
        by_host,
    )


def windows(phase: Phase) -> dict[str, tuple[float, float]]:
    if phase.kill_at is None:
        return {"whole run": (phase.started - 1, phase.ended + 1)}
    down = phase.down_at or phase.ended + 1
    return {
        "before the kill": (phase.started - 1, phase.kill_at),
        "during (kill to DOWN)": (phase.kill_at, down),
        "after DOWN": (down, phase.ended + 1),
    }


def in_window(phase: Phase, window: tuple[float, float]) -> list[Request]:
    return [r for r in phase.requests if window[0] <= r.end < window[1]]


def statuses(requests: list[Request]) -> str:
    counts: dict[str, int] = {}
    for r in requests:
        key = str(r.status) if r.status else f"no answer ({r.error})"
        counts[key] = counts.get(key, 0) + 1
    return ", ".join(f"{key}: {n}" for key, n in sorted(counts.items()))


def per_name(requests: list[Request]) -> list[tuple[str, int, float, float, int]]:
    names: dict[str, list[Request]] = {}
    for r in requests:
        names.setdefault(r.name, []).append(r)
    rows = []
    for name, found in sorted(names.items()):
        times = [r.ms for r in found]
        errors = sum(1 for r in found if not r.status or r.status >= 500)
        rows.append((name, len(found), percentile(times, 0.5), percentile(times, 0.99), errors))
    return rows
