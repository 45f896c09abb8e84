"""`make bench`: the dashboard (the back office's home page) at 10k and 1M comments on PostgreSQL, medians and
the ratio 1M/10k (aim: at most 1.5), beside the same page with Flask-Admin's exact COUNT(*) for every count.

Requests go through Flask's test client as the bench's logged-in moderator (counts, the review queue, today's
moderation, the two-week chart and their own latest operations), sizes in turns. Uses the schemas list_pages.py
leaves (--reuse), else builds them. Figures go to bench/results/ as JSON.

    BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench  (the default; its schemas are dropped)
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
AIM = 1.5


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10000,1000000", help="comment counts, smallest first (%(default)s)")
    parser.add_argument("--runs", type=int, default=15, help="timed requests per size and variant (%(default)s)")
    parser.add_argument("--reuse", action="store_true", help="use the sizes' schemas as `make bench` left them")
    return parser.parse_args()


def check(html: str) -> None:
    """Refuse a broken page, so it is not timed as fast."""
    for part in ('id="dashboard"', 'id="dashboard-chart"', "Waiting for review", "Moderation operations today"):
        if part not in html:
            raise AssertionError(f"the dashboard lacks {part!r}")


def main() -> None:
    from admin_app import create_app
    from admin_app.extensions import db
    from bench import dataset, measure, report
    from bench.list_pages import DEFAULT_URL, FAST_LOGIN
    from bench.moderation_data import not_reusable

    args = parse_args()
    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    dataset.check_server(url)
    sizes = [dataset.Size(int(count)) for count in args.sizes.split(",")]
    built = {
        size: create_app("default", SQLALCHEMY_DATABASE_URI=dataset.size_url(url, size), **FAST_LOGIN) for size in sizes
    }
    reasons = [
        why for size, app in built.items() if (why := not_reusable(app, size) if args.reuse else "--reuse not given")
    ]
    if reasons:
        print(f"building the schemas: {reasons[0]}", flush=True)
        dataset.reset(url, sizes)
        for size, app in built.items():
            print(report.seed_line(size, dataset.build(app, url, size)), flush=True)
    apps: dict[str, Any] = {}
    for size, app in built.items():
        client = app.test_client()
        measure.login(client, dataset.MODERATOR_EMAIL, dataset.MODERATOR_PASSWORD)
        with app.app_context():
            meter = measure.SqlMeter(db.engine)
        apps[size.label] = (app, client, meter)
    samples: dict[str, dict[str, list[float]]] = {}
    sql: dict[str, dict[str, list[float]]] = {}
    statements: dict[str, dict[str, int]] = {}
    for variant, switch in measure.VARIANTS.items():
        with switch():
            for round_number in range(2 + args.runs):
                order = list(apps) if round_number % 2 else list(reversed(apps))
                for label in order:
                    _app, client, meter = apps[label]
                    meter.reset()
                    start = time.perf_counter()
                    response = client.get("/admin/")
                    elapsed = time.perf_counter() - start
                    check(response.get_data(as_text=True))
                    statements.setdefault(variant, {})[label] = meter.statements
                    if round_number >= 2:
                        samples.setdefault(variant, {}).setdefault(label, []).append(elapsed)
                        sql.setdefault(variant, {}).setdefault(label, []).append(meter.seconds)
    for app, _client, _meter in apps.values():
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
    small, large = sizes[0].label, sizes[-1].label
    print(
        f"\nPostgreSQL {dataset.server_version(url)}, {os.cpu_count()} CPUs; median of {args.runs} requests per size "
        "and variant (sizes in turns), as the bench's logged-in moderator\n"
    )
    print(f"| dashboard | ms at {small} | ms at {large} | ratio | SQL ms {small}/{large} | statements |")
    print("| --- | --- | --- | --- | --- | --- |")
    record: dict[str, Any] = {"when": datetime.now(UTC).isoformat(timespec="seconds"), "runs": args.runs}
    for variant in samples:
        first, last = (statistics.median(samples[variant][label]) * 1000 for label in (small, large))
        first_sql, last_sql = (statistics.median(sql[variant][label]) * 1000 for label in (small, large))
        name = "this app" if variant == "app" else "exact COUNT(*) (stock)"
        mark = " *" if variant == "app" and last / first > AIM else ""
        print(
            f"| {name} | {first:.1f} | {last:.1f} | {last / first:.2f}{mark} | {first_sql:.1f}/{last_sql:.1f} | "
            f"{statements[variant][small]}/{statements[variant][large]} |"
        )
        record[variant] = {"ms": {small: first, large: last}, "ratio": last / first, "statements": statements[variant]}
    print(f"\nratio = median at {large} / median at {small}; aim: at most {AIM} (* marks a miss).")
    directory = ROOT / "bench" / "results"
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"dashboard-{datetime.now(UTC):%Y%m%dT%H%M%S}.json"
    path.write_text(json.dumps(record, indent=2))
    print(f"written to {path.relative_to(ROOT)}")


if __name__ == "__main__":
    sys.path[0] = str(ROOT)  # run as a script (`make bench`): import admin_app and bench from the project root
    main()
