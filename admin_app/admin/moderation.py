"""ModeratedView: the registry's operations (admin_app/services/operations.py) as list actions, with a
confirmation page, select-all-matching, background jobs and undo.

An action (ticked rows, or every row matching the list's filters and search) renders a confirmation page with the
exact number of rows that will change and asks for a reason; confirming posts to ``moderate_view``, which derives
the ids again from the view's own query, so a crafted POST cannot reach rows the list would not show. Above
INLINE_ROWS_LIMIT rows the operation runs as a background job (admin_app/jobs.py) and the moderator lands on its
page.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from flask import abort, current_app, flash, redirect, request, url_for
from flask_admin import expose
from flask_admin.actions import action
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

from admin_app import jobs
from admin_app import permissions as perm
from admin_app.admin import background
from admin_app.admin import moderation_text as text
from admin_app.admin.access import POSTED, deny, has_permission, requires, users_view
from admin_app.admin.base import SecuredModelView, parse_ids, require_fresh_login, ticked_ids
from admin_app.admin.list_args import (
    Selection,
    described,
    list_query_args,
    request_selection,
    selected_ids,
    undoing_list,
)
from admin_app.extensions import db
from admin_app.models import AuditEntry, Role
from admin_app.services.audit import Actor
from admin_app.services.change import Order
from admin_app.services.moderation import UndoRefused, row_count, rows_of
from admin_app.services.operations import OPERATIONS, Operation, offered_on, undo_entry
from admin_app.services.sanctions import DURATIONS
from admin_app.services.user import Refused

log = logging.getLogger(__name__)


SAMPLE_ROWS = 5  # ticked rows a confirmation names before "and N more"


class NoteForm(BaseForm):
    """The confirmation of an operation whose reason comes from the row selected (a rule's own)."""

    note = TextAreaField(_l("Note (optional)"), validators=[Optional(), Length(max=2000)])


class ModerationForm(NoteForm):
    reason = SelectField(_l("Reason"), validators=[InputRequired(_l("Choose a reason."))])


class RoleChoiceForm(ModerationForm):
    role = SelectField(_l("Role"), validators=[InputRequired(_l("Choose a role."))])


class DurationForm(ModerationForm):
    duration = SelectField(_l("For how long"), validators=[InputRequired(_l("Choose how long."))])


def duration_choices() -> list[tuple[str, str]]:
    # Translators: how long a suspension lasts.
    labels = {"1d": _l("1 day"), "7d": _l("7 days"), "30d": _l("30 days"), "lifted": _l("Until lifted")}
    return [("", gettext("Choose how long…")), *((code, str(labels[code])) for code in DURATIONS)]


@dataclass(frozen=True)
class AppliesTo:
    """What a confirmation applies to, in words: every match of the list's search and filters, or the first
    ticked rows and how many more."""

    every_match: bool
    conditions: list[str]  # "Search: “watches”", "Status equals Disabled"
    rows: list[str]  # the first SAMPLE_ROWS ticked rows, as the list names them
    more: int


def applies_to(view: Any, selection: Selection, ids: Select[Any]) -> AppliesTo:
    """``ids``: the selection's ids in the view's scope (selected_ids), so a crafted id is neither named nor
    counted. Ticked rows are one page at most: naming and counting them is cheap."""
    if selection.every_match:
        return AppliesTo(True, described(view, selection.args), [], 0)
    rows = [str(row) for row in view.get_query().filter(view.model.id.in_(ids)).order_by(view.model.id)]
    return AppliesTo(False, [], rows[:SAMPLE_ROWS], max(0, len(rows) - SAMPLE_ROWS))


def current_actor() -> Actor:
    return Actor(current_user.id, current_user.email, request.remote_addr)


def undo_endpoint(operation: Operation) -> str | None:
    """Where an operation's result is undone: the list of the table it changed (user.disable_comments changes
    comments, so the comment list undoes it); None when it cannot be undone."""
    if not operation.undoable:
        return None
    # Accounts: the users list the reader may open (with e-mails or without).
    endpoint = users_view() if operation.table == "users" else undoing_list(operation.table)
    return f"{endpoint}.undo_view" if endpoint else None


def undo_button(operation: Operation, entry_id: int | None, return_url: str) -> Markup:
    endpoint = undo_endpoint(operation)
    if endpoint is None or entry_id is None:
        return Markup("")
    return Markup(
        '<form method="post" action="%s" class="d-inline ml-2">'
        '<input type="hidden" name="csrf_token" value="%s">'
        '<input type="hidden" name="entry" value="%s"><input type="hidden" name="url" value="%s">'
        '<button type="submit" class="btn btn-sm btn-outline-dark" data-undo>%s</button></form>'
    ) % (url_for(endpoint), generate_csrf(), entry_id, return_url, gettext("Undo"))


class ModeratedView(SecuredModelView):
    """A list whose rows the registry's operations work on: each operation offered on the view's model becomes
    an action of its menu, with the capability, fresh-login rule, texts and undo the registry declares."""

    list_template = "admin/moderated_list.html"
    details_template = "admin/moderated_details.html"

    def __init__(self, model: Any, *args: Any, **kwargs: Any) -> None:
        self.operations = {operation.action: operation for operation in offered_on(model)}
        for operation in self.operations.values():  # before Flask-Admin collects the actions
            setattr(self, f"action_{operation.action}", self._action_of(operation))
        super().__init__(model, *args, **kwargs)

    def _action_of(self, operation: Operation) -> Any:
        @action(operation.action, operation.label)
        def confirm(ids: list[str]) -> Any:
            return self.confirm(operation)

        return confirm

    def action_capability(self, name: str) -> str | None:
        if name in self.operations:
            return self.operations[name].capability
        return super().action_capability(name)

    def posted_operation(self) -> Operation | None:
        """The operation a confirmation form posts, if this view offers it."""
        operation = OPERATIONS.get(request.form.get("operation", ""))
        return operation if operation in self.operations.values() else None

    def posted_capability(self, endpoint: str) -> str | None:
        if endpoint == "moderate_view":
            operation = self.posted_operation()
            return operation.capability if operation else None
        return super().posted_capability(endpoint)

    # Confirmation and the operation itself.

    def confirm(self, operation: Operation) -> Any:
        """What every action of the registry does: the confirmation page (after a fresh login if it needs one)."""
        return self.ask_fresh_login(operation) or self.render_confirmation(operation, self.operation_form(operation))

    def ask_fresh_login(self, operation: Operation) -> Response | None:
        if not operation.fresh_login:
            return None
        return require_fresh_login(get_redirect_target() or self.get_url(".index_view"))

    def operation_form(self, operation: Operation) -> NoteForm:
        """The reason (and role) menus start on an empty choice: what the audit trail records is what was chosen,
        never a default."""
        forms = {"role": RoleChoiceForm, "duration": DurationForm}
        chosen = [forms[name] for name in operation.choices if name in forms]
        form_class = chosen[0] if chosen else ModerationForm if operation.reasons else NoteForm
        form = form_class(request.form if request.form.get("confirmed") else None)
        if isinstance(form, DurationForm):
            form.duration.choices = duration_choices()
        if isinstance(form, ModerationForm):
            reasons = [(code, text.reason_label(code)) for code in current_app.config[operation.reasons]]
            form.reason.choices = [("", gettext("Choose a reason…")), *reasons]
        if isinstance(form, RoleChoiceForm):
            roles = [(role.name, role.name) for role in db.session.scalars(select(Role).order_by(Role.name))]
            form.role.choices = [("", gettext("Choose a role…")), *roles]
        return form

    def selection(self) -> Selection:
        return request_selection(self, ticked_ids())

    def render_confirmation(self, operation: Operation, form: NoteForm) -> str:
        selection = self.selection()
        ids = selected_ids(self, selection)
        too_many = self.selects_too_many(operation, ids)
        tally = operation.count(operation, ids) if not too_many else None
        selected, changing = (tally.selected, tally.changing) if tally else (0, 0)
        return self.render(
            "admin/moderation_confirm.html",
            name=operation.name,
            why_final=operation.why_final,
            question=operation.question(changing) if tally else operation.title,
            nothing_to_do=too_many or (text.nothing_to_do(selected) if not changing else None),
            in_background=changing > current_app.config["INLINE_ROWS_LIMIT"] and jobs.queued(),
            selected=selected,
            changing=changing,
            applies_to=applies_to(self, selection, ids),
            notes=self.confirmation_notes(operation, ids) if tally else [],
            form=form,
            select_all=selection.every_match,
            row_ids=ticked_ids(),
            list_args=list_query_args(),
            return_url=get_redirect_target() or self.get_url(".index_view"),
        )

    def confirmation_notes(self, operation: Operation, ids: Select[Any]) -> list[str]:
        """What else the confirmation says about what will happen (a rule: its action and reason)."""
        return []

    def selects_too_many(self, operation: Operation, ids: Select[Any]) -> str | None:
        """Why the selection cannot be confirmed, for an operation that takes at most ``at_most`` rows of its list
        (a rule is applied on its own, with its own action and reason); None when it can."""
        if operation.at_most is None or not more_than(ids, operation.at_most):
            return None
        return text.one_at_a_time(operation.at_most)

    @expose("/moderate/", methods=("POST",))
    @requires(POSTED)
    def moderate_view(self) -> Any:
        operation = self.posted_operation()
        assert operation is not None  # refuse_what_is_not_allowed answered 400 otherwise
        if fresh_login_needed := self.ask_fresh_login(operation):
            return fresh_login_needed
        selection = self.selection()
        if selection.ids == ():
            abort(400, gettext("No row was selected: tick some rows, or choose “Select all matching”."))
        form = self.operation_form(operation)
        if not form.validate():
            return self.render_confirmation(operation, form), 400
        return_url = get_redirect_target() or self.get_url(".index_view")
        ids = selected_ids(self, selection)  # a list argument that cannot be applied is a 400 here, before any change
        if too_many := self.selects_too_many(operation, ids):
            abort(400, too_many)
        order = Order(
            current_actor(),
            reason=form.data.get("reason"),
            note=form.note.data or None,
            choices={name: form[name].data for name in operation.choices},
            details={"select_all": True, "filters": list_query_args()} if selection.every_match else None,
        )
        # The rows it changes decide, not the rows ticked: one rule, or a few users, may stand for a million comments.
        if more_than(rows_of(operation, ids), current_app.config["INLINE_ROWS_LIMIT"]):
            job = background.submit_operation(operation, selection, order, return_url)
            return redirect(url_for("jobs.job_view", job_id=job.id))
        try:
            outcome = operation.apply(operation, ids, order)
            db.session.commit()
        except Refused as refused:
            db.session.rollback()
            flash(text.refused(refused.code, refused.role), "error")
            return redirect(return_url)
        except Exception:
            db.session.rollback()
            log.exception("operation %s failed", operation.name)
            flash(gettext("The operation failed and nothing was changed. Please try again."), "error")
            return redirect(return_url)
        message = Markup("%s") % operation.result(outcome.changed)
        flash(message + (undo_button(operation, outcome.entry_id, return_url) if outcome.changed else ""), "success")
        return redirect(return_url)

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
        table = str(self.model.__tablename__)
        original = db.session.get(AuditEntry, entry_ids[0])
        operation = OPERATIONS.get(original.action) if original is not None else None
        if operation is not None and operation.table == table and not self.allows(operation.capability):
            return deny()  # undoing an operation takes what doing it takes (a suspension: member-suspend)
        if original is not None and original.target == table and undo_in_background(original):
            job = background.submit_undo(original, current_actor(), return_url)
            return redirect(url_for("jobs.job_view", job_id=job.id))
        try:
            outcome = undo_entry(
                entry_ids[0], current_actor(), window=window, may_undo_others=has_permission(perm.UNDO_ANY), table=table
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


def more_than(ids: Select[Any] | Sequence[int], limit: int) -> bool:
    """Whether a selection holds more than ``limit`` rows: a count that stops at limit + 1 (cheap at 1M rows)."""
    if not isinstance(ids, Select):
        return len(ids) > limit
    return (db.session.scalar(select(func.count()).select_from(ids.limit(limit + 1).subquery())) or 0) > limit


def undo_in_background(original: AuditEntry) -> bool:
    """An undo of more than INLINE_ROWS_LIMIT rows is a job, like the operation (run at once without Redis)."""
    return row_count(original.id) > current_app.config["INLINE_ROWS_LIMIT"]
