"""The audit trail's writer: one entry per operation, in the caller's transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import inspect

from admin_app.database import utcnow
from admin_app.extensions import db
from admin_app.models import AuditEntry


@dataclass(frozen=True)
class Actor:
    user_id: int | None
    email: str | None
    remote_addr: str | None


def record(
    action: str,
    target: str,
    actor: Actor,
    *,
    reason: str | None = None,
    note: str | None = None,
    details: dict[str, Any] | None = None,
    now: datetime | None = None,
    undo_of: AuditEntry | None = None,
) -> AuditEntry:
    entry = AuditEntry(
        created_at=now or utcnow(),
        actor_id=actor.user_id,
        actor_email=actor.email,
        remote_addr=actor.remote_addr,
        action=action,
        target=target,
        reason=reason,
        note=note,
        details=details,
        undo_of=undo_of,
    )
    db.session.add(entry)
    db.session.flush()
    return entry


# Never copied into the trail.
SECRET_COLUMNS = {"password", "tf_totp_secret", "us_totp_secrets", "mf_recovery_codes", "fs_uniquifier"}


def changes(model: Any) -> dict[str, list[Any]]:
    """Pending changes of an ORM object as {name: [before, after]}, JSON-ready; relationships by their labels."""
    state = inspect(model)
    changed: dict[str, list[Any]] = {}
    for attribute in state.mapper.column_attrs:
        history = state.attrs[attribute.key].history
        if history.has_changes() and attribute.key not in SECRET_COLUMNS:
            before = history.deleted[0] if history.deleted else None
            after = history.added[0] if history.added else None
            changed[attribute.key] = [_plain(before), _plain(after)]
    for relation in state.mapper.relationships:
        history = state.attrs[relation.key].history
        if relation.uselist and history.has_changes():
            kept = [str(item) for item in history.unchanged]
            changed[relation.key] = [
                sorted(kept + [str(item) for item in history.deleted]),
                sorted(kept + [str(item) for item in history.added]),
            ]
    return changed


def snapshot(model: Any) -> dict[str, Any]:
    """A row's columns, JSON-ready, for the record of a deletion."""
    return {
        attribute.key: _plain(getattr(model, attribute.key))
        for attribute in inspect(model).mapper.column_attrs
        if attribute.key not in SECRET_COLUMNS
    }


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value
