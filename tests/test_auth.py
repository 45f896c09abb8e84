"""Login, POST-only logout, CSRF on the login form, and sessions that end when the user is deactivated or logs out."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import csrf_token
from tests.factories import PASSWORD, UserFactory


def test_login_page_renders_with_a_csrf_token(client: FlaskClient) -> None:
    response = client.get("/login")
    assert response.status_code == 200
    assert 'name="csrf_token"' in response.get_data(as_text=True)


def test_login_without_csrf_token_is_refused(client: FlaskClient) -> None:
    user = UserFactory(roles=["admin"])
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 400
    assert client.get("/admin/").status_code == 302


def test_wrong_password_says_so_and_keeps_you_out(client: FlaskClient) -> None:
    user = UserFactory(roles=["admin"])
    response = client.post("/login", data={"email": user.email, "password": "nope", "csrf_token": csrf_token(client)})
    assert response.status_code == 200
    assert "Invalid password" in response.get_data(as_text=True)
    assert client.get("/admin/").status_code == 302


def test_a_deactivated_account_cannot_log_in(client: FlaskClient) -> None:
    user = UserFactory(roles=["admin"], active=False)
    data = {"email": user.email, "password": PASSWORD, "csrf_token": csrf_token(client)}
    response = client.post("/login", data=data)
    assert response.status_code == 200
    assert client.get("/admin/").status_code == 302


def test_logout_is_a_post_from_the_navbar_form(client: FlaskClient, login_as: Any) -> None:
    login_as("staff")
    page = client.get("/admin/").get_data(as_text=True)
    assert 'action="/logout"' in page and 'method="post"' in page

    assert client.get("/logout").status_code == 405
    assert client.get("/admin/").status_code == 200

    response = client.post("/logout", data={"csrf_token": csrf_token(client)})
    assert response.status_code == 302
    assert client.get("/admin/").status_code == 302


def test_root_goes_to_the_back_office(client: FlaskClient) -> None:
    response = client.get("/")
    assert response.status_code == 302 and response.headers["Location"] == "/admin/"


def test_unknown_page_is_a_404_inside_the_layout(client: FlaskClient, login_as: Any) -> None:
    login_as("staff")
    response = client.get("/admin/no-such-page/")
    assert response.status_code == 404
    assert "There is nothing at this address." in response.get_data(as_text=True)


def test_a_user_without_back_office_access_gets_403_and_no_menu(client: FlaskClient, login_as: Any) -> None:
    login_as("user")
    response = client.get("/admin/comment/")
    page = response.get_data(as_text=True)
    assert response.status_code == 403
    assert "You do not have permission to open this page." in page
    assert 'href="/admin/comment/"' not in page


def test_the_menu_shows_only_what_the_role_may_open(client: FlaskClient, login_as: Any) -> None:
    login_as("moderator")
    page = client.get("/admin/").get_data(as_text=True)
    assert 'href="/admin/comment/"' in page and 'href="/admin/member/"' in page
    assert 'href="/admin/role/"' not in page and 'href="/admin/user/"' not in page


def signed_in_browser(app: Flask, cookie: str, value: str) -> FlaskClient:
    """A new browser holding only one copied cookie."""
    browser = app.test_client()
    browser.set_cookie(cookie, value)
    return browser


def test_a_deactivated_user_is_signed_out_on_the_next_request(client: FlaskClient, login_as: Any, db: Any) -> None:
    user = login_as("admin")
    assert client.get("/admin/").status_code == 200

    user.active = False
    db.session.commit()

    response = client.get("/admin/")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")


def test_a_session_cookie_copied_before_logout_is_dead_after_it(app: Flask, client: FlaskClient, login_as: Any) -> None:
    login_as("staff")
    copied = client.get_cookie("session")
    assert copied is not None
    assert signed_in_browser(app, "session", copied.value).get("/admin/").status_code == 200

    assert client.post("/logout", data={"csrf_token": csrf_token(client)}).status_code == 302

    response = signed_in_browser(app, "session", copied.value).get("/admin/")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")


def test_a_remember_me_cookie_copied_before_logout_is_dead_after_it(app: Flask, client: FlaskClient) -> None:
    user = UserFactory(roles=["staff"])
    data = {"email": user.email, "password": PASSWORD, "remember": "y", "csrf_token": csrf_token(client)}
    assert client.post("/login", data=data).status_code == 302
    remembered = client.get_cookie("remember_token")
    assert remembered is not None
    assert signed_in_browser(app, "remember_token", remembered.value).get("/admin/").status_code == 200

    assert client.post("/logout", data={"csrf_token": csrf_token(client)}).status_code == 302

    assert signed_in_browser(app, "remember_token", remembered.value).get("/admin/").status_code == 302


def test_logging_out_ends_the_users_other_sessions_too(app: Flask, client: FlaskClient, login_as: Any) -> None:
    """The price of the above: the uniquifier is per user, so logging out on one device signs out every device."""
    user = login_as("staff")
    other_device = app.test_client()
    data = {"email": user.email, "password": PASSWORD, "csrf_token": csrf_token(other_device)}
    assert other_device.post("/login", data=data).status_code == 302

    client.post("/logout", data={"csrf_token": csrf_token(client)})

    assert other_device.get("/admin/").status_code == 302
