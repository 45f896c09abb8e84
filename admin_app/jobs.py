"""RQ, the one adapter: the queue on JOBS_REDIS_URL, enqueueing, live progress in RQ's job meta, what RQ knows of
a job's fate, cancelling, the worker (``python manage.py worker``: RQ's own worker under the app context) and the
periodic tasks' scheduler (``python manage.py cron``: RQ's cron scheduler).

With no JOBS_REDIS_URL (the SQLite default of ``make run``) nothing is queued: admin/background.py runs each job
inline, in the request that asks for it. What a job does and its durable record (models/job.py) live elsewhere;
only this module speaks to RQ.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Any

from flask import Flask, current_app
from redis import Redis
from rq import Queue, Retry, Worker, get_current_job
from rq.cron import CronScheduler
from rq.exceptions import InvalidJobOperation, NoSuchJobError
from rq.job import Job as RqJob
from rq.job import JobStatus

from admin_app.extensions import db
from admin_app.models import Job

QUEUE = "back-office"
# What RQ reports for a job whose run ended without finishing (the worker died, it was stopped or cancelled).
ENDED_UNFINISHED = {JobStatus.FAILED, JobStatus.STOPPED, JobStatus.CANCELED}


def queued(app: Flask | None = None) -> bool:
    """Whether jobs go to a worker (JOBS_REDIS_URL is set) rather than run inline."""
    return bool((app or current_app).config.get("JOBS_REDIS_URL"))


def connection() -> Redis:
    """One Redis client per app (its own connection pool), made on first use."""
    extensions = current_app.extensions
    if "jobs_redis" not in extensions:
        extensions["jobs_redis"] = Redis.from_url(current_app.config["JOBS_REDIS_URL"])
    redis: Redis = extensions["jobs_redis"]
    return redis


def queue() -> Queue:
    return Queue(QUEUE, connection=connection())


def rq_id(job: Job) -> str:
    """RQ's id for our job: its number and when it was asked (numbers start again in a new database)."""
    return f"back-office-{job.id}-{job.created_at:%Y%m%d%H%M%S%f}"


def enqueue(job: Job) -> None:
    """Hand ``job`` to a worker; retried once if its worker dies mid-run (its transaction rolled back)."""
    config = current_app.config
    queue().enqueue(
        "admin_app.admin.background.perform",
        job.id,
        job_id=rq_id(job),
        job_timeout=int(config["JOB_TIMEOUT_S"]),
        retry=Retry(max=1),
        result_ttl=86_400,
        failure_ttl=7 * 86_400,
    )


def fate(job: Job) -> str | None:
    """RQ's status of the job ("queued", "started", "failed", ...), None when RQ no longer knows it."""
    try:
        return str(RqJob.fetch(rq_id(job), connection=connection()).get_status())
    except NoSuchJobError:
        return None


def progress(job: Job) -> dict[str, int]:
    """The live progress a running job reported: {"done": rows, "total": rows, "pid": its process} (empty before
    it counted)."""
    try:
        meta = RqJob.fetch(rq_id(job), connection=connection()).get_meta()
    except NoSuchJobError:
        return {}
    return {key: int(meta[key]) for key in ("done", "total", "pid") if key in meta}


def cancel(job: Job) -> None:
    """Take a job that has not started off the queue (the caller has already marked it cancelled)."""
    try:
        RqJob.fetch(rq_id(job), connection=connection()).cancel()
    except (NoSuchJobError, InvalidJobOperation):
        pass


def watched() -> bool:
    """Whether a worker runs the job at hand, so that someone may poll its progress (inline, nobody can: the
    request that runs it answers when it is done)."""
    return get_current_job() is not None


class Progress:
    """Rows done, reported to RQ's meta of the job running now (a no-op inline: nobody polls a running request)."""

    def __init__(self, total: int) -> None:
        self.job = get_current_job()
        self.done = 0
        self.total = total
        self.save()

    def __call__(self, rows: int) -> None:
        self.done += rows
        self.save()

    def save(self) -> None:
        if self.job is not None:
            self.job.meta.update({"done": min(self.done, self.total), "total": self.total, "pid": os.getpid()})
            self.job.save_meta()


def work(burst: bool = False) -> bool:
    """RQ's worker on the back office's queue, in this app context. Each job runs in a forked work horse, which
    must not reuse the parent's pooled database connections (SQLAlchemy's rule for fork)."""
    os.register_at_fork(after_in_child=lambda: db.engine.dispose(close=False))
    worker = Worker([queue()], connection=connection())
    return bool(worker.work(burst=burst, with_scheduler=False, logging_level="INFO"))


def cron(tasks: Iterable[Any]) -> None:
    """RQ's cron scheduler: each periodic task (admin_app/periodic.py) queued on the back office's queue every
    interval, for the workers to run. Runs until stopped."""
    scheduler = CronScheduler(connection=connection(), logging_level="INFO")
    for task in tasks:
        interval = int(current_app.config[task.interval_key])
        scheduler.register(task.run, queue_name=QUEUE, interval=interval, job_timeout=max(interval * 10, 600),
                           result_ttl=interval * 4, name=task.name)  # fmt: skip
    scheduler.start()


def ended_unfinished(status: str | None) -> bool:
    """Whether RQ's status (``fate``) says the job's run ended without finishing, or RQ has forgotten it."""
    return status is None or status in ENDED_UNFINISHED
