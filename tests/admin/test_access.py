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
from admin_app.services.audit import Actor
from admin_app.services.moderation import OPERATIONS, moderate
from tests.conftest import csrf_token
from tests.factories import CommentFactory

ROLES = [None, "user", "staff", "moderator", "admin"]
READERS = {"staff", "moderator", "admin"}
ADMINS = {"admin"}
MODERATORS = {"moderator", "admin"}
EXPORTERS = {"staff", "admin"}  # report-export
NOBODY: set[str] = set()

# view -> capability -> roles allowed. Comments and posts are deleted only by the audited moderation action.
EXPECTED: dict[str, dict[str, set[str]]] = {
    "admin": {"read": READERS},
    "comment": {"read": READERS, "create": ADMINS, "edit": ADMINS, "delete": NOBODY, "moderate": MODERATORS,
                "export": EXPORTERS},
    "post": {"read": READERS, "create": ADMINS, "edit": ADMINS, "delete": NOBODY, "moderate": MODERATORS,
             "export": EXPORTERS},
    "user": {"read": ADMINS, "create": ADMINS, "edit": ADMINS, "delete": ADMINS, "moderate": ADMINS,
             "export": ADMINS},
    "member": {"read": READERS, "create": NOBODY, "edit": NOBODY, "delete": NOBODY, "moderate": MODERATORS,
               "export": EXPORTERS},
    "role": {"read": {"staff", "admin"}, "create": ADMINS, "edit": ADMINS, "delete": ADMINS, "export": EXPORTERS},
    "audit": {"read": ADMINS, "create": NOBODY, "edit": NOBODY, "delete": NOBODY, "export": ADMINS},
    "queue": {"read": MODERATORS, "review": MODERATORS},
    "preferences": {"read": READERS},  # one's own language and time zone
    "reports": {"read": {"staff", "admin"}, "export": EXPORTERS},
}  # fmt: skip

# Flask-Admin endpoint -> the capability it exercises; action_view's depends on the action posted (ACTIONS).
CAPABILITY = {
    "index": "read", "index_view": "read", "details_view": "read", "ajax_lookup": "read",
    "create_view": "create", "edit_view": "edit", "ajax_update": "edit", "delete_view": "delete",
    "export": "export", "moderate_view": "moderate", "undo_view": "moderate",
    "approve_view": "review", "disable_view": "review", "skip_view": "review", "release_view": "review",
    "report_view": "read", "download_view": "export",
}  # fmt: skip

# view -> (action posted to action_view, the capability it needs, the operation moderate_view runs)
ACTIONS = {
    "comment": ("disable", "moderate", "comment.disable"),
    "post": ("hide", "moderate", "post.hide"),
    "user": ("disable_comments", "moderate", "user.disable_comments"),
    "member": ("disable_comments", "moderate", "user.disable_comments"),
    "role": ("delete", "delete", None),
    "audit": ("delete", "delete", None),
}


def capability(view: str, name: str) -> str:
    return ACTIONS[view][1] if name == "action_view" else CAPABILITY[name]


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
        assert capability(view, name) in EXPECTED[view], f"{endpoint}: add its capability to EXPECTED"


def snapshot() -> dict[str, list[Any]]:
    db.session.expire_all()
    return {
        table.name: sorted(map(tuple, db.session.execute(sa.select(table)).all()), key=repr)
        for table in db.metadata.sorted_tables
    }


def record_id(view: str, comment: Any, entry_id: int) -> int:
    ids = {
        "comment": comment.id, "post": comment.post_id, "user": comment.author_id, "member": comment.author_id,
        "role": 1, "audit": entry_id,
    }  # fmt: skip
    return ids.get(view, 0)


def make_request(client: FlaskClient, rule: str, method: str, view: str, name: str, pk: int) -> Any:
    url = rule.replace("<export_type>", "csv").replace("<report>", "comment-volume")
    query: dict[str, Any] = {"id": pk} if name in {"details_view", "edit_view"} else {}
    if name == "ajax_lookup":
        query = {"name": "author", "query": "a"}
    if method == "GET":
        return client.get(url, query_string=query)
    data: dict[str, Any] = {"csrf_token": csrf_token(client), "id": pk}
    if name == "action_view":
        data |= {"action": ACTIONS[view][0], "rowid": [pk]}
    if name == "moderate_view":
        data |= {"operation": ACTIONS[view][2], "rowid": [pk], "reason": "spam", "confirmed": "1"}
    if name == "undo_view":
        data |= {"entry": pk}
    if name == "ajax_update":
        data |= {"list_form_pk": pk, "body": "changed"}
    return client.post(url, query_string=query, data=data)


@pytest.mark.parametrize("role", ROLES, ids=lambda role: role or "anonymous")
@pytest.mark.parametrize(("endpoint", "rule", "method"), ROUTES, ids=lambda value: str(value))
def test_access(client: FlaskClient, login_as: Any, endpoint: str, rule: str, method: str, role: str | None) -> None:
    comment = CommentFactory()
    author = comment.author
    entry = moderate(OPERATIONS["comment.enable"], [], Actor(author.id, author.email, None), "other")
    db.session.commit()
    view, _, name = endpoint.rpartition(".")
    login_as(role)
    before = snapshot()

    response = make_request(client, rule, method, view, name, record_id(view, comment, entry.entry_id))

    allowed = role in EXPECTED[view][capability(view, name)]
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
