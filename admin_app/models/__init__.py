"""Every model, imported once so that mappers and the migration metadata see them all."""

from admin_app.models import markup  # noqa: F401  (registers the body_html listeners)
from admin_app.models.audit import AuditEntry, AuditRow
from admin_app.models.comment import Comment, CommentSearch
from admin_app.models.job import Job
from admin_app.models.post import Post
from admin_app.models.rule import Rule, RuleHit, RuleInbox
from admin_app.models.saved_view import SavedView
from admin_app.models.stats import CommentDay
from admin_app.models.suspension import Suspension
from admin_app.models.user import Role, User, roles_users

__all__ = [
    "AuditEntry",
    "AuditRow",
    "Comment",
    "CommentDay",
    "CommentSearch",
    "Job",
    "Post",
    "Role",
    "Rule",
    "RuleHit",
    "RuleInbox",
    "SavedView",
    "Suspension",
    "User",
    "roles_users",
]
