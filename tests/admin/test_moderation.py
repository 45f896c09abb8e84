"""Moderation through HTTP: confirmation, select-all-matching, scope, undo and the audit trail."""

from __future__ import annotations

import re
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from admin_app.extensions import db
from admin_app.models import AuditEntry, Comment, Post
from tests.conftest import csrf_token
from tests.factories import CommentFactory, PostFactory, UserFactory


def disabled_ids() -> set[int]:
    db.session.expire_all()
    return set(db.session.scalars(sa.select(Comment.id).where(Comment.disabled)))


def flashes(client: FlaskClient, path: str = "/admin/comment/") -> str:
    page = client.get(path).get_data(as_text=True)
    return " ".join(re.findall(r'class="alert alert-\w+ alert-dismissable">(.*?)</div>', page, re.S))


def confirm(client: FlaskClient, path: str, data: dict[str, Any]) -> Any:
    return client.post(path, data={"csrf_token": csrf_token(client), "confirmed": "1", **data})


@pytest.fixture
def spam_wave(app: Flask) -> tuple[Any, list[Comment], list[Comment]]:
    spammer = UserFactory(username="spammer")
    post = PostFactory()
    spam = CommentFactory.create_batch(45, author=spammer, post=post, body="Cheap watches")
    others = CommentFactory.create_batch(5, post=post, body="Nice post")
    return spammer, spam, others


def test_select_all_matching_disables_every_page_with_a_reason_and_undoes(
    client: FlaskClient, login_as: Any, spam_wave: Any
) -> None:
    spammer, spam, others = spam_wave
    login_as("moderator")
    filtered = "?flt0_author_equals=spammer"
    listing = client.get(f"/admin/comment/{filtered}").get_data(as_text=True)
    assert "List (45)" in listing and 'id="select-all-banner"' in listing  # 45 rows, 20 a page

    page = client.post(
        f"/admin/comment/action/{filtered}",
        data={"action": "disable", "rowid": [str(c.id) for c in spam[:20]], "select_all": "1",
              "url": f"/admin/comment/{filtered}", "csrf_token": csrf_token(client)},
    ).get_data(as_text=True)  # fmt: skip
    assert "Disable 45 comments?" in page
    assert disabled_ids() == set()  # nothing changes before confirming

    response = confirm(client, f"/admin/comment/moderate/{filtered}", {
        "operation": "comment.disable", "select_all": "1", "reason": "spam", "note": "wave",
        "url": f"/admin/comment/{filtered}",
    })  # fmt: skip
    assert response.status_code == 302
    assert disabled_ids() == {c.id for c in spam}
    message = flashes(client, f"/admin/comment/{filtered}")
    assert "45 comments disabled." in message and "Undo" in message

    entry = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "comment.disable")).one()
    assert (entry.reason, entry.note, entry.row_count, entry.details["select_all"]) == ("spam", "wave", 45, True)
    response = client.post("/admin/comment/undo/", data={"entry": entry.id, "csrf_token": csrf_token(client)})
    assert response.status_code == 302
    assert disabled_ids() == set()
    assert "Undone: 45 rows restored." in flashes(client)


def test_confirmation_counts_only_rows_that_would_change(client: FlaskClient, login_as: Any) -> None:
    first, second = CommentFactory(), CommentFactory(disabled=True)
    login_as("moderator")
    page = client.post(
        "/admin/comment/action/",
        data={"action": "disable", "rowid": [first.id, second.id], "csrf_token": csrf_token(client)},
    ).get_data(as_text=True)
    assert "Disable 1 comment?" in page
    assert "1 of the selected rows is already in that state" in page


def test_a_missing_or_unknown_reason_is_refused_with_a_message_and_changes_nothing(
    client: FlaskClient, login_as: Any
) -> None:
    comment = CommentFactory()
    login_as("moderator")
    for reason in ("", "because"):
        response = confirm(
            client,
            "/admin/comment/moderate/",
            {"operation": "comment.disable", "rowid": [comment.id], "reason": reason},
        )
        assert response.status_code == 400
        assert "Disable 1 comment?" in response.get_data(as_text=True)
    assert disabled_ids() == set()


@pytest.mark.parametrize("operation", ["post.hide", "comment.nuke", ""])
def test_an_operation_of_another_view_or_unknown_is_a_bad_request(
    client: FlaskClient, login_as: Any, operation: str
) -> None:
    comment = CommentFactory()
    login_as("moderator")
    response = confirm(
        client, "/admin/comment/moderate/", {"operation": operation, "rowid": [comment.id], "reason": "spam"}
    )
    assert response.status_code == 400
    assert disabled_ids() == set()


def test_crafted_ids_outside_the_views_scope_are_never_touched(
    app: Flask, client: FlaskClient, login_as: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    protected, ordinary = CommentFactory(), CommentFactory()
    view = next(v for v in app.extensions["admin"][0]._views if v.endpoint == "comment")
    scoped = view.get_query
    monkeypatch.setattr(view, "get_query", lambda: scoped().filter(Comment.id != protected.id))
    login_as("moderator")

    confirm(client, "/admin/comment/moderate/", {
        "operation": "comment.disable", "rowid": [protected.id, ordinary.id, "x"], "reason": "spam",
    })  # fmt: skip

    assert disabled_ids() == {ordinary.id}


def test_actions_from_a_records_details_page(client: FlaskClient, login_as: Any) -> None:
    comment = CommentFactory()
    login_as("moderator")
    details = client.get(f"/admin/comment/details/?id={comment.id}").get_data(as_text=True)
    assert 'id="record-actions"' in details and 'value="disable"' in details
    page = client.post(
        "/admin/comment/action/", data={"action": "disable", "rowid": comment.id, "csrf_token": csrf_token(client)}
    ).get_data(as_text=True)
    assert "Disable 1 comment?" in page


def test_hide_a_post_and_disable_all_comments_of_a_user(client: FlaskClient, login_as: Any, spam_wave: Any) -> None:
    spammer, spam, others = spam_wave
    post = PostFactory()
    login_as("moderator")

    confirm(client, "/admin/post/moderate/", {"operation": "post.hide", "rowid": [post.id], "reason": "abuse"})
    confirm(client, "/admin/member/moderate/", {
        "operation": "user.disable_comments", "rowid": [spammer.id], "reason": "spam",
    })  # fmt: skip

    db.session.expire_all()
    assert db.session.get(Post, post.id).hidden  # type: ignore[union-attr]
    assert disabled_ids() == {c.id for c in spam}
    assert "45 comments disabled." in flashes(client, "/admin/member/")


def test_deleting_comments_is_audited_and_says_it_cannot_be_undone(client: FlaskClient, login_as: Any) -> None:
    comment = CommentFactory()
    login_as("moderator")
    page = client.post(
        "/admin/comment/action/", data={"action": "delete", "rowid": comment.id, "csrf_token": csrf_token(client)}
    ).get_data(as_text=True)
    assert "Deleting cannot be undone." in page
    confirm(
        client, "/admin/comment/moderate/", {"operation": "comment.delete", "rowid": [comment.id], "reason": "spam"}
    )
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Comment)) == 0
    message = flashes(client)
    assert "1 comment deleted." in message and "Undo" not in message


def test_admin_browses_the_trail_and_undoes_a_moderators_operation(
    client: FlaskClient, login_as: Any, spam_wave: Any
) -> None:
    from admin_app.services.audit import Actor
    from admin_app.services.moderation import moderate
    from admin_app.services.operations import OPERATIONS

    spammer, spam, others = spam_wave
    moderator = UserFactory(roles=["moderator"])
    done = moderate(
        OPERATIONS["comment.disable"], [c.id for c in spam], Actor(moderator.id, moderator.email, None), "spam"
    )
    db.session.commit()
    login_as("admin")

    listing = client.get("/admin/audit/?flt0_action_equals=comment.disable").get_data(as_text=True)
    assert moderator.email in listing and ">45<" in listing.replace(" ", "").replace("\n", "")
    details = client.get(f"/admin/audit/details/?id={done.entry_id}").get_data(as_text=True)
    assert 'id="audit-undo"' in details and 'id="audit-rows"' in details

    client.post("/admin/comment/undo/", data={"entry": done.entry_id, "csrf_token": csrf_token(client)})
    assert disabled_ids() == set()
    assert 'id="audit-undo"' not in client.get(f"/admin/audit/details/?id={done.entry_id}").get_data(as_text=True)


def test_a_moderator_cannot_undo_someone_elses_operation(client: FlaskClient, login_as: Any) -> None:
    from admin_app.services.audit import Actor
    from admin_app.services.moderation import moderate
    from admin_app.services.operations import OPERATIONS

    comment = CommentFactory()
    other = UserFactory(roles=["moderator"])
    done = moderate(OPERATIONS["comment.disable"], [comment.id], Actor(other.id, other.email, None), "spam")
    db.session.commit()
    login_as("moderator")

    client.post("/admin/comment/undo/", data={"entry": done.entry_id, "csrf_token": csrf_token(client)})

    assert disabled_ids() == {comment.id}
    assert "Only its author or an administrator can undo this operation." in flashes(client)


def test_form_edits_are_audited_with_before_and_after(client: FlaskClient, login_as: Any) -> None:
    comment = CommentFactory(body="before")
    login_as("admin")
    response = client.post(
        f"/admin/comment/edit/?id={comment.id}",
        data={"author": comment.author_id, "post": comment.post_id, "body": "after", "csrf_token": csrf_token(client)},
    )
    assert response.status_code == 302
    entry = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "comment.edit")).one()
    assert entry.details is not None and entry.details["id"] == comment.id
    assert entry.details["changes"]["body"] == ["before", "after"]


def confirmation_page(client: FlaskClient, path: str, data: dict[str, Any], **headers: str) -> str:
    data = {"url": "/admin/comment/", "csrf_token": csrf_token(client), **data}
    return client.post(path, data=data, headers=headers).get_data(as_text=True)


def applies_to(page: str) -> str:
    section = re.search(r'<div id="applies-to">(.*?)</div>', page, re.S)
    assert section, page
    return re.sub(r"\s+", " ", section.group(1))


def test_the_confirmation_names_the_ticked_rows_and_how_many_more(
    client: FlaskClient, login_as: Any, spam_wave: Any
) -> None:
    _, spam, others = spam_wave
    login_as("moderator")
    ticked = sorted(spam[:7] + others[:1], key=lambda comment: comment.id)
    page = confirmation_page(
        client, "/admin/comment/action/", {"action": "disable", "rowid": [str(c.id) for c in ticked]}
    )
    words = applies_to(page)
    assert "It applies to the ticked rows:" in words
    assert [f"#{c.id} " in words for c in ticked] == [True] * 5 + [False] * 3  # the first five, in id order
    assert "and 3 more rows" in words


def test_the_confirmation_of_every_match_says_the_search_and_filters(
    client: FlaskClient, login_as: Any, spam_wave: Any
) -> None:
    login_as("moderator")
    data = {"action": "disable", "rowid": [], "select_all": "1"}
    words = applies_to(
        confirmation_page(client, "/admin/comment/action/?search=watches&flt0_author_equals=spammer", data)
    )
    assert "It applies to every row matching this list:" in words
    assert "<li>Search: “watches”</li>" in words and "<li>Author equals spammer</li>" in words
    assert "no search or filter" in applies_to(confirmation_page(client, "/admin/comment/action/", data))


def test_confirmation_numbers_are_written_the_readers_way(client: FlaskClient, login_as: Any) -> None:
    author, post = UserFactory(), PostFactory()
    rows = [{"body": f"c{n}", "author_id": author.id, "post_id": post.id, "disabled": n < 10} for n in range(1234)]
    db.session.execute(sa.insert(Comment), rows)
    db.session.commit()
    login_as("moderator")
    data = {"action": "disable", "rowid": [], "select_all": "1"}
    page = confirmation_page(client, "/admin/comment/action/", data)
    assert "Disable 1,224 comments?" in page and "10 of the selected rows are already" in page
    german = confirmation_page(client, "/admin/comment/action/", data, **{"Accept-Language": "de"})
    assert re.search(r"1\.224 Kommentar", german), german


def test_no_reason_is_chosen_in_advance_and_none_is_refused(client: FlaskClient, login_as: Any) -> None:
    comment = CommentFactory()
    login_as("moderator")
    page = confirmation_page(client, "/admin/comment/action/", {"action": "disable", "rowid": [str(comment.id)]})
    reason = re.search(r'<select[^>]*name="reason".*?</select>', page, re.S)
    assert reason and "selected" not in reason.group(0)
    assert re.search(r'<option value="">Choose a reason…</option>', reason.group(0))
    response = confirm(client, "/admin/comment/moderate/", {
        "operation": "comment.disable", "rowid": [comment.id], "reason": "",
    })  # fmt: skip
    assert response.status_code == 400 and "Choose a reason." in response.get_data(as_text=True)
    assert disabled_ids() == set()
