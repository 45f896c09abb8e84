"""Every page every role can open, in every language, under the strict Content-Security-Policy (admin_app/headers.py):
not one violation reported, not one console error. The pages are the access matrix's (tests/admin/test_access.py)
with real ids, plus the sign-in and two-factor pages, a moderation confirmation and 404s. Then the list's menus that
Flask-Admin wires with inline handlers (bulk actions, filters, delete confirmation) and select-all-matching still
work."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pytest
import sqlalchemy as sa

from admin_app.extensions import db
from admin_app.models import Role
from tests.admin.test_access import ROLES, Case
from tests.e2e import pages
from tests.e2e.conftest import LIVE_APPS
from tests.e2e.pages import (
    ACCOUNTS,
    EVERY_LANGUAGE,
    EVERY_PAGE_IN,
    Scene,
    confirmation_page,
    languages,
    role_pages,
    sign_in_pages,
)

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Dialog

# Runs in every document before its own scripts: keeps each violation for check() to read back.
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", function (event) {
  window.__cspViolations.push(event.violatedDirective + " blocked " + (event.blockedURI || "?") + " in "
    + event.sourceFile + ":" + event.lineNumber + " " + (event.sample || ""));
});
"""
NETWORK_CHANGED = "net::ERR_NETWORK_CHANGED"
READ_BACK = "() => [window.__cspViolations ? window.__cspViolations.splice(0) : null, document.documentElement.lang]"

pytestmark = pytest.mark.e2e


@dataclass
class Tally:
    """What one run saw: page loads per (role, language), and every problem, named with its page."""

    urls: set[str] = field(default_factory=set)
    loads: int = 0
    contexts: int = 0
    problems: list[str] = field(default_factory=list)
    retries: int = 0
    seconds: float = 0.0

    def line(self) -> str:
        share = "every page in every language" if EVERY_LANGUAGE else f"every page in {' and '.join(EVERY_PAGE_IN)}"
        return (
            f"csp: {len(self.urls)} pages x {len(ROLES)} roles x {len(languages())} languages ({share}) "
            f"({self.loads} page loads in {self.contexts} browser contexts, {self.seconds:.0f} s"
            f"{f', {self.retries} reloaded after a network change' if self.retries else ''}), "
            f"violations {sum(': CSP' in problem for problem in self.problems)}, "
            f"console errors {sum(': CSP' not in problem for problem in self.problems)}"
        )


SUMMARY: list[str] = []


class Watched:
    """The page of one browser context, recording violations (check() reads them back after each load) and console
    errors (judged at the end, when every page's own status is known)."""

    def __init__(self, context: BrowserContext, tally: Tally, label: str, language: str | None = None) -> None:
        self.tally, self.label, self.language = tally, label, language
        self.page = context.new_page()
        self.console: list[tuple[str, str, str]] = []  # (page, resource, text)
        self.refused: set[str] = set()  # addresses answered with an error page, as expected
        self.interrupted = False  # the last load lost a request to a network change
        self.page.on("console", self.on_console)
        self.page.on("pageerror", lambda error: self.console.append((self.page.url, "", f"page error: {error}")))

    def on_console(self, message: ConsoleMessage) -> None:
        if message.type != "error":
            return
        if NETWORK_CHANGED in message.text:
            self.interrupted = True
        else:
            self.console.append((self.page.url, message.location.get("url", ""), message.text))

    def visit(self, url: str) -> None:
        response = self.page.goto(url)
        if response is not None and response.status >= 400:
            self.refused.add(response.url)
        self.check(url)

    def check(self, url: str, retried: bool = False) -> None:
        if self.interrupted:
            # A request cut by a network change (other work on this machine adds and drops interfaces) leaves the
            # page half-loaded: load it again, once; twice in a row is a problem.
            self.interrupted = False
            if retried:
                self.tally.problems.append(f"{self.label} {url}: console error: {NETWORK_CHANGED} twice")
            else:
                self.tally.retries += 1
                self.page.reload()
                self.check(url, retried=True)
                return
        violations, lang = self.page.evaluate(READ_BACK)
        self.tally.loads += 1
        self.tally.urls.add(url)
        if violations is None:
            self.tally.problems.append(f"{self.label} {url}: CSP listener missing (no init script?)")
        self.tally.problems += [f"{self.label} {url}: CSP {violation}" for violation in violations or []]
        if self.language and lang.replace("-", "_") != self.language:
            self.tally.problems.append(f"{self.label} {url}: page in {lang!r}, not {self.language!r}")

    def close(self) -> None:
        """Every console error is a problem, but Chromium's note that a 403 or 404 page answered 403 or 404 (its
        own request for /favicon.ico is answered: a 404 there is a problem too)."""
        for page_url, resource, text in self.console:
            expected = resource in self.refused
            if not (expected and text.startswith("Failed to load resource: the server responded with a status")):
                kind = "CSP" if "Content Security Policy" in text else "console error"
                self.tally.problems.append(f"{self.label} {page_url}: {kind}: {text} ({resource})")
        self.page.context.close()


def new_context(browser: Browser, live_server: str, **options: Any) -> BrowserContext:
    context = pages.new_context(browser, live_server, **options)
    context.add_init_script(RECORD_VIOLATIONS)
    return context


def test_no_page_violates_the_content_security_policy(
    browser: Browser,
    live_server: str,
    scene: Scene,
    signed_in: dict[str | None, Any],
    page_cases: list[Case],
    locales: Any,
) -> None:
    tally = Tally()
    started = time.perf_counter()
    for role in ROLES:
        for language in languages():
            if role is None:
                context = new_context(browser, live_server, locale=language.replace("_", "-"))
            else:
                locales(scene.emails[role], language)
                context = new_context(browser, live_server, storage_state=signed_in[role])
            tally.contexts += 1
            watched = Watched(context, tally, f"[{role or 'anonymous'} {language}]", language)
            for url in role_pages(page_cases, scene, role, language):
                watched.visit(url)
            sign_in_pages(watched, scene, role)
            if role in ("moderator", "admin"):
                confirmation_page(watched)
            watched.close()
    tally.seconds = time.perf_counter() - started
    SUMMARY.append(tally.line())
    assert not tally.problems, "\n".join([tally.line(), *tally.problems[:60]])


def test_list_menus_work_under_the_policy(
    browser: Browser, live_server: str, signed_in: dict[str | None, Any], locales: Any
) -> None:
    """Bulk actions, the filter menu, select-all-matching and the delete confirmation: Flask-Admin's inline handlers
    replaced by data- attributes (admin_app/templates/admin/, bound by admin_app/static/csp-handlers.js)."""
    from playwright.sync_api import expect

    tally = Tally()
    locales(ACCOUNTS["moderator"].email, "en")
    watched = Watched(new_context(browser, live_server, storage_state=signed_in["moderator"]), tally, "[moderator]")
    page = watched.page
    list_url = "/admin/comment/?search=watches&flt0_disabled_equals=0"
    watched.visit(list_url)
    total = int(re.sub(r"\D", "", page.locator(".nav-tabs .nav-link.active").inner_text()))

    # The current tab names the page (secured_list.html): no javascript: link to follow.
    assert page.locator(".nav-tabs .nav-link.active").get_attribute("aria-current") == "page"
    # Nothing ticked: the menu's action says so (actions.js, reached through data-model-action) and stays.
    dialogs: list[str] = []

    def answer(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.accept()

    def refuse(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.once("dialog", answer)
    page.get_by_role("button", name="With selected").click()
    page.get_by_role("link", name="Disable", exact=True).click()
    expect(page).to_have_url(re.compile(re.escape(list_url) + "$"))
    assert dialogs == ["Please select at least one record."]

    # The filter menu adds a filter row, and the page does not move to "#".
    filters = page.locator("#filter_form table.filters tr")
    before = filters.count()
    page.get_by_role("button", name="Add Filter").click()
    page.locator(".field-filters a.filter").first.click()
    expect(filters).to_have_count(before + 1)
    expect(page.locator("#filter_form button[type=submit]")).to_be_visible()
    expect(page).to_have_url(re.compile(re.escape(list_url) + "$"))
    watched.check("the filter menu")
    watched.visit(list_url)

    # Select-all-matching, then the bulk action: the confirmation asks about every matching row.
    page.locator("input.action-rowtoggle").check()
    page.locator("#select-all-matching").click()
    expect(page.locator("#select-all-banner .select-all")).to_be_visible()
    page.get_by_role("button", name="With selected").click()
    page.get_by_role("link", name="Disable", exact=True).click()
    expect(page.locator("#moderation-question")).to_have_text(f"Disable {total:,} comments?")
    watched.check("select-all-matching and the bulk action")
    watched.close()

    # The delete button asks first: dismissed, the row stays; accepted, it goes.
    with LIVE_APPS[live_server].app_context():  # type: ignore[attr-defined]
        db.session.add(Role(name="csp-probe", description="deleted by tests/e2e/test_csp.py"))
        db.session.commit()
    locales(ACCOUNTS["admin"].email, "en")
    watched = Watched(new_context(browser, live_server, storage_state=signed_in["admin"]), tally, "[admin]")
    page = watched.page
    watched.visit("/admin/role/?search=csp-probe")
    rows = page.locator("table.model-list tbody tr")
    expect(rows).to_have_count(1)
    dialogs.clear()
    page.once("dialog", refuse)
    rows.first.locator("button[data-confirm]").click()
    assert dialogs == ["Are you sure you want to delete this record?"]
    watched.visit("/admin/role/?search=csp-probe")
    expect(rows).to_have_count(1)
    page.once("dialog", answer)
    with page.expect_navigation():
        rows.first.locator("button[data-confirm]").click()
    watched.check("the delete confirmation")
    expect(page.locator(".alert-success")).to_be_visible()
    expect(page.locator("table.model-list tbody td.col-name", has_text="csp-probe")).to_have_count(0)
    with LIVE_APPS[live_server].app_context():  # type: ignore[attr-defined]
        assert db.session.scalar(sa.select(Role.id).where(Role.name == "csp-probe")) is None
    watched.close()
    assert not tally.problems, "\n".join(tally.problems)
