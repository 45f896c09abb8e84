"""Timing one moderation three ways (the service, a plain UPDATE, a per-object ORM loop) in interleaved runs."""

from __future__ import annotations

import gc
import re
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from admin_app.database import utcnow
from admin_app.extensions import db
from admin_app.models import Comment
from admin_app.services.audit import Actor
from admin_app.services.moderation import moderate
from admin_app.services.operations import OPERATIONS
from bench import moderation_data as data
from bench.measure import SqlMeter


class StatementLog(SqlMeter):
    """The list page bench's meter, plus each statement's kind, time and parameter sets (an executemany is one)."""

    def __init__(self, engine: sa.Engine) -> None:
        self.entries: list[list[Any]] = []
        super().__init__(engine)

    def reset(self) -> None:
        super().reset()
        self.entries = []

    def _before(self, _conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, many: bool) -> None:
        super()._before()
        self.entries.append([kind(statement), len(parameters) if many else 1, 0.0])

    def _after(self, *_args: Any) -> None:
        super()._after()
        self.entries[-1][2] = time.perf_counter() - self._started


def kind(statement: str) -> str:
    """The verb and the table a statement writes or reads: 'INSERT audit_rows', 'UPDATE comments'."""
    verb = statement.split(None, 1)[0].upper()
    pattern = r"\bFROM\s+(\w+)" if verb == "SELECT" else r"^\s*\w+\s+(?:INTO\s+)?(\w+)"
    found = re.search(pattern, statement, re.I)
    return f"{verb} {found.group(1) if found else '?'}"


@dataclass
class Run:
    seconds: float
    statements: int
    parameter_sets: int
    by_kind: dict[str, float]  # seconds per kind of statement


@dataclass
class Result:
    runs: list[Run] = field(default_factory=list)

    def median_ms(self, by_kind: str | None = None) -> float:
        values = [run.seconds if by_kind is None else run.by_kind.get(by_kind, 0.0) for run in self.runs]
        return statistics.median(values) * 1000

    @property
    def statements(self) -> int:
        return self.runs[-1].statements

    @property
    def parameter_sets(self) -> int:
        return self.runs[-1].parameter_sets


def service(scenario: data.Scenario, actor: Actor) -> int:
    outcome = moderate(OPERATIONS["comment.disable"], scenario.selection, actor, data.REASON)
    db.session.commit()
    return outcome.changed


def plain(scenario: data.Scenario, actor: Actor) -> int:
    """The same columns as the service sets, on the same rows, in one statement, with no audit trail."""
    now = utcnow()
    changed = db.session.execute(
        sa.text(
            "UPDATE comments SET disabled = true, moderated_by_id = :actor, moderated_at = :now, "
            "moderation_reason = :reason, moderation_note = :note, reviewed_at = :now "
            f"WHERE {scenario.where} AND disabled IS NOT true"
        ),
        {"actor": actor.user_id, "now": now, "reason": data.REASON, "note": None, **scenario.params},
    ).rowcount
    db.session.commit()
    return changed


def orm_loop(scenario: data.Scenario, actor: Actor) -> int:
    """What a per-row action does: load every comment, set its fields, let the unit of work flush (no audit trail)."""
    in_scope = Comment.id.in_(scenario.ids) if scenario.ids is not None else Comment.timestamp >= scenario.cutoff
    comments = db.session.scalars(sa.select(Comment).where(in_scope, Comment.disabled.is_not(True))).all()
    now = utcnow()
    for comment in comments:
        comment.disabled = True
        comment.moderated_by_id = actor.user_id
        comment.moderated_at = now
        comment.moderation_reason = data.REASON
        comment.moderation_note = None
        comment.reviewed_at = now
    db.session.commit()
    return len(comments)


METHODS: dict[str, Callable[[data.Scenario, Actor], int]] = {"service": service, "plain": plain, "orm": orm_loop}


def time_one(
    scenario: data.Scenario, method: str, actor: Actor, log: StatementLog, maintenance: data.Maintenance, disabled: int
) -> Run:
    """One checked run from the common starting state, then the reset back to it (outside the timed region)."""
    data.vacuum_if_needed(maintenance, scenario.rows)
    db.session.remove()
    gc.collect()
    log.reset()
    start = time.perf_counter()
    changed = METHODS[method](scenario, actor)
    seconds = time.perf_counter() - start
    entries = list(log.entries)  # the checks and the reset below are not the method's statements
    db.session.remove()  # the ORM loop's objects go; the checks start a new session
    data.check(scenario, method, changed, actor.user_id or 0, disabled)
    data.reset(maintenance, scenario, disabled)
    by_kind: dict[str, float] = {}
    for name, _sets, elapsed in entries:
        by_kind[name] = by_kind.get(name, 0.0) + elapsed
    return Run(seconds, len(entries), sum(sets for _name, sets, _elapsed in entries), by_kind)


def time_all(
    scenarios: list[data.Scenario], actor: Actor, runs: Callable[[data.Scenario, str], int],
    maintenance: data.Maintenance, disabled: int, progress: Callable[[str], None],
) -> dict[str, dict[str, Result]]:  # fmt: skip
    """Every scenario and method ``runs(scenario, method)`` times, in rounds, the methods in turns in each round.

    The order of the methods rotates from round to round, so that no method always runs first.
    """
    log = StatementLog(db.engine)
    results = {scenario.key: {method: Result() for method in METHODS} for scenario in scenarios}
    warm = data.Scenario("warmup", "warm-up", 0, 0, ids=[])
    for method in METHODS:  # imports, statement caches and the first connection, before anything is timed
        METHODS[method](warm, actor)
    data.reset(maintenance, warm, disabled)
    rounds = max(runs(scenario, method) for scenario in scenarios for method in METHODS)
    for round_number in range(rounds):
        turn = round_number % len(METHODS)
        order = list(METHODS)[turn:] + list(METHODS)[:turn]
        for scenario in scenarios:
            for method in order:
                if round_number >= runs(scenario, method):
                    continue
                run = time_one(scenario, method, actor, log, maintenance, disabled)
                results[scenario.key][method].runs.append(run)
                milliseconds = run.seconds * 1000
                progress(f"round {round_number + 1}/{rounds} {scenario.name:>18} {method:>8}: {milliseconds:9.1f} ms")
    return results
