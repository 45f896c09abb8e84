"""QueueView through HTTP: the claimed batch, approve, disable, skip, refusals and CSRF."""

from __future__ import annotations

import html
import re
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from admin_app.database import utcnow
from admin_app.extensions import db
from admin_app.models import AuditEntry, Comment, Rule
from admin_app.services import queue, rules, seed
from tests.admin.test_dashboard import tiles
from tests.conftest import csrf_token
from tests.factories import CommentFactory, UserFactory

URL = "/admin/queue/"
BATCH = 2


@pytest.fixture(autouse=True)
def small_batches(app: Flask) -> None:
    app.config["QUEUE_BATCH_SIZE"] = BATCH


def comments_by_age(*bodies: str) -> list[Comment]:
    start = utcnow() - timedelta(hours=1)
    return [CommentFactory(body=body, timestamp=start + timedelta(minutes=age)) for age, body in enumerate(bodies)]


def state(comment: Comment) -> tuple[Any, ...]:
    db.session.expire_all()
    row = db.session.get(Comment, comment.id)
    assert row is not None
    return row.disabled, row.reviewed_at is not None, row.claimed_by_id, row.moderation_reason, row.moderation_note


def post(client: FlaskClient, action: str, **data: Any) -> Any:
    return client.post(f"{URL}{action}/", data={"csrf_token": csrf_token(client), **data}, follow_redirects=True)


def test_moderator_sees_their_batch_oldest_first_with_the_shortcuts(client: FlaskClient, login_as: Any) -> None:
    oldest, older, newest = comments_by_age("First in line", "Second in line", "Still waiting")
    login_as("moderator")

    page = client.get(URL).get_data(as_text=True)

    assert page.index("First in line") < page.index("Second in line")
    assert "Still waiting" not in page
    assert "3 comments are waiting for review." in page
    assert f'name="id" value="{oldest.id}"' in page and f'name="id" value="{older.id}"' in page
    for key in ("j", "k", "x", "a", "d", "?"):
        assert f"<kbd>{key}</kbd>" in page
    assert "queue.js" in page
    assert state(newest)[2] is None


def test_approve_selected(client: FlaskClient, login_as: Any) -> None:
    first, second = comments_by_age("Fine remark", "Another fine remark")
    moderator = login_as("moderator")
    client.get(URL)

    response = post(client, "approve", id=[str(first.id), str(second.id)])

    assert response.request.path == URL
    page = response.get_data(as_text=True)
    assert "2 comments approved." in page
    assert "Nothing to review" in page
    assert state(first) == state(second) == (False, True, None, None, None)
    entry = db.session.scalars(sa.select(AuditEntry)).one()
    assert (entry.action, entry.actor_id, entry.row_count) == ("comment.approve", moderator.id, 2)


def test_disable_selected_with_a_reason_and_a_note(client: FlaskClient, login_as: Any) -> None:
    spam, fine = comments_by_age("Buy cheap watches", "Nice post")
    login_as("moderator")
    client.get(URL)

    page = post(client, "disable", id=[str(spam.id)], reason="spam", note="third this week").get_data(as_text=True)

    assert "1 comment disabled." in page
    assert "Buy cheap watches" not in page and "Nice post" in page
    assert state(spam)[:2] == (True, True) and state(spam)[3:] == ("spam", "third this week")
    assert state(fine)[:2] == (False, False)
    entry = db.session.scalars(sa.select(AuditEntry)).one()
    assert (entry.action, entry.reason, entry.row_count) == ("comment.disable", "spam", 1)


def test_skip_hands_the_batch_over_and_shows_the_next(client: FlaskClient, login_as: Any) -> None:
    comments_by_age("Old one", "Old two", "Next one", "Next two")
    login_as("moderator")
    client.get(URL)

    page = post(client, "skip").get_data(as_text=True)

    assert "2 comments skipped" in page
    assert "Next one" in page and "Next two" in page and "Old one" not in page


def test_release_returns_the_batch_to_the_queue(client: FlaskClient, login_as: Any) -> None:
    comment = comments_by_age("Held for a while")[0]
    login_as("moderator")
    client.get(URL)
    assert state(comment)[2] is not None

    response = post(client, "release")

    assert "1 comment released back to the queue." in response.get_data(as_text=True)
    assert state(comment)[2] is None


def test_crafted_ids_outside_the_batch_change_nothing(client: FlaskClient, login_as: Any) -> None:
    theirs, *mine, unclaimed = comments_by_age("Someone else's", "Mine", "Mine too", "Nobody's yet")
    other = UserFactory(roles=["moderator"])
    queue.claim_batch(other.id, 1, timedelta(minutes=5))
    db.session.commit()
    login_as("moderator")
    client.get(URL)  # a full batch of the moderator's own: the newest comment stays unclaimed
    before = state(theirs), state(unclaimed)

    for action, extra in (("approve", {}), ("disable", {"reason": "spam"})):
        page = post(client, action, id=[str(theirs.id), str(unclaimed.id)], **extra).get_data(as_text=True)
        assert "2 selected comments are no longer in your batch" in page

    assert (state(theirs), state(unclaimed)) == before
    assert [state(comment)[:2] for comment in mine] == [(False, False)] * 2
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)) == 0


@pytest.mark.parametrize(
    ("action", "data", "message"),
    [
        ("approve", {"id": ["1", "not-a-number"]}, "The selection could not be read."),
        ("disable", {"id": ["1"], "reason": "because"}, "Unknown reason."),
        ("disable", {"id": ["1"], "reason": "spam", "note": "x" * 2001}, "The note is too long"),
        ("approve", {"id": [str(n) for n in range(BATCH + 1)]}, "The selection could not be read."),
    ],
)
def test_malformed_requests_are_refused_with_400(
    client: FlaskClient, login_as: Any, action: str, data: dict[str, Any], message: str
) -> None:
    comment = comments_by_age("Waiting")[0]
    login_as("moderator")
    client.get(URL)
    before = state(comment)

    response = client.post(f"{URL}{action}/", data={"csrf_token": csrf_token(client), **data})

    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert state(comment) == before


@pytest.mark.parametrize(
    ("action", "data", "message"),
    [
        ("approve", {}, "Select at least one comment first."),
        ("disable", {"reason": "spam"}, "Select at least one comment first."),
        ("disable", {"id": "the comment"}, "Choose a reason to disable comments."),
    ],
)
def test_incomplete_forms_say_what_is_missing(
    client: FlaskClient, login_as: Any, action: str, data: dict[str, Any], message: str
) -> None:
    comment = comments_by_age("Waiting")[0]
    login_as("moderator")
    client.get(URL)
    before = state(comment)
    form = {key: str(comment.id) if value == "the comment" else value for key, value in data.items()}

    response = post(client, action, **form)

    assert response.request.path == URL
    assert message in response.get_data(as_text=True)
    assert state(comment) == before


def test_staff_gets_403_and_anonymous_the_login_page(client: FlaskClient, login_as: Any) -> None:
    comment = comments_by_age("Waiting")[0]
    assert client.get(URL).headers["Location"].startswith("/login")
    login_as("staff")

    assert client.get(URL).status_code == 403
    response = client.post(f"{URL}approve/", data={"csrf_token": csrf_token(client), "id": [str(comment.id)]})
    assert response.status_code == 403
    assert state(comment) == (False, False, None, None, None)


def test_a_post_without_csrf_token_is_refused_and_changes_nothing(client: FlaskClient, login_as: Any) -> None:
    comment = comments_by_age("Waiting")[0]
    login_as("moderator")
    client.get(URL)
    before = state(comment)

    response = client.post(f"{URL}disable/", data={"id": [str(comment.id)], "reason": "spam"})

    assert response.status_code == 400
    assert state(comment) == before


def test_a_mixed_selection_applies_to_the_moderators_own_comments_only(client: FlaskClient, login_as: Any) -> None:
    theirs, mine = comments_by_age("Someone else's", "Mine")
    queue.claim_batch(UserFactory(roles=["moderator"]).id, 1, timedelta(minutes=5))
    db.session.commit()
    login_as("moderator")
    client.get(URL)
    before = state(theirs)

    page = post(client, "approve", id=[str(theirs.id), str(mine.id)]).get_data(as_text=True)

    assert "1 comment approved." in page and "1 selected comment is no longer in your batch" in page
    assert state(mine)[:2] == (False, True)
    assert state(theirs) == before


def test_the_header_says_how_many_wait_and_whether_others_hold_them(
    app: Flask, client: FlaskClient, login_as: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    comments_by_age("One", "Two", "Three")
    queue.claim_batch(UserFactory(roles=["moderator"]).id, 3, timedelta(minutes=5))
    db.session.commit()
    login_as("moderator")

    assert "3 comments are waiting for review, and other moderators are on them." in client.get(URL).get_data(
        as_text=True
    )
    monkeypatch.setitem(app.config, "ADMIN_EXACT_COUNT_LIMIT", 2)
    # Over the limit: PostgreSQL's estimate, as on the dashboard (admin/counting.py); other databases count exactly.
    header = re.search(r'id="queue-summary"[^>]*>\s*(.*?)\s*</p>', client.get(URL).get_data(as_text=True), re.S)
    assert header is not None
    if db.engine.dialect.name == "postgresql":
        assert re.fullmatch(r"About \d+ comments are waiting for review\.", header.group(1))
    else:
        assert header.group(1) == "3 comments are waiting for review, and other moderators are on them."


def test_a_queue_of_thousands_is_counted_exactly_like_the_dashboards(client: FlaskClient, login_as: Any) -> None:
    seed.fill(users=10, posts=20, comments=1500, seed=3)
    db.session.execute(sa.update(Comment).values(reviewed_at=None))
    db.session.commit()
    login_as("moderator")

    assert "1,500 comments are waiting for review." in client.get(URL).get_data(as_text=True)
    assert tiles(client.get("/admin/").text)["Waiting for review"] == "1,500"


def test_a_database_failure_is_reported_and_rolled_back(
    client: FlaskClient, login_as: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    comment = comments_by_age("Waiting")[0]
    login_as("moderator")
    client.get(URL)
    before = state(comment)

    def fail(*_args: Any) -> int:
        db.session.execute(sa.update(Comment).values(reviewed_at=utcnow()))
        raise sa.exc.OperationalError("UPDATE comments", {}, Exception("injected failure"))

    monkeypatch.setattr(queue, "approve", fail)
    response = post(client, "approve", id=[str(comment.id)])

    assert response.status_code == 200
    assert "The operation failed and nothing was changed." in response.get_data(as_text=True)
    assert state(comment) == before


@pytest.mark.parametrize("role", ["moderator", "admin"])
def test_every_link_on_the_queue_and_the_dashboard_opens_for_its_reader(
    client: FlaskClient, login_as: Any, role: str
) -> None:
    """The author's link goes to the users list the reader may open (the member list for a moderator), never to
    a page that answers 403; so does every other link of both pages."""
    comments_by_age("First in line", "Second in line")
    login_as(role)
    for url in (URL, "/admin/"):
        page = client.get(url).get_data(as_text=True)
        for link in sorted(set(re.findall(r'href="(/admin/[^"#]*)"', page))):
            status = client.get(html.unescape(link)).status_code
            assert status in (200, 302), (role, url, link, status)


def test_a_comment_a_rule_held_is_marked_with_the_rule_and_approving_shows_it(
    client: FlaskClient, login_as: Any
) -> None:
    (first,) = comments_by_age("Buy cheap watches at spam.example")
    db.session.add(Rule(kind="domain", text="spam.example", action="hold", reason="spam"))
    db.session.execute(sa.text("UPDATE comments SET body = body || ' ' WHERE id = :id"), {"id": first.id})  # edited
    db.session.commit()
    assert rules.sweep().caught == 1
    db.session.commit()
    assert state(first)[:2] == (True, False)  # hidden until reviewed
    login_as("moderator")
    page = client.get(URL).get_data(as_text=True)
    assert ">Held</span>" in page and "Caught by the rule “spam.example”" in page
    post(client, "approve", id=first.id)
    assert state(first)[:2] == (False, True)
