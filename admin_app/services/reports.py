"""The numbers of the reports and the dashboard: one GROUP BY each over a date range, gaps filled in Python.

Days and weeks are UTC calendar days (timestamps are stored as naive UTC); a week starts on Monday.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Date, String, cast, func, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import aliased
from sqlalchemy.sql import ColumnElement
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from admin_app.extensions import db
from admin_app.models import AuditEntry, AuditRow, Comment, CommentDay, User
from admin_app.services.operations import OPERATIONS
from admin_app.services.queue import APPROVE

MODERATION_ACTIONS = (*OPERATIONS, APPROVE)
LONGEST_PERIOD = timedelta(days=731)
KEPT_FOR = timedelta(hours=1)  # a finished day's count is reused this long (deletions may change it)
# A line of the moderation activity: day, moderator, reason, operations, rows changed, rows undone since, net rows.
Activity = tuple[date, str, str, int, int, int, int]


class day_of(FunctionElement[date]):  # noqa: N801 (an SQL function)
    type = Date()
    inherit_cache = True


class week_of(FunctionElement[date]):  # noqa: N801 (an SQL function)
    """The Monday starting a timestamp's week."""

    type = Date()
    inherit_cache = True


@compiles(day_of, "postgresql")
def _day_postgresql(element: day_of, compiler: SQLCompiler, **kw: Any) -> str:
    return f"CAST({compiler.process(element.clauses, **kw)} AS DATE)"


@compiles(day_of)
def _day_sqlite(element: day_of, compiler: SQLCompiler, **kw: Any) -> str:
    return f"date({compiler.process(element.clauses, **kw)})"


@compiles(week_of, "postgresql")
def _week_postgresql(element: week_of, compiler: SQLCompiler, **kw: Any) -> str:
    return f"CAST(date_trunc('week', {compiler.process(element.clauses, **kw)}) AS DATE)"


@compiles(week_of)
def _week_sqlite(element: week_of, compiler: SQLCompiler, **kw: Any) -> str:
    return f"date({compiler.process(element.clauses, **kw)}, 'weekday 0', '-6 days')"


@dataclass(frozen=True)
class Period:
    """From ``first`` to ``last``, both days included."""

    first: date
    last: date

    @classmethod
    def ending(cls, last: date, days: int) -> Period:
        return cls(last - timedelta(days=days - 1), last)

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first, time())

    @property
    def end(self) -> datetime:
        return datetime.combine(self.last + timedelta(days=1), time())

    def days(self) -> list[date]:
        return [self.first + timedelta(days=n) for n in range((self.last - self.first).days + 1)]

    def weeks(self) -> list[date]:
        monday = self.first - timedelta(days=self.first.weekday())
        return [monday + timedelta(weeks=n) for n in range((self.last - monday).days // 7 + 1)]

    def within(self, column: Any) -> ColumnElement[bool]:
        return (column >= self.start) & (column < self.end)


def as_date(value: date | str) -> date:
    """SQLite gives days back as text."""
    return value if isinstance(value, date) else date.fromisoformat(value)


def comment_volume(period: Period) -> list[tuple[date, int, int, int]]:
    """Per day: comments posted, those of them disabled, those still waiting for review."""
    day = day_of(Comment.timestamp)
    rows = db.session.execute(
        select(
            day,
            func.count(),
            func.count().filter(Comment.disabled),
            func.count().filter(Comment.reviewed_at.is_(None)),
        )
        .where(period.within(Comment.timestamp))
        .group_by(day)
    ).all()
    found = {as_date(row[0]): (int(row[1]), int(row[2]), int(row[3])) for row in rows}
    return [(d, *found.get(d, (0, 0, 0))) for d in period.days()]


def new_users(period: Period) -> list[tuple[date, int]]:
    """Per week (its Monday): accounts created."""
    week = week_of(User.member_since)
    rows = db.session.execute(select(week, func.count()).where(period.within(User.member_since)).group_by(week)).all()
    found = {as_date(row[0]): int(row[1]) for row in rows}
    return [(monday, found.get(monday, 0)) for monday in period.weeks()]


def moderation_activity(period: Period) -> list[Activity]:
    """Per day, moderator and reason: operations (moderation and queue decisions), the rows they changed, how many
    of those an undo has restored since (whoever undid them, whenever), and the rows that stayed changed. An undo
    counts against the operation it undoes, so each line's net is what that day's work still amounts to."""
    day = day_of(AuditEntry.created_at)
    undo = aliased(AuditEntry)  # at most one per operation (undo_of_id is unique)
    changed = select(func.count()).where(AuditRow.entry_id == AuditEntry.id).correlate(AuditEntry).scalar_subquery()
    undone = select(func.count()).where(AuditRow.entry_id == undo.id).correlate(undo).scalar_subquery()
    moderator = func.coalesce(User.username, "#" + cast(AuditEntry.actor_id, String))
    rows = db.session.execute(
        select(day, moderator, func.coalesce(AuditEntry.reason, ""), func.count(), func.sum(changed), func.sum(undone))
        .outerjoin(User, User.id == AuditEntry.actor_id)
        .outerjoin(undo, undo.undo_of_id == AuditEntry.id)
        .where(period.within(AuditEntry.created_at), AuditEntry.action.in_(MODERATION_ACTIONS))
        .group_by(day, moderator, AuditEntry.reason)
        .order_by(day, moderator, AuditEntry.reason)
    ).all()
    return [_activity(*row) for row in rows]


def _activity(day: Any, moderator: Any, reason: Any, operations: Any, changed: Any, undone: Any) -> Activity:
    changed, undone = int(changed or 0), int(undone or 0)
    return as_date(day), str(moderator), str(reason), int(operations), changed, undone, changed - undone


def most_disabled_authors(period: Period, limit: int = 20) -> list[tuple[str, int, int]]:
    """Authors of the most disabled comments among those posted within the period: their label, how many, and
    how many comments they have in all."""
    disabled = func.count()
    total = select(func.count()).where(Comment.author_id == User.id).correlate(User).scalar_subquery()
    rows = db.session.execute(
        select(User.username, User.id, disabled, total)
        .join(Comment, Comment.author_id == User.id)
        .where(Comment.disabled, period.within(Comment.timestamp))
        .group_by(User.id, User.username)
        .order_by(disabled.desc(), User.id)
        .limit(limit)
    ).all()
    return [(str(r[0] or f"#{r[1]}"), int(r[2]), int(r[3])) for r in rows]


@dataclass(frozen=True)
class Moderated:
    """A day's moderation: its operations, the rows they changed, and how many of those rows were undone since."""

    operations: int
    changed: int
    undone: int

    @property
    def kept(self) -> int:
        """The rows that stayed as that day's moderation left them."""
        return self.changed - self.undone


def moderation_today(today: date) -> Moderated:
    """Today's moderation operations, the rows they changed and those of them undone since: one statement."""
    period = Period(today, today)
    entries = select(AuditEntry.id).where(
        period.within(AuditEntry.created_at), AuditEntry.action.in_(MODERATION_ACTIONS)
    )
    undo = aliased(AuditEntry)
    undos = select(undo.id).where(undo.undo_of_id.in_(entries))
    operations, changed, undone = db.session.execute(
        select(
            select(func.count()).select_from(entries.subquery()).scalar_subquery(),
            select(func.count()).where(AuditRow.entry_id.in_(entries)).scalar_subquery(),
            select(func.count()).where(AuditRow.entry_id.in_(undos)).scalar_subquery(),
        )
    ).one()
    return Moderated(int(operations or 0), int(changed or 0), int(undone or 0))


def posted_per_day(period: Period, now: datetime) -> list[tuple[date, int]]:
    """Comments posted per day, for the dashboard: finished days from ``comment_days`` when counted after they
    ended and within KEPT_FOR, the others counted now (one GROUP BY over the timestamp index) and kept; today
    always counted live. Its cost stays flat however large the table grows."""
    today = now.date()
    fresh = now - KEPT_FOR
    kept = {
        row.day: row.posted
        for row in db.session.scalars(select(CommentDay).where(CommentDay.day.between(period.first, period.last)))
        if row.day < today and row.counted_at >= max(fresh, datetime.combine(row.day + timedelta(days=1), time()))
    }
    missing = [day for day in period.days() if day < today and day not in kept]
    if missing:
        counted = count_posted(Period(missing[0], missing[-1]))
        kept |= {day: counted.get(day, 0) for day in missing}
        keep([{"day": day, "posted": counted.get(day, 0), "counted_at": now} for day in missing])
    if period.first <= today <= period.last:
        kept[today] = count_posted(Period(today, today)).get(today, 0)
    return [(day, kept.get(day, 0)) for day in period.days()]


def count_posted(period: Period) -> dict[date, int]:
    day = day_of(Comment.timestamp)
    rows = db.session.execute(select(day, func.count()).where(period.within(Comment.timestamp)).group_by(day)).all()
    return {as_date(row[0]): int(row[1]) for row in rows}


def keep(rows: list[dict[str, Any]]) -> None:
    """Upsert the counted days (two dashboards counting the same day at once both succeed); the caller commits."""
    dialect = db.session.get_bind().dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    statement = insert(CommentDay).values(rows)
    db.session.execute(
        statement.on_conflict_do_update(
            index_elements=[CommentDay.day],
            set_={"posted": statement.excluded.posted, "counted_at": statement.excluded.counted_at},
        )
    )
