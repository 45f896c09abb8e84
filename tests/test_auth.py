"""Login, POST-only logout, CSRF on the login form, and sessions that end when the user is deactivated or logs out."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from admin_app.database import utcnow
from admin_app.extensions import db
from admin_app.models import User
from admin_app.services.audit import Actor
from admin_app.services.change import Order
from admin_app.services.operations import OPERATIONS
from tests.conftest import csrf_token, recorded_statements, sign_in
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


DEACTIVATED = "This account has been deactivated. Ask an administrator if you think this is a mistake."


def test_a_deactivated_account_cannot_log_in(client: FlaskClient) -> None:
    user = UserFactory(roles=["admin"], active=False)
    data = {"email": user.email, "password": PASSWORD, "csrf_token": csrf_token(client)}
    response = client.post("/login", data=data)
    assert response.status_code == 200
    assert client.get("/admin/").status_code == 302


def test_a_deactivated_account_is_told_why_once_its_password_is_right(client: FlaskClient) -> None:
    user = UserFactory(roles=["staff"], active=False)
    data = {"email": user.email, "password": PASSWORD, "csrf_token": csrf_token(client)}

    page = client.post("/login", data=data).get_data(as_text=True)

    assert login_page_errors(page) == [DEACTIVATED]
    assert client.get("/admin/").status_code == 302


def test_a_wrong_password_for_a_deactivated_account_says_what_any_wrong_password_says(client: FlaskClient) -> None:
    """Only the account's password tells that it is deactivated: a guess gets the generic failure, as an unknown
    address does."""
    user = UserFactory(roles=["staff"], active=False)
    answers = []
    for email in [user.email, "nobody-here@example.org"]:
        data = {"email": email, "password": "nope", "csrf_token": csrf_token(client)}
        page = client.post("/login", data=data).get_data(as_text=True)
        assert DEACTIVATED not in page
        answers.append(login_page_errors(page))
    assert answers[0] == answers[1] == [GENERIC_FAILURE]


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
    assert DEACTIVATED in client.get(response.headers["Location"]).get_data(as_text=True)
    assert DEACTIVATED not in client.get("/login").get_data(as_text=True), "said once"


def test_a_user_deactivated_by_an_administrator_is_told_why_on_the_next_request(client: FlaskClient) -> None:
    """The deactivation operation also rotates the account's fs_uniquifier, the identity the session carries."""
    admin, user = UserFactory(roles=["admin"]), UserFactory(roles=["staff"])
    sign_in(client, user)
    order = Order(Actor(admin.id, admin.email, None), reason="abuse")
    OPERATIONS["user.deactivate"].apply(OPERATIONS["user.deactivate"], [user.id], order)
    db.session.commit()

    response = client.get("/admin/comment/", follow_redirects=True)

    assert response.request.path == "/login"
    assert DEACTIVATED in response.get_data(as_text=True)


def test_a_session_ended_by_logging_out_elsewhere_says_nothing_of_deactivation(app: Flask, client: FlaskClient) -> None:
    user = UserFactory(roles=["staff"])
    sign_in(client, user)
    other_device = app.test_client()
    sign_in(other_device, user)
    other_device.post("/logout", data={"csrf_token": csrf_token(other_device)})

    response = client.get("/admin/", follow_redirects=True)

    assert response.request.path == "/login" and DEACTIVATED not in response.get_data(as_text=True)


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


def last_seen(user: Any) -> datetime:
    db.session.expire_all()
    return db.session.scalars(sa.select(User.last_seen).where(User.id == user.id)).one()


def set_last_seen(user: Any, when: datetime) -> None:
    db.session.execute(sa.update(User).where(User.id == user.id).values(last_seen=when))
    db.session.commit()


def user_updates(statements: list[str]) -> list[str]:
    return [sql for sql in statements if sql.lstrip().upper().startswith("UPDATE USERS")]


def test_signing_in_sets_last_seen(client: FlaskClient) -> None:
    user = UserFactory(roles=["staff"], last_seen=utcnow() - timedelta(days=30))
    before = utcnow()
    sign_in(client, user)
    assert last_seen(user) >= before


def test_signing_in_with_two_factor_sets_last_seen(client: FlaskClient) -> None:
    admin = UserFactory(roles=["admin"], last_seen=utcnow() - timedelta(days=30))
    before = utcnow()
    sign_in(client, admin)  # the password, then the code
    assert last_seen(admin) >= before


def test_a_signed_in_request_writes_last_seen_with_one_update_at_most_every_five_minutes(
    client: FlaskClient, login_as: Any
) -> None:
    user = login_as("staff")
    set_last_seen(user, utcnow() - timedelta(hours=1))

    before = utcnow()
    first = recorded_statements(lambda: client.get("/admin/preferences/"))
    seen = last_seen(user)
    again = recorded_statements(lambda: client.get("/admin/preferences/"))

    assert seen >= before
    [update] = user_updates(first)
    assert "last_seen" in update and "WHERE users.id = " in update
    assert user_updates(again) == [], "not again within five minutes"
    assert last_seen(user) == seen


def test_a_recent_last_seen_is_left_alone(client: FlaskClient, login_as: Any) -> None:
    user = login_as("staff")
    recent = utcnow() - timedelta(minutes=4)
    set_last_seen(user, recent)

    assert user_updates(recorded_statements(lambda: client.get("/admin/preferences/"))) == []
    assert last_seen(user) == recent


def test_last_seen_is_in_no_index_so_writing_it_can_be_a_hot_update(app: Flask) -> None:
    indexes = sa.inspect(db.engine).get_indexes("users")
    covered = {name for index in indexes for name in index["column_names"] if name}
    expressions = " ".join(str(expression) for index in indexes for expression in index.get("expressions") or [])
    assert indexes and "last_seen" not in covered and "last_seen" not in expressions


def test_a_suspended_member_is_told_until_when(client: FlaskClient, app: Flask) -> None:
    from admin_app.services.operations import OPERATIONS

    moderator, member = UserFactory(roles=["moderator"]), UserFactory(roles=["user"])
    suspend = OPERATIONS["user.suspend"]
    order = Order(Actor(moderator.id, moderator.email, None), reason="spam", choices={"duration": "7d"})
    suspend.apply(suspend, [member.id], order)
    db.session.commit()
    data = {"email": member.email, "password": PASSWORD, "csrf_token": csrf_token(client)}
    errors = login_page_errors(client.post("/login", data=data).get_data(as_text=True))
    assert len(errors) == 1 and errors[0].startswith("This account is suspended until ")
    assert client.get("/admin/").status_code == 302
