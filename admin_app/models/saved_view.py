"""Saved views: a list's filters, search, sort and columns under a name, kept for oneself or shared with a role.

What is kept is what the list's URL says (admin_app/services/saved_views.py), except the sort, kept by column name
rather than by position: the reader's list may show other columns than the saver's (a moderator opening an
administrator's view of the users). Opening a view rebuilds the URL for the reader's own list.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, DateTime, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from admin_app.database import utcnow
from admin_app.extensions import db
from admin_app.models.audit import JSONType
from admin_app.models.user import Role, User


class SavedView(db.Model):  # type: ignore[name-defined]
    __tablename__ = "saved_views"
    __table_args__ = (UniqueConstraint("owner_id", "list_name", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    list_name: Mapped[str] = mapped_column(String(32))  # the list's endpoint ("comment", "member", ...)
    name: Mapped[str] = mapped_column(String(80))
    args: Mapped[list[list[str]]] = mapped_column(JSONType, default=list)  # [[name, value], ...]: filters, search
    sort: Mapped[str | None] = mapped_column(String(64))  # a column's name
    desc: Mapped[bool] = mapped_column(Boolean, default=False)
    columns: Mapped[list[str] | None] = mapped_column(JSONType)  # None: the list's own
    role_id: Mapped[int | None] = mapped_column(ForeignKey("roles.id", ondelete="SET NULL"), index=True)
    pinned: Mapped[bool] = mapped_column(Boolean, default=False)  # on the dashboard, with its count
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    owner: Mapped[User] = relationship(User, lazy="joined")
    role: Mapped[Role | None] = relationship(Role, lazy="joined")

    def __str__(self) -> str:
        return self.name

    def __repr__(self) -> str:
        return f"<SavedView {self.id} {self.list_name}: {self.name!r}>"

    @property
    def pairs(self) -> list[tuple[str, Any]]:
        return [(str(name), str(value)) for name, value in self.args or ()]
