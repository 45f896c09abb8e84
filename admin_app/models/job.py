"""Background jobs: what was asked, by whom, and how it ended. RQ (admin_app/jobs.py) runs them; this row is the
durable record the job page, "My jobs" and the audit trail read (RQ keeps live progress in its own job meta)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from admin_app.database import utcnow
from admin_app.extensions import db
from admin_app.models.audit import JSONType

QUEUED, RUNNING, DONE, FAILED, CANCELLED = "queued", "running", "done", "failed", "cancelled"
ACTIVE = (QUEUED, RUNNING)


class Job(db.Model):  # type: ignore[name-defined]
    __tablename__ = "jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # "operation", "undo" or "export"
    name: Mapped[str] = mapped_column(String(40))  # the operation's name, or the exported list's endpoint
    owner_id: Mapped[int] = mapped_column(Integer, index=True)  # no foreign key, as in the audit trail
    # The same request asked twice (a double click, two tabs) while the first is still active: one job.
    key: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default=QUEUED)
    payload: Mapped[dict[str, Any]] = mapped_column(JSONType)
    total: Mapped[int | None] = mapped_column(Integer)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    error: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(DateTime)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime)

    __table_args__ = (
        Index(
            "uq_jobs_active_key",
            "key",
            unique=True,
            postgresql_where=text("status IN ('queued', 'running')"),
            sqlite_where=text("status IN ('queued', 'running')"),
        ),
    )

    @property
    def active(self) -> bool:
        return self.status in ACTIVE

    def __str__(self) -> str:
        return f"#{self.id} {self.name}"
