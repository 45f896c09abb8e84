"""AuditAdmin's entry page: role changes, (de)activations and form edits read as before-and-after tables."""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa
from flask.testing import FlaskClient

from admin_app.extensions import db
from admin_app.models import AuditEntry, Post
from tests.admin.test_user import confirm
from tests.conftest import csrf_token
from tests.factories import PostFactory, UserFactory


def change_table(client: FlaskClient, action: str) -> list[list[str]]:
    entry_id = db.session.scalars(
        sa.select(AuditEntry.id).where(AuditEntry.action == action).order_by(AuditEntry.id.desc())
    ).first()
    page = client.get(f"/admin/audit/details/?id={entry_id}").get_data(as_text=True)
    table = re.search(r'<table[^>]*id="audit-changes">(.*?)</table>', page, re.S)
    assert table, f"no before/after table on the page of {action} entry #{entry_id}"
    rows = re.findall(r"<tr>(.*?)</tr>", table.group(1), re.S)[1:]
    return [[cell.strip() for cell in re.findall(r"<td>(.*?)</td>", row, re.S)] for row in rows]


def test_a_role_change_shows_each_users_roles_before_and_after(client: FlaskClient, login_as: Any) -> None:
    first, second = UserFactory(roles=["user"], username="ada"), UserFactory(roles=["staff"], username="bo")
    login_as("admin")
    confirm(
        client, {"operation": "user.add_role", "rowid": [first.id, second.id], "role": "moderator", "reason": "other"}
    )

    assert change_table(client, "user.add_role") == [
        [f"ada (#{first.id})", "user", "moderator, user"],
        [f"bo (#{second.id})", "staff", "moderator, staff"],
    ]


def test_a_deactivation_shows_each_account_active_then_deactivated(client: FlaskClient, login_as: Any) -> None:
    member = UserFactory(roles=["user"], username="cy")
    login_as("admin")
    confirm(client, {"operation": "user.deactivate", "rowid": [member.id], "reason": "abuse"})

    assert change_table(client, "user.deactivate") == [[f"cy (#{member.id})", "active", "deactivated"]]


def test_a_form_edit_shows_each_changed_field(client: FlaskClient, login_as: Any) -> None:
    post = PostFactory(body="first words")
    login_as("admin")
    response = client.post(
        f"/admin/post/edit/?id={post.id}",
        data={"body": "second words", "author": post.author_id, "csrf_token": csrf_token(client)},
    )
    assert response.status_code == 302
    assert db.session.get(Post, post.id) is not None

    assert ["body", "first words", "second words"] in change_table(client, "post.edit")
