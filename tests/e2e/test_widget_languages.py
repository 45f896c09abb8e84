"""Widgets in the page's language, in a real browser: the comment list's filter in German (select2's "no matches",
the date picker's month and day names and buttons: admin_app/static/widget-locale.js), and the two-factor setup
page's radio beside its label, left to right and right to left."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from flask_admin.babel import gettext as admin_gettext
from flask_babel import force_locale, gettext
from flask_security import hash_password
from sqlalchemy import select

from admin_app.extensions import db, security
from admin_app.models import Role, User
from tests.e2e.conftest import LIVE_APPS, log_in

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

ARTIFACTS = Path(__file__).parent / "artifacts"
PASSWORD = "widget-languages-password"

pytestmark = pytest.mark.e2e


def account(live_server: str, email: str, role: str, locale: str | None = None) -> str:
    """An account of this file's own (the demo ones' languages and authenticators belong to other tests)."""
    app = LIVE_APPS[live_server]
    with app.app_context():  # type: ignore[attr-defined]
        if db.session.scalars(select(User).where(User.email == email)).first() is None:
            security.datastore.create_user(
                email=email, password=hash_password(PASSWORD), locale=locale,
                roles=[db.session.scalars(select(Role).where(Role.name == role)).one()],
            )  # fmt: skip
            db.session.commit()
    return email


def translated(live_server: str, locale: str, text: str, domain: str = "messages") -> str:
    app = LIVE_APPS[live_server]
    with app.test_request_context(), force_locale(locale):  # type: ignore[attr-defined]
        return str(admin_gettext(text) if domain == "admin" else gettext(text))


def test_the_comment_filters_widgets_speak_german(page: Page, live_server: str) -> None:
    from playwright.sync_api import expect

    log_in(page, account(live_server, "widgets-de@example.org", "moderator", "de_DE"), PASSWORD)
    page.goto("/admin/comment/")
    expect(page.locator("html")).to_have_attribute("lang", "de-DE")
    page.get_by_role("button", name=translated(live_server, "de_DE", "Add Filter", "admin")).click()
    page.locator(".field-filters a.filter", has_text=translated(live_server, "de_DE", "Posted")).click()
    row = page.locator("#filter_form table.filters tr").last

    # The filter's operation is a select2: nothing matches what is typed.
    row.locator(".select2-container a.select2-choice").click()
    page.locator(".select2-drop-active input.select2-input").fill("zzzz")
    expect(page.locator(".select2-drop-active .select2-no-results")).to_have_text(
        translated(live_server, "de_DE", "No matches found")
    )
    page.keyboard.press("Escape")

    # The value is a date picker: German months, the week from Monday, Flask-Admin's German "Apply".
    row.locator("input.filter-val").click()
    picker = page.locator(".daterangepicker:visible")
    expect(picker).to_be_visible()
    months = picker.locator(".monthselect option").all_inner_texts()
    assert months[:3] == ["Jan.", "Feb.", "März"] and months[11] == "Dez.", months
    expect(picker.locator(".calendar-date thead tr").last.locator("th").first).to_have_text("Mo.")
    expect(picker.locator(".applyBtn")).to_have_text("Übernehmen")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / "date-filter-de.png", full_page=True)


@pytest.mark.parametrize("language", ["en", "ar"])
def test_the_two_factor_setup_page_puts_each_radio_beside_its_label(
    browser: Browser, live_server: str, language: str
) -> None:
    from playwright.sync_api import expect

    email = account(live_server, f"widgets-tf-{language}@example.org", "admin")
    context = browser.new_context(base_url=live_server, locale=language, viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.goto("/login")
    page.locator("#email").fill(email)
    page.locator("#password").fill(PASSWORD)
    page.locator("form[name=login_user_form] [type=submit]").click()
    expect(page).to_have_url(f"{live_server}/tf-setup")
    expect(page.locator("html")).to_have_attribute("dir", "rtl" if language == "ar" else "ltr")
    expect(page.locator("#tf-required")).to_be_visible()

    radio = page.locator("input[name=setup][value=authenticator]")
    label = page.locator(f"label[for='{radio.get_attribute('id')}']")
    box, text = radio.bounding_box(), label.bounding_box()
    assert box and text
    middle = box["y"] + box["height"] / 2
    assert text["y"] <= middle <= text["y"] + min(text["height"], 2 * box["height"]), (box, text)  # its first line
    if language == "ar":
        assert box["x"] >= text["x"] + text["width"] - 1, (box, text)  # right of its label
    else:
        assert box["x"] + box["width"] <= text["x"] + 1, (box, text)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / f"two-factor-setup-{language}.png", full_page=True)
    context.close()
