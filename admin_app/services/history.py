"""A member's history, for their page: their comments (how many, disabled, held; the newest), every operation
that touched them or their comments, and the rules that caught them. A fixed number of statements, each through
an index (the author's comments, an audit row's row id, a hit's comment id): never a scan of the big tables,
whatever their size (tests/services/test_history.py reads the plans)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, true, union_all

from admin_app.extensions import db
from admin_app.models import AuditEntry, AuditRow, Comment, Rule, RuleHit

RECENT = 20
OPERATIONS_SHOWN = 20


@dataclass(frozen=True)
class Totals:
    comments: int
    disabled: int
    held: int  # hidden and waiting for review


@dataclass(frozen=True)
class Touch:
    entry: AuditEntry
    rows: int  # how many of the member's rows (their account, their comments) it changed


@dataclass(frozen=True)
class Caught:
    rule: Rule
    comments: int
    last: datetime


@dataclass(frozen=True)
class History:
    totals: Totals
    recent: list[Comment]
    operations: list[Touch]
    rules: list[Caught]


def totals(user_id: int) -> Totals:
    comments, disabled, held = db.session.execute(
        select(
            func.count(),
            func.count().filter(Comment.disabled.is_(true())),
            func.count().filter(Comment.disabled.is_(true()), Comment.reviewed_at.is_(None)),
        ).where(Comment.author_id == user_id)
    ).one()
    return Totals(comments, disabled, held)


def recent_comments(user_id: int) -> list[Comment]:
    return list(
        db.session.scalars(
            select(Comment)
            .where(Comment.author_id == user_id)
            .order_by(Comment.timestamp.desc(), Comment.id.desc())
            .limit(RECENT)
        )
    )


def operations(user_id: int) -> list[Touch]:
    """The newest operations that changed the member's account or any of their comments, with how many of
    their rows each changed."""
    # Two index paths, one per table, added up (an OR of the two would filter every audit row instead).
    account = (
        select(AuditRow.entry_id)
        .join(AuditEntry, AuditEntry.id == AuditRow.entry_id)
        .where(AuditEntry.target == "users", AuditRow.row_id == user_id)
    )
    comments = (
        select(AuditRow.entry_id)
        .join(Comment, Comment.id == AuditRow.row_id)
        .join(AuditEntry, AuditEntry.id == AuditRow.entry_id)
        .where(AuditEntry.target == "comments", Comment.author_id == user_id)
    )
    both = union_all(account, comments).subquery()
    touched = (
        select(both.c.entry_id, func.count().label("rows"))
        .group_by(both.c.entry_id)
        .order_by(both.c.entry_id.desc())
        .limit(OPERATIONS_SHOWN)
        .subquery()
    )
    rows = db.session.execute(
        select(AuditEntry, touched.c.rows)
        .join(touched, touched.c.entry_id == AuditEntry.id)
        .order_by(AuditEntry.id.desc())
    )
    return [Touch(entry, count) for entry, count in rows]


def rules_that_caught(user_id: int) -> list[Caught]:
    rows = db.session.execute(
        select(Rule, func.count(), func.max(RuleHit.hit_at))
        .join(RuleHit, RuleHit.rule_id == Rule.id)
        .join(Comment, Comment.id == RuleHit.comment_id)
        .where(Comment.author_id == user_id)
        .group_by(Rule)
        .order_by(func.max(RuleHit.hit_at).desc())
    )
    return [Caught(rule, count, last) for rule, count, last in rows]


def of_member(user_id: int) -> History:
    return History(totals(user_id), recent_comments(user_id), operations(user_id), rules_that_caught(user_id))
