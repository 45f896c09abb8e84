"""The bench's printout and its JSON record: medians per page, ratios between sizes, statement counts."""

from __future__ import annotations

import json
import platform
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from admin_app.admin.base import SecuredModelView
from bench.dataset import Built, Size
from bench.measure import PAGES, Result

AIM = 1.5  # the aim for every ratio largest/smallest size
PAGE_SIZE = SecuredModelView.page_size


def seed_line(size: Size, built: Built) -> str:
    rate = built.rows / built.seed_seconds
    return (
        f"seed {size.label:>4}: {built.rows:,} rows ({size.users:,} users, {size.posts:,} posts, "
        f"{size.comments:,} comments) in {built.seed_seconds:.1f} s, {rate:,.0f} rows/s; "
        f"VACUUM (ANALYZE) {built.vacuum_seconds:.1f} s"
    )


def table(sizes: list[Size], results: dict[str, dict[str, Result]], limit: int) -> str:
    small, large = sizes[0].label, sizes[-1].label
    both = f"{small}/{large}"
    lines = [
        f"{'':30}{'matching rows':>20}  {'this app: request ms':>24}  {'SQL ms':>11}  {'statements':>10}  "
        f"{'stock Flask-Admin: ms':>23}  count shown",
        f"{'page':30}{small:>9}{large:>11}  {small:>7}{large:>8}{'ratio':>9}  {both:>11}  {both:>10}  "
        f"{small:>7}{large:>9}{'ratio':>7}  at {large}",
    ]
    for page in PAGES:
        first, last = results[small][page.name], results[large][page.name]
        ratio = last.median_ms("app") / first.median_ms("app")
        stock_ratio = last.median_ms("stock") / first.median_ms("stock")
        sql = f"{first.sql_median_ms('app'):.1f}/{last.sql_median_ms('app'):.1f}"
        statements = f"{first.statements['app']}/{last.statements['app']}"
        lines.append(
            f"{page.name:30}{first.matches:>9,}{last.matches:>11,}  "
            f"{first.median_ms('app'):>7.1f}{last.median_ms('app'):>8.1f}{ratio:>7.2f}{' *' if ratio > AIM else '  '}"
            f"  {sql:>11}  {statements:>10}  "
            f"{first.median_ms('stock'):>7.1f}{last.median_ms('stock'):>9.1f}{stock_ratio:>7.1f}  {last.shown['app']}"
        )
    worst = max(
        results[large][page.name].median_ms("app") / results[small][page.name].median_ms("app") for page in PAGES
    )
    lines.append(
        f"\nratio = median at {large} / median at {small}; aim: at most {AIM} (* marks a miss; worst {worst:.2f}).\n"
        f"Lists show at most {PAGE_SIZE} rows. Counts are exact up to ADMIN_EXACT_COUNT_LIMIT = {limit:,}, "
        "estimated above it; the stock variant counts every matching row."
    )
    return "\n".join(lines)


def write_json(
    directory: Path, sizes: list[Size], built: dict[str, Built], results: dict[str, dict[str, Result]], meta: dict
) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    record: dict[str, Any] = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "machine": platform.platform(),
        "commit": git_commit(directory),
        **meta,
        "sizes": {
            size.label: {
                "users": size.users,
                "posts": size.posts,
                "comments": size.comments,
                "seed_seconds": built[size.label].seed_seconds,
                "seed_rows_per_second": built[size.label].rows_per_second,
                "vacuum_seconds": built[size.label].vacuum_seconds,
                "pages": {
                    page.name: {
                        "url": page.url,
                        "matching_rows": result.matches,
                        "count_shown": result.shown,
                        "statements": result.statements,
                        "median_ms": {variant: result.median_ms(variant) for variant in result.samples},
                        "sql_median_ms": {variant: result.sql_median_ms(variant) for variant in result.samples},
                        "samples_ms": {name: [s * 1000 for s in samples] for name, samples in result.samples.items()},
                    }
                    for page in PAGES
                    for result in [results[size.label][page.name]]
                },
            }
            for size in sizes
        },
    }
    path = directory / f"list_pages-{datetime.now(UTC):%Y%m%d-%H%M%S}.json"
    path.write_text(json.dumps(record, indent=2) + "\n")
    return path


def git_commit(directory: Path) -> str | None:
    try:
        found = subprocess.run(
            ["git", "describe", "--always", "--dirty"], cwd=directory, capture_output=True, text=True, check=True
        )
    except (OSError, subprocess.CalledProcessError):
        return None
    return found.stdout.strip()
