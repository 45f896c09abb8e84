"""AuditAdmin: the audit trail, read-only for everyone; undo from an entry's details page."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from admin_app import permissions as perm
from admin_app.admin import formatters
from admin_app.admin import moderation_text as text
from admin_app.admin.base import SecuredModelView
from admin_app.admin.moderation import UNDO_ENDPOINTS
from admin_app.extensions import db
from admin_app.models import AuditEntry, AuditRow
from admin_app.services.moderation import OPERATIONS

SHOWN_ROWS = 200


class AuditAdmin(SecuredModelView):
    # Only "read" is granted to anyone: no create, edit or delete, whatever the role.
    permissions = {"read": perm.AUDIT_READ}
    details_template = "admin/audit_details.html"

    column_list = ("created_at", "actor_email", "action", "target", "reason", "row_count", "remote_addr", "undone_by")
    column_default_sort = ("created_at", True)
    column_sortable_list = ("created_at", "actor_email", "action", "target")
    column_filters = ("actor_email", "action", "target", "created_at", "reason")
    column_searchable_list = ("actor_email", "note")
    column_details_list = (
        "id", "created_at", "actor_email", "remote_addr", "action", "target", "reason", "note", "row_count",
        "details", "undo_of", "undone_by",
    )  # fmt: skip
    column_labels = {
        "id": _l("ID"), "created_at": _l("When"), "actor_email": _l("Who"), "remote_addr": _l("From address"),
        "action": _l("Action"), "target": _l("Table"), "reason": _l("Reason"), "note": _l("Note"),
        "row_count": _l("Rows"), "details": _l("Details"), "undo_of": _l("Undoes"), "undone_by": _l("Undone by"),
    }  # fmt: skip
    column_formatters = {
        "reason": lambda _v, _c, entry, _n: text.reason_label(entry.reason),
        "action": lambda _v, _c, entry, _n: text.action_label(entry.action),
        "undone_by": lambda _v, _c, entry, _n: f"#{entry.undone_by.id}" if entry.undone_by else "",
        "undo_of": lambda _v, _c, entry, _n: f"#{entry.undo_of_id}" if entry.undo_of_id else "",
        "note": formatters.excerpt("note", 80),
    }

    def render(self, template: str, **kwargs: Any) -> Any:
        if template == self.details_template and kwargs.get("model") is not None:
            kwargs |= self.undo_context(kwargs["model"])
        return super().render(template, **kwargs)

    def undo_context(self, entry: AuditEntry) -> dict[str, Any]:
        operation = OPERATIONS.get(entry.action)
        rows = db.session.scalars(
            select(AuditRow).where(AuditRow.entry_id == entry.id).order_by(AuditRow.row_id).limit(SHOWN_ROWS)
        ).all()
        undoable = operation is not None and operation.undoable and entry.undone_by is None
        return {
            "affected_rows": rows,
            "undo_endpoint": UNDO_ENDPOINTS.get(entry.target) if undoable else None,
            "shown_rows": SHOWN_ROWS,
        }
