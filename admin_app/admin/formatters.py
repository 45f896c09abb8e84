"""Column formatters shared by the views: they format, nothing else."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from flask_babel import format_datetime, gettext
from markupsafe import Markup

Formatter = Callable[[Any, Any, Any, str], Any]


def timestamp(_view: Any, value: datetime, _name: str) -> str:
    """Stored naive UTC -> the reader's time zone and locale (Flask-Babel treats naive values as UTC)."""
    return format_datetime(value, "medium")


def shorten(text: str | None, limit: int) -> str:
    """At most ``limit`` characters, cut at a word boundary, with an ellipsis when anything was cut."""
    text = " ".join((text or "").split())
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0] or text[:limit]
    return cut.rstrip(".,;:!? ") + "…"


def excerpt(attribute: str, limit: int = 120) -> Formatter:
    return lambda _view, _context, row, _name: shorten(getattr(row, attribute), limit)


def related_excerpt(attribute: str, limit: int = 50) -> Formatter:
    """``#id text…`` for a related row, e.g. the post a comment belongs to."""

    def format_related(_view: Any, _context: Any, row: Any, _name: str) -> str:
        related = getattr(row, attribute)
        return "" if related is None else f"#{related.id} {shorten(related.body, limit)}"

    return format_related


def status(flag: str, flagged: Any) -> Formatter:
    """A badge: ``flagged`` (e.g. "Disabled") when the row's ``flag`` is set, "Visible" otherwise."""

    def format_status(_view: Any, _context: Any, row: Any, _name: str) -> Markup:
        if getattr(row, flag):
            return Markup('<span class="badge badge-danger">%s</span>') % flagged
        return Markup('<span class="badge badge-success">%s</span>') % gettext("Visible")

    return format_status


def comment_status(disabled: Formatter) -> Formatter:
    """A comment's badge: "Held for review" while it is hidden and waits in the review queue, else ``disabled``'s."""

    def format_comment_status(view: Any, context: Any, row: Any, name: str) -> Markup:
        if row.disabled and row.reviewed_at is None:
            return Markup('<span class="badge badge-warning">%s</span>') % gettext("Held for review")
        return Markup(disabled(view, context, row, name))

    return format_comment_status


def boolean(_view: Any, value: bool, _name: str) -> Markup:
    """Flask-Admin's check icon, with a translated tooltip instead of its "column: true", and the same word as its text
    alternative: a tooltip alone is no name for a screen reader, and the icons differ by more than their colour."""
    icon = "fa-check-circle text-success" if value else "fa-minus-circle text-muted"
    word = gettext("yes") if value else gettext("no")
    return Markup('<span class="fa %s" role="img" aria-label="%s" title="%s"></span>') % (icon, word, word)
