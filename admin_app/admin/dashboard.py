"""DashboardView, the back office's home: counts, the review queue, today's moderation, comments per day and the
latest audit entries, each shown to those who may read it. Cheap at any size: counts are capped or estimated
(admin/counting.py), the chart's finished days are counted once and kept (services/reports.posted_per_day), the
rest is bounded by LIMIT or by today."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from flask import url_for
from flask_admin import expose
from flask_babel import format_number, gettext
from flask_security import current_user
from markupsafe import Markup
from sqlalchemy import select

from admin_app import permissions as perm
from admin_app.admin import charts, saved_views
from admin_app.admin.access import has_permission, requires, users_view
from admin_app.admin.base import SecuredIndexView
from admin_app.admin.counting import ApproximateCount, count_query
from admin_app.admin.moderation_text import action_label, reason_label
from admin_app.database import utcnow
from admin_app.extensions import db
from admin_app.i18n import ngettext
from admin_app.models import AuditEntry, Comment, Post, User
from admin_app.services import reports
from admin_app.services.queue import unreviewed

CHART_DAYS = 14
LATEST = 10


@dataclass(frozen=True)
class Tile:
    label: str
    value: Markup | str
    url: str | None
    note: str | None = None  # a line under the figure


def shown(count: int) -> Markup | str:
    return Markup(count.__html__()) if isinstance(count, ApproximateCount) else format_number(count)


class DashboardView(SecuredIndexView):
    @expose()
    @requires("read")
    def index(self) -> Any:
        today = utcnow().date()
        page = self.render(
            "admin/dashboard.html",
            tiles=self.tiles(today),
            pinned=self.pinned(),
            chart=self.chart(today),
            latest=self.latest_entries(),
            all_entries=has_permission(perm.AUDIT_READ),
        )
        db.session.commit()  # the chart's newly counted days (services/reports.posted_per_day)
        return page

    def tiles(self, today: Any) -> list[Tile]:
        found = []
        if has_permission(perm.USER_READ):
            users = count_query(db.session, User).scalar()
            found.append(Tile(gettext("Users"), shown(users), url_for(f"{users_view()}.index_view")))
        if has_permission(perm.POST_READ):
            found.append(
                Tile(gettext("Posts"), shown(count_query(db.session, Post).scalar()), url_for("post.index_view"))
            )
        if has_permission(perm.COMMENT_READ):
            comments = count_query(db.session, Comment).scalar()
            found.append(Tile(gettext("Comments"), shown(comments), url_for("comment.index_view")))
            waiting = count_query(db.session, Comment).filter(unreviewed()).scalar()
            queue_url = url_for("queue.index") if has_permission(perm.COMMENT_MODERATE) else None
            found.append(Tile(gettext("Waiting for review"), shown(waiting), queue_url))
        if has_permission(perm.COMMENT_MODERATE) or has_permission(perm.REPORT_READ):
            done = reports.moderation_today(today)
            report_url = None
            if has_permission(perm.REPORT_READ):
                report_url = url_for("reports.report_view", report="moderation-activity")
            found.append(Tile(gettext("Moderation operations today"), format_number(done.operations), report_url))
            # What stayed moderated; the undone rows beside it, so an operation and its undo do not read as work.
            found.append(Tile(gettext("Rows moderated today"), format_number(done.kept), report_url, undone_note(done)))
        return found

    def pinned(self) -> list[Tile]:
        """The reader's pinned saved views (their own, and those shared with their roles), each with its count."""
        return [
            Tile(saved.name, "—" if count is None else shown(count), saved_views.open_url(saved), str(view.name))
            for saved, view, count in saved_views.pinned_counts()
        ]

    def chart(self, today: Any) -> charts.Chart | None:
        if not has_permission(perm.COMMENT_READ):
            return None
        period = reports.Period(today - timedelta(days=CHART_DAYS - 1), today)
        days = reports.posted_per_day(period, utcnow())
        series = [charts.Series(gettext("Posted"), [posted for _day, posted in days])]
        labels = [charts.day_label(day) for day, _posted in days]
        return charts.bars(gettext("Comments per day"), labels, series, span=charts.span(period.first, period.last))

    def latest_entries(self) -> list[dict[str, Any]]:
        """Audit readers see the latest entries of everyone; others their own."""
        query = select(AuditEntry).order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc()).limit(LATEST)
        if not has_permission(perm.AUDIT_READ):
            query = query.where(AuditEntry.actor_id == current_user.id)
        return [
            {
                "id": entry.id,
                "created_at": entry.created_at,
                "who": entry.actor_email if has_permission(perm.PERSONAL_DATA) else current_user_label(entry),
                "action": action_label(entry.action),
                "reason": reason_label(entry.reason),
            }
            for entry in db.session.scalars(query)
        ]


def undone_note(moderated: reports.Moderated) -> str | None:
    if not moderated.undone:
        return None
    changed = format_number(moderated.changed)
    # Translators: under "Rows moderated today" (the rows that stayed moderated): "420 changed, 417 undone".
    return ngettext(
        "%(changed)s changed, %(num)s undone", "%(changed)s changed, %(num)s undone", moderated.undone, changed=changed
    )


def current_user_label(entry: AuditEntry) -> str:
    """Without personal-data-read, an entry's author is named by account, never by e-mail."""
    return str(current_user) if entry.actor_id == current_user.id else f"#{entry.actor_id}"
