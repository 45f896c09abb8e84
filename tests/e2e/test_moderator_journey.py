"""A moderator in a real browser: log in, open the comment list from the menu, log out."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from admin_app.admin.comment import CommentAdmin
from admin_app.cli import DEMO_COMMENTS
from admin_app.services.seed import DEMO_ACCOUNTS

if TYPE_CHECKING:
    from playwright.sync_api import Page

ARTIFACTS = Path(__file__).parent / "artifacts"
MODERATOR = next(account for account in DEMO_ACCOUNTS if account.role == "moderator")

pytestmark = pytest.mark.e2e


def test_moderator_reviews_comments_and_logs_out(page: Page) -> None:
    # Imported here: without playwright, the fixtures skip (or fail) before this line runs.
    from playwright.sync_api import expect

    ARTIFACTS.mkdir(exist_ok=True)
    page.goto("/login")
    page.screenshot(path=ARTIFACTS / "login.png", full_page=True)
    page.get_by_label("Email Address").fill(MODERATOR.email)
    page.get_by_label("Password").fill(MODERATOR.password)
    page.get_by_role("button", name="Login").click()
    expect(page).to_have_url(re.compile(r"/admin/$"))
    expect(page.locator("#current-user")).to_have_text(MODERATOR.email)

    menu = page.get_by_role("navigation")
    menu.get_by_role("link", name="Comments", exact=True).click()
    expect(page).to_have_url(re.compile(r"/admin/comment/"))
    expect(page.get_by_role("heading", name="Comments")).to_be_visible()
    expect(page.locator(".nav-tabs .nav-link.active")).to_have_text(f"List ({DEMO_COMMENTS:,})")
    rows = page.locator("table.model-list tbody tr")
    expect(rows).to_have_count(CommentAdmin.page_size)
    expect(rows.first.locator("td.col-author")).not_to_be_empty()
    expect(rows.first.locator("td.col-body")).not_to_be_empty()
    page.screenshot(path=ARTIFACTS / "moderator-comment-list.png", full_page=True)

    # Moderators may read users but not roles: the menu offers one and hides the other.
    expect(menu.get_by_role("link", name="Users", exact=True)).to_be_visible()
    expect(menu.get_by_role("link", name="Roles", exact=True)).to_have_count(0)

    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(re.compile(r"/login$"))
    expect(page.get_by_label("Email Address")).to_be_visible()
    page.goto("/admin/")
    expect(page).to_have_url(re.compile(r"/login\?next="))
