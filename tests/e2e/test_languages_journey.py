"""A moderator switches to Arabic (right to left), disables a comment through the action flow and reads the result
in Arabic; then Japanese, then back to English. Screenshots of the comment list in Arabic and Japanese."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from flask_admin.babel import gettext as admin_gettext
from flask_babel import force_locale, gettext, ngettext

from admin_app.services.seed import DEMO_ACCOUNTS
from tests.e2e.conftest import LIVE_APPS, log_in

if TYPE_CHECKING:
    from playwright.sync_api import Page

ARTIFACTS = Path(__file__).parent / "artifacts"
MODERATOR = next(account for account in DEMO_ACCOUNTS if account.role == "moderator")

pytestmark = pytest.mark.e2e


def translated(
    live_server: str, locale: str, text: str, plural: str | None = None, n: int = 1, domain: str = "messages"
) -> str:
    """What the app says in ``locale``: the expectations come from the catalogues, not from this file."""
    app = LIVE_APPS[live_server]
    with app.test_request_context(), force_locale(locale):  # type: ignore[attr-defined]
        if domain == "admin":
            return str(admin_gettext(text))
        return ngettext(text, plural, n) if plural else gettext(text)


def choose_language(page: Page, name: str) -> None:
    page.wait_for_load_state("load")  # Bootstrap's dropdown script runs at the end of the page
    page.locator("#language-toggle").click()
    page.locator("#language-menu .dropdown-menu").get_by_role("button", name=name, exact=True).click()


def test_moderator_works_in_arabic_then_japanese_then_english(page: Page, live_server: str) -> None:
    from playwright.sync_api import expect

    ARTIFACTS.mkdir(exist_ok=True)
    page.goto("/login")
    choose_language(page, "العربية")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    page.screenshot(path=ARTIFACTS / "login-ar.png", full_page=True)
    choose_language(page, "English")
    log_in(page, MODERATOR.email, MODERATOR.password)
    page.goto("/admin/comment/?flt0_disabled_equals=0")

    choose_language(page, "العربية")
    html = page.locator("html")
    expect(html).to_have_attribute("dir", "rtl")
    expect(html).to_have_attribute("lang", "ar")
    expect(page).to_have_url(re.compile(r"flt0_disabled_equals=0"))  # the same page, now in Arabic
    expect(page.get_by_role("heading", name=translated(live_server, "ar", "Comments"))).to_be_visible()
    # Mirrored: the brand sits at the right edge of the navigation bar, the user menu at the left.
    brand, logout = page.locator(".navbar-brand").bounding_box(), page.locator("#logout").bounding_box()
    assert brand and logout and brand["x"] > logout["x"]
    page.screenshot(path=ARTIFACTS / "comment-list-ar.png", full_page=True)
    page.goto("/admin/")
    expect(page.locator("#dashboard-chart svg")).to_be_visible()
    page.screenshot(path=ARTIFACTS / "dashboard-ar.png", full_page=True)
    page.goto("/admin/comment/?flt0_disabled_equals=0")

    page.locator("table.model-list tbody tr").first.locator("input.action-checkbox").check()
    page.get_by_role("button", name=translated(live_server, "ar", "With selected", domain="admin")).click()
    page.get_by_role("link", name=translated(live_server, "ar", "Disable"), exact=True).click()
    question = translated(live_server, "ar", "Disable %(num)s comment?", "Disable %(num)s comments?") % {"num": 1}
    expect(page.locator("#moderation-question")).to_have_text(question)
    page.locator("#reason").select_option("spam")
    page.screenshot(path=ARTIFACTS / "moderation-confirm-ar.png", full_page=True)
    page.locator("#moderation-confirm").click()
    done = translated(live_server, "ar", "%(num)s comment disabled.", "%(num)s comments disabled.") % {"num": 1}
    expect(page.locator(".alert-success")).to_contain_text(done)

    page.screenshot(path=ARTIFACTS / "moderation-done-ar.png", full_page=True)
    choose_language(page, "日本語")
    expect(html).to_have_attribute("dir", "ltr")
    expect(html).to_have_attribute("lang", "ja-JP")
    expect(page.get_by_role("heading", name=translated(live_server, "ja_JP", "Comments"))).to_be_visible()
    page.screenshot(path=ARTIFACTS / "comment-list-ja.png", full_page=True)

    # The choice is saved to the profile: it survives logging out and in again.
    page.locator("#logout").click()
    log_in(page, MODERATOR.email, MODERATOR.password)
    expect(html).to_have_attribute("lang", "ja-JP")

    choose_language(page, "English")
    expect(html).to_have_attribute("lang", "en")
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
