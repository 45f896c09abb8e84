"""A moderator with the keyboard alone (WCAG 2.1.1, 2.4.1, 2.4.3, 2.4.7, 1.4.11, 4.1.3): sign in, skip to the content,
search and filter the comments, tick rows, select all matching, disable them with a reason, hear the result, undo it,
then work the review queue with its shortcuts. Tab, Enter, Space, arrows and typing only: no click, no fill. At every
stop focus is visible (a ring of 3:1 or more against what is around it, on screen) and after every page change it is
on the page's message, or on <body> with the skip link as the first Tab stop."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy import select

from admin_app.extensions import db
from admin_app.models import User
from admin_app.services.seed import DEMO_ACCOUNTS
from tests.e2e.conftest import LIVE_APPS, log_in

if TYPE_CHECKING:
    from playwright.sync_api import Page

ARTIFACTS = Path(__file__).parent / "artifacts"
MODERATOR = next(account for account in DEMO_ACCOUNTS if account.role == "moderator")
SUMMARY: list[str] = []

pytestmark = pytest.mark.e2e

# Counts trusted pointer presses across the journey's pages (sessionStorage outlives a navigation): there must be none.
COUNT_POINTER = """
addEventListener("pointerdown", function (event) {
  if (event.isTrusted) {
    sessionStorage.setItem("pointer", String(Number(sessionStorage.getItem("pointer") || 0) + 1));
  }
}, true);
"""

# What has focus, and how it shows: null for <body>. The ring is read where it is drawn (select2 3.x focuses an
# off-screen input and marks its box), its contrast against the colour beside it (outside the element for a ring
# outside, the element's own background for a ring drawn inside it), composited over the backgrounds behind.
FOCUS_STATE = """() => {
  const active = document.activeElement;
  if (!active || active === document.body || active === document.documentElement) { return null; }
  const shown = active.classList.contains("select2-focusser")
    ? active.closest(".select2-container").querySelector(".select2-choice, .select2-choices") : active;
  const style = getComputedStyle(shown);
  const rect = shown.getBoundingClientRect();
  const width = parseFloat(style.outlineWidth) || 0;
  const offset = parseFloat(style.outlineOffset) || 0;
  const rgba = (text) => { const m = text.match(/[\\d.]+/g) || [0, 0, 0, 0];
    return [+m[0], +m[1], +m[2], m.length > 3 ? +m[3] : 1]; };
  const backdrop = (element) => {
    const layers = [];
    for (let e = element; e; e = e.parentElement) {
      const c = rgba(getComputedStyle(e).backgroundColor);
      if (c[3] > 0) { layers.push(c); if (c[3] >= 1) { break; } }
    }
    let color = [255, 255, 255];
    for (const layer of layers.reverse()) { color = color.map((v, i) => v * (1 - layer[3]) + layer[i] * layer[3]); }
    return color;
  };
  const luminance = (c) => c.map((v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; })
    .reduce((sum, v, i) => sum + v * [0.2126, 0.7152, 0.0722][i], 0);
  let beside = backdrop(shown);
  if (offset >= 0) {
    const d = offset + width + 1, midX = (rect.left + rect.right) / 2, midY = (rect.top + rect.bottom) / 2;
    const points = [[rect.left - d, midY], [rect.right + d, midY], [midX, rect.top - d], [midX, rect.bottom + d]]
      .filter(([x, y]) => x >= 0 && y >= 0 && x < innerWidth && y < innerHeight);
    for (const [x, y] of points) {
      const under = document.elementsFromPoint(x, y).find((e) => e !== shown && !shown.contains(e));
      if (under) { beside = backdrop(under); break; }
    }
  }
  const ring = rgba(style.outlineColor);
  const drawn = ring.slice(0, 3).map((v, i) => v * ring[3] + beside[i] * (1 - ring[3]));
  const [hi, lo] = [luminance(drawn), luminance(beside)].sort((a, b) => b - a);
  const text = (active.innerText || active.value || active.getAttribute("aria-label") || "").trim().slice(0, 50);
  const classes = typeof active.className === "string" ? active.className.trim().split(/\\s+/).filter(Boolean) : [];
  return {
    describe: active.tagName.toLowerCase() + (active.id ? "#" + active.id : "") +
      classes.map((name) => "." + name).join("") + (text ? ' "' + text.replace(/\\s+/g, " ") + '"' : ""),
    focusVisible: active.matches(":focus-visible"),
    outline: style.outlineStyle !== "none" && width >= 2,
    shadow: style.boxShadow !== "none",
    contrast: Math.round((hi + 0.05) / (lo + 0.05) * 100) / 100,
    onScreen: rect.bottom > 0 && rect.right > 0 && rect.top < innerHeight && rect.left < innerWidth,
    rect: [rect.left, rect.top, rect.right, rect.bottom].map(Math.round).join(", ") + " in " + innerWidth + "x" +
      innerHeight + " scrolled to " + Math.round(scrollY),
  };
}"""


@dataclass
class Keyboard:
    """The journey's hands: every key goes through here, and every stop is checked."""

    page: Page
    steps: list[str] = field(default_factory=list)
    tabs: int = 0
    keys: int = 0
    typed: int = 0
    loads: int = 0
    stops: int = 0
    weakest: float = 99.0

    def step(self, name: str) -> None:
        self.steps.append(name)

    def focus(self) -> dict[str, Any] | None:
        return self.page.evaluate(FOCUS_STATE)  # type: ignore[no-any-return]

    def checked(self, what: str) -> dict[str, Any]:
        """Focus is on something (not lost to <body>), visibly, with contrast, on screen."""
        state = self.focus()
        assert state is not None, f"{self.where()}: after {what}, focus was lost (document.activeElement is <body>)"
        self.stops += 1
        assert state["focusVisible"], f"{self.where()}: {state['describe']} has focus but not :focus-visible"
        assert state["outline"] or state["shadow"], f"{self.where()}: {state['describe']} shows no focus ring"
        if state["outline"]:
            assert state["contrast"] >= 3, f"{self.where()}: {state['describe']}'s ring has {state['contrast']}:1"
            self.weakest = min(self.weakest, state["contrast"])
        assert state["onScreen"], f"{self.where()}: {state['describe']} has focus off screen ({state['rect']})"
        return state

    def where(self) -> str:
        return f"step {len(self.steps)} ({self.steps[-1] if self.steps else 'start'}) on {self.page.url}"

    def press(self, key: str) -> dict[str, Any]:
        self.count(key)
        self.page.keyboard.press(key)
        return self.checked(key)

    def type(self, text: str) -> None:
        self.typed += len(text)
        self.page.keyboard.type(text)
        self.checked(f"typing {text!r}")

    def count(self, key: str) -> None:
        if key in ("Tab", "Shift+Tab"):
            self.tabs += 1
        else:
            self.keys += 1

    def tab_to(self, selector: str, *, backwards: bool = False, limit: int = 40) -> dict[str, Any]:
        """Tab (Shift+Tab) until the focused element matches ``selector``; fails, naming the stops, after ``limit``."""
        seen = []
        for _ in range(limit):
            state = self.press("Shift+Tab" if backwards else "Tab")
            if self.page.evaluate("(selector) => document.activeElement.matches(selector)", selector):
                return state
            seen.append(state["describe"])
        raise AssertionError(
            f"{self.where()}: {limit} {'Shift+Tab' if backwards else 'Tab'} presses never reached {selector!r}; "
            f"focus went through {', '.join(seen[:12])}{' ...' if len(seen) > 12 else ''}"
        )

    def arrow_to(self, selector: str, *, key: str = "ArrowDown", limit: int = 15) -> dict[str, Any]:
        """Arrow keys through a menu until the focused entry matches ``selector``."""
        for _ in range(limit):
            state = self.press(key)
            if self.page.evaluate("(selector) => document.activeElement.matches(selector)", selector):
                return state
        raise AssertionError(f"{self.where()}: {limit} {key} presses never reached {selector!r}")

    def load(self, key: str) -> dict[str, Any] | None:
        """A key that changes the page; then focus is on the page's message, or on <body> and the first Tab stop is
        the skip link (that Tab is pressed here: the journey goes on from the skip link)."""
        self.count(key)
        with self.page.expect_navigation():
            self.page.keyboard.press(key)
        self.loads += 1
        state = self.focus()
        if state is None:
            state = self.press("Tab")
            assert self.page.evaluate("() => document.activeElement.matches('a.skip-link')"), (
                f"{self.where()}: focus was on <body> after the page changed, but the first Tab stop is "
                f"{state['describe']}, not the skip link"
            )
            return None
        return self.checked(f"{key}, which changed the page")

    def active(self, selector: str) -> bool:
        return bool(self.page.evaluate("(selector) => document.activeElement.matches(selector)", selector))


def test_moderator_works_with_the_keyboard_alone(page: Page) -> None:
    from playwright.sync_api import expect

    ARTIFACTS.mkdir(exist_ok=True)
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.context.add_init_script(COUNT_POINTER)
    keys = Keyboard(page)

    keys.step("sign in")
    page.goto("/login")
    assert keys.focus() is None, "the login page should open with focus on <body>"
    keys.press("Tab")
    assert keys.active("a.skip-link"), "the skip link should be the login page's first Tab stop"
    keys.press("Enter")
    assert keys.active("main#main"), "the skip link should move focus to <main>"
    keys.tab_to("#email")
    keys.type(MODERATOR.email)
    keys.tab_to("#password")
    keys.type(MODERATOR.password)
    keys.load("Enter")  # a moderator needs no second factor (only role-assign does)
    expect(page).to_have_url(re.compile(r"/admin/$"))

    keys.step("open the comments from the menu")
    keys.tab_to("nav a.nav-link[href$='/admin/comment/']")
    keys.load("Enter")
    expect(page).to_have_url(re.compile(r"/admin/comment/$"))

    keys.step("skip to the content and search")
    keys.press("Enter")
    assert keys.active("main#main"), "the skip link should move focus to <main>"
    page.screenshot(path=ARTIFACTS / "keyboard-main-focused.png")
    keys.tab_to("input[name=search]")
    keys.type("watches")
    keys.load("Enter")
    expect(page).to_have_url(re.compile(r"search=watches"))

    keys.step("add a filter, then remove it with Space")
    filter_toggle = "a.dropdown-toggle:has(+ .field-filters)"
    keys.tab_to(filter_toggle)
    keys.press("Enter")
    keys.arrow_to(".field-filters a.filter")
    keys.press("Enter")
    keys.tab_to("#filter_form a.remove-filter[role=button]", backwards=True, limit=3)
    keys.press("Space")
    expect(page.locator("#filter_form .filters tr")).to_have_count(0)
    assert keys.active(filter_toggle), "removing the only filter should return focus to the filter menu"

    keys.step("add a filter from the filter menu: not disabled")
    keys.press("Enter")
    keys.arrow_to(".field-filters a.filter")
    expect(page.locator(":focus")).to_have_text("Disabled")
    keys.press("Enter")
    assert keys.active(".filters tr:last-child .select2-focusser"), "choosing a filter should focus its value"
    keys.press("ArrowDown")  # opens select2's list, "Yes" highlighted
    keys.press("ArrowDown")
    keys.press("Enter")
    assert keys.active(".filters tr:last-child .select2-focusser"), "choosing a value should focus the filter again"
    expect(page.locator(".filters tr:last-child select.filter-val")).to_have_value("0")
    keys.tab_to("#filter_form button[type=submit]")
    keys.load("Enter")
    expect(page).to_have_url(re.compile(r"flt\d+_disabled_equals=0"))
    expect(page).to_have_url(re.compile(r"search=watches"))
    count_text = page.locator(".nav-tabs .nav-link.active").inner_text()
    total = int(re.sub(r"\D", "", count_text))
    assert total > 20, "the demo data should hold more spam than one page"

    keys.step("tick two rows with Space")
    keys.tab_to("input.action-checkbox")
    keys.press("Space")
    keys.tab_to("input.action-checkbox:not(:checked)")
    keys.press("Space")
    expect(page.locator("input.action-checkbox:checked")).to_have_count(2)

    keys.step("tick the page, then select all matching")
    keys.tab_to("input.action-rowtoggle", backwards=True)
    keys.press("Space")
    banner = page.locator("[role=status] #select-all-banner")
    expect(banner).to_be_visible()
    keys.tab_to("#select-all-matching", backwards=True, limit=3)
    keys.press("Enter")
    assert keys.active("#clear-selection"), "after select-all-matching, focus should go to its Clear selection button"
    expect(banner).to_contain_text(f"All {total:,} rows matching this list are selected.")

    keys.step("choose Disable from the actions menu")
    keys.tab_to("li.dropdown:has([data-model-action]) > a.dropdown-toggle", backwards=True)
    keys.press("Space")  # role=button: Space opens it, as Enter does (keyboard.js; Bootstrap 4.6 leaves Space out)
    expect(page.locator(".dropdown-menu.show [data-model-action]").first).to_be_visible()
    keys.arrow_to("[data-model-action=disable]")
    keys.load("Enter")
    expect(page.locator("#moderation-question")).to_have_text(f"Disable {total:,} comments?")

    keys.step("choose a reason, write a note, confirm")
    keys.tab_to("select[name=reason]")
    for _ in range(10):
        if page.locator("select[name=reason]").input_value() == "spam":
            break
        keys.press("ArrowDown")
    expect(page.locator("select[name=reason]")).to_have_value("spam")
    keys.tab_to("textarea[name=note]")
    keys.type("spam wave, by keyboard")
    keys.tab_to("#moderation-confirm")
    state = keys.load("Enter")

    keys.step("hear the result")
    assert state is not None and keys.active("#flash-status .alert-success"), "the result message should have focus"
    result = page.locator("#flash-status[role=status][aria-live=polite] .alert-success")
    expect(result).to_contain_text(f"{total:,} comments disabled.")
    expect(page.locator("input.action-checkbox")).to_have_count(0)  # no rows left in the filtered list
    page.screenshot(path=ARTIFACTS / "keyboard-result-focused.png")

    keys.step("undo it from the message")
    keys.tab_to("#flash-status button[data-undo]", limit=2)
    state = keys.load("Enter")
    assert state is not None and keys.active("#flash-status .alert-success"), "the undo's message should have focus"
    expect(page.locator("#flash-status[role=status] .alert-success")).to_contain_text(
        f"Undone: {total:,} rows restored."
    )
    expect(page.locator(".nav-tabs .nav-link.active")).to_contain_text(f"List ({total:,})")

    keys.step("dismiss the message")
    keys.tab_to("#flash-status .alert button.close", limit=3)
    keys.press("Enter")
    assert keys.active("main#main"), "dismissing the message should leave focus on <main>"
    expect(page.locator("#flash-status .alert")).to_have_count(0)

    keys.step("open the review queue")
    keys.tab_to("nav a.nav-link[href$='/admin/queue/']", backwards=True)
    keys.load("Enter")
    rows = page.locator("#queue-table tr[data-queue-row]")
    assert rows.count() >= 3, "the demo data should leave comments to review"
    first, second, third = (rows.nth(i).get_attribute("id") for i in range(3))

    keys.step("j and k move between comments, x ticks them")
    keys.press("j")
    assert keys.active(f"#{second}[aria-current=true]"), "j should move focus to the next comment"
    page.screenshot(path=ARTIFACTS / "keyboard-queue-row-focused.png")
    keys.press("k")
    assert keys.active(f"#{first}[aria-current=true]"), "k should move focus back to the previous comment"
    keys.press("x")
    keys.press("j")
    keys.press("x")
    expect(page.locator("#queue-table input[name=id]:checked")).to_have_count(2)

    keys.step("d, Escape goes back to the comment")
    keys.press("d")
    assert keys.active("#queue-reason"), "d should move focus to the reason"
    keys.press("Escape")
    assert keys.active(f"#{second}"), "Escape should bring focus back to the current comment"

    keys.step("d, a reason with the arrows, Enter disables the ticked comments")
    keys.press("d")
    keys.press("ArrowDown")
    assert page.locator("#queue-reason").input_value(), "ArrowDown should choose the first reason"
    state = keys.load("Enter")
    assert state is not None and keys.active("#flash-status .alert-success"), "the queue's result should have focus"
    expect(page.locator("#flash-status[role=status] .alert-success")).to_contain_text("2 comments disabled.")
    expect(page.locator(f"#{first}, #{second}")).to_have_count(0)
    assert page.locator("#queue-table tr[data-queue-row]").first.get_attribute("id") == third

    keys.step("a approves the current comment")
    keys.press("j")
    current = page.evaluate("() => document.activeElement.id")
    state = keys.load("a")
    assert state is not None and keys.active("#flash-status .alert-success"), "the approval's message should have focus"
    expect(page.locator("#flash-status[role=status] .alert-success")).to_contain_text("1 comment approved.")
    expect(page.locator(f"#{current}")).to_have_count(0)

    assert page.evaluate("() => Number(sessionStorage.getItem('pointer') || 0)") == 0, "something used the pointer"
    assert not dialogs, f"the journey met dialogs: {dialogs}"
    SUMMARY.append(
        f"keyboard journey: {len(keys.steps)} steps, {keys.tabs} Tab presses, {keys.keys} other keys "
        f"(Enter, Space, arrows, shortcuts), {keys.typed} characters typed, 0 clicks, {keys.loads} page changes; "
        f"focus visible at all {keys.stops} stops (weakest ring {keys.weakest}:1)"
    )


def saved_locale(base_url: str, email: str, locale: str | None = None, *, restore: bool = False) -> str | None:
    """The account's saved language; with ``restore``, set it back to ``locale``."""
    app = LIVE_APPS[base_url]
    with app.app_context():  # type: ignore[attr-defined]
        user = db.session.scalars(select(User).where(User.email == email)).one()
        if restore:
            user.locale = locale
            db.session.commit()
        return user.locale


@pytest.mark.parametrize("language", ["en", "ar"])
def test_focus_ring_shows_in_both_directions(page: Page, live_server: str, language: str) -> None:
    """The skip link over the navbar's start (right in Arabic), and a ring on the navbar and on the page."""
    from playwright.sync_api import expect

    ARTIFACTS.mkdir(exist_ok=True)
    before = saved_locale(live_server, MODERATOR.email)
    log_in(page, MODERATOR.email, MODERATOR.password)
    keys = Keyboard(page)
    try:
        page.goto("/admin/comment/")
        if language != "en":
            keys.step("choose the language from its menu")
            keys.tab_to("#language-toggle")
            keys.press("Enter")
            keys.arrow_to(f"#language-menu button[value={language}]")
            keys.load("Enter")
            expect(page.locator("html")).to_have_attribute("dir", "rtl")
        else:
            keys.press("Tab")
        keys.step("the skip link")
        assert keys.active("a.skip-link")
        page.screenshot(path=ARTIFACTS / f"keyboard-skip-link-{language}.png")
        box = page.locator("a.skip-link").bounding_box()
        nav = page.locator("nav.navbar").bounding_box()
        assert box and nav
        at_start = box["x"] > nav["x"] + nav["width"] / 2 if language == "ar" else box["x"] < nav["width"] / 2
        assert at_start, f"the skip link should sit at the navbar's start: {box} in {nav}"

        keys.step("a navbar link and a page menu")
        keys.tab_to("nav a.nav-link[href$='/admin/queue/']")
        page.screenshot(path=ARTIFACTS / f"keyboard-navbar-focus-{language}.png")
        keys.tab_to("li.dropdown:has([data-model-action]) > a.dropdown-toggle")
        keys.press("Enter")
        keys.press("ArrowDown")
        page.screenshot(path=ARTIFACTS / f"keyboard-menu-focus-{language}.png")
        keys.press("Escape")
        assert keys.active("li.dropdown:has([data-model-action]) > a.dropdown-toggle"), "Escape returns to the toggle"
        keys.tab_to("input[name=search]")
        page.screenshot(path=ARTIFACTS / f"keyboard-search-focus-{language}.png")
    finally:
        saved_locale(live_server, MODERATOR.email, before, restore=True)
