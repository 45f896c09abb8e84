"""CommentAdmin: comments and their moderation state."""

from __future__ import annotations

from typing import Any

from flask_admin.contrib.sqla.filters import BooleanEqualFilter
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from admin_app import permissions as perm
from admin_app.admin import formatters
from admin_app.admin.export import AUTHOR, with_author
from admin_app.admin.lookups import ScopedLookup
from admin_app.admin.moderation import ModeratedView
from admin_app.models import Comment, CommentSearch, Post, User


class CommentAdmin(ModeratedView):
    # Comments are deleted through the audited "delete" action, not Flask-Admin's per-row delete.
    permissions = {"read": perm.COMMENT_READ, "create": perm.COMMENT_MANAGE, "edit": perm.COMMENT_MANAGE,
                   "moderate": perm.COMMENT_MODERATE, "export": (perm.COMMENT_READ, perm.REPORT_EXPORT)}  # fmt: skip

    column_list = ("id", "author", "post", "body", "timestamp", "disabled")
    column_export_list = (
        "id", "author", "post_id", "body", "timestamp", "disabled", "moderation_reason", "moderated_at",
    )  # fmt: skip
    export_expressions = {"author": lambda: AUTHOR.username}
    export_labels = {"disabled": _l("Disabled")}

    def export_query(self, query: Any) -> Any:
        return with_author(query, Comment.author_id)

    column_default_sort = ("timestamp", True)
    # Sortable where an index serves the sort at any size; the status is a filter (a boolean sorts a million ties).
    column_sortable_list = ("id", "timestamp", ("author", "author.username"))
    column_searchable_list = ("body",)

    def search_condition(self, field: Any, pattern: str) -> Any:
        if field.key != "body":
            return super().search_condition(field, pattern)
        # The text is searched in comment_search, where its trigram index lives (models/comment.py).
        matching = select(CommentSearch.comment_id).where(super().search_condition(CommentSearch.body, pattern))
        return Comment.id.in_(matching)

    column_filters = (
        BooleanEqualFilter(Comment.disabled, _l("Disabled")),
        "timestamp",
        "author.username",
        "post_id",
        "moderation_reason",
    )
    column_details_list = (
        "id", "author", "post", "timestamp", "body", "body_html", "disabled",
        "moderated_by", "moderated_at", "moderation_reason", "moderation_note",
    )  # fmt: skip
    column_labels = {
        # Translators: "Post" is the noun: the blog post a comment belongs to.
        "id": _l("ID"), "author": _l("Author"), "author.username": _l("Author"), "post": _l("Post"),
        # Translators: "Rendered" is the comment's text as shown on the site (HTML from its Markdown); "Posted" a date.
        "post_id": _l("Post ID"), "body": _l("Text"), "body_html": _l("Rendered"), "timestamp": _l("Posted"),
        "disabled": _l("Status"), "moderated_by": _l("Moderated by"), "moderated_at": _l("Moderated at"),
        "moderation_reason": _l("Reason"), "moderation_note": _l("Moderation note"),
    }  # fmt: skip
    column_formatters = {
        "body": formatters.excerpt("body"),
        "post": formatters.related_excerpt("post"),
        "disabled": formatters.comment_status(formatters.status("disabled", _l("Disabled"))),
    }
    form_columns = ("author", "post", "body", "disabled")
    form_ajax_refs = {
        "author": ScopedLookup("author", User, fields=("username",), personal_fields=("email",)),
        "post": ScopedLookup("post", Post, fields=("body",)),
    }
