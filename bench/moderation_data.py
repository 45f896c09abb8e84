"""The moderation bench's rows: which comments each scenario disables, checks of the result, and the reset."""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask

from admin_app.database import include_object
from admin_app.extensions import db
from admin_app.models import Comment, User
from bench.dataset import MODERATOR_EMAIL, Size

STATE = ("disabled", "moderated_by_id", "moderated_at", "moderation_reason", "moderation_note", "reviewed_at")
BENCH_TABLES = ("bench_targets", "bench_snapshot")
REASON = "spam"


@dataclass(frozen=True)
class Scenario:
    """Comments to disable: a list of ticked ids, or every comment posted at or after ``cutoff`` (a list filter)."""

    key: str
    name: str
    rows: int  # the enabled comments among the selection: what every method must disable
    selected: int  # what the list selects, comments already disabled included
    ids: list[int] | None = None
    cutoff: datetime | None = None

    @property
    def selection(self) -> sa.Select[Any] | list[int]:
        """What the admin passes to the service: the ticked ids, or the filtered list's ``SELECT id``."""
        return self.ids if self.ids is not None else sa.select(Comment.id).where(Comment.timestamp >= self.cutoff)

    @property
    def where(self) -> str:
        """The same rows in plain SQL."""
        return "id = ANY(:ids)" if self.ids is not None else "timestamp >= :cutoff"

    @property
    def params(self) -> dict[str, Any]:
        return {"ids": self.ids} if self.ids is not None else {"cutoff": self.cutoff}

    @property
    def described(self) -> str:
        if self.ids is not None:
            return f"a list of {len(self.ids):,} ids, a random sample of the enabled comments"
        return f"SELECT id FROM comments WHERE timestamp >= '{self.cutoff}' ({self.selected:,} comments)"


@dataclass
class Maintenance:
    """What keeps every timed run starting from the same state, and what it cost (all outside the timed region)."""

    vacuum_at: int  # dead row versions in comments that trigger a VACUUM before the next timed run
    dead: int = 0
    vacuums: list[float] = field(default_factory=list)
    resets: list[float] = field(default_factory=list)


def not_reusable(app: Flask, size: Size) -> str | None:
    """Why the schema ``app`` is bound to cannot serve as this bench's data set, or None when it can."""
    with app.app_context():
        with db.engine.connect() as connection:
            if not sa.inspect(connection).has_table("alembic_version"):
                return "no schema"
            if any(sa.inspect(connection).has_table(name) for name in BENCH_TABLES):
                return "left over from an interrupted run"
            context = MigrationContext.configure(connection, opts={"include_object": include_object})
            head = ScriptDirectory(app.extensions["migrate"].directory).get_current_head()
            if context.get_current_revision() != head:
                return f"at revision {context.get_current_revision()}, not {head}"
            if diff := compare_metadata(context, db.metadata):
                return f"{len(diff)} differences from the models, the first: {str(diff[0])[:200]}"
            counts = connection.execute(
                sa.text(
                    "SELECT (SELECT count(*) FROM comments), (SELECT count(*) FROM posts), "
                    "(SELECT count(*) FROM audit_entries), (SELECT count(*) FROM users WHERE email = :email)"
                ),
                {"email": MODERATOR_EMAIL},
            ).one()
            if tuple(counts) != (size.comments, size.posts, 0, 1):
                return f"holds {counts[0]:,} comments, {counts[1]:,} posts, {counts[2]} audit entries"
        db.engine.dispose()
    return None


def actor_id() -> int:
    return int(db.session.scalar(sa.select(User.id).where(User.email == MODERATOR_EMAIL)))


def prepare(ticked: list[int], matching: list[int], random_seed: int = 1) -> list[Scenario]:
    """Pick each scenario's comments; record them (bench_targets) and their state before (bench_snapshot)."""
    session = db.session
    session.execute(sa.text("CREATE UNLOGGED TABLE bench_targets (scenario text, id int, PRIMARY KEY (scenario, id))"))
    scenarios = []
    enabled = session.scalars(sa.select(Comment.id).where(Comment.disabled.is_(False)).order_by(Comment.id)).all()
    for count in ticked:
        key = f"ticked_{count}"
        ids = random.Random(random_seed).sample(list(enabled), count)  # in the random order a page would tick them
        targets = sa.text("INSERT INTO bench_targets SELECT :key, unnest(CAST(:ids AS integer[]))")
        session.execute(targets, {"key": key, "ids": ids})
        scenarios.append(Scenario(key, f"{count:,} ticked", count, count, ids=ids))
    for count in matching:
        key = f"matching_{count}"
        # "Posted since": the newest comments, so that ``count`` of them are still enabled.
        cutoff = session.scalar(
            sa.select(Comment.timestamp).where(Comment.disabled.is_(False))
            .order_by(Comment.timestamp.desc()).offset(count - 1).limit(1)
        )  # fmt: skip
        targets = sa.text(
            "INSERT INTO bench_targets SELECT :key, id FROM comments WHERE timestamp >= :cutoff AND NOT disabled"
        )
        session.execute(targets, {"key": key, "cutoff": cutoff})
        rows = _count("SELECT count(*) FROM bench_targets WHERE scenario = :key", key=key)
        selected = _count("SELECT count(*) FROM comments WHERE timestamp >= :cutoff", cutoff=cutoff)
        scenarios.append(Scenario(key, f"{count:,} matching", rows, selected, cutoff=cutoff))
    columns = ", ".join(STATE)
    session.execute(
        sa.text(f"CREATE UNLOGGED TABLE bench_snapshot AS SELECT id, {columns} FROM comments "
                "WHERE id IN (SELECT id FROM bench_targets)")
    )  # fmt: skip
    session.execute(sa.text("ALTER TABLE bench_snapshot ADD PRIMARY KEY (id)"))
    session.execute(sa.text("ANALYZE bench_targets, bench_snapshot"))
    if _count("SELECT count(*) FROM audit_entries"):
        raise RuntimeError("the audit trail is not empty: the bench needs a fresh data set")
    session.commit()
    return scenarios


def disabled_total() -> int:
    return _count("SELECT count(*) FROM comments WHERE disabled")


def check(scenario: Scenario, method: str, changed: int, actor: int, disabled_before: int) -> None:
    """Refuse a run that did not do the whole job, so that it cannot look fast."""
    done = _count(
        "SELECT count(*) FROM bench_targets AS t JOIN comments AS c ON c.id = t.id WHERE t.scenario = :key "
        "AND c.disabled AND c.moderated_by_id = :actor AND c.moderation_reason = :reason AND c.reviewed_at IS NOT NULL",
        key=scenario.key, actor=actor, reason=REASON,
    )  # fmt: skip
    total = disabled_total()
    problems = []
    if changed != scenario.rows:
        problems.append(f"reported {changed:,} changed")
    if done != scenario.rows:
        problems.append(f"{done:,} target comments disabled by the bench moderator")
    if total != disabled_before + scenario.rows:
        problems.append(f"{total - disabled_before:,} more comments disabled in all")
    entries = _count("SELECT count(*) FROM audit_entries")
    if method == "service":
        recorded = _count(
            "SELECT count(*) FROM audit_rows AS a JOIN bench_targets AS t ON t.id = a.row_id AND t.scenario = :key "
            "WHERE NOT a.flag_before",
            key=scenario.key,
        )
        if entries != 1 or recorded != scenario.rows or _count("SELECT count(*) FROM audit_rows") != scenario.rows:
            problems.append(f"{entries} audit entries recording {recorded:,} of the target comments")
    elif entries:
        problems.append(f"{entries} audit entries")
    if problems:
        raise AssertionError(f"{scenario.name}, {method}: expected {scenario.rows:,} comments: " + "; ".join(problems))


def reset(maintenance: Maintenance, scenario: Scenario, disabled_before: int) -> None:
    """Put the scenario's comments back as they were and empty the audit trail, so the next run starts alike."""
    start = time.perf_counter()
    restored = _restore(scenario.key)
    disabled = disabled_total()
    if restored != scenario.rows or disabled != disabled_before:
        raise AssertionError(
            f"{scenario.name}: the reset restored {restored:,} comments (expected {scenario.rows:,}); "
            f"{disabled:,} disabled in all (expected {disabled_before:,})"
        )
    # GIN defers index entries to a pending list that whichever statement overflows it merges: start empty.
    db.session.execute(sa.text("SELECT gin_clean_pending_list('ix_comment_search_body_trgm')"))
    db.session.commit()
    maintenance.resets.append(time.perf_counter() - start)
    maintenance.dead += 2 * scenario.rows  # the run's row versions and the reset's


def restore_and_drop(disabled_before: int) -> None:
    """Leave the data set as it was built; when it cannot, the bench tables stay, so that ``--reuse`` refuses it."""
    db.session.rollback()
    _restore(None)
    if disabled_total() != disabled_before:
        raise RuntimeError(f"comments outside the bench's targets changed: schema left with {BENCH_TABLES}")
    db.session.execute(sa.text(f"DROP TABLE {', '.join(BENCH_TABLES)}"))
    db.session.commit()


def _restore(key: str | None) -> int:
    """Set the target comments (of scenario ``key``, or all) back from bench_snapshot; empty the audit trail.

    The trail is append-only (a trigger refuses UPDATE, DELETE and TRUNCATE); the bench empties it in a
    transaction of its own with ``SET LOCAL session_replication_role = replica``, which skips ordinary triggers
    for that transaction only. Rebuilding the million comments instead would take minutes per run.
    """
    now, before = (", ".join(f"{table}.{column}" for column in STATE) for table in ("c", "s"))
    of_scenario = "" if key is None else "AND s.id IN (SELECT id FROM bench_targets WHERE scenario = :key) "
    restored = db.session.execute(
        sa.text(
            f"UPDATE comments AS c SET {', '.join(f'{column} = s.{column}' for column in STATE)} "
            f"FROM bench_snapshot AS s WHERE c.id = s.id {of_scenario}AND ({now}) IS DISTINCT FROM ({before})"
        ),
        {"key": key},
    ).rowcount
    db.session.commit()
    db.session.execute(sa.text("SET LOCAL session_replication_role = replica"))
    db.session.execute(sa.text("TRUNCATE audit_rows, audit_entries"))
    db.session.commit()
    return int(restored)


def vacuum_if_needed(maintenance: Maintenance, rows: int) -> None:
    """VACUUM comments (autovacuum is off here) before a run that changes ``vacuum_at`` rows or more, and before
    any other once earlier runs left ``vacuum_at`` dead row versions."""
    if maintenance.dead and (maintenance.dead >= maintenance.vacuum_at or rows >= maintenance.vacuum_at):
        vacuum(maintenance)


def vacuum(maintenance: Maintenance) -> None:
    db.session.remove()  # no open snapshot may keep the dead rows alive
    start = time.perf_counter()
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql("VACUUM comments")  # no ANALYZE: the planner keeps the statistics of the build
    maintenance.vacuums.append(time.perf_counter() - start)
    maintenance.dead = 0


def _count(sql: str, **params: Any) -> int:
    return int(db.session.scalar(sa.text(sql), params) or 0)
