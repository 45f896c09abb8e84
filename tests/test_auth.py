"""Login, POST-only logout, CSRF on the login form, and sessions that end when the user is deactivated or logs out."""

from __future__ import annotations

import re
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from admin_app.extensions import db
from admin_app.services.audit import Actor
from admin_app.services.change import Order
from admin_app.services.operations import OPERATIONS
from tests.conftest import csrf_token, sign_in
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


GENERIC_FAILURE = "Authentication failed - identity or password/passcode invalid"


def login_page_errors(page: str) -> list[str]:
    return re.findall(r'class="(?:fs-error-msg|invalid-feedback|alert[^"]*)"[^>]*>\s*([^<]+?)\s*<', page)


def test_a_failed_login_does_not_tell_whether_the_account_exists(client: FlaskClient) -> None:
    user = UserFactory(roles=["admin"])
    answers = []
    for email in [user.email, "nobody-here@example.org", "not an address"]:
        response = client.post("/login", data={"email": email, "password": "nope", "csrf_token": csrf_token(client)})
        assert response.status_code == 200
        page = response.get_data(as_text=True)
        assert GENERIC_FAILURE in page
        assert "Invalid password" not in page and "does not exist" not in page
        answers.append(login_page_errors(page))
    assert answers[0] == answers[1] == answers[2], "the same words whatever the account"
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


def test_signing_in_starts_a_new_csrf_token(client: FlaskClient) -> None:
    """A token read from the login page before signing in (by whoever saw that page) is dead after it."""
    user = UserFactory(roles=["moderator"])
    before = csrf_token(client)
    data = {"email": user.email, "password": PASSWORD, "csrf_token": before}
    assert client.post("/login", data=data).status_code == 302
    after = csrf_token(client)
    assert after != before

    stale = client.post("/language", data={"lang": "de_DE", "next": "/admin/", "csrf_token": before})
    assert stale.status_code == 400
    assert client.post("/language", data={"lang": "de_DE", "next": "/admin/", "csrf_token": after}).status_code == 302


def test_deactivation_ends_every_cookie_for_good(app: Flask, client: FlaskClient) -> None:
    """Session copies and remember-me cookies issued before a deactivation stay dead after the reactivation."""
    admin, user = UserFactory(roles=["admin"]), UserFactory(roles=["staff"])
    data = {"email": user.email, "password": PASSWORD, "remember": "y", "csrf_token": csrf_token(client)}
    assert client.post("/login", data=data).status_code == 302
    session_cookie, remembered = client.get_cookie("session"), client.get_cookie("remember_token")
    assert session_cookie is not None and remembered is not None

    order = Order(Actor(admin.id, admin.email, None), reason="abuse")
    for name in ("user.deactivate", "user.activate"):
        OPERATIONS[name].apply(OPERATIONS[name], [user.id], order)
        db.session.commit()

    for name, cookie in [("session", session_cookie), ("remember_token", remembered)]:
        response = signed_in_browser(app, name, cookie.value).get("/admin/")
        assert response.status_code == 302 and response.headers["Location"].startswith("/login"), name
    sign_in(app.test_client(), user)  # the account itself works again


def test_the_remember_me_cookie_is_same_site_and_http_only(client: FlaskClient) -> None:
    user = UserFactory(roles=["staff"])
    data = {"email": user.email, "password": PASSWORD, "remember": "y", "csrf_token": csrf_token(client)}
    response = client.post("/login", data=data)
    [header] = [value for value in response.headers.getlist("Set-Cookie") if value.startswith("remember_token=")]
    assert "SameSite=Lax" in header and "HttpOnly" in header
