"""Counts kept for the dashboard: comments posted per finished day, counted once and reused for a while."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, DateTime, Integer
from sqlalchemy.orm import Mapped, mapped_column

from admin_app.extensions import db


class CommentDay(db.Model):  # type: ignore[name-defined]
    __tablename__ = "comment_days"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    posted: Mapped[int] = mapped_column(Integer)
    counted_at: Mapped[datetime] = mapped_column(DateTime)
