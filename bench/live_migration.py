"""`make bench-migration`: migration 0007 on a 1,000,000-comment database while the site keeps writing and reading.

A database of its own (BENCH_MIGRATION_URL, default .../bench_migration; dropped and rebuilt) is migrated to
0006, filled by the seed service and vacuumed. Then three probes run in threads, each on its own connection, as
the public site and the back office would: one inserts a comment, one moderates a comment (an UPDATE of
``disabled``), one reads the list's first page (ORDER BY timestamp DESC LIMIT 20); each every 50 ms. Meanwhile
``manage.py db upgrade`` takes the database to head. Every probe's latency is kept: the longest one is the
longest any of them was blocked by the migration's locks. Afterwards the search copy is checked against
``comments`` (the comments inserted during the migration included).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/bench_migration"
INTERVAL = 0.05  # seconds between two requests of one probe
PROBES = {
    "insert a comment (the site)": "INSERT INTO comments (body, timestamp, author_id, post_id, disabled) "
    "SELECT 'written during the migration', now(), author_id, post_id, false FROM comments WHERE id = 1",
    "moderate a comment": "UPDATE comments SET disabled = NOT disabled WHERE id = 2",
    "read the list's first page": "SELECT id FROM comments ORDER BY timestamp DESC LIMIT 20",
}


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--comments", type=int, default=1_000_000, help="size of the data set (%(default)s)")
    return parser.parse_args()


def probe(url: str, sql: str, stop: threading.Event, latencies: list[float]) -> None:
    import sqlalchemy as sa

    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        while not stop.is_set():
            started = time.perf_counter()
            connection.exec_driver_sql(sql)
            latencies.append(time.perf_counter() - started)
            time.sleep(INTERVAL)
    engine.dispose()


def build(url: str, comments: int) -> float:
    import flask_migrate
    import sqlalchemy as sa

    from admin_app import create_app
    from admin_app.extensions import db
    from admin_app.services import seed
    from bench import dataset

    dataset.check_server(url)
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.exec_driver_sql("DROP SCHEMA public CASCADE")
        connection.exec_driver_sql("CREATE SCHEMA public")
    engine.dispose()
    size = dataset.Size(comments)
    app = create_app("default", SQLALCHEMY_DATABASE_URI=url)
    started = time.perf_counter()
    with app.app_context():
        flask_migrate.upgrade(revision="0006_jobs")
        seed.fill(size.users, size.posts, size.comments, seed=1)
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    dataset.vacuum(url)
    return time.perf_counter() - started


def main() -> None:
    import sqlalchemy as sa

    args = parse_args()
    url = os.environ.get("BENCH_MIGRATION_URL", DEFAULT_URL)
    print(f"building {args.comments:,} comments at 0006_jobs ...", flush=True)
    print(f"built in {build(url, args.comments):.0f} s", flush=True)

    stop = threading.Event()
    latencies: dict[str, list[float]] = {name: [] for name in PROBES}
    threads = [threading.Thread(target=probe, args=(url, sql, stop, latencies[name])) for name, sql in PROBES.items()]
    for thread in threads:
        thread.start()
    time.sleep(2)  # the probes' own pace before the migration begins
    environment = os.environ | {"FLASK_SQLALCHEMY_DATABASE_URI": url}
    started = time.perf_counter()
    upgrade = subprocess.run(
        [sys.executable, "manage.py", "db", "upgrade"], cwd=ROOT, env=environment, capture_output=True, text=True
    )
    took = time.perf_counter() - started
    time.sleep(2)
    stop.set()
    for thread in threads:
        thread.join()
    if upgrade.returncode != 0:
        sys.exit(f"the upgrade failed:\n{upgrade.stderr[-3000:]}")

    engine = sa.create_engine(url)
    with engine.connect() as connection:
        comments, copies, stale = connection.execute(
            sa.text(
                "SELECT (SELECT count(*) FROM comments), (SELECT count(*) FROM comment_search), "
                "(SELECT count(*) FROM comments c LEFT JOIN comment_search s ON s.comment_id = c.id "
                "WHERE s.body IS DISTINCT FROM c.body)"
            )
        ).one()
    engine.dispose()
    print(f"\nmigration 0006 -> head on {args.comments:,} comments, under the probes: {took:.1f} s\n")
    print(f"{'probe (every 50 ms, own connection)':<40}{'requests':>9}{'median ms':>11}{'p99 ms':>9}{'longest ms':>12}")
    for name, seen in latencies.items():
        ordered = sorted(seen)
        p99 = ordered[int(len(ordered) * 0.99) - 1] if ordered else 0.0
        median = statistics.median(seen) * 1000
        print(f"{name:<40}{len(seen):>9}{median:>11.1f}{p99 * 1000:>9.1f}{ordered[-1] * 1000:>12.1f}")
    print(f"\ncomments {comments:,}, search copies {copies:,}, copies missing or different: {stale}")
    if stale or comments != copies:
        sys.exit("the search copy does not match the comments")


if __name__ == "__main__":
    sys.path[0] = str(ROOT)  # run as a script: import admin_app and bench from the project root
    main()
