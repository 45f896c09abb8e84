"""Background jobs: operations above INLINE_ROWS_LIMIT and large exports leave the request, run inline without
Redis (both databases), and, with Redis (TEST_REDIS_URL), go to RQ: queued, run by a real worker process,
cancelled, asked twice, and killed mid-run."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from admin_app import jobs
from admin_app.admin import background
from admin_app.database import utcnow
from admin_app.extensions import db
from admin_app.models import AuditEntry, Comment, Job
from tests.conftest import csrf_token
from tests.factories import CommentFactory, UserFactory

ROOT = Path(__file__).resolve().parents[2]
SPAM = "flt0_disabled_equals=0&search=watches"


@pytest.fixture
def small_limit(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(app.config, "INLINE_ROWS_LIMIT", 5)


@pytest.fixture
def spam(app: Flask) -> list[int]:
    spammer = UserFactory(username="spammer")
    rows = CommentFactory.create_batch(12, author=spammer, body="Cheap watches")
    CommentFactory.create_batch(3, body="Nice post")
    return [row.id for row in rows]


@pytest.fixture
def redis_jobs(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Jobs go to RQ on TEST_REDIS_URL (an empty queue); no worker runs unless the test starts one."""
    monkeypatch.setitem(app.config, "JOBS_REDIS_URL", os.environ["TEST_REDIS_URL"])
    app.extensions.pop("jobs_redis", None)
    with app.app_context():
        jobs.queue().empty()
    yield
    with app.app_context():
        jobs.queue().empty()
    app.extensions.pop("jobs_redis", None)


def disable_all_matching(client: FlaskClient) -> Any:
    data = {"csrf_token": csrf_token(client), "confirmed": "1", "operation": "comment.disable", "select_all": "1",
            "reason": "spam", "url": "/admin/comment/"}  # fmt: skip
    return client.post(f"/admin/comment/moderate/?{SPAM}", data=data)


def disabled() -> int:
    db.session.expire_all()
    return db.session.scalar(sa.select(sa.func.count()).where(Comment.disabled)) or 0


def only_job() -> Job:
    db.session.expire_all()
    return db.session.scalars(sa.select(Job)).one()


def test_below_the_limit_an_operation_runs_in_the_request(client: FlaskClient, login_as: Any, spam: list[int]) -> None:
    login_as("moderator")
    response = disable_all_matching(client)
    assert response.headers["Location"] == "/admin/comment/"
    assert disabled() == 12 and db.session.scalar(sa.select(sa.func.count()).select_from(Job)) == 0


def test_above_the_limit_it_is_a_job_with_a_page_run_inline_without_redis(
    client: FlaskClient, login_as: Any, spam: list[int], small_limit: None
) -> None:
    moderator = login_as("moderator")
    page = client.post(
        f"/admin/comment/action/?{SPAM}",
        data={"csrf_token": csrf_token(client), "action": "disable", "select_all": "1", "rowid": spam[:1]},
    ).get_data(as_text=True)
    assert "Disable 12 comments?" in page
    assert 'id="runs-in-background"' not in page  # no worker: it runs at once, in the request

    response = disable_all_matching(client)

    job = only_job()
    assert response.headers["Location"] == f"/admin/jobs/{job.id}/"
    assert (job.status, job.kind, job.name, job.owner_id, job.total) == ("done", "operation", "comment.disable",
                                                                        moderator.id, 12)  # fmt: skip
    assert disabled() == 12
    entry = db.session.get(AuditEntry, job.result["entry"])
    assert entry is not None and entry.details["job"] == job.id and entry.row_count == 12
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "12 comments disabled." in page and "data-undo" in page
    assert "Search: “watches”" in page and "Disabled equals No" in page and "Spam" in page
    progress = client.get(f"/admin/jobs/{job.id}/progress").get_json()
    assert (progress["status"], progress["percent"], progress["done"], progress["total"]) == ("done", 100, 12, 12)
    assert f"/admin/jobs/{job.id}/" in client.get("/admin/jobs/").get_data(as_text=True)


def test_the_undo_of_a_large_operation_is_a_job_too(
    client: FlaskClient, login_as: Any, spam: list[int], small_limit: None
) -> None:
    login_as("moderator")
    disable_all_matching(client)
    entry_id = only_job().result["entry"]

    response = client.post(
        "/admin/comment/undo/", data={"csrf_token": csrf_token(client), "entry": entry_id, "url": "/admin/comment/"}
    )

    undo_job = db.session.scalars(sa.select(Job).where(Job.kind == "undo")).one()
    assert response.headers["Location"] == f"/admin/jobs/{undo_job.id}/"
    assert (undo_job.status, undo_job.result["changed"]) == ("done", 12)
    assert disabled() == 0
    assert "Undone: 12 rows restored." in client.get(response.headers["Location"]).get_data(as_text=True)


def test_a_job_is_its_owners_alone(client: FlaskClient, login_as: Any, spam: list[int], small_limit: None) -> None:
    login_as("moderator")
    disable_all_matching(client)
    job = only_job()
    client.post("/logout", data={"csrf_token": csrf_token(client)})

    login_as("moderator")  # another moderator
    for path in (f"/admin/jobs/{job.id}/", f"/admin/jobs/{job.id}/progress"):
        assert client.get(path).status_code == 404
    assert client.post(f"/admin/jobs/{job.id}/cancel", data={"csrf_token": csrf_token(client)}).status_code == 404
    assert f"/admin/jobs/{job.id}/" not in client.get("/admin/jobs/").get_data(as_text=True)
    client.post("/logout", data={"csrf_token": csrf_token(client)})

    login_as("admin")  # job-any
    assert client.get(f"/admin/jobs/{job.id}/").status_code == 200


def test_an_export_on_request_is_a_file_for_its_requester_until_it_expires(
    client: FlaskClient, login_as: Any, spam: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    login_as("staff")
    response = client.get(f"/admin/comment/export/csv/?{SPAM}&background=1")

    job = only_job()
    assert response.headers["Location"] == f"/admin/jobs/{job.id}/"
    assert (job.status, job.kind, job.result["rows"]) == ("done", "export", 12)
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Your export is ready: 12 rows." in page
    download = client.get(f"/admin/jobs/{job.id}/file")
    assert download.status_code == 200 and download.mimetype == "text/csv"
    assert len(download.get_data(as_text=True).splitlines()) == 13 and "Cheap watches" in download.get_data(
        as_text=True
    )
    assert "attachment" in download.headers["Content-Disposition"]
    entry = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "comment.export")).one()
    assert entry.details["rows"] == 12 and entry.details["arguments"]["search"] == "watches"

    job.ended_at = utcnow() - timedelta(hours=25)
    db.session.commit()
    expired = client.get(f"/admin/jobs/{job.id}/file")
    assert expired.status_code == 410 and "This export has expired." in expired.get_data(as_text=True)
    client.get("/admin/jobs/")  # "My jobs" removes expired files
    assert not (background.export_dir() / job.result["file"]).exists()


def test_a_job_whose_owner_lost_the_permission_fails_and_changes_nothing(
    app: Flask, spam: list[int], small_limit: None
) -> None:
    owner = UserFactory(roles=["staff"])  # cannot moderate
    job = Job(kind="operation", name="comment.disable", owner_id=owner.id, key="k", status="queued", attempts=0,
              payload={"selection": {"view": "comment", "args": [["search", "watches"]], "ids": None},
                       "reason": "spam", "actor": {"id": owner.id}})  # fmt: skip
    db.session.add(job)
    db.session.commit()

    background.perform(job.id)

    job = only_job()
    assert (job.status, job.error) == ("failed", "JobRefused:forbidden")
    assert disabled() == 0
    failed = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "job.failed")).one()
    assert failed.details["job"] == job.id


# With Redis: the real queue.


@pytest.mark.redis
def test_queued_shown_as_such_asked_twice_runs_once_and_cancelled_before_it_starts(
    client: FlaskClient, login_as: Any, spam: list[int], small_limit: None, redis_jobs: None
) -> None:
    login_as("moderator")
    page = client.post(
        f"/admin/comment/action/?{SPAM}",
        data={"csrf_token": csrf_token(client), "action": "disable", "select_all": "1"},
    ).get_data(as_text=True)
    assert 'id="runs-in-background"' in page

    first, second = disable_all_matching(client), disable_all_matching(client)  # a double click

    job = only_job()
    assert first.headers["Location"] == second.headers["Location"] == f"/admin/jobs/{job.id}/"
    assert job.status == "queued" and len(jobs.queue()) == 1
    page = client.get(f"/admin/jobs/{job.id}/").get_data(as_text=True)
    assert "Waiting for a worker" in page and 'id="job-cancel"' in page

    client.post(f"/admin/jobs/{job.id}/cancel", data={"csrf_token": csrf_token(client)})

    assert only_job().status == "cancelled" and len(jobs.queue()) == 0
    background.perform(job.id)  # a worker that took it anyway skips it
    assert disabled() == 0 and only_job().status == "cancelled"


def worker(database_url: str, *args: str) -> subprocess.Popen[bytes]:
    """`python manage.py worker`, as deployed, on the test database and TEST_REDIS_URL."""
    env = {**os.environ, "FLASK_SQLALCHEMY_DATABASE_URI": database_url, "ADMIN_APP_PROFILE": "testing",
           "FLASK_JOBS_REDIS_URL": os.environ["TEST_REDIS_URL"]}  # fmt: skip
    return subprocess.Popen([sys.executable, "manage.py", "worker", *args], cwd=ROOT, env=env)


def wait_for(condition: Any, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


@pytest.mark.redis
@pytest.mark.postgresql_only
def test_a_worker_process_runs_the_job(
    client: FlaskClient, login_as: Any, spam: list[int], small_limit: None, redis_jobs: None, database_url: str
) -> None:
    login_as("moderator")
    disable_all_matching(client)

    finished = worker(database_url, "--burst")
    assert finished.wait(timeout=120) == 0

    job = only_job()
    assert (job.status, job.attempts, job.result["changed"]) == ("done", 1, 12)
    assert disabled() == 12
    assert "12 comments disabled." in client.get(f"/admin/jobs/{job.id}/").get_data(as_text=True)


@pytest.mark.redis
@pytest.mark.postgresql_only
def test_a_worker_killed_mid_job_leaves_nothing_changed_and_the_job_is_retried(
    app: Flask, client: FlaskClient, login_as: Any, spam: list[int], small_limit: None, redis_jobs: None,
    database_url: str,
) -> None:  # fmt: skip
    login_as("moderator")
    last = max(spam)
    # Hold the last spam comment: the job records and disables the others, then waits for this row's lock.
    holder = sa.create_engine(database_url)
    with holder.connect() as hold:
        hold.execute(sa.text("SELECT id FROM comments WHERE id = :id FOR UPDATE"), {"id": last})
        disable_all_matching(client)
        running = worker(database_url)
        try:
            job = only_job()
            wait_for(lambda: only_job().status == "running" and "pid" in jobs.progress(job))
            time.sleep(0.5)  # it is now waiting for the held row, its other changes made but not committed
            os.kill(jobs.progress(job)["pid"], signal.SIGKILL)
            time.sleep(0.5)
            assert disabled() == 0, "a killed job left part of its change"
            hold.rollback()  # let the retry through
            wait_for(lambda: only_job().status == "done")
        finally:
            running.send_signal(signal.SIGTERM)
            running.wait(timeout=60)
    holder.dispose()

    job = only_job()
    assert (job.attempts, job.result["changed"]) == (2, 12)
    assert disabled() == 12
    entries = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "comment.disable")).all()
    assert [entry.row_count for entry in entries] == [12]  # the killed attempt left no entry either


@pytest.mark.redis
def test_a_job_rq_failed_without_running_to_the_end_shows_as_failed(
    client: FlaskClient, login_as: Any, spam: list[int], small_limit: None, redis_jobs: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    login_as("moderator")
    disable_all_matching(client)
    job = only_job()
    monkeypatch.setattr(jobs, "fate", lambda _job: "failed")  # its worker was killed twice

    page = client.get(f"/admin/jobs/{job.id}/").get_data(as_text=True)

    assert "The worker running this job stopped before it finished" in page
    assert only_job().status == "failed" and disabled() == 0
    assert re.search(r"job\.failed", str(db.session.scalars(sa.select(AuditEntry.action)).all()))
