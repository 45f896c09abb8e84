"""The forms' foreign-key autocomplete: only columns the reader may see, literal matching, a capped page."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient

from admin_app import permissions as perm
from admin_app.extensions import db
from admin_app.models import Role
from tests.conftest import sign_in
from tests.factories import CommentFactory, PostFactory, UserFactory


def editor_without_personal_data(client: FlaskClient) -> None:
    """Someone who may edit comments but not read e-mail addresses (a role an admin could well create)."""
    role = Role(name="editor", permissions=[perm.COMMENT_READ, perm.COMMENT_MANAGE])
    db.session.add(role)
    db.session.commit()
    sign_in(client, UserFactory(roles=["editor"]))


def lookup(client: FlaskClient, **query: Any) -> Any:
    return client.get("/admin/comment/ajax/lookup/", query_string={"name": "author", **query})


def test_the_author_lookup_searches_no_email_without_personal_data(client: FlaskClient) -> None:
    UserFactory(username="alex", email="zq.secret-address@example.org")
    editor_without_personal_data(client)
    assert lookup(client, query="zq.secret").get_json() == []
    assert lookup(client, query="@example").get_json() == []
    found = lookup(client, query="ale").get_json()
    assert [label for _pk, label in found] == ["alex"], "labels are usernames, never addresses"


def test_admins_may_find_an_author_by_email(client: FlaskClient, login_as: Any) -> None:
    UserFactory(username="alex", email="zq.secret-address@example.org")
    login_as("admin")
    assert [label for _pk, label in lookup(client, query="zq.secret").get_json()] == ["alex"]


def test_readers_who_cannot_edit_have_no_lookups(client: FlaskClient, login_as: Any) -> None:
    login_as("moderator")
    assert lookup(client, query="a").status_code == 403
    assert client.get("/admin/post/ajax/lookup/", query_string={"name": "author", "query": "a"}).status_code == 403


def test_the_page_is_capped_whatever_the_client_asks(client: FlaskClient, login_as: Any) -> None:
    for n in range(15):
        UserFactory(username=f"member{n:02}")
    login_as("admin")
    assert len(lookup(client, query="member", limit=100000).get_json()) == 10
    second = lookup(client, query="member", offset=10, limit=10).get_json()
    assert len(second) == 5


def test_wildcards_match_literally(client: FlaskClient, login_as: Any) -> None:
    post = PostFactory(body="100% organic")
    PostFactory(body="1000 reasons")
    CommentFactory(post=post)
    login_as("admin")
    found = client.get("/admin/comment/ajax/lookup/", query_string={"name": "post", "query": "100%"}).get_json()
    assert [pk for pk, _label in found] == [post.id]
    assert client.get("/admin/comment/ajax/lookup/", query_string={"name": "post", "query": "1_0"}).get_json() == []
    assert lookup(client, query="%").get_json() == []
    assert lookup(client, query="_").get_json() == []


def test_bad_numbers_are_a_400_not_a_500(client: FlaskClient, login_as: Any) -> None:
    login_as("admin")
    for query in [{"offset": "-1"}, {"limit": "-5"}, {"offset": "abc"}, {"offset": str(2**63)}, {"limit": "1e3"}]:
        response = lookup(client, query="a", **query)
        assert response.status_code == 400, query
        assert "must be a whole number" in response.get_data(as_text=True)
    assert lookup(client, query="x" * 201).status_code == 400
