"""Every page every role can open, in English and in Arabic (each direction's style sheets), checked by axe-core for
WCAG 2.2 AA and its best practices: not one violation of impact serious or critical. The pages are the
Content-Security-Policy sweep's (tests/e2e/pages.py: the access matrix's with real ids, refusals, 404s, the sign-in and
two-factor pages), plus a searched and filtered list, the select-all banner, and a confirmation of each kind of
operation.

axe runs through page.evaluate, which Playwright runs in the page's main world over the DevTools protocol: the
Content-Security-Policy does not apply to it (a <script> tag added to the page would be refused)."""

from __future__ import annotations

import json
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

import pytest

from tests.admin.test_access import ROLES, Case
from tests.e2e.conftest import ARTIFACTS
from tests.e2e.pages import Scene, confirmation_page, new_context, role_pages, sign_in_pages

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext

LANGUAGES = ("en", "ar")
# WCAG 2.2 AA's rules, and axe's best practices (landmarks, headings, labels that are only a tooltip): a serious or
# critical violation of either fails, the moderate and minor ones are counted.
OPTIONS = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]},
    "resultTypes": ["violations"],  # the other kinds list one element each: enough to count, and faster
}
BLOCKING = ("critical", "serious")
# A searched and filtered list: the filter row's inputs, the search box's clear link.
SEARCHED = "/admin/comment/?search=watches&flt0_disabled_equals=0"
# role -> (list, action) of each confirmation shown: moderation (undoable), nothing to do, final (a delete, with its
# fresh-login check), a role to choose, an account's state.
CONFIRMATIONS = {
    "moderator": [
        ("/admin/comment/?flt0_disabled_equals=0", "disable"),
        ("/admin/comment/?flt0_disabled_equals=0", "enable"),
        ("/admin/post/", "hide"),
        ("/admin/member/", "disable_comments"),
    ],
    "admin": [
        ("/admin/comment/", "delete"),
        ("/admin/user/", "add_role"),
        ("/admin/user/", "deactivate"),
    ],
}

pytestmark = pytest.mark.e2e


def axe_script() -> str:
    from axe_playwright_python.base import AXE_SCRIPT

    return AXE_SCRIPT


@dataclass(frozen=True)
class Finding:
    """One rule failing on one page, for one role in one language: the elements' selectors, what axe says of each."""

    label: str
    url: str
    rule: str
    impact: str
    targets: list[str]
    details: list[str]


@dataclass
class Tally:
    """What one run saw: the pages, the axe runs, and every violation."""

    urls: set[str] = field(default_factory=set)
    runs: int = 0
    contexts: int = 0
    version: str = "?"
    violations: list[Finding] = field(default_factory=list)
    seconds: float = 0.0

    def blocking(self) -> list[str]:
        return [
            f"{found.label} {found.url}: {found.rule} ({found.impact}) at {', '.join(found.targets)}"
            for found in self.violations
            if found.impact in BLOCKING
        ]

    def by_rule(self, impact: str) -> str:
        """How many page runs each rule of that impact failed on, most first."""
        rules = Counter(found.rule for found in self.violations if found.impact == impact)
        listed = ", ".join(f"{rule} {count}" for rule, count in rules.most_common())
        return f"{impact} {sum(rules.values())}" + (f" ({listed})" if listed else "")

    def line(self) -> str:
        return (
            f"accessibility: {len(self.urls)} pages x {len(ROLES)} roles x {len(LANGUAGES)} languages "
            f"({self.runs} axe {self.version} runs, WCAG 2.2 AA and best practices, in {self.contexts} browser "
            f"contexts, {self.seconds:.0f} s), serious/critical {len(self.blocking())}, "
            f"page runs failing a rule: {self.by_rule('moderate')}, {self.by_rule('minor')}"
        )


SUMMARY: list[str] = []


class Audited:
    """The page of one browser context (one role in one language): each distinct page it shows is checked once."""

    def __init__(self, context: BrowserContext, tally: Tally, label: str) -> None:
        self.tally, self.label = tally, label
        self.page = context.new_page()
        self.checked: set[str] = set()

    def visit(self, url: str) -> None:
        self.page.goto(url)
        self.check(url)

    def check(self, url: str) -> None:
        if url in self.checked:
            return
        self.checked.add(url)
        results = self.axe()
        self.tally.runs += 1
        self.tally.urls.add(url)
        self.tally.version = results["testEngine"]["version"]
        # axe ran its rules here (an empty result would pass anything).
        assert results["passes"], f"{self.label} {url}: axe checked nothing"
        for violation in results["violations"]:
            targets = [" ".join(map(str, node["target"])) for node in violation["nodes"]]
            details = [node.get("failureSummary", "") for node in violation["nodes"]]
            rule, impact = violation["id"], violation["impact"] or "?"
            self.tally.violations.append(Finding(self.label, url, rule, impact, targets, details))

    def axe(self, options: dict[str, Any] = OPTIONS) -> Any:
        if not self.page.evaluate("() => typeof window.axe === 'object'"):
            self.page.evaluate(axe_script())
        return self.page.evaluate("options => window.axe.run(document, options)", options)

    def close(self) -> None:
        self.page.context.close()


def select_all_banner(audited: Audited) -> None:
    """The moderated list once every row of the page is ticked: the banner offering every matching row."""
    page = audited.page
    audited.visit(SEARCHED)
    page.locator("input.action-rowtoggle").check()
    page.locator("#select-all-banner").wait_for()
    audited.check(f"{SEARCHED} (select-all banner)")


def test_axe_runs_under_the_content_security_policy(
    browser: Browser, live_server: str, signed_in: dict[str | None, Any]
) -> None:
    """axe is there and finds what it should on a page of the app, its policy in force: a field without a label."""
    audited = Audited(new_context(browser, live_server, storage_state=signed_in["staff"]), Tally(), "[staff]")
    response = audited.page.goto("/admin/")
    assert response is not None and "script-src" in response.headers["content-security-policy"]
    audited.page.evaluate("() => document.body.append(Object.assign(document.createElement('input'), {id: 'probe'}))")
    results = audited.axe({"runOnly": ["label"]})
    assert [(violation["id"], violation["nodes"][0]["target"]) for violation in results["violations"]] == [
        ("label", ["#probe"])
    ]
    audited.close()


def test_every_page_meets_wcag_2_2_aa(
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
        for language in LANGUAGES:
            if role is None:
                context = new_context(browser, live_server, locale=language)
            else:
                locales(scene.emails[role], language)
                context = new_context(browser, live_server, storage_state=signed_in[role])
            tally.contexts += 1
            audited = Audited(context, tally, f"[{role or 'anonymous'} {language}]")
            for url in role_pages(page_cases, scene, role, language):
                audited.visit(url)
            if role in ("staff", "moderator", "admin"):
                audited.visit(SEARCHED)
            if role == "admin":  # what the contrast fixes look like, in each direction
                audited.page.screenshot(path=ARTIFACTS / f"accessibility-list-{language}.png")
            if role in CONFIRMATIONS:
                select_all_banner(audited)
            for list_url, action in CONFIRMATIONS.get(role or "", []):
                confirmation_page(audited, list_url, action)
            sign_in_pages(audited, scene, role)
            audited.close()
    tally.seconds = time.perf_counter() - started
    SUMMARY.append(tally.line())
    found = [asdict(finding) for finding in tally.violations]
    (ARTIFACTS / "accessibility.json").write_text(json.dumps(found, indent=1, ensure_ascii=False))
    problems = tally.blocking()
    assert not problems, "\n".join([tally.line(), *problems[:80]])
