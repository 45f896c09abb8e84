"""A failing save or action shows a generic, translated message; the exception's text goes to the log only.

Flask-Admin flashes ``str(exc)`` (SQL, parameters, constraint names) when a create, edit or delete fails; the
back office's SecuredModelView.handle_view_exception replaces that with a generic message.
"""

from __future__ import annotations

import logging
import re
from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from sqlalchemy.exc import OperationalError

from admin_app.extensions import db as database
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


@pytest.mark.parametrize(
    "unreachable",
    ["postgresql+psycopg://postgres@127.0.0.1:9/test", "sqlite:////nonexistent/directory/db.sqlite"],
    ids=["postgresql-port-closed", "sqlite-file-unopenable"],
)
def test_with_the_database_away_a_signed_in_page_says_so_in_the_users_language(
    client: FlaskClient, login_as: Any, unreachable: str
) -> None:
    """A host whose database went away (before the balancer takes it out): the signed-in user cannot be loaded,
    and neither can the layout's menu; the page that says so needs neither, and carries the request's id."""
    from admin_app import create_app

    login_as("moderator")
    session_cookie = client.get_cookie("session")
    assert session_cookie is not None
    away = create_app("testing", SQLALCHEMY_DATABASE_URI=unreachable)
    browser = away.test_client()
    browser.set_cookie("session", session_cookie.value)
    response = browser.get("/admin/comment/", headers={"Accept-Language": "de", "X-Request-ID": "db-away-request-1"})
    assert response.status_code == 503
    page = response.get_data(as_text=True)
    assert "Die Datenbank antwortet nicht" in page
    assert "<code>db-away-request-1</code>" in page
    assert response.headers["X-Request-ID"] == "db-away-request-1"
    with away.app_context():
        database.engine.dispose()


@pytest.mark.parametrize(
    ("path", "status", "title"), [("/admin/user/", 403, "Forbidden"), ("/admin/nowhere/", 404, "Page not found")]
)
def test_an_error_page_highlights_no_menu_entry_and_is_titled_by_the_error(
    client: FlaskClient, login_as: Any, path: str, status: int, title: str
) -> None:
    login_as("moderator")
    response = client.get(path)
    page = response.get_data(as_text=True)
    assert response.status_code == status
    menu = page.split('<ul class="nav navbar-nav mr-auto">', 1)[1].split("</ul>", 1)[0]
    assert "Home" in menu and "active" not in menu
    assert re.search(rf"<title>{title} - ", page) and f'<h1 class="h3">{title}</h1>' in page
