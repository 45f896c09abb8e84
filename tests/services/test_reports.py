"""The dashboard's numbers: posted-per-day counts (finished days counted once and kept for a while, today always
live) and today's moderation net of its undos."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import Flask
from sqlalchemy import select

from admin_app.database import utcnow
from admin_app.extensions import db
from admin_app.models import CommentDay
from admin_app.services.audit import Actor
from admin_app.services.moderation import moderate, undo
from admin_app.services.operations import OPERATIONS
from admin_app.services.reports import (
    KEPT_FOR,
    Moderated,
    Period,
    moderation_activity,
    moderation_today,
    posted_per_day,
)
from tests.conftest import count_statements
from tests.factories import CommentFactory, UserFactory

NOW = datetime(2026, 3, 10, 12, 0)
TODAY = NOW.date()
PERIOD = Period(TODAY - timedelta(days=3), TODAY)


def test_finished_days_are_counted_once_and_kept_today_is_live(app: Flask) -> None:
    CommentFactory(timestamp=datetime(2026, 3, 7, 10))
    CommentFactory.create_batch(2, timestamp=datetime(2026, 3, 9, 23, 59))
    CommentFactory(timestamp=datetime(2026, 3, 10, 1))

    assert [n for _day, n in posted_per_day(PERIOD, NOW)] == [1, 0, 2, 1]
    assert db.session.scalars(select(CommentDay.day).order_by(CommentDay.day)).all() == PERIOD.days()[:3]

    CommentFactory(timestamp=datetime(2026, 3, 7, 11))  # late news about a kept day
    CommentFactory(timestamp=datetime(2026, 3, 10, 2))  # and about today
    assert [n for _day, n in posted_per_day(PERIOD, NOW + timedelta(minutes=5))] == [1, 0, 2, 2]
    assert [n for _day, n in posted_per_day(PERIOD, NOW + KEPT_FOR + timedelta(minutes=1))] == [2, 0, 2, 2]


def test_with_every_day_kept_only_today_is_counted(app: Flask) -> None:
    posted_per_day(PERIOD, NOW)
    # One statement reads the kept days, one counts today: none scans the finished days again.
    assert count_statements(lambda: posted_per_day(PERIOD, NOW + timedelta(minutes=1))) == 2


def test_a_day_counted_before_it_ended_is_counted_again(app: Flask) -> None:
    yesterday_evening = NOW - timedelta(hours=14)  # 2026-03-09 22:00: the 9th was not over yet
    posted_per_day(Period(TODAY - timedelta(days=1), TODAY - timedelta(days=1)), yesterday_evening + timedelta(days=1))
    db.session.execute(CommentDay.__table__.update().values(counted_at=yesterday_evening))
    db.session.commit()
    CommentFactory(timestamp=datetime(2026, 3, 9, 23, 30))
    assert posted_per_day(PERIOD, NOW)[2] == (TODAY - timedelta(days=1), 1)


def test_todays_moderation_counts_the_undone_rows_apart(app: Flask) -> None:
    moderator = UserFactory(roles=["moderator"], username="mod_a")
    actor = Actor(moderator.id, moderator.email, None)
    comments = CommentFactory.create_batch(6)
    undone = moderate(OPERATIONS["comment.disable"], [c.id for c in comments[:4]], actor, "spam")
    moderate(OPERATIONS["comment.disable"], [comments[4].id], actor, "spam")
    moderate(OPERATIONS["comment.disable"], [comments[5].id], actor, "abuse")
    db.session.commit()
    undo(undone.entry_id, actor, window=timedelta(hours=1), may_undo_others=False)
    db.session.commit()
    today = utcnow().date()

    assert moderation_today(today) == Moderated(operations=3, changed=6, undone=4)
    assert moderation_today(today).kept == 2
    assert count_statements(lambda: moderation_today(today)) == 1
    # The activity report: the undo counts against the operation it undid (day, moderator, reason), not as work.
    assert moderation_activity(Period(today, today)) == [
        (today, "mod_a", "abuse", 1, 1, 0, 1),
        (today, "mod_a", "spam", 2, 5, 4, 1),
    ]
