"""CommentAdmin through HTTP: lists, search, filters, the delete action and CSRF."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask.testing import FlaskClient

from admin_app.extensions import db
from admin_app.models import Comment
from tests.conftest import csrf_token
from tests.factories import CommentFactory


def comment_ids() -> set[int]:
    db.session.expire_all()
    return set(db.session.scalars(sa.select(Comment.id)))


def test_moderator_sees_the_comment_list_with_search_and_filter(client: FlaskClient, login_as: Any) -> None:
    CommentFactory(body="A perfectly normal remark")
    CommentFactory(body="Cheap watches here", disabled=True)
    login_as("moderator")

    page = client.get("/admin/comment/").get_data(as_text=True)
    assert "A perfectly normal remark" in page and "Cheap watches here" in page

    searched = client.get("/admin/comment/?search=watches").get_data(as_text=True)
    assert "Cheap watches here" in searched and "perfectly normal" not in searched

    filtered = client.get("/admin/comment/?flt0_disabled_equals=1").get_data(as_text=True)
    assert "Cheap watches here" in filtered and "perfectly normal" not in filtered


def test_delete_asks_first_then_removes_exactly_the_ticked_rows(client: FlaskClient, login_as: Any) -> None:
    keep, drop = CommentFactory(), CommentFactory()
    login_as("moderator")
    rows = [str(drop.id), "not-a-number"]

    asked = client.post(
        "/admin/comment/action/", data={"action": "delete", "rowid": rows, "csrf_token": csrf_token(client)}
    )
    assert asked.status_code == 200 and "Delete 1 comment?" in asked.get_data(as_text=True)
    assert comment_ids() == {keep.id, drop.id}

    done = client.post(
        "/admin/comment/moderate/",
        data={
            "operation": "comment.delete",
            "rowid": rows,
            "reason": "spam",
            "confirmed": "1",
            "csrf_token": csrf_token(client),
        },
    )
    assert done.status_code == 302
    assert comment_ids() == {keep.id}


def test_a_post_without_csrf_token_is_refused_and_changes_nothing(client: FlaskClient, login_as: Any) -> None:
    comment = CommentFactory()
    login_as("admin")

    response = client.post("/admin/comment/action/", data={"action": "delete", "rowid": [str(comment.id)]})

    assert response.status_code == 400
    assert comment_ids() == {comment.id}


def test_details_of_a_missing_or_malformed_id_is_not_an_error(client: FlaskClient, login_as: Any) -> None:
    login_as("staff")
    for bad in ("999999", "abc", "1;drop table comments"):
        response = client.get("/admin/comment/details/", query_string={"id": bad})
        assert response.status_code == 302
        assert "/admin/comment/" in response.headers["Location"]


def test_an_empty_list_says_it_holds_no_row(client: FlaskClient, login_as: Any) -> None:
    login_as("moderator")
    page = client.get("/admin/comment/").get_data(as_text=True)
    assert '<span class="nav-link active" aria-current="page">List (0)</span>' in page
    assert "javascript:" not in page.split('<ul class="nav nav-tabs">', 1)[1].split("</ul>", 1)[0]
