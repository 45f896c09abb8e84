"""Long work as background jobs: an operation on a large selection, the undo of one, a large export.

``submit_*`` records the job (models/job.py) and hands it to RQ (admin_app/jobs.py), or, with no Redis configured,
runs it at once in the asking request. ``perform`` is what the worker runs: it rebuilds the selection from data
into the list's own scoped query, as its owner (whose permissions are checked again), and does the whole change in
one transaction that also marks the job done, so a job stopped half-way (its worker killed) leaves nothing
changed, and RQ retries it once or it is shown as failed. Asking for the same job again while it is active (a
double click, two tabs) returns the first.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import current_app
from flask_security import current_user
from redis.exceptions import RedisError
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from admin_app import jobs
from admin_app import permissions as perm
from admin_app.admin import export
from admin_app.admin.list_args import Selection, list_count, listing, selected_ids, undoing_list
from admin_app.database import unlimited_statements, utcnow
from admin_app.extensions import db
from admin_app.models import AuditEntry, Job, User
from admin_app.models.job import ACTIVE, CANCELLED, DONE, FAILED, QUEUED, RUNNING
from admin_app.services.audit import Actor, record
from admin_app.services.change import Order, no_progress
from admin_app.services.moderation import UndoRefused, row_count
from admin_app.services.operations import OPERATIONS, undo_entry
from admin_app.services.user import Refused

log = logging.getLogger(__name__)


class JobRefused(Exception):
    """A job that cannot run as asked: ``code`` names why (admin/jobs.py says it in words)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


# Submitting.


def submit_operation(operation: Any, selection: Selection, order: Order, return_url: str) -> Job:
    payload = {
        "selection": selection.to_json(),
        "reason": order.reason,
        "note": order.note,
        "choices": dict(order.choices),
        "details": order.details,
        "actor": _actor_json(order.actor),
        "return_url": return_url,
    }
    return submit("operation", operation.name, payload)


def submit_undo(original: AuditEntry, actor: Actor, return_url: str) -> Job:
    payload = {"entry": original.id, "table": original.target, "actor": _actor_json(actor), "return_url": return_url}
    return submit("undo", original.action, payload)


def submit_export(view: Any, selection: Selection, bom: bool, actor: Actor) -> Job:
    return submit("export", view.endpoint, {"selection": selection.to_json(), "bom": bom, "actor": _actor_json(actor)})


def submit(kind: str, name: str, payload: dict[str, Any]) -> Job:
    owner = int(current_user.id)
    asked = {key: value for key, value in payload.items() if key not in ("return_url", "actor")}
    key = hashlib.sha256(json.dumps([kind, name, owner, asked], sort_keys=True, default=str).encode()).hexdigest()
    if (existing := active_job(key)) is not None:
        return existing
    job = Job(kind=kind, name=name, owner_id=owner, key=key, payload=payload, status=QUEUED, attempts=0)
    db.session.add(job)
    try:
        db.session.commit()
    except IntegrityError:  # the same request, a moment ago (uq_jobs_active_key)
        db.session.rollback()
        if (existing := active_job(key)) is not None:
            return existing
        raise
    if not jobs.queued():
        with unlimited_statements():
            perform(job.id)
        db.session.refresh(job)
        return job
    try:
        jobs.enqueue(job)
    except RedisError:
        log.exception("could not queue job %s", job.id)
        fail(job.id, "queue-unreachable")
        db.session.refresh(job)
    return job


def active_job(key: str) -> Job | None:
    job: Job | None = db.session.scalars(select(Job).where(Job.key == key, Job.status.in_(ACTIVE))).first()
    return job


# Running.


def perform(job_id: int) -> None:
    """Run job ``job_id`` (RQ calls this in the worker; ``submit`` inline). Never raises for the job's own failure:
    the job's row says how it ended."""
    with unlimited_statements():
        claimed = db.session.execute(
            update(Job)
            .where(Job.id == job_id, Job.status.in_(ACTIVE))  # "running": RQ retrying after its worker died
            .values(status=RUNNING, started_at=utcnow(), attempts=Job.attempts + 1),
            execution_options={"synchronize_session": False},
        ).rowcount  # type: ignore[attr-defined]
        db.session.commit()
        if not claimed:
            return  # cancelled before it started
        job = db.session.get(Job, job_id)
        assert job is not None
        owner = db.session.get(User, job.owner_id)
        try:
            if owner is None or not owner.active:
                raise JobRefused("forbidden")
            job.result = RUNNERS[job.kind](job, owner)
            job.status, job.ended_at = DONE, utcnow()
            db.session.commit()  # the change, its audit entry and "done" together
        except (JobRefused, Refused, UndoRefused) as refused:
            db.session.rollback()
            fail(job_id, f"{type(refused).__name__}:{refused.code}")
        except Exception:
            db.session.rollback()
            log.exception("job %s failed", job_id)
            fail(job_id, "unexpected")


def fail(job_id: int, code: str) -> None:
    """Mark an active job failed with ``code``, audited once as "job.failed" (its change was rolled back)."""
    failed = db.session.execute(
        update(Job)
        .where(Job.id == job_id, Job.status.in_(ACTIVE))
        .values(status=FAILED, error=code, ended_at=utcnow()),
        execution_options={"synchronize_session": False},
    ).rowcount  # type: ignore[attr-defined]
    if failed:
        job = db.session.get(Job, job_id)
        assert job is not None
        db.session.refresh(job)
        actor = _actor(job)
        details = {"job": job.id, "kind": job.kind, "name": job.name, "error": code, "attempts": job.attempts}
        record("job.failed", _target(job), actor, details=details)
    db.session.commit()


def refresh(job: Job) -> Job:
    """A job we think active that RQ says ended without finishing (its worker was killed and the retry too, or
    RQ forgot it) is failed: its transaction was rolled back, so nothing changed."""
    if job.active and jobs.queued():
        try:
            fate = jobs.fate(job)
        except RedisError:
            return job
        if jobs.ended_unfinished(fate):
            fail(job.id, "worker-lost")
            db.session.refresh(job)
    return job


def cancel(job: Job) -> bool:
    """Cancel a job that has not started; False when it already has."""
    cancelled = db.session.execute(
        update(Job).where(Job.id == job.id, Job.status == QUEUED).values(status=CANCELLED, ended_at=utcnow()),
        execution_options={"synchronize_session": False},
    ).rowcount  # type: ignore[attr-defined]
    db.session.commit()
    db.session.refresh(job)
    if cancelled and jobs.queued():
        try:
            jobs.cancel(job)
        except RedisError:
            log.warning("job %s cancelled, but could not be taken off the queue (the worker will skip it)", job.id)
    return bool(cancelled)


def _run_operation(job: Job, owner: User) -> dict[str, Any]:
    operation = OPERATIONS[job.name]
    selection = Selection.from_json(job.payload["selection"])
    payload = job.payload
    with listing(selection, owner) as view:
        if operation not in getattr(view, "operations", {}).values() or not view.allows(operation.capability):
            raise JobRefused("forbidden")
        ids = selected_ids(view, selection)
        # Counted first for a progress bar only when someone can watch it (a worker runs the job): inline, the
        # operation goes in one pair of statements and its count is the result.
        watched = jobs.watched()
        job.total = operation.count(operation, ids).changing if watched else None
        order = Order(
            _actor(job),
            reason=payload.get("reason"),
            note=payload.get("note"),
            choices=payload.get("choices") or {},
            details={**(payload.get("details") or {}), "job": job.id},
            progress=jobs.Progress(job.total or 0) if watched else no_progress,
        )
        outcome = operation.apply(operation, ids, order)
    job.total = outcome.changed if job.total is None else job.total
    return {"changed": outcome.changed, "entry": outcome.entry_id}


def _run_undo(job: Job, owner: User) -> dict[str, Any]:
    original = db.session.get(AuditEntry, job.payload["entry"])
    if original is None:
        raise UndoRefused("not-undoable")
    view_name = undoing_list(job.payload["table"])
    if view_name is None:
        raise UndoRefused("not-undoable")
    with listing(Selection(view_name), owner) as view:
        if not view.allows("moderate"):
            raise JobRefused("forbidden")
        job.total = row_count(original.id)
        outcome = undo_entry(
            original.id,
            _actor(job),
            window=timedelta(hours=current_app.config["UNDO_WINDOW_HOURS"]),
            may_undo_others=owner.has_permission(perm.UNDO_ANY),
            table=job.payload["table"],
            progress=jobs.Progress(job.total) if jobs.watched() else no_progress,
        )
    return {"changed": outcome.changed, "skipped": outcome.skipped, "entry": outcome.entry_id}


def _run_export(job: Job, owner: User) -> dict[str, Any]:
    selection = Selection.from_json(job.payload["selection"])
    purge_expired_exports()
    with listing(selection, owner) as view:
        if not view.allows("export"):
            raise JobRefused("forbidden")
        path = export_dir() / f"{job.id}-{export.filename(view)}"
        job.total = list_count(view)
        try:
            with path.open("wb") as out:
                rows = export.to_file(
                    view, out, _actor(job), bool(job.payload.get("bom")), jobs.Progress(job.total or 0)
                )
        except BaseException:
            path.unlink(missing_ok=True)
            raise
    job.total = rows
    return {"file": path.name, "rows": rows}


RUNNERS: dict[str, Callable[[Job, User], dict[str, Any]]] = {
    "operation": _run_operation,
    "undo": _run_undo,
    "export": _run_export,
}


# Export files.


def export_dir() -> Path:
    directory = Path(current_app.instance_path) / current_app.config["EXPORT_DIR"]
    directory.mkdir(parents=True, exist_ok=True)
    return directory


def export_file(job: Job) -> Path | None:
    """The file of a finished export job, while it is kept (EXPORT_KEEP_HOURS); None once it has expired."""
    name = (job.result or {}).get("file")
    if job.status != DONE or not name or job.ended_at is None or expired(job.ended_at):
        return None
    path = export_dir() / Path(str(name)).name
    return path if path.is_file() else None


def expired(ended_at: Any) -> bool:
    return bool(ended_at < utcnow() - timedelta(hours=float(current_app.config["EXPORT_KEEP_HOURS"])))


def purge_expired_exports() -> int:
    """Delete the files of exports older than EXPORT_KEEP_HOURS; returns how many."""
    cutoff = utcnow() - timedelta(hours=float(current_app.config["EXPORT_KEEP_HOURS"]))
    old = db.session.scalars(select(Job).where(Job.kind == "export", Job.status == DONE, Job.ended_at < cutoff))
    removed = 0
    for job in old:
        name = (job.result or {}).get("file")
        if name and (path := export_dir() / Path(str(name)).name).is_file():
            path.unlink()
            removed += 1
    return removed


def _actor_json(actor: Actor) -> dict[str, Any]:
    return {"id": actor.user_id, "email": actor.email, "addr": actor.remote_addr}


def _actor(job: Job) -> Actor:
    actor = job.payload.get("actor") or {}
    return Actor(actor.get("id", job.owner_id), actor.get("email"), actor.get("addr"))


def _target(job: Job) -> str:
    if job.kind == "undo":
        return str(job.payload.get("table", ""))
    if job.kind == "operation" and job.name in OPERATIONS:
        return OPERATIONS[job.name].table
    return str(job.name)
