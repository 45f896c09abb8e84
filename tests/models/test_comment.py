"""Comment model: database-level defaults and sanitised HTML."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask import Flask

from admin_app.extensions import db
from admin_app.models import Comment
from tests.factories import CommentFactory, PostFactory


def test_a_comment_inserted_without_disabled_is_enabled_not_null(app: Flask) -> None:
    post = PostFactory()
    db.session.execute(
        sa.text("INSERT INTO comments (body, timestamp, author_id, post_id) VALUES ('hi', :now, :author, :post)"),
        {"now": post.timestamp, "author": post.author_id, "post": post.id},
    )
    assert db.session.scalar(sa.select(Comment.disabled)) is False


def test_disabled_cannot_be_null(app: Flask) -> None:
    comment = CommentFactory()
    with pytest.raises(sa.exc.IntegrityError):
        db.session.execute(sa.text("UPDATE comments SET disabled = NULL WHERE id = :id"), {"id": comment.id})
        db.session.flush()
    db.session.rollback()


def test_body_html_is_rendered_and_sanitised(app: Flask) -> None:
    comment = CommentFactory(body="**bold** <script>alert(1)</script> [link](http://example.org)")
    assert "<strong>bold</strong>" in comment.body_html
    assert "<script>" not in comment.body_html
    assert '<a href="http://example.org"' in comment.body_html


def test_deleting_a_post_deletes_its_comments(app: Flask) -> None:
    comment = CommentFactory()
    db.session.execute(sa.delete(type(comment.post)).where(type(comment.post).id == comment.post_id))
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Comment)) == 0
