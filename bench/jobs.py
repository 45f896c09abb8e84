"""`make bench`: disabling every enabled comment of the 1M data set through the background job, against a plain
SQL UPDATE of the same rows in the same run; and how fast the confirming request answers.

1. The confirming request (select all matching, above INLINE_ROWS_LIMIT: a job is queued, no worker running):
   ``--confirms`` requests, each with its own note (a new job), each job then cancelled; the median is printed.
2. The baseline: ``UPDATE comments SET disabled = true, <moderation columns> WHERE NOT disabled`` in a
   transaction that is rolled back (the same rows, the same index work), ``--runs`` times.
3. The job: one confirm, a real worker process (``manage.py worker --burst``), timed from the confirm to the
   job's "done" as its page reports it, checked (every enabled comment disabled, one audit entry with them all),
   then put back outside the timed region. ``--runs`` times, alternating with 2.

    BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench  BENCH_REDIS_URL=redis://127.0.0.1:6379
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--comments", type=int, default=1_000_000, help="size of the data set (%(default)s)")
    parser.add_argument("--runs", type=int, default=1, help="job and baseline runs, in turns (%(default)s)")
    parser.add_argument("--confirms", type=int, default=9, help="timed confirming requests (%(default)s)")
    parser.add_argument("--reuse", action="store_true", help="reuse the size's schema when it matches")
    return parser.parse_args()


def main() -> None:  # noqa: C901 (a script: the steps in order)
    import sqlalchemy as sa

    from admin_app import create_app
    from admin_app.admin import background
    from admin_app.extensions import db
    from admin_app.models import AuditEntry, Comment, Job
    from bench import dataset
    from bench import moderation_data as data
    from bench.list_pages import DEFAULT_URL, FAST_LOGIN
    from bench.measure import login

    args = parse_args()
    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    redis_url = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/3")
    dataset.check_server(url)
    size = dataset.Size(args.comments)
    scoped = dataset.size_url(url, size)
    config = {"SQLALCHEMY_DATABASE_URI": scoped, "JOBS_REDIS_URL": redis_url, "WTF_CSRF_ENABLED": False, **FAST_LOGIN}
    app = create_app("default", **config)
    why = data.not_reusable(app, size) if args.reuse else "--reuse not given"
    if why is None:
        print(f"reusing schema {size.schema} ({size.comments:,} comments)", flush=True)
    else:
        print(f"building schema {size.schema}: {why}", flush=True)
        dataset.reset(url, [size])
        dataset.build(app, url, size)
    client = app.test_client()
    form = {"operation": "comment.disable", "select_all": "1", "confirmed": "1", "reason": "spam", "url": "/"}
    env = {**os.environ, "FLASK_SQLALCHEMY_DATABASE_URI": scoped, "FLASK_JOBS_REDIS_URL": redis_url}

    with app.app_context():
        from admin_app import jobs

        jobs.queue().empty()
        login(client, dataset.MODERATOR_EMAIL, dataset.MODERATOR_PASSWORD)
        enabled = db.session.scalar(sa.select(sa.func.count()).where(Comment.disabled.is_(False))) or 0
        actor = data.actor_id()
        db.session.commit()

        confirms = []
        for run in range(args.confirms):
            began = time.perf_counter()
            response = client.post("/admin/comment/moderate/", data={**form, "note": f"confirm {run}"})
            confirms.append(time.perf_counter() - began)
            assert response.status_code == 302 and "/admin/jobs/" in response.headers["Location"], response.text
            job_id = int(response.headers["Location"].rstrip("/").rpartition("/")[2])
            db.session.expire_all()
            job = db.session.get(Job, job_id)
            assert job is not None and background.cancel(job)
        print(f"confirm request, {enabled:,} matching rows: median {statistics.median(confirms) * 1000:.0f} ms "
              f"({', '.join(f'{c * 1000:.0f}' for c in confirms)} ms)", flush=True)  # fmt: skip

        plain, job_times = [], []
        update = sa.text(
            "UPDATE comments SET disabled = true, moderated_by_id = :actor, moderated_at = now(), "
            "moderation_reason = 'spam', moderation_note = NULL, reviewed_at = now() WHERE NOT disabled"
        )
        for run in range(args.runs):
            with db.engine.connect() as connection:
                began = time.perf_counter()
                changed = connection.execute(update, {"actor": actor}).rowcount
                plain.append(time.perf_counter() - began)
                connection.rollback()
            assert changed == enabled, (changed, enabled)
            print(f"plain UPDATE of {changed:,} rows: {plain[-1]:.1f} s", flush=True)

            began = time.perf_counter()
            response = client.post("/admin/comment/moderate/", data={**form, "note": f"job {run}"})
            location = response.headers["Location"]
            worker = subprocess.Popen([sys.executable, "manage.py", "worker", "--burst"], cwd=ROOT, env=env)
            while True:
                progress = client.get(f"{location}progress").get_json()
                if progress["ended"]:
                    break
                time.sleep(0.5)
            job_times.append(time.perf_counter() - began)
            worker.wait(timeout=600)
            assert progress["status"] == "done", progress
            db.session.remove()  # a new transaction, outside the test client's requests (no statement timeout)
            entry = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "comment.disable")).one()
            assert entry.row_count == enabled and not db.session.scalar(
                sa.select(sa.func.count()).where(Comment.disabled.is_(False))
            )
            print(f"job disabling {entry.row_count:,} rows, confirm to done: {job_times[-1]:.1f} s", flush=True)
            db.session.execute(
                sa.update(Comment)
                .where(Comment.id.in_(sa.text(f"SELECT row_id FROM audit_rows WHERE entry_id = {entry.id}")))
                .values(
                    disabled=False, moderated_by_id=None, moderated_at=None, moderation_reason=None, reviewed_at=None
                )  # fmt: skip
                .execution_options(synchronize_session=False)
            )
            db.session.execute(sa.text("SET LOCAL session_replication_role = replica"))
            db.session.execute(sa.text("TRUNCATE audit_rows, audit_entries, jobs"))
            db.session.commit()
            data.vacuum(data.Maintenance(vacuum_at=0))
        db.session.remove()
        db.engine.dispose()

    ratio = statistics.median(job_times) / statistics.median(plain)
    print(f"\n{enabled:,} comments disabled by the background job: median {statistics.median(job_times):.1f} s; "
          f"plain SQL UPDATE of the same rows: {statistics.median(plain):.1f} s; ratio job/UPDATE {ratio:.2f} "
          f"(aim: at most 1.5)")  # fmt: skip
    print(f"confirming request: median {statistics.median(confirms) * 1000:.0f} ms (aim: under 200 ms)")


if __name__ == "__main__":
    sys.path[0] = str(ROOT)
    main()
