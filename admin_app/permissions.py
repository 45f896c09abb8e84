"""The one role -> permission map. Views and actions check permissions, never role names.

`python manage.py roles sync` writes this map to the database; the initial migration holds a frozen copy.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

USER_READ = "user-read"
USER_MANAGE = "user-manage"  # create, edit, deactivate and reactivate accounts
ROLE_ASSIGN = "role-assign"  # add and remove users' roles (only roles whose permissions one holds)
PERSONAL_DATA = "personal-data-read"  # e-mail addresses, login addresses and times
ROLE_READ = "role-read"
ROLE_MANAGE = "role-manage"
POST_READ = "post-read"
POST_MANAGE = "post-manage"
POST_MODERATE = "post-moderate"
COMMENT_READ = "comment-read"
COMMENT_MANAGE = "comment-manage"
COMMENT_MODERATE = "comment-moderate"
AUDIT_READ = "audit-read"
UNDO_ANY = "moderation-undo-any"  # undo another moderator's operation
REPORT_READ = "report-read"  # the reports (moderation activity, comment volume, new users, most-disabled authors)
REPORT_EXPORT = "report-export"  # CSV exports of the lists one may read, and the reports' downloads
JOBS_ANY = "job-any"  # see, cancel and download anyone's background jobs (one's own need nothing more)
MEMBER_SUSPEND = "member-suspend"  # suspend members for a while and lift suspensions (not those who outrank one)
RULE_MANAGE = "rule-manage"  # write, preview, switch off and apply the moderation rules (word, phrase, link domain)

ALL = (
    USER_READ, USER_MANAGE, ROLE_ASSIGN, PERSONAL_DATA, ROLE_READ, ROLE_MANAGE,
    POST_READ, POST_MANAGE, POST_MODERATE,
    COMMENT_READ, COMMENT_MANAGE, COMMENT_MODERATE, AUDIT_READ, UNDO_ANY, REPORT_READ, REPORT_EXPORT, JOBS_ANY,
    RULE_MANAGE, MEMBER_SUSPEND,
)  # fmt: skip

# name -> (description, permissions). "user" is the default role: a site member with no back-office access.
ROLES: dict[str, tuple[str, tuple[str, ...]]] = {
    "admin": (_l("Administrators: everything"), ALL),
    "moderator": (
        _l("Moderators: read and moderate posts and comments, keep the moderation rules, read and suspend members"),
        (USER_READ, POST_READ, POST_MODERATE, COMMENT_READ, COMMENT_MODERATE, RULE_MANAGE, MEMBER_SUSPEND),
    ),
    "staff": (
        _l("Staff: read-only everywhere, reports and exports"),
        (USER_READ, ROLE_READ, POST_READ, COMMENT_READ, REPORT_READ, REPORT_EXPORT),
    ),
    "user": (_l("Site members: no back-office access"), ()),
}
DEFAULT_ROLE = "user"
