"""The home page: counts, the queue, today's moderation, the chart and the latest audit entries, by permission."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from flask.testing import FlaskClient

from admin_app.database import utcnow
from admin_app.extensions import db
from admin_app.services.audit import Actor
from admin_app.services.moderation import moderate, undo
from admin_app.services.operations import OPERATIONS
from tests.factories import CommentFactory, UserFactory


def tiles(page: str) -> dict[str, str]:
    found = re.findall(r'<div class="text-muted small">(.*?)</div>\s*<div class="h4 mb-0">(.*?)</div>', page, re.S)
    return {label: re.sub(r"<[^>]+>", "", value).strip() for label, value in found}


def test_administrators_see_every_count_and_the_latest_entries(client: FlaskClient, login_as: Any) -> None:
    moderator = UserFactory(roles=["moderator"], email="mod@example.org")
    comments = CommentFactory.create_batch(3, timestamp=utcnow(), reviewed_at=None)
    moderate(OPERATIONS["comment.disable"], [comments[0].id], Actor(moderator.id, moderator.email, None), "spam")
    db.session.commit()
    login_as("admin")

    page = client.get("/admin/").text

    assert tiles(page) == {
        "Users": "8",  # the comments' authors and posts' authors, the moderator, the admin
        "Posts": "3",
        "Comments": "3",
        "Waiting for review": "2",  # disabling decided on one
        "Moderation operations today": "1",
        "Rows moderated today": "1",
    }
    assert 'id="dashboard-chart"' in page and "Comments per day" in page
    assert "mod@example.org" in page and "Disable comments" in page  # the latest audit entries, all of them


def test_moderators_see_their_own_operations_only_and_no_e_mail(client: FlaskClient, login_as: Any) -> None:
    other = UserFactory(roles=["moderator"], username="other_mod")
    comment = CommentFactory()
    moderate(OPERATIONS["comment.disable"], [comment.id], Actor(other.id, other.email, None), "spam")
    db.session.commit()
    me = login_as("moderator")

    page = client.get("/admin/").text

    assert "Your latest operations" in page and "Nothing yet." in page
    assert other.email not in page and me.email not in re.sub(r'id="current-user"[^<]*>[^<]*<', "", page)
    assert tiles(page)["Moderation operations today"] == "1"


def test_large_tables_are_counted_cheaply_and_said_to_be_estimates(
    client: FlaskClient, login_as: Any, app: Any, monkeypatch: Any
) -> None:
    CommentFactory.create_batch(4)
    monkeypatch.setitem(app.config, "ADMIN_EXACT_COUNT_LIMIT", 2)
    login_as("staff")
    page = client.get("/admin/").text
    # Over the limit: PostgreSQL shows the planner's estimate ("about N"), SQLite counts exactly.
    comments = tiles(page)["Comments"]
    assert comments == "4" or comments.startswith("about ")


def test_rows_moderated_today_are_what_stayed_moderated_and_the_undone_are_shown_apart(
    client: FlaskClient, login_as: Any
) -> None:
    moderator = UserFactory(roles=["moderator"])
    actor = Actor(moderator.id, moderator.email, None)
    comments = CommentFactory.create_batch(6)
    mistake = moderate(OPERATIONS["comment.disable"], [c.id for c in comments[:5]], actor, "spam")
    moderate(OPERATIONS["comment.disable"], [comments[5].id], actor, "spam")
    undo(mistake.entry_id, actor, window=timedelta(hours=1), may_undo_others=False)
    db.session.commit()
    login_as("staff")

    page = client.get("/admin/").text

    assert tiles(page)["Moderation operations today"] == "2"
    assert tiles(page)["Rows moderated today"] == "1"
    assert re.search(r'dashboard-tile-note">\s*6 changed, 5 undone\s*<', page)
