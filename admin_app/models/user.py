"""Accounts and roles: Flask-Security-Too's packaged fsqla_v3 models plus Flasky's profile fields."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, cast

from flask_security.models import fsqla_v3 as fsqla
from sqlalchemy import DateTime, Index, Integer, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from admin_app import two_factor
from admin_app.database import utcnow
from admin_app.extensions import db

if TYPE_CHECKING:
    from admin_app.models.comment import Comment
    from admin_app.models.post import Post

fsqla.FsModels.set_db_info(db, user_table_name="users", role_table_name="roles")
roles_users = cast(Table, fsqla.FsModels.roles_users)
Index("ix_roles_users_user_id", roles_users.c.user_id)
Index("ix_roles_users_role_id", roles_users.c.role_id)


class Role(db.Model, fsqla.FsRoleMixin):  # type: ignore[name-defined]
    __tablename__ = "roles"

    def __str__(self) -> str:
        return str(self.name)


class User(db.Model, fsqla.FsUserMixin):  # type: ignore[name-defined]
    __tablename__ = "users"

    name: Mapped[str | None] = mapped_column(String(64))
    location: Mapped[str | None] = mapped_column(String(64))
    about_me: Mapped[str | None] = mapped_column(Text)
    member_since: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    last_seen: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    locale: Mapped[str | None] = mapped_column(String(16))
    timezone: Mapped[str | None] = mapped_column(String(64))
    # The time step of the last TOTP code accepted: a code is good once (admin_app/two_factor.py).
    tf_totp_last_counter: Mapped[int | None] = mapped_column(Integer)

    posts: Mapped[list[Post]] = relationship(
        back_populates="author", lazy="select", passive_deletes=True, foreign_keys="Post.author_id"
    )
    comments: Mapped[list[Comment]] = relationship(
        back_populates="author",
        lazy="select",
        passive_deletes=True,
        foreign_keys="Comment.author_id",
    )

    def check_tf_required(
        self, tf_setup_methods: list[tuple[str, str]], tf_fresh: bool
    ) -> tuple[bool, list[tuple[str, str]]]:
        required, methods = super().check_tf_required(tf_setup_methods, tf_fresh)
        return required or two_factor.requires_two_factor(self), methods

    def check_tf_required_setup(self) -> bool:
        return bool(super().check_tf_required_setup()) or two_factor.requires_two_factor(self)

    def __str__(self) -> str:
        # Never the e-mail: this label appears in lists shown to people without personal-data-read.
        return str(self.username or f"#{self.id}")
