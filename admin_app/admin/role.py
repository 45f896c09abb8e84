"""RoleAdmin: roles and the permission strings they carry."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from admin_app import permissions as perm
from admin_app.admin.base import SecuredModelView


class RoleAdmin(SecuredModelView):
    permissions = {"read": perm.ROLE_READ, "create": perm.ROLE_MANAGE, "edit": perm.ROLE_MANAGE,
                   "delete": perm.ROLE_MANAGE}  # fmt: skip

    column_list = ("name", "description", "permissions")
    column_default_sort = "name"
    column_searchable_list = ("name", "description")
    column_labels = {"name": _l("Name"), "description": _l("Description"), "permissions": _l("Permissions")}
    column_formatters = {"permissions": lambda _v, _c, role, _n: ", ".join(role.permissions or [])}
    form_columns = ("name", "description")
