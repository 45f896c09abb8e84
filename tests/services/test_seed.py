"""Seeding: demo accounts, and set-based volume inserts on each database."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Flask

from admin_app.database import utcnow
from admin_app.extensions import db
from admin_app.models import Comment, Post, Role, User
from admin_app.services import seed
from tests.conftest import count_statements


def count(model: type) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model)) or 0


def test_demo_accounts_get_their_roles_once(app: Flask) -> None:
    assert [account.role for account in seed.create_demo_accounts()] == ["admin", "moderator", "staff"]
    assert seed.create_demo_accounts() == []
    db.session.commit()
    moderator = db.session.scalars(sa.select(User).where(User.email == "moderator@example.com")).one()
    assert [role.name for role in moderator.roles] == ["moderator"]
    assert moderator.has_permission("comment-moderate") and not moderator.has_permission("user-manage")


def test_fill_adds_what_was_asked_spread_over_existing_rows(app: Flask) -> None:
    added = seed.fill(users=30, posts=50, comments=400, seed=7)
    db.session.commit()

    assert added == {"users": 30, "posts": 50, "comments": 400}
    assert (count(User), count(Post), count(Comment)) == (30, 50, 400)
    default_role = db.session.scalars(sa.select(Role).where(Role.name == "user")).one()
    assert all(default_role in user.roles for user in db.session.scalars(sa.select(User)))
    assert db.session.scalar(sa.select(sa.func.count()).where(Comment.disabled.is_(None))) == 0
    orphans = sa.select(sa.func.count()).select_from(Comment).outerjoin(Post).where(Post.id.is_(None))
    assert db.session.scalar(orphans) == 0
    # The review queue holds only recent, enabled comments.
    waiting = db.session.scalars(sa.select(Comment).where(Comment.reviewed_at.is_(None))).all()
    assert waiting and all(not c.disabled and c.timestamp > utcnow() - seed.REVIEWED_AFTER for c in waiting)


def test_no_member_was_last_seen_in_the_future_or_before_joining(app: Flask) -> None:
    for number in range(10):
        seed.fill(users=100, seed=number)
    now = utcnow()
    db.session.commit()

    members = db.session.execute(sa.select(User.member_since, User.last_seen)).all()
    assert len(members) == 1000
    assert all(since <= seen <= now for since, seen in members)


def test_fill_twice_keeps_accounts_unique(app: Flask) -> None:
    seed.fill(users=5, seed=1)
    seed.fill(users=5, seed=1)
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count(sa.distinct(User.email)))) == 10


def test_statement_count_does_not_grow_with_rows(app: Flask) -> None:
    seed.fill(users=10, posts=10)

    # executemany chunks of 10,000 rows on SQLite, one COPY on PostgreSQL
    assert count_statements(lambda: seed.fill(comments=100)) == count_statements(lambda: seed.fill(comments=9_000))


def test_comments_without_posts_are_refused_with_a_message(app: Flask) -> None:
    seed.fill(users=3)
    try:
        seed.fill(comments=10)
    except ValueError as error:
        assert "need posts" in str(error)
    else:
        raise AssertionError("expected a ValueError")
    assert count(Comment) == 0


def test_seed_command_shows_progress_and_totals(app: Flask) -> None:
    result = app.test_cli_runner().invoke(args=["seed", "--users", "20", "--posts", "10", "--comments", "50"])
    assert result.exit_code == 0, result.output
    assert "Seeding" in result.stderr
    assert "20 users, 10 posts, 50 comments added." in result.stdout
    assert count(Comment) == 50


def test_seed_demo_if_empty_prints_logins_and_adds_data_once(app: Flask) -> None:
    runner = app.test_cli_runner()
    first = runner.invoke(args=["seed", "--demo", "--if-empty"])
    assert first.exit_code == 0, first.output
    assert "moderator@example.com" in first.output and "Demo data added." in first.output
    users = count(User)
    second = runner.invoke(args=["seed", "--demo", "--if-empty"])
    assert "Demo data added." not in second.output and "moderator@example.com" in second.output
    assert count(User) == users


def test_roles_sync_is_idempotent(app: Flask) -> None:
    moderator = db.session.scalars(sa.select(Role).where(Role.name == "moderator")).one()
    moderator.permissions = ["user-manage"]
    db.session.commit()
    runner = app.test_cli_runner()
    assert "Roles updated: moderator" in runner.invoke(args=["roles-sync"]).output
    assert "Roles already in sync." in runner.invoke(args=["roles-sync"]).output
    db.session.expire_all()
    assert "user-manage" not in (moderator.permissions or [])
