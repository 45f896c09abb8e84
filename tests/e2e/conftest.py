"""Browser fixtures: a live server over the seeded demo data, and Debian's Chromium driven by Playwright."""

from __future__ import annotations

import os
import re
import shutil
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import flask_migrate
import pytest
from werkzeug.serving import make_server

from admin_app import create_app
from admin_app.cli import DEMO_COMMENTS, DEMO_POSTS, DEMO_USERS
from admin_app.extensions import db
from admin_app.services import role, seed

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

DEFAULT_CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).parent / "artifacts"
# Playwright's own browser download fails on these machines; Debian's build runs with these flags.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-quic",
    "--disable-sync",
]


def chromium_path() -> str | None:
    """CHROMIUM_PATH when set, else `chromium` on the PATH, else Debian's; None when it is not there."""
    wanted = os.environ.get("CHROMIUM_PATH")
    if wanted:
        return shutil.which(wanted)
    return shutil.which("chromium") or shutil.which(DEFAULT_CHROMIUM)


def missing(reason: str) -> NoReturn:
    """Skip, unless E2E_REQUIRED is set (as in CI, which installs Chromium): then the run fails."""
    if os.environ.get("E2E_REQUIRED", "") not in ("", "0"):
        pytest.fail(f"{reason} (E2E_REQUIRED is set, so the browser tests may not skip)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    executable = chromium_path()
    if executable is None:
        missing(
            "Chromium not found: `apt-get install chromium` (Debian) to run the browser tests, or set CHROMIUM_PATH"
        )
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing("playwright not installed: `make install` (the dev dependencies) to run the browser tests")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


LIVE_APPS: dict[str, object] = {}
# The authenticator app each account set up during the run (email -> passlib TOTP built from the key shown).
AUTHENTICATORS: dict[str, object] = {}


def log_in(page: Page, email: str, password: str) -> None:
    """Sign in as a person would: e-mail and password; then, for accounts that need two-factor, set up an
    authenticator from the key the setup page shows (first time), or type its current code."""
    from passlib.totp import TOTP
    from playwright.sync_api import expect

    page.goto("/login")
    # By id, not label: the page may be in any language.
    page.locator("#email").fill(email)
    page.locator("#password").fill(password)
    page.locator("form[name=login_user_form] [type=submit]").click()
    page.wait_for_load_state()
    if "/tf-setup" in page.url:
        page.locator("input[name=setup][value=authenticator]").check()
        page.locator("form[name=two_factor_setup_form] [type=submit]").click()
        expect(page.locator("#qrcode")).to_be_visible()
        page.screenshot(path=ARTIFACTS / "two-factor-setup.png", full_page=True)
        key = page.locator("#qrcode").locator("xpath=../following-sibling::div").inner_text()
        AUTHENTICATORS[email] = TOTP(key=key.replace(" ", "").replace("-", ""), format="base32")
    elif "/tf-validate" not in page.url:
        return
    page.locator("form[name=two_factor_verify_code_form] input[name=code]").fill(next_code(email))
    page.locator("form[name=two_factor_verify_code_form] [type=submit]").click()
    expect(page).to_have_url(re.compile(r"/admin/"))


def next_code(email: str) -> str:
    """A code no earlier sign-in used: codes work once, so a second sign-in within 30 seconds takes the next one
    (accepted: the server allows for a little clock skew)."""
    totp = AUTHENTICATORS[email]
    step = max(int(time.time()) // 30, USED_STEPS.get(email, -1) + 1)
    USED_STEPS[email] = step
    return str(totp.generate(time=step * 30).token)  # type: ignore[attr-defined]


USED_STEPS: dict[str, int] = {}


def set_password(base_url: str, email: str, password: str) -> None:
    """Give a seeded member (who has no password) one, as an admin would with `users change_password`."""
    from flask_security import hash_password
    from sqlalchemy import select

    from admin_app.models import User

    app = LIVE_APPS[base_url]
    with app.app_context():  # type: ignore[attr-defined]
        user = db.session.scalars(select(User).where(User.email == email)).one()
        user.password = hash_password(password)
        db.session.commit()


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app with the demo accounts and data, served on a free port of 127.0.0.1; yields its base URL."""
    # A file, not :memory:, because the server answers from other threads.
    path = tmp_path_factory.mktemp("e2e") / "e2e.sqlite"
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=f"sqlite:///{path}")
    with app.app_context():
        flask_migrate.upgrade()
        role.sync_roles()
        seed.create_demo_accounts()
        seed.fill(DEMO_USERS, DEMO_POSTS, DEMO_COMMENTS, seed=1)
        seed.moderation_history(seed=1)
        db.session.commit()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="e2e-live-server", daemon=True)
    thread.start()
    base_url = f"http://127.0.0.1:{server.port}"
    LIVE_APPS[base_url] = app
    yield base_url
    server.shutdown()
    thread.join()
    server.server_close()
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def page(browser: Browser, live_server: str) -> Iterator[Page]:
    """A fresh browser context (no cookies) whose relative URLs go to the live server."""
    context = browser.new_context(base_url=live_server, viewport={"width": 1280, "height": 800})
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


# The sweeps over every page every role can open (test_csp.py, test_accessibility.py): tests/e2e/pages.py, imported
# when asked for (it imports this module). One sign-in per role serves both.
@pytest.fixture(scope="session")
def scene(live_server: str) -> Any:
    from tests.e2e.pages import build_scene

    return build_scene(live_server)


@pytest.fixture(scope="session")
def signed_in(browser: Browser, live_server: str, scene: Any) -> dict[str | None, Any]:
    from tests.e2e.pages import sign_in_everyone

    return sign_in_everyone(browser, live_server, scene)


@pytest.fixture(scope="session")
def page_cases(browser: Browser, live_server: str, scene: Any, signed_in: dict[str | None, Any]) -> list[Any]:
    from tests.e2e.pages import find_page_cases

    return find_page_cases(browser, live_server, scene, signed_in)


@pytest.fixture
def locales(live_server: str, scene: Any) -> Iterator[Any]:
    """Sets a signed-in role's saved language (it wins over the browser's); every account gets its own back after."""
    from tests.e2e.pages import saved_locales

    saved = saved_locales(live_server)
    before = {email: saved(email) for email in scene.emails.values()}
    yield saved
    for email, locale in before.items():
        saved(email, locale, restore=True)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """The sweeps' lines (tests/e2e/test_csp.py, test_accessibility.py): pages x roles x languages, what each found;
    the keyboard journey's (test_keyboard_journey.py): steps, key presses, focus stops."""
    for name in ("tests.e2e.test_csp", "tests.e2e.test_accessibility", "tests.e2e.test_keyboard_journey"):
        for line in getattr(sys.modules.get(name), "SUMMARY", []):
            terminalreporter.write_line(line)
