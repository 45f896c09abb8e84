"""UserAdmin: accounts, their roles and profile; the registry's account operations (role changes,
(de)activation, disabling their comments) as its actions."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from flask import current_app, request
from flask_babel import format_datetime, gettext
from flask_babel import lazy_gettext as _l
from flask_security import current_user
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import attributes
from wtforms.validators import ValidationError

from admin_app import permissions as perm
from admin_app.admin import moderation_text as text
from admin_app.admin.access import has_permission
from admin_app.admin.audit import actor_label
from admin_app.admin.list_args import list_views
from admin_app.admin.moderation import ModeratedView, undo_button, undo_endpoint
from admin_app.database import utcnow
from admin_app.extensions import db
from admin_app.models import Suspension, User
from admin_app.services import history
from admin_app.services import user as accounts
from admin_app.services.operations import OPERATIONS


@dataclass(frozen=True)
class SuspensionRow:
    created_at: str
    until: str
    by: str
    reason: str
    note: str | None
    state: str
    open: bool


def suspension_rows(user_id: int) -> list[SuspensionRow]:
    """A member's suspensions, newest first, as their page shows them: when, until when, who, why, and now."""
    found = db.session.scalars(
        select(Suspension).where(Suspension.user_id == user_id).order_by(Suspension.id.desc()).limit(50)
    ).all()
    ids = {row.created_by_id for row in found} | {row.lifted_by_id for row in found}
    names = {user.id: str(user) for user in db.session.scalars(select(User).where(User.id.in_(ids - {None})))}
    rows = []
    for row in found:
        if row.lifted_at is None:
            state = gettext("In force")
        elif row.lifted_by_id is None:
            state = gettext("Ended %(when)s", when=format_datetime(row.lifted_at, "medium"))
        else:
            state = gettext("Lifted by %(who)s, %(when)s", who=names.get(row.lifted_by_id, f"#{row.lifted_by_id}"),
                            when=format_datetime(row.lifted_at, "medium"))  # fmt: skip
        rows.append(
            SuspensionRow(
                format_datetime(row.created_at, "medium"),
                format_datetime(row.ends_at, "medium") if row.ends_at else gettext("until lifted"),
                names.get(row.created_by_id, f"#{row.created_by_id}") if row.created_by_id else "—",
                text.reason_label(row.reason),
                row.note,
                state,
                row.lifted_at is None,
            )
        )
    return rows


@dataclass(frozen=True)
class TouchRow:
    """An operation on a member's page: when, what, who, why, how many of their rows, and its undo."""

    when: str
    entry_id: int
    action: str
    who: str
    reason: str
    rows: int
    undo: Markup  # the undo button, where the reader may still undo it
    undone: bool


def touch_rows(touches: list[history.Touch], return_url: str) -> list[TouchRow]:
    window = timedelta(hours=current_app.config["UNDO_WINDOW_HOURS"])
    oldest = utcnow() - window
    rows = []
    for touch in touches:
        entry = touch.entry
        operation = OPERATIONS.get(entry.action)
        endpoint = undo_endpoint(operation) if operation is not None else None
        view = list_views().get(endpoint.partition(".")[0]) if endpoint else None
        may_undo = (
            operation is not None and view is not None and view.allows(operation.capability)
            and entry.undone_by is None and entry.created_at >= oldest
            and (entry.actor_id == current_user.id or has_permission(perm.UNDO_ANY))
        )  # fmt: skip
        rows.append(
            TouchRow(
                format_datetime(entry.created_at, "medium"), entry.id, text.action_label(entry.action),
                actor_label(entry), text.reason_label(entry.reason), touch.rows,
                undo_button(operation, entry.id, return_url) if may_undo and operation else Markup(""),
                entry.undone_by is not None,
            )
        )  # fmt: skip
    return rows


class UserAdmin(ModeratedView):
    # Everything here shows personal data: each capability needs personal-data-read too (MemberAdmin, below,
    # is the same list without it).
    permissions = {
        "read": (perm.USER_READ, perm.PERSONAL_DATA),
        "create": (perm.USER_MANAGE, perm.PERSONAL_DATA),
        "edit": (perm.USER_MANAGE, perm.PERSONAL_DATA),
        "delete": (perm.USER_MANAGE, perm.PERSONAL_DATA),
        "moderate": (perm.COMMENT_MODERATE, perm.PERSONAL_DATA),
        "assign": (perm.ROLE_ASSIGN, perm.PERSONAL_DATA),
        "suspend": (perm.MEMBER_SUSPEND, perm.PERSONAL_DATA),
        "export": (perm.USER_READ, perm.PERSONAL_DATA, perm.REPORT_EXPORT),
    }
    details_template = "admin/user_details.html"
    column_list: tuple[str, ...] = ("id", "username", "email", "name", "roles", "active", "member_since", "last_seen")
    column_export_list: tuple[str, ...] = (
        "id", "username", "email", "name", "roles", "active", "member_since", "last_seen", "current_login_at",
        "current_login_ip",
    )  # fmt: skip
    export_expressions = {"roles": lambda: accounts.role_names(User.id)}
    export_needs_fresh_login = True  # e-mail and login addresses
    column_default_sort = ("id", True)
    column_sortable_list: tuple[str, ...] = ("id", "username", "email", "active", "member_since", "last_seen")
    column_searchable_list: tuple[str, ...] = ("username", "email", "name")
    column_filters = ("active", "member_since", "roles.name", "location")
    column_details_list: tuple[str, ...] = (
        "id", "username", "email", "name", "location", "about_me", "roles", "active", "member_since", "last_seen",
        "locale", "timezone", "last_login_at", "last_login_ip", "current_login_at", "current_login_ip", "login_count",
    )  # fmt: skip
    column_labels = {
        "id": _l("ID"), "username": _l("Username"), "email": _l("Email"), "name": _l("Name"),
        "roles": _l("Roles"), "roles.name": _l("Role"), "active": _l("Active"),
        "member_since": _l("Member since"), "last_seen": _l("Last seen"), "location": _l("Location"),
        "about_me": _l("About me"), "locale": _l("Language"), "timezone": _l("Time zone"),
        "last_login_at": _l("Last login"), "login_count": _l("Logins"), "last_login_ip": _l("Last login from"),
        "current_login_at": _l("Current login"), "current_login_ip": _l("Current login from"),
    }  # fmt: skip
    form_columns: tuple[str, ...] = (
        "username",
        "email",
        "name",
        "location",
        "about_me",
        "roles",
        "active",
        "locale",
        "timezone",
    )

    def render(self, template: str, **kwargs: Any) -> Any:
        if template == self.details_template and kwargs.get("model") is not None:
            member = kwargs["model"].id
            found = history.of_member(member)
            kwargs.setdefault("suspensions", suspension_rows(member))
            kwargs.setdefault("history", found)
            kwargs.setdefault("touches", touch_rows(found.operations, request.full_path))
        return super().render(template, **kwargs)

    # The user form: fields one may not set are not in the form at all; the guardrails apply as in bulk.

    def build_new_instance(self) -> Any:
        # Flask-Security's identity for sessions and tokens; the form's role field adds the new user to the
        # session (a relationship cascade) before on_model_change runs, and the column is NOT NULL.
        user = super().build_new_instance()
        user.fs_uniquifier = uuid.uuid4().hex
        return user

    def create_form(self, obj: Any = None) -> Any:
        return self._without_forbidden_fields(super().create_form(obj))

    def edit_form(self, obj: Any = None) -> Any:
        return self._without_forbidden_fields(super().edit_form(obj))

    def _without_forbidden_fields(self, form: Any) -> Any:
        if not self.allows("assign") and "roles" in form:
            del form.roles
        return form

    def on_model_change(self, form: Any, model: User, is_created: bool) -> None:
        history = attributes.get_history(model, "roles")
        before = {role.name for role in [*history.unchanged, *history.deleted]}
        after = {role.name for role in model.roles}
        deactivating = attributes.get_history(model, "active").deleted == [True] and not model.active
        try:
            accounts.check_edit(current_user._get_current_object(), model.id, before, after, deactivating)
        except accounts.Refused as refused:
            raise ValidationError(text.refused(refused.code, refused.role)) from refused
        if deactivating:  # as in bulk: every session and remember-me cookie issued so far ends for good
            model.fs_uniquifier = uuid.uuid4().hex
        super().on_model_change(form, model, is_created)


class MemberAdmin(UserAdmin):
    """The user list for readers without personal-data-read: no e-mail, login address or time anywhere (list,
    details, filters, search, forms). Shown in the menu instead of UserAdmin to whoever cannot open that."""

    permissions = {
        "read": perm.USER_READ,
        "moderate": perm.COMMENT_MODERATE,
        "suspend": perm.MEMBER_SUSPEND,
        "export": (perm.USER_READ, perm.REPORT_EXPORT),
    }
    column_list = ("id", "username", "name", "roles", "active", "member_since", "last_seen")
    column_export_list = column_list
    export_needs_fresh_login = False
    column_sortable_list = ("id", "username", "active", "member_since", "last_seen")
    column_searchable_list = ("username", "name")
    column_filters = ("active", "member_since", "roles.name", "location")
    column_details_list = (
        "id", "username", "name", "location", "about_me", "roles", "active", "member_since", "last_seen",
    )  # fmt: skip
    form_columns = ()

    def is_visible(self) -> bool:
        return not has_permission(perm.PERSONAL_DATA)
