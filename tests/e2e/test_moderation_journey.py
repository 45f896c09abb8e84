"""A moderator cleans up a spam wave in a real browser: filter, select all matching, disable with a reason, undo."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from admin_app.services.seed import DEMO_ACCOUNTS
from tests.e2e.conftest import log_in

if TYPE_CHECKING:
    from playwright.sync_api import Page

ARTIFACTS = Path(__file__).parent / "artifacts"
MODERATOR = next(account for account in DEMO_ACCOUNTS if account.role == "moderator")
ADMIN = next(account for account in DEMO_ACCOUNTS if account.role == "admin")

pytestmark = pytest.mark.e2e


def test_moderator_disables_a_spam_wave_across_pages_and_undoes_it(page: Page) -> None:
    from playwright.sync_api import expect

    ARTIFACTS.mkdir(exist_ok=True)
    log_in(page, MODERATOR.email, MODERATOR.password)
    # The demo data's spam waves all contain "Cheap watches" or similar; search for one of them.
    page.goto("/admin/comment/?search=watches&flt0_disabled_equals=0")
    count_text = page.locator(".nav-tabs .nav-link.active").inner_text()
    total = int(re.search(r"\d+", count_text.replace(",", "")).group(0))  # type: ignore[union-attr]
    assert total > 20, "the demo data should hold more spam than one page"

    page.locator("input.action-rowtoggle").check()
    banner = page.locator("#select-all-banner")
    expect(banner).to_be_visible()
    page.locator("#select-all-matching").click()
    expect(banner).to_contain_text(f"All {total:,} rows matching this list are selected.")

    page.get_by_role("button", name="With selected").click()
    page.get_by_role("link", name="Disable", exact=True).click()
    expect(page.locator("#moderation-question")).to_have_text(f"Disable {total:,} comments?")
    page.get_by_label("Reason").select_option("spam")
    page.get_by_label("Note (optional)").fill("spam wave from the demo data")
    page.screenshot(path=ARTIFACTS / "moderation-confirm.png", full_page=True)
    page.locator("#moderation-confirm").click()

    success = page.locator(".alert-success")
    expect(success).to_contain_text(f"{total:,} comments disabled.")
    expect(page.locator("table.model-list tbody tr.action-checkbox")).to_have_count(0)
    expect(page.locator("input.action-checkbox")).to_have_count(0)  # no rows left in the filtered list
    page.screenshot(path=ARTIFACTS / "moderation-done.png", full_page=True)

    success.get_by_role("button", name="Undo").click()
    expect(page.locator(".alert-success")).to_contain_text(f"Undone: {total:,} rows restored.")
    expect(page.locator(".nav-tabs .nav-link.active")).to_contain_text(f"List ({total:,})")

    # An administrator finds both in the audit trail: the operation, with its reason and count, and its undo.
    page.get_by_role("button", name="Log out").click()
    log_in(page, ADMIN.email, ADMIN.password)
    page.get_by_role("navigation").get_by_role("link", name="Audit trail").click()
    rows = page.locator("table.model-list tbody tr")
    # Newest first: the undo, then this operation (other journeys' operations come after).
    expect(rows.nth(1)).to_contain_text("Disable comments")
    expect(rows.nth(1)).to_contain_text(MODERATOR.email)
    expect(rows.nth(1).locator("td.col-row_count")).to_have_text(str(total))
    expect(rows.nth(0).locator("td.col-action")).to_contain_text("Undo")
    expect(rows.nth(0)).to_contain_text(MODERATOR.email)
    page.screenshot(path=ARTIFACTS / "audit-trail.png", full_page=True)
