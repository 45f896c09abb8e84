"""The locale and time zone of a request: saved preference, then the menu's choice (kept in the session), then
Accept-Language;
the language menu; right to left for Arabic; the preferences page."""

from __future__ import annotations

import re
from datetime import datetime

import pytest
from flask import Flask
from flask.testing import FlaskClient

from admin_app.extensions import db
from admin_app.models import User
from tests.conftest import choose_language, csrf_token, sign_in
from tests.factories import CommentFactory, UserFactory


def html_lang(page: str) -> str:
    match = re.search(r'<html lang="([^"]+)" dir="(\w+)"', page)
    assert match, "no lang and dir on <html>"
    return f"{match.group(1)} {match.group(2)}"


def test_the_browser_language_is_used_when_nothing_was_chosen(client: FlaskClient) -> None:
    assert html_lang(client.get("/login", headers={"Accept-Language": "es-MX,es;q=0.9"}).text) == "es-ES ltr"
    assert html_lang(client.get("/login", headers={"Accept-Language": "pt-BR"}).text) == "pt-BR ltr"
    assert html_lang(client.get("/login", headers={"Accept-Language": "ko, de;q=0.5"}).text) == "de-DE ltr"
    assert html_lang(client.get("/login", headers={"Accept-Language": "ko"}).text) == "en ltr"


def test_a_choice_on_the_login_page_is_remembered_and_beats_the_browser(client: FlaskClient) -> None:
    response = choose_language(client, "ar")
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    page = client.get("/login").text
    assert html_lang(page) == "ar rtl"
    assert "vendor/rtl/bootstrap.rtl.min.css" in page
    assert html_lang(client.get("/login", headers={"Accept-Language": "de"}).text) == "ar rtl"


def test_the_login_page_offers_every_language_in_its_own_name(client: FlaskClient) -> None:
    page = client.get("/login").text
    for code, name in [("en", "English"), ("es_ES", "Español"), ("fr_FR", "Français"), ("de_DE", "Deutsch"),
                       ("pt_BR", "Português (Brasil)"), ("ja_JP", "日本語"), ("ar", "العربية")]:  # fmt: skip
        assert re.search(rf'<button type="submit" name="lang" value="{code}"[^>]*>{re.escape(name)}</button>', page), (
            name
        )


def test_choosing_while_signed_in_saves_the_profile_and_survives_logging_out(app: Flask) -> None:
    staff = UserFactory(roles=["staff"])
    first, second = app.test_client(), app.test_client()
    sign_in(first, staff)
    response = choose_language(first, "de_DE", next_path="/admin/comment/?flt0_disabled_equals=1")
    assert response.headers["Location"] == "/admin/comment/?flt0_disabled_equals=1", "back to the same page"
    assert html_lang(first.get("/admin/").text) == "de-DE ltr"
    db.session.refresh(staff)
    assert staff.locale == "de_DE"

    sign_in(second, staff)  # another browser, nothing in its session, a browser asking for English
    assert html_lang(second.get("/admin/", headers={"Accept-Language": "en"}).text) == "de-DE ltr"


def test_a_link_changes_no_ones_language(client: FlaskClient) -> None:
    """A GET from any site (``?lang=``, or the menu's URL fetched) neither saves nor switches a language; the POST
    without its CSRF token is refused."""
    staff = UserFactory(roles=["staff"], locale="es_ES")
    sign_in(client, staff)
    assert html_lang(client.get("/admin/?lang=ar").text) == "es-ES ltr"
    assert client.get("/language?lang=ar").status_code == 405
    assert client.post("/language", data={"lang": "ar", "next": "/admin/"}).status_code == 400
    db.session.refresh(staff)
    assert staff.locale == "es_ES"


def test_a_language_picked_before_signing_in_becomes_the_profiles(client: FlaskClient) -> None:
    staff = UserFactory(roles=["staff"])
    choose_language(client, "ja_JP")
    sign_in(client, staff)
    db.session.refresh(staff)
    assert staff.locale == "ja_JP"


def test_an_unknown_language_is_refused_with_a_message(client: FlaskClient) -> None:
    response = choose_language(client, "xx")
    assert response.status_code == 400 and "That language is not offered." in response.text
    assert html_lang(client.get("/login").text) == "en ltr"


@pytest.mark.parametrize("target", ["//evil.example/x", "/\\evil.example", "https://evil.example/", "javascript:x",
                                    "/admin/\r\nSet-Cookie: x=1"])  # fmt: skip
def test_the_menu_goes_back_only_to_a_page_of_this_site(client: FlaskClient, target: str) -> None:
    response = choose_language(client, "fr_FR", next_path=target)
    assert response.status_code == 302 and response.headers["Location"] == "/admin/"


def test_dates_are_shown_in_the_users_time_zone(client: FlaskClient) -> None:
    CommentFactory(body="Zq", timestamp=datetime(2026, 1, 1, 12, 0))
    staff = UserFactory(roles=["staff"], timezone="Asia/Tokyo", locale="en")
    sign_in(client, staff)
    assert re.search(r"Jan 1, 2026, 9:00:00\sPM", client.get("/admin/comment/").text)  # noon UTC is 21:00 in Tokyo


def test_a_stored_time_zone_that_does_not_exist_falls_back_to_the_default(client: FlaskClient) -> None:
    staff = UserFactory(roles=["staff"], timezone="Mars/Olympus_Mons")
    sign_in(client, staff)
    assert client.get("/admin/comment/").status_code == 200


def test_the_preferences_page_saves_language_and_time_zone(client: FlaskClient) -> None:
    staff = UserFactory(roles=["staff"])
    sign_in(client, staff)
    response = client.post(
        "/admin/preferences/",
        data={"locale": "fr_FR", "timezone": "Europe/Paris", "csrf_token": csrf_token(client)},
        follow_redirects=True,
    )
    assert "Vos préférences sont enregistrées." in response.text
    db.session.refresh(staff)
    assert (staff.locale, staff.timezone) == ("fr_FR", "Europe/Paris")


def test_the_preferences_page_refuses_what_is_not_offered_in_the_users_language(client: FlaskClient) -> None:
    staff = UserFactory(roles=["staff"], locale="es_ES", timezone="UTC")
    sign_in(client, staff)
    response = client.post(
        "/admin/preferences/",
        data={"locale": "es_ES", "timezone": "Nowhere/Atlantis", "csrf_token": csrf_token(client)},
    )
    assert response.status_code == 400
    assert "Opción inválida." in response.text  # WTForms' own message, in Spanish
    assert db.session.get(User, staff.id).timezone == "UTC"  # type: ignore[union-attr]


def test_filters_keep_their_english_names_in_every_language(client: FlaskClient) -> None:
    CommentFactory(disabled=True)
    CommentFactory(disabled=False)
    sign_in(client, UserFactory(roles=["moderator"], locale="ar"))

    page = client.get("/admin/comment/?flt0_disabled_equals=1").text

    assert re.search(r'name="url" type="hidden" value="/admin/comment/\?[^"]*flt0_disabled_equals=1"', page)
    assert "(1)" in re.sub(r"<[^>]+>", "", page.split('class="nav-link active"', 1)[1])[:40]
