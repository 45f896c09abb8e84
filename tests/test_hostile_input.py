"""Hostile input at every parameter of every back-office view, as each back-office role, on both databases.

Every answer must be below 500, arrive within a second, and a 400 must say what was wrong (the error page, or the
form with its errors). Hypothesis draws the requests, derandomized so that CI sends the same ones on every run; the
tests at the end pin the exact findings.
"""

from __future__ import annotations

import gc
import itertools
import logging
import re
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import quote, urlencode

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.test import TestResponse

from admin_app import permissions as perm
from admin_app.admin.access import AnyOf
from admin_app.admin.base import SecuredModelView
from admin_app.admin.moderation import ModeratedView
from admin_app.admin.reports import REPORTS
from admin_app.extensions import db
from admin_app.models import Job, Role, Rule, SavedView, User
from admin_app.services.audit import Actor as AuditActor
from admin_app.services.moderation import moderate
from admin_app.services.operations import OPERATIONS
from admin_app.services.role import sync_roles
from tests.conftest import csrf_token, sign_in
from tests.factories import CommentFactory, PostFactory, UserFactory

ROLES = ("admin", "moderator", "staff")
SLOW = 1.0  # seconds
FORM = "application/x-www-form-urlencoded"

# What the run sent, per database, for the terminal summary (tests/conftest.py).
REQUESTS: Counter[str] = Counter()
SLOWEST: dict[str, Any] = {"seconds": 0.0, "request": ""}
GENERIC_400: set[str] = set()  # answered with the error page's generic text only
SWALLOWED: set[str] = set()  # an exception logged behind an answer below 500


def summary() -> str:
    per_database = ", ".join(f"{name} {count}" for name, count in sorted(REQUESTS.items()))
    line = (
        f"hostile input: {sum(REQUESTS.values())} requests ({per_database}); slowest answer "
        f"{SLOWEST['seconds']:.3f} s ({SLOWEST['request']})"
    )
    if GENERIC_400:
        line += "; 400 with only the generic message from: " + ", ".join(sorted(GENERIC_400))
    if SWALLOWED:
        line += "; exceptions logged behind a non-5xx answer from: " + ", ".join(sorted(SWALLOWED))
    return line


# Hostile values. Lone surrogates cannot travel in a URL or a form; U+FFFF and friends can.
NUMBERS = (
    "-1", "0", "1", "2", str(2**31 - 1), str(2**31), str(-(2**31) - 1), str(2**63), str(-(2**63) - 1),
    str(10**30), "999999999", "99999999999999999999", "1e9", "1.5", "-0.0", "NaN", "inf", "0x1F", " 7 ", "+3",
    "１２", "٣", "²", "⑨", "1,2", "1;2", "1 OR 1=1",
)  # fmt: skip
DATES = (
    "9999-12-31", "0001-01-01", "2026-02-30", "10000-01-01", "2026-13-01", "1969-12-31", "1970-01-01",
    "2999-12-31", "3000-01-01", "2026-01-01 00:00:00", "2026-02-30 25:61:61", "2026-01-01 to 2026-12-31",
    "2026-01-01 00:00:00 to 2026-12-31 23:59:59", "9999-12-31 23:59:59 to 0001-01-01 00:00:00", "2026-W01",
    "20260101", "２０２６-０１-０１", "0000-00-00", "-2026-01-01", "2026-01-01T00:00:00+99:00",
)  # fmt: skip
TEXTS = (
    "", " ", "%", "_", "\\", "%%%", "_%_", "100%", "'", '"', "' OR '1'='1", "'; DROP TABLE comments; --",
    "<script>alert(1)</script>", '"><img src=x onerror=alert(1)>', "javascript:alert(1)", "\r\nSet-Cookie: evil=1",
    "line\nbreak", "ｆｕｌｌｗｉｄｔｈ", "\u202eRTL override", "\u200f\u200e", "e\u0301\u0301\u0301\u0301", "😀💥🧨",
    "\uffff\ufffe", "\U0010ffff", "\x00", "a\x00b", "\x1b[31m", "\t\x0b\x0c", "x" * 10_000, "ß" * 5_000,
    "日本語テキスト", "مرحبا", "{{7*7}}", "%(name)s", "../../etc/passwd", "//evil.example", "NULL", "None", "on",
)  # fmt: skip
# Values a page would send: hostile input mixed with them reaches further than the first check.
PLAUSIBLE = (
    "1", "0", "3", "spam", "other", "user1", "admin", "staff", "1,2,3", "2026-01-01", "2026-01-01 00:00:00",
    "2026-01-01 00:00:00 to 2026-12-31 23:59:59", "2026-01-01 to 2026-12-31", "Europe/Berlin", "de_DE",
    "comment.disable", "comments", "remark", "^rem", "=remark", "y",
)  # fmt: skip
HOSTILE = st.one_of(
    st.sampled_from(NUMBERS),
    st.sampled_from(DATES),
    st.sampled_from(TEXTS),
    st.sampled_from(PLAUSIBLE),
    st.text(st.characters(exclude_categories=("Cs",)), max_size=12),
    st.lists(st.sampled_from(NUMBERS + TEXTS[:-12] + PLAUSIBLE), min_size=2, max_size=3).map("".join),
)
# Flask-Admin hands a list's unknown arguments to url_for as keywords.
URL_FOR_PAIRS = (
    ("_external", "1"), ("_scheme", "javascript"), ("_anchor", "x"), ("_method", "POST"), ("endpoint", "x"),
    ("values", "x"),
)  # fmt: skip
OTHER_NAMES = ("url", "bom", "export_type", "self", "lang", "id", "", "\x00", "flt", "flt0_", "flt0__equals")
LIST_VALID = {
    "page": ("0", "1", "2"), "page_size": ("20", "50", "100"), "sort": ("0", "1", "2"), "desc": ("0", "1"),
    "search": ("remark", "100%", "ｆｕｌｌｗｉｄｔｈ", "^rem", "=remark", "user1 remark"),
    "background": ("1", "0"),  # an export prepared as a job (ignored by the list itself)
    "after": ("1", "2"), "before": ("1", "3"),  # keyset paging from a row (ignored where the sort has no keyset)
    "columns": ("id", "body,author", "username,email", "author,nonexistent", ","),  # the columns shown
}  # fmt: skip
# Sizes of ticked-row lists: about MAX_TICKED_ROWS, and (HUGE) up to beyond MAX_CONTENT_LENGTH.
MANY = (999, 1_000, 1_001, 2_000)
HUGE = (5_000, 100_000, 150_000)
# What the create and edit forms would be sent, by field (related rows by id come from the scene).
FORM_VALID = {
    "body": ("a remark", "**bold** [link](https://example.org)"), "disabled": ("y",), "username": ("newperson",),
    "email": ("new.person@example.org",), "name": ("New Person", "new-role"), "location": ("Zürich",),
    "about_me": ("Hello",), "active": ("y",), "locale": ("de_DE", "en"), "timezone": ("Europe/Berlin", "UTC"),
    "description": ("A role",), "kind": ("word", "phrase", "domain"),
    "text": ("remark", "real remark", "https://www.spam.example/x", "日本語"), "action": ("hold", "disable"),
    "reason": ("spam", "other"), "note": ("a wave",),
}  # fmt: skip

SETTINGS = settings(
    max_examples=100,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def may(view: Any, capability: str, role: str) -> bool:
    """Whether ``role`` holds what ``view`` asks for ``capability``; only to spend examples where they go deep."""
    held = set(perm.ROLES[role][1])
    needed = view.permissions.get(capability)
    if isinstance(needed, AnyOf):
        return any(permission in held for permission in needed)
    if isinstance(needed, tuple):
        return bool(needed) and all(permission in held for permission in needed)
    return needed in held


class Tracebacks(logging.Handler):
    """The app logs what it answers 500 for (views.error_page) and what it catches (``log.exception``)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.seen: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info:
            self.seen.append(logging.Formatter().format(record))


@dataclass
class Signed:
    role: str
    client: FlaskClient
    user_id: int
    uniquifier: str
    token: str


def shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 120 else f"{text[:100]}…({len(text)} chars)"


def describe(method: str, path: str, query: Sequence[tuple[str, str]], data: Sequence[tuple[str, str]]) -> str:
    counts = Counter(name for name, _value in data)
    fields = [f"{name}={shown(value)}" for name, value in data if counts[name] < 20]
    fields += [f"{name}=[{count} values]" for name, count in counts.items() if count >= 20]
    return f"{method} {path} query={[f'{n}={shown(v)}' for n, v in query]} form={fields}"


def says_what_is_wrong(body: str) -> bool:
    error_page = re.search(r'<h1 class="h3">[^<]+</h1>\s*<p>[^<]+</p>', body)
    return bool(error_page) or 'class="invalid-feedback"' in body or 'id="nothing-to-do"' in body


def route(method: str, path: str) -> str:
    return f"{method} " + re.sub(r"^/admin/reports/[^/]+/", "/admin/reports/<report>/", path)


class Scene:
    """A few rows made once per test, and a signed-in client per role, made on first use and made again when a
    hostile request took its user's role, account or session away (an admin may delete or deactivate users)."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.views = {view.endpoint: view for view in app.extensions["admin"][0]._views}
        author = UserFactory(name="Ｆｕｌｌ Ｗｉｄｔｈ", location="Zürich")
        posts = [PostFactory(author=author, body="First post, a remark"), PostFactory(), PostFactory(hidden=True)]
        comments = [
            CommentFactory(post=posts[0], author=author, body="a 100% real remark"),
            CommentFactory(post=posts[1], body="costs 1000 dollars", disabled=True, moderation_reason="spam"),
            CommentFactory(post=posts[1], body="ｆｕｌｌｗｉｄｔｈ 日本語 back\\slash under_score"),
            CommentFactory(post=posts[2], body="<script>alert(1)</script> remark"),
        ]
        entry = moderate(
            OPERATIONS["comment.disable"], [comments[0].id], AuditActor(author.id, author.email, None), "spam"
        )
        rules = [Rule(kind="word", text="remark", action="disable", reason="spam"),
                 Rule(kind="domain", text="spam.example", action="hold", reason="spam", active=False)]  # fmt: skip
        db.session.add_all(rules)
        db.session.commit()
        self.ids = {
            "comment": [c.id for c in comments], "post": [p.id for p in posts], "user": [author.id],
            "member": [author.id], "role": list(db.session.scalars(sa.select(Role.id))), "audit": [entry.entry_id],
            "rule": [rule.id for rule in rules],
        }  # fmt: skip
        self.entry_ids = [entry.entry_id]
        self.actors: dict[str, Signed] = {}
        self.tracebacks = Tracebacks()

    def model_views(self, role: str, capability: str = "read") -> list[Any]:
        found = [v for v in self.views.values() if isinstance(v, SecuredModelView) and may(v, capability, role)]
        return sorted(found, key=lambda view: view.endpoint)

    def existing(self, endpoint: str) -> list[str]:
        return [str(pk) for pk in self.ids.get(endpoint, [])] or ["1"]

    def actor(self, role: str) -> Signed:
        actor = self.actors.get(role)
        if actor is None or not self.intact(actor):
            user = UserFactory(roles=[role])
            client = self.app.test_client()
            sign_in(client, user)
            actor = Signed(role, client, user.id, user.fs_uniquifier, csrf_token(client))
            self.actors[role] = actor
        return actor

    def intact(self, actor: Signed) -> bool:
        db.session.expire_all()
        if sync_roles():  # a hostile edit renamed, rewrote or deleted a standard role
            db.session.commit()
        user = db.session.get(User, actor.user_id)
        intact = (
            user is not None
            and user.active
            and user.fs_uniquifier == actor.uniquifier
            and actor.role in {role.name for role in user.roles}
        )
        db.session.rollback()  # no transaction of the test's stays open beside the requests'
        return intact

    def send(
        self,
        role: str,
        method: str,
        path: str,
        query: Sequence[tuple[str, str]] = (),
        data: Sequence[tuple[str, str]] = (),
    ) -> TestResponse:
        actor = self.actor(role)
        request = f"{role}: {describe(method, path, query, data)}"
        # Encoded before the clock starts: the limit is on the answer, not on the test client's encoding.
        body: dict[str, Any] = {}
        if method == "POST":
            body = {"data": urlencode([*data, ("csrf_token", actor.token)]), "content_type": FORM}
        logged = len(self.tracebacks.seen)
        # Timed without the collector: a full collection walks every object this long test process keeps (the
        # whole suite's), which a worker's small heap does not have; a 100,000-field form can trigger one.
        gc.disable()
        try:
            started = time.perf_counter()
            response = actor.client.open(path, method=method, query_string=urlencode(list(query)), **body)
            elapsed = time.perf_counter() - started
        finally:
            gc.enable()
        REQUESTS[db.engine.dialect.name] += 1
        if elapsed > SLOWEST["seconds"]:
            SLOWEST.update(seconds=elapsed, request=route(method, path))
        trace = "\n".join(self.tracebacks.seen[logged:])
        page = response.get_data(as_text=True)
        assert elapsed < SLOW, f"{request} took {elapsed:.2f} s"
        assert response.status_code < 500, f"{request} -> {response.status_code}\n{trace or page[:2000]}"
        if response.status_code == 400:
            assert says_what_is_wrong(page), f"{request} -> 400 without a message:\n{page[:2000]}"
            if "The request could not be understood." in page:
                GENERIC_400.add(route(method, path))
        if trace:
            SWALLOWED.add(route(method, path))
        return response


@pytest.fixture
def scene(app: Flask) -> Iterator[Scene]:
    made = Scene(app)
    logger = logging.getLogger("admin_app")
    logger.addHandler(made.tracebacks)
    try:
        yield made
    finally:
        logger.removeHandler(made.tracebacks)


T = TypeVar("T")
Pairs = list[tuple[str, str]]


def usually(common: st.SearchStrategy[T], rare: st.SearchStrategy[T]) -> st.SearchStrategy[T]:
    # Not st.one_of(common, common, common, rare): one_of flattens a nested one_of (HOSTILE is one), which would
    # weigh each of its branches like ``common``. Shrinks towards ``common``.
    return st.sampled_from((True, True, True, False)).flatmap(lambda common_one: common if common_one else rare)


def mixed(*valid: str) -> st.SearchStrategy[str]:
    """Three times in four what a page would send, else hostile."""
    return usually(st.sampled_from(valid), HOSTILE) if valid else HOSTILE


@st.composite
def sent(draw: st.DrawFn, fields: dict[str, Sequence[str]], changes: int = 2) -> Pairs:
    """A form or query as a page would send it, with up to ``changes`` of its fields made hostile, dropped or
    sent twice: one bad value among good ones gets past every check the good ones pass, to the next. Hypothesis
    shrinks a failure to the fewest changes."""
    pairs = [(name, draw(st.sampled_from(values))) for name, values in fields.items()]
    for _ in range(draw(st.integers(0, changes))):
        index = draw(st.integers(0, len(pairs) - 1))
        name = pairs[index][0]
        how = draw(st.sampled_from(("hostile", "hostile", "drop", "twice")))
        if how == "hostile":
            pairs[index] = (name, draw(HOSTILE))
        elif how == "drop":
            pairs[index] = ("", "")
        else:
            pairs.append((name, draw(HOSTILE)))
    return [(name, value) for name, value in pairs if name]


def list_arguments(view: Any) -> st.SearchStrategy[Pairs]:
    """Any mix of a list's own arguments, its filters (named as Flask-Admin names them in URLs) and names it
    should ignore, each with a hostile value or one a page would send."""
    filters = sorted(getattr(view, "_filter_args", None) or {}) + ["nonexistent"]
    own = st.sampled_from(sorted(LIST_VALID)).flatmap(lambda name: st.tuples(st.just(name), mixed(*LIST_VALID[name])))
    flt = st.builds("flt{}_{}".format, st.sampled_from((0, 1, 2, 9, 999, 1000)), st.sampled_from(filters))
    other = st.sampled_from([name for name, _value in URL_FOR_PAIRS] + list(OTHER_NAMES))
    pair = st.one_of(
        own, own, st.tuples(flt, mixed(*PLAUSIBLE)), st.tuples(other, HOSTILE), st.sampled_from(URL_FOR_PAIRS)
    )
    return st.lists(pair, max_size=5)


def ids(existing: Sequence[str] = ()) -> st.SearchStrategy[str]:
    hostile = st.one_of(st.sampled_from(NUMBERS), HOSTILE)
    return usually(st.sampled_from(existing), hostile) if existing else hostile


def long_list(name: str, existing: list[str], sizes: Sequence[int] = MANY) -> st.SearchStrategy[Pairs]:
    # Short values only: 100,000 strings of 10k characters would only test memory.
    values = st.lists(st.sampled_from(existing + list(NUMBERS)), min_size=1, max_size=3)
    return st.tuples(st.sampled_from(sizes), values).map(
        lambda drawn: [(name, value) for value in itertools.islice(itertools.cycle(drawn[1]), drawn[0])]
    )


def several(name: str, existing: list[str], most: int = 6) -> st.SearchStrategy[Pairs]:
    """Ticked rows: usually some that exist; else hostile ones, none, or a list about MAX_TICKED_ROWS long."""
    fine = st.lists(st.sampled_from(existing), min_size=1, max_size=most)
    hostile = st.lists(ids(existing), min_size=1, max_size=most)
    pairs = usually(fine, st.one_of(hostile, st.just([]))).map(lambda values: [(name, v) for v in values])
    return usually(pairs, long_list(name, existing))


def joined(*parts: st.SearchStrategy[Pairs]) -> st.SearchStrategy[Pairs]:
    return st.tuples(*parts).map(lambda drawn: [pair for part in drawn for pair in part])


@SETTINGS
@given(data=st.data())
def test_list_and_export_arguments(scene: Scene, data: st.DataObject) -> None:
    role = data.draw(st.sampled_from(ROLES), label="role")
    view = data.draw(st.sampled_from(scene.model_views(role)), label="view")
    export = may(view, "export", role) and data.draw(st.booleans(), label="export")
    path = f"/admin/{view.endpoint}/" + ("export/csv/" if export else "")
    scene.send(role, "GET", path, query=data.draw(list_arguments(view), label="query"))


@SETTINGS
@given(data=st.data())
def test_record_ids(scene: Scene, data: st.DataObject) -> None:
    role = data.draw(st.sampled_from(("admin", *ROLES)), label="role")  # the admin may also edit and delete
    view = data.draw(st.sampled_from(scene.model_views(role)), label="view")
    kind = data.draw(st.sampled_from(("details", "edit", "delete")), label="kind")
    back = ("/admin/", f"/admin/{view.endpoint}/?page=1")
    pairs = data.draw(sent({"id": scene.existing(view.endpoint), "url": back}), label="pairs")
    if kind == "delete":
        scene.send(role, "POST", f"/admin/{view.endpoint}/delete/", data=pairs)
    else:
        scene.send(role, "GET", f"/admin/{view.endpoint}/{kind}/", query=pairs)


@SETTINGS
@given(data=st.data())
def test_create_and_edit_forms(scene: Scene, data: st.DataObject) -> None:
    view = data.draw(st.sampled_from(scene.model_views("admin", "create")), label="view")
    related = {"author": scene.existing("user"), "post": scene.existing("post"), "roles": scene.existing("role")}
    valid = FORM_VALID | related
    pairs = data.draw(sent({name: valid.get(name, ("y",)) for name in view.form_columns}, changes=3), label="form")
    if view.endpoint == "rule" and data.draw(st.booleans(), label="preview"):
        pairs.append(("_preview", "1"))  # what the rule matches now, nothing saved
    if data.draw(st.booleans(), label="edit"):
        pk = data.draw(ids(scene.existing(view.endpoint)), label="id")
        scene.send("admin", "POST", f"/admin/{view.endpoint}/edit/", query=[("id", pk)], data=pairs)
    else:
        scene.send("admin", "POST", f"/admin/{view.endpoint}/new/", data=pairs)


@SETTINGS
@given(data=st.data())
def test_actions_confirmations_and_undo(scene: Scene, data: st.DataObject) -> None:
    role = data.draw(st.sampled_from(("admin", "moderator")), label="role")
    view = data.draw(st.sampled_from([v for v in scene.model_views(role) if v._actions]), label="view")
    moderated = isinstance(view, ModeratedView)
    kind = data.draw(st.sampled_from(("action", "moderate", "undo") if moderated else ("action",)), label="kind")
    # The confirmation posts the list's arguments back in the query string (select-all-matching works on them).
    query = data.draw(usually(st.just([]), list_arguments(view)), label="query")
    rows = several("rowid", scene.existing(view.endpoint))
    back = ("/admin/", f"/admin/{view.endpoint}/?page=1")
    if kind == "action":
        actions = [name for name, _text in view._actions]
        form = joined(sent({"action": actions, "select_all": ("", "1"), "url": back}), rows)
    elif kind == "moderate":
        fields = {
            "operation": sorted(operation.name for operation in view.operations.values()), "select_all": ("", "1"),
            "reason": [*scene.app.config["MODERATION_REASONS"], *scene.app.config["ACCOUNT_REASONS"]],
            "note": ("", "a wave of spam"),
            "role": sorted(perm.ROLES), "duration": ("1d", "7d", "30d", "lifted"), "confirmed": ("1",), "url": back,
        }  # fmt: skip
        form = joined(sent(fields), rows)
    else:
        form = sent({"entry": [str(pk) for pk in scene.entry_ids], "url": back})
    scene.send(role, "POST", f"/admin/{view.endpoint}/{kind}/", query=query, data=data.draw(form, label="form"))


@settings(SETTINGS, max_examples=8)  # each body costs the client a tenth of a second or so to encode
@given(data=st.data())
def test_huge_ticked_lists(scene: Scene, data: st.DataObject) -> None:
    role = data.draw(st.sampled_from(("admin", "moderator")), label="role")
    view = data.draw(st.sampled_from([v for v in scene.model_views(role) if isinstance(v, ModeratedView)]))
    rows = data.draw(long_list("rowid", scene.existing(view.endpoint), HUGE), label="rows")
    if data.draw(st.booleans(), label="confirmed"):
        form = [
            ("operation", sorted(operation.name for operation in view.operations.values())[0]),
            ("reason", "spam"),
            ("confirmed", "1"),
            *rows,
        ]
        scene.send(role, "POST", f"/admin/{view.endpoint}/moderate/", data=form)
    else:
        scene.send(role, "POST", f"/admin/{view.endpoint}/action/", data=[("action", view._actions[0][0]), *rows])


@SETTINGS
@given(data=st.data())
def test_autocomplete_lookups(scene: Scene, data: st.DataObject) -> None:
    view = data.draw(st.sampled_from([v for v in scene.model_views("admin", "edit") if v.form_ajax_refs]))
    fields = {
        "name": sorted(view.form_ajax_refs), "query": ("user", "remark", "ｆｕｌｌ", "100%"), "offset": ("0", "10"),
        "limit": ("10",),
    }  # fmt: skip
    query = joined(sent(fields), usually(st.just([]), st.lists(st.sampled_from(URL_FOR_PAIRS))))
    scene.send("admin", "GET", f"/admin/{view.endpoint}/ajax/lookup/", query=data.draw(query, label="query"))


@SETTINGS
@given(data=st.data())
def test_reports_and_their_downloads(scene: Scene, data: st.DataObject) -> None:
    role = data.draw(st.sampled_from(("admin", "staff")), label="role")
    report = data.draw(mixed(*sorted(REPORTS)), label="report")
    csv = data.draw(st.booleans(), label="csv")
    dates = ("2026-01-01", "2025-12-01", "2026-06-30", "1970-01-01", "2999-12-31")
    query = joined(sent({"from": dates, "to": dates, "bom": ("", "1")}), usually(st.just([]), list_arguments(None)))
    path = f"/admin/reports/{quote(report, safe='')}/" + ("csv/" if csv else "")
    scene.send(role, "GET", path, query=data.draw(query, label="query"))


@SETTINGS
@given(data=st.data())
def test_queue_preferences_language_and_dashboard(scene: Scene, data: st.DataObject) -> None:
    target = data.draw(st.sampled_from(("queue", "preferences", "language", "dashboard")), label="target")
    role = data.draw(st.sampled_from(("admin", "moderator") if target == "queue" else ROLES), label="role")
    config = scene.app.config
    if target == "queue":
        scene.send(role, "GET", "/admin/queue/")  # claims a batch, so that the decisions have rows to work on
        decision = data.draw(st.sampled_from(("approve", "disable", "skip", "release")), label="decision")
        fields = {"reason": config["MODERATION_REASONS"], "note": ("", "not for this site")}
        form = joined(several("id", scene.existing("comment"), most=config["QUEUE_BATCH_SIZE"] + 5), sent(fields))
        scene.send(role, "POST", f"/admin/queue/{decision}/", data=data.draw(form, label="form"))
    elif target == "preferences":
        fields = {"locale": config["LANGUAGES"], "timezone": ("UTC", "Europe/Berlin", "America/Sao_Paulo")}
        scene.send(role, "POST", "/admin/preferences/", data=data.draw(sent(fields), label="form"))
    elif target == "language":
        fields = {"lang": ("es", "pt-br", "ja_JP", *config["LANGUAGES"]), "next": ("/admin/", "/admin/comment/?page=1")}
        scene.send(role, "POST", "/language", data=data.draw(sent(fields), label="form"))
    else:
        scene.send(role, "GET", "/admin/", query=data.draw(list_arguments(None), label="query"))


@SETTINGS
@given(data=st.data())
def test_background_jobs(scene: Scene, data: st.DataObject) -> None:
    """Job pages by any id: one's own (an export made here), another's, none, or not an id at all."""
    role = data.draw(st.sampled_from(ROLES), label="role")
    if may(scene.model_views(role)[0], "export", role):
        scene.send(role, "GET", f"/admin/{scene.model_views(role)[0].endpoint}/export/csv/", [("background", "1")])
    newest = str(db.session.scalar(sa.select(sa.func.max(Job.id))) or 1)  # one's own, when one could export
    job = data.draw(usually(st.just("newest"), st.one_of(st.sampled_from(NUMBERS), HOSTILE)), label="job")
    job = newest if job == "newest" else job
    what = data.draw(st.sampled_from(("", "progress", "file", "cancel")), label="what")
    path = f"/admin/jobs/{quote(job, safe='')}/{what}"
    scene.send(role, "POST" if what == "cancel" else "GET", path)


@SETTINGS
@given(data=st.data())
def test_saved_views(scene: Scene, data: st.DataObject) -> None:
    """Saving any list's arguments under any name, shared with any role, pinned or not; then opening, the list's
    menu, the dashboard's pinned counts and removing, by any id."""
    role = data.draw(st.sampled_from(ROLES), label="role")
    views = scene.model_views(role)
    view = data.draw(st.sampled_from(views), label="view")
    listed = data.draw(usually(st.just(view.endpoint), st.one_of(st.sampled_from(sorted(scene.views)), HOSTILE)))
    query = [("list", listed), *data.draw(list_arguments(view), label="query")]
    roles = [str(pk) for pk in scene.ids["role"]]
    fields = {"name": ("Spam today", "日本語", "x" * 81, " "), "role": ("", *roles), "pinned": ("y", "")}
    scene.send(role, "POST", "/admin/saved-views/save/", query, data=data.draw(sent(fields), label="form"))
    newest = str(db.session.scalar(sa.select(sa.func.max(SavedView.id))) or 1)
    saved = data.draw(usually(st.just(newest), st.one_of(st.sampled_from(NUMBERS), HOSTILE)), label="saved")
    scene.send(role, "GET", f"/admin/saved-views/open/{quote(saved, safe='')}/")
    scene.send(role, "GET", "/admin/")
    scene.send(role, "GET", view.url + "/")
    scene.send(role, "GET", "/admin/saved-views/")
    if data.draw(st.booleans(), label="remove"):
        scene.send(role, "POST", f"/admin/saved-views/remove/{quote(saved, safe='')}/")


# The findings, pinned.


def error_message(response: TestResponse) -> str:
    match = re.search(r'<h1 class="h3">[^<]+</h1>\s*<p>([^<]+)</p>', response.get_data(as_text=True))
    assert match, response.get_data(as_text=True)[:2000]
    return match.group(1)


@pytest.mark.parametrize("page", ["-1", "99999999999999999999", "999999999"])
def test_a_page_number_out_of_range_is_refused_at_once(scene: Scene, page: str) -> None:
    response = scene.send("moderator", "GET", "/admin/comment/", query=[("page", page)])
    assert response.status_code == 400
    assert error_message(response).startswith("“page” must be a whole number from 0 to")


@pytest.mark.parametrize(
    ("method", "path", "pairs"),
    [
        ("GET", "/admin/comment/", [("search", "remark\x00")]),
        ("GET", "/admin/comment/", [("flt0_reason_equals", "spam\x00")]),
        ("GET", "/admin/comment/", [("flt0_reason\x00_equals", "spam")]),
        ("POST", "/admin/comment/new/", [("author", "1"), ("post", "1"), ("body", "a\x00b")]),
        ("POST", "/admin/queue/disable/", [("id", "1"), ("reason", "spam"), ("note", "\x00")]),
        ("POST", "/language", [("lang", "de_DE"), ("next", "/admin/\x00")]),
    ],
)
def test_a_nul_byte_anywhere_is_a_400_that_says_so(
    scene: Scene, method: str, path: str, pairs: list[tuple[str, str]]
) -> None:
    if method == "GET":
        response = scene.send("admin", method, path, query=pairs)
    else:
        response = scene.send("admin", method, path, data=pairs)
    assert response.status_code == 400
    assert "NUL character" in error_message(response)


@pytest.mark.parametrize(
    ("view", "argument"),
    [("comment", "flt0_post_id_in_list"), ("comment", "flt0_reason_in_list"), ("member", "flt0_role_in_list")],
)
def test_in_list_filters_answer_on_both_databases(scene: Scene, view: str, argument: str) -> None:
    values = {
        "flt0_post_id_in_list": ",".join(map(str, scene.ids["post"][:2])),
        "flt0_reason_in_list": "spam,abuse",
        "flt0_role_in_list": "admin,staff",
    }
    response = scene.send("moderator", "GET", f"/admin/{view}/", query=[(argument, values[argument])])
    assert response.status_code == 200, response.get_data(as_text=True)[:2000]
    if argument == "flt0_reason_in_list":
        page = response.get_data(as_text=True)
        assert "costs 1000 dollars" in page and "under_score" not in page  # a comment without a reason


def test_in_list_filters_drive_select_all_and_the_export(scene: Scene) -> None:
    posts = ",".join(map(str, scene.ids["post"][:1]))
    asked = scene.send(
        "moderator",
        "POST",
        "/admin/comment/action/",
        query=[("flt0_post_id_in_list", posts)],
        data=[("action", "enable"), ("select_all", "1")],
    )
    assert asked.status_code == 200 and "1 comment" in asked.get_data(as_text=True)
    exported = scene.send("staff", "GET", "/admin/comment/export/csv/", query=[("flt0_post_id_in_list", posts)])
    assert exported.status_code == 200
    assert exported.get_data(as_text=True).count("\n") == 2  # the header and the one comment on that post


URL_FOR_QUERY = [("_scheme", "javascript"), ("_external", "1")]


@pytest.mark.parametrize("role", ROLES)
def test_url_for_keywords_in_a_list_url_are_ignored(scene: Scene, role: str) -> None:
    # Export readers (admin, staff) get the export menu, whose links carry the list's arguments on.
    query = [*URL_FOR_QUERY, ("_anchor", "x"), ("_method", "POST"), ("endpoint", "x"), ("bom", "1")]
    response = scene.send(role, "GET", "/admin/comment/", query=query)
    assert response.status_code == 200
    assert "javascript:" not in response.get_data(as_text=True).replace('href="javascript:void(0)"', "")


def test_url_for_keywords_in_an_export_url_are_ignored(scene: Scene) -> None:
    response = scene.send("staff", "GET", "/admin/comment/export/csv/", query=[*URL_FOR_QUERY, ("_anchor", "x")])
    assert response.status_code == 200 and response.mimetype == "text/csv"


@pytest.mark.parametrize(
    ("method", "path", "pairs"),
    [
        ("GET", "/admin/comment/details/", [("id", "x")]),
        ("GET", "/admin/comment/edit/", [("id", "999999")]),
        ("POST", "/admin/role/delete/", [("id", "999999")]),
        ("POST", "/admin/comment/new/", [("author", "1"), ("post", "1"), ("body", "a remark")]),
        ("POST", "/admin/comment/moderate/", [("operation", "comment.disable"), ("rowid", "1"), ("reason", "spam"),
                                              ("confirmed", "1")]),
        ("POST", "/admin/comment/undo/", [("entry", "1")]),
    ],
)  # fmt: skip
@pytest.mark.parametrize("url", ["\r", "/admin/comment/\r\nSet-Cookie: evil=1"])
def test_a_return_address_with_a_line_break_is_a_400(
    scene: Scene, method: str, path: str, pairs: list[tuple[str, str]], url: str
) -> None:
    # Flask-Admin would put it in the Location header, which Werkzeug refuses (a 500).
    if method == "GET":
        response = scene.send("admin", method, path, query=[*pairs, ("url", url)])
    else:
        response = scene.send("admin", method, path, data=[*pairs, ("url", url)])
    assert response.status_code == 400
    assert error_message(response).startswith("The address to return to contains a line break")


@pytest.mark.parametrize("csv", [False, True])
def test_a_report_date_beyond_the_supported_years_is_a_400(scene: Scene, csv: bool) -> None:
    path = "/admin/reports/comment-volume/" + ("csv/" if csv else "")
    response = scene.send("staff", "GET", path, query=[("to", "9999-12-31")])
    assert response.status_code == 400
    assert error_message(response) == "Dates go from 1970 to 2999."


def test_a_hundred_thousand_ticked_rows_are_a_400_that_says_what_to_do(scene: Scene) -> None:
    # Short ids, so that the body stays under MAX_CONTENT_LENGTH and the row limit is what answers.
    rows = [("rowid", str(n % 10)) for n in range(100_000)]
    response = scene.send("moderator", "POST", "/admin/comment/action/", data=[("action", "disable"), *rows])
    assert response.status_code == 400
    assert error_message(response).startswith("Too many rows ticked (100,000).")


def test_a_hundred_thousand_distinct_ticked_rows_are_beyond_the_body_limit(scene: Scene) -> None:
    rows = [("rowid", str(n)) for n in range(1, 100_001)]  # 1.2 MB of form
    response = scene.send("moderator", "POST", "/admin/comment/action/", data=[("action", "disable"), *rows])
    assert response.status_code == 413
    assert error_message(response) == "The request is larger than the back office accepts."


def test_a_backslash_search_is_refused_and_a_full_width_one_is_served(scene: Scene) -> None:
    refused = scene.send("moderator", "GET", "/admin/comment/", query=[("search", "\\")])
    assert refused.status_code == 400
    assert "at least three letters or digits" in error_message(refused)
    served = scene.send("moderator", "GET", "/admin/comment/", query=[("search", "ｆｕｌｌｗｉｄｔｈ")])
    assert served.status_code == 200
    assert "under_score" in served.get_data(as_text=True)  # the row's text, not the search box's


def test_a_two_megabyte_form_is_a_413(scene: Scene) -> None:
    response = scene.send("admin", "POST", "/admin/comment/new/", data=[("body", "x" * 2_000_000)])
    assert response.status_code == 413
    assert error_message(response) == "The request is larger than the back office accepts."


def test_like_wildcards_in_a_search_match_literally(scene: Scene) -> None:
    def found(search: str) -> str:
        response = scene.send("moderator", "GET", "/admin/comment/", query=[("search", search)])
        assert response.status_code in {200, 400}
        return response.get_data(as_text=True) if response.status_code == 200 else ""

    assert "a 100% real remark" in found("100%")
    assert "costs 1000 dollars" not in found("100%")  # "%" is no wildcard
    assert "a 100% real remark" not in found("1%0")
    assert "back\\slash" in found("under_score")  # the row's text, not the search box's
    assert "costs 1000 dollars" not in found("cost_")  # nor is "_"


@pytest.mark.parametrize("argument", ["offset", "limit"])
def test_a_superscript_digit_in_a_lookup_is_a_400(scene: Scene, argument: str) -> None:
    # str.isdigit() takes "²", which int() refuses.
    query = [("name", "author"), ("query", "user"), (argument, "²")]
    response = scene.send("admin", "GET", "/admin/comment/ajax/lookup/", query=query)
    assert response.status_code == 400


def test_a_superscript_digit_as_a_related_id_is_a_form_error(scene: Scene) -> None:
    post = str(scene.ids["post"][0])
    response = scene.send("admin", "POST", "/admin/comment/new/", data=[("author", "²"), ("post", post), ("body", "x")])
    assert response.status_code == 200 and "Not a valid choice" in response.get_data(as_text=True)


def test_a_lookup_without_a_query_answers(scene: Scene) -> None:
    # Flask-Admin passes the missing ?query= on as None.
    response = scene.send("admin", "GET", "/admin/post/ajax/lookup/", query=[("name", "author")])
    assert response.status_code == 200 and isinstance(response.get_json(), list)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([("id", "1"), ("reason", "because")], "Unknown reason. Choose one of the reasons offered."),
        ([("id", "²"), ("reason", "spam")], "The selection could not be read. Reload the queue and try again."),
    ],
)
def test_a_refused_queue_decision_says_why_on_the_error_page(scene: Scene, data: Pairs, message: str) -> None:
    response = scene.send("moderator", "POST", "/admin/queue/disable/", data=data)
    assert response.status_code == 400
    assert error_message(response) == message
