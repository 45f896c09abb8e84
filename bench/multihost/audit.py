"""The audit check of a load phase: the database holds exactly the audited changes, nothing lost, nothing doubled.

At the phase's start every comment's ``disabled`` state is read, with the last audit entry's id. At its end:

- per comment, its audit rows of the phase (each records the state before one change; a disable only records rows
  that were enabled, an enable rows that were disabled) must chain from the start state, alternating, to the state
  it holds now. A change without an audit row, or an audit row without its change, or one change recorded twice,
  breaks the chain (operations run concurrently, so the chain is checked by counts, not by entry order);
- the comment's moderated_at/moderated_by must be those of one of its entries in the phase (its last change was an
  audited one);
- each confirmation posted a note of its own, which its audit entry keeps: every entry of the phase is exactly one
  confirmation's; every operation a moderator saw done ("N comments disabled", its undo naming the entry) is there
  with exactly N rows; one seen failed is not; one whose answer was lost (the kill) may be either, and is counted.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from bench.multihost.checks import Check

VALUE = {"comment.disable": True, "comment.enable": False}


@dataclass(frozen=True)
class Snapshot:
    states: dict[int, bool]
    last_entry: int


def snapshot(engine: sa.Engine) -> Snapshot:
    with engine.connect() as connection:
        connection.execute(sa.text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ"))
        rows = connection.execute(sa.text("SELECT id, disabled FROM comments")).tuples().all()
        states: dict[int, bool] = {int(id_): bool(disabled) for id_, disabled in rows}
        last = connection.execute(sa.text("SELECT coalesce(max(id), 0) FROM audit_entries")).scalar_one()
    return Snapshot(states, int(last))


def wait_for_quiet(engine: sa.Engine, timeout: float = 30) -> int:
    """Wait until no other session of the scratch database is in a transaction: a COMMIT sent just before its host
    was killed is then either applied or gone. Returns how many were still busy at the deadline."""
    query = sa.text(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
        "AND pid <> pg_backend_pid() AND state IS NOT NULL AND state <> 'idle'"
    )
    deadline = time.monotonic() + timeout
    while True:
        with engine.connect() as connection:
            busy = int(connection.execute(query).scalar_one())
        if not busy or time.monotonic() > deadline:
            return busy
        time.sleep(0.2)


def check(engine: sa.Engine, start: Snapshot, operations: list[dict[str, Any]]) -> Check:
    report = Check("audit")
    with engine.connect() as connection:
        entries = {
            row.id: row
            for row in connection.execute(
                sa.text(
                    "SELECT e.id, e.action, e.actor_id, e.actor_email, e.created_at, e.note, count(r.row_id) AS rows"
                    " FROM audit_entries e LEFT JOIN audit_rows r ON r.entry_id = e.id WHERE e.id > :last"
                    " GROUP BY e.id"
                ),
                {"last": start.last_entry},
            )
        }
        audit_rows = connection.execute(
            sa.text("SELECT r.row_id, r.entry_id, r.flag_before FROM audit_rows r WHERE r.entry_id > :last"),
            {"last": start.last_entry},
        ).all()
        now = {
            row.id: row
            for row in connection.execute(sa.text("SELECT id, disabled, moderated_by_id, moderated_at FROM comments"))
        }

    unexpected = [entry.action for entry in entries.values() if entry.action not in VALUE]
    report.expect(
        not unexpected,
        f"operations in the trail: {len(entries)}, all comment disables and enables "
        f"(other: {Counter(unexpected) or 'none'})",
    )
    by_comment: dict[int, list[Any]] = {}
    for row in audit_rows:
        by_comment.setdefault(row.row_id, []).append(row)

    wrong_before = broken = differs = not_last = 0
    changed_from_start = odd = 0
    for comment_id, initial in start.states.items():
        current = now.get(comment_id)
        rows = by_comment.get(comment_id, [])
        if current is None:
            differs += 1  # this load deletes nothing
            continue
        values = [VALUE.get(entries[r.entry_id].action) for r in rows]
        wrong_before += sum(1 for r, value in zip(rows, values, strict=True) if r.flag_before is not (not value))
        disables, enables = values.count(True), values.count(False)
        ahead = (disables - enables) if not initial else (enables - disables)  # changes away from the start state
        if ahead not in (0, 1):
            broken += 1
        expected = initial if ahead != 1 else not initial
        differs += current.disabled is not expected
        changed_from_start += current.disabled is not initial
        odd += len(rows) % 2
        if rows and not any(
            entries[r.entry_id].created_at == current.moderated_at
            and entries[r.entry_id].actor_id == current.moderated_by_id
            for r in rows
        ):
            not_last += 1
    unknown = set(by_comment) - set(start.states)
    report.expect(not unknown, f"audit rows on comments that did not exist at the start: {len(unknown)}")
    report.lines.append(f"      audit rows: {len(audit_rows)}, on {len(by_comment)} comments")
    report.expect(
        changed_from_start == odd and not differs,
        f"comments whose state differs from the start: {changed_from_start}; with an odd number of audit "
        f"rows: {odd}; whose state is not what their audit rows say: {differs}",
    )
    report.expect(
        not broken and not wrong_before,
        f"audit rows that do not chain from the start state (a change lost or recorded twice): {broken}; "
        f"recording a state their operation would not change: {wrong_before}",
    )
    report.expect(not not_last, f"comments whose last change (moderated_at/by) is no audited one: {not_last}")
    _check_operations(report, entries, operations)
    return report


def _check_operations(report: Check, entries: dict[int, Any], operations: list[dict[str, Any]]) -> None:
    """Every confirmation posted a note of its own: each audit entry of the phase must be one confirmation's (one
    entry per note: a replayed POST would make two), each confirmation shown done must have its entry with the rows
    it showed, none shown failed may have one; a confirmation whose answer was lost may have committed or not."""
    by_note: dict[str | None, list[Any]] = {}
    for entry in entries.values():
        by_note.setdefault(entry.note, []).append(entry)
    sent = {op["note"] for op in operations}
    doubled = sum(1 for found in by_note.values() if len(found) > 1)
    stray = sum(len(found) for note, found in by_note.items() if note not in sent)
    report.expect(
        not doubled and not stray,
        f"operations in the trail: {len(entries)} for {len(operations)} confirmations sent; notes with more than one "
        f"entry (a confirmation applied twice): {doubled}; entries of no confirmation: {stray}",
    )
    done = [op for op in operations if op["outcome"] == "done"]
    shown = sum(int(op["changed"]) for op in done)
    missing = [op for op in done if op["note"] not in by_note]
    miscounted = [op for op in done if op["note"] in by_note and not _matches(by_note[op["note"]][0], op)]
    report.expect(
        not missing and not miscounted,
        f"confirmations shown done: {len(done)}, {shown} rows changed as shown; missing from the trail: "
        f"{len(missing)}; in it with other rows, action, actor or entry: {len(miscounted)}",
    )
    failed = [op for op in operations if op["outcome"] == "failed"]
    written = sum(1 for op in failed if op["note"] in by_note)
    report.expect(
        not written, f"confirmations shown failed (rolled back): {len(failed)}; in the trail anyway: {written}"
    )
    unanswered = [op for op in operations if op["outcome"] not in ("done", "failed")]
    committed = [by_note[op["note"]][0] for op in unanswered if op["note"] in by_note]
    committed_rows = sum(entry.rows for entry in committed)
    outcomes = Counter(op["outcome"] for op in unanswered)
    report.lines.append(
        f"      confirmations without a result on screen: {len(unanswered)} ({_counts(outcomes)}): committed "
        f"{len(committed)} ({committed_rows} rows), rolled back {len(unanswered) - len(committed)}"
    )
    audit_rows = sum(entry.rows for entry in entries.values())
    report.expect(
        shown + committed_rows == audit_rows,
        f"audit rows {audit_rows} = rows shown changed {shown} + rows of confirmations without a result on screen "
        f"{committed_rows}",
    )


def _matches(entry: Any, op: dict[str, Any]) -> bool:
    expected_entry = op["entry"] if op["changed"] else entry.id  # no undo button (nor entry id) for 0 rows
    return (
        entry.rows == op["changed"]
        and entry.action == f"comment.{op['action']}"
        and entry.actor_email == op["email"]
        and entry.id == expected_entry
    )


def _counts(counts: Counter[str]) -> str:
    return ", ".join(f"{n} {name}" for name, n in sorted(counts.items())) or "none"
