"""PostAdmin: blog posts."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from admin_app import permissions as perm
from admin_app.admin import formatters
from admin_app.admin.base import SecuredModelView


class PostAdmin(SecuredModelView):
    permissions = {"read": perm.POST_READ, "create": perm.POST_MANAGE, "edit": perm.POST_MANAGE,
                   "delete": perm.POST_MODERATE}  # fmt: skip

    column_list = ("id", "author", "body", "timestamp")
    column_default_sort = ("timestamp", True)
    column_sortable_list = ("id", "timestamp", ("author", "author.username"))
    column_searchable_list = ("body",)
    column_filters = ("timestamp", "author.username")
    column_details_list = ("id", "author", "timestamp", "body", "body_html")
    column_labels = {
        "id": _l("ID"), "author": _l("Author"), "author.username": _l("Author"), "body": _l("Text"),
        "body_html": _l("Rendered"), "timestamp": _l("Posted"),
    }  # fmt: skip
    column_formatters = {"body": formatters.excerpt("body")}
    form_columns = ("author", "body")
    form_ajax_refs = {"author": {"fields": ("username", "email"), "page_size": 10}}
