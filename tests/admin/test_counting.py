"""Counts: exact up to ADMIN_EXACT_COUNT_LIMIT whenever that is cheap, the planner's estimate otherwise (PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from admin_app.admin.counting import ApproximateCount
from admin_app.extensions import db
from admin_app.models import Comment
from admin_app.services import seed
from admin_app.services.audit import Actor
from admin_app.services.moderation import moderate, undo
from admin_app.services.operations import OPERATIONS
from tests.admin.test_dashboard import tiles
from tests.factories import UserFactory


def list_count(client: FlaskClient, query: str = "") -> str:
    page = client.get(f"/admin/comment/{query}").get_data(as_text=True)
    start = page.index("List (") + len("List (")
    return page[start : page.index(")", start)]


def test_small_lists_are_counted_exactly(app: Flask, client: FlaskClient, login_as: Any) -> None:
    seed.fill(users=5, posts=5, comments=40, seed=3)
    db.session.commit()
    login_as("moderator")
    assert list_count(client) == "40"


def test_large_lists_show_an_estimate_on_postgresql_and_an_exact_count_elsewhere(
    app: Flask, client: FlaskClient, login_as: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed.fill(users=5, posts=5, comments=400, seed=3)
    db.session.commit()
    login_as("moderator")
    monkeypatch.setitem(app.config, "ADMIN_EXACT_COUNT_LIMIT", 50)

    shown = list_count(client)

    if db.engine.dialect.name == "postgresql":
        assert shown.startswith('<span title="estimated">about ')
        estimate = int(shown.rpartition("about ")[2].split("<")[0].replace(",", ""))
        assert 51 <= estimate <= 4000  # the planner's figure after ANALYZE: the right order of magnitude
    else:
        assert shown == "400"


def test_filtered_counts_below_the_limit_stay_exact(
    app: Flask, client: FlaskClient, login_as: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed.fill(users=5, posts=5, comments=400, seed=3)
    db.session.commit()
    disabled = db.session.scalar(sa.text("SELECT count(*) FROM comments WHERE disabled"))
    login_as("moderator")
    monkeypatch.setitem(app.config, "ADMIN_EXACT_COUNT_LIMIT", 50)
    assert disabled is not None and disabled < 50
    assert list_count(client, "?flt0_disabled_equals=1") == str(disabled)


def test_an_approximate_count_is_still_an_int_for_paging(app: Flask) -> None:
    with app.test_request_context():
        count = ApproximateCount(12345)
        assert count // 20 == 617
        assert "about 12,345" in count.__html__()


def test_counts_are_written_the_readers_way(app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.conftest import sign_in
    from tests.factories import UserFactory

    monkeypatch.setitem(app.config, "ADMIN_EXACT_COUNT_LIMIT", 5000)  # counted exactly on both databases
    seed.fill(users=5, posts=5, comments=1234, seed=3)
    db.session.commit()
    sign_in(client, UserFactory(roles=["moderator"], locale="de_DE"))
    page = client.get("/admin/comment/").get_data(as_text=True)
    assert "Liste (1.234)" in page


def disable_and_undo_everything(times: int = 1) -> None:
    """A bulk disable of every comment and its undo, through the service, as a moderator would: each leaves a dead
    version of every row behind (autovacuum is off here, and nothing VACUUMs)."""
    moderator = UserFactory(roles=["moderator"])
    actor = Actor(moderator.id, moderator.email, None)
    for _ in range(times):
        done = moderate(OPERATIONS["comment.disable"], sa.select(Comment.id), actor, "spam")
        undo(done.entry_id, actor, window=timedelta(hours=1), may_undo_others=False)
        db.session.commit()


def planner_estimate_of_comments() -> int:
    plan = db.session.execute(sa.text("EXPLAIN (FORMAT JSON) SELECT 1 FROM comments")).scalar_one()
    return int(plan[0]["Plan"]["Plan Rows"])


def test_a_few_thousand_rows_with_dead_ones_are_counted_exactly(app: Flask, client: FlaskClient, login_as: Any) -> None:
    seed.fill(users=30, posts=300, comments=3006, seed=3)  # ANALYZEs, as autovacuum's analyze would after a load
    db.session.commit()
    disable_and_undo_everything()
    if db.engine.dialect.name == "postgresql":
        assert planner_estimate_of_comments() > 3006 * 1.3  # the dead rows inflate the planner's estimate
    login_as("staff")

    assert list_count(client) == "3,006"
    assert tiles(client.get("/admin/").text)["Comments"] == "3,006"

    if db.engine.dialect.name == "postgresql":
        db.session.execute(sa.text("ANALYZE comments"))  # as autovacuum's analyze would, later
        db.session.commit()
    assert list_count(client) == "3,006"
    assert tiles(client.get("/admin/").text)["Comments"] == "3,006"


def test_dead_rows_that_lift_the_estimate_over_the_limit_do_not_stop_the_count(
    app: Flask, client: FlaskClient, login_as: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed.fill(users=10, posts=100, comments=1000, seed=3)
    db.session.commit()
    disable_and_undo_everything(times=2)
    # Over the limit by the planner's estimate, which the dead rows made five times too large; under it in fact.
    monkeypatch.setitem(app.config, "ADMIN_EXACT_COUNT_LIMIT", 2000)
    monkeypatch.setitem(app.config, "ADMIN_TRUST_ESTIMATE_ABOVE", 2000)  # the former setting of the same idea
    if db.engine.dialect.name == "postgresql":
        assert planner_estimate_of_comments() > 2000
    login_as("moderator")

    assert list_count(client) == "1,000"


@pytest.mark.postgresql_only
def test_a_count_that_runs_out_of_time_shows_the_estimate_and_the_page_carries_on(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    from admin_app.admin.counting import count

    monkeypatch.setitem(app.config, "ADMIN_COUNT_TIMEOUT_MS", 20)
    slow = (
        sa.select(sa.literal(1))
        .select_from(sa.func.generate_series(1, 10).alias("n"))
        .where(sa.func.pg_sleep(0.02).is_not(None))
    )  # 200 ms, which the planner does not foresee
    fast = sa.select(sa.literal(1)).select_from(sa.func.generate_series(1, 10).alias("n"))
    with app.test_request_context():
        before = db.session.scalar(sa.text("SHOW statement_timeout"))
        assert isinstance(count(db.session, slow), ApproximateCount)
        assert db.session.scalar(sa.text("SHOW statement_timeout")) == before  # the timeout went with its savepoint
        assert count(db.session, fast) == 10 and not isinstance(count(db.session, fast), ApproximateCount)
        assert db.session.scalar(sa.text("SHOW statement_timeout")) == before


def test_a_count_too_costly_to_run_shows_the_estimate(
    app: Flask, client: FlaskClient, login_as: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed.fill(users=5, posts=5, comments=40, seed=3)
    db.session.commit()
    monkeypatch.setitem(app.config, "ADMIN_COUNT_COST_LIMIT", 0)  # every plan costs more than nothing
    login_as("moderator")

    shown = list_count(client)

    assert (
        shown.startswith('<span title="estimated">about ') if db.engine.dialect.name == "postgresql" else shown == "40"
    )
