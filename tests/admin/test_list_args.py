"""List arguments validated before SQL (admin/list_args.py), and the Flask-Admin internals that adapter relies on."""

from __future__ import annotations

import inspect
import math
import re
from datetime import datetime
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from flask_admin.contrib.sqla import ModelView
from flask_admin.model.base import ViewArgs

from admin_app.admin.list_args import Selection, cannot_drop_rows, list_views, listing, selected_ids
from admin_app.extensions import db
from admin_app.models import Comment, Post, User
from tests.conftest import csrf_token, recorded_statements
from tests.factories import CommentFactory, PostFactory, UserFactory


def test_the_flask_admin_internals_the_adapter_uses_are_still_there(app: Flask) -> None:
    """Fails when the pinned Flask-Admin renames or reshapes what admin/list_args.py overrides or reads."""
    assert list(inspect.signature(ModelView._apply_search).parameters) == [
        "self", "query", "count_query", "joins", "count_joins", "search",
    ]  # fmt: skip
    assert list(inspect.signature(ModelView.get_list).parameters) == [
        "self", "page", "sort_column", "sort_desc", "search", "filters", "execute", "page_size",
    ]  # fmt: skip
    assert list(inspect.signature(ViewArgs).parameters) == [
        "page", "page_size", "sort", "sort_desc", "search", "filters", "extra_args",
    ]  # fmt: skip
    for name in ("_get_list_extra_args", "_get_list_filter_args", "_get_list_url", "_get_column_by_idx"):
        assert callable(getattr(ModelView, name)), name
    assert isinstance(app.extensions["admin"][0]._views, list)
    view = next(v for v in app.extensions["admin"][0]._views if v.endpoint == "comment")
    sort_column = view._get_column_by_idx(view._list_columns.index(("timestamp", view._list_columns[4][1])))
    assert sort_column is not None and sort_column[0] == "timestamp"
    assert isinstance(view._filter_args, dict) and "disabled_equals" in view._filter_args
    index, flt = view._filter_args["disabled_equals"]
    assert isinstance(index, int) and hasattr(flt, "clean") and hasattr(flt, "name")
    assert str(flt.operation()) == "equals" and dict(flt.get_options(view))["0"] == "No"
    assert [column.key for column, _path in view._search_fields] == ["body"]
    assert ("timestamp", "Posted") in [(name, str(label)) for name, label in view._list_columns]
    assert "timestamp" in view._sortable_columns
    assert view._search_supported is True


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("page=-1", "“page” must be a whole number"),
        ("page=99999999999999999999", "“page” must be a whole number"),
        ("page=abc", "“page” must be a whole number"),
        ("page_size=7", "Show 20, 50 or 100 rows per page."),
        ("sort=99", "“sort” must be a whole number"),
        ("sort=3", "This list cannot be sorted by that column."),  # "body" is shown, not sortable
        ("desc=2", "“desc” must be a whole number"),
        ("flt0_nonsense=1", "This list has no filter “flt0_nonsense”."),
        ("flt0_post_id_equals=99999999999", "is not a valid value for the filter"),
        ("flt0_post_id_in_list=1,2,x", "is not a valid value for the filter"),
        ("flt0_posted_greater_than=10000-01-01+00:00:00", "is not a valid value for the filter"),
        ("search=ab", "at least three letters or digits"),
        ("search=%5C", "at least three letters or digits"),
        ("search=ab-cd", "at least three letters or digits"),
        ("search=x_y_z", "at least three letters or digits"),
        ("search=%EF%BD%85%EF%BD%98", "at least three letters or digits"),  # two full-width letters
        ("search=abc+de", "at least three letters or digits"),  # every word: a short one would be a scan
        ("search=" + "x" * 201, "too long"),
    ],
)
def test_a_bad_list_argument_is_a_400_that_says_what_is_wrong(
    client: FlaskClient, login_as: Any, query: str, message: str
) -> None:
    login_as("moderator")
    response = client.get(f"/admin/comment/?{query}")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert message in page
    assert '<a href="/admin/comment/">Back to the list, without the search and filters</a>' in page


@pytest.mark.parametrize("search", ["abc", "ｅｘａｍｐｌｅ", "日本語", "élan", "^abc", "=abc def", "100% off"])
def test_searches_the_indexes_can_serve_are_run(client: FlaskClient, login_as: Any, search: str) -> None:
    CommentFactory(body="ｅｘａｍｐｌｅ 日本語 élan abc def 100% off")
    login_as("moderator")
    response = client.get("/admin/comment/", query_string={"search": search})
    assert response.status_code == 200


def test_a_filter_that_cannot_be_applied_never_widens_select_all(client: FlaskClient, login_as: Any) -> None:
    """Flask-Admin skips an invalid filter with a flash: "every matching row" would then be every row."""
    CommentFactory.create_batch(2)
    login_as("moderator")
    for broken in ["flt0_post_id_equals=abc", "flt0_nonsense=1"]:
        response = client.post(
            f"/admin/comment/moderate/?{broken}",
            data={"operation": "comment.disable", "select_all": "1", "reason": "spam", "confirmed": "1",
                  "csrf_token": csrf_token(client)},
        )  # fmt: skip
        assert response.status_code == 400, broken
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).where(Comment.disabled)) == 0, "nothing was disabled"


def test_a_page_past_the_end_goes_to_the_last_page(client: FlaskClient, login_as: Any) -> None:
    CommentFactory.create_batch(25)
    login_as("moderator")
    for page in ["2", "5000000"]:
        response = client.get(f"/admin/comment/?page={page}&flt0_disabled_equals=0")
        assert response.status_code == 302
        assert response.headers["Location"] == "/admin/comment/?page=1&page_size=20&flt0_disabled_equals=0"
    assert client.get("/admin/comment/?page=1").status_code == 200
    assert client.get("/admin/comment/?page=999999999").status_code == 400, "beyond any list: a quick 400"


@pytest.mark.parametrize(
    "query",
    ["", "search=watches", "flt0_disabled_equals=1", "flt0_disabled_equals=0&search=watches&sort=4&desc=1",
     "flt0_author_equals=spammer"],
)  # fmt: skip
def test_a_selection_rebuilt_from_its_arguments_is_exactly_the_lists_rows(
    client: FlaskClient, login_as: Any, query: str
) -> None:
    """What a job rebuilds from data (list_args.listing + selected_ids) is what the list shows, page after page."""
    spammer = UserFactory(username="spammer")
    CommentFactory.create_batch(25, author=spammer, body="Cheap watches")
    CommentFactory.create_batch(10, body="Nice post", disabled=True)
    CommentFactory.create_batch(8, body="watches, too", disabled=True)
    moderator = login_as("moderator")
    shown: list[int] = []
    for page in range(3):
        html = client.get(f"/admin/comment/?{query}&page_size=20&page={page}").get_data(as_text=True)
        shown += [int(row_id) for row_id in re.findall(r'name="rowid" class="action-checkbox" value="(\d+)"', html)]

    args = tuple(pair.split("=") for pair in query.split("&") if pair)
    selection = Selection("comment", tuple((name, value) for name, value in args))
    with listing(selection, db.session.get(User, moderator.id)) as view:
        rebuilt = list(db.session.scalars(selected_ids(view, selection)))

    assert shown and sorted(rebuilt) == sorted(set(shown))


def test_the_sorting_internals_the_adapter_overrides_are_still_there(app: Flask) -> None:
    assert list(inspect.signature(ModelView._apply_sorting).parameters) == [
        "self", "query", "joins", "sort_column", "sort_desc",
    ]  # fmt: skip
    assert list(inspect.signature(ModelView._order_by).parameters) == [
        "self", "query", "joins", "sort_joins", "sort_field", "sort_desc",
    ]  # fmt: skip
    assert list(inspect.signature(ModelView._apply_path_joins).parameters) == [
        "self", "query", "joins", "path", "inner_join",
    ]  # fmt: skip
    view = list_views(app)["comment"]
    assert view._sortable_columns["id"] is Comment.id
    assert [(field, direction) for field, _joins, direction in view._get_default_order()] == [(Comment.timestamp, True)]
    assert list(view._auto_joins), "the list eager-loads its related rows"


def test_only_joins_that_cannot_drop_a_row_are_inner() -> None:
    assert cannot_drop_rows([Comment.author]) and cannot_drop_rows([Comment.post, Post.author])
    assert not cannot_drop_rows([Comment.claimed_by]), "nullable"
    assert not cannot_drop_rows([Comment.moderated_by]), "no foreign key: the moderator may be gone"
    assert not cannot_drop_rows([User.roles]), "many-to-many"
    assert not cannot_drop_rows([])


def list_statements(client: FlaskClient, url: str) -> list[str]:
    statements = recorded_statements(lambda: client.get(url))
    return [sql for sql in statements if re.match(r"SELECT comments\.id\b", sql)]  # not the counts


def test_a_page_reads_its_ids_first_then_only_the_rows_it_shows(client: FlaskClient, login_as: Any) -> None:
    CommentFactory.create_batch(45)
    login_as("moderator")
    statements = list_statements(client, "/admin/comment/?page=1&page_size=20")
    assert len(statements) == 2, statements
    ids_first, rows = statements
    assert re.match(r"SELECT comments\.id AS comments_id\s+FROM comments\s", ids_first), ids_first
    assert "JOIN" not in ids_first and "LIMIT" in ids_first and "OFFSET" in ids_first
    assert "ORDER BY comments.timestamp DESC, comments.id DESC" in ids_first
    assert "LIMIT" not in rows and "comments.id IN" in rows and "JOIN users" in rows  # the 20 rows, with authors


def test_sorting_by_author_is_an_inner_join(client: FlaskClient, login_as: Any) -> None:
    CommentFactory.create_batch(3)
    login_as("moderator")
    view = list_views(client.application)["comment"]
    author = [name for name, _label in view._list_columns].index("author")
    statements = list_statements(client, f"/admin/comment/?sort={author}&desc=1")
    assert len(statements) == 2, statements
    ids_first = statements[0]
    assert re.search(r"\bJOIN users AS users_1 ON users_1.id = comments.author_id", ids_first), ids_first
    assert "OUTER" not in ids_first
    assert "ORDER BY users_1.username DESC, comments.id DESC" in ids_first


@pytest.mark.parametrize("endpoint", ["comment", "post", "user", "member"])
def test_every_sortable_column_shows_every_row_once_in_order(client: FlaskClient, login_as: Any, endpoint: str) -> None:
    """Many ties (one author, one moment): paging through any sort, either way, shows each row exactly once."""
    author = UserFactory(username="same-author")
    moment = datetime(2026, 1, 1, 12, 0)
    post = PostFactory(author=author, timestamp=moment)
    PostFactory.create_batch(44, author=author, timestamp=moment)
    CommentFactory.create_batch(45, author=author, post=post, timestamp=moment)
    UserFactory.create_batch(45, member_since=moment, last_seen=moment)
    login_as("admin")
    view = list_views(client.application)[endpoint]
    expected = {row.id for row in view.get_query()}
    assert len(expected) >= 45
    for index, (name, _label) in enumerate(view._list_columns):
        if name not in view._sortable_columns:
            continue
        for desc in (0, 1):
            shown: list[int] = []
            for page in range(math.ceil(len(expected) / 20)):
                response = client.get(f"{view.url}/?sort={index}&desc={desc}&page={page}&page_size=20")
                assert response.status_code == 200, (name, desc, page)
                html = response.get_data(as_text=True)
                shown += [int(n) for n in re.findall(r'name="rowid" class="action-checkbox" value="(\d+)"', html)]
            assert len(shown) == len(set(shown)) and set(shown) == expected, (endpoint, name, desc)


def shown_ids(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'name="rowid" class="action-checkbox" value="(\d+)"', html)]


def pager_links(html: str) -> dict[str, str]:
    """The pager's links by their text (page numbers, and Flask-Admin's arrows)."""
    pager = html[html.rindex('<ul class="pagination') :]
    return {text.strip(): href.replace("&amp;", "&") for href, text in re.findall(r'href="([^"]+)">([^<]+)</a>', pager)}


@pytest.mark.parametrize("sort", ["", "&sort=0", "&sort=0&desc=1", "&sort=4"])
def test_next_and_previous_read_from_the_row_they_follow_and_match_the_numbered_pages(
    client: FlaskClient, login_as: Any, sort: str
) -> None:
    """Keyset paging: the pager's next and previous pages carry a row id; what they show is the numbered page."""
    moment = datetime(2026, 1, 1, 12, 0)
    CommentFactory.create_batch(30, timestamp=moment)  # ties: the id orders them
    CommentFactory.create_batch(35)
    login_as("moderator")
    by_offset = [
        shown_ids(client.get(f"/admin/comment/?page={page}{sort}").get_data(as_text=True)) for page in (0, 1, 2)
    ]
    first = client.get(f"/admin/comment/?page=0{sort}").get_data(as_text=True)
    onward = pager_links(first)["2"]
    assert f"after={by_offset[0][-1]}" in onward
    second = client.get(onward).get_data(as_text=True)
    assert shown_ids(second) == by_offset[1]
    third_url = pager_links(second)["3"]
    assert f"after={by_offset[1][-1]}" in third_url
    third = client.get(third_url).get_data(as_text=True)
    assert shown_ids(third) == by_offset[2]
    back = pager_links(third)["2"]
    assert f"before={by_offset[2][0]}" in back
    assert shown_ids(client.get(back).get_data(as_text=True)) == by_offset[1]

    ids_first = next(sql for sql in list_statements(client, onward) if "ORDER BY" in sql)
    assert re.search(r"\(comments\.\w+, comments\.id\) [<>]", ids_first), ids_first
    if db.engine.dialect.name == "postgresql":  # (SQLite's compiler writes OFFSET 0 with every LIMIT)
        assert "OFFSET" not in ids_first, ids_first


def test_a_sort_through_a_relation_pages_by_offset_and_a_stale_cursor_is_ignored(
    client: FlaskClient, login_as: Any
) -> None:
    CommentFactory.create_batch(45)
    login_as("moderator")
    view = list_views(client.application)["comment"]
    author = [name for name, _label in view._list_columns].index("author")
    by_author = client.get(f"/admin/comment/?sort={author}").get_data(as_text=True)
    assert "after=" not in pager_links(by_author)["2"]
    page_two = shown_ids(client.get("/admin/comment/?page=1").get_data(as_text=True))
    for stale in ("after=999999", "before=999999"):
        assert shown_ids(client.get(f"/admin/comment/?page=1&{stale}").get_data(as_text=True)) == page_two
    assert shown_ids(client.get(f"/admin/comment/?page=1&sort={author}&before=1").get_data(as_text=True)) == (
        shown_ids(client.get(f"/admin/comment/?page=1&sort={author}").get_data(as_text=True))
    )
    refused = client.get("/admin/comment/?page=1&after=x")
    assert refused.status_code == 400 and "“after” must be a whole number" in refused.get_data(as_text=True)


def test_a_filter_on_a_list_without_filters_is_refused_not_ignored(client: FlaskClient, login_as: Any) -> None:
    login_as("admin")
    response = client.get("/admin/role/", query_string={"flt0_name_equals": "admin"})
    assert response.status_code == 400
    assert "This list has no filter “flt0_name_equals”." in response.get_data(as_text=True)
