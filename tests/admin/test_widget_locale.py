"""The widgets' words (admin_app/admin/widget_locale.py): every back-office page hands widget-locale.js the page's
language's select2 messages, month and day names and picker buttons; and the pinned Flask-Admin files still work
the way the script relies on."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path
from typing import Any

import flask_admin
from flask import Flask
from flask.testing import FlaskClient
from flask_admin import babel as admin_babel
from flask_babel import force_locale

from admin_app.admin import widget_locale
from tests.conftest import choose_language

FLASK_ADMIN = Path(flask_admin.__file__).parent


def widget_strings(page: str) -> dict[str, Any]:
    [tag] = re.findall(r"<script[^>]*widget-locale\.js[^>]*>", page)
    match = re.search(r"data-strings='([^']*)'", tag)
    assert match, tag
    return dict(json.loads(html.unescape(match.group(1))))


def test_a_german_list_page_hands_the_widgets_german_words(client: FlaskClient, login_as: Any) -> None:
    login_as("moderator")
    choose_language(client, "de_DE", "/admin/comment/")

    strings = widget_strings(client.get("/admin/comment/").get_data(as_text=True))

    assert strings["moment"]["months"][2] == "März"
    assert strings["moment"]["weekdaysMin"][:2] == ["So.", "Mo."]  # moment's weeks start on Sunday
    assert strings["moment"]["week"] == {"dow": 1, "doy": 4}  # Monday; the week of 4 January is the first
    assert strings["daterangepicker"]["applyLabel"] == "Übernehmen"  # Flask-Admin's own catalogue
    assert set(strings["select2"]) >= {"noMatches", "searching", "loadMore", "inputTooShort", "selectionTooBig"}
    assert strings["select2"]["inputTooShort"]["one"].count("%(num)s") == 1


def test_the_script_comes_after_select2_and_moment(client: FlaskClient, login_as: Any) -> None:
    login_as("moderator")
    page = client.get("/admin/comment/").get_data(as_text=True)
    scripts = re.findall(r'<script[^>]* src="([^"]+)"', page)
    names = [src.split("?")[0].rsplit("/", 1)[-1] for src in scripts]
    assert names.index("moment.min.js") < names.index("widget-locale.js")
    assert names.index("select2.min.js") < names.index("widget-locale.js")
    assert names.index("widget-locale.js") < names.index("daterangepicker.js") < names.index("form.js")


def test_every_plural_category_of_arabic_has_its_form(app: Flask) -> None:
    with app.test_request_context(), force_locale("ar"):
        forms = widget_locale.plurals("Please enter %(num)s more character", "Please enter %(num)s more characters")
    assert set(forms) == {"zero", "one", "two", "few", "many", "other"}


def test_month_names_stay_each_languages_own_whatever_was_asked_before() -> None:
    """Babel's stand-alone names leak between locales (python-babel/babel#1234); the format names do not."""
    widget_locale.calendar.cache_clear()
    for code in ("ja_JP", "ar", "pt_BR", "de_DE"):
        widget_locale.calendar(code)
    assert widget_locale.calendar("ar")["months"][0] == "يناير"
    assert widget_locale.calendar("pt_BR")["monthsShort"][0] == "jan."
    assert widget_locale.calendar("de_DE")["months"][2] == "März"
    assert widget_locale.calendar("en")["week"]["dow"] == 0  # en_US: Sunday


def test_the_pinned_flask_admin_scripts_still_do_what_widget_locale_js_relies_on() -> None:
    """select2 3.5 reads its messages from $.fn.select2.defaults; form.js announces itself with adminFormReady
    before it sets widgets up and gives the "in list" box its own English hint; daterangepicker takes its button
    labels from options.locale and its names and first day from moment's global locale."""
    static = FLASK_ADMIN / "static"
    select2 = (static / "vendor/select2/select2.min.js").read_text()
    form = (static / "admin/js/form.js").read_text()
    picker = (static / "vendor/bootstrap-daterangepicker/daterangepicker.js").read_text()
    assert "Version: 3.5." in select2 and "a.fn.select2.defaults={" in select2 and "formatNoMatches" in select2
    assert "return 'Enter comma separated values';" in form
    assert form.index("$(document).trigger('adminFormReady')") < form.index("faForm.applyGlobalStyles(document)")
    for key in ("applyLabel", "cancelLabel", "fromLabel", "toLabel"):
        assert f"options.locale.{key}" in picker
    assert "moment.weekdaysMin()" in picker and "moment.monthsShort()" in picker


def test_an_error_page_first_leaves_flask_admins_catalogue_with_our_additions(
    client: FlaskClient, login_as: Any
) -> None:
    """Flask-Admin's domain caches a language's catalogue for good at its first use, with our admin-domain additions
    only when that use is inside one of its views: the widgets' words are not asked for elsewhere (an error page
    outside any view has no widgets)."""
    admin_babel.domain.cache.clear()
    login_as("moderator")
    choose_language(client, "de_DE", "/admin/comment/")

    assert client.get("/admin/role/new/").status_code == 403
    page = client.get("/admin/comment/").get_data(as_text=True)

    # The page-size menu's "100 items" is one of ours (translations/de/LC_MESSAGES/admin.po), not Flask-Admin's.
    assert "100 Elemente" in page and "100 items" not in page
