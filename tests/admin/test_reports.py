"""The reports through HTTP: the numbers per day, week, moderator and author; their CSV; the period; who may."""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask.testing import FlaskClient

from admin_app.database import utcnow
from admin_app.extensions import db
from admin_app.models import AuditEntry
from admin_app.services.audit import Actor
from admin_app.services.moderation import moderate, undo
from admin_app.services.operations import OPERATIONS
from tests.factories import CommentFactory, UserFactory

PERIOD = "from=2026-03-01&to=2026-03-10"


def table(page: str) -> list[list[str]]:
    body = re.search(r'<table[^>]*id="report-table">.*?<tbody>(.*?)</tbody>', page, re.S)
    assert body, "no report table"
    rows = re.findall(r"<tr>(.*?)</tr>", body.group(1), re.S)
    cells = [re.findall(r"<td[^>]*>(.*?)</td>", row, re.S) for row in rows]
    return [[re.sub(r"<[^>]+>", "", cell).strip() for cell in row] for row in cells]


def download(client: FlaskClient, name: str, query: str = PERIOD) -> list[list[str]]:
    response = client.get(f"/admin/reports/{name}/csv/?{query}")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    return list(csv.reader(io.StringIO(response.get_data(as_text=True).removeprefix("\ufeff"), newline="")))


def test_comment_volume_counts_each_day_and_fills_the_gaps(client: FlaskClient, login_as: Any) -> None:
    for hour in range(3):
        CommentFactory(timestamp=datetime(2026, 3, 2, hour), disabled=hour == 0, reviewed_at=datetime(2026, 3, 3))
    CommentFactory(timestamp=datetime(2026, 3, 4, 23, 59), reviewed_at=None)
    CommentFactory(timestamp=datetime(2026, 3, 11, 0, 0))  # the day after the period
    login_as("staff")

    rows = download(client, "comment-volume")

    assert rows[0] == ["Day", "Posted", "Disabled", "Waiting for review"]
    assert len(rows) == 11  # ten days, every one of them
    assert rows[1] == ["2026-03-01", "0", "0", "0"]
    assert rows[2] == ["2026-03-02", "3", "1", "0"]
    assert rows[4] == ["2026-03-04", "1", "0", "1"]
    page = client.get(f"/admin/reports/comment-volume/?{PERIOD}").text
    assert table(page)[1] == ["Mar 2, 2026", "3", "1", "0"]
    assert re.search(r'<svg viewBox="0 0 760 260" width="100%"[^>]* role="img"', page)


def test_moderation_activity_per_day_moderator_and_reason(client: FlaskClient, login_as: Any) -> None:
    moderator = UserFactory(roles=["moderator"], username="mod_a", email="private@example.org")
    comments = CommentFactory.create_batch(4)
    actor = Actor(moderator.id, moderator.email, None)
    moderate(OPERATIONS["comment.disable"], [c.id for c in comments[:3]], actor, "spam")
    moderate(OPERATIONS["comment.disable"], [comments[3].id], actor, "abuse")
    db.session.commit()
    today = utcnow().date().isoformat()
    login_as("staff")

    rows = download(client, "moderation-activity", f"from={today}&to={today}")

    assert rows[1:] == [[today, "mod_a", "abuse", "1", "1", "0", "1"], [today, "mod_a", "spam", "1", "3", "0", "3"]]
    page = client.get("/admin/reports/moderation-activity/").text
    assert "private@example.org" not in page
    assert ["mod_a", "Spam", "1", "3", "0", "3"] == table(page)[1][1:]


def test_moderation_activity_shows_the_undone_rows_and_the_net(client: FlaskClient, login_as: Any) -> None:
    moderator = UserFactory(roles=["moderator"], username="mod_a")
    actor = Actor(moderator.id, moderator.email, None)
    comments = CommentFactory.create_batch(5)
    mistake = moderate(OPERATIONS["comment.disable"], [c.id for c in comments[:4]], actor, "spam")
    moderate(OPERATIONS["comment.disable"], [comments[4].id], actor, "spam")
    undo(mistake.entry_id, actor, window=timedelta(hours=1), may_undo_others=False)
    db.session.commit()
    today = utcnow().date()
    login_as("staff")

    rows = download(client, "moderation-activity", f"from={today}&to={today}")

    assert rows[0] == ["Day", "Moderator", "Reason", "Operations", "Rows changed", "Undone", "Net"]
    assert rows[1:] == [[today.isoformat(), "mod_a", "spam", "2", "5", "4", "1"]]
    page = client.get(f"/admin/reports/moderation-activity/?from={today}&to={today}").text
    assert table(page)[0][3:] == ["2", "5", "4", "1"]
    assert re.search(r"aria-label=\"Rows moderated per day, by reason, [^\"]*In all: Spam 1, Undone 4\.\"", page)
    assert '<span class="mr-3 text-nowrap chart-legend-item">' in page and "Undone</span>" in page


def axis_labels(page: str) -> list[str]:
    return re.findall(r'<text class="chart-axis-label"[^>]*>([^<]*)</text>', page)


def test_the_activity_chart_spans_the_whole_period_and_says_what_it_shows(client: FlaskClient, login_as: Any) -> None:
    moderator = UserFactory(roles=["moderator"], username="mod_a")
    comment = CommentFactory()
    actor = Actor(moderator.id, None, None)
    moderate(OPERATIONS["comment.disable"], [comment.id], actor, "spam", now=datetime(2026, 3, 5, 12))
    db.session.commit()
    login_as("staff")

    page = client.get(f"/admin/reports/moderation-activity/?{PERIOD}").text

    labels = axis_labels(page)
    assert labels[0] == "Mar 1" and labels[-1] == "Mar 10"  # days without activity included, at both ends
    svg = re.search(r"<svg [^>]*>", page)
    assert svg and 'width="100%"' in svg.group(0) and "height=" not in svg.group(0)  # its column's full width
    assert 'role="img"' in svg.group(0)
    assert 'aria-label="Rows moderated per day, by reason, Mar 1, 2026 to Mar 10, 2026. In all: Spam 1."' in svg.group(
        0
    )
    described = re.search(r'aria-describedby="([^"]+)"', svg.group(0))
    assert described and re.search(rf'<a href="#report-table" id="{described.group(1)}">', page)
    assert 'id="report-table"' in page
    rects = re.findall(r'<rect x="[^"]*" y="[^"]*" width="[^"]*" height="([^"]*)"', page)
    assert len(rects) == 10  # a slot per day of the period: one series, ten days


def test_new_users_per_week_start_on_monday(client: FlaskClient, login_as: Any) -> None:
    UserFactory(member_since=datetime(2026, 3, 2, 9))  # a Monday
    UserFactory(member_since=datetime(2026, 3, 8, 23))  # the Sunday of the same week
    UserFactory(member_since=datetime(2026, 3, 9, 0))  # the next Monday
    login_as("staff")

    rows = download(client, "new-users", "from=2026-03-02&to=2026-03-15")

    assert rows[1:] == [["2026-03-02", "2"], ["2026-03-09", "1"]]


def test_most_disabled_authors_first_and_their_names_are_safe_in_a_spreadsheet(
    client: FlaskClient, login_as: Any
) -> None:
    noisy, quiet = UserFactory(username="=noisy"), UserFactory(username="quiet")
    for n in range(3):
        CommentFactory(author=noisy, disabled=True, timestamp=datetime(2026, 3, 5, n))
    CommentFactory(author=noisy, timestamp=datetime(2026, 3, 5, 5))
    CommentFactory(author=quiet, disabled=True, timestamp=datetime(2026, 3, 5, 6))
    login_as("staff")

    rows = download(client, "most-disabled-authors")

    assert rows[1:] == [["'=noisy", "3", "4"], ["quiet", "1", "1"]]


def test_a_bad_period_is_refused_with_a_message(client: FlaskClient, login_as: Any) -> None:
    login_as("staff")
    for query, message in [
        ("from=yesterday", "yesterday is not a date (YYYY-MM-DD)."),
        ("from=2026-03-10&to=2026-03-01", "The period starts after it ends."),
        ("from=2020-01-01&to=2026-01-01", "The period is too long: two years at most."),
        ("to=9999-12-31", "Dates go from 1970 to 2999."),  # the end of the calendar: the day after overflowed
        ("to=0001-01-01", "Dates go from 1970 to 2999."),
        ("from=9999-12-30&to=9999-12-31", "Dates go from 1970 to 2999."),
    ]:
        for report in ("comment-volume", "moderation-activity", "new-users", "most-disabled-authors"):
            for download in ("", "csv/"):
                response = client.get(f"/admin/reports/{report}/{download}?{query}")
                assert response.status_code == 400 and message in response.text, (report, download, query)
    assert client.get("/admin/reports/no-such-report/").status_code == 404


def test_downloads_are_audited(client: FlaskClient, login_as: Any) -> None:
    staff = login_as("staff")
    download(client, "comment-volume")
    entry = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "report.export")).one()
    assert entry.actor_id == staff.id
    assert entry.details == {"report": "comment-volume", "from": "2026-03-01", "to": "2026-03-10", "rows": 10}


def test_the_default_period_is_the_last_thirty_days(client: FlaskClient, login_as: Any) -> None:
    login_as("staff")
    rows = download(client, "comment-volume", "")
    today = utcnow().date()
    assert [rows[1][0], rows[-1][0]] == [(today - timedelta(days=29)).isoformat(), today.isoformat()]


def test_moderators_have_no_reports(client: FlaskClient, login_as: Any) -> None:
    login_as("moderator")
    assert client.get("/admin/reports/").status_code == 403
    assert client.get(f"/admin/reports/comment-volume/csv/?{PERIOD}").status_code == 403


def test_the_index_lists_every_report(client: FlaskClient, login_as: Any) -> None:
    login_as("staff")
    page = client.get("/admin/reports/").text
    for title in ["Moderation activity", "Comment volume", "New users", "Most-disabled authors"]:
        assert f">{title}</a>" in page
