"""Every page every role can open, for the sweeps that visit them all (test_csp.py, test_accessibility.py): the access
matrix's GET pages (tests/admin/test_access.py) with the live server's real ids, each role's refusal and a 404, the
sign-in and two-factor pages, and confirmations reached from a list's menu. The fixtures over these (scene,
signed_in, page_cases, locales) are in conftest.py."""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import sqlalchemy as sa

from admin_app.admin.reports import REPORTS
from admin_app.extensions import db
from admin_app.models import AuditEntry, Comment, Role, Rule, User
from admin_app.services import saved_views
from admin_app.services.seed import DEMO_ACCOUNTS
from tests.admin.test_access import CASES, ROLES, Case, allowed, finished_export
from tests.e2e.conftest import ARTIFACTS, LIVE_APPS, log_in, set_password

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page

ACCOUNTS = {account.role: account for account in DEMO_ACCOUNTS}
MEMBER_PASSWORD = "csp-member-password"
# Left to right and right to left: Flask-Admin's Bootstrap, or the RTL build of admin_app/static/vendor/rtl.
EVERY_PAGE_IN = ("en", "ar")
EVERY_LANGUAGE = os.environ.get("E2E_CSP_EVERY_LANGUAGE", "") not in ("", "0")
GET_CASES = list({case.endpoint: case for case in CASES if case.method == "GET"}.values())
VIEWPORT = {"width": 1280, "height": 800}


class Visitor(Protocol):
    """A sweep's page: ``visit`` opens an address and checks it, ``check`` checks what is on the page now."""

    page: Page

    def visit(self, url: str) -> None: ...

    def check(self, url: str) -> None: ...


def languages() -> list[str]:
    return list(next(iter(LIVE_APPS.values())).config["LANGUAGES"])  # type: ignore[attr-defined]


def new_context(browser: Browser, live_server: str, **options: Any) -> BrowserContext:
    context = browser.new_context(base_url=live_server, viewport=VIEWPORT, **options)  # type: ignore[arg-type]
    context.set_default_timeout(10_000)
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
        # Switched off: a rule's pages to open, and nothing caught in the other journeys' way.
        rule = Rule(kind="word", text="giveaway", action="hold", reason="spam", active=False)
        session.add(rule)
        # Pinned views on every back-office dashboard, and in the lists' menus: the admin's own, and shared.
        admin = session.scalars(sa.select(User).where(User.email == emails["admin"])).one()
        for name, shared_with in (("Visible comments", None), ("For the moderators", "moderator"),
                                  ("For the staff", "staff")):  # fmt: skip
            role = session.scalar(sa.select(Role.id).where(Role.name == shared_with)) if shared_with else None
            wanted = saved_views.Wanted("comment", name, [("flt0_disabled_equals", "0")], "timestamp", True,
                                        ["author", "body", "timestamp"], role, pinned=True)  # fmt: skip
            saved_views.save(admin, wanted)
        session.commit()
        ids = {"comment": comment.id, "post": comment.post_id, "user": comment.author_id,
               "member": comment.author_id, "role": role_id or 0, "audit": entry_id or 0, "rule": rule.id}  # fmt: skip
    set_password(live_server, emails["user"], MEMBER_PASSWORD)
    passwords: dict[str | None, str] = {role: account.password for role, account in ACCOUNTS.items()}
    passwords["user"] = MEMBER_PASSWORD
    return Scene(ids, jobs, emails, passwords)


def sign_in_everyone(browser: Browser, live_server: str, scene: Scene) -> dict[str | None, Any]:
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
    if case.name == "save_view":
        return [f"{case.rule}?list=comment&search=remark&columns=author,body&sort=4&desc=1"]
    if case.name in ("details_view", "edit_view"):
        return [f"{case.rule}?id={scene.ids[case.view]}"]
    return [case.rule]


def find_page_cases(browser: Browser, live_server: str, scene: Scene, signed_in: dict[str | None, Any]) -> list[Case]:
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


def saved_locales(live_server: str) -> Callable[..., str | None]:
    """``saved(email, code)`` sets a signed-in role's saved language (it wins over the browser's) and answers the one
    it had; ``saved(email, before, restore=True)`` puts it back."""
    app = LIVE_APPS[live_server]

    def saved(email: str, code: str | None = None, restore: bool = False) -> str | None:
        with app.app_context():  # type: ignore[attr-defined]
            user = db.session.scalars(sa.select(User).where(User.email == email)).one()
            before = user.locale
            if code is not None or restore:
                user.locale = code
                db.session.commit()
            return before

    return saved


def sign_in_pages(watched: Visitor, scene: Scene, role: str | None) -> None:
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


def confirmation_page(watched: Visitor, list_url: str = "/admin/comment/?flt0_disabled_equals=0",
                      action: str = "disable") -> None:  # fmt: skip
    """An operation's confirmation, reached as a moderator does: tick a row, pick the action from the list's menu."""
    page = watched.page
    watched.visit(list_url)
    page.locator("input.action-checkbox").first.check()
    page.locator("li.dropdown:has([data-model-action]) > a.dropdown-toggle").click()
    page.locator(f"[data-model-action={action}]").click()
    page.locator("#moderation-question").wait_for()
    watched.check(f"{list_url.partition('?')[0]}action/ ({action} confirmation)")
