"""RoleAdmin: roles and the permission strings they carry."""

from __future__ import annotations

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import String, literal_column

from admin_app import permissions as perm
from admin_app.admin.base import SecuredModelView
from admin_app.models import Role


class RoleAdmin(SecuredModelView):
    permissions = {"read": perm.ROLE_READ, "create": perm.ROLE_MANAGE, "edit": perm.ROLE_MANAGE,
                   "delete": perm.ROLE_MANAGE, "export": (perm.ROLE_READ, perm.REPORT_EXPORT)}  # fmt: skip

    column_list = ("name", "description", "permissions")
    column_export_list = ("id", "name", "description", "permissions")
    # The stored comma-separated text: Flask-Security's AsaList type cannot take part in SQLAlchemy's cache keys.
    export_expressions = {"permissions": lambda: literal_column("roles.permissions", String)}
    column_default_sort = "name"
    column_searchable_list = ("name", "description")
    column_labels = {
        "id": _l("ID"), "name": _l("Name"), "description": _l("Description"), "permissions": _l("Permissions"),
    }  # fmt: skip
    column_formatters = {
        "permissions": lambda _v, _c, role, _n: ", ".join(role.permissions or []),
        "description": lambda _v, _c, role, _n: description(role),
    }
    form_columns = ("name", "description")


def description(role: Role) -> str:
    """A standard role's description in the reader's language, unless an admin rewrote it."""
    standard = perm.ROLES.get(role.name)
    if standard:
        with force_locale("en"):
            english = str(standard[0])
        if role.description == english:
            return str(standard[0])
    return role.description or ""
