"""RuleAdmin: the moderation rules, their preview before saving, their hit counts, and "Apply to existing
comments" (the registry's rule.apply, with the confirmation, background job and undo every operation has)."""

from __future__ import annotations

from typing import Any

from flask import current_app, g, request
from flask_admin import expose
from flask_admin.form import FormOpts
from flask_admin.helpers import get_redirect_target
from flask_admin.model.helpers import get_mdict_item_or_list
from flask_babel import format_number, gettext
from flask_babel import lazy_gettext as _l
from flask_security import current_user
from markupsafe import Markup
from sqlalchemy import Select, select
from wtforms import SelectField
from wtforms.validators import StopValidation, ValidationError

from admin_app import permissions as perm
from admin_app.admin import formatters
from admin_app.admin import moderation_text as text
from admin_app.admin.moderation import ModeratedView
from admin_app.extensions import db
from admin_app.models import Rule
from admin_app.services import rules
from admin_app.services.operations import Operation


def reason_choices() -> list[tuple[str, str]]:
    codes = current_app.config["MODERATION_REASONS"]
    return [("", gettext("Choose a reason…")), *((code, text.reason_label(code)) for code in codes)]


def kind_choices() -> list[tuple[str, str]]:
    return [(kind, str(text.RULE_KINDS[kind])) for kind in rules.KINDS]


def action_choices() -> list[tuple[str, str]]:
    return [("", gettext("Choose an action…")), *((action, str(text.RULE_ACTIONS[action])) for action in rules.ACTIONS)]


def rule_text(form: Any, field: Any) -> None:
    """The text, normalised for its kind (the field then holds what the rule keeps), and not a rule already."""
    try:
        field.data = rules.normalise(form.kind.data, field.data)
    except rules.Invalid as invalid:
        raise ValidationError(text.rule_invalid(invalid.code)) from invalid
    same = select(Rule).where(Rule.kind == form.kind.data, Rule.text == field.data)
    editing = get_mdict_item_or_list(request.args, "id")
    existing = db.session.scalars(same).first()
    if existing is not None and str(existing.id) != str(editing):
        raise ValidationError(gettext("Rule #%(id)s already looks for this.", id=existing.id))


def chosen_reason(_form: Any, field: Any) -> None:
    # Flask-Admin shows a field's errors only when they are plain strings: the message is translated here, not lazily.
    if not field.data:
        raise StopValidation(gettext("Choose a reason."))


def chosen_action(_form: Any, field: Any) -> None:
    if not field.data:
        raise StopValidation(gettext("Choose what the rule does."))


def hits_column(period: str) -> formatters.Formatter:
    def format_hits(_view: Any, _context: Any, row: Rule, _name: str) -> str:
        hits = g.get("rule_hits", {}).get(row.id)
        return format_number(getattr(hits, period)) if hits is not None else ""

    return format_hits


def labelled(labels: dict[str, Any]) -> formatters.Formatter:
    return lambda _view, _context, row, name: str(labels.get(getattr(row, name), getattr(row, name)))


class RuleAdmin(ModeratedView):
    # Rules are switched off, never deleted: their hits and the trail stay readable.
    permissions = {
        "read": perm.RULE_MANAGE,
        "create": perm.RULE_MANAGE,
        "edit": perm.RULE_MANAGE,
        "apply": (perm.RULE_MANAGE, perm.COMMENT_MODERATE),
        "moderate": (perm.RULE_MANAGE, perm.COMMENT_MODERATE),
    }
    create_template = "admin/rule_create.html"
    edit_template = "admin/rule_edit.html"
    details_template = "admin/rule_details.html"

    column_list = ("id", "kind", "text", "action", "reason", "active", "hits_day", "hits_week", "created_at")
    column_default_sort = ("id", True)
    column_sortable_list = ("id", "kind", "text", "active", "created_at")
    column_searchable_list = ("text",)
    column_filters = ("active", "kind", "action")
    column_details_list = ("id", "kind", "text", "action", "reason", "active", "note", "created_at")
    column_labels = {
        "id": _l("ID"), "kind": _l("Looks for"), "text": _l("Text"), "action": _l("Action"), "reason": _l("Reason"),
        "active": _l("On"), "note": _l("Note"), "created_at": _l("Written"),
        # Translators: comments a rule caught in the last 24 hours / 7 days (column headings).
        "hits_day": _l("Caught, 24 h"), "hits_week": _l("Caught, 7 days"),
    }  # fmt: skip
    column_formatters = {
        "kind": labelled(text.RULE_KINDS),
        "action": labelled(text.RULE_ACTIONS),
        "reason": lambda _view, _context, row, _name: text.reason_label(row.reason),
        "hits_day": hits_column("day"),
        "hits_week": hits_column("week"),
    }
    column_formatters_detail = column_formatters
    form_columns = ("kind", "text", "action", "reason", "active", "note")
    form_overrides = {"kind": SelectField, "action": SelectField, "reason": SelectField}
    form_args = {
        "kind": {"label": _l("Looks for"), "choices": kind_choices},
        "text": {
            "label": _l("Text"),
            "validators": [rule_text],
            "description": _l(
                "A word or phrase matches whole words, whatever the case. A link domain matches links to it and to "
                "its subdomains; a pasted link gives its domain."
            ),
        },
        "action": {"label": _l("Action"), "choices": action_choices, "validators": [chosen_action]},
        "reason": {"label": _l("Reason"), "choices": reason_choices, "validators": [chosen_reason]},
        "active": {"label": _l("On for new comments"), "default": True},
        "note": {"label": _l("Note (optional)")},
    }
    form_widget_args = {"text": {"maxlength": rules.MAX_TEXT}}

    def get_list(self, *args: Any, **kwargs: Any) -> tuple[int | None, Any]:
        count, rows = super().get_list(*args, **kwargs)
        if isinstance(rows, list):
            g.rule_hits = rules.hit_counts([row.id for row in rows])
        return count, rows

    def on_model_change(self, form: Any, model: Rule, is_created: bool) -> None:
        if is_created:
            model.created_by_id = current_user.id
        super().on_model_change(form, model, is_created)

    def get_save_return_url(self, model: Rule, is_created: bool = False) -> str:
        """After saving, the rule's own page: what it matches now, and "Apply to existing comments"."""
        return str(self.get_url(".details_view", id=model.id))

    # The preview: the form posted with "Preview" shows what the rule matches now, and saves nothing.

    @expose("/new/", methods=("GET", "POST"))
    def create_view(self) -> Any:
        if request.method == "POST" and "_preview" in request.form:
            return self.preview_page(self.create_form(), self.create_template)
        return super().create_view()

    @expose("/edit/", methods=("GET", "POST"))
    def edit_view(self) -> Any:
        if request.method == "POST" and "_preview" in request.form:
            model = self.get_one(get_mdict_item_or_list(request.args, "id"))
            if model is None:
                return super().edit_view()  # Flask-Admin's own answer to a rule that is not there
            return self.preview_page(self.edit_form(model), self.edit_template, model=model)
        return super().edit_view()

    def preview_page(self, form: Any, template: str, **context: Any) -> Any:
        preview = rules.preview(form.kind.data, form.text.data) if form.validate() else None
        form_rules = self._form_edit_rules if "model" in context else self._form_create_rules
        form_opts = FormOpts(widget_args=self.form_widget_args, form_rules=form_rules)
        return_url = get_redirect_target() or self.get_url(".index_view")
        page = self.render(template, form=form, form_opts=form_opts, return_url=return_url, preview=preview,
                           pattern=self.highlighter(form), **context)  # fmt: skip
        return page, 200 if preview is not None else 400

    def highlighter(self, form: Any) -> Any:
        """Marks what the rule matches in a sample comment's text (the same expression, in Python)."""
        if form.errors or not form.text.data:
            return None
        return rules.python_pattern(form.kind.data, form.text.data)

    def render(self, template: str, **kwargs: Any) -> Any:
        kwargs.setdefault("marked", marked)
        if template == self.details_template and kwargs.get("model") is not None:
            model = kwargs["model"]
            kwargs.setdefault("preview", rules.preview(model.kind, model.text))
            kwargs.setdefault("pattern", rules.python_pattern(model.kind, model.text))
            kwargs.setdefault("hits", rules.hit_counts([model.id])[model.id])
        return super().render(template, **kwargs)

    def confirmation_notes(self, operation: Operation, ids: Select[Any]) -> list[str]:
        rule = db.session.scalars(select(Rule).where(Rule.id.in_(ids))).first()
        if rule is None:
            return []
        return [text.rule_effect(rule.action, rule.reason)]


def marked(body: str | None, pattern: Any, limit: int = 240) -> Markup:
    """A comment's text, shortened around the first match, with every match in <mark>."""
    body = " ".join((body or "").split())
    if pattern is None:
        return Markup("%s") % formatters.shorten(body, limit)
    first = pattern.search(body)
    start = max(0, first.start() - limit // 3) if first else 0
    shown = body[start : start + limit]
    pieces, last = [], 0
    for found in pattern.finditer(shown):
        pieces.append(Markup("%s<mark>%s</mark>") % (shown[last : found.start()], found.group()))
        last = found.end()
    pieces.append(Markup("%s") % shown[last:])
    prefix = "…" if start else ""
    suffix = "…" if start + limit < len(body) else ""
    return Markup(prefix) + Markup("").join(pieces) + Markup(suffix)
