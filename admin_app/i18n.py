"""Flask-Babel: the request's locale and time zone, the language menu, and remembering a choice.

The locale is the user's saved preference, then a choice from the language menu (a POST) remembered in the
session, then the browser's Accept-Language, then BABEL_DEFAULT_LOCALE. LANGUAGES holds full locales (``es_ES``,
not ``es``) because some packages ship region-named catalogues (Flask-Security-Too's ``es_ES``): gettext falls back
from ``es_ES`` to ``es``, never the other way round.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

import flask_babel
import pytz
from babel import Locale
from babel.dates import get_timezone_location
from flask import Flask, abort, current_app, g, has_request_context, redirect, request, session
from flask_babel import get_locale, gettext
from flask_security import current_user, user_authenticated
from jinja2 import pass_context
from werkzeug.wrappers import Response

from admin_app.extensions import babel, db

SESSION_KEY = "lang"


@dataclass(frozen=True)
class Language:
    code: str
    name: str  # in its own language
    current: bool


def ngettext(singular: str, plural: str, num: int, **variables: Any) -> str:
    """flask_babel.ngettext with ``%(num)s`` written the reader's way ("Disable 12.345 comments?" in German)."""
    text: str = flask_babel.get_translations().ungettext(singular, plural, num)
    return text % {"num": flask_babel.format_number(num), **variables}


def match_language(tag: str | None) -> str | None:
    """``es``, ``es-MX``, ``pt-br`` or ``ja_JP`` -> the supported locale it asks for, or None."""
    if not tag:
        return None
    wanted = tag.replace("-", "_").lower()
    supported: list[str] = current_app.config["LANGUAGES"]
    for code in supported:
        if code.lower() == wanted:
            return code
    primary = wanted.partition("_")[0]
    return next((code for code in supported if code.lower().partition("_")[0] == primary), None)


def signed_in() -> bool:
    """Whether a user is signed in, when that may be asked: not on the page that says the database is away
    (loading the user would query it again)."""
    return not g.get("database_unavailable") and bool(current_user) and current_user.is_authenticated


def select_locale() -> str | None:
    if not has_request_context():
        return None
    if signed_in() and match_language(current_user.locale):
        return match_language(current_user.locale)
    chosen = match_language(session.get(SESSION_KEY))
    if chosen:
        return chosen
    for tag, _quality in request.accept_languages:
        if match_language(tag):
            return match_language(tag)
    return None


def select_timezone() -> str | None:
    if not has_request_context():
        return None
    if signed_in() and current_user.timezone in pytz.all_timezones_set:
        return str(current_user.timezone)
    return None  # BABEL_DEFAULT_TIMEZONE


def language_name(code: str) -> str:
    """A language as its speakers write it: "Español", "日本語", "Português (Brasil)"."""
    locale = Locale.parse(code)
    name = (locale.get_display_name(code) if code == "pt_BR" else locale.get_language_name(code)) or code
    return name[:1].upper() + name[1:]


def language_choices() -> list[tuple[str, str]]:
    return [(code, language_name(code)) for code in current_app.config["LANGUAGES"]]


def timezone_choices() -> list[tuple[str, str]]:
    return zone_labels(str(get_locale()))


@lru_cache(maxsize=16)
def zone_labels(locale: str) -> list[tuple[str, str]]:
    """Every common time zone, named in the reader's language and by its identifier, in the order of the names."""
    labelled = [
        (zone, zone if zone == "UTC" else f"{get_timezone_location(zone, locale=locale)} \u00b7 {zone}")
        for zone in pytz.common_timezones
    ]
    return sorted(labelled, key=lambda choice: (choice[0] != "UTC", choice[1].casefold()))


def choose_language() -> Response:
    """The language menu's POST: kept in the session, saved to the profile of a signed-in user, then back to the
    page it was chosen on. A GET link cannot change anyone's language; the form carries the CSRF token."""
    chosen = match_language(request.form.get("lang"))
    if not chosen:
        abort(400, gettext("That language is not offered."))
    session[SESSION_KEY] = chosen
    if current_user.is_authenticated and current_user.locale != chosen:
        current_user.locale = chosen
        db.session.commit()
    return redirect(local_path(request.form.get("next")) or "/admin/")


def local_path(url: str | None) -> str | None:
    """``url`` when it is a path on this site; None for anything a browser could take elsewhere (``//host``,
    ``/\\host``, ``https://...``, control characters)."""
    if not url or not url.startswith("/") or url.startswith("//") or "\\" in url:
        return None
    parts = urlsplit(url)
    if parts.scheme or parts.netloc or any(ord(char) < 32 for char in url):
        return None
    return url


def refresh() -> None:
    """Forget this request's locale and time zone, after the user changed theirs."""
    flask_babel.refresh()


def adopt_session_choice(sender: Flask, user: Any, **_extra: Any) -> None:
    """A language picked on the login page becomes the profile's, unless the user already chose one."""
    chosen = match_language(session.get(SESSION_KEY))
    if chosen and not user.locale:
        user.locale = chosen  # committed with the login's own tracking fields


def language_menu() -> list[Language]:
    current = str(get_locale())
    return [Language(code, language_name(code), code == current) for code in current_app.config["LANGUAGES"]]


def language_return_path() -> str:
    """Where the menu's POST comes back to: this page; but a page answered to a POST (a confirmation, a failed
    login) cannot be fetched again, so the page that led to it."""
    if request.method == "GET":
        return request.full_path.rstrip("?")
    return request.path if request.endpoint == "security.login" else "/admin/"


def page_context() -> dict[str, Any]:
    locale = get_locale()
    if locale is None:
        return {}
    return {
        "page_language": str(locale).replace("_", "-"),
        "page_direction": locale.text_direction,
        "language_menu": language_menu,
        "language_return_path": language_return_path,
    }


def init_app(app: Flask) -> None:
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    app.add_url_rule("/language", "choose_language", choose_language, methods=["POST"])
    app.context_processor(page_context)
    user_authenticated.connect(adopt_session_choice, sender=app)
    group_template_plurals(app)


def group_template_plurals(app: Flask) -> None:
    """Templates' ngettext, as Flask-Babel installs it, writes ``%(num)s`` the reader's way too."""
    plain: Callable[..., Any] = app.jinja_env.globals["ngettext"]  # type: ignore[assignment]

    @pass_context
    def grouped(context: Any, singular: str, plural: str, num: int, **variables: Any) -> Any:
        return plain(context, singular, plural, num, **{"num": flask_babel.format_number(num), **variables})

    app.jinja_env.globals["ngettext"] = grouped
