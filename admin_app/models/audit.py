"""The audit trail: one entry per operation, and per affected row its state before.

Entries are append-only: an undo is a new entry pointing at the one it undoes (``undo_of_id``, unique, so an
operation is undone at most once); on PostgreSQL a trigger refuses UPDATE and DELETE on both tables.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Integer, String, Text, func, select
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, column_property, mapped_column, relationship

from admin_app.database import utcnow
from admin_app.extensions import db

JSONType = JSON().with_variant(JSONB(), "postgresql")


class AuditEntry(db.Model):  # type: ignore[name-defined]
    __tablename__ = "audit_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    # No foreign key: deleting an account must not rewrite (SET NULL) an append-only trail; the e-mail beside it
    # keeps the entry readable once the account is gone.
    actor_id: Mapped[int | None] = mapped_column(Integer, index=True)
    actor_email: Mapped[str | None] = mapped_column(String(255))
    remote_addr: Mapped[str | None] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(40), index=True)
    target: Mapped[str] = mapped_column(String(32), index=True)
    reason: Mapped[str | None] = mapped_column(String(32))
    note: Mapped[str | None] = mapped_column(Text)
    details: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    undo_of_id: Mapped[int | None] = mapped_column(ForeignKey("audit_entries.id"), unique=True)

    undo_of: Mapped[AuditEntry | None] = relationship(remote_side=[id], foreign_keys=[undo_of_id])
    undone_by: Mapped[AuditEntry | None] = relationship(
        foreign_keys=[undo_of_id], viewonly=True, uselist=False, overlaps="undo_of"
    )

    def __str__(self) -> str:
        return f"#{self.id} {self.action}"


class AuditRow(db.Model):  # type: ignore[name-defined]
    """One affected row of an operation and its state before it (moderation state, or an account's)."""

    __tablename__ = "audit_rows"

    entry_id: Mapped[int] = mapped_column(ForeignKey("audit_entries.id"), primary_key=True)
    row_id: Mapped[int] = mapped_column(Integer, primary_key=True, index=True)
    flag_before: Mapped[bool | None] = mapped_column(Boolean)
    moderated_by_id_before: Mapped[int | None] = mapped_column(Integer)
    moderated_at_before: Mapped[datetime | None] = mapped_column(DateTime)
    reason_before: Mapped[str | None] = mapped_column(String(32))
    note_before: Mapped[str | None] = mapped_column(Text)
    reviewed_at_before: Mapped[datetime | None] = mapped_column(DateTime)  # comments: the review queue's state
    # Account operations: the user's role names before ("admin, user"); flag_before is then "active".
    roles_before: Mapped[str | None] = mapped_column(Text)


# How many rows an operation changed: its recorded rows (the entry is written first and never updated).
AuditEntry.row_count = column_property(
    select(func.count()).where(AuditRow.entry_id == AuditEntry.id).correlate_except(AuditRow).scalar_subquery()
)
