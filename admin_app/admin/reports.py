"""ReportsView: the reports (report-read), each a chart, a table and a CSV download (report-export) of the same
numbers over a date range."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from flask import Response, abort, request
from flask_admin import expose
from flask_babel import format_date, format_number, gettext
from flask_babel import lazy_gettext as _l
from flask_security import current_user

from admin_app import permissions as perm
from admin_app.admin import charts
from admin_app.admin.access import Secured, requires
from admin_app.admin.list_args import FIRST_YEAR, LAST_YEAR
from admin_app.admin.moderation_text import reason_label
from admin_app.database import utcnow
from admin_app.extensions import db
from admin_app.services import audit, reports
from admin_app.services.export import table_csv
from admin_app.services.reports import Period

DEFAULT_DAYS = 30


@dataclass(frozen=True)
class Report:
    title: Any  # lazy: translated when shown
    description: Any
    headers: Callable[[], list[str]]
    rows: Callable[[Period], Sequence[tuple[Any, ...]]]
    chart: Callable[[Sequence[tuple[Any, ...]], Period], charts.Chart]  # over the whole period, day by day
    reason_column: int | None = None  # a column of reason codes, shown by their labels


def volume_chart(rows: Sequence[tuple[Any, ...]], period: Period) -> charts.Chart:
    labels = [charts.day_label(row[0]) for row in rows]  # every day of the period (services/reports fills gaps)
    series = [
        charts.Series(gettext("Posted"), [row[1] for row in rows]),
        charts.Series(gettext("Disabled"), [row[2] for row in rows]),
        charts.Series(gettext("Waiting for review"), [row[3] for row in rows]),
    ]
    return charts.bars(gettext("Comments per day"), labels, series, span=charts.span(period.first, period.last))


def users_chart(rows: Sequence[tuple[Any, ...]], period: Period) -> charts.Chart:
    labels = [charts.day_label(row[0]) for row in rows]  # every week of the period
    series = [charts.Series(gettext("New users"), [r[1] for r in rows])]
    return charts.bars(gettext("New users per week"), labels, series, span=charts.span(period.first, period.last))


def activity_chart(rows: Sequence[tuple[Any, ...]], period: Period) -> charts.Chart:
    """Rows moderated on each day of the period, stacked: those that stayed changed by reason, then those undone."""
    days = period.days()
    reasons = sorted({row[2] for row in rows})
    kept: dict[tuple[date, str], int] = defaultdict(int)
    undone: dict[date, int] = defaultdict(int)
    for row in rows:
        kept[(row[0], row[2])] += row[6]
        undone[row[0]] += row[5]
    series = [charts.Series(reason_label(r) or gettext("No reason"), [kept[(d, r)] for d in days]) for r in reasons]
    if any(undone.values()):
        series.append(charts.Series(gettext("Undone"), [undone[d] for d in days]))
    title = gettext("Rows moderated per day, by reason")
    return charts.bars(
        title, [charts.day_label(d) for d in days], series, stacked=True, span=charts.span(period.first, period.last)
    )


def authors_chart(rows: Sequence[tuple[Any, ...]], _period: Period) -> charts.Chart:
    series = [charts.Series(gettext("Disabled comments"), [row[1] for row in rows])]
    return charts.bars(gettext("Most-disabled authors"), [row[0] for row in rows], series)


REPORTS = {
    "moderation-activity": Report(
        _l("Moderation activity"),
        _l(
            "Operations and rows changed per moderator and day, by reason (moderation actions and queue decisions); "
            "of those rows, how many were undone since, and the net: the rows that stayed changed."
        ),
        lambda: [
            gettext("Day"),
            gettext("Moderator"),
            gettext("Reason"),
            gettext("Operations"),
            gettext("Rows changed"),
            # Translators: a column of the moderation activity: how many of the rows changed were undone since.
            gettext("Undone"),
            # Translators: a column of the moderation activity: the rows that stayed changed (changed minus undone).
            gettext("Net"),
        ],
        reports.moderation_activity,
        activity_chart,
        reason_column=2,
    ),
    "comment-volume": Report(
        _l("Comment volume"),
        _l("Comments posted per day, how many of them are disabled, and how many still wait for review."),
        lambda: [gettext("Day"), gettext("Posted"), gettext("Disabled"), gettext("Waiting for review")],
        reports.comment_volume,
        volume_chart,
    ),
    "new-users": Report(
        _l("New users"),
        _l("Accounts created per week (weeks start on Monday)."),
        lambda: [gettext("Week of"), gettext("New users")],
        reports.new_users,
        users_chart,
    ),
    "most-disabled-authors": Report(
        _l("Most-disabled authors"),
        _l("The authors with the most disabled comments among those posted in the period."),
        lambda: [gettext("Author"), gettext("Disabled comments"), gettext("All their comments")],
        reports.most_disabled_authors,
        authors_chart,
    ),
}


def parse_day(name: str, default: date) -> date:
    value = request.args.get(name)
    if not value:
        return default
    try:
        day = date.fromisoformat(value)
    except ValueError:
        abort(400, gettext("%(value)s is not a date (YYYY-MM-DD).", value=value))
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        abort(400, gettext("Dates go from %(first)s to %(last)s.", first=FIRST_YEAR, last=LAST_YEAR))
    return day


def requested_period() -> Period:
    """?from=...&to=... (days, both included); the last DEFAULT_DAYS days without them."""
    today = utcnow().date()
    last = parse_day("to", today)
    first = parse_day("from", last - timedelta(days=DEFAULT_DAYS - 1))
    if first > last:
        abort(400, gettext("The period starts after it ends."))
    if last - first > reports.LONGEST_PERIOD:
        abort(400, gettext("The period is too long: two years at most."))
    return Period(first, last)


class ReportsView(Secured):
    permissions = {"read": perm.REPORT_READ, "export": (perm.REPORT_READ, perm.REPORT_EXPORT)}

    def find(self, report: str) -> Report:
        found = REPORTS.get(report)
        if found is None:
            abort(404)
        return found

    @expose("/")
    @requires("read")
    def index(self) -> Any:
        return self.render("admin/reports_index.html", reports=REPORTS)

    # The URL's part is "report": "name" would clash with the view name Flask-Admin passes to _handle_view.
    @expose("/<report>/")
    @requires("read")
    def report_view(self, report: str) -> Any:
        name, report_, period = report, self.find(report), requested_period()
        rows = report_.rows(period)
        return self.render(
            "admin/report.html",
            name=name,
            report=report_,
            period=period,
            rows=[shown(row, report_.reason_column) for row in rows],
            chart=report_.chart(rows, period),
            can_download=self.allows("export"),
        )

    @expose("/<report>/csv/")
    @requires("export")
    def download_view(self, report: str) -> Any:
        name, report_, period = report, self.find(report), requested_period()
        rows = report_.rows(period)
        body = table_csv(report_.headers(), rows, bom=request.args.get("bom") == "1")
        actor = audit.Actor(current_user.id, current_user.email, request.remote_addr)
        details = {"report": name, "from": period.first.isoformat(), "to": period.last.isoformat(), "rows": len(rows)}
        audit.record("report.export", "reports", actor, details=details)
        db.session.commit()
        filename = f"{name}-{period.first.isoformat()}-{period.last.isoformat()}.csv"
        return Response(
            body,
            mimetype="text/csv",
            headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"},
        )


def shown(row: tuple[Any, ...], reason_column: int | None) -> list[Any]:
    """A row as the page shows it: dates and numbers in the reader's language, reasons by their labels."""
    cells: list[Any] = []
    for i, value in enumerate(row):
        if i == reason_column:
            cells.append(reason_label(value) or gettext("No reason"))
        elif isinstance(value, date):
            cells.append(format_date(value))
        elif isinstance(value, int):
            cells.append(format_number(value))
        else:
            cells.append(value)
    return cells
