"""SavedViewsView: "Save this view" on every list, opening a saved view on the reader's own list, the page of one's
saved views, and the dashboard's pinned views with their counts.

A view keeps what its list's URL says (services/saved_views.py). Opening it builds the URL again for the reader's
list over the same rows (list_args.fitted): a moderator opening an administrator's view of the users gets the
member list, without the e-mail column or a sort by e-mail, and is told what was left out. The list then checks
and scopes everything as it would for any URL, so a shared view never shows a reader more than their own list does.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from flask import abort, flash, redirect, request, url_for
from flask_admin import expose
from flask_admin.form import BaseForm
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_security import current_user
from werkzeug.exceptions import HTTPException
from wtforms import BooleanField, SelectField, StringField

from admin_app import permissions as perm
from admin_app.admin.access import AnyOf, Secured, requires
from admin_app.admin.list_args import (
    Fitted,
    Selection,
    chosen_columns,
    described,
    fitted,
    list_query_args,
    list_views,
    listing,
    lists_over,
    shown_count,
)
from admin_app.extensions import db
from admin_app.models import SavedView
from admin_app.services import saved_views as service

ONLY_ME = ""


class SaveForm(BaseForm):
    name = StringField(_l("Name"))
    role = SelectField(_l("Share with"), default=ONLY_ME)
    pinned = BooleanField(_l("Pin to the dashboard, with its count"))


def invalid_message(code: str) -> str:
    messages = {
        "name-empty": gettext("Give the view a name."),
        "name-too-long": gettext("A view's name has %(max)s characters at most.", max=service.MAX_NAME),
        "too-many": gettext("You have %(max)s saved views, the most one may keep: remove one first.",
                            max=service.MAX_VIEWS),
        "role": gettext("Choose a role you may share with."),
    }  # fmt: skip
    return messages[code]


def menu(view: Any) -> list[SavedView]:
    """The saved views of ``view``'s rows the reader may open, for the list's "Saved views" menu."""
    return service.visible_to(current_user, lists_over(view))


def reader_list(saved: SavedView) -> Any | None:
    """The list the reader opens ``saved`` on: the one it was saved on if they may read it, else another over the
    same rows they may read (the member list for the users'); None when they may read none."""
    saved_on = list_views().get(saved.list_name)
    if saved_on is None:
        return None
    views = list_views()
    return next((views[name] for name in lists_over(saved_on) if views[name].allows("read")), None)


def list_url(view: Any, args: list[tuple[str, str]]) -> str:
    """The list ``view`` with the query-string arguments ``args`` (checked by the list itself when opened)."""
    url = url_for(f"{view.endpoint}.index_view")
    return f"{url}?{urlencode(args)}" if args else url


def open_url(saved: SavedView) -> str:
    return url_for("saved_views.open_view", saved_id=saved.id)


def fitted_for(saved: SavedView, view: Any) -> Fitted:
    return fitted(list_views()[saved.list_name], view, saved.pairs, saved.sort, saved.desc, saved.columns)


def pinned_counts() -> list[tuple[SavedView, Any, Any]]:
    """The reader's pinned views: each with the list it opens on and its count as that list writes it (exact, or
    "about N" where the list is approximate: admin/counting.py); None for a view whose arguments the list no
    longer takes."""
    found = []
    reader = current_user._get_current_object()  # the user, not the proxy: listing signs them in again
    for saved in service.pinned_for(reader):
        view = reader_list(saved)
        if view is None:
            continue
        args = [(name, value) for name, value in fitted_for(saved, view).args if name not in ("sort", "desc")]
        try:
            with listing(Selection(view.endpoint, tuple(args)), reader) as listed:
                count = shown_count(listed)
        except HTTPException:
            count = None
        found.append((saved, view, count))
    return found


class SavedViewsView(Secured):
    # Everyone in the back office keeps views of the lists they read; what a view shows is the list's to decide.
    permissions = {"read": AnyOf(perm.ALL)}

    def is_visible(self) -> bool:
        return False  # reached from each list's "Saved views" menu

    def saved_list(self) -> Any:
        """The list named by ``list``, which the reader must be able to read."""
        view = list_views().get(request.args.get("list", ""))
        if view is None:
            abort(404)
        if not view.allows("read"):
            abort(403)
        return view

    @expose("/save/", methods=("GET", "POST"))
    @requires("read")
    def save_view(self) -> Any:
        view = self.saved_list()
        view._get_list_extra_args()  # the list's own checks: a 400 for what the list itself would refuse
        args = [(name, value) for name, values in list_query_args().items() for value in values]
        columns = chosen_columns(view)
        sort = view.sort_column_name()
        form = SaveForm(request.form)
        form.role.choices = [(ONLY_ME, gettext("Only me"))] + [
            (str(role.id), role.name) for role in service.shareable_roles(current_user)
        ]
        if request.method == "POST" and form.validate():
            wanted = service.Wanted(
                list_name=view.endpoint,
                name=form.name.data or "",
                args=args,
                sort=sort,
                desc=request.args.get("desc") == "1",
                columns=columns,
                role_id=int(form.role.data) if form.role.data else None,
                pinned=bool(form.pinned.data),
            )
            try:
                saved, created = service.save(current_user, wanted)
            except service.Invalid as invalid:
                form.name.errors = [invalid_message(invalid.code)]
            else:
                db.session.commit()
                message = gettext("The view “%(name)s” is saved.", name=saved.name)
                if not created:
                    message = gettext("The view “%(name)s” is updated.", name=saved.name)
                flash(message, "success")
                return redirect(list_url(view, args))
        page = self.render(
            "admin/saved_view_save.html",
            form=form,
            list_view=view,
            kept=self.kept_in_words(view, args, sort, columns),
            back=list_url(view, args),
        )
        return (page, 400) if request.method == "POST" else page

    def kept_in_words(self, view: Any, args: list[tuple[str, str]], sort: str | None, columns: Any) -> list[str]:
        words = described(view, tuple(service.kept_args(args)))
        labels = view.list_column_labels()
        if sort is not None:
            if request.args.get("desc") == "1":
                words.append(gettext("Sorted by %(column)s, descending", column=labels[sort]))
            else:
                words.append(gettext("Sorted by %(column)s", column=labels[sort]))
        if columns:
            words.append(gettext("Columns: %(columns)s", columns=", ".join(str(labels[name]) for name in columns)))
        return words or [gettext("The whole list, as it is shown by default")]

    @expose("/open/<int:saved_id>/")
    @requires("read")
    def open_view(self, saved_id: int) -> Any:
        saved = service.find(current_user, saved_id)
        if saved is None:
            abort(404)
        view = reader_list(saved)
        if view is None:
            abort(403)
        fit = fitted_for(saved, view)
        if fit.left_out:
            flash(gettext("Your list does not have everything this view was saved with, so some of it was left out: "
                          "%(what)s.", what="; ".join(fit.left_out)), "warning")  # fmt: skip
        return redirect(list_url(view, fit.args))

    @expose("/remove/<int:saved_id>/", methods=("POST",))
    @requires("read")
    def remove_view(self, saved_id: int) -> Any:
        saved = service.remove(current_user, saved_id)
        if saved is None:
            abort(404)
        db.session.commit()
        flash(gettext("The view “%(name)s” is removed.", name=saved.name), "success")
        return redirect(url_for(".index"))

    @expose("/")
    @requires("read")
    def index(self) -> Any:
        rows = []
        for saved in service.visible_to(current_user):
            view = reader_list(saved)
            if view is not None:
                rows.append((saved, view))
        return self.render("admin/saved_views.html", rows=rows)
