"""AuditAdmin: the audit trail, read-only for everyone; undo from an entry's details page."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from admin_app import permissions as perm
from admin_app.admin import formatters
from admin_app.admin import moderation_text as text
from admin_app.admin.base import SecuredModelView
from admin_app.admin.moderation import undo_endpoint
from admin_app.extensions import db
from admin_app.models import AuditEntry, AuditRow, User
from admin_app.services.operations import OPERATIONS

SHOWN_ROWS = 200


class AuditAdmin(SecuredModelView):
    # Only "read" is granted to anyone: no create, edit or delete, whatever the role.
    permissions = {"read": perm.AUDIT_READ, "export": (perm.AUDIT_READ, perm.REPORT_EXPORT)}
    details_template = "admin/audit_details.html"

    column_list = ("created_at", "actor_email", "action", "target", "reason", "row_count", "remote_addr", "undone_by")
    column_export_list = (
        "id", "created_at", "actor_email", "remote_addr", "action", "target", "reason", "note", "undo_of_id",
    )  # fmt: skip
    column_default_sort = ("created_at", True)
    column_sortable_list = ("created_at", "actor_email", "action", "target")
    column_filters = ("actor_email", "action", "target", "created_at", "reason")
    column_searchable_list = ("actor_email", "note")
    column_details_list = (
        "id", "created_at", "actor_email", "remote_addr", "action", "target", "reason", "note", "row_count",
        "details", "undo_of", "undone_by",
    )  # fmt: skip
    column_labels = {
        # Translators: audit trail column headings. "Who" is the person who acted, "From address" their IP address.
        "id": _l("ID"), "created_at": _l("When"), "actor_email": _l("Who"), "remote_addr": _l("From address"),
        # Translators: "Table" is the database table an operation changed; "Rows" how many of its rows changed.
        "action": _l("Action"), "target": _l("Table"), "reason": _l("Reason"), "note": _l("Note"),
        "row_count": _l("Rows"), "details": _l("Details"), "undo_of": _l("Undoes"), "undone_by": _l("Undone by"),
        "undo_of_id": _l("Undoes"),
    }  # fmt: skip
    column_formatters = {
        "actor_email": lambda _v, _c, entry, _n: actor_label(entry),
        "reason": lambda _v, _c, entry, _n: text.reason_label(entry.reason),
        "action": lambda _v, _c, entry, _n: text.action_label(entry.action),
        "undone_by": lambda _v, _c, entry, _n: f"#{entry.undone_by.id}" if entry.undone_by else "",
        "undo_of": lambda _v, _c, entry, _n: f"#{entry.undo_of_id}" if entry.undo_of_id else "",
        "note": formatters.excerpt("note", 80),
        "row_count": lambda _v, _c, entry, _n: rows_changed(entry),
        # Entries with a before-and-after table (below) need not show the same facts as JSON.
        "details": lambda _v, _c, entry, _n: gettext("See below.") if change_rows(entry) else entry.details,
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
            "change_rows": change_rows(entry),
            "undo_endpoint": undo_endpoint(operation) if operation is not None and undoable else None,
            "shown_rows": SHOWN_ROWS,
        }


def actor_label(entry: AuditEntry) -> str:
    """Who acted: the person's address, or the rule that caught new comments by itself."""
    details = entry.details if isinstance(entry.details, dict) else {}
    if entry.actor_id is None and details.get("source") == "rules":
        return gettext("Rule #%(id)s", id=details.get("rule"))
    return entry.actor_email or ""


def change_rows(entry: AuditEntry) -> list[tuple[str, str, str]]:
    """An entry's before and after, one (what, before, after) line per user or field, for people to read: account
    operations per user (from their audit rows), form edits per field."""
    details = entry.details if isinstance(entry.details, dict) else {}
    operation = OPERATIONS.get(entry.action)
    if operation is not None and operation.changes is User:
        return account_rows(entry, operation, details)
    if entry.action == "user.roles" or "users" in details:  # recorded before account operations had audit rows
        return legacy_account_rows(entry, details)
    changes = details.get("changes")
    if isinstance(changes, dict):
        return [(str(field), shown(before), shown(after)) for field, (before, after) in changes.items()]
    return []


def account_rows(entry: AuditEntry, operation: Any, details: dict[str, Any]) -> list[tuple[str, str, str]]:
    rows = db.session.scalars(
        select(AuditRow).where(AuditRow.entry_id == entry.id).order_by(AuditRow.row_id).limit(SHOWN_ROWS)
    ).all()
    names = user_labels(row.row_id for row in rows)
    role = details.get("role")
    lines = []
    for row in rows:
        if role is None:  # (de)activation
            lines.append((names[row.row_id], active_label(row.flag_before), active_label(operation.value)))
            continue
        before = sorted(name.strip() for name in (row.roles_before or "").split(",") if name.strip())
        after = sorted({*before, role}) if operation.value else [name for name in before if name != role]
        lines.append((names[row.row_id], shown(before), shown(after)))
    return lines


def legacy_account_rows(entry: AuditEntry, details: dict[str, Any]) -> list[tuple[str, str, str]]:
    if entry.action == "user.roles":
        changes = details.get("changes", {})
        names = user_labels(int(user_id) for user_id in changes)
        return [(names[int(uid)], shown(before), shown(after)) for uid, (before, after) in changes.items()]
    before, after = (active_label(flag) for flag in details.get("active", [None, None]))
    return [(name, before, after) for name in user_labels(details.get("users", [])).values()]


def rows_changed(entry: AuditEntry) -> int:
    """Operations record each row they changed; an export the rows that went out; older account entries listed
    their users in the details."""
    details = entry.details if isinstance(entry.details, dict) else {}
    if isinstance(details.get("rows"), int):  # an export: the rows that went out
        return int(details["rows"])
    return int(entry.row_count) or len(details.get("changes", {}) or details.get("users", []))


def user_labels(ids: Any) -> dict[int, str]:
    wanted = list(ids)[:SHOWN_ROWS]
    found = {user.id: f"{user} (#{user.id})" for user in db.session.scalars(select(User).where(User.id.in_(wanted)))}
    return {user_id: found.get(user_id, f"#{user_id}") for user_id in wanted}


def active_label(flag: object) -> str:
    return gettext("active") if flag else gettext("deactivated")


def shown(value: object) -> str:
    if isinstance(value, list):
        return ", ".join(str(item) for item in value) or "—"
    return "—" if value is None or value == "" else str(value)
