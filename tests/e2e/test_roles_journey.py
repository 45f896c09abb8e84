"""An admin promotes three users to moderator in one action; the new moderator sees the moderation views; the
admin's attempt to remove their own admin role is refused with a message."""

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
ADMIN = next(account for account in DEMO_ACCOUNTS if account.role == "admin")

pytestmark = pytest.mark.e2e


def act_on_selected(page: Page, action: str) -> None:
    page.get_by_role("button", name="With selected").click()
    page.get_by_role("link", name=action, exact=True).click()


def test_admin_promotes_three_users_and_cannot_demote_themselves(page: Page, live_server: str) -> None:
    from playwright.sync_api import expect

    from tests.e2e.conftest import set_password

    ARTIFACTS.mkdir(exist_ok=True)
    log_in(page, ADMIN.email, ADMIN.password)
    page.get_by_role("navigation").get_by_role("link", name="Users", exact=True).click()
    page.goto("/admin/user/?flt0_role_equals=user&sort=0")  # plain members, lowest ids first
    rows = page.locator("table.model-list tbody tr")
    chosen = [rows.nth(i).locator("td.col-email").inner_text().strip() for i in range(3)]
    for i in range(3):
        rows.nth(i).locator("input.action-checkbox").check()
    act_on_selected(page, "Add a role")
    expect(page.locator("#moderation-question")).to_have_text("Add a role to 3 users?")
    page.get_by_label("Role").select_option("moderator")
    page.get_by_label("Reason").select_option("other")
    page.locator("#moderation-confirm").click()
    expect(page.locator(".alert-success")).to_contain_text("Roles of 3 users changed.")

    # The admin tries to take away their own admin role: refused, with a message.
    page.goto(f"/admin/user/?search={ADMIN.email}")
    page.locator("table.model-list tbody tr").first.locator("input.action-checkbox").check()
    act_on_selected(page, "Remove a role")
    page.get_by_label("Role").select_option("admin")
    page.get_by_label("Reason").select_option("other")
    page.locator("#moderation-confirm").click()
    expect(page.locator(".alert-danger")).to_contain_text("You cannot remove your own permission to assign roles.")
    page.screenshot(path=ARTIFACTS / "roles-refused.png", full_page=True)

    # The audit trail's newest entry is the promotion (the refusal changed nothing): three users, before and after.
    page.goto("/admin/audit/")
    page.locator("table.model-list tbody tr").first.locator("a[title='View Record']").click()
    changes = page.locator("#audit-changes tbody tr")
    expect(changes).to_have_count(3)
    for i in range(3):
        expect(changes.nth(i).locator("td").nth(1)).to_have_text("user")
        expect(changes.nth(i).locator("td").nth(2)).to_have_text("moderator, user")
    page.screenshot(path=ARTIFACTS / "roles-audit-entry.png", full_page=True)

    # One of the new moderators logs in and finds the moderation views.
    page.get_by_role("button", name="Log out").click()
    set_password(live_server, chosen[0], "new-moderator-password")
    log_in(page, chosen[0], "new-moderator-password")
    menu = page.get_by_role("navigation")
    expect(menu.get_by_role("link", name="Comments", exact=True)).to_be_visible()
    expect(menu.get_by_role("link", name="Review queue", exact=True)).to_be_visible()
    expect(menu.get_by_role("link", name="Roles", exact=True)).to_have_count(0)
    page.goto("/admin/comment/")
    expect(page).to_have_url(re.compile(r"/admin/comment/"))
