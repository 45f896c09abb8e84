"""A spam wave links to one domain: a moderator writes a rule for it, reads the preview, saves it, applies it to
the existing comments and undoes that, suspends an author, and keeps the wave's comments as a saved view shared
with the moderators and pinned to the dashboard, in English and in German (each run its own domain of the demo
data)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import sqlalchemy as sa
from flask_admin.babel import gettext as admin_gettext
from flask_babel import force_locale, gettext

from admin_app.extensions import db
from admin_app.i18n import ngettext
from admin_app.models import Comment, SavedView
from admin_app.services import rules
from admin_app.services.seed import DEMO_ACCOUNTS
from tests.e2e.conftest import LIVE_APPS, log_in
from tests.e2e.test_languages_journey import choose_language

if TYPE_CHECKING:
    from playwright.sync_api import Page

ARTIFACTS = Path(__file__).parent / "artifacts"
MODERATOR = next(account for account in DEMO_ACCOUNTS if account.role == "moderator")

pytestmark = pytest.mark.e2e


def visible_matches(domain: str) -> int:
    matching = rules.matching(rules.DOMAIN, domain)
    return int(db.session.scalar(sa.select(sa.func.count()).where(Comment.id.in_(matching), ~Comment.disabled)) or 0)


@pytest.mark.parametrize(
    ("locale", "language", "link"),
    [("en", "English", "https://fast-cash.example/start"), ("de_DE", "Deutsch", "https://www.coin-double.example")],
)
def test_a_moderator_writes_a_rule_previews_applies_and_undoes_it(
    page: Page, live_server: str, locale: str, language: str, link: str
) -> None:
    from playwright.sync_api import expect

    app = LIVE_APPS[live_server]
    domain = rules.normalise(rules.DOMAIN, link)
    with app.app_context():
        visible = visible_matches(domain)
        preview = rules.preview(rules.DOMAIN, domain)
    assert visible and preview.comments >= visible, "the demo data should hold visible comments linking there"

    def say(text: str, plural: str | None = None, n: int = 1, **values: object) -> str:
        with app.test_request_context(), force_locale(locale):
            return ngettext(text, plural, n, **values) if plural else gettext(text, **values)

    ARTIFACTS.mkdir(exist_ok=True)
    log_in(page, MODERATOR.email, MODERATOR.password)
    choose_language(page, language)
    try:
        page.goto("/admin/rule/new/")
        page.locator("#kind").select_option("domain")
        page.locator("#text").fill(link)  # pasted as it appears in the comments
        page.locator("#action").select_option("disable")
        page.locator("#reason").select_option("spam")
        page.locator("#rule-preview-button").click()

        summary = page.locator("#rule-preview-summary")
        expect(summary).to_contain_text(
            say("This rule matches %(num)s existing comment.", "This rule matches %(num)s existing comments.",
                preview.comments)
        )  # fmt: skip
        expect(summary).to_contain_text(
            say("They were written by %(num)s author.", "They were written by %(num)s authors.", preview.authors)
        )
        expect(page.locator("#rule-sample tbody tr")).to_have_count(min(preview.comments, rules.SAMPLE))
        expect(page.locator("#rule-sample mark").first).to_have_text(re.compile(re.escape(domain), re.I))
        expect(page.locator("#text")).to_have_value(domain)
        page.screenshot(path=ARTIFACTS / f"rule-preview-{locale}.png", full_page=True)

        with app.test_request_context(), force_locale(locale):
            save = str(admin_gettext("Save"))
        page.locator(f".submit-row input[type=submit][value='{save}']").click()
        expect(page).to_have_url(re.compile(r"/admin/rule/details/\?id=\d+"))
        page.screenshot(path=ARTIFACTS / f"rule-page-{locale}.png", full_page=True)

        page.locator("#record-actions").get_by_role("button", name=say("Apply to existing comments")).click()
        question = say("Apply the rule to %(num)s existing comment?", "Apply the rule to %(num)s existing comments?",
                       visible)  # fmt: skip
        expect(page.locator("#moderation-question")).to_have_text(question)
        reason = say("Spam")
        expect(page.locator(".confirmation-note")).to_have_text(
            say("They will be disabled with the reason “%(reason)s”.", reason=reason)
        )
        page.locator("#note").fill("spam wave")
        page.screenshot(path=ARTIFACTS / f"rule-apply-{locale}.png", full_page=True)
        page.locator("#moderation-confirm").click()

        success = page.locator(".alert-success")
        expect(success).to_contain_text(
            say("The rule was applied to %(num)s comment.", "The rule was applied to %(num)s comments.", visible)
        )
        expect(page.locator("#rule-hits")).to_contain_text(
            say("Caught %(num)s comment in the last 24 hours", "Caught %(num)s comments in the last 24 hours", visible)
        )
        success.get_by_role("button", name=say("Undo")).click()
        expect(page.locator(".alert-success")).to_contain_text(
            say("Undone: %(num)s row restored.", "Undone: %(num)s rows restored.", visible)
        )
        with app.app_context():
            assert visible_matches(domain) == visible

        # One of the wave's authors, suspended for a week from their page, then let back in.
        page.locator("#rule-sample tbody tr").first.locator("td").nth(1).get_by_role("link").click()
        expect(page).to_have_url(re.compile(r"/admin/member/details/\?id=\d+"))
        page.locator("#record-actions").get_by_role("button", name=say("Suspend"), exact=True).click()
        expect(page.locator("#moderation-question")).to_have_text(
            say("Suspend %(num)s member?", "Suspend %(num)s members?", 1)
        )
        page.locator("#duration").select_option("7d")
        page.locator("#reason").select_option("spam")
        page.locator("#moderation-confirm").click()
        success = page.locator(".alert-success")
        expect(success).to_contain_text(say("%(num)s member suspended.", "%(num)s members suspended.", 1))
        expect(page.locator("#suspensions .suspension.table-warning")).to_contain_text(say("In force"))
        expect(page.locator("#suspensions")).to_contain_text(MODERATOR.email.split("@")[0])
        page.screenshot(path=ARTIFACTS / f"member-suspended-{locale}.png", full_page=True)
        success.get_by_role("button", name=say("Undo")).click()
        expect(page.locator("#suspensions .suspension").first).not_to_have_class(re.compile("table-warning"))

        # The wave's comments as a saved view: searched, without the post column, shared with the moderators and
        # pinned; the dashboard counts it, and opening it gives the list back as it was saved.
        page.goto(f"/admin/comment/?search={domain}")
        page.locator("#columns-menu .dropdown-toggle").click()
        page.locator("#column-post").uncheck()
        page.get_by_role("button", name=say("Show these columns")).click()
        expect(page.locator("th.column-header")).to_have_count(5)
        listed = page.locator(".nav-tabs .nav-link.active").inner_text()
        page.locator("#saved-views-menu .dropdown-toggle").click()
        page.locator("#save-this-view").click()
        expect(page.locator("#saved-view-keeps")).to_contain_text(say("Search: “%(terms)s”", terms=domain))
        name = f"Wave {domain}"
        page.locator("#name").fill(name)
        page.locator("#role").select_option(label="moderator")
        page.locator("#pinned").check()
        page.screenshot(path=ARTIFACTS / f"saved-view-save-{locale}.png", full_page=True)
        page.get_by_role("button", name=say("Save the view")).click()
        expect(page.locator(".alert-success")).to_contain_text(say("The view “%(name)s” is saved.", name=name))
        expect(page.locator("th.column-header")).to_have_count(5)
        with app.app_context():
            saved = db.session.scalars(sa.select(SavedView).where(SavedView.name == name)).one()
            assert saved.role is not None and saved.role.name == "moderator" and saved.columns
        page.goto("/admin/")
        tile = page.locator("#dashboard-pinned .dashboard-tile", has_text=name)
        expect(tile).to_be_visible()
        assert re.search(r"\((.+)\)", listed) and tile.locator(".h4").inner_text() == re.search(r"\((.+)\)", listed)[1]
        page.screenshot(path=ARTIFACTS / f"dashboard-pinned-{locale}.png", full_page=True)
        tile.get_by_role("link").click()
        expect(page).to_have_url(re.compile(r"/admin/comment/\?search=.*columns="))
        expect(page.locator("th.column-header")).to_have_count(5)
        with app.app_context():
            db.session.delete(db.session.get(SavedView, saved.id))  # the other language's run saves its own
            db.session.commit()
    finally:
        choose_language(page, "English")  # the moderator's saved language, as other journeys expect it
