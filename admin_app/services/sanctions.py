"""Suspensions: a member kept out for a chosen time (or until lifted), set-based, guarded, audited and undoable.

Suspending makes the account inactive (``users.active``, which Flask-Security and the public site refuse at
sign-in) and ends every session and remember-me cookie (a new fs_uniquifier), and opens a suspension row saying
who, why and until when. Lifting (by hand, by an undo, or by the periodic work once it expires: ``lift_expired``)
closes it and makes the account active again. A deactivation or reactivation supersedes an open suspension
(admin_app/services/user.py), so an expiry never reactivates an account an administrator deactivated meanwhile.

The guardrails are the accounts' own: nobody suspends themselves, the last active holder of role-assign, or
someone holding a permission they lack (a moderator cannot suspend an administrator).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import Select, and_, exists, func, insert, literal, select, update

from admin_app.database import utcnow
from admin_app.extensions import db
from admin_app.models import AuditRow, Suspension, User
from admin_app.services import user as accounts
from admin_app.services.audit import Actor, record
from admin_app.services.change import Order, Outcome, Tally, no_progress

if TYPE_CHECKING:
    from admin_app.services.operations import Operation

# The choices of a suspension's confirmation: code -> how long (None: until lifted).
DURATIONS: dict[str, timedelta | None] = {
    "1d": timedelta(days=1),
    "7d": timedelta(days=7),
    "30d": timedelta(days=30),
    "lifted": None,
}
EXPIRED = "user.suspension_expired"  # the audit action of the periodic work's lifting
SYSTEM = Actor(None, None, None)

Users = Select[Any] | Sequence[int]


def is_open() -> Any:
    return Suspension.lifted_at.is_(None)


def has_open_suspension(user_id: Any) -> Any:
    return exists().where(Suspension.user_id == user_id, is_open())


def open_suspension(user_id: int) -> Suspension | None:
    """The user's open suspension, if any (what the sign-in page and the member's page say)."""
    found: Suspension | None = db.session.scalars(
        select(Suspension).where(Suspension.user_id == user_id, is_open()).order_by(Suspension.id.desc())
    ).first()
    return found


def count_suspending(operation: Operation, users: Users) -> Tally:
    """The selected users, and those of them a suspension would change: the active ones."""
    selected, changing = db.session.execute(
        select(func.count(), func.count().filter(User.active)).where(User.id.in_(users))
    ).one()
    return Tally(selected, changing)


def count_lifting(operation: Operation, users: Users) -> Tally:
    """The selected users, and those of them with an open suspension."""
    selected, changing = db.session.execute(
        select(func.count(), func.count().filter(has_open_suspension(User.id))).where(User.id.in_(users))
    ).one()
    return Tally(selected, changing)


def check_may_keep_out(actor_user: User, users: Users, self_code: str) -> None:
    """The guardrails of suspending and deactivating: not oneself (``self_code``), not the last role-assigner,
    nobody holding a permission the actor lacks."""
    if db.session.scalar(select(exists().where(User.id == actor_user.id, User.id.in_(users)))):
        raise accounts.Refused(self_code)
    accounts.check_role_assigners_remain(actor_user, users)
    accounts.check_not_outranked(actor_user, users)


def suspend(operation: Operation, users: Users, order: Order) -> Outcome:
    """Suspend the selected active users for ``order.choices["duration"]``, or refuse and change nothing."""
    duration = _duration(order)
    check_may_keep_out(accounts.actor_user(order), users, "self-suspend")
    return _suspend(operation, users, order, duration, {})


def suspend_and_disable(operation: Operation, users: Users, order: Order) -> Outcome:
    """One operation: disable every comment of the selected users (the moderation operation, its own audit entry)
    and suspend them; the suspension's entry names the comments' entry, and undoing it undoes both."""
    from admin_app.services.moderation import comments_of, moderate
    from admin_app.services.operations import OPERATIONS

    duration = _duration(order)
    check_may_keep_out(accounts.actor_user(order), users, "self-suspend")
    comments = moderate(
        OPERATIONS["comment.disable"], comments_of(users), order.actor, order.reason or "other", order.note,
        details={"with": operation.name}, progress=order.progress,
    )  # fmt: skip
    return _suspend(operation, users, order, duration, {"comments_entry": comments.entry_id})


def _duration(order: Order) -> timedelta | None:
    code = order.choices.get("duration", "")
    if code not in DURATIONS:
        raise accounts.Refused("unknown-duration")
    return DURATIONS[code]


def _suspend(
    operation: Operation, users: Users, order: Order, duration: timedelta | None, details: dict[str, Any]
) -> Outcome:
    code = order.choices["duration"]
    entry = accounts.record_changing(
        operation, order, and_(User.id.in_(users), User.active), {"duration": code, **details}
    )
    if entry is None:
        return Outcome(None, 0)
    ends = entry.created_at + duration if duration is not None else None
    rows = select(
        AuditRow.row_id, literal(entry.created_at), literal(ends, type_=Suspension.ends_at.type), literal(order.reason),
        literal(order.note), literal(order.actor.user_id), literal(entry.id),
    ).where(AuditRow.entry_id == entry.id)  # fmt: skip
    columns = ["user_id", "created_at", "ends_at", "reason", "note", "created_by_id", "entry_id"]
    db.session.execute(insert(Suspension).from_select(columns, rows))
    recorded = select(AuditRow.row_id).where(AuditRow.entry_id == entry.id)
    db.session.execute(
        update(User).where(User.id.in_(recorded)).values(active=False, **accounts.END_SESSIONS),
        execution_options={"synchronize_session": False},
    )
    return accounts.done(entry, order)


def lift(operation: Operation, users: Users, order: Order) -> Outcome:
    """Lift the open suspensions of the selected users: active again."""
    entry = accounts.record_changing(operation, order, and_(User.id.in_(users), has_open_suspension(User.id)), {})
    if entry is None:
        return Outcome(None, 0)
    _close(select(AuditRow.row_id).where(AuditRow.entry_id == entry.id), entry.created_at, order.actor.user_id)
    return accounts.done(entry, order)


def _close(user_ids: Any, now: datetime, by: int | None, *, reactivate: bool = True) -> None:
    db.session.execute(
        update(Suspension).where(Suspension.user_id.in_(user_ids), is_open()).values(lifted_at=now, lifted_by_id=by),
        execution_options={"synchronize_session": False},
    )
    if reactivate:
        db.session.execute(
            update(User).where(User.id.in_(user_ids)).values(active=True),
            execution_options={"synchronize_session": False},
        )


def supersede(user_ids: Any, now: datetime, by: int | None) -> None:
    """A deactivation or reactivation decides the account's state from now on: its open suspension closes."""
    _close(user_ids, now, by, reactivate=False)


def undo(
    entry_id: int,
    actor: Actor,
    *,
    window: timedelta,
    may_undo_others: bool,
    table: str | None = None,
    progress: Callable[[int], None] = no_progress,
) -> Outcome:
    """Lift the suspensions ``entry_id`` opened that are still open (the others were lifted or superseded since:
    skipped), and undo the comments it disabled with them."""
    from admin_app.services import moderation

    original, _operation, entry = moderation.begin_undo(entry_id, actor, window, may_undo_others, table)
    still_open = select(Suspension.user_id).where(Suspension.entry_id == original.id, is_open())
    before = select(literal(entry.id), User.id, User.active, accounts.role_names(User.id)).where(
        User.id.in_(still_open)
    )
    db.session.execute(insert(AuditRow).from_select(["entry_id", "row_id", "flag_before", "roles_before"], before))
    restored = select(AuditRow.row_id).where(AuditRow.entry_id == entry.id)
    _close(restored, entry.created_at, actor.user_id)
    changed = moderation.row_count(entry.id)
    progress(changed)
    details = original.details if isinstance(original.details, dict) else {}
    if isinstance(details.get("comments_entry"), int):
        moderation.undo(
            details["comments_entry"], actor, window=window, may_undo_others=may_undo_others, table="comments"
        )
    return Outcome(entry.id, changed, moderation.row_count(original.id) - changed)


def lift_expired(now: datetime | None = None) -> int:
    """Close every open suspension whose end has passed and make those accounts active again, in one audited
    entry of its own (no actor). In the caller's transaction; returns how many accounts came back."""
    now = now or utcnow()
    expired = select(Suspension.user_id).where(is_open(), Suspension.ends_at <= now)
    if not db.session.scalar(select(exists(expired))):
        return 0
    entry = record(EXPIRED, "users", SYSTEM, details={"source": "expiry"}, now=now)
    before = select(literal(entry.id), User.id, User.active, accounts.role_names(User.id)).where(User.id.in_(expired))
    db.session.execute(insert(AuditRow).from_select(["entry_id", "row_id", "flag_before", "roles_before"], before))
    db.session.execute(
        update(Suspension).where(is_open(), Suspension.ends_at <= now).values(lifted_at=now),
        execution_options={"synchronize_session": False},
    )
    recorded = select(AuditRow.row_id).where(AuditRow.entry_id == entry.id)
    db.session.execute(
        update(User).where(User.id.in_(recorded), ~has_open_suspension(User.id)).values(active=True),
        execution_options={"synchronize_session": False},
    )
    return moderation_rows(entry.id)


def moderation_rows(entry_id: int) -> int:
    return db.session.scalar(select(func.count()).where(AuditRow.entry_id == entry_id)) or 0
