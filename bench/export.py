"""`make bench`: exporting 1,000,000 comments as CSV on PostgreSQL: rows per second, time to the first byte and peak
memory, against PostgreSQL's own COPY ... TO STDOUT WITH CSV of the same rows and Flask-Admin's stock export.

Every run is a process of its own (bench/export_child.py), so each peak memory figure is that run's alone; the
variants run in turns (COPY, ours, COPY, ours, ...) and the figures are medians. The stock export reads every row
into memory before writing one, so it runs on the first ``--stock-rows`` rows only. The export audit entries the
runs leave are removed afterwards. Figures go to bench/results/ as JSON.

    BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench  (the default; its schemas are dropped)
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--comments", type=int, default=1_000_000, help="size of the data set (%(default)s)")
    parser.add_argument("--runs", type=int, default=3, help="runs of COPY and of ours, in turns (%(default)s)")
    parser.add_argument("--stock-rows", type=int, default=100_000, help="rows of the stock export (%(default)s)")
    parser.add_argument("--reuse", action="store_true", help="use the size's schema as `make bench` left it")
    return parser.parse_args()


def child(variant: str, url: str, rows: int = 0) -> dict[str, Any]:
    command = [sys.executable, str(ROOT / "bench" / "export_child.py"), variant, url, "--rows", str(rows)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.exit(f"bench: the {variant} export failed:\n{done.stderr[-3000:]}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def summary(runs: list[dict[str, Any]]) -> dict[str, Any]:
    seconds = statistics.median(run["seconds"] for run in runs)
    rows = runs[0]["rows"]
    return {
        "runs": len(runs),
        "rows": rows,
        "seconds": seconds,
        "rows_per_second": rows / seconds,
        "first_byte_ms": 1000 * statistics.median(run["first_byte_seconds"] for run in runs),
        "megabytes": runs[0]["bytes"] / 2**20,
        "peak_rss_mb": max(run["peak_rss_mb"] for run in runs),
        "growth_mb": max(run["peak_rss_mb"] - run["rss_before_mb"] for run in runs),
    }


def prepare(url: str, size: Any, reuse: bool) -> None:
    """The size's schema (built unless --reuse finds it usable), and the staff member the export runs as."""
    from flask_security import hash_password
    from sqlalchemy import select

    from admin_app import create_app
    from admin_app.extensions import db, security
    from admin_app.models import User
    from bench import dataset, report
    from bench.export_child import STAFF_EMAIL, STAFF_PASSWORD
    from bench.list_pages import FAST_LOGIN
    from bench.moderation_data import not_reusable

    app = create_app("default", SQLALCHEMY_DATABASE_URI=dataset.size_url(url, size), **FAST_LOGIN)
    why = not_reusable(app, size) if reuse else "--reuse not given"
    if why is None:
        print(f"seed {size.label:>4}: reusing schema {size.schema} ({size.comments:,} comments), not timed", flush=True)
    else:
        print(f"building schema {size.schema}: {why}", flush=True)
        dataset.reset(url, [size])
        print(report.seed_line(size, dataset.build(app, url, size)), flush=True)
    with app.app_context():
        if db.session.scalar(select(User.id).where(User.email == STAFF_EMAIL)) is None:
            security.datastore.create_user(
                email=STAFF_EMAIL, username="bench-staff", password=hash_password(STAFF_PASSWORD), roles=["staff"]
            )
            db.session.commit()
        db.engine.dispose()


def forget_exports(url: str) -> None:
    """The runs' audit entries go: the append-only trigger is skipped for this one statement's transaction."""
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.exec_driver_sql("SET LOCAL session_replication_role = replica")
        connection.execute(sa.text("DELETE FROM audit_entries WHERE action LIKE :pattern"), {"pattern": "%.export"})
    engine.dispose()


def main() -> None:
    from bench import dataset
    from bench.list_pages import DEFAULT_URL

    args = parse_args()
    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    dataset.check_server(url)
    size = dataset.Size(args.comments)
    scoped = dataset.size_url(url, size)
    prepare(url, size, args.reuse)
    runs: dict[str, list[dict[str, Any]]] = {"copy": [], "ours": []}
    try:
        for turn in range(args.runs):
            for variant in runs:
                runs[variant].append(child(variant, scoped))
                print(f"  run {turn + 1}/{args.runs} {variant}: {runs[variant][-1]['seconds']:.2f} s", file=sys.stderr)
        stock = [child("stock", scoped, args.stock_rows)]
    finally:
        forget_exports(scoped)
    results = {variant: summary(found) for variant, found in runs.items()} | {"stock": summary(stock)}
    print(
        f"\nPostgreSQL {dataset.server_version(url)}, {os.cpu_count()} CPUs; {size.comments:,} comments; "
        f"median of {args.runs} runs each (in turns), every run a process of its own\n"
    )
    print("| export | rows | seconds | rows/s | first byte ms | MB out | peak RSS MB | RSS growth MB |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    names = {"copy": "PostgreSQL COPY", "ours": "Export CSV (ours)", "stock": "Flask-Admin stock"}
    for variant, found in results.items():
        print(
            f"| {names[variant]} | {found['rows']:,} | {found['seconds']:.2f} | {found['rows_per_second']:,.0f} | "
            f"{found['first_byte_ms']:.0f} | {found['megabytes']:.0f} | {found['peak_rss_mb']:.0f} | "
            f"{found['growth_mb']:.0f} |"
        )
    ratio = results["ours"]["rows_per_second"] / results["copy"]["rows_per_second"]
    print(f"\nours / COPY throughput: {ratio:.2f} (aim: at least 0.5)")
    stock_ratio = results["ours"]["rows_per_second"] / results["stock"]["rows_per_second"]
    print(f"ours / stock throughput: {stock_ratio:.1f}x (stock on its first {args.stock_rows:,} rows)")
    directory = ROOT / "bench" / "results"
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"export-{datetime.now(UTC):%Y%m%dT%H%M%S}.json"
    record = {"comments": size.comments, "runs": args.runs, "results": results, "ours_over_copy": ratio}
    path.write_text(json.dumps(record, indent=2))
    print(f"written to {path.relative_to(ROOT)}")


if __name__ == "__main__":
    sys.path[0] = str(ROOT)  # run as a script (`make bench`): import admin_app and bench from the project root
    main()
