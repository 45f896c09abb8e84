"""Periodic work, declared once: checking new and edited comments against the moderation rules, and ending the
suspensions whose time is up.

In production RQ's cron scheduler (``python manage.py cron``, admin_app/jobs.py) queues each task on the back
office's queue every interval, and the workers run it, on any host (two schedulers at once are harmless: a sweep
skips the inbox rows another is working on). With no Redis (``make run``), the web process runs a task that is due
before the next request, at most once per interval, as it runs every other job inline there.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from flask import Flask, current_app

from admin_app import jobs
from admin_app.database import unlimited_statements
from admin_app.extensions import db
from admin_app.services import rules, sanctions

log = logging.getLogger(__name__)


def check_new_comments() -> int:
    """Empty the rules' inbox in batches, one transaction each; return how many comments a rule caught."""
    caught = 0
    with unlimited_statements():
        while True:
            swept = rules.sweep(batch=BATCH)
            db.session.commit()
            caught += swept.caught
            if swept.checked < BATCH:
                break
    if caught:
        log.info("rules caught %s new comments", caught)
    return caught


BATCH = 10_000


def lift_expired_suspensions() -> int:
    """Make the accounts whose suspension has ended active again; return how many."""
    lifted = sanctions.lift_expired()
    db.session.commit()
    if lifted:
        log.info("%s suspensions ended", lifted)
    return lifted


@dataclass(frozen=True)
class Periodic:
    name: str
    run: Callable[[], int]
    interval_key: str  # the configuration key of its interval, in seconds


PERIODIC = (
    Periodic("rules-sweep", check_new_comments, "RULES_SWEEP_SECONDS"),
    Periodic("suspensions-expire", lift_expired_suspensions, "SUSPENSIONS_SWEEP_SECONDS"),
)


def init_app(app: Flask) -> None:
    if app.config["PERIODIC_INLINE"] and not jobs.queued(app):
        runner = InlineRunner()
        app.before_request(runner.run_due)


class InlineRunner:
    """Runs what is due before a request, in this process (no worker, no scheduler: ``make run``). One request at
    a time runs them; the others go on without waiting."""

    def __init__(self) -> None:
        self.last: dict[str, float] = {}
        self.lock = threading.Lock()

    def run_due(self) -> None:
        if not self.lock.acquire(blocking=False):
            return
        try:
            now = time.monotonic()
            for task in PERIODIC:
                if now - self.last.get(task.name, -1e9) >= current_app.config[task.interval_key]:
                    self.last[task.name] = now
                    try:
                        task.run()
                    except Exception:
                        db.session.rollback()
                        log.exception("periodic task %s failed", task.name)
        finally:
            self.lock.release()
