"""Suspensions: a member kept out for a while (or until lifted), with who decided, why and until when.

While a suspension is open the account is inactive (``users.active`` false, which Flask-Security and the public
site both refuse at sign-in); it closes when lifted (by a moderator, an undo, a deactivation or reactivation that
supersedes it) or when it expires: the periodic work (admin_app/periodic.py) closes expired ones and makes their
accounts active again. Nobody has to remember.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from admin_app.database import utcnow
from admin_app.extensions import db


class Suspension(db.Model):  # type: ignore[name-defined]
    __tablename__ = "suspensions"
    __table_args__ = (
        # The periodic work's question: which open suspensions have expired?
        Index(
            "ix_suspensions_open_ends_at",
            "ends_at",
            postgresql_where=text("lifted_at IS NULL"),
            sqlite_where=text("lifted_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    ends_at: Mapped[datetime | None] = mapped_column(DateTime)  # None: until lifted
    reason: Mapped[str | None] = mapped_column(String(32))
    note: Mapped[str | None] = mapped_column(Text)
    # No foreign keys, as in the audit trail: the record outlives the moderator's account.
    created_by_id: Mapped[int | None] = mapped_column(Integer)
    entry_id: Mapped[int] = mapped_column(Integer, index=True)  # the audit entry that suspended
    lifted_at: Mapped[datetime | None] = mapped_column(DateTime)
    lifted_by_id: Mapped[int | None] = mapped_column(Integer)  # None with lifted_at: it expired
