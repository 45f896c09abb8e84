"""The few routes outside Flask-Admin and Flask-Security: the root redirect and the error pages."""

from __future__ import annotations

import copy
import logging
from contextlib import suppress
from typing import Any

from flask import Flask, abort, current_app, g, redirect, request, url_for
from flask_babel import gettext
from sqlalchemy.exc import DBAPIError, OperationalError
from werkzeug.exceptions import HTTPException, InternalServerError, ServiceUnavailable
from werkzeug.wrappers import Response

from admin_app import i18n, logs
from admin_app.extensions import db

log = logging.getLogger(__name__)


def _texts(code: int) -> tuple[str, str]:
    texts = {
        400: (gettext("Bad request"),
              gettext("The request could not be understood. If you submitted a form, reload the page and try again.")),
        403: (gettext("Forbidden"), gettext("You do not have permission to open this page.")),
        404: (gettext("Page not found"), gettext("There is nothing at this address.")),
        410: (gettext("No longer here"), gettext("What was at this address has expired.")),
        405: (gettext("Method not allowed"), gettext("This address does not accept that kind of request.")),
        413: (gettext("Request too large"), gettext("The request is larger than the back office accepts.")),
        429: (gettext("Too many requests"), gettext("Too many attempts. Please wait a moment and try again.")),
        503: (gettext("This took too long"),
              gettext("The page took longer than the back office allows (%(seconds)s seconds) and was stopped. Narrow "
                      "the list with a filter or a search, or export it in the background.",
                      seconds=current_app.config["WEB_STATEMENT_TIMEOUT_S"])),
    }  # fmt: skip
    return texts.get(code, (gettext("Something went wrong"), gettext("The error was logged. Please try again later.")))


def error_page(error: Exception) -> tuple[str, int]:
    """Every error renders inside the back office's layout, in the user's language, without internals; when that
    layout cannot be rendered (it needs the database for the signed-in user and the menu, and the database is what
    failed), a page that needs nothing but the request."""
    try:
        return layout_error_page(error)
    except Exception as failure:
        with suppress(Exception):
            db.session.rollback()
        return bare_error_page(error, failure)


def bare_error_page(error: Exception, failure: Exception) -> tuple[str, int]:
    """The error page without the database: the language from the browser, no menu, no user."""
    g.database_unavailable = True  # admin_app/i18n.py and logs.py then leave the signed-in user alone
    unreachable = isinstance(error, DBAPIError) or isinstance(failure, DBAPIError)
    log.error("error page without the layout (%s)", "database unavailable" if unreachable else "render failed",
              exc_info=failure)  # fmt: skip
    code = 503 if unreachable else 500
    title, message = (gettext("The database is not answering"),
                      gettext("The back office cannot reach its database just now. Please try again in a moment.")
                      ) if unreachable else _texts(500)  # fmt: skip
    # Straight from Jinja: the extensions' context processors would load the signed-in user (Flask-Login's does).
    template = current_app.jinja_env.get_template("errors/bare.html")
    page = template.render(i18n.page_context(), title=title, message=message, reference=logs.request_id())
    return page, code


def layout_error_page(error: Exception) -> tuple[str, int]:
    if timed_out(error):
        log.warning("statement timeout in %s %s", request.method, request.path)
        db.session.rollback()
        error = ServiceUnavailable()
    elif not isinstance(error, HTTPException):
        log.exception("unhandled error", exc_info=error)
        db.session.rollback()
        error = InternalServerError()
    code = error.code or 500
    title, message = _texts(code)
    if code in (400, 410) and error.description != type(error).description:
        # abort(400, gettext("...")): what was wrong with the request, in our own words, already translated. (Other
        # codes keep the generic text: Flask-Limiter's 429, for one, describes its limit in English.)
        message = str(error.description)
    # A list asked for with arguments it cannot take: the way back is the same list without them.
    on_a_list = code == 400 and request.method == "GET" and (request.endpoint or "").endswith(".index_view")
    list_url = request.path if on_a_list else None
    # A server-side failure: the reference finds the request's log lines (admin_app/logs.py).
    reference = logs.request_id() if code >= 500 else None
    view = error_view(title)
    page = view.render("errors/error.html", title=title, message=message, list_url=list_url, reference=reference)
    return page, code


def error_view(title: str) -> Any:
    """What an error page renders with: the index view's layout under the error's own name (the page's title), as
    a view of no menu entry, so the menu highlights none (not "Home")."""
    view = copy.copy(current_app.extensions["admin"][0].index_view)
    view.name = title
    return view


def timed_out(error: Exception) -> bool:
    """PostgreSQL stopped a statement at WEB_STATEMENT_TIMEOUT_S (admin_app/database.py)."""
    return isinstance(error, OperationalError) and type(error.orig).__name__ == "QueryCanceled"


def refuse_nul_bytes() -> None:
    """No database text column can hold a NUL character (PostgreSQL refuses it outright): a request carrying one
    in any argument or form field, name or value, is answered 400 before any view sees it."""
    for values in (request.args, request.form):
        for name, value in values.items(multi=True):
            if "\x00" in name or "\x00" in value:
                abort(400, gettext("The request contains a NUL character, which cannot be stored. Remove it and try "
                                   "again."))  # fmt: skip


def refuse_unusable_return_addresses() -> None:
    """Flask-Admin sends the browser back to ``url`` (its lists' links and forms carry it) in a Location header,
    which cannot hold a line break: Werkzeug raises, a 500 wherever a view redirects there (details, edit, create,
    delete, moderation, undo). Flask-Admin's own check (is_safe_url) removes whitespace before it looks, then hands
    the address on as it came. No address a page of ours sends holds a control character."""
    for value in request.values.getlist("url"):
        if any(ord(char) < 32 or char == "\x7f" for char in value):
            abort(400, gettext("The address to return to contains a line break or another control character. Go "
                               "back to the list and try again."))  # fmt: skip


def init_app(app: Flask) -> None:
    app.before_request(refuse_nul_bytes)
    app.before_request(refuse_unusable_return_addresses)

    @app.route("/")
    def root() -> Response:
        return redirect(url_for("admin.index"))

    app.register_error_handler(HTTPException, error_page)
    app.register_error_handler(Exception, error_page)
