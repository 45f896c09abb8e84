"""JobsView: "My jobs", each job's page with its live progress, cancelling a job not yet started, and the
download of a finished export. A job is its owner's: anyone else (but holders of job-any) gets 404."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import abort, current_app, flash, jsonify, redirect, send_file, url_for
from flask_admin import expose
from flask_babel import format_decimal, gettext
from flask_babel import lazy_gettext as _l
from flask_security import current_user
from markupsafe import Markup
from sqlalchemy import select
from werkzeug.wrappers import Response

from admin_app import jobs
from admin_app import permissions as perm
from admin_app.admin import background
from admin_app.admin import moderation_text as text
from admin_app.admin.access import AnyOf, Secured, has_permission, requires
from admin_app.admin.base import parse_ids
from admin_app.admin.list_args import Selection, described, list_views
from admin_app.admin.moderation import undo_button
from admin_app.database import utcnow
from admin_app.extensions import db
from admin_app.i18n import ngettext
from admin_app.models import Job
from admin_app.models.job import DONE, FAILED
from admin_app.services.operations import OPERATIONS

STATUS = {
    "queued": _l("Waiting for a worker"),
    "running": _l("Running"),
    "done": _l("Done"),
    "failed": _l("Failed"),
    "cancelled": _l("Cancelled"),
}
SHOWN_JOBS = 100


def title(job: Job) -> str:
    """What a job does, in a few words: the operation's title, "Undo: ...", or "Export: <list>"."""
    if job.kind == "export":
        view = list_views().get(job.name)
        return gettext("Export: %(list)s", list=view.name if view else job.name)
    label = text.action_label(job.name)
    return gettext("Undo: %(action)s", action=label) if job.kind == "undo" else label


def scope(job: Job) -> list[str]:
    """Which rows, in words: the list's filters and search, or how many rows were ticked."""
    data = job.payload.get("selection")
    if not data:
        return [gettext("The rows of operation #%(entry)s", entry=job.payload.get("entry"))]
    selection = Selection.from_json(data)
    if selection.ids is not None:
        return [ngettext("%(num)s ticked row", "%(num)s ticked rows", len(selection.ids))]
    view = list_views().get(selection.view)
    words = described(view, selection.args) if view else []
    return words or [gettext("Every row of the list")]


def failure(job: Job) -> str:
    """Why a job failed, for its owner: nothing was changed."""
    kind, _, code = (job.error or "").rpartition(":")
    if kind == "Refused":
        return text.refused(code, (job.payload.get("choices") or {}).get("role"))
    if kind == "UndoRefused":
        return text.undo_refused(code)
    messages = {
        "forbidden": gettext("You may no longer do this: nothing was changed."),
        "worker-lost": gettext("The worker running this job stopped before it finished (it was restarted or ran out "
                               "of memory). Nothing was changed: you can run it again."),
        "queue-unreachable": gettext("The job queue could not be reached, so the job never started. Nothing was "
                                     "changed: please try again in a moment."),
    }  # fmt: skip
    return messages.get(
        code, gettext("The job failed and nothing was changed. The error was logged; please try again.")
    )


def result(job: Job) -> Markup:
    """What the job's page says once it has ended: the same message (and Undo) as an operation run at once."""
    outcome = job.result or {}
    if job.status == FAILED:
        return Markup('<div class="alert alert-danger" role="alert">%s</div>') % failure(job)
    if job.status != DONE:
        return Markup("")
    if job.kind == "export":
        if background.export_file(job) is None:
            return Markup('<div class="alert alert-secondary">%s</div>') % gettext(
                "This export has expired. Export the list again to get a new file."
            )
        link = Markup('<a class="btn btn-primary btn-sm ml-2" id="job-download" href="%s">%s</a>') % (
            url_for(".file_view", job_id=job.id),
            gettext("Download"),
        )
        message = ngettext("Your export is ready: %(num)s row.", "Your export is ready: %(num)s rows.", outcome["rows"])
        return Markup('<div class="alert alert-success" role="status">%s%s</div>') % (message, link)
    if job.kind == "undo":
        return Markup('<div class="alert alert-success" role="status">%s</div>') % text.undone(
            outcome.get("changed", 0), outcome.get("skipped", 0)
        )
    operation = OPERATIONS[job.name]
    changed = int(outcome.get("changed", 0))
    button = undo_button(operation, outcome.get("entry"), job.payload.get("return_url", "")) if changed else ""
    return Markup('<div class="alert alert-success" role="status">%s%s</div>') % (operation.result(changed), button)


def progress_of(job: Job) -> dict[str, Any]:
    live = jobs.progress(job) if job.status == "running" and jobs.queued() else {}
    total = live.get("total", job.total)
    done = live.get("done", total if job.status == DONE else 0)
    percent = 100 if job.status == DONE else (int(100 * (done or 0) / total) if total else 0)
    return {
        "status": job.status,
        "label": str(STATUS[job.status])
        + (", " + gettext("attempt %(number)s", number=job.attempts) if job.attempts > 1 and job.active else ""),
        "done": done or 0,
        "total": total,
        "percent": percent,
        "rows": gettext("%(done)s of %(total)s rows", done=format_decimal(done or 0), total=format_decimal(total))
        if total is not None
        else gettext("Counting the rows…"),
        "ended": not job.active,
        "result": str(result(job)) if not job.active else "",
    }


class JobsView(Secured):
    # Every back-office user may have jobs; each job is checked against its owner below.
    permissions = {"read": AnyOf(perm.ALL)}

    def job(self, job_id: int) -> Job:
        ids = parse_ids([job_id])  # beyond the integer key's range: not found, like any other number
        job = db.session.get(Job, ids[0]) if ids else None
        if job is None or (job.owner_id != current_user.id and not has_permission(perm.JOBS_ANY)):
            abort(404)
        return background.refresh(job)

    @expose("/")
    @requires("read")
    def index(self) -> Any:
        background.purge_expired_exports()
        since = utcnow() - timedelta(days=current_app.config["JOBS_SHOWN_DAYS"])
        mine = db.session.scalars(
            select(Job)
            .where(Job.owner_id == current_user.id, Job.created_at >= since)
            .order_by(Job.id.desc())
            .limit(SHOWN_JOBS)
        ).all()
        rows = [(background.refresh(job), title(job), progress_of(job)) for job in mine]
        return self.render("admin/jobs.html", rows=rows)

    @expose("/<int:job_id>/")
    @requires("read")
    def job_view(self, job_id: int) -> Any:
        job = self.job(job_id)
        return self.render(
            "admin/job.html",
            job=job,
            title=title(job),
            scope=scope(job),
            reason=text.reason_label(job.payload.get("reason")) if job.payload.get("reason") else None,
            progress=progress_of(job),
            result=result(job),
        )

    @expose("/<int:job_id>/progress")
    @requires("read")
    def progress_view(self, job_id: int) -> Response:
        return jsonify(progress_of(self.job(job_id)))

    @expose("/<int:job_id>/cancel", methods=("POST",))
    @requires("read")
    def cancel_view(self, job_id: int) -> Response:
        job = self.job(job_id)
        if background.cancel(job):
            flash(gettext("The job was cancelled before it started: nothing was changed."), "success")
        else:
            flash(gettext("The job has already started and can no longer be cancelled."), "error")
        return redirect(url_for(".job_view", job_id=job.id))

    @expose("/<int:job_id>/file")
    @requires("read")
    def file_view(self, job_id: int) -> Any:
        job = self.job(job_id)
        if job.kind != "export":
            abort(404)
        path = background.export_file(job)
        if path is None:
            abort(410, gettext("This export has expired. Export the list again to get a new file."))
        return send_file(path, mimetype="text/csv", as_attachment=True, download_name=path.name.partition("-")[2])
