"""Staff open the moderation-activity report for two weeks: the chart spans exactly those days (the first and the
last labelled, quiet days included) across the full width of its column, and a screen reader hears what it shows
and where its figures are. The comment-volume chart tells its three series apart by pattern, with a legend."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from babel.dates import format_skeleton

from admin_app.services.seed import DEMO_ACCOUNTS
from tests.e2e.conftest import log_in

if TYPE_CHECKING:
    from playwright.sync_api import Page

ARTIFACTS = Path(__file__).parent / "artifacts"
STAFF = next(account for account in DEMO_ACCOUNTS if account.role == "staff")
DAYS = 14

pytestmark = pytest.mark.e2e


def test_the_activity_chart_spans_the_period_at_full_width(page: Page) -> None:
    from playwright.sync_api import expect

    ARTIFACTS.mkdir(exist_ok=True)
    log_in(page, STAFF.email, STAFF.password)
    # Up to yesterday: the demo history (six days of spam) and a week of quiet days before it, none of the
    # operations other browser tests do today.
    last = datetime.now(UTC).date() - timedelta(days=1)
    first = last - timedelta(days=DAYS - 1)
    page.goto(f"/admin/reports/moderation-activity/?from={first}&to={last}")

    chart = page.get_by_role("img", name=re.compile(r"^Rows moderated per day, by reason, .* In all: Spam \d+\.$"))
    expect(chart).to_be_visible()
    expect(chart).to_have_accessible_description("These figures as a table")
    labels = page.locator("#report-chart .chart-axis-label")
    expect(labels.first).to_have_text(format_skeleton("MMMd", first, locale="en"))
    expect(labels.last).to_have_text(format_skeleton("MMMd", last, locale="en"))
    expect(page.locator("#report-chart svg > rect")).to_have_count(DAYS)  # one series: a slot per day
    column, drawn = page.locator("#report").bounding_box(), chart.bounding_box()
    assert column and drawn and abs(drawn["width"] - column["width"]) <= 1, (drawn, column)
    assert abs(drawn["height"] - drawn["width"] * 260 / 760) <= 2  # in proportion (its viewBox)
    page.screenshot(path=ARTIFACTS / "report-moderation-activity-chart.png", full_page=True)

    page.get_by_role("link", name="These figures as a table").click()
    expect(page).to_have_url(re.compile(r"#report-table$"))


def test_the_volume_chart_tells_its_series_apart_without_colour(page: Page) -> None:
    from playwright.sync_api import expect

    log_in(page, STAFF.email, STAFF.password)
    last = datetime.now(UTC).date()
    page.goto(f"/admin/reports/comment-volume/?from={last - timedelta(days=DAYS - 1)}&to={last}")

    legend = page.locator("#report-chart .chart-legend-item")
    expect(legend).to_have_text(["Posted", "Disabled", "Waiting for review"])
    fills = [legend.nth(n).locator("rect").get_attribute("fill") for n in range(3)]
    marks = [page.locator(f"#report-chart-fill-{n} path").count() for n in range(3)]
    assert fills == [f"url(#report-chart-fill-{n})" for n in range(3)] and marks == [0, 1, 1]
    assert len({page.locator(f"#report-chart-fill-{n} path").get_attribute("d") for n in (1, 2)}) == 2
    page.locator("#report-chart").screenshot(path=ARTIFACTS / "report-comment-volume-chart.png")
