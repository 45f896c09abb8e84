"""What the run prints: each functional check's lines, and each load phase's figures, windows and audit check, with
the pass/fail rules of a phase."""

from __future__ import annotations

from collections import Counter

from bench.multihost import load
from bench.multihost.checks import Check


def print_check(check: Check) -> None:
    print(f"\n== check: {check.name}: {'passed' if check.passed else 'FAILED'}")
    for line in check.lines:
        print(f"  {line}")


def _figures_line(found: load.Figures) -> str:
    hosts = ", ".join(f"{host} {n}" for host, n in sorted(found.by_host.items())) or "none"
    return (
        f"served {found.served:5d} ({found.per_second:5.1f}/s)  p50 {found.p50:6.0f} ms  p99 {found.p99:6.0f} ms  "
        f"errors {found.failed} (5xx {found.fivexx}, no answer {found.no_answer})  by host: {hosts}"
    )


def print_phase(phase: load.Phase, audit: Check, users: int, busy: int) -> bool:
    """Print a phase; whether it passed."""
    failures: list[str] = []
    seconds = phase.ended - phase.started
    whole = load.figures(phase.requests, seconds)
    title = "no fault" if phase.kill_at is None else f"host {phase.killed} SIGKILLed half-way"
    print(f"\n== load '{phase.label}': {users} users for {seconds:.0f} s, {title}")
    print(f"  whole run      {_figures_line(whole)}")
    if phase.kill_at is None:
        if whole.failed:
            failures.append(f"{whole.failed} errors without any fault")
        if len(whole.by_host) < 2:
            failures.append("the balancer did not spread the load over both hosts")
    else:
        failures += _kill_windows(phase)
    print("  per request    count    p50 ms    p99 ms  errors")
    for name, count, p50, p99, errors in load.per_name(phase.requests):
        print(f"    {name:<28} {count:5d} {p50:9.0f} {p99:9.0f} {errors:7d}")
    print("  audit check (the database holds exactly the audited changes)")
    if busy:
        failures.append(f"{busy} database sessions still in a transaction 30 s after the load")
    for line in audit.lines:
        print(f"    {line}")
    failures += audit.failures
    for failure in failures:
        print(f"  FAIL  {failure}")
    print(f"  phase '{phase.label}': {'passed' if not failures else 'FAILED'}")
    return not failures


def _kill_windows(phase: load.Phase) -> list[str]:
    assert phase.kill_at is not None
    failures = []
    killed = Counter(phase.killed_processes)
    names = ", ".join(f"{name} x{n}" for name, n in sorted(killed.items()))
    print(f"  killed: {len(phase.killed_processes)} processes of host {phase.killed} ({names}) at "
          f"+{phase.kill_at - phase.started:.1f} s")  # fmt: skip
    timeline = ", ".join(
        f"{server} {status!r} at {when - phase.kill_at:+.2f} s"
        for when, server, status in phase.status_changes
        if when >= phase.kill_at - 0.5
    )
    print(f"  HAProxy (stats polled every 50 ms): {timeline or 'no change'}")
    if phase.down_at is None:
        failures.append(f"HAProxy never marked {phase.killed} DOWN")
    for name, window in load.windows(phase).items():
        requests = load.in_window(phase, window)
        span = max(0.0, min(window[1], phase.ended) - max(window[0], phase.started))
        found = load.figures(requests, span)
        print(f"  {name:<22} ({span:4.1f} s) {_figures_line(found)}")
        if found.failed:
            print(f"    {'':<22} statuses: {load.statuses(requests)}")
        if name == "before the kill" and found.failed:
            failures.append(f"{found.failed} errors before the kill")
        if name.startswith("during") and found.failed:
            # Not a failure: what a SIGKILL costs without replaying requests that may have committed.
            failed = [r for r in requests if not r.status or r.status >= 500]
            in_flight = sum(1 for r in failed if r.end - r.ms / 1000 < phase.kill_at)
            print(f"    {'':<22} of the errors: {in_flight} in flight on {phase.killed} at the kill, "
                  f"{len(failed) - in_flight} sent to it after (connected while its sockets were closing)")  # fmt: skip
        if name == "after DOWN":
            if found.failed:
                failures.append(f"{found.failed} errors after HAProxy marked {phase.killed} DOWN")
            if found.by_host.get(phase.killed or ""):
                failures.append(f"{found.by_host[phase.killed or '']} requests served by {phase.killed} after DOWN")
    return failures
