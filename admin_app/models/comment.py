"""Comments on posts, with their moderation state: who disabled or enabled them, when and why.

Moderation writes many rows at once, and changing ``disabled`` (a partial index's predicate) is never a HOT update:
each moderated row gets a new entry in every index of ``comments``. So the table keeps few, narrow indexes
(migration 0007): the search text and its trigram index live in ``comment_search``, which triggers keep in step
with the comments' text; ``moderated_by_id`` has neither index nor foreign key (the audit trail says who did what;
a deleted moderator's id stays, shown as no one).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Boolean, DateTime, ForeignKey, Index, Integer, String, Text, false, text
from sqlalchemy.orm import Mapped, foreign, mapped_column, relationship

from admin_app.database import utcnow
from admin_app.extensions import db

if TYPE_CHECKING:
    from admin_app.models.post import Post
    from admin_app.models.user import User


class Comment(db.Model):  # type: ignore[name-defined]
    __tablename__ = "comments"
    __table_args__ = (
        # The moderation filter "disabled = true" is a small slice of a large table.
        Index(
            "ix_comments_disabled_timestamp",
            "timestamp",
            postgresql_where=text("disabled"),
            sqlite_where=text("disabled"),
        ),
        # The review queue reads unreviewed comments oldest first.
        Index(
            "ix_comments_unreviewed_timestamp",
            "timestamp",
            postgresql_where=text("reviewed_at IS NULL"),
            sqlite_where=text("reviewed_at IS NULL"),
        ),
        # The list's default sort, with its tie-break.
        Index("ix_comments_timestamp_id", "timestamp", "id"),
        # The few claimed comments: a claim's lookup and the foreign key's ON DELETE, not a million NULLs.
        Index(
            "ix_comments_claimed_by_id",
            "claimed_by_id",
            postgresql_where=text("claimed_by_id IS NOT NULL"),
            sqlite_where=text("claimed_by_id IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    body: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str | None] = mapped_column(Text)
    timestamp: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), index=True)

    moderated_by_id: Mapped[int | None] = mapped_column(Integer)
    moderated_at: Mapped[datetime | None] = mapped_column(DateTime)
    moderation_reason: Mapped[str | None] = mapped_column(String(32))
    moderation_note: Mapped[str | None] = mapped_column(Text)

    # The review queue: reviewed once any moderator decided on it; a claim keeps two moderators apart.
    reviewed_at: Mapped[datetime | None] = mapped_column(DateTime)
    claimed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    claimed_until: Mapped[datetime | None] = mapped_column(DateTime)

    author: Mapped[User] = relationship(back_populates="comments", foreign_keys=[author_id])
    post: Mapped[Post] = relationship(back_populates="comments")
    moderated_by: Mapped[User | None] = relationship(
        primaryjoin=lambda: foreign(Comment.moderated_by_id) == _user_id(), viewonly=True
    )
    claimed_by: Mapped[User | None] = relationship(foreign_keys=[claimed_by_id])

    def __str__(self) -> str:
        return f"#{self.id} {self.body[:40]}"


def _user_id() -> Any:
    from admin_app.models.user import User

    return User.id


class CommentSearch(db.Model):  # type: ignore[name-defined]
    """A comment's text again, for the search alone (its trigram index is here, PostgreSQL only, in the
    migrations), so that moderating comments never writes to that index. Kept by triggers on ``comments``
    (migration 0007): a new comment or a changed text is copied in the same statement, whoever writes it."""

    __tablename__ = "comment_search"

    comment_id: Mapped[int] = mapped_column(ForeignKey("comments.id", ondelete="CASCADE"), primary_key=True)
    body: Mapped[str] = mapped_column(Text)
