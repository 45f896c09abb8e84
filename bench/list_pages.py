"""`make bench`: the comment, post and user list pages at 10k and 1M comments on PostgreSQL, medians and ratios.

Each size gets a fresh schema from the migrations, filled by the seed service and vacuumed (--reuse keeps the
schemas an earlier run left, when they still hold what it built). Every page is
requested through Flask's test client as a logged-in moderator (argon2 stays out: the bench uses a plaintext
hash and logs in once per size, before timing), interleaved with the same page under Flask-Admin's stock exact
COUNT(*), so the printout also shows what the estimated counts save. The figures go to bench/results/ as JSON.

    BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench  (the default; its schema is dropped)
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/bench"
FAST_LOGIN = {"SECURITY_PASSWORD_HASH": "plaintext", "SECURITY_PASSWORD_SINGLE_HASH": True}


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10000,1000000", help="comment counts, smallest first (%(default)s)")
    parser.add_argument("--runs", type=int, default=15, help="timed requests per page and variant (%(default)s)")
    parser.add_argument("--reuse", action="store_true", help="time the sizes' schemas as an earlier run left them")
    return parser.parse_args()


def main() -> None:
    from admin_app import create_app
    from admin_app.extensions import db
    from bench import dataset, measure, report
    from bench.moderation_data import not_reusable

    args = parse_args()
    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    dataset.check_server(url)
    sizes = [dataset.Size(int(count)) for count in args.sizes.split(",")]
    # The default profile, minus argon2 (about a second per login here): a plaintext hash for the one login.
    made = {
        size: create_app("default", SQLALCHEMY_DATABASE_URI=dataset.size_url(url, size), **FAST_LOGIN) for size in sizes
    }
    reasons = [
        why for size, app in made.items() if (why := not_reusable(app, size) if args.reuse else "--reuse not given")
    ]
    # Reused schemas were seeded earlier: their seed and vacuum times are not this run's (0 in the JSON).
    built = {size.label: dataset.Built(size.users + size.posts + size.comments, 0.0, 0.0) for size in sizes}
    if reasons:
        print(f"building the schemas: {reasons[0]}", flush=True)
        dataset.reset(url, sizes)
        for size, app in made.items():
            built[size.label] = dataset.build(app, url, size)
            print(report.seed_line(size, built[size.label]), flush=True)
    apps = {}
    for size, app in made.items():
        client = app.test_client()
        measure.login(client, dataset.MODERATOR_EMAIL, dataset.MODERATOR_PASSWORD)
        apps[size.label] = (app, client)
    results = measure.time_pages(apps, args.runs)
    for app, _client in apps.values():
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
    limit = app.config["ADMIN_EXACT_COUNT_LIMIT"]
    print(
        f"\nPostgreSQL {dataset.server_version(url)}, {os.cpu_count()} CPUs; median of {args.runs} requests per "
        "size, page and variant (sizes and pages in turns), as a logged-in moderator\n"
    )
    print(report.table(sizes, results, limit))
    meta = {"postgresql": dataset.server_version(url), "runs": args.runs, "exact_count_limit": limit}
    path = report.write_json(ROOT / "bench" / "results", sizes, built, results, meta)
    print(f"\nwritten to {path.relative_to(ROOT)}")


if __name__ == "__main__":
    sys.path[0] = str(ROOT)  # run as a script (`make bench`): import admin_app and bench from the project root
    main()
