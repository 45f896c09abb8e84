"""`make bench`: the slow corners at 1M comments on PostgreSQL, each against a baseline measured in the same run.

Writes, on the same ids in every method, the methods in turns (median of --runs, --runs-large for ~100,000 rows):
1./2. a plain ``UPDATE ... WHERE id = ANY(:ids) AND NOT disabled`` of 10,000 ticked ids (every n-th enabled one)
   and of every comment matching the search (its ids read once, untimed), on comments, on a bare copy of its
   rows (a primary key, nothing else) and on a copy with comments' indexes and foreign keys as they were at
   migration 0006 (schema <size>_copies, built once, reused while it holds comments' rows). Each UPDATE runs in
   a transaction that is rolled back, so nothing changes;
3. the moderation service (``moderate``: audit entry, audit rows, UPDATE, COUNT) on the 10,000 ids, rolled back;
4. the HTTP flow through Flask's test client as the bench moderator: the comment list's "Disable" with "Select
   all matching" for the search (the confirmation page), then its form posted with a reason. Above
   INLINE_ROWS_LIMIT rows that is a background job, run inline in that second request (no Redis here). It
   commits: outside the timed region the run is checked, the comments are put back from the audit rows' state
   before, and the audit trail and the jobs are emptied under ``session_replication_role = replica``.
Rolled back or restored, every run leaves dead row versions: the tables are VACUUMed outside the timed region
between groups and before a run once they hold 5% of a table's rows; GIN pending lists are emptied before each.

Pages (median of --page-runs, in turns, after warm-up rounds; each response checked: status, rows, the count
shown, the sort arrow or the page number): page 1 unsorted of the comment, post and user lists; every sortable
column both ways; comment pages 400 and 25,000; the search; the disabled filter; the confirmation page of 4.

Pages run first: each restore of 4 writes a new version of every row it puts back, moving it on disk, which the
pg_stats correlations printed before and after the writes show. The figures go to bench/results/ as JSON, with
those correlations and the sizes of comments' indexes (and of the comment_* tables').

    BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench  (the default; its schemas are dropped)
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEEP_PAGES = (400, 25_000)  # as a reader counts them: Flask-Admin's ?page= is 0-based


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--comments", type=int, default=1_000_000, help="size of the data set (%(default)s)")
    parser.add_argument("--ticked", type=int, default=10_000, help="ticked ids disabled (%(default)s)")
    parser.add_argument("--search", default="travel", help="the search whose matches are disabled (%(default)s)")
    parser.add_argument("--runs", type=int, default=5, help="timed runs per write method (%(default)s)")
    parser.add_argument("--runs-large", type=int, default=3, help="... on the search's matches (%(default)s)")
    parser.add_argument("--page-runs", type=int, default=15, help="timed requests per page (%(default)s)")
    parser.add_argument("--page-warmups", type=int, default=2, help="untimed rounds of pages first (%(default)s)")
    parser.add_argument(
        "--reuse", action="store_true", help="use the size's schema as it is when it matches the migrations and "
        "the size (as `make bench` leaves it after list_pages.py), instead of building it again",
    )  # fmt: skip
    return parser.parse_args()


@dataclass(frozen=True)
class Figure:
    """A median, its baseline's median from the same run, and the aim: a ratio (unit "x") or milliseconds."""

    name: str
    samples: list[float]  # seconds
    baseline: str = ""
    base: list[float] | None = None
    aim: float | None = None
    unit: str = "x"
    sql: list[float] | None = None
    note: str = ""

    @property
    def ms(self) -> float:
        return statistics.median(self.samples) * 1000

    @property
    def base_ms(self) -> float | None:
        return statistics.median(self.base) * 1000 if self.base else None

    @property
    def ratio(self) -> float | None:
        return self.ms / self.base_ms if self.base_ms else None

    @property
    def verdict(self) -> str:
        value = self.ratio if self.unit == "x" else self.ms
        if self.aim is None or value is None:
            return self.note
        return "met" if value <= self.aim else f"MISSED by {(value / self.aim - 1) * 100:.0f}%"

    def line(self) -> str:
        sql = f"{statistics.median(self.sql) * 1000:.1f}" if self.sql else ""
        base = f"{self.base_ms:.1f}" if self.base_ms is not None else ""
        ratio = f"{self.ratio:.2f}" if self.ratio is not None else ""
        aim = "" if self.aim is None else (f"{self.aim:g}x" if self.unit == "x" else f"< {self.aim:g} ms")
        return (
            f"{self.name:50}{self.ms:>10.1f}{sql:>9}  {self.baseline:28}{base:>10}{ratio:>7}  {aim:>10}  {self.verdict}"
        )

    def record(self) -> dict[str, Any]:
        return {
            "median_ms": self.ms, "samples_ms": [s * 1000 for s in self.samples], "baseline": self.baseline,
            "baseline_median_ms": self.base_ms, "ratio": self.ratio, "aim": self.aim, "aim_unit": self.unit,
            "verdict": self.verdict, "sql_median_ms": statistics.median(self.sql) * 1000 if self.sql else None,
        }  # fmt: skip


HEADER = f"{'':50}{'ms':>10}{'SQL ms':>9}  {'baseline':28}{'ms':>10}{'ratio':>7}  {'aim':>10}"


def write_figures(ticked: dict[str, list[float]], matching: dict[str, list[float]], rows: str) -> list[Figure]:
    bare, ours = "bare copy", "plain UPDATE, comments"
    return [
        Figure("plain UPDATE, 10,000 ticked: comments", ticked["ours"], bare, ticked["bare"], 2),
        Figure("plain UPDATE, 10,000 ticked: before_0007", ticked["before_0007"], bare, ticked["bare"]),
        Figure(f"plain UPDATE, {rows}: comments", matching["ours"], bare, matching["bare"], 2),
        Figure(f"plain UPDATE, {rows}: before_0007", matching["before_0007"], bare, matching["bare"]),
        Figure("whole operation, 10,000 ticked", ticked["service"], ours, ticked["ours"], 1.5),
        Figure(f"whole HTTP flow, {rows}", matching["flow total"], ours, matching["ours"], 1.5),
        Figure("HTTP flow: its confirmation request", matching["flow confirm"]),
        Figure("HTTP flow: its execute request", matching["flow execute"]),
    ]


def page_figures(pages: list[Any], samples: dict[str, list[float]], changing: int) -> list[Figure]:
    figures = [
        Figure(f"confirmation page (Disable {changing} comments?)", samples["confirm"], aim=300, unit="ms",
               sql=samples["confirm | sql"]),
        Figure("confirmation page: its COUNT statements' SQL", samples["confirm | count sql"]),
    ]  # fmt: skip
    for spec in pages:
        aim: float | None = 1.5
        unit, note = "x", ""
        if spec.kind == "page 1":
            aim = None
        elif spec.kind == "page 25,000":
            aim, unit = 2_500, "ms"
        elif spec.kind == "page by next":
            aim = 1.5  # flat: as fast as the first page, however deep
        elif spec.kind in ("search", "filter"):
            aim, note = None, "aim 1.2x of today: compare with list_pages"
        base = samples[spec.baseline] if spec.key != spec.baseline else None
        baseline = "page 1 unsorted" if base else ""
        figures.append(
            Figure(spec.key, samples[spec.key], baseline, base, aim, unit, samples[f"{spec.key} | sql"], note)
        )
    return figures


def main() -> None:  # noqa: C901 (a script: the steps in order)
    from admin_app import create_app
    from admin_app.extensions import db
    from admin_app.services.audit import Actor
    from bench import dataset, report
    from bench import moderation_data as data
    from bench import slow_corners_copies as copies
    from bench import slow_corners_pages as pages
    from bench import slow_corners_writes as writes
    from bench.list_pages import DEFAULT_URL, FAST_LOGIN
    from bench.measure import login

    args = parse_args()
    started = time.perf_counter()
    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    dataset.check_server(url)
    size = dataset.Size(args.comments)
    # No Redis: an operation above INLINE_ROWS_LIMIT runs as a job inline, in the confirming request (jobs.py).
    app = create_app("default", SQLALCHEMY_DATABASE_URI=dataset.size_url(url, size), JOBS_REDIS_URL="", **FAST_LOGIN)
    why = data.not_reusable(app, size) if args.reuse else "--reuse not given"
    built = None
    if why is None:
        print(f"seed {size.label:>4}: reusing schema {size.schema} ({size.comments:,} comments), not timed", flush=True)
    else:
        print(f"building schema {size.schema}: {why}", flush=True)
        dataset.reset(url, [size])  # drops <size>_copies too (its name starts with size_)
        built = dataset.build(app, url, size)
        print(report.seed_line(size, built), flush=True)

    def say(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    def said(label: str, method: str, parts: dict[str, float]) -> None:
        say(f"{label} {method}: " + ", ".join(f"{name} {seconds * 1000:.0f} ms" for name, seconds in parts.items()))

    ours = writes.tables(size)["ours"]
    with app.app_context():
        for line in copies.ensure_copies(size):
            print(line, flush=True)
        correlations = {"start": copies.physical_order(size.schema)}
        ticked, step = copies.ticked_ids(ours, args.ticked)
        matching, changing = copies.matching_ids(ours, args.search)
        actor = Actor(data.actor_id(), dataset.MODERATOR_EMAIL, "127.0.0.1")
        disabled, triggers = data.disabled_total(), copies.triggers(ours)
        upkeep = writes.Upkeep(vacuum_at=size.comments // 20)
        db.session.remove()
    if (why := data.not_reusable(app, size)) is not None:
        raise AssertionError(f"the copies made the schema unusable for --reuse: {why}")
    client = app.test_client()
    login(client, dataset.MODERATOR_EMAIL, dataset.MODERATOR_PASSWORD)
    token = writes.csrf_token(client)

    # Pages first: the HTTP flow's restores move the rows they put back (an UPDATE writes a new row version).
    specs, skipped = pages.specs(app, client, args.search, DEEP_PAGES)
    page_samples = pages.time_pages(
        app, client, specs, (args.search, token, changing), args.page_runs, args.page_warmups, say
    )
    small = writes.Methods(app, size, ticked, len(ticked), actor, upkeep)
    methods = {method: small.plain(method) for method in writes.tables(size)} | {"service": small.service}
    ticked_samples = writes.in_turns(methods, args.runs, 1, said)
    with app.app_context():
        upkeep.all()
    large = writes.Methods(app, size, matching, changing, actor, upkeep)
    methods = {method: large.plain(method) for method in writes.tables(size)}
    methods["flow"] = large.flow(client, args.search, token, disabled)
    matching_samples = writes.in_turns(methods, args.runs_large, 1, said)
    with app.app_context():
        upkeep.all()
        correlations["end"] = copies.physical_order(size.schema)
        sizes = copies.relation_sizes(size.schema)
        db.session.remove()
        db.engine.dispose()

    version = dataset.server_version(url)
    rows = f"{len(matching):,} {args.search!r}"
    figures = write_figures(ticked_samples, matching_samples, rows)
    print(
        f"\nPostgreSQL {version}, {os.cpu_count()} CPUs; {size.comments:,} comments. Writes: {len(ticked):,} ticked "
        f"ids (one enabled comment in {step}), median of {args.runs} runs; the {len(matching):,} comments matching "
        f"{args.search!r} ({changing:,} of them enabled), median of {args.runs_large}. Methods in turns, each UPDATE "
        f"rolled back; the HTTP flow committed, then restored (it landed on {large.landed}).\n"
    )
    print(HEADER)
    print("\n".join(figure.line() for figure in figures))
    figures += (shown := page_figures(specs, page_samples, changing))
    print(f"\nPages: median of {args.page_runs} requests each, in turns, as the bench moderator\n\n{HEADER}")
    print("\n".join(figure.line() for figure in shown))
    if skipped:
        print(f"\nLists the bench moderator may not read, not timed: {', '.join(skipped)}")
    print(f"\ncomments' triggers: {', '.join(triggers) or 'none'}; the copies have none of their own.")
    print("Physical order, pg_stats.correlation with the rows' order on disk (ANALYZE first):")
    for when, values in (("at the start", correlations["start"]), ("after the writes", correlations["end"])):
        print(f"  {when:18}" + ", ".join(f"comments.{column} {value:+.3f}" for column, value in values.items()))
    print("Sizes after the writes (pg_relation_size):")
    print("\n".join(f"  {table:16}{index:36}{pretty:>10}" for table, index, _bytes, pretty in sizes))
    vacuums = f"{len(upkeep.vacuums)} VACUUMs, {sum(upkeep.vacuums):.0f} s"
    print(f"\nOutside the timed regions: {vacuums}. Total {time.perf_counter() - started:.0f} s.")
    meta = {
        "postgresql": version, "comments": size.comments, "runs": args.runs, "runs_large": args.runs_large,
        "page_runs": args.page_runs, "search": args.search, "ticked": len(ticked), "matching": len(matching),
        "changing": changing, "flow_landed_on": large.landed, "reused_schema": built is None,
        "seed_seconds": built.seed_seconds if built else None, "comments_triggers": triggers, "skipped_lists": skipped,
        "correlation": correlations, "sizes": {f"{t}.{i}": b for t, i, b, _ in sizes}, "vacuums_s": upkeep.vacuums,
    }  # fmt: skip
    path = write_json(ROOT / "bench" / "results", figures, meta)
    print(f"written to {path.relative_to(ROOT)}")


def write_json(directory: Path, figures: list[Figure], meta: dict[str, Any]) -> Path:
    from bench.report import git_commit

    directory.mkdir(parents=True, exist_ok=True)
    record = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"), "python": platform.python_version(),
        "machine": platform.platform(), "commit": git_commit(directory), **meta,
        "figures": {figure.name: figure.record() for figure in figures},
    }  # fmt: skip
    path = directory / f"slow_corners-{datetime.now(UTC):%Y%m%d-%H%M%S}.json"
    path.write_text(json.dumps(record, indent=2) + "\n")
    return path


if __name__ == "__main__":
    sys.path[0] = str(ROOT)  # run as a script (`make bench`): import admin_app and bench from the project root
    main()
