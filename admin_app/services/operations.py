"""Every operation of the back office, declared once: what it is called (its name is also the audit trail's
action), which list offers it, what it changes, which capability and how recent a login it needs, its texts, its
service functions and its undo. The list actions, confirmation pages, audit labels, jobs and undo buttons are
derived from this registry; adding an operation is one declaration here plus its service function.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select
from sqlalchemy.orm import QueryableAttribute

from admin_app.extensions import db
from admin_app.i18n import ngettext
from admin_app.models import Comment, Post, Rule, User
from admin_app.services import moderation, rules, sanctions
from admin_app.services import user as accounts
from admin_app.services.change import Order, Outcome, Tally

Rows = Select[Any] | Sequence[int]


@dataclass(frozen=True)
class Operation:
    name: str  # "comment.disable": also the audit trail's action
    selects: type[Any]  # the model of the list it is offered on
    changes: type[Any]  # the model whose rows change (user.disable_comments: users selected, comments changed)
    action: str  # its action name in that list
    label: Any  # the list's action menu
    title: Any  # the audit trail and the job pages
    question: Callable[[int], str]  # the confirmation page's heading, for the number of rows changing
    result: Callable[[int], str]  # the message once done, for the number of rows changed
    capability: str  # the list capability it needs (admin/access.py)
    count: Callable[[Operation, Rows], Tally]  # how many rows it would work on, and change, now
    apply: Callable[[Operation, Rows, Order], Outcome]  # the service function: in the caller's transaction
    value: bool | None = None  # the state it sets (None: deletes)
    fresh_login: bool = False  # needs a login younger than FRESH_LOGIN_MINUTES
    undo: Callable[..., Outcome] | None = None  # None: cannot be undone (``why_final`` says why)
    why_final: Any = None
    choices: tuple[str, ...] = ()  # fields of its own on the confirmation form ("role")
    # The configuration list of reason codes its confirmation offers; "" when the selected row gives the reason
    # (a rule's own).
    reasons: str = "MODERATION_REASONS"
    # The rows it changes, from the rows selected in its list; None: the selected rows themselves.
    targets: Callable[[Rows], Rows] | None = None
    reviewed: bool = True  # comments it changes leave the review queue (a hold puts them back in it)
    at_most: int | None = None  # the most rows of its list one run may select (a rule is applied on its own)

    @property
    def table(self) -> str:
        return str(self.changes.__tablename__)

    @property
    def undoable(self) -> bool:
        return self.undo is not None

    def flag(self) -> QueryableAttribute[bool]:
        return moderation.flag_of(self.changes)


def _n(singular: str, plural: str) -> Callable[[int], str]:
    """A text for a number of rows, translated when called (pybabel extracts ``_n`` as a plural keyword)."""
    return lambda n: ngettext(singular, plural, n)


CANNOT_UNDO_DELETE = _l("Deleting cannot be undone.")
CANNOT_UNDO_ACCOUNT = _l("This cannot be undone from its result: use the opposite action.")

_MODERATION: dict[str, Any] = {
    "capability": "moderate",
    "count": moderation.tally,
    "apply": moderation.apply,
}
# Suspensions: moderators' sanctions, quick to apply (no fresh login) and undoable from their result.
_SUSPENSIONS: dict[str, Any] = {
    "selects": User, "changes": User, "capability": "suspend", "value": False, "choices": ("duration",),
}  # fmt: skip
_ACCOUNTS: dict[str, Any] = {
    "selects": User, "changes": User, "fresh_login": True, "why_final": CANNOT_UNDO_ACCOUNT,
    "reasons": "ACCOUNT_REASONS",
}  # fmt: skip

DECLARED = (
    Operation(
        "comment.disable", Comment, Comment, "disable", _l("Disable"), _l("Disable comments"),
        _n("Disable %(num)s comment?", "Disable %(num)s comments?"),
        _n("%(num)s comment disabled.", "%(num)s comments disabled."),
        value=True, undo=moderation.undo, **_MODERATION,
    ),
    Operation(
        "comment.hold", Comment, Comment, "hold", _l("Hold for review"), _l("Hold comments for review"),
        _n("Hold %(num)s comment for review?", "Hold %(num)s comments for review?"),
        _n("%(num)s comment held for review.", "%(num)s comments held for review."),
        value=True, reviewed=False, undo=moderation.undo, **_MODERATION,
    ),
    Operation(
        "comment.enable", Comment, Comment, "enable", _l("Enable"), _l("Enable comments"),
        _n("Enable %(num)s comment?", "Enable %(num)s comments?"),
        _n("%(num)s comment enabled.", "%(num)s comments enabled."),
        value=False, undo=moderation.undo, **_MODERATION,
    ),
    Operation(
        "comment.delete", Comment, Comment, "delete", _l("Delete"), _l("Delete comments"),
        _n("Delete %(num)s comment?", "Delete %(num)s comments?"),
        _n("%(num)s comment deleted.", "%(num)s comments deleted."),
        fresh_login=True, why_final=CANNOT_UNDO_DELETE, **_MODERATION,
    ),
    Operation(
        "post.hide", Post, Post, "hide", _l("Hide"), _l("Hide posts"),
        _n("Hide %(num)s post?", "Hide %(num)s posts?"),
        _n("%(num)s post hidden.", "%(num)s posts hidden."),
        value=True, undo=moderation.undo, **_MODERATION,
    ),
    Operation(
        "post.unhide", Post, Post, "unhide", _l("Show again"), _l("Show posts again"),
        _n("Show %(num)s post again?", "Show %(num)s posts again?"),
        _n("%(num)s post shown again.", "%(num)s posts shown again."),
        value=False, undo=moderation.undo, **_MODERATION,
    ),
    Operation(
        "post.delete", Post, Post, "delete", _l("Delete"), _l("Delete posts"),
        _n("Delete %(num)s post and its comments?", "Delete %(num)s posts and their comments?"),
        _n("%(num)s post deleted.", "%(num)s posts deleted."),
        fresh_login=True, why_final=CANNOT_UNDO_DELETE, **_MODERATION,
    ),
    Operation(
        "user.disable_comments", User, Comment, "disable_comments", _l("Disable all their comments"),
        _l("Disable a user's comments"),
        _n("Disable %(num)s comment by the selected users?", "Disable %(num)s comments by the selected users?"),
        _n("%(num)s comment disabled.", "%(num)s comments disabled."),
        value=True, undo=moderation.undo, targets=moderation.comments_of, **_MODERATION,
    ),
    Operation(
        "rule.apply", Rule, Comment, "apply", _l("Apply to existing comments"), _l("Apply a rule to existing comments"),
        _n("Apply the rule to %(num)s existing comment?", "Apply the rule to %(num)s existing comments?"),
        _n("The rule was applied to %(num)s comment.", "The rule was applied to %(num)s comments."),
        capability="apply", count=moderation.tally, apply=rules.apply, value=True, undo=moderation.undo,
        targets=rules.matching_rules, reasons="", at_most=1,
    ),
    Operation(
        "user.suspend", action="suspend", label=_l("Suspend"), title=_l("Suspend members"),
        question=_n("Suspend %(num)s member?", "Suspend %(num)s members?"),
        result=_n("%(num)s member suspended.", "%(num)s members suspended."),
        count=sanctions.count_suspending, apply=sanctions.suspend, undo=sanctions.undo, **_SUSPENSIONS,
    ),
    Operation(
        "user.suspend_and_disable", action="suspend_and_disable", label=_l("Suspend and disable all their comments"),
        title=_l("Suspend members and disable their comments"),
        question=_n("Suspend %(num)s member and disable all their comments?",
                    "Suspend %(num)s members and disable all their comments?"),
        result=_n("%(num)s member suspended, and their comments disabled.",
                  "%(num)s members suspended, and their comments disabled."),
        count=sanctions.count_suspending, apply=sanctions.suspend_and_disable, undo=sanctions.undo, **_SUSPENSIONS,
    ),
    Operation(
        "user.lift_suspension", action="lift_suspension", label=_l("Lift the suspension"),
        title=_l("Lift suspensions"),
        question=_n("Lift the suspension of %(num)s member?", "Lift the suspensions of %(num)s members?"),
        result=_n("Suspension of %(num)s member lifted.", "Suspensions of %(num)s members lifted."),
        count=sanctions.count_lifting, apply=sanctions.lift, selects=User, changes=User, capability="suspend",
        value=True, why_final=CANNOT_UNDO_ACCOUNT,
    ),
    Operation(
        "user.add_role", action="add_role", label=_l("Add a role"), title=_l("Add a role"),
        question=_n("Add a role to %(num)s user?", "Add a role to %(num)s users?"),
        result=_n("Roles of %(num)s user changed.", "Roles of %(num)s users changed."),
        capability="assign", count=accounts.count_selected, apply=accounts.change_role, value=True,
        choices=("role",), **_ACCOUNTS,
    ),
    Operation(
        "user.remove_role", action="remove_role", label=_l("Remove a role"), title=_l("Remove a role"),
        question=_n("Remove a role from %(num)s user?", "Remove a role from %(num)s users?"),
        result=_n("Roles of %(num)s user changed.", "Roles of %(num)s users changed."),
        capability="assign", count=accounts.count_selected, apply=accounts.change_role, value=False,
        choices=("role",), **_ACCOUNTS,
    ),
    Operation(
        "user.deactivate", action="deactivate", label=_l("Deactivate"), title=_l("Deactivate accounts"),
        question=_n("Deactivate %(num)s account?", "Deactivate %(num)s accounts?"),
        result=_n("%(num)s account deactivated.", "%(num)s accounts deactivated."),
        capability="edit", count=accounts.count_changing_state, apply=accounts.set_active, value=False, **_ACCOUNTS,
    ),
    Operation(
        "user.activate", action="reactivate", label=_l("Reactivate"), title=_l("Reactivate accounts"),
        question=_n("Reactivate %(num)s account?", "Reactivate %(num)s accounts?"),
        result=_n("%(num)s account reactivated.", "%(num)s accounts reactivated."),
        capability="edit", count=accounts.count_changing_state, apply=accounts.set_active, value=True, **_ACCOUNTS,
    ),
)  # fmt: skip

OPERATIONS: dict[str, Operation] = {operation.name: operation for operation in DECLARED}


def undo_entry(entry_id: int, actor: Any, **options: Any) -> Outcome:
    """Undo the operation of audit entry ``entry_id`` with its own undo (moderation's, a suspension's); raises
    UndoRefused when it has none."""
    from admin_app.models import AuditEntry

    original = db.session.get(AuditEntry, entry_id)
    operation = OPERATIONS.get(original.action) if original is not None else None
    if operation is None or operation.undo is None:
        raise moderation.UndoRefused("not-undoable")
    return operation.undo(entry_id, actor, **options)


def offered_on(model: type[Any]) -> list[Operation]:
    """The operations a list of ``model`` offers, in declaration order."""
    return [operation for operation in DECLARED if operation.selects is model]
