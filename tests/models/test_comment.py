"""Comment model: database-level defaults, sanitised HTML, the search copy of the text, the moderator's id."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask import Flask

from admin_app.extensions import db
from admin_app.models import Comment, CommentSearch, User
from tests.factories import CommentFactory, PostFactory, UserFactory


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


def search_copy() -> dict[int, str]:
    return {
        row_id: body for row_id, body in db.session.execute(sa.select(CommentSearch.comment_id, CommentSearch.body))
    }


def test_the_search_copy_follows_every_write_to_the_text_whoever_makes_it(app: Flask) -> None:
    """comment_search is kept by triggers (migration 0007): the ORM, plain SQL as the public site writes it, and a
    multi-row INSERT ... SELECT all keep it in step; moderation does not touch it."""
    orm = CommentFactory(body="written by the ORM")
    post = orm.post
    db.session.execute(
        sa.text("INSERT INTO comments (body, timestamp, author_id, post_id) VALUES ('from the site', :now, :a, :p)"),
        {"now": post.timestamp, "a": post.author_id, "p": post.id},
    )
    db.session.execute(
        sa.text(
            "INSERT INTO comments (body, timestamp, author_id, post_id) SELECT body || ' again', timestamp, "
            "author_id, post_id FROM comments"
        )  # fmt: skip
    )
    copies = search_copy()
    assert sorted(copies.values()) == sorted(db.session.scalars(sa.select(Comment.body)))
    assert len(copies) == 4

    db.session.execute(sa.text("UPDATE comments SET body = 'edited' WHERE id = :id"), {"id": orm.id})
    db.session.execute(sa.text("UPDATE comments SET disabled = true, moderation_reason = 'spam'"))
    assert search_copy()[orm.id] == "edited"

    db.session.execute(sa.text("DELETE FROM comments WHERE id = :id"), {"id": orm.id})
    assert orm.id not in search_copy() and len(search_copy()) == 3
    db.session.rollback()


def test_a_deleted_moderator_stays_on_the_rows_shown_as_no_one(app: Flask) -> None:
    moderator = UserFactory()
    comment = CommentFactory(moderated_by_id=moderator.id, disabled=True)
    db.session.execute(sa.delete(User).where(User.id == moderator.id))
    db.session.commit()
    db.session.expire_all()
    kept = db.session.get(Comment, comment.id)
    assert kept is not None and kept.moderated_by_id == moderator.id
    assert kept.moderated_by is None
