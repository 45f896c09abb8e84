"""The moderation bench's printout and JSON record: medians, ratios to the baselines, statement counts."""

from __future__ import annotations

import json
import platform
import statistics
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from admin_app.services.moderation import CHUNK
from bench.moderation_data import Maintenance, Scenario
from bench.moderation_measure import Result
from bench.report import git_commit

AIM = 1.5  # the aim for the service against a plain UPDATE of the same rows
AUDIT_ROWS, UPDATE = "INSERT audit_rows", "UPDATE comments"


def chunks(scenario: Scenario) -> int:
    return -(-len(scenario.ids) // CHUNK) if scenario.ids is not None else 1


def table(scenarios: list[Scenario], results: dict[str, dict[str, Result]]) -> str:
    lines = [
        f"{'':18}{'':>9}  {'median ms':^32}  {'ratio':^21}  {'statements':^27}",
        f"{'scenario':18}{'rows':>9}  {'service':>10}{'plain':>10}{'ORM loop':>12}  {'service/plain':>14}"
        f"{'ORM/serv':>9}  {'service':>8}{'plain':>6}{'ORM (rows sent)':>17}",
    ]
    for scenario in scenarios:
        result = results[scenario.key]
        service, plain = result["service"].median_ms(), result["plain"].median_ms()
        ratio = service / plain
        orm = result["orm"]
        if orm.runs:
            orm_ms = f"{orm.median_ms():>9.0f} ({len(orm.runs)})"
            orm_ratio = f"{orm.median_ms() / service:>9.1f}"
            orm_statements = f"{orm.statements:>6} ({orm.parameter_sets:>8,})"
        else:
            orm_ms, orm_ratio, orm_statements = f"{'-':>9}    ", f"{'-':>9}", f"{'-':>6}"
        lines.append(
            f"{scenario.name:18}{scenario.rows:>9,}  {service:>10.0f}{plain:>10.0f}{orm_ms}"
            f"  {ratio:>12.2f}{' *' if ratio > AIM else '  '}{orm_ratio}  {result['service'].statements:>8}"
            f"{result['plain'].statements:>6}{orm_statements}"
        )
    worst = max(results[s.key]["service"].median_ms() / results[s.key]["plain"].median_ms() for s in scenarios)
    lines.append(
        f"\nservice/plain: aim at most {AIM} (* marks a miss; worst {worst:.2f}). (n) after the ORM loop: its runs. "
        "An executemany counts as one statement; 'rows sent' are the parameter sets of every statement."
    )
    return "\n".join(lines)


def breakdown(scenarios: list[Scenario], results: dict[str, dict[str, Result]]) -> str:
    """Where the service's time goes, against the plain UPDATE's one statement (medians of the SQL time)."""
    lines = [
        f"{'scenario':18}{'audit rows ms':>15}{'UPDATE ms':>11}{'other ms':>10}{'plain UPDATE ms':>17}"
        f"{'UPDATE/plain':>14}{'without audit rows/plain':>26}"
    ]
    for scenario in scenarios:
        service, plain = results[scenario.key]["service"], results[scenario.key]["plain"]
        audit, update = service.median_ms(AUDIT_ROWS), service.median_ms(UPDATE)
        rest = statistics.median(
            (run.seconds - run.by_kind.get(AUDIT_ROWS, 0) - run.by_kind.get(UPDATE, 0)) * 1000 for run in service.runs
        )
        without = statistics.median((run.seconds - run.by_kind.get(AUDIT_ROWS, 0)) * 1000 for run in service.runs)
        lines.append(
            f"{scenario.name:18}{audit:>15.0f}{update:>11.0f}{rest:>10.0f}{plain.median_ms(UPDATE):>17.0f}"
            f"{update / plain.median_ms(UPDATE):>14.2f}{without / plain.median_ms():>26.2f}"
        )
    lines.append(
        "audit rows: INSERT INTO audit_rows ... SELECT ... FOR UPDATE (all chunks); other: the audit entry, the COUNT, "
        "the commit and Python. The last column is the service's total minus its audit rows, over the plain total."
    )
    return "\n".join(lines)


def statements(scenarios: list[Scenario], results: dict[str, dict[str, Result]]) -> str:
    lines = []
    for scenario in scenarios:
        run = results[scenario.key]["service"].runs[-1]
        kinds = ", ".join(f"{name} {seconds * 1000:.0f} ms" for name, seconds in run.by_kind.items())
        shape = f"{chunks(scenario)} chunk{'s' if chunks(scenario) > 1 else ''} of at most {CHUNK:,} ids"
        if scenario.ids is None:
            shape = "one SELECT of ids"
        lines.append(f"  {scenario.name:18} {run.statements} statements ({shape}): {kinds}")
    selects = {results[s.key]["service"].statements for s in scenarios if s.ids is None}
    lines_per_chunk = {results[s.key]["service"].statements - chunks(s) for s in scenarios if s.ids is not None}
    lines.append(
        f"  same count for every selection size: {'yes' if len(selects) <= 1 else 'NO'}; "
        f"lists: {'3 + one per chunk' if lines_per_chunk == {3} else 'NOT 3 + one per chunk'}"
    )
    return "\n".join(lines)


def maintenance_line(maintenance: Maintenance) -> str:
    reset = statistics.median(maintenance.resets)
    return (
        f"Outside the timed region: {len(maintenance.resets)} resets (median {reset:.1f} s), "
        f"{len(maintenance.vacuums)} VACUUMs of comments ({sum(maintenance.vacuums):.0f} s in all)."
    )


def write_json(
    directory: Path, scenarios: list[Scenario], results: dict[str, dict[str, Result]], meta: dict[str, Any]
) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    record = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "machine": platform.platform(),
        "commit": git_commit(directory),
        **meta,
        "scenarios": {
            scenario.key: {
                "name": scenario.name,
                "selection": scenario.described,
                "rows_changed": scenario.rows,
                "rows_selected": scenario.selected,
                "chunks": chunks(scenario),
                "ratio_service_plain": results[scenario.key]["service"].median_ms()
                / results[scenario.key]["plain"].median_ms(),
                "ratio_orm_service": results[scenario.key]["orm"].median_ms()
                / results[scenario.key]["service"].median_ms()
                if results[scenario.key]["orm"].runs
                else None,
                "methods": {
                    method: {
                        "median_ms": result.median_ms(),
                        "samples_ms": [run.seconds * 1000 for run in result.runs],
                        "statements": result.statements,
                        "parameter_sets": result.parameter_sets,
                        "median_ms_by_statement": {name: result.median_ms(name) for name in result.runs[-1].by_kind},
                    }
                    for method, result in results[scenario.key].items()
                    if result.runs
                },
            }
            for scenario in scenarios
        },
    }
    path = directory / f"moderation-{datetime.now(UTC):%Y%m%d-%H%M%S}.json"
    path.write_text(json.dumps(record, indent=2) + "\n")
    return path
