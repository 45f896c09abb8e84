"""ModeratedView: moderation actions with a confirmation page, select-all-matching and undo.

An action (ticked rows, or every row matching the list's filters and search) renders a confirmation page with the
exact number of rows that will change and asks for a reason; confirming posts to ``moderate_view``, which derives
the ids again from the view's own query, so a crafted POST cannot reach rows the list would not show.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any, ClassVar

from flask import abort, current_app, flash, redirect, request, url_for
from flask_admin import expose
from flask_admin.form import BaseForm
from flask_admin.helpers import get_redirect_target
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_security import current_user
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup
from sqlalchemy import Select, func, select
from sqlalchemy.exc import IntegrityError
from werkzeug.wrappers import Response
from wtforms import SelectField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from admin_app import permissions as perm
from admin_app.admin import moderation_text as text
from admin_app.admin.access import POSTED, has_permission, requires
from admin_app.admin.base import SecuredModelView, parse_ids, require_fresh_login, ticked_ids
from admin_app.admin.list_args import list_query_args
from admin_app.extensions import db
from admin_app.services.audit import Actor
from admin_app.services.moderation import OPERATIONS, Operation, Outcome, UndoRefused, affected, moderate, undo
from admin_app.services.user import Refused

log = logging.getLogger(__name__)

# Where an operation on a table is undone (user.disable_comments changes comments).
UNDO_ENDPOINTS = {"comments": "comment.undo_view", "posts": "post.undo_view"}


class ModerationForm(BaseForm):
    reason = SelectField(_l("Reason"), validators=[InputRequired()])
    note = TextAreaField(_l("Note (optional)"), validators=[Optional(), Length(max=2000)])


def current_actor() -> Actor:
    return Actor(current_user.id, current_user.email, request.remote_addr)


class ModeratedView(SecuredModelView):
    """Subclasses map their Flask-Admin action names to operation names in ``moderation``.

    Moderation operations (admin_app.services.moderation.OPERATIONS) work out of the box; a view with operations
    of its own overrides ``operation_form``, ``count_changing`` and ``run`` for them.
    """

    moderation: ClassVar[dict[str, str]] = {}
    # operation name -> the capability it needs, when not "moderate"
    operation_capabilities: ClassVar[dict[str, str]] = {}
    # operations that need a recent login (FRESH_LOGIN_MINUTES): Flask-Security's verify page asks otherwise
    risky_operations: ClassVar[frozenset[str]] = frozenset({"comment.delete", "post.delete"})
    list_template = "admin/moderated_list.html"
    details_template = "admin/moderated_details.html"

    def capability_for(self, operation_name: str) -> str:
        return self.operation_capabilities.get(operation_name, "moderate")

    def action_capability(self, name: str) -> str | None:
        if name in self.moderation:
            return self.capability_for(self.moderation[name])
        return super().action_capability(name)

    def posted_capability(self, endpoint: str) -> str | None:
        if endpoint == "moderate_view":
            name = request.form.get("operation", "")
            return self.capability_for(name) if name in self.moderation.values() else None
        return super().posted_capability(endpoint)

    # The ids an operation works on.

    def selection(self) -> Select[Any]:
        """Ticked rows within the view's scope, or with select_all every row matching the list's filters."""
        if request.form.get("select_all") == "1":
            args = self._get_list_extra_args()  # the list's own parsing of its filters and search
            _count, query = self.get_list(0, None, False, args.search, args.filters, execute=False, page_size=0)
        else:
            query = self.get_query().filter(self.model.id.in_(ticked_ids()))
        return query.with_entities(self.model.id).order_by(None).statement

    def target_ids(self, operation: Operation, selection: Select[Any]) -> Select[Any]:
        """The ids ``operation`` changes, from the rows selected in this view (UserAdmin maps users to comments)."""
        return selection

    # Confirmation and the operation itself.

    def confirm(self, name: str) -> Any:
        """What every action of ``moderation`` does: show the confirmation page (after a fresh login if risky)."""
        return self.ask_fresh_login(name) or self.render_confirmation(name, self.moderation_form(name))

    def ask_fresh_login(self, name: str) -> Response | None:
        if name not in self.risky_operations:
            return None
        return require_fresh_login(get_redirect_target() or self.get_url(".index_view"))

    def moderation_form(self, name: str) -> ModerationForm:
        form = self.operation_form(name)(request.form if request.form.get("confirmed") else None)
        form.reason.choices = [(code, text.reason_label(code)) for code in current_app.config["MODERATION_REASONS"]]
        return form

    def operation_form(self, name: str) -> type[ModerationForm]:
        return ModerationForm

    def count_changing(self, name: str, selection: Select[Any]) -> int:
        operation = OPERATIONS[name]
        return affected(operation, self.target_ids(operation, selection))

    def run(self, name: str, selection: Select[Any], form: ModerationForm, details: dict[str, Any] | None) -> Outcome:
        operation = OPERATIONS[name]
        ids = self.target_ids(operation, selection)
        return moderate(operation, ids, current_actor(), form.reason.data, form.note.data or None, details=details)

    def render_confirmation(self, name: str, form: ModerationForm) -> str:
        selection = self.selection()
        selected = db.session.scalar(select(func.count()).select_from(selection.subquery())) or 0
        changing = self.count_changing(name, selection)
        operation = OPERATIONS.get(name)
        return self.render(
            "admin/moderation_confirm.html",
            name=name,
            cannot_undo=operation is not None and operation.value is None,
            question=text.QUESTIONS[name](changing),
            nothing_to_do=text.nothing_to_do(selected) if not changing else None,
            selected=selected,
            changing=changing,
            form=form,
            select_all=request.form.get("select_all") == "1",
            row_ids=ticked_ids(),
            list_args=list_query_args(),
            return_url=get_redirect_target() or self.get_url(".index_view"),
        )

    @expose("/moderate/", methods=("POST",))
    @requires(POSTED)
    def moderate_view(self) -> Any:
        name = request.form.get("operation", "")
        if fresh_login_needed := self.ask_fresh_login(name):
            return fresh_login_needed
        form = self.moderation_form(name)
        if not form.validate():
            return self.render_confirmation(name, form), 400
        return_url = get_redirect_target() or self.get_url(".index_view")
        select_all = request.form.get("select_all") == "1"
        details = {"select_all": True, "filters": list_query_args()} if select_all else None
        selection = self.selection()  # a list argument that cannot be applied is a 400 here, before any change
        try:
            outcome = self.run(name, selection, form, details)
            db.session.commit()
        except Refused as refused:
            db.session.rollback()
            flash(text.refused(refused.code, refused.role), "error")
            return redirect(return_url)
        except Exception:
            db.session.rollback()
            log.exception("operation %s failed", name)
            flash(gettext("The operation failed and nothing was changed. Please try again."), "error")
            return redirect(return_url)
        flash(self.result_message(name, outcome.changed, outcome.entry_id, return_url), "success")
        return redirect(return_url)

    def result_message(self, name: str, changed: int, entry_id: int | None, return_url: str) -> Markup:
        message = Markup("%s") % text.RESULTS[name](changed)
        operation = OPERATIONS.get(name)
        if operation is None or not operation.undoable or not changed:
            return message
        undo_button = Markup(
            '<form method="post" action="%s" class="d-inline ml-2">'
            '<input type="hidden" name="csrf_token" value="%s">'
            '<input type="hidden" name="entry" value="%s"><input type="hidden" name="url" value="%s">'
            '<button type="submit" class="btn btn-sm btn-outline-dark" data-undo>%s</button></form>'
        ) % (url_for(UNDO_ENDPOINTS[operation.table]), generate_csrf(), entry_id, return_url, gettext("Undo"))
        return message + undo_button

    @expose("/undo/", methods=("POST",))
    @requires("moderate")
    def undo_view(self) -> Response:
        return_url = get_redirect_target() or self.get_url(".index_view")
        entry_ids = parse_ids([request.form.get("entry")])
        if not entry_ids:
            abort(
                400, gettext("Which operation to undo could not be read. Open it from the audit trail and try again.")
            )
        window = timedelta(hours=current_app.config["UNDO_WINDOW_HOURS"])
        try:
            outcome = undo(
                entry_ids[0],
                current_actor(),
                window=window,
                may_undo_others=has_permission(perm.UNDO_ANY),
                table=str(self.model.__tablename__),
            )
            db.session.commit()
        except UndoRefused as refused:
            db.session.rollback()
            flash(text.undo_refused(refused.code), "error")
            return redirect(return_url)
        except IntegrityError:  # someone undid it a moment ago: undo_of_id is unique
            db.session.rollback()
            flash(text.undo_refused("already-undone"), "error")
            return redirect(return_url)
        flash(text.undone(outcome.changed, outcome.skipped), "success")
        return redirect(return_url)
