"""PostAdmin: blog posts."""

from __future__ import annotations

from typing import Any

from flask_admin.contrib.sqla.filters import BooleanEqualFilter
from flask_babel import lazy_gettext as _l

from admin_app import permissions as perm
from admin_app.admin import formatters
from admin_app.admin.export import AUTHOR, with_author
from admin_app.admin.lookups import ScopedLookup
from admin_app.admin.moderation import ModeratedView
from admin_app.models import Post, User


class PostAdmin(ModeratedView):
    # Posts are deleted through the audited "delete" action, not Flask-Admin's per-row delete.
    permissions = {"read": perm.POST_READ, "create": perm.POST_MANAGE, "edit": perm.POST_MANAGE,
                   "moderate": perm.POST_MODERATE, "export": (perm.POST_READ, perm.REPORT_EXPORT)}  # fmt: skip

    column_list = ("id", "author", "body", "timestamp", "hidden")
    column_export_list = ("id", "author", "body", "timestamp", "hidden", "moderation_reason", "moderated_at")
    export_expressions = {"author": lambda: AUTHOR.username}
    export_labels = {"hidden": _l("Hidden")}

    def export_query(self, query: Any) -> Any:
        return with_author(query, Post.author_id)

    column_default_sort = ("timestamp", True)
    column_sortable_list = ("id", "timestamp", ("author", "author.username"))  # the status is a filter
    column_searchable_list = ("body",)
    column_filters = (
        BooleanEqualFilter(Post.hidden, _l("Hidden")),
        "timestamp",
        "author.username",
        "moderation_reason",
    )
    column_details_list = (
        "id", "author", "timestamp", "body", "body_html", "hidden",
        "moderated_by", "moderated_at", "moderation_reason", "moderation_note",
    )  # fmt: skip
    column_labels = {
        "id": _l("ID"), "author": _l("Author"), "author.username": _l("Author"), "body": _l("Text"),
        "body_html": _l("Rendered"), "timestamp": _l("Posted"), "hidden": _l("Status"),
        "moderated_by": _l("Moderated by"), "moderated_at": _l("Moderated at"), "moderation_reason": _l("Reason"),
        "moderation_note": _l("Moderation note"),
    }  # fmt: skip
    column_formatters = {"body": formatters.excerpt("body"), "hidden": formatters.status("hidden", _l("Hidden"))}
    form_columns = ("author", "body")
    form_ajax_refs = {"author": ScopedLookup("author", User, fields=("username",), personal_fields=("email",))}
