"""Periodic work: new comments are checked against the rules without anyone asking, inline in the web process
(no Redis) or by RQ's cron scheduler and a worker (production)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from admin_app import create_app
from admin_app.extensions import db
from admin_app.models import Comment, Rule
from tests.factories import UserFactory, comment_by_plain_sql

ROOT = Path(__file__).resolve().parents[1]


def rule_and_plain_insert(body: str = "Deals at https://spam.example/now") -> int:
    db.session.add(Rule(kind="domain", text="spam.example", action="disable", reason="spam"))
    db.session.commit()
    return comment_by_plain_sql(body)


def is_disabled(comment_id: int) -> bool:
    db.session.expire_all()
    return bool(db.session.scalar(sa.select(Comment.disabled).where(Comment.id == comment_id)))


@pytest.fixture
def own_app(database_url: str) -> Iterator[Callable[..., Flask]]:
    """Apps of their own (the periodic runner is set up when an app is built), their connections closed after."""
    made: list[Flask] = []

    def make(**config: Any) -> Flask:
        made.append(create_app("testing", SQLALCHEMY_DATABASE_URI=database_url, **config))
        return made[-1]

    yield make
    for built in made:
        with built.app_context():
            db.engine.dispose()


def test_without_redis_the_web_process_runs_the_check_before_a_request(app: Flask, own_app: Any) -> None:
    inline = own_app(PERIODIC_INLINE=True, RULES_SWEEP_SECONDS=0)
    comment_id = rule_and_plain_insert()
    assert not is_disabled(comment_id)
    inline.test_client().get("/login")
    assert is_disabled(comment_id)


def test_the_inline_check_runs_at_most_once_per_interval(app: Flask, own_app: Any) -> None:
    inline = own_app(PERIODIC_INLINE=True, RULES_SWEEP_SECONDS=3600)
    client = inline.test_client()
    client.get("/login")  # the first request runs it (nothing waits yet)
    comment_id = rule_and_plain_insert()
    client.get("/login")
    assert not is_disabled(comment_id)  # not due again for an hour


def test_with_redis_the_web_process_leaves_it_to_the_scheduler(app: Flask, own_app: Any) -> None:
    queued = own_app(PERIODIC_INLINE=True, RULES_SWEEP_SECONDS=0, JOBS_REDIS_URL="redis://127.0.0.1:1")
    comment_id = rule_and_plain_insert()
    queued.test_client().get("/login")
    assert not is_disabled(comment_id)


def manage(database_url: str, *args: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "FLASK_SQLALCHEMY_DATABASE_URI": database_url, "ADMIN_APP_PROFILE": "testing",
           "FLASK_JOBS_REDIS_URL": os.environ["TEST_REDIS_URL"], "FLASK_RULES_SWEEP_SECONDS": "1"}  # fmt: skip
    return subprocess.Popen([sys.executable, "manage.py", *args], cwd=ROOT, env=env)


@pytest.mark.redis
@pytest.mark.postgresql_only
def test_rqs_cron_scheduler_and_a_worker_catch_a_comment_the_public_site_wrote(
    app: Flask, database_url: str, monkeypatch: Any
) -> None:
    from admin_app import jobs

    monkeypatch.setitem(app.config, "JOBS_REDIS_URL", os.environ["TEST_REDIS_URL"])
    app.extensions.pop("jobs_redis", None)
    jobs.queue().empty()
    processes = [manage(database_url, "cron"), manage(database_url, "worker")]
    try:
        comment_id = rule_and_plain_insert()
        deadline = time.monotonic() + 60  # "within a minute of arriving"
        while not is_disabled(comment_id):
            assert time.monotonic() < deadline, "the rule did not catch the comment within a minute"
            assert all(process.poll() is None for process in processes), "the scheduler or the worker stopped"
            time.sleep(0.2)
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=30)
        jobs.queue().empty()
        app.extensions.pop("jobs_redis", None)


def test_a_suspension_whose_time_is_up_ends_before_the_next_request(app: Flask, own_app: Any) -> None:
    from admin_app.models import Suspension, User
    from admin_app.services.audit import Actor
    from admin_app.services.change import Order
    from admin_app.services.operations import OPERATIONS

    moderator, member = UserFactory(roles=["moderator"]), UserFactory()
    suspend = OPERATIONS["user.suspend"]
    suspend.apply(suspend, [member.id], Order(Actor(moderator.id, None, None), "spam", choices={"duration": "1d"}))
    db.session.execute(sa.update(Suspension).values(ends_at=Suspension.created_at))  # its day is over
    db.session.commit()
    own_app(PERIODIC_INLINE=True, SUSPENSIONS_SWEEP_SECONDS=0).test_client().get("/login")
    db.session.expire_all()
    assert db.session.get(User, member.id).active
