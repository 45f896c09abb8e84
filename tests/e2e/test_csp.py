"""Every page every role can open, in every language, under the strict Content-Security-Policy (admin_app/headers.py):
not one violation reported, not one console error. The pages are the access matrix's (tests/admin/test_access.py)
with real ids, plus the sign-in and two-factor pages, a moderation confirmation and 404s. Then the list's menus that
Flask-Admin wires with inline handlers (bulk actions, filters, delete confirmation) and select-all-matching still
work."""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import sqlalchemy as sa

from admin_app.admin.reports import REPORTS
from admin_app.extensions import db
from admin_app.models import AuditEntry, Comment, Role, User
from admin_app.services.seed import DEMO_ACCOUNTS
from tests.admin.test_access import CASES, ROLES, Case, allowed, finished_export
from tests.e2e.conftest import LIVE_APPS, log_in, set_password

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Dialog

ARTIFACTS = Path(__file__).parent / "artifacts"
ACCOUNTS = {account.role: account for account in DEMO_ACCOUNTS}
MEMBER_PASSWORD = "csp-member-password"
# Left to right and right to left: Flask-Admin's Bootstrap, or the RTL build of admin_app/static/vendor/rtl.
EVERY_PAGE_IN = ("en", "ar")
EVERY_LANGUAGE = os.environ.get("E2E_CSP_EVERY_LANGUAGE", "") not in ("", "0")
GET_CASES = list({case.endpoint: case for case in CASES if case.method == "GET"}.values())
VIEWPORT = {"width": 1280, "height": 800}

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


def languages() -> list[str]:
    return list(next(iter(LIVE_APPS.values())).config["LANGUAGES"])  # type: ignore[attr-defined]


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
        """Every console error is a problem, but Chromium's note that a 403 or 404 page answered 403 or 404, and
        its unasked favicon request (the back office has none)."""
        for page_url, resource, text in self.console:
            expected = resource in self.refused or resource.endswith("/favicon.ico")
            if not (expected and text.startswith("Failed to load resource: the server responded with a status")):
                kind = "CSP" if "Content Security Policy" in text else "console error"
                self.tally.problems.append(f"{self.label} {page_url}: {kind}: {text} ({resource})")
        self.page.context.close()


def new_context(browser: Browser, live_server: str, **options: Any) -> BrowserContext:
    context = browser.new_context(base_url=live_server, viewport=VIEWPORT, **options)  # type: ignore[arg-type]
    context.set_default_timeout(10_000)
    context.add_init_script(RECORD_VIOLATIONS)
    return context


@dataclass(frozen=True)
class Scene:
    """Real ids of the live server's demo data, a job of each signed-in role's own, and who plays each role."""

    ids: dict[str, int]
    jobs: dict[str | None, int]
    emails: dict[str | None, str]
    passwords: dict[str | None, str]


def build_scene(live_server: str) -> Scene:
    app = LIVE_APPS[live_server]
    with app.app_context():  # type: ignore[attr-defined]
        session = db.session
        comment = session.scalars(sa.select(Comment).order_by(Comment.id)).first()
        assert comment is not None
        # A plain member, the newest: the other journeys work on the oldest ones.
        member = session.scalars(
            sa.select(User)
            .where(User.active, User.roles.any(Role.name == "user"), ~User.roles.any(Role.name != "user"))
            .order_by(User.id.desc())
        ).first()
        assert member is not None
        role_id = session.scalar(sa.select(Role.id).where(Role.name == "user"))
        entry_id = session.scalar(sa.select(sa.func.max(AuditEntry.id)))
        emails: dict[str | None, str] = {role: account.email for role, account in ACCOUNTS.items()}
        emails["user"] = str(member.email)
        jobs: dict[str | None, int] = {}
        for role in ROLES:
            if role is not None:
                jobs[role] = finished_export(session.scalars(sa.select(User).where(User.email == emails[role])).one())
        jobs[None] = jobs["admin"]
        ids = {"comment": comment.id, "post": comment.post_id, "user": comment.author_id,
               "member": comment.author_id, "role": role_id or 0, "audit": entry_id or 0}  # fmt: skip
    set_password(live_server, emails["user"], MEMBER_PASSWORD)
    passwords: dict[str | None, str] = {role: account.password for role, account in ACCOUNTS.items()}
    passwords["user"] = MEMBER_PASSWORD
    return Scene(ids, jobs, emails, passwords)


def matrix_urls(case: Case, scene: Scene, role: str | None) -> list[str]:
    """The addresses of one GET endpoint of the matrix, as ``role`` would open them."""
    if case.name == "ajax_lookup":
        return [f"{case.rule}?name={case.action}&query=user"]
    if "<export_type>" in case.rule:
        return [case.rule.replace("<export_type>", "csv")]
    if "<report>" in case.rule:
        return [case.rule.replace("<report>", name) for name in REPORTS]
    if "<int:job_id>" in case.rule:
        others = [job for owner, job in scene.jobs.items() if owner not in (role, None)]
        # Their own job; someone else's is a 404.
        return [case.rule.replace("<int:job_id>", str(job)) for job in (scene.jobs[role], others[0])]
    if case.name in ("details_view", "edit_view"):
        return [f"{case.rule}?id={scene.ids[case.view]}"]
    return [case.rule]


@pytest.fixture(scope="module")
def page_cases(browser: Browser, live_server: str, scene: Scene, signed_in: dict[str | None, Any]) -> list[Case]:
    """The matrix's GET endpoints that answer a page (HTML), asked once (HEAD) as a role that may open each; the
    others answer files (exports, downloads) or JSON (lookups, a job's progress, health checks)."""
    contexts = {role: new_context(browser, live_server, storage_state=signed_in[role]) for role in ROLES if role}
    found = []
    for case in GET_CASES:
        role = next((role for role in ROLES if role and allowed(case, role)), None)
        if role is None:
            continue  # nobody's page: every role gets the refusal, which role_pages shows
        response = contexts[role].request.head(matrix_urls(case, scene, role)[0], max_redirects=0)
        headers = response.headers
        html = headers.get("content-type", "").startswith("text/html") and "content-disposition" not in headers
        if response.status == 200 and html:
            found.append(case)
    for context in contexts.values():
        context.close()
    names = {case.endpoint for case in found}
    assert {"comment.index_view", "comment.edit_view", "reports.report_view", "jobs.job_view"} <= names, names
    assert not names & {"comment.export", "comment.ajax_lookup", "jobs.progress_view", "jobs.file_view"}, names
    return found


def role_pages(page_cases: list[Case], scene: Scene, role: str | None, language: str) -> list[str]:
    """The pages of the matrix ``role`` may open, in ``language``'s share (see shared()); then, in every language, one
    address it may not open (every refusal is the same page: the 403 page signed in, the login page signed out;
    tests/admin/test_access.py pins who is refused where) and an address that is nothing (the 404 page)."""
    opened: list[str] = []
    refused: list[str] = []
    for case in page_cases:
        (opened if allowed(case, role) else refused).extend(matrix_urls(case, scene, role))
    return [*shared(opened, language), *refused[:1], "/admin/nowhere"]


def shared(pages: list[str], language: str) -> list[str]:
    """Every page in the languages of each direction's build (their style sheets differ); the other languages
    change only the text, so each takes every n-th page and together they show each page once. The whole cross
    product (about twice as long) with E2E_CSP_EVERY_LANGUAGE=1."""
    if EVERY_LANGUAGE or language in EVERY_PAGE_IN:
        return pages
    others = [code for code in languages() if code not in EVERY_PAGE_IN]
    return pages[others.index(language) :: len(others)]


@pytest.fixture(scope="module")
def scene(live_server: str) -> Scene:
    return build_scene(live_server)


@pytest.fixture(scope="module")
def signed_in(browser: Browser, live_server: str, scene: Scene) -> dict[str | None, Any]:
    """Each role's cookies after one sign-in (the admin's with two-factor): a context per language starts from them,
    so no code is typed twice in one 30-second step."""
    ARTIFACTS.mkdir(exist_ok=True)
    states: dict[str | None, Any] = {None: None}
    for role in ROLES:
        if role is None:
            continue
        context = new_context(browser, live_server)
        log_in(context.new_page(), scene.emails[role], scene.passwords[role])
        states[role] = context.storage_state()
        context.close()
    return states


@pytest.fixture
def locales(live_server: str, scene: Scene) -> Iterator[Any]:
    """Sets a signed-in role's saved language (it wins over the browser's); every account gets its own back after."""
    app = LIVE_APPS[live_server]

    def saved(email: str, code: str | None = None, restore: bool = False) -> str | None:
        with app.app_context():  # type: ignore[attr-defined]
            user = db.session.scalars(sa.select(User).where(User.email == email)).one()
            before = user.locale
            if code is not None or restore:
                user.locale = code
                db.session.commit()
            return before

    before = {email: saved(email) for email in scene.emails.values()}
    yield saved
    for email, locale in before.items():
        saved(email, locale, restore=True)


def sign_in_pages(watched: Watched, scene: Scene, role: str | None) -> None:
    """The sign-in and two-factor pages: signed out, the login page and the admin's code step; signed in, the
    re-authentication page and two-factor setup (for the admin, on to the QR code, a data: image)."""
    page = watched.page
    if role is None:
        watched.visit("/login")
        page.locator("#email").fill(scene.emails["admin"])
        page.locator("#password").fill(scene.passwords["admin"])
        page.locator("form[name=login_user_form] [type=submit]").click()
        page.wait_for_url(re.compile(r"/tf-validate"))
        watched.check("/tf-validate")
        return
    watched.visit("/verify")
    watched.visit("/tf-setup")
    if role == "admin":
        page.locator("input[name=setup][value=authenticator]").check()
        page.locator("form[name=two_factor_setup_form] [type=submit]").click()
        page.locator("#qrcode").wait_for()
        watched.check("/tf-setup (QR code)")


def confirmation_page(watched: Watched) -> None:
    """A moderation confirmation, reached as a moderator does: tick a row, pick the action from the list's menu."""
    page = watched.page
    watched.visit("/admin/comment/?flt0_disabled_equals=0")
    page.locator("input.action-checkbox").first.check()
    page.locator("li.dropdown:has([data-model-action]) > a.dropdown-toggle").click()
    page.locator("[data-model-action=disable]").click()
    page.locator("#moderation-question").wait_for()
    watched.check("/admin/comment/action/ (confirmation)")


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

    # The current tab is one of Flask-Admin's javascript:void(0) links: following it does nothing, and is no violation.
    page.locator(".nav-tabs .nav-link.active").click()
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
    page.get_by_role("link", name="Add Filter").click()
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
