"""Staff glance at the dashboard, filter the comment list to its disabled comments through the filter menu, export
exactly that as CSV (the downloaded file holds those rows: the same count as the database, every one disabled),
and download the week's moderation report."""

from __future__ import annotations

import csv
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import sqlalchemy as sa

from admin_app.extensions import db
from admin_app.models import Comment
from admin_app.services.seed import DEMO_ACCOUNTS
from tests.e2e.conftest import LIVE_APPS, log_in

if TYPE_CHECKING:
    from playwright.sync_api import Page

ARTIFACTS = Path(__file__).parent / "artifacts"
STAFF = next(account for account in DEMO_ACCOUNTS if account.role == "staff")

pytestmark = pytest.mark.e2e


def disabled_comment_ids(live_server: str) -> set[str]:
    with LIVE_APPS[live_server].app_context():  # type: ignore[attr-defined]
        return {str(i) for i in db.session.scalars(sa.select(Comment.id).where(Comment.disabled))}


def download(page: Page, link: str) -> tuple[str, list[list[str]]]:
    """Click a download link as a user would; the file's suggested name and its rows, read as a spreadsheet would."""
    with page.expect_download() as download_info:
        page.locator(link).click()
    downloaded = download_info.value
    with open(downloaded.path(), encoding="utf-8", newline="") as handle:
        return downloaded.suggested_filename, list(csv.reader(handle))


def test_staff_export_the_filtered_list(page: Page, live_server: str) -> None:
    from playwright.sync_api import expect

    ARTIFACTS.mkdir(exist_ok=True)
    log_in(page, STAFF.email, STAFF.password)
    expect(page.locator("#dashboard")).to_be_visible()
    expect(page.locator("#dashboard-tiles .dashboard-tile")).to_have_count(6)
    expect(page.locator("#dashboard-chart svg > rect")).to_have_count(14)  # a bar per day (its patterns aside)
    page.screenshot(path=ARTIFACTS / "dashboard.png", full_page=True)
    page.goto("/admin/comment/")
    page.wait_for_load_state("load")

    page.get_by_role("button", name="Add Filter").click()
    page.locator(".field-filters").get_by_text("Disabled", exact=True).click()
    # A new "Disabled" filter offers "Yes" first (select2's box over the select shows it); apply it as it is.
    expect(page.locator("#filter_form select.filter-val").last).to_have_value("1")
    page.locator("#filter_form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"flt\d+_disabled_equals=1"))
    expected = disabled_comment_ids(live_server)
    expect(page.locator(".nav-tabs .nav-link.active")).to_have_text(f"List ({len(expected)})")

    page.wait_for_load_state("load")  # the menus' script runs at the end of the page
    page.get_by_role("button", name="Export CSV").click()
    expect(page.locator("#export-csv")).to_be_visible()
    page.screenshot(path=ARTIFACTS / "export-menu.png", full_page=False)
    name, rows = download(page, "#export-csv")

    assert name == f"comments-{datetime.now(UTC):%Y-%m-%d}.csv"
    assert rows[0] == ["ID", "Author", "Post ID", "Text", "Posted", "Disabled", "Reason", "Moderated at"]
    assert {row[0] for row in rows[1:]} == expected and len(rows) - 1 == len(expected)
    assert {row[5] for row in rows[1:]} == {"true"}


def test_staff_download_the_weeks_moderation_report(page: Page) -> None:
    from playwright.sync_api import expect

    log_in(page, STAFF.email, STAFF.password)
    page.get_by_role("navigation").get_by_role("link", name="Reports").click()
    page.get_by_role("link", name="Moderation activity").click()
    today = datetime.now(UTC).date()
    page.locator("#from").fill((today - timedelta(days=6)).isoformat())
    page.locator("#to").fill(today.isoformat())
    page.get_by_role("button", name="Show").click()
    expect(page).to_have_url(re.compile(rf"from={today - timedelta(days=6)}&to={today}"))
    page.screenshot(path=ARTIFACTS / "report-moderation-activity.png", full_page=True)
    name, rows = download(page, "#report-csv")
    assert name == f"moderation-activity-{today - timedelta(days=6)}-{today}.csv"
    assert rows[0] == ["Day", "Moderator", "Reason", "Operations", "Rows changed", "Undone", "Net"]
    assert all(today - timedelta(days=6) <= date.fromisoformat(row[0]) <= today for row in rows[1:])
