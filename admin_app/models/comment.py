"""Comments on posts, with their moderation state: who disabled or enabled them, when and why."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Boolean, DateTime, ForeignKey, Index, String, Text, false, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

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
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    body: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str | None] = mapped_column(Text)
    timestamp: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), index=True)

    moderated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    moderated_at: Mapped[datetime | None] = mapped_column(DateTime)
    moderation_reason: Mapped[str | None] = mapped_column(String(32))
    moderation_note: Mapped[str | None] = mapped_column(Text)

    # The review queue: reviewed once any moderator decided on it; a claim keeps two moderators apart.
    reviewed_at: Mapped[datetime | None] = mapped_column(DateTime)
    claimed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    claimed_until: Mapped[datetime | None] = mapped_column(DateTime)

    author: Mapped[User] = relationship(back_populates="comments", foreign_keys=[author_id])
    post: Mapped[Post] = relationship(back_populates="comments")
    moderated_by: Mapped[User | None] = relationship(foreign_keys=[moderated_by_id])
    claimed_by: Mapped[User | None] = relationship(foreign_keys=[claimed_by_id])

    def __str__(self) -> str:
        return f"#{self.id} {self.body[:40]}"
