"""A spam wave as big as the bench's: a moderator selects every matching comment, confirms, watches the job's
progress bar move to 100 % without a reload, reads the result and undoes it, the undo a job too. PostgreSQL
(TEST_DATABASE_URL), RQ on TEST_REDIS_URL and a real `manage.py worker` process; JOURNEY_COMMENTS rows
(1,000,000 in CI, as in `make bench`; fewer for a quick local run)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import flask_migrate
import pytest
import sqlalchemy as sa
from werkzeug.serving import make_server

from admin_app import create_app
from admin_app.extensions import db
from admin_app.models import Comment
from admin_app.services import role, seed
from admin_app.services.seed import DEMO_ACCOUNTS
from tests.conftest import scratch_database
from tests.e2e.conftest import ARTIFACTS, log_in

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

ROOT = Path(__file__).resolve().parents[2]
MODERATOR = next(account for account in DEMO_ACCOUNTS if account.role == "moderator")
COMMENTS = int(os.environ.get("JOURNEY_COMMENTS", "200000"))

pytestmark = [pytest.mark.e2e, pytest.mark.redis, pytest.mark.postgresql_only]


@pytest.fixture(scope="module")
def spam_wave_server() -> Iterator[str]:
    """The app over a PostgreSQL database of COMMENTS comments (all enabled), with jobs on Redis and a worker."""
    with scratch_database("journey") as url:
        redis_url = os.environ["TEST_REDIS_URL"]
        app = create_app("testing", SQLALCHEMY_DATABASE_URI=url, JOBS_REDIS_URL=redis_url)
        with app.app_context():
            flask_migrate.upgrade()
            role.sync_roles()
            seed.create_demo_accounts()
            seed.fill(COMMENTS // 100, COMMENTS // 10, COMMENTS, seed=3)
            db.session.execute(sa.update(Comment).values(disabled=False))
            db.session.commit()
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.execute(sa.text("VACUUM ANALYZE comments"))
            from admin_app import jobs

            jobs.queue().empty()
        env = {**os.environ, "FLASK_SQLALCHEMY_DATABASE_URI": url, "FLASK_JOBS_REDIS_URL": redis_url,
               "ADMIN_APP_PROFILE": "testing"}  # fmt: skip
        worker = subprocess.Popen([sys.executable, "manage.py", "worker"], cwd=ROOT, env=env)
        server = make_server("127.0.0.1", 0, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{server.port}"
        finally:
            server.shutdown()
            thread.join()
            worker.terminate()
            worker.wait(timeout=60)
            with app.app_context():
                db.engine.dispose()


@pytest.fixture
def journey_page(browser: Browser, spam_wave_server: str) -> Iterator[Page]:
    context = browser.new_context(base_url=spam_wave_server, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(20_000)
    yield context.new_page()
    context.close()


def watch_to_the_end(page: Page) -> list[int]:
    """The progress bar's values, read every 200 ms until the job has ended; the page is never reloaded."""
    marker = page.evaluate("() => (window.__journey = Math.random())")
    seen: list[int] = []
    deadline = time.monotonic() + 1800
    while page.locator("#job").get_attribute("data-ended") != "1":
        assert time.monotonic() < deadline, "the job did not end"
        seen.append(int(page.locator("#job-progress").get_attribute("aria-valuenow") or 0))
        time.sleep(0.2)
    seen.append(int(page.locator("#job-progress").get_attribute("aria-valuenow") or 0))
    assert page.evaluate("() => window.__journey") == marker, "the page was reloaded"
    return seen


def test_a_moderator_disables_every_matching_comment_as_a_job_and_undoes_it(journey_page: Page) -> None:
    from playwright.sync_api import expect

    page = journey_page
    ARTIFACTS.mkdir(exist_ok=True)
    log_in(page, MODERATOR.email, MODERATOR.password)
    page.goto("/admin/comment/?flt0_disabled_equals=0")
    page.locator("input.action-rowtoggle").check()
    page.locator("#select-all-matching").click()
    page.get_by_role("button", name="With selected").click()
    page.get_by_role("link", name="Disable", exact=True).click()

    expect(page.locator("#moderation-question")).to_have_text(f"Disable {COMMENTS:,} comments?")
    expect(page.locator("#runs-in-background")).to_be_visible()
    page.get_by_label("Reason").select_option("spam")
    page.locator("#moderation-confirm").click()

    expect(page).to_have_url(re.compile(r"/admin/jobs/\d+/$"))
    expect(page.locator("#job-title")).to_have_text("Disable comments")
    expect(page.locator(".job-scope")).to_contain_text("Disabled equals No")
    seen = watch_to_the_end(page)
    page.screenshot(path=ARTIFACTS / "job-done.png", full_page=True)
    assert seen[-1] == 100 and any(0 < value < 100 for value in seen), seen
    assert seen == sorted(seen), "the bar went backwards"
    expect(page.locator("#job-result")).to_contain_text(f"{COMMENTS:,} comments disabled.")

    page.locator("#job-result [data-undo]").click()

    expect(page).to_have_url(re.compile(r"/admin/jobs/\d+/$"))
    expect(page.locator("#job-title")).to_have_text("Undo: Disable comments")
    seen = watch_to_the_end(page)
    page.screenshot(path=ARTIFACTS / "job-undone.png", full_page=True)
    assert seen[-1] == 100
    expect(page.locator("#job-result")).to_contain_text(f"Undone: {COMMENTS:,} rows restored.")
    page.goto("/admin/jobs/")
    expect(page.locator("#jobs-table tbody tr")).to_have_count(2)
