"""Every page in every shipped language, with no English application string left on it.

"English string" means a message of one of the catalogues the pages draw on (ours, Flask-Admin's,
Flask-Security-Too's, WTForms') whose translation differs from the English: found on a page in a text node or a
visible attribute, whole (not inside a word, nor inside an identifier such as ``report-export``), it was not
translated. The data is written in no language (usernames like ``u7``, bodies like ``Zq 123``), so it cannot pass
for a message.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from functools import cache
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import flask_admin
import flask_security
import pytest
import wtforms
from babel.messages.pofile import read_po
from babel.support import Translations
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from admin_app.config import TRANSLATIONS_DIR
from admin_app.extensions import db
from admin_app.models import AuditEntry, Role
from tests.conftest import choose_language, csrf_token, sign_in
from tests.factories import CommentFactory, PostFactory, UserFactory
from tests.test_translations import shipped_languages

CATALOGUES = {  # domain: (English template, folders searched, in the order the app merges them)
    "messages": (TRANSLATIONS_DIR / "messages.pot", [TRANSLATIONS_DIR]),
    "admin": (
        Path(flask_admin.__file__).parent / "translations" / "en" / "LC_MESSAGES" / "admin.po",
        [TRANSLATIONS_DIR, Path(flask_admin.__file__).parent / "translations"],
    ),
    "flask_security": (
        Path(flask_security.__file__).parent / "translations" / "flask_security.pot",
        [Path(flask_security.__file__).parent / "translations", TRANSLATIONS_DIR],
    ),
}
WTFORMS_MESSAGES = ["This field is required.", "Not a valid choice.", "Invalid email address."]
VISIBLE_ATTRIBUTES = {"title", "placeholder", "aria-label", "alt", "value"}
# English messages that are also words of the language: found on its pages, they are that language's.
ALSO_WORDS_OF = {"pt_BR": {"no"}, "de_DE": {"Passcode"}}  # Flask-Security-Too's German keeps "Passcode"


class VisibleText(HTMLParser):
    """Text nodes and visible attributes, outside <script> and <style>, and outside the time zone menu (place
    names from CLDR, in the reader's language, some of them English proper nouns: "New Salem")."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in {"script", "style"} or (tag == "select" and dict(attrs).get("id") == "timezone"):
            self.hidden += 1
        kind = dict(attrs).get("type")
        for name, value in attrs:
            if name in VISIBLE_ATTRIBUTES and value and (name != "value" or kind in {"submit", "button"}):
                self.parts.append(value)

    def handle_endtag(self, tag: str) -> None:
        if tag in {"script", "style", "select"} and self.hidden:
            self.hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self.hidden and data.strip() and not is_json(data):
            self.parts.append(data.strip())


def is_json(text: str) -> bool:
    """Data for scripts kept in hidden elements (Flask-Admin's filter and confirmation texts, already translated)."""
    try:
        return isinstance(json.loads(text), (dict, list))
    except ValueError:
        return False


def visible_text(html: str) -> list[str]:
    parser = VisibleText()
    parser.feed(html)
    return parser.parts


@cache
def english_patterns(code: str) -> tuple[tuple[str, re.Pattern[str]], ...]:
    """Every message whose translation into ``code`` differs from its English, as a pattern (placeholders match
    anything) bounded by non-letters."""
    found = {}
    for template, folders in CATALOGUES.values():
        domain = template.stem if template.suffix == ".pot" else "admin"
        translations = Translations()
        for folder in folders:
            translations.merge(Translations.load(str(folder), [code], domain))
        with template.open("rb") as handle:
            for message in read_po(handle):
                english = message.id if isinstance(message.id, str) else message.id[0]
                if english and translations.gettext(english) != english:
                    found[english] = english
    wtforms_translations = Translations.load(wtforms.i18n.messages_path(), [code], "wtforms")
    for english in WTFORMS_MESSAGES:
        if wtforms_translations.gettext(english) != english:
            found[english] = english
    patterns = []
    for english in found:
        parts = [re.escape(part) for part in re.split(r"%\(\w+\)[sd]|%[sd]", english)]
        patterns.append((english, re.compile(r"(?<![\w-])" + r".+?".join(parts) + r"(?![\w-])")))
    return tuple(patterns)


def english_left(html: str, code: str) -> list[str]:
    texts = visible_text(html)
    own = ALSO_WORDS_OF.get(code, set())
    found = {english for english, pattern in english_patterns(code) if any(pattern.search(t) for t in texts)}
    return sorted(found - own)


@pytest.fixture
def scene(app: Flask) -> dict[str, int]:
    """A little of everything, named in no language."""
    author = UserFactory(username="u1", name="Qz")
    post = PostFactory(body="Xv 456", author=author)
    comment = CommentFactory(body="Zq 123", author=author, post=post)
    member = UserFactory(username="u2", name="Wx", roles=["user"])
    role = db.session.scalars(select(Role).where(Role.name == "user")).one()
    return {"comment": comment.id, "post": post.id, "member": member.id, "role": role.id}


def admin_pages(client: FlaskClient, ids: dict[str, int]) -> Iterator[tuple[str, Callable[[], Any]]]:
    token = csrf_token(client)
    pages = [
        "/admin/", "/admin/comment/", "/admin/post/", "/admin/user/", "/admin/member/", "/admin/role/",
        "/admin/audit/", "/admin/queue/",
        f"/admin/comment/details/?id={ids['comment']}", f"/admin/post/details/?id={ids['post']}",
        f"/admin/user/details/?id={ids['member']}", f"/admin/member/details/?id={ids['member']}",
        f"/admin/role/details/?id={ids['role']}",
        f"/admin/comment/edit/?id={ids['comment']}", f"/admin/post/edit/?id={ids['post']}",
        f"/admin/user/edit/?id={ids['member']}", f"/admin/role/edit/?id={ids['role']}",
        "/admin/post/new/", "/admin/user/new/", "/admin/role/new/",
        "/admin/comment/?flt0_disabled_equals=1", "/admin/no-such-page/",
    ]  # fmt: skip
    for path in pages:
        yield path, lambda path=path: client.get(path)
    yield "role form, invalid", lambda: client.post("/admin/role/new/", data={"name": "", "csrf_token": token})
    action = {"action": "disable", "rowid": [ids["comment"]], "csrf_token": token}
    yield "disable: confirmation", lambda: client.post("/admin/comment/action/", data=action)
    confirmed = {"operation": "comment.disable", "rowid": [ids["comment"]], "reason": "spam", "confirmed": "1"}
    yield (
        "disable: result",
        lambda: client.post("/admin/comment/moderate/", data={**confirmed, "csrf_token": token}, follow_redirects=True),
    )
    yield "audit entry", lambda: client.get(f"/admin/audit/details/?id={latest_entry()}")
    role_action = {"action": "add_role", "rowid": [ids["member"]], "csrf_token": token}
    yield "add role: confirmation", lambda: client.post("/admin/user/action/", data=role_action)
    # After the moderation above, so every report and the dashboard have something to show.
    for path in [
        "/admin/", "/admin/preferences/", "/admin/reports/", "/admin/reports/moderation-activity/",
        "/admin/reports/comment-volume/", "/admin/reports/new-users/", "/admin/reports/most-disabled-authors/",
        "/admin/reports/comment-volume/?from=2020-01-01&to=2020-01-05", "/admin/reports/comment-volume/?from=x",
    ]:  # fmt: skip
        yield path, lambda path=path: client.get(path)


def latest_entry() -> int:
    return db.session.scalars(select(AuditEntry.id).order_by(AuditEntry.id.desc())).first() or 0


def check(pages: Iterator[tuple[str, Callable[[], Any]]], code: str) -> None:
    problems = []
    for name, fetch in pages:
        response = fetch()
        if response.status_code >= 500 or response.status_code in (301, 302):
            problems.append(f"{name}: status {response.status_code}")
            continue
        left = english_left(response.get_data(as_text=True), code)
        if left:
            problems.append(f"{name}: {left}")
    assert not problems, f"English left in {code}:\n" + "\n".join(problems)


def test_the_catalogues_are_compiled() -> None:
    for code in shipped_languages():
        folder = code if (TRANSLATIONS_DIR / code).is_dir() else code.partition("_")[0]
        assert (TRANSLATIONS_DIR / folder / "LC_MESSAGES" / "messages.mo").exists(), "run `make i18n-compile`"


@pytest.mark.parametrize("code", shipped_languages())
def test_every_admin_page_is_translated(client: FlaskClient, scene: dict[str, int], code: str) -> None:
    admin = UserFactory(roles=["admin"], locale=code)
    sign_in(client, admin)
    check(admin_pages(client, scene), code)


@pytest.mark.parametrize("code", shipped_languages())
def test_sign_in_and_error_pages_are_translated(app: Flask, code: str) -> None:
    anonymous, staff_client = app.test_client(), app.test_client()
    admin = UserFactory(roles=["admin"])
    staff = UserFactory(roles=["staff"], locale=code)
    sign_in(staff_client, staff)

    def login_steps() -> Iterator[tuple[str, Callable[[], Any]]]:
        choose_language(anonymous, code)
        yield "login", lambda: anonymous.get("/login")
        token = csrf_token(anonymous)
        wrong = {"email": admin.email, "password": "wrong", "csrf_token": token}
        yield "login, wrong password", lambda: anonymous.post("/login", data=wrong)
        right = {"email": admin.email, "password": "correct horse battery", "csrf_token": token}
        yield "two-factor setup", lambda: anonymous.post("/login", data=right, follow_redirects=True)
        yield "password check before a risky operation", lambda: staff_client.get("/verify")
        yield "two-factor settings", lambda: staff_client.get("/tf-setup")
        yield "403", lambda: staff_client.get("/admin/role/new/")
        yield "404", lambda: staff_client.get("/admin/comment/details/?id=999999", follow_redirects=True)

    check(login_steps(), code)
