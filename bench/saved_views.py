"""`make bench`: what saved views cost at 10k and 1M comments on PostgreSQL, medians and ratios measured here.

- The dashboard with the bench moderator's eight pinned views (each counted as its list counts: capped, or the
  planner's estimate where the list is large, admin/counting.py) against the same dashboard with none.
- Opening a saved view (its redirect, then the list it opens) against the same list's URL typed directly.

Requests go through Flask's test client as the bench's logged-in moderator, sizes and variants in turns. Uses the
schemas list_pages.py leaves (--reuse), else builds them; the views made here are removed at the end. Figures go
to bench/results/ as JSON.

    BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench  (the default; its schemas are dropped)
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
# The pinned views: what a moderator keeps an eye on (the bench data's spam wave is "casino", python is common).
PINNED = (
    ("comment", "Visible", [("flt0_disabled_equals", "0")]),
    ("comment", "Disabled", [("flt0_disabled_equals", "1")]),
    ("comment", "Casino", [("search", "casino")]),
    ("comment", "Casino, still visible", [("search", "casino"), ("flt0_disabled_equals", "0")]),
    ("comment", "Python", [("search", "python")]),
    ("post", "Hidden posts", [("flt0_hidden_equals", "1")]),
    ("member", "Inactive members", [("flt0_active_equals", "0")]),
    ("member", "Garcias", [("search", "garcia")]),
)
OPENED = ("comment", "Casino, newest", [("search", "casino")], "timestamp")
OPEN_PATH = "/admin/saved-views/open/{opened}/"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10000,1000000", help="comment counts, smallest first (%(default)s)")
    parser.add_argument("--runs", type=int, default=15, help="timed requests per size and variant (%(default)s)")
    parser.add_argument("--reuse", action="store_true", help="use the sizes' schemas as `make bench` left them")
    return parser.parse_args()


def timed(client: Any, url: str, follow: bool = False) -> float:
    start = time.perf_counter()
    response = client.get(url, follow_redirects=follow)
    elapsed = time.perf_counter() - start
    if response.status_code != 200:
        raise AssertionError(f"{url} answered {response.status_code}")
    return elapsed


def schemas(args: argparse.Namespace, url: str) -> tuple[list[Any], dict[Any, Any]]:
    """The sizes and an app bound to each one's schema, built first when they cannot be reused."""
    from admin_app import create_app
    from bench import dataset, report
    from bench.list_pages import FAST_LOGIN
    from bench.moderation_data import not_reusable

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
    return sizes, built


def moderator() -> Any:
    import sqlalchemy as sa

    from admin_app.extensions import db
    from admin_app.models import User
    from bench import dataset

    return db.session.scalars(sa.select(User).where(User.email == dataset.MODERATOR_EMAIL)).one()


def keep(app: Any, views: list[tuple[str, str, list[tuple[str, str]], str | None, bool]]) -> list[int]:
    """Save the bench moderator's views (list, name, arguments, sort, pinned); their ids."""
    from admin_app.extensions import db
    from admin_app.services import saved_views

    with app.app_context():
        owner = moderator()
        ids = [
            saved_views.save(owner, saved_views.Wanted(list_name, name, pairs, sort, True, pinned=pinned))[0].id
            for list_name, name, pairs, sort, pinned in views
        ]
        db.session.commit()
    return ids


def forget(app: Any) -> None:
    import sqlalchemy as sa

    from admin_app.extensions import db
    from admin_app.models import SavedView

    with app.app_context():
        db.session.execute(sa.delete(SavedView))
        db.session.commit()


def rounds(clients: dict[str, Any], runs: int, requests: list[tuple[str, str, bool]], samples: Samples) -> None:
    """``runs`` timed rounds (after two warming ones) of ``requests`` (variant, path, follow), sizes in turns."""
    for round_number in range(2 + runs):
        for label in list(clients) if round_number % 2 else list(reversed(clients)):
            for variant, path, follow in requests:
                elapsed = timed(clients[label], path.format(**OPEN_IDS[label]), follow)
                if round_number >= 2:
                    samples.setdefault(variant, {}).setdefault(label, []).append(elapsed)


Samples = dict[str, dict[str, list[float]]]
OPEN_IDS: dict[str, dict[str, int]] = {}


def main() -> None:
    from admin_app.extensions import db
    from bench import dataset, measure
    from bench.list_pages import DEFAULT_URL

    args = parse_args()
    logging.disable(logging.INFO)  # a request log line per timed request
    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    dataset.check_server(url)
    sizes, built = schemas(args, url)
    clients: dict[str, Any] = {}
    for size, app in built.items():
        forget(app)
        clients[size.label] = client = app.test_client()
        measure.login(client, dataset.MODERATOR_EMAIL, dataset.MODERATOR_PASSWORD)
        OPEN_IDS[size.label] = {"opened": keep(app, [(*OPENED, False)])[0]}
    samples: Samples = {}
    rounds(clients, args.runs, [("dashboard, none pinned", "/admin/", False)], samples)
    for app in built.values():
        keep(app, [(list_name, name, pairs, None, True) for list_name, name, pairs in PINNED])
    rounds(clients, args.runs, [("dashboard, 8 pinned", "/admin/", False)], samples)
    direct = "/admin/comment/?" + "&".join(f"{name}={value}" for name, value in OPENED[2]) + "&sort=4&desc=1"
    opening = [("the list, typed", direct, False), ("the list, from its saved view", OPEN_PATH, True)]
    rounds(clients, args.runs, opening, samples)
    for app in built.values():
        forget(app)
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
    results(sizes, args.runs, url, samples)


def results(sizes: list[Any], runs: int, url: str, samples: Samples) -> None:
    from bench import dataset

    small, large = sizes[0].label, sizes[-1].label
    print(
        f"\nPostgreSQL {dataset.server_version(url)}, {os.cpu_count()} CPUs; median of {runs} requests per size "
        "and variant (sizes in turns), as the bench's logged-in moderator\n"
    )
    medians = {v: {label: statistics.median(s) * 1000 for label, s in by.items()} for v, by in samples.items()}
    print(f"| page | ms at {small} | ms at {large} | ratio {large}/{small} |")
    print("| --- | --- | --- | --- |")
    for variant, by in medians.items():
        print(f"| {variant} | {by[small]:.1f} | {by[large]:.1f} | {by[large] / by[small]:.2f} |")
    record: dict[str, Any] = {"when": datetime.now(UTC).isoformat(timespec="seconds"), "runs": runs, "ms": medians}
    for label in (small, large):
        pinned = medians["dashboard, 8 pinned"][label] / medians["dashboard, none pinned"][label]
        opened = medians["the list, from its saved view"][label] / medians["the list, typed"][label]
        record[label] = {"pinned_ratio": pinned, "opened_ratio": opened}
        print(f"\nat {label}: the dashboard with 8 pinned views / with none: {pinned:.2f}; "
              f"a list opened from its saved view / its URL typed: {opened:.2f}")  # fmt: skip
    directory = ROOT / "bench" / "results"
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"saved_views-{datetime.now(UTC):%Y%m%dT%H%M%S}.json"
    path.write_text(json.dumps(record, indent=2))
    print(f"written to {path.relative_to(ROOT)}")


if __name__ == "__main__":
    sys.path[0] = str(ROOT)  # run as a script (`make bench`): import admin_app and bench from the project root
    main()
