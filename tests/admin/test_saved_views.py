"""Saved views through the pages: saving from a list, the list's menu, opening on the reader's own list (a view an
administrator shares shows a moderator only what the moderator's list shows), the columns shown, the dashboard's
pinned views with their counts, removing; and bad input answered with a 4xx that says what is wrong."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from admin_app.extensions import db
from admin_app.models import Role, SavedView
from admin_app.services import saved_views as service
from tests.admin.test_dashboard import tiles
from tests.conftest import choose_language, csrf_token
from tests.factories import CommentFactory, UserFactory

LIST = "/admin/comment/"


def count_views() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(SavedView)) or 0


def post_save(client: FlaskClient, query: dict[str, Any], **form: Any) -> Any:
    data = {"csrf_token": csrf_token(client), "role": "", **form}
    return client.post("/admin/saved-views/save/", query_string=query, data=data)


def header_columns(page: str) -> list[str]:
    return re.findall(r'<th class="column-header col-([\w-]+)"', page)


def test_saving_a_list_keeps_its_filters_search_sort_and_columns(client: FlaskClient, login_as: Any) -> None:
    moderator = login_as("moderator")
    query = {"list": "comment", "flt0_disabled_equals": "0", "search": "watches", "sort": "4", "desc": "1",
             "columns": "author,body,timestamp"}  # fmt: skip

    form = client.get("/admin/saved-views/save/", query_string=query)
    assert form.status_code == 200
    text = form.get_data(as_text=True)
    for words in ("Search: “watches”", "Sorted by Posted, descending", "Columns: Author, Text, Posted"):
        assert words in text
    response = post_save(client, query, name="Watches, visible")

    assert response.status_code == 302
    assert dict(parse_qsl(urlsplit(response.headers["Location"]).query)) == {
        k: v for k, v in query.items() if k != "list"
    }
    saved = db.session.scalars(sa.select(SavedView)).one()
    assert (saved.owner_id, saved.list_name, saved.name) == (moderator.id, "comment", "Watches, visible")
    assert (saved.sort, saved.desc, saved.columns) == ("timestamp", True, ["author", "body", "timestamp"])
    menu = client.get(LIST).get_data(as_text=True)
    assert f'href="/admin/saved-views/open/{saved.id}/">Watches, visible' in menu


def test_opening_a_view_goes_back_to_the_list_as_it_was_saved(client: FlaskClient, login_as: Any) -> None:
    moderator = login_as("moderator")
    saved = service.save(moderator, service.Wanted("comment", "Newest", args=[("search", "watches")], sort="timestamp",
                                                   desc=True, columns=["body", "timestamp"]))[0]  # fmt: skip
    db.session.commit()

    response = client.get(f"/admin/saved-views/open/{saved.id}/")

    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert location.path == LIST
    assert parse_qsl(location.query) == [("search", "watches"), ("columns", "body,timestamp"), ("sort", "4"),
                                         ("desc", "1")]  # fmt: skip
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert header_columns(page) == ["body", "timestamp"]


def test_a_view_an_administrator_shares_shows_a_moderator_only_what_their_list_shows(
    client: FlaskClient, login_as: Any
) -> None:
    admin = UserFactory(roles=["admin"])
    UserFactory(email="secret-address@example.org", username="visible-member")
    moderators = db.session.scalar(sa.select(Role.id).where(Role.name == "moderator"))
    wanted = service.Wanted("user", "Members by e-mail", args=[("flt0_active_equals", "1")], sort="email",
                            columns=["username", "email", "active"], role_id=moderators, pinned=True)  # fmt: skip
    saved = service.save(admin, wanted)[0]
    db.session.commit()
    login_as("moderator")

    response = client.get(f"/admin/saved-views/open/{saved.id}/")

    location = urlsplit(response.headers["Location"])
    assert location.path == "/admin/member/"  # the moderator's list of users: no e-mails
    assert parse_qsl(location.query) == [("flt0_active_equals", "1"), ("columns", "username,active")]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "visible-member" in page and "secret-address" not in page
    assert "left out: the column “Email”; the sort by “Email”." in page
    assert header_columns(page) == ["username", "active"]
    # The member list's menu offers it; the dashboard counts it as the moderator's list counts it.
    assert f"/admin/saved-views/open/{saved.id}/" in client.get("/admin/member/").get_data(as_text=True)
    counted = client.get("/admin/member/", query_string={"flt0_active_equals": "1"}).get_data(as_text=True)
    listed = re.search(r"List \(([\d,]+)\)", counted)
    assert listed is not None
    assert tiles(client.get("/admin/").get_data(as_text=True))["Members by e-mail"] == listed.group(1)


def test_a_view_one_may_not_open_is_not_found(client: FlaskClient, login_as: Any) -> None:
    admin = UserFactory(roles=["admin"])
    private = service.save(admin, service.Wanted("comment", "Mine"))[0]
    db.session.commit()
    login_as("moderator")

    assert client.get(f"/admin/saved-views/open/{private.id}/").status_code == 404
    assert client.get("/admin/saved-views/open/99999999/").status_code == 404
    removed = client.post(f"/admin/saved-views/remove/{private.id}/", data={"csrf_token": csrf_token(client)})
    assert removed.status_code == 404
    assert "Mine" not in client.get("/admin/saved-views/").get_data(as_text=True)
    assert count_views() == 1


def test_the_owner_removes_a_view(client: FlaskClient, login_as: Any) -> None:
    staff = login_as("staff")
    saved = service.save(staff, service.Wanted("post", "Hidden posts", args=[("flt0_hidden_equals", "1")]))[0]
    db.session.commit()
    assert "Hidden posts" in client.get("/admin/saved-views/").get_data(as_text=True)

    response = client.post(f"/admin/saved-views/remove/{saved.id}/", data={"csrf_token": csrf_token(client)})

    assert response.status_code == 302 and count_views() == 0
    assert "The view “Hidden posts” is removed." in client.get(response.headers["Location"]).get_data(as_text=True)


@pytest.mark.parametrize(
    ("query", "status", "message"),
    [
        ({"list": "nonexistent"}, 404, "There is nothing at this address."),
        ({"list": "rule"}, 403, ""),  # staff do not read the rules
        ({"list": "comment", "flt0_nonexistent": "1"}, 400, "This list has no filter “flt0_nonexistent”."),
        ({"list": "comment", "sort": "99"}, 400, "“sort” must be a whole number from 0 to 5."),
        ({"list": "comment", "columns": "body,password"}, 400, "This list has no column “password”."),
        ({"list": "comment", "search": "ab"}, 400, "“ab” is too short."),
    ],
)
def test_what_the_list_refuses_is_not_saved(
    client: FlaskClient, login_as: Any, query: dict[str, str], status: int, message: str
) -> None:
    login_as("staff")
    for response in (client.get("/admin/saved-views/save/", query_string=query), post_save(client, query, name="x")):
        assert response.status_code == status
        assert message in response.get_data(as_text=True)
    assert count_views() == 0


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"name": " "}, "Give the view a name."),
        ({"name": "x" * 81}, "A view&#39;s name has 80 characters at most."),
        ({"name": "Up", "role": "1"}, "Not a valid choice"),  # admins: not a role staff may share with
        ({"name": "Up", "role": "x' OR 1=1"}, "Not a valid choice"),
    ],
)
def test_a_bad_name_or_role_keeps_the_form_with_the_reason(
    client: FlaskClient, login_as: Any, form: dict[str, str], message: str
) -> None:
    login_as("staff")
    response = post_save(client, {"list": "comment"}, **form)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert count_views() == 0


def test_the_messages_are_in_the_readers_language(client: FlaskClient, login_as: Any) -> None:
    login_as("staff")
    choose_language(client, "de", "/admin/")
    response = post_save(client, {"list": "comment"}, name="")
    assert response.status_code == 400
    assert "Geben Sie der Ansicht einen Namen." in response.get_data(as_text=True)


def test_the_columns_menu_chooses_the_columns_and_every_link_carries_them(client: FlaskClient, login_as: Any) -> None:
    login_as("staff")
    CommentFactory.create_batch(3)

    page = client.get(LIST, query_string=[("columns", "body"), ("columns", "id")]).get_data(as_text=True)

    assert header_columns(page) == ["id", "body"]
    sort_links = re.findall(r'<a href="([^"]+)" title="Sort by', page)
    assert sort_links and all("columns=id,body" in link for link in sort_links)
    assert re.search(
        r'<input class="form-check-input" type="checkbox" name="columns" value="body" id="column-body"\s+checked>', page
    )
    assert (
        'name="columns" value="author" id="column-author"\n' in page
        or 'value="author" id="column-author"\n                         >' in page
    )


def test_a_pinned_view_of_a_large_list_is_counted_as_its_list_counts_it(
    client: FlaskClient, login_as: Any, app: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    CommentFactory.create_batch(4, disabled=False)
    staff = login_as("staff")
    service.save(staff, service.Wanted("comment", "Visible", [("flt0_disabled_equals", "0")], pinned=True))
    db.session.commit()
    monkeypatch.setitem(app.config, "ADMIN_EXACT_COUNT_LIMIT", 2)

    tile = tiles(client.get("/admin/").get_data(as_text=True))["Visible"]
    listed = re.search(r"List \((.+?)\)</span>", client.get(LIST, query_string={"flt0_disabled_equals": "0"}).text)

    # Over the limit PostgreSQL writes the estimate ("about N"), as the list does; SQLite counts exactly.
    assert listed is not None and re.sub(r"<[^>]+>", "", listed.group(1)) == tile
    assert tile.startswith("about ") if db.engine.dialect.name == "postgresql" else tile == "4"
