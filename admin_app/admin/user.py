"""UserAdmin: accounts, their roles and profile; bulk role changes, (de)activation, disabling their comments."""

from __future__ import annotations

import uuid
from typing import Any

from flask_admin.actions import action
from flask_babel import lazy_gettext as _l
from flask_security import current_user
from sqlalchemy import Select, func, select
from sqlalchemy.orm import attributes
from wtforms import SelectField
from wtforms.validators import InputRequired, ValidationError

from admin_app import permissions as perm
from admin_app.admin import moderation_text as text
from admin_app.admin.access import has_permission
from admin_app.admin.export import role_names_of
from admin_app.admin.moderation import ModeratedView, ModerationForm, current_actor
from admin_app.extensions import db
from admin_app.models import Comment, Role, User
from admin_app.services import user as accounts
from admin_app.services.moderation import Operation


class RoleChangeForm(ModerationForm):
    role = SelectField(_l("Role"), validators=[InputRequired()])


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
        "export": (perm.USER_READ, perm.PERSONAL_DATA, perm.REPORT_EXPORT),
    }
    moderation = {
        "disable_comments": "user.disable_comments",
        "add_role": "user.add_role",
        "remove_role": "user.remove_role",
        "deactivate": "user.deactivate",
        "reactivate": "user.activate",
    }
    risky_operations = frozenset({"user.add_role", "user.remove_role", "user.deactivate", "user.activate"})
    operation_capabilities = {
        "user.add_role": "assign",
        "user.remove_role": "assign",
        "user.deactivate": "edit",
        "user.activate": "edit",
    }

    column_list: tuple[str, ...] = ("id", "username", "email", "name", "roles", "active", "member_since", "last_seen")
    column_export_list: tuple[str, ...] = (
        "id", "username", "email", "name", "roles", "active", "member_since", "last_seen", "current_login_at",
        "current_login_ip",
    )  # fmt: skip
    export_expressions = {"roles": lambda: role_names_of(User.id)}
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

    @action("disable_comments", _l("Disable all their comments"))
    def action_disable_comments(self, ids: list[str]) -> str:
        return self.confirm("user.disable_comments")

    @action("add_role", _l("Add a role"))
    def action_add_role(self, ids: list[str]) -> str:
        return self.confirm("user.add_role")

    @action("remove_role", _l("Remove a role"))
    def action_remove_role(self, ids: list[str]) -> str:
        return self.confirm("user.remove_role")

    @action("deactivate", _l("Deactivate"))
    def action_deactivate(self, ids: list[str]) -> str:
        return self.confirm("user.deactivate")

    @action("reactivate", _l("Reactivate"))
    def action_reactivate(self, ids: list[str]) -> str:
        return self.confirm("user.activate")

    def target_ids(self, operation: Operation, selection: Select[Any]) -> Select[Any]:
        return select(Comment.id).where(Comment.author_id.in_(selection))

    # Account operations on the confirmation page and when confirmed.

    def operation_form(self, name: str) -> type[ModerationForm]:
        return RoleChangeForm if name in ("user.add_role", "user.remove_role") else ModerationForm

    def moderation_form(self, name: str) -> ModerationForm:
        form = super().moderation_form(name)
        if isinstance(form, RoleChangeForm):
            form.role.choices = [
                (role.name, role.name) for role in db.session.scalars(select(Role).order_by(Role.name))
            ]
        return form

    def count_changing(self, name: str, selection: Select[Any]) -> int:
        if name == "user.disable_comments":
            return super().count_changing(name, selection)
        selected = select(User.id).where(User.id.in_(selection))
        if name in ("user.deactivate", "user.activate"):
            selected = selected.where(User.active.is_not(name == "user.activate"))
        return db.session.scalar(select(func.count()).select_from(selected.subquery())) or 0

    def run(self, name: str, selection: Select[Any], form: ModerationForm, details: dict[str, Any] | None) -> Any:
        if name == "user.disable_comments":
            return super().run(name, selection, form, details)
        actor_user, reason, note = current_user._get_current_object(), form.reason.data, form.note.data or None
        if isinstance(form, RoleChangeForm):
            change = {"add" if name == "user.add_role" else "remove": [form.role.data]}
            return accounts.change_roles(selection, actor_user, current_actor(), reason=reason, note=note, **change)
        active = name == "user.activate"
        return accounts.set_active(selection, active, actor_user, current_actor(), reason=reason, note=note)

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
