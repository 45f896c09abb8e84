"""UserAdmin: accounts, their roles and profile."""

from __future__ import annotations

from typing import Any

from flask_admin.actions import action
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, select

from admin_app import permissions as perm
from admin_app.admin.moderation import ModeratedView
from admin_app.models import Comment
from admin_app.services.moderation import Operation


class UserAdmin(ModeratedView):
    permissions = {"read": perm.USER_READ, "create": perm.USER_MANAGE, "edit": perm.USER_MANAGE,
                   "delete": perm.USER_MANAGE, "moderate": perm.COMMENT_MODERATE}  # fmt: skip
    moderation = {"disable_comments": "user.disable_comments"}

    column_list = ("id", "username", "email", "name", "roles", "active", "member_since", "last_seen")
    column_default_sort = ("id", True)
    column_sortable_list = ("id", "username", "email", "active", "member_since", "last_seen")
    column_searchable_list = ("username", "email", "name")
    column_filters = ("active", "member_since", "roles.name", "location")
    column_details_list = (
        "id", "username", "email", "name", "location", "about_me", "roles", "active",
        "member_since", "last_seen", "locale", "timezone", "last_login_at", "login_count",
    )  # fmt: skip
    column_labels = {
        "id": _l("ID"), "username": _l("Username"), "email": _l("Email"), "name": _l("Name"),
        "roles": _l("Roles"), "roles.name": _l("Role"), "active": _l("Active"),
        "member_since": _l("Member since"), "last_seen": _l("Last seen"), "location": _l("Location"),
        "about_me": _l("About me"), "locale": _l("Language"), "timezone": _l("Time zone"),
        "last_login_at": _l("Last login"), "login_count": _l("Logins"),
    }  # fmt: skip
    form_columns = ("username", "email", "name", "location", "about_me", "roles", "active", "locale", "timezone")

    @action("disable_comments", _l("Disable all their comments"))
    def action_disable_comments(self, ids: list[str]) -> str:
        return self.confirm("user.disable_comments")

    def target_ids(self, operation: Operation, selection: Select[Any]) -> Select[Any]:
        return select(Comment.id).where(Comment.author_id.in_(selection))
