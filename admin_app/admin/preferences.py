"""PreferencesView: every back-office user's own language and time zone (also set by ?lang= and the menu)."""

from __future__ import annotations

from typing import Any

from flask import current_app, flash, redirect, request, session, url_for
from flask_admin import expose
from flask_admin.form import BaseForm
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_security import current_user
from wtforms import SelectField
from wtforms.validators import InputRequired

from admin_app import i18n
from admin_app import permissions as perm
from admin_app.admin.access import AnyOf, Secured, requires
from admin_app.extensions import db


class PreferencesForm(BaseForm):
    locale = SelectField(_l("Language"), validators=[InputRequired()])
    timezone = SelectField(_l("Time zone"), validators=[InputRequired()])


class PreferencesView(Secured):
    permissions = {"read": AnyOf(perm.ALL)}  # one's own language and time zone: every back-office user

    def is_visible(self) -> bool:
        return False  # reached from the user's name in the navigation bar

    @expose("/", methods=("GET", "POST"))
    @requires("read")
    def index(self) -> Any:
        form = PreferencesForm(
            request.form,
            locale=i18n.match_language(current_user.locale) or str(i18n.get_locale()),
            timezone=current_user.timezone or current_app.config["BABEL_DEFAULT_TIMEZONE"],
        )
        form.locale.choices = i18n.language_choices()
        form.timezone.choices = i18n.timezone_choices()
        if request.method == "POST":
            if form.validate():
                current_user.locale = form.locale.data
                current_user.timezone = form.timezone.data
                session[i18n.SESSION_KEY] = form.locale.data
                db.session.commit()
                i18n.refresh()
                flash(gettext("Your preferences are saved."), "success")
                return redirect(url_for(".index"))
            return self.render("admin/preferences.html", form=form), 400
        return self.render("admin/preferences.html", form=form)
