"""In a real browser, a second page view fetches no static file: every one is cached under its digest URL."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest
from flask import Flask, request, request_finished
from werkzeug.wrappers import Response

from admin_app.services.seed import DEMO_ACCOUNTS
from tests.e2e.conftest import LIVE_APPS, log_in

if TYPE_CHECKING:
    from playwright.sync_api import Page

MODERATOR = next(account for account in DEMO_ACCOUNTS if account.role == "moderator")
STATIC = re.compile(r"^/(admin/)?static/")

pytestmark = pytest.mark.e2e


@pytest.fixture
def served(live_server: str) -> Iterator[list[str]]:
    """The static files the live server sends (every request for one reaches it, cache validations included)."""
    app = LIVE_APPS[live_server]
    assert isinstance(app, Flask)
    paths: list[str] = []

    def record(_sender: Any, response: Response, **_extra: Any) -> None:
        if STATIC.match(request.path):
            paths.append(request.full_path)

    request_finished.connect(record, app)
    yield paths
    request_finished.disconnect(record, app)


def test_a_second_page_view_fetches_no_static_file(page: Page, served: list[str]) -> None:
    from playwright.sync_api import expect

    log_in(page, MODERATOR.email, MODERATOR.password)
    page.goto("/admin/comment/")
    page.wait_for_load_state("networkidle")
    assert len(served) >= 10  # the first views fetched the stylesheets, scripts and fonts once

    served.clear()
    page.get_by_role("navigation").get_by_role("link", name="Posts", exact=True).click()
    expect(page).to_have_url(re.compile(r"/admin/post/"))
    page.wait_for_load_state("networkidle")
    page.goto("/admin/comment/")
    page.wait_for_load_state("networkidle")
    assert served == []
