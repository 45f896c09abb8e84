"""Moderation operations: set-based, audited, undoable; a fixed number of statements whatever the row count.

Each operation runs in the caller's transaction (the caller commits or rolls back) as:
1. one INSERT of the audit entry;
2. the rows that will change, recorded with their state before, and changed: on PostgreSQL one statement
   (_record_and_change: read the state, UPDATE the rows still in it, record exactly those); elsewhere, and for
   deletes, INSERT INTO audit_rows ... SELECT (FOR UPDATE on PostgreSQL), then one UPDATE (or DELETE) of exactly
   the rows recorded. A list of ids goes in chunks of CHUNK, a selection (select-all-matching) in one step, or
   read once and then in chunks when a job watches progress;
3. one COUNT of the recorded rows, the number reported.
Per-row ORM hooks and events do not run: like Django's ``delete_queryset``, this trades them for one statement.
Deleting is audited (which rows, their moderation state before) but cannot be undone.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING, Any

from sqlalchemy import DateTime, Select, and_, delete, func, insert, literal, null, select, true, update
from sqlalchemy.orm import QueryableAttribute

from admin_app.database import utcnow
from admin_app.extensions import db
from admin_app.models import AuditEntry, AuditRow, Comment, Post
from admin_app.services.audit import Actor, record
from admin_app.services.change import Order, Outcome, Tally, no_progress

if TYPE_CHECKING:
    from admin_app.services.operations import Operation

CHUNK = 5_000


class UndoRefused(Exception):
    """Why an operation cannot be undone: "not-undoable", "already-undone", "too-old" or "not-yours"."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def rows_of(operation: Operation, selected: Select[Any] | Sequence[int]) -> Select[Any] | Sequence[int]:
    """The ids ``operation`` works on, from the rows selected in its list: the same rows, or those its
    ``targets`` derives (the comments of the selected users, the comments a selected rule matches)."""
    return operation.targets(selected) if operation.targets is not None else selected


def comments_of(users: Select[Any] | Sequence[int]) -> Select[Any]:
    """The ids of the comments the users ``users`` wrote (user.disable_comments)."""
    return select(Comment.id).where(Comment.author_id.in_(users))


def tally(operation: Operation, selected: Select[Any] | Sequence[int]) -> Tally:
    """How many rows ``moderate`` would work on now, and how many of them it would change (what the confirmation
    page shows): one statement that runs the selection's own query (its search once) and counts its rows by flag.
    (A moderation selection never repeats a row: its lists join only many-to-one relations.)"""
    model = operation.changes
    ids = rows_of(operation, selected)
    counts = func.count(), func.count().filter(flag_of(model).is_(true()))
    chosen_n = flagged_n = 0
    for part, _within in _steps(model, ids, watched=False):
        if isinstance(part, Select):
            statement = part.with_only_columns(*counts, maintain_column_froms=True).order_by(None)
        else:
            statement = select(*counts).where(model.id.in_(part))
        chosen, flagged = db.session.execute(statement).one()
        chosen_n, flagged_n = chosen_n + chosen, flagged_n + flagged
    if operation.value is None:
        return Tally(chosen_n, chosen_n)
    return Tally(chosen_n, chosen_n - flagged_n if operation.value else flagged_n)


def apply(operation: Operation, selected: Select[Any] | Sequence[int], order: Order) -> Outcome:
    """The registry's entry point (admin_app/services/operations.py)."""
    return moderate(
        operation,
        rows_of(operation, selected),
        order.actor,
        order.reason or "other",
        order.note,
        details=order.details,
        now=order.now,
        progress=order.progress,
    )


def moderate(
    operation: Operation,
    ids: Select[Any] | Sequence[int],
    actor: Actor,
    reason: str,
    note: str | None = None,
    *,
    details: dict[str, Any] | None = None,
    now: datetime | None = None,
    progress: Callable[[int], None] = no_progress,
) -> Outcome:
    """Apply ``operation`` to the rows among ``ids`` it would change; audit them; return how many changed.

    All in the caller's transaction. Watched (``progress`` given), a selection's ids are read once and go in
    chunks, each recorded and changed before the next, and ``progress`` hears after each: still one transaction,
    so a run stopped half-way leaves nothing changed."""
    now = now or utcnow()
    entry = record(operation.name, operation.table, actor, reason=reason, note=note, details=details, now=now)
    model = operation.changes
    recorded = select(AuditRow.row_id).where(AuditRow.entry_id == entry.id)
    new_state = _new_state(operation, actor, reason, note, now)
    in_one_statement = operation.value is not None and db.session.get_bind().dialect.name == "postgresql"
    for part, within in _steps(model, ids, watched=progress is not no_progress):
        if in_one_statement:
            progress(_record_and_change(operation, entry.id, part, new_state))
            continue
        source = select(literal(entry.id), model.id, *state_columns(model)).where(_would_change(operation, part))
        if db.session.get_bind().dialect.name == "postgresql":
            source = source.with_for_update(of=model)
        db.session.execute(insert(AuditRow).from_select(["entry_id", "row_id", *AUDIT_STATE], source))
        mine = model.id.in_(recorded.where(within(AuditRow.row_id)))
        if operation.value is None:
            step = db.session.execute(delete(model).where(mine))
        else:
            step = db.session.execute(
                update(model).where(mine).values(new_state), execution_options={"synchronize_session": False}
            )
        progress(step.rowcount)  # type: ignore[attr-defined]  # (an INSERT ... SELECT's rowcount is not kept)
    return Outcome(entry.id, row_count(entry.id))


def _record_and_change(operation: Operation, entry_id: int, ids: Select[Any] | Sequence[int], state: Any) -> int:
    """PostgreSQL: one statement that reads the rows' state, changes exactly the rows still in that state and
    records those (WITH before AS (SELECT ...), changed AS (UPDATE ... RETURNING), audited AS (INSERT INTO
    audit_rows ... RETURNING) SELECT count(*) FROM audited): how many rows it changed.
    No row is locked before it is changed, and none is written twice: a row another transaction changed since
    the statement began fails the state check when the UPDATE re-reads it, and is neither changed nor recorded."""
    model = operation.changes
    columns = state_columns(model)
    before = select(model.id.label("row_id"), *(column.label(f"s{n}") for n, column in enumerate(columns)))
    before_cte = before.where(_would_change(operation, ids)).cte("before")
    recorded = list(before_cte.c)[1:]
    unchanged = [
        column.is_not_distinct_from(kept)
        for column, kept in zip(columns, recorded, strict=True)
        if getattr(column, "table", None) is not None
    ]  # (a column of the table: not the NULL that stands for a post's review date)
    changed = (
        update(model)
        .where(model.id == before_cte.c.row_id, *unchanged)
        .values(state)
        .returning(model.id.label("changed_id"))
        .cte("changed")
    )
    rows = select(literal(entry_id), before_cte.c.row_id, *recorded).join(
        changed, changed.c.changed_id == before_cte.c.row_id
    )
    audited = insert(AuditRow).from_select(["entry_id", "row_id", *AUDIT_STATE], rows).returning(AuditRow.row_id)
    # Counted by the statement itself: psycopg reports no row count for a statement that begins WITH.
    return db.session.scalar(select(func.count()).select_from(audited.cte("audited"))) or 0


def undo(
    entry_id: int,
    actor: Actor,
    *,
    window: timedelta,
    may_undo_others: bool,
    table: str | None = None,
    progress: Callable[[int], None] = no_progress,
) -> Outcome:
    """Restore the rows still in the state ``entry_id`` left them; report how many were changed since.

    ``table``, when given, is the only table the caller may undo operations on."""
    original, operation, entry = begin_undo(entry_id, actor, window, may_undo_others, table)
    model = operation.changes
    before = AuditRow.__table__.alias("before")
    still_as_left = and_(
        model.id == before.c.row_id,
        before.c.entry_id == original.id,
        operation.flag().is_(operation.value),
        model.moderated_by_id.is_(None) if original.actor_id is None else model.moderated_by_id == original.actor_id,
        model.moderated_at == original.created_at,
    )
    recorded = select(before.c.row_id).where(before.c.entry_id == original.id)
    mine = select(AuditRow.row_id).where(AuditRow.entry_id == entry.id)
    for _part, within in _steps(model, recorded, watched=progress is not no_progress):
        source = select(literal(entry.id), model.id, *state_columns(model)).where(still_as_left, within(model.id))
        db.session.execute(insert(AuditRow).from_select(["entry_id", "row_id", *AUDIT_STATE], source))
        step = db.session.execute(
            update(model)
            .where(model.id == before.c.row_id, before.c.entry_id == original.id, within(model.id))
            .where(model.id.in_(mine.where(within(AuditRow.row_id))))
            .values(
                {
                    operation.flag().key: before.c.flag_before,
                    "moderated_by_id": before.c.moderated_by_id_before,
                    "moderated_at": before.c.moderated_at_before,
                    "moderation_reason": before.c.reason_before,
                    "moderation_note": before.c.note_before,
                    **({"reviewed_at": before.c.reviewed_at_before} if model is Comment else {}),
                }
            ),
            execution_options={"synchronize_session": False},
        )
        progress(step.rowcount)  # type: ignore[attr-defined]
    restored = row_count(entry.id)
    return Outcome(entry.id, restored, row_count(original.id) - restored)


def row_count(entry_id: int) -> int:
    return db.session.scalar(select(func.count()).where(AuditRow.entry_id == entry_id)) or 0


AUDIT_STATE = (
    "flag_before", "moderated_by_id_before", "moderated_at_before",
    "reason_before", "note_before", "reviewed_at_before",
)  # fmt: skip


def flag_of(model: type[Comment] | type[Post]) -> QueryableAttribute[bool]:
    """The column a moderator flips: Comment.disabled, Post.hidden."""
    flag: QueryableAttribute[bool] = getattr(model, "disabled" if model is Comment else "hidden")
    return flag


def state_columns(model: type[Comment] | type[Post]) -> list[Any]:
    reviewed = Comment.reviewed_at if model is Comment else null().cast(DateTime)
    return [
        flag_of(model),
        model.moderated_by_id,
        model.moderated_at,
        model.moderation_reason,
        model.moderation_note,
        reviewed,
    ]


def _new_state(operation: Operation, actor: Actor, reason: str, note: str | None, now: datetime) -> dict[str, Any]:
    state = {
        operation.flag().key: operation.value,
        "moderated_by_id": actor.user_id,
        "moderated_at": now,
        "moderation_reason": reason,
        "moderation_note": note,
    }
    if operation.changes is Comment:
        # A decision leaves the review queue; a hold puts the comment (hidden meanwhile) back in it.
        state["reviewed_at"] = now if operation.reviewed else None
    return state


def _would_change(operation: Operation, ids: Select[Any] | Sequence[int]) -> Any:
    scope = in_scope(operation.changes, ids)
    return scope if operation.value is None else and_(scope, operation.flag().is_not(operation.value))


def in_scope(model: Any, ids: Select[Any] | Sequence[int]) -> Any:
    if isinstance(ids, Select) and db.session.get_bind().dialect.name == "postgresql":
        # "id IN (SELECT id FROM comments ...)" joins the table to itself, and with some statistics the planner
        # hash-joins a full scan; "id = ANY(ARRAY(...))" runs the selection once and probes the primary key
        # (bench/moderation.py: 441 -> 172 ms for the audit rows of 10,000 matching comments).
        return model.id == func.any(func.array(ids.scalar_subquery()))
    return model.id.in_(ids)


Within = Callable[[Any], Any]


def _among(ids: list[int], column: Any) -> Any:
    return column.in_(ids)


def _steps(model: Any, ids: Select[Any] | Sequence[int], *, watched: bool) -> Iterator[tuple[Any, Within]]:
    """The parts of ``ids`` to work through, each with the condition that keeps a statement to that part.

    A list of ids goes in chunks of CHUNK. A selection goes whole when nobody watches; watched (a job's progress
    bar), its ids are read once, in one run of its query however costly its search, and then go in chunks like a
    list (re-running the selection for each range of the table would run its search once per range)."""
    if isinstance(ids, Select) and not watched:
        yield ids, lambda _column: true()
        return
    listed = sorted(db.session.scalars(ids)) if isinstance(ids, Select) else list(ids)
    for start in range(0, max(len(listed), 1), CHUNK):
        chunk = listed[start : start + CHUNK]
        yield chunk, partial(_among, chunk)


def begin_undo(
    entry_id: int, actor: Actor, window: timedelta, may_undo_others: bool, table: str | None
) -> tuple[AuditEntry, Operation, AuditEntry]:
    """The entry ``entry_id`` and its operation, checked as ones ``actor`` may undo now (``table``, when given: the
    only table they may undo operations on), and the undo's own audit entry. Raises UndoRefused."""
    from admin_app.services.operations import OPERATIONS

    original = db.session.get(AuditEntry, entry_id)
    operation = OPERATIONS.get(original.action) if original else None
    if operation is not None and table is not None and operation.table != table:
        operation = None
    check_undo(original, operation, actor, window, may_undo_others)
    assert original is not None and operation is not None
    entry = record(
        "undo", original.target, actor, reason=original.reason, details={"undoes": original.id}, undo_of=original
    )
    return original, operation, entry


def check_undo(
    original: AuditEntry | None, operation: Operation | None, actor: Actor, window: timedelta, may_undo_others: bool
) -> None:
    if original is None or operation is None or not operation.undoable:
        raise UndoRefused("not-undoable")
    if original.undone_by is not None:
        raise UndoRefused("already-undone")
    if original.created_at < utcnow() - window:
        raise UndoRefused("too-old")
    if original.actor_id != actor.user_id and not may_undo_others:
        raise UndoRefused("not-yours")
