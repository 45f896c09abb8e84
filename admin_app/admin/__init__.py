"""Builds a fresh Admin per app (a module-level one piles up views across apps: flask-admin #910)."""

from __future__ import annotations

from flask import Flask
from flask_admin import Admin
from flask_admin.theme import Bootstrap4Theme
from flask_babel import lazy_gettext as _l

from admin_app.admin.access import users_view
from admin_app.admin.audit import AuditAdmin
from admin_app.admin.comment import CommentAdmin
from admin_app.admin.dashboard import DashboardView
from admin_app.admin.jobs import JobsView
from admin_app.admin.post import PostAdmin
from admin_app.admin.preferences import PreferencesView
from admin_app.admin.queue import QueueView
from admin_app.admin.reports import ReportsView
from admin_app.admin.role import RoleAdmin
from admin_app.admin.rule import RuleAdmin
from admin_app.admin.saved_views import SavedViewsView
from admin_app.admin.user import MemberAdmin, UserAdmin
from admin_app.admin.widget_locale import strings as widget_strings
from admin_app.config import TRANSLATIONS_DIR
from admin_app.extensions import db
from admin_app.models import AuditEntry, Comment, Post, Role, Rule, User


def init_app(app: Flask) -> Admin:
    admin = Admin(
        app,
        name=_l("Back office"),
        index_view=DashboardView(name=_l("Home"), url="/admin"),
        theme=Bootstrap4Theme(base_template="admin/app_base.html", fluid=True),
        # Our admin-domain additions, for strings Flask-Admin's own catalogues leave out (theirs win on overlap).
        translations_path=str(TRANSLATIONS_DIR),
        # Talisman's per-request nonce (admin_app/headers.py), the one its Content-Security-Policy header names.
        csp_nonce_generator=app.jinja_env.globals["csp_nonce"],
    )
    app.jinja_env.globals["users_view"] = users_view  # links to a user's page (queue.html)
    app.jinja_env.globals["widget_strings"] = widget_strings  # select2's and the date pickers' words (app_base.html)
    admin.add_view(CommentAdmin(Comment, db, name=_l("Comments"), endpoint="comment"))
    admin.add_view(QueueView(name=_l("Review queue"), endpoint="queue", url="/admin/queue/"))
    admin.add_view(RuleAdmin(Rule, db, name=_l("Rules"), endpoint="rule"))
    admin.add_view(PostAdmin(Post, db, name=_l("Posts"), endpoint="post"))
    admin.add_view(UserAdmin(User, db, name=_l("Users"), endpoint="user"))
    admin.add_view(MemberAdmin(User, db, name=_l("Users"), endpoint="member"))
    admin.add_view(RoleAdmin(Role, db, name=_l("Roles"), endpoint="role"))
    admin.add_view(AuditAdmin(AuditEntry, db, name=_l("Audit trail"), endpoint="audit"))
    admin.add_view(ReportsView(name=_l("Reports"), endpoint="reports", url="/admin/reports/"))
    admin.add_view(JobsView(name=_l("My jobs"), endpoint="jobs", url="/admin/jobs/"))
    admin.add_view(SavedViewsView(name=_l("Saved views"), endpoint="saved_views", url="/admin/saved-views/"))
    admin.add_view(PreferencesView(name=_l("Your preferences"), endpoint="preferences", url="/admin/preferences/"))
    return admin
