"""Moderation rules: a word, a phrase or a link domain, and what happens to a comment that contains it.

A rule's text is stored as admin_app/services/rules.py normalised it; the regular expression that matches it is
derived from the kind and the text there, never written by anyone. ``rule_hits`` records which rule caught which
comment (the queue's mark, a member's history, the rule's hit counts); ``rule_inbox`` holds the comments written
or edited since the rules last looked, filled by triggers on ``comments`` (migration 0008) whoever writes them.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text, true
from sqlalchemy.orm import Mapped, mapped_column

from admin_app.database import utcnow
from admin_app.extensions import db


class Rule(db.Model):  # type: ignore[name-defined]
    __tablename__ = "rules"
    __table_args__ = (
        UniqueConstraint("kind", "text", name="uq_rules_kind_text"),
        # What the inbox triggers ask on every comment written (migration 0008): is any rule on?
        Index("ix_rules_active", "id", postgresql_where=text("active"), sqlite_where=text("active")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # "word", "phrase" or "domain"
    text: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(16))  # "hold" (hidden until reviewed) or "disable"
    reason: Mapped[str] = mapped_column(String(32))  # the reason code the caught comments get
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    note: Mapped[str | None] = mapped_column(Text)
    # No foreign key, as in the audit trail: the rule outlives its author's account.
    created_by_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    def __str__(self) -> str:
        return f"“{self.text}”"


class RuleHit(db.Model):  # type: ignore[name-defined]
    """A comment a rule caught: as it arrived, or when the rule was applied to existing comments."""

    __tablename__ = "rule_hits"
    __table_args__ = (Index("ix_rule_hits_rule_id_hit_at", "rule_id", "hit_at"),)

    rule_id: Mapped[int] = mapped_column(ForeignKey("rules.id", ondelete="CASCADE"), primary_key=True)
    comment_id: Mapped[int] = mapped_column(ForeignKey("comments.id", ondelete="CASCADE"), primary_key=True, index=True)
    hit_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    entry_id: Mapped[int | None] = mapped_column(Integer)  # the audit entry of what was done to the comment


class RuleInbox(db.Model):  # type: ignore[name-defined]
    """A comment written or edited while a rule was on, not yet checked against the rules."""

    __tablename__ = "rule_inbox"

    comment_id: Mapped[int] = mapped_column(ForeignKey("comments.id", ondelete="CASCADE"), primary_key=True)
