"""The review queue: claims on unreviewed comments, and the two decisions on them (approve, disable).

A comment waits for review while ``reviewed_at`` is NULL. A moderator's batch is the comments they claimed
(``claimed_by_id``, ``claimed_until``); a claim lapses at ``claimed_until``, after which anyone may claim the
comment, but until then it stays with its holder: only the holder's decisions apply to it. Every function runs a
fixed number of statements in the caller's transaction (the caller commits).

On PostgreSQL, claiming picks rows ``FOR UPDATE SKIP LOCKED``: two moderators claiming at the same moment get
disjoint batches without waiting on each other. SQLite has a single writer, which serialises claims anyway.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, func, insert, literal, or_, select, update

from admin_app.database import utcnow
from admin_app.extensions import db
from admin_app.models import AuditRow, Comment
from admin_app.services.audit import Actor, record
from admin_app.services.moderation import AUDIT_STATE, moderate, state_columns
from admin_app.services.operations import OPERATIONS

APPROVE = "comment.approve"  # an audit action of its own; not an Operation, so it cannot be undone
SOURCE = {"source": "queue"}


def unreviewed() -> ColumnElement[bool]:
    return Comment.reviewed_at.is_(None)


def held_by(moderator_id: int) -> ColumnElement[bool]:
    """Comments this moderator holds: claimed by them and not yet taken over by anyone else."""
    return and_(unreviewed(), Comment.claimed_by_id == moderator_id)


def claimable(now: datetime) -> ColumnElement[bool]:
    """Unreviewed comments nobody holds an unexpired claim on."""
    return and_(
        unreviewed(),
        or_(Comment.claimed_by_id.is_(None), Comment.claimed_until.is_(None), Comment.claimed_until <= now),
    )


def claim_batch(moderator_id: int, size: int, ttl: timedelta) -> list[int]:
    """The moderator's batch, oldest first: their unexpired claims, topped up with the oldest claimable comments.

    Every comment in the batch is (re)claimed until now + ttl. Two statements at most, whatever ``size``.
    """
    now = utcnow()
    until = now + ttl
    mine = (
        select(Comment.id)
        .where(held_by(moderator_id), Comment.claimed_until > now)
        .order_by(Comment.timestamp, Comment.id)
        .limit(size)
    )
    renewed = _claim(mine, moderator_id, until)
    fresh = _claim_oldest(moderator_id, size - len(renewed), now, until) if len(renewed) < size else []
    return _oldest_first(renewed + fresh)


def skip_batch(moderator_id: int, size: int, ttl: timedelta) -> int:
    """Claim a batch of other comments, then release the ones held until now for someone else to review;
    return how many were released. Two statements."""
    now = utcnow()
    fresh = _claim_oldest(moderator_id, size, now, now + ttl)
    return release(moderator_id, keep=[comment_id for comment_id, _ in fresh])


def release(moderator_id: int, keep: Iterable[int] = ()) -> int:
    """Drop the moderator's claims (but those on ``keep``); return how many comments went back to the queue."""
    statement = update(Comment).where(held_by(moderator_id))
    keep = list(keep)
    if keep:
        statement = statement.where(Comment.id.not_in(keep))
    released = db.session.execute(
        statement.values(claimed_by_id=None, claimed_until=None).returning(Comment.id),
        execution_options={"synchronize_session": False},
    )
    return len(released.all())


def held(ids: Iterable[int], moderator_id: int) -> list[int]:
    """Which of ``ids`` the moderator holds, locked until the transaction ends (on PostgreSQL) so nobody
    else can claim them half-way through a decision."""
    statement = select(Comment.id).where(held_by(moderator_id), Comment.id.in_(list(ids))).order_by(Comment.id)
    if _is_postgresql():
        statement = statement.with_for_update(of=Comment)
    return list(db.session.scalars(statement))


def approve(ids: Iterable[int], actor: Actor) -> int:
    """Mark the comments among ``ids`` the actor holds as reviewed and visible (a held one is shown again);
    audited as "comment.approve" with one row per approved comment (its moderation state at the time)."""
    mine = held(ids, _moderator_id(actor))
    if not mine:
        return 0
    now = utcnow()
    entry = record(APPROVE, "comments", actor, details=SOURCE, now=now)
    source = select(literal(entry.id), Comment.id, *state_columns(Comment)).where(Comment.id.in_(mine))
    db.session.execute(insert(AuditRow).from_select(["entry_id", "row_id", *AUDIT_STATE], source))
    _publish_held(mine, actor, now)
    return _mark_reviewed(mine, now)


def _publish_held(ids: list[int], actor: Actor, now: datetime) -> None:
    """A held comment (hidden while it waits: a rule's or a moderator's hold) approved is shown on the site."""
    db.session.execute(
        update(Comment)
        .where(Comment.id.in_(ids), Comment.disabled)
        .values(disabled=False, moderated_by_id=actor.user_id, moderated_at=now, moderation_reason=None,
                moderation_note=None),
        execution_options={"synchronize_session": False},
    )  # fmt: skip


def disable(ids: Iterable[int], actor: Actor, reason: str, note: str | None = None) -> int:
    """Disable the comments among ``ids`` the actor holds, through the audited moderation operation, and mark
    them reviewed (those already disabled too: the decision is the same)."""
    mine = held(ids, _moderator_id(actor))
    if not mine:
        return 0
    moderate(OPERATIONS["comment.disable"], mine, actor, reason, note, details=SOURCE)
    return _mark_reviewed(mine, utcnow())


def _claim(ids: Any, moderator_id: int, until: datetime) -> list[tuple[int, datetime]]:
    result = db.session.execute(
        update(Comment)
        .where(Comment.id.in_(ids))
        .values(claimed_by_id=moderator_id, claimed_until=until)
        .returning(Comment.id, Comment.timestamp),
        execution_options={"synchronize_session": False},
    )
    return [(comment_id, timestamp) for comment_id, timestamp in result]


def _claim_oldest(moderator_id: int, size: int, now: datetime, until: datetime) -> list[tuple[int, datetime]]:
    # The oldest claimable comments, read through the partial index on unreviewed timestamps; rows another
    # transaction is claiming right now are skipped, not waited for.
    oldest = (
        select(Comment.id)
        .where(claimable(now))
        .order_by(Comment.timestamp, Comment.id)
        .limit(size)
        .with_for_update(skip_locked=True)
    )
    return _claim(oldest, moderator_id, until)


def _mark_reviewed(ids: list[int], now: datetime) -> int:
    # The ids were held by the moderator a statement ago; moderate() may already have set reviewed_at.
    result = db.session.execute(
        update(Comment)
        .where(Comment.id.in_(ids))
        .values(reviewed_at=func.coalesce(Comment.reviewed_at, now), claimed_by_id=None, claimed_until=None)
        .returning(Comment.id),
        execution_options={"synchronize_session": False},
    )
    return len(result.all())


def _oldest_first(claimed: list[tuple[int, datetime]]) -> list[int]:
    return [comment_id for comment_id, _ in sorted(claimed, key=lambda row: (row[1], row[0]))]


def _moderator_id(actor: Actor) -> int:
    if actor.user_id is None:
        raise ValueError("only a signed-in moderator holds claims")
    return actor.user_id


def _is_postgresql() -> bool:
    return bool(db.session.get_bind().dialect.name == "postgresql")
