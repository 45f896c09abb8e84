"""A failing save or action shows a generic, translated message; the exception's text goes to the log only.

Flask-Admin flashes ``str(exc)`` (SQL, parameters, constraint names) when a create, edit or delete fails; the
back office's SecuredModelView.handle_view_exception replaces that with a generic message.
"""

from __future__ import annotations

import logging
from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from sqlalchemy.exc import OperationalError

from admin_app.models import Role
from tests.conftest import csrf_token

SECRET = "secret detail"
NOT_SAVED = "The change could not be saved. The error was logged; please try again."
ERROR_PAGE = "The error was logged. Please try again later."


def fail_every_commit(db: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    def commit() -> None:
        raise OperationalError(SECRET, None, Exception(SECRET))

    monkeypatch.setattr(db.session, "commit", commit)


def role_names(db: Any) -> set[str]:
    db.session.rollback()
    return set(db.session.scalars(sa.select(Role.name)))


@pytest.mark.parametrize(
    ("failing", "status", "message"),
    [
        pytest.param("create", 200, NOT_SAVED, id="create"),
        pytest.param("edit", 200, NOT_SAVED, id="edit"),
        pytest.param("delete-action", 500, ERROR_PAGE, id="delete-action"),
    ],
)
def test_a_database_error_shows_a_generic_message_and_logs_the_detail(
    failing: str,
    status: int,
    message: str,
    client: FlaskClient,
    login_as: Any,
    db: Any,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    login_as("admin")
    role = db.session.scalars(sa.select(Role).where(Role.name == "staff")).one()
    url, data = {
        "create": ("/admin/role/new/", {"name": "auditors", "description": "read the trail"}),
        "edit": (f"/admin/role/edit/?id={role.id}", {"name": "auditors", "description": "read the trail"}),
        "delete-action": ("/admin/role/action/", {"action": "delete", "rowid": [str(role.id)]}),
    }[failing]
    before = role_names(db)
    fail_every_commit(db, monkeypatch)

    with caplog.at_level(logging.ERROR):
        response = client.post(url, data={**data, "csrf_token": csrf_token(client)}, follow_redirects=True)

    page = response.get_data(as_text=True)
    assert response.status_code == status
    assert message in page
    assert SECRET not in page and "OperationalError" not in page and "Traceback" not in page
    assert SECRET in caplog.text, "the exception is logged"
    monkeypatch.undo()
    assert role_names(db) == before
