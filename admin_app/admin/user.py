"""UserAdmin: accounts, their roles and profile; the registry's account operations (role changes,
(de)activation, disabling their comments) as its actions."""

from __future__ import annotations

import uuid
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_security import current_user
from sqlalchemy.orm import attributes
from wtforms.validators import ValidationError

from admin_app import permissions as perm
from admin_app.admin import moderation_text as text
from admin_app.admin.access import has_permission
from admin_app.admin.moderation import ModeratedView
from admin_app.models import User
from admin_app.services import user as accounts


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
