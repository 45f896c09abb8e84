"""Two-factor sign-in: required for users who can assign roles, set up on first sign-in, each code good once."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from admin_app.extensions import db, security
from admin_app.models import Role
from admin_app.two_factor import METHODS_IN_USE
from tests.conftest import csrf_token, provision_authenticator, sign_in, totp_code
from tests.factories import PASSWORD, UserFactory


def post_password(client: FlaskClient, user: object, token: str) -> str:
    response = client.post("/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token})  # type: ignore[attr-defined]
    assert response.status_code == 302
    return str(response.headers["Location"])


def signed_in(client: FlaskClient) -> bool:
    return client.get("/admin/").status_code == 200


def log_out(client: FlaskClient) -> None:
    assert client.post("/logout", data={"csrf_token": csrf_token(client)}).status_code == 302


def test_an_admin_without_an_authenticator_sets_one_up_before_getting_in(client: FlaskClient) -> None:
    admin = UserFactory(roles=["admin"])
    token = csrf_token(client)

    assert post_password(client, admin, token).startswith("/tf-setup")
    assert not signed_in(client)
    page = client.post("/tf-setup", data={"setup": "authenticator", "csrf_token": token}).get_data(as_text=True)
    assert "data:image/svg+xml;base64," in page  # the QR code to scan
    with client.session_transaction() as session:
        secret = session["tf_totp_secret"]
    code = security.totp_factory.generate_totp_password(secret)
    response = client.post("/tf-validate", data={"code": code, "csrf_token": token})

    assert response.status_code == 302
    assert signed_in(client)
    db.session.refresh(admin)
    assert admin.tf_primary_method == "authenticator"


def test_an_admin_with_an_authenticator_needs_its_code(client: FlaskClient) -> None:
    admin = UserFactory(roles=["admin"])
    provision_authenticator(admin)
    token = csrf_token(client)

    assert post_password(client, admin, token).startswith("/tf-validate")
    assert not signed_in(client)
    wrong = client.post("/tf-validate", data={"code": "000000", "csrf_token": token})
    assert "Invalid code" in wrong.get_data(as_text=True)
    assert not signed_in(client)
    client.post("/tf-validate", data={"code": totp_code(admin), "csrf_token": token})
    assert signed_in(client)


def test_users_who_cannot_assign_roles_sign_in_with_their_password_alone(client: FlaskClient) -> None:
    moderator = UserFactory(roles=["moderator"])
    assert post_password(client, moderator, csrf_token(client)) == "/admin/"
    assert signed_in(client)


def test_a_code_cannot_be_used_twice(client: FlaskClient) -> None:
    admin = UserFactory(roles=["admin"])
    provision_authenticator(admin)
    code = totp_code(admin)
    token = csrf_token(client)
    post_password(client, admin, token)
    client.post("/tf-validate", data={"code": code, "csrf_token": token})
    assert signed_in(client)
    log_out(client)

    token = csrf_token(client)
    post_password(client, admin, token)
    replay = client.post("/tf-validate", data={"code": code, "csrf_token": token})

    assert "Invalid code" in replay.get_data(as_text=True)
    assert not signed_in(client)


def test_the_code_check_refuses_a_replay_even_for_the_same_user_object(client: FlaskClient) -> None:
    """The service-level view of the rule above: the second verification of one code fails, whatever the caller."""
    admin = UserFactory(roles=["admin"])
    secret = provision_authenticator(admin)
    code = totp_code(admin)
    window = 120

    assert security.totp_factory.verify_totp(code, secret, admin, window=window)
    db.session.commit()
    assert not security.totp_factory.verify_totp(code, secret, admin, window=window)


def test_a_session_that_skipped_the_code_ends_once_the_user_needs_one(client: FlaskClient) -> None:
    """Granted role-assign while signed in (no code was asked then): the next request signs them out."""
    staff = UserFactory(roles=["staff"])
    sign_in(client, staff)
    assert signed_in(client)

    staff.roles.append(db.session.scalars(select(Role).where(Role.name == "admin")).one())
    db.session.commit()
    response = client.get("/admin/comment/")

    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    assert not signed_in(client)
    page = client.get("/login").get_data(as_text=True)
    assert "Your account now needs a code from an authenticator app." in page


def test_a_signed_in_user_can_set_up_an_authenticator(client: FlaskClient) -> None:
    """Setting up from the two-factor settings page while signed in (the code check gets current_user)."""
    staff = UserFactory(roles=["staff"])
    sign_in(client, staff)
    token = csrf_token(client)
    page = client.post("/tf-setup", data={"setup": "authenticator", "csrf_token": token})
    assert page.status_code == 200 and "data:image/svg+xml;base64," in page.get_data(as_text=True)
    with client.session_transaction() as session:
        secret = session["tf_totp_secret"]

    response = client.post("/tf-validate", data={"code": "000000", "csrf_token": token})
    assert response.status_code == 200 and "Invalid code" in response.get_data(as_text=True)
    code = security.totp_factory.generate_totp_password(secret)
    response = client.post("/tf-validate", data={"code": code, "csrf_token": token})

    assert response.status_code == 302
    db.session.refresh(staff)
    assert staff.tf_primary_method == "authenticator" and staff.tf_totp_last_counter is not None


REQUIRED = "Two-factor sign-in is required for this account. Set it up below to continue."


def test_the_setup_page_tells_whoever_must_use_two_factor_that_it_is_required(client: FlaskClient) -> None:
    admin = UserFactory(roles=["admin"])
    assert post_password(client, admin, csrf_token(client)).startswith("/tf-setup")

    page = client.get("/tf-setup").get_data(as_text=True)

    assert REQUIRED in page
    assert "Currently setup two-factor method" not in page and 'id="tf-method-in-use"' not in page
    assert re.search(r'<div class="form-check"[^>]*>\s*<input class="form-check-input"[^>]*value="authenticator"', page)


def test_the_setup_page_names_the_method_in_use_and_asks_nothing_of_those_who_may_skip_it(client: FlaskClient) -> None:
    staff = UserFactory(roles=["staff"])
    provision_authenticator(staff)
    sign_in(client, staff)

    page = client.get("/tf-setup").get_data(as_text=True)

    assert "You sign in with a code from your authenticator app." in page
    assert REQUIRED not in page and "Currently setup two-factor method" not in page


def test_every_enabled_two_factor_method_has_its_sentence(app: Flask) -> None:
    assert set(app.config["SECURITY_TWO_FACTOR_ENABLED_METHODS"]) <= set(METHODS_IN_USE)
