"""Blog posts, as in Flasky: markdown body with its rendered, sanitised HTML."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Boolean, DateTime, ForeignKey, Index, String, Text, false, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from admin_app.database import utcnow
from admin_app.extensions import db

if TYPE_CHECKING:
    from admin_app.models.comment import Comment
    from admin_app.models.user import User


class Post(db.Model):  # type: ignore[name-defined]
    __tablename__ = "posts"
    __table_args__ = (
        Index("ix_posts_hidden_timestamp", "timestamp", postgresql_where=text("hidden"), sqlite_where=text("hidden")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    body: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str | None] = mapped_column(Text)
    timestamp: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    hidden: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    moderated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    moderated_at: Mapped[datetime | None] = mapped_column(DateTime)
    moderation_reason: Mapped[str | None] = mapped_column(String(32))
    moderation_note: Mapped[str | None] = mapped_column(Text)

    author: Mapped[User] = relationship(back_populates="posts", foreign_keys=[author_id])
    moderated_by: Mapped[User | None] = relationship(foreign_keys=[moderated_by_id])
    comments: Mapped[list[Comment]] = relationship(back_populates="post", passive_deletes=True)

    def __str__(self) -> str:
        return f"#{self.id} {self.body[:40]}"
