"""The slow-corners bench's pages: the comment, post and user lists sorted by every sortable column both ways, deep
pages, a search and a filter, and the confirmation page of a select-all action; each response checked."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from admin_app.admin.base import SecuredModelView
from admin_app.admin.list_args import list_views
from admin_app.extensions import db
from bench.measure import Page, SqlMeter, check, matching_rows
from bench.slow_corners_writes import Samples, check_confirmation, confirmation_page, in_turns

LISTS = ("comments", "posts", "users")  # the tables whose lists are timed
ACTIVE_PAGE = re.compile(r'<li class="page-item active">\s*<a class="page-link" href="javascript:void\(0\)">(\d+)</a>')


@dataclass(frozen=True)
class Spec:
    """A page to time: what it is (``kind``), its URL and the rows it should list, and the page it is compared to."""

    key: str
    kind: str  # "page 1", "sort", "page 400", "page 25,000", "page by next", "search", "filter"
    page: Page
    baseline: str  # the key of its list's page 1
    desc: bool | None = None  # a sort's direction
    number: int | None = None  # the page asked (0-based, as Flask-Admin counts)


class CountMeter(SqlMeter):
    """The list page bench's meter, plus the time of the COUNT statements among those it counts."""

    def __init__(self, engine: sa.Engine) -> None:
        self.count_seconds = 0.0
        self._counting = False
        super().__init__(engine)

    def reset(self) -> None:
        super().reset()
        self.count_seconds = 0.0

    def _before(self, _conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        super()._before()
        self._counting = statement.lstrip().lower().startswith("select count(")

    def _after(self, *_args: Any) -> None:
        elapsed = time.perf_counter() - self._started
        super()._after()
        if self._counting:
            self.count_seconds += elapsed


def specs(app: Flask, client: FlaskClient, search: str, deep: tuple[int, ...]) -> tuple[list[Spec], list[str]]:
    """Every page to time, from the views themselves (``_list_columns``, ``_sortable_columns``, ``_filter_args``),
    and the lists left out because the bench moderator may not read them ("member: HTTP 403")."""
    result, skipped = [], []
    for endpoint, view in list_views(app).items():
        table = view.model.__tablename__
        if table not in LISTS:
            continue
        first = Page(f"{endpoint}: page 1 unsorted", f"{view.url}/", table)
        if (status := client.get(first.url).status_code) != 200:
            skipped.append(f"{endpoint}: HTTP {status}")
            continue
        result.append(Spec(first.name, "page 1", first, first.name))
        for index, (name, _label) in enumerate(view._list_columns):
            if name in view._sortable_columns:
                for desc in (False, True):
                    url = f"{view.url}/?sort={index}" + ("&desc=1" if desc else "")
                    key = f"{endpoint}: sort {name} {'desc' if desc else 'asc'}"
                    result.append(Spec(key, "sort", Page(key, url, table), first.name, desc=desc))
        if table != "comments":
            continue
        for number in deep:
            key = f"{endpoint}: page {number:,}"
            url = f"{view.url}/?page={number - 1}"
            result.append(Spec(key, f"page {number:,}", Page(key, url, table), first.name, number=number - 1))
        # The deepest page again, reached as a reader pages onward: the previous page's "next" (after=ID).
        number = max(deep)
        onward = next_link(client.get(f"{view.url}/?page={number - 2}").get_data(as_text=True), number - 1)
        key = f"{endpoint}: page {number:,} by next (keyset)"
        result.append(Spec(key, "page by next", Page(key, onward, table), first.name, number=number - 1))
        where = f"CAST(body AS VARCHAR) ILIKE '%{search}%'"
        key = f"{endpoint}: search {search!r}"
        result.append(Spec(key, "search", Page(key, f"{view.url}/?search={search}", table, where), first.name))
        flt = disabled_filter(view)
        key = f"{endpoint}: filter {flt}=1"
        result.append(Spec(key, "filter", Page(key, f"{view.url}/?flt0_{flt}=1", table, "disabled"), first.name))
    return result, skipped


def next_link(html: str, page: int) -> str:
    """The pager's link to ``page`` (0-based) on a page just before it: one that carries ``after=``."""
    for href in re.findall(r'href="([^"]+)"', html[html.rindex('<ul class="pagination') :]):
        url = href.replace("&amp;", "&")
        if f"page={page}&" in url and "after=" in url:
            return url
    raise AssertionError(f"no keyset link to page {page + 1} on the page before it")


def disabled_filter(view: Any) -> str:
    """The URL name of the comment list's "Disabled equals" filter."""
    for name, (_index, flt) in view._filter_args.items():
        if getattr(getattr(flt, "column", None), "key", None) == "disabled" and flt.operation() == "equals":
            return str(name)
    raise LookupError(f"{view.endpoint}: no filter on disabled among {list(view._filter_args)}")


def check_page(spec: Spec, response: Any, matches: int) -> None:
    """measure.check (status, rows, the count shown), and that the page is the one asked: its sort arrow, its page."""
    check(spec.page, response, matches, SecuredModelView.page_size)
    page = response.get_data(as_text=True)
    if spec.desc is not None and f"fa-chevron-{'down' if spec.desc else 'up'}" not in page:
        raise AssertionError(f"{spec.page.url}: no {'descending' if spec.desc else 'ascending'} sort shown")
    if spec.number is not None:
        active = ACTIVE_PAGE.search(page)
        if not active or int(active.group(1)) != spec.number + 1:
            raise AssertionError(f"{spec.page.url}: shows page {active.group(1) if active else None}")


def time_pages(
    app: Flask,
    client: FlaskClient,
    pages: list[Spec],
    confirm: tuple[str, str, int],
    runs: int,
    warmups: int,
    progress: Callable[[str], None],
) -> Samples:
    """Every page (and the confirmation page: ``confirm`` is its search, CSRF token and rows changing) in turns;
    the request's time, and the SQL time the meter saw (for the confirmation, that of its COUNTs too)."""
    with app.app_context():
        meter = CountMeter(db.engine)
        matches: dict[tuple[str, str], int] = {}
        for spec in pages:
            key = (spec.page.table, spec.page.where)
            if key not in matches:
                matches[key] = matching_rows(spec.page)
        db.session.remove()

    def timed(spec: Spec) -> Callable[[], dict[str, float]]:
        def run() -> dict[str, float]:
            meter.reset()
            start = time.perf_counter()
            response = client.get(spec.page.url)
            seconds = time.perf_counter() - start
            check_page(spec, response, matches[(spec.page.table, spec.page.where)])
            return {spec.key: seconds, f"{spec.key} | sql": meter.seconds}

        return run

    def confirmation() -> dict[str, float]:
        search, token, changing = confirm
        meter.reset()
        start = time.perf_counter()
        response = confirmation_page(client, search, token)
        seconds = time.perf_counter() - start
        check_confirmation(response, changing)
        return {"confirm": seconds, "confirm | sql": meter.seconds, "confirm | count sql": meter.count_seconds}

    methods = {spec.key: timed(spec) for spec in pages} | {"confirm": confirmation}
    first = pages[0].key

    def each_round(label: str, name: str, _parts: dict[str, float]) -> None:
        if name == first:
            progress(f"pages: {label}")

    return in_turns(methods, runs, warmups, each_round)
