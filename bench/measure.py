"""Timing list pages in-process: a logged-in test client, checked responses, statement counts, interleaved runs."""

from __future__ import annotations

import re
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field
from typing import Any
from unittest import mock

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Query

from admin_app.admin.base import SecuredModelView
from admin_app.admin.counting import CappedCountQuery
from admin_app.extensions import db


@dataclass(frozen=True)
class Page:
    """A list page, and the SQL predicate for the rows it should list (to check what was timed)."""

    name: str
    url: str
    table: str
    where: str = "true"


def _search(*columns: str, term: str) -> str:
    return " OR ".join(f"CAST({column} AS VARCHAR) ILIKE '%{term}%'" for column in columns)


# "casino" is in about one comment in 120 (a spam wave), "python" in about one in ten; posts have no spam.
PAGES = (
    Page("comments", "/admin/comment/", "comments"),
    Page("comments, disabled", "/admin/comment/?flt0_disabled_equals=1", "comments", "disabled"),
    Page("comments, search rare word", "/admin/comment/?search=casino", "comments", _search("body", term="casino")),
    Page("comments, search common word", "/admin/comment/?search=python", "comments", _search("body", term="python")),
    Page("posts", "/admin/post/", "posts"),
    Page("posts, search", "/admin/post/?search=python", "posts", _search("body", term="python")),
    # A moderator lists users through the member list (no e-mails: admin/access.users_view), which searches names.
    Page("users", "/admin/member/", "users"),
    Page("users, search", "/admin/member/?search=garcia", "users", _search("username", "name", term="garcia")),
)


@contextmanager
def stock_count() -> Iterator[None]:
    """Flask-Admin's own count: the same count query run as is, an exact COUNT(*) over every matching row."""
    with mock.patch.object(CappedCountQuery, "scalar", Query.scalar):
        yield


VARIANTS: dict[str, Callable[[], AbstractContextManager[None]]] = {"app": nullcontext, "stock": stock_count}


class SqlMeter:
    """Counts the SQL statements the app's engine sends, and the time spent in them, request by request."""

    def __init__(self, engine: sa.Engine) -> None:
        self.statements = 0
        self.seconds = 0.0
        self._started = 0.0
        sa.event.listen(engine, "before_cursor_execute", self._before)
        sa.event.listen(engine, "after_cursor_execute", self._after)

    def reset(self) -> None:
        self.statements, self.seconds = 0, 0.0

    def _before(self, *_args: Any) -> None:
        self.statements += 1
        self._started = time.perf_counter()

    def _after(self, *_args: Any) -> None:
        self.seconds += time.perf_counter() - self._started


def login(client: FlaskClient, email: str, password: str) -> None:
    """Sign in through the real login form, once, before anything is timed."""
    form = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', form)
    data = {"email": email, "password": password, "csrf_token": token.group(1) if token else ""}
    response = client.post("/login", data=data)
    if response.status_code != 302:
        raise RuntimeError(f"bench login failed ({response.status_code})")


def matching_rows(page: Page) -> int:
    return int(db.session.scalar(sa.text(f"SELECT count(*) FROM {page.table} WHERE {page.where}")) or 0)


def check(page: Page, response: Any, matches: int, page_size: int) -> str:
    """Refuse a broken page (so it is not timed as fast); return the count the page shows."""
    html = response.get_data(as_text=True)
    if response.status_code != 200:
        raise AssertionError(f"{page.url}: HTTP {response.status_code}")
    rows = html.count('<td class="list-buttons-column">')
    if rows != min(page_size, matches):
        raise AssertionError(f"{page.url}: {rows} rows listed, expected {min(page_size, matches)}")
    found = re.search(r"List \((.*?)\)</(?:a|span)>", html, re.S)  # the list's tab: a link, or the current page's
    if not found:
        if matches:
            raise AssertionError(f"{page.url}: no row count on the page")
        return "0"  # Flask-Admin shows no count for an empty list
    shown = re.sub(r"<[^>]+>", "", found.group(1)).strip()
    number = int(re.sub(r"\D", "", shown))
    approximate = not shown.isdigit()
    # An estimate only needs the right order of magnitude; an ignored filter or search would be far off.
    if (not approximate and number != matches) or (approximate and not matches / 10 <= number <= matches * 10):
        raise AssertionError(f"{page.url}: shows {shown!r} for {matches} matching rows")
    return shown


@dataclass
class Result:
    matches: int
    shown: dict[str, str] = field(default_factory=dict)
    statements: dict[str, int] = field(default_factory=dict)
    samples: dict[str, list[float]] = field(default_factory=dict)
    sql_samples: dict[str, list[float]] = field(default_factory=dict)

    def median_ms(self, variant: str) -> float:
        return statistics.median(self.samples[variant]) * 1000

    def sql_median_ms(self, variant: str) -> float:
        return statistics.median(self.sql_samples[variant]) * 1000


def time_pages(
    sizes: dict[str, tuple[Flask, FlaskClient]], runs: int, warmups: int = 2
) -> dict[str, dict[str, Result]]:
    """Samples for every size, page and variant, the sizes and pages taken in turns so drift hits all alike.

    The variants run one after the other, not in turns: the stock count reads far more of the table, and
    would otherwise push the pages the app's own queries need out of PostgreSQL's buffer cache.
    """
    page_size = SecuredModelView.page_size
    meters, results = {}, {}
    for label, (app, _client) in sizes.items():
        with app.app_context():
            results[label] = {page.name: Result(matches=matching_rows(page)) for page in PAGES}
            db.session.remove()
            meters[label] = SqlMeter(db.engine)
    for variant, switch in VARIANTS.items():
        with switch():
            for round_number in range(warmups + runs):
                order = list(sizes) if round_number % 2 else list(reversed(sizes))
                for page in PAGES:
                    for label in order:
                        client, meter, result = sizes[label][1], meters[label], results[label][page.name]
                        meter.reset()
                        start = time.perf_counter()
                        response = client.get(page.url)
                        elapsed = time.perf_counter() - start
                        result.shown[variant] = check(page, response, result.matches, page_size)
                        result.statements[variant] = meter.statements
                        if round_number >= warmups:
                            result.samples.setdefault(variant, []).append(elapsed)
                            result.sql_samples.setdefault(variant, []).append(meter.seconds)
    return results
