"""`make bench`: disabling 10,000 ticked and 100,000 matching comments out of 1M on PostgreSQL, against baselines.

Each scenario is run three ways in the same run, on the same rows, in turns: the moderation service (audit entry,
audit rows, UPDATE, COUNT), a plain SQL UPDATE of the same rows, and a per-object ORM loop. Every run starts
from the same state: it is checked (the right comments disabled, one audit entry recording them), then the
comments are put back with a set-based UPDATE and the append-only audit trail is emptied under
``session_replication_role = replica``, outside the timed region. The figures go to bench/results/ as JSON.

    BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench  (the default; its schemas are dropped)
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bench.moderation_data import Scenario

ROOT = Path(__file__).resolve().parent.parent
LARGE = 100_000  # a scenario this size takes seconds per run: fewer runs, a VACUUM before each


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--comments", type=int, default=1_000_000, help="size of the data set (%(default)s)")
    parser.add_argument("--ticked", default="10000", help="ticked-id scenarios, comma-separated (%(default)s)")
    parser.add_argument("--matching", default="10000,100000", help="filter scenarios, changed rows (%(default)s)")
    parser.add_argument("--runs", type=int, default=5, help="timed runs per scenario and method (%(default)s)")
    parser.add_argument(
        "--runs-large", type=int, default=3, help=f"... where {LARGE:,} rows or more change (%(default)s)"
    )
    parser.add_argument("--orm-runs-large", type=int, default=2, help="... of the ORM loop there (%(default)s)")
    parser.add_argument(
        "--reuse", action="store_true", help="use the size's schema as it is when it matches the migrations and "
        "the size (as `make bench` leaves it after list_pages.py), instead of building it again",
    )  # fmt: skip
    return parser.parse_args()


def runs(args: argparse.Namespace, scenarios: list[Scenario], scenario: Scenario, method: str) -> int:
    """How often a method runs on a scenario: the ORM loop skips the smaller filters (the list of the same size
    has it: its cost follows the number of rows, not how they were chosen)."""
    large = scenario.rows >= LARGE
    if method != "orm":
        return args.runs_large if large else args.runs
    if scenario.ids is None and scenario.rows < max(s.rows for s in scenarios if s.ids is None):
        return 0
    return args.orm_runs_large if large else args.runs


def main() -> None:
    from admin_app import create_app
    from admin_app.extensions import db
    from admin_app.services.audit import Actor
    from bench import dataset, report
    from bench import moderation_data as data
    from bench import moderation_measure as measure
    from bench import moderation_report as printout
    from bench.list_pages import DEFAULT_URL, FAST_LOGIN

    args = parse_args()
    started = time.perf_counter()
    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    dataset.check_server(url)
    size = dataset.Size(args.comments)
    app = create_app("default", SQLALCHEMY_DATABASE_URI=dataset.size_url(url, size), **FAST_LOGIN)
    why = data.not_reusable(app, size) if args.reuse else "--reuse not given"
    built = None
    if why is None:
        print(f"seed {size.label:>4}: reusing schema {size.schema} ({size.comments:,} comments), not timed", flush=True)
    else:
        print(f"building schema {size.schema}: {why}", flush=True)
        dataset.reset(url, [size])
        built = dataset.build(app, url, size)
        print(report.seed_line(size, built), flush=True)
    ticked = [int(count) for count in args.ticked.split(",") if count]
    matching = [int(count) for count in args.matching.split(",") if count]
    with app.app_context():
        scenarios = data.prepare(ticked, matching)
        actor = Actor(data.actor_id(), dataset.MODERATOR_EMAIL, "127.0.0.1")
        maintenance = data.Maintenance(vacuum_at=size.comments // 20)  # 5% of the table
        disabled = data.disabled_total()
        data.vacuum(maintenance)  # a reused schema may hold the dead rows of an earlier run's last reset
        try:
            results = measure.time_all(
                scenarios, actor, lambda scenario, method: runs(args, scenarios, scenario, method), maintenance,
                disabled, lambda line: print(line, file=sys.stderr, flush=True),
            )  # fmt: skip
        finally:
            data.restore_and_drop(disabled)
            db.session.remove()
            db.engine.dispose()
    version = dataset.server_version(url)
    print(
        f"\nPostgreSQL {version}, {os.cpu_count()} CPUs; {size.comments:,} comments; median of {args.runs} runs per "
        f"scenario and method ({args.runs_large}, and {args.orm_runs_large} of the ORM loop, where {LARGE:,} rows "
        "change), methods in turns, each run from the same state and checked\n"
    )
    for scenario in scenarios:
        print(f"  {scenario.name:18} {scenario.rows:,} enabled comments changed; selection: {scenario.described}")
    print()
    print(printout.table(scenarios, results))
    print("\nWhere the service's time goes (medians):\n")
    print(printout.breakdown(scenarios, results))
    print("\nService statements, last run:\n")
    print(printout.statements(scenarios, results))
    print(f"\n{printout.maintenance_line(maintenance)} Total {time.perf_counter() - started:.0f} s.")
    meta = {
        "postgresql": version,
        "comments": size.comments,
        "runs": args.runs,
        "runs_large": args.runs_large,
        "orm_runs_large": args.orm_runs_large,
        "seed_seconds": built.seed_seconds if built else None,
        "reused_schema": built is None,
        "reset": "UPDATE from bench_snapshot; TRUNCATE audit tables under SET LOCAL session_replication_role = replica",
        "vacuums_seconds": maintenance.vacuums,
    }
    path = printout.write_json(ROOT / "bench" / "results", scenarios, results, meta)
    print(f"written to {path.relative_to(ROOT)}")


if __name__ == "__main__":
    sys.path[0] = str(ROOT)  # run as a script (`make bench`): import admin_app and bench from the project root
    main()
