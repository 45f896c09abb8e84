"""List counts: exact up to ADMIN_EXACT_COUNT_LIMIT, the planner's estimate above it on PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from admin_app.admin.counting import ApproximateCount
from admin_app.extensions import db
from admin_app.services import seed


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
