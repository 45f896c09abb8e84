"""A moderator pages through the comment list with the pager: next and previous follow on from the rows shown
(keyset: the links carry the row they follow or precede), and the numbered pages agree."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from admin_app.services.seed import DEMO_ACCOUNTS
from tests.e2e.conftest import ARTIFACTS, log_in

if TYPE_CHECKING:
    from playwright.sync_api import Page

MODERATOR = next(account for account in DEMO_ACCOUNTS if account.role == "moderator")


def shown(page: Page) -> list[str]:
    return page.locator("input.action-checkbox").evaluate_all("boxes => boxes.map(box => box.value)")


def test_next_and_previous_follow_on_from_the_rows_shown(page: Page) -> None:
    from playwright.sync_api import expect

    ARTIFACTS.mkdir(exist_ok=True)
    log_in(page, MODERATOR.email, MODERATOR.password)
    page.goto("/admin/comment/")
    first = shown(page)
    pager = page.locator("ul.pagination").last
    pager.get_by_role("link", name=">", exact=True).click()
    expect(page).to_have_url(re.compile(rf"page=1&.*after={first[-1]}"))
    second = shown(page)
    assert second and not set(second) & set(first)
    page.locator("ul.pagination").last.get_by_role("link", name=">", exact=True).click()
    expect(page).to_have_url(re.compile(rf"page=2&.*after={second[-1]}"))
    third = shown(page)
    page.screenshot(path=ARTIFACTS / "comment-list-page-3.png", full_page=True)

    page.locator("ul.pagination").last.get_by_role("link", name="<", exact=True).click()
    expect(page).to_have_url(re.compile(rf"page=1&.*before={third[0]}"))
    assert shown(page) == second
    page.goto("/admin/comment/?page=1")
    assert shown(page) == second, "the numbered page shows the same rows"
    expect(page.locator("ul.pagination").last.locator("li.active")).to_have_text("2")
