"""The one secured base for every admin view: permissions per capability, cheap counts, CSRF-covered forms."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any, ClassVar

from flask import abort, current_app, flash, redirect, request, url_for
from flask_admin import AdminIndexView, expose
from flask_admin.actions import action
from flask_admin.babel import lazy_gettext as admin_lazy_gettext
from flask_admin.contrib.sqla.typefmt import DEFAULT_FORMATTERS
from flask_babel import force_locale, format_number, gettext
from flask_security import check_and_update_authn_fresh, current_user
from werkzeug.wrappers import Response
from wtforms.validators import ValidationError

from admin_app import jobs
from admin_app import permissions as perm
from admin_app.admin import background, export, formatters, saved_views
from admin_app.admin.access import AnyOf, Secured, requires
from admin_app.admin.counting import count_query
from admin_app.admin.list_args import INT4, ValidatedListArguments, every_match, list_count, list_query_args
from admin_app.admin.lookups import check_lookup_arguments
from admin_app.extensions import db
from admin_app.services import audit

# The most rows one request may tick by hand (a page holds at most 100); more is what "select all matching" is for.
MAX_TICKED_ROWS = 1_000


def parse_ids(ids: Iterable[Any]) -> list[int]:
    """Row ids as posted (strings) -> integers; anything that is not an id the integer key could hold (text,
    ``1e9``, beyond the 32-bit range) is ignored, never sent to SQL."""
    parsed = []
    for value in ids:
        text = str(value).strip() if value is not None else ""
        if re.fullmatch(r"-?\d{1,10}", text) and -INT4 - 1 <= int(text) <= INT4:
            parsed.append(int(text))
    return parsed


def ticked_ids() -> list[int]:
    """The rows ticked on a list page (``rowid``), at most MAX_TICKED_ROWS of them, or a 400 that says what to do."""
    ticked = request.form.getlist("rowid")
    if len(ticked) > MAX_TICKED_ROWS:
        abort(400, gettext("Too many rows ticked (%(count)s). To act on more than %(max)s rows, use “Select all "
                           "matching” with a filter or search.", count=format_number(len(ticked)),
                           max=format_number(MAX_TICKED_ROWS)))  # fmt: skip
    return parse_ids(ticked)


def form_actor() -> audit.Actor:
    return audit.Actor(current_user.id, current_user.email, request.remote_addr)


def require_fresh_login(next_url: str) -> Response | None:
    """Risky operations need a login younger than FRESH_LOGIN_MINUTES: otherwise Flask-Security's verify page
    (password again) first, then back to ``next_url``."""
    config = current_app.config
    within = timedelta(minutes=config["FRESH_LOGIN_MINUTES"])
    if check_and_update_authn_fresh(within, timedelta(minutes=config["FRESH_LOGIN_GRACE_MINUTES"])):
        return None
    flash(gettext("Please confirm your password to continue."), "info")
    return redirect(url_for("security.verify", next=next_url))


class SecuredIndexView(Secured, AdminIndexView):
    # The dashboard: every back-office user's home (each tile then asks for its own permission).
    permissions = {"read": AnyOf(perm.ALL)}


log = logging.getLogger(__name__)


class SecuredModelView(Secured, ValidatedListArguments):
    """Each capability (read, create, edit, delete, export, ...) needs the permissions named in ``permissions``
    (admin/access.py). A request for a capability the user lacks is refused before Flask-Admin sees it (login for
    anonymous visitors, 403 otherwise) rather than Flask-Admin's silent redirect to the list; so is an action POST
    naming an action the user may not run.
    """

    can_view_details = True
    list_template = "admin/secured_list.html"
    # Relationship columns of the CSV export: name -> a function giving an SQL expression (admin/export.py).
    export_expressions: ClassVar[dict[str, Callable[[], Any]]] = {}
    # Headers that must differ from the list's (a flag shown as a badge on the list is a true/false column here).
    export_labels: ClassVar[dict[str, Any]] = {}
    # Exports showing personal data need a recent login, like other risky operations.
    export_needs_fresh_login: ClassVar[bool] = False
    column_type_formatters = {**DEFAULT_FORMATTERS, datetime: formatters.timestamp, bool: formatters.boolean}
    column_type_formatters_detail = column_type_formatters
    can_set_page_size = True
    named_filter_urls = True
    page_size = 20

    @property
    def extra_js(self) -> list[str]:
        """Scripts of every model view's pages, after Flask-Admin's (templates/admin/app_base.html)."""
        return [url_for("static", filename="names.js")]

    @property
    def can_create(self) -> bool:
        return self.allows("create")

    @property
    def can_edit(self) -> bool:
        return self.allows("edit")

    @property
    def can_delete(self) -> bool:
        return self.allows("delete")

    @property
    def can_export(self) -> bool:
        # Flask-Admin's own export (every row loaded first) stays off; the list offers export.respond's instead.
        return False

    def render(self, template: str, **kwargs: Any) -> Any:
        if template == self.list_template:
            kwargs |= {"shown_columns": self.shown_columns(), "saved_views": saved_views.menu(self)}
        return super().render(template, **kwargs)

    def get_filter_arg(self, index: int, flt: Any) -> str:
        """Filter names in URLs stay English whatever the reader's language. Flask-Admin builds them from the
        column's label as translated now, but parses requests with the names it built at start-up (English): in
        Spanish a filter's own links lost it, and Arabic labels slug to nothing (flt0__equals)."""
        with force_locale("en"):
            return str(super().get_filter_arg(index, flt))

    def export_query(self, query: Any) -> Any:
        """The list's query, with whatever joins the export's columns need (export_expressions)."""
        return query

    @expose("/ajax/lookup/")
    @requires("create", "edit")  # the lookups feed the forms: readers who cannot edit have no use for them
    def ajax_lookup(self) -> Any:
        check_lookup_arguments()
        return super().ajax_lookup()

    @expose("/export/<export_type>/")
    @requires("export")
    def export(self, export_type: str) -> Any:
        if self.export_needs_fresh_login and (refused := require_fresh_login(self.get_url(".index_view"))):
            return refused
        self._get_list_extra_args()  # a 400 now for arguments the list refuses, not a job that fails on them later
        if export_type == "csv" and self.export_in_background():
            job = background.submit_export(self, every_match(self), request.args.get("bom") == "1", form_actor())
            return redirect(url_for("jobs.job_view", job_id=job.id))
        return export.respond(self, export_type)

    def export_in_background(self) -> bool:
        """When asked (``background=1``), and with a worker for any export of more than INLINE_EXPORT_ROWS rows:
        a file to download from the job's page rather than a stream that holds a web worker."""
        if request.args.get("background") == "1":
            return True
        return jobs.queued() and (list_count(self) or 0) > current_app.config["INLINE_EXPORT_ROWS"]

    def list_query_args(self) -> dict[str, list[str]]:
        return list_query_args()

    def action_capability(self, name: str) -> str | None:
        """The capability an action of the list's menu needs; None for an action this view does not have."""
        return "delete" if name == "delete" else None  # refused where the view grants no "delete"

    def is_action_allowed(self, name: str) -> bool:
        capability = self.action_capability(name)
        return capability is not None and self.allows(capability)

    def posted_capability(self, endpoint: str) -> str | None:
        return self.action_capability(request.form.get("action", "")) if endpoint == "action_view" else None

    def handle_view_exception(self, exc: Exception) -> bool:
        """Flask-Admin flashes str(exc) (SQL, parameters, constraint names) when a create, edit or delete fails:
        log it instead and keep the form on screen with a generic message. A ValidationError is written for the
        user and keeps Flask-Admin's handling."""
        if isinstance(exc, ValidationError):
            return bool(super().handle_view_exception(exc))
        if (request.endpoint or "").endswith(".action_view"):
            # Flask-Admin's action_delete flashes str(exc) whatever this returns: the logged, generic error page
            # (admin_app/views.py) answers instead.
            raise exc
        db.session.rollback()  # before anything (the page itself) reads through the failed transaction
        log.error("%s failed", request.endpoint, exc_info=exc)
        flash(gettext("The change could not be saved. The error was logged; please try again."), "error")
        return True

    # Every create, edit and delete done in a form is audited, in the same transaction as the change.

    def on_model_change(self, form: Any, model: Any, is_created: bool) -> None:
        changed = audit.changes(model)  # before the flush resets the history
        db.session.flush()
        action = "create" if is_created else "edit"
        audit.record(
            f"{self.endpoint}.{action}",
            self.model.__tablename__,
            form_actor(),
            details={"id": model.id, "changes": changed},
        )

    def on_model_delete(self, model: Any) -> None:
        audit.record(
            f"{self.endpoint}.delete",
            self.model.__tablename__,
            form_actor(),
            details={"id": model.id, "row": audit.snapshot(model)},
        )

    def get_count_query(self) -> Any:
        return count_query(db.session, self.model)

    def get_one(self, id: Any) -> Any:
        # Through get_query, so whatever scopes the list scopes details, edit and delete too (flask-admin #1739);
        # an id that is not a number is simply not found, rather than a database error.
        pks = parse_ids([id])
        return self.get_query().filter(self.model.id == pks[0]).one_or_none() if pks else None

    @action(
        "delete", admin_lazy_gettext("Delete"), admin_lazy_gettext("Are you sure you want to delete selected records?")
    )
    def action_delete(self, ids: Iterable[Any]) -> None:
        # Flask-Admin binds the posted strings against the integer key, which PostgreSQL refuses.
        super().action_delete(tuple(ticked_ids()))
