"""The access matrix: every admin URL the app registers x every role x its methods.

The expected table below is written out by hand (it is the documented matrix in the README): a view or
endpoint the app registers that is missing here fails the test, so a new view is covered by default.
"""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from admin_app import create_app
from admin_app.extensions import db
from tests.conftest import csrf_token
from tests.factories import CommentFactory

ROLES = [None, "user", "staff", "moderator", "admin"]
READERS = {"staff", "moderator", "admin"}
ADMINS = {"admin"}
MODERATORS = {"moderator", "admin"}

# view -> capability -> roles allowed
EXPECTED: dict[str, dict[str, set[str]]] = {
    "admin": {"read": READERS},
    "comment": {"read": READERS, "create": ADMINS, "edit": ADMINS, "delete": MODERATORS, "export": set()},
    "post": {"read": READERS, "create": ADMINS, "edit": ADMINS, "delete": MODERATORS, "export": set()},
    "user": {"read": READERS, "create": ADMINS, "edit": ADMINS, "delete": ADMINS, "export": set()},
    "role": {"read": {"staff", "admin"}, "create": ADMINS, "edit": ADMINS, "delete": ADMINS, "export": set()},
}

# Flask-Admin endpoint -> the capability it exercises (action_view runs the only action there is: delete).
CAPABILITY = {
    "index": "read", "index_view": "read", "details_view": "read", "ajax_lookup": "read",
    "create_view": "create", "edit_view": "edit", "ajax_update": "edit", "delete_view": "delete",
    "action_view": "delete", "export": "export",
}  # fmt: skip


def admin_routes() -> list[tuple[str, str, str]]:
    """(endpoint, rule, method) for every admin URL, static files aside."""
    app = create_app("testing")
    views = {view.endpoint for view in app.extensions["admin"][0]._views}
    routes = []
    for rule in app.url_map.iter_rules():
        blueprint, _, name = rule.endpoint.rpartition(".")
        if blueprint in views and name != "static":
            routes += [(rule.endpoint, rule.rule, method) for method in sorted(rule.methods - {"HEAD", "OPTIONS"})]
    return sorted(routes)


ROUTES = admin_routes()


def test_every_admin_route_has_an_expectation() -> None:
    for endpoint, _rule, _method in ROUTES:
        view, _, name = endpoint.rpartition(".")
        assert view in EXPECTED, f"{view}: add the new view to EXPECTED"
        assert CAPABILITY[name] in EXPECTED[view], f"{endpoint}: add its capability to EXPECTED"
    print(f"\naccess matrix: {len(ROUTES)} routes x {len(ROLES)} roles = {len(ROUTES) * len(ROLES)} requests")


def snapshot() -> dict[str, list[Any]]:
    db.session.expire_all()
    return {
        table.name: sorted(map(tuple, db.session.execute(sa.select(table)).all()), key=repr)
        for table in db.metadata.sorted_tables
    }


def record_id(view: str, comment: Any) -> int:
    return {"comment": comment.id, "post": comment.post_id, "user": comment.author_id, "role": 1}.get(view, 0)


def make_request(client: FlaskClient, rule: str, method: str, view: str, name: str, pk: int) -> Any:
    url = rule.replace("<export_type>", "csv")
    query: dict[str, Any] = {"id": pk} if name in {"details_view", "edit_view"} else {}
    if name == "ajax_lookup":
        query = {"name": "author", "query": "a"}
    if method == "GET":
        return client.get(url, query_string=query)
    data: dict[str, Any] = {"csrf_token": csrf_token(client), "id": pk}
    if name == "action_view":
        data |= {"action": "delete", "rowid": [pk]}
    if name == "ajax_update":
        data |= {"list_form_pk": pk, "body": "changed"}
    return client.post(url, query_string=query, data=data)


@pytest.mark.parametrize("role", ROLES, ids=lambda role: role or "anonymous")
@pytest.mark.parametrize(("endpoint", "rule", "method"), ROUTES, ids=lambda value: str(value))
def test_access(client: FlaskClient, login_as: Any, endpoint: str, rule: str, method: str, role: str | None) -> None:
    comment = CommentFactory()
    view, _, name = endpoint.rpartition(".")
    login_as(role)
    before = snapshot()

    response = make_request(client, rule, method, view, name, record_id(view, comment))

    allowed = role in EXPECTED[view][CAPABILITY[name]]
    if role is None:
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/login")
    elif not allowed:
        assert response.status_code == 403
    else:
        assert response.status_code in {200, 302, 400, 404}, response.get_data(as_text=True)[:500]
        if response.status_code == 302:
            assert not response.headers["Location"].startswith("/login")
    if not allowed:
        assert snapshot() == before, "a refused request changed the database"
