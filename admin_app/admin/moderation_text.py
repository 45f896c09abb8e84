"""What moderation pages say: action labels, questions, results and refusals, in the user's language."""

from __future__ import annotations

from collections.abc import Callable

from flask_babel import gettext, ngettext
from flask_babel import lazy_gettext as _l

REASONS = {
    "spam": _l("Spam"),
    "abuse": _l("Abuse"),
    "off-topic": _l("Off-topic"),
    "personal-data": _l("Personal data"),
    "other": _l("Other"),
}

ACTIONS = {
    "comment.disable": _l("Disable comments"),
    "comment.enable": _l("Enable comments"),
    "comment.delete": _l("Delete comments"),
    "comment.approve": _l("Approve comments"),
    "post.hide": _l("Hide posts"),
    "post.unhide": _l("Show posts again"),
    "post.delete": _l("Delete posts"),
    "user.disable_comments": _l("Disable a user's comments"),
    "user.roles": _l("Change roles"),
    "user.deactivate": _l("Deactivate accounts"),
    "user.activate": _l("Reactivate accounts"),
    "undo": _l("Undo"),
}


def action_label(code: str) -> str:
    """Moderation codes by name; form changes ("user.edit") read as "user: edit"."""
    if code in ACTIONS:
        return str(ACTIONS[code])
    table, _, verb = code.partition(".")
    # Translators: shown after a table name in the audit trail, e.g. "posts: edit" (an edit made in a form).
    verbs = {"create": _l("create"), "edit": _l("edit"), "delete": _l("delete"), "export": _l("export")}
    return f"{table}: {verbs.get(verb, verb)}"


QUESTIONS: dict[str, Callable[[int], str]] = {
    "comment.disable": lambda n: ngettext("Disable %(num)d comment?", "Disable %(num)d comments?", n),
    "comment.enable": lambda n: ngettext("Enable %(num)d comment?", "Enable %(num)d comments?", n),
    "comment.delete": lambda n: ngettext("Delete %(num)d comment?", "Delete %(num)d comments?", n),
    "post.hide": lambda n: ngettext("Hide %(num)d post?", "Hide %(num)d posts?", n),
    "post.unhide": lambda n: ngettext("Show %(num)d post again?", "Show %(num)d posts again?", n),
    "post.delete": lambda n: ngettext(
        "Delete %(num)d post and its comments?", "Delete %(num)d posts and their comments?", n
    ),
    "user.disable_comments": lambda n: ngettext(
        "Disable %(num)d comment by the selected users?", "Disable %(num)d comments by the selected users?", n
    ),
    "user.add_role": lambda n: ngettext("Add a role to %(num)d user?", "Add a role to %(num)d users?", n),
    "user.remove_role": lambda n: ngettext("Remove a role from %(num)d user?", "Remove a role from %(num)d users?", n),
    "user.deactivate": lambda n: ngettext("Deactivate %(num)d account?", "Deactivate %(num)d accounts?", n),
    "user.activate": lambda n: ngettext("Reactivate %(num)d account?", "Reactivate %(num)d accounts?", n),
}

RESULTS: dict[str, Callable[[int], str]] = {
    "comment.disable": lambda n: ngettext("%(num)d comment disabled.", "%(num)d comments disabled.", n),
    "comment.enable": lambda n: ngettext("%(num)d comment enabled.", "%(num)d comments enabled.", n),
    "comment.delete": lambda n: ngettext("%(num)d comment deleted.", "%(num)d comments deleted.", n),
    "post.hide": lambda n: ngettext("%(num)d post hidden.", "%(num)d posts hidden.", n),
    "post.unhide": lambda n: ngettext("%(num)d post shown again.", "%(num)d posts shown again.", n),
    "post.delete": lambda n: ngettext("%(num)d post deleted.", "%(num)d posts deleted.", n),
    "user.disable_comments": lambda n: ngettext("%(num)d comment disabled.", "%(num)d comments disabled.", n),
    "user.add_role": lambda n: ngettext("Roles of %(num)d user changed.", "Roles of %(num)d users changed.", n),
    "user.remove_role": lambda n: ngettext("Roles of %(num)d user changed.", "Roles of %(num)d users changed.", n),
    "user.deactivate": lambda n: ngettext("%(num)d account deactivated.", "%(num)d accounts deactivated.", n),
    "user.activate": lambda n: ngettext("%(num)d account reactivated.", "%(num)d accounts reactivated.", n),
}


def nothing_to_do(selected: int) -> str:
    return ngettext(
        "The selected row is already in that state: nothing to change.",
        "None of the %(num)d selected rows would change: nothing to do.",
        selected,
    )


def undone(restored: int, skipped: int) -> str:
    text = ngettext("Undone: %(num)d row restored.", "Undone: %(num)d rows restored.", restored)
    if skipped:
        text += " " + ngettext(
            "%(num)d row was left as it is because it changed since.",
            "%(num)d rows were left as they are because they changed since.",
            skipped,
        )
    return text


def refused(code: str, role: str | None = None) -> str:
    """Why an account change was refused (admin_app.services.user.Refused)."""
    messages = {
        "unknown-role": gettext("There is no role named %(role)s.", role=role),
        "beyond-own": gettext(
            "You cannot hand out or take away the role %(role)s: it carries permissions you do not hold.", role=role
        ),
        "own-role-assign": gettext("You cannot remove your own permission to assign roles."),
        "last-admin": gettext("This would leave no active administrator: nothing was changed."),
        "self-deactivate": gettext("You cannot deactivate your own account."),
    }
    return messages.get(code, gettext("The operation failed and nothing was changed. Please try again."))


def undo_refused(code: str) -> str:
    return {
        "not-undoable": gettext("This operation cannot be undone."),
        "already-undone": gettext("This operation was already undone."),
        "too-old": gettext("This operation is too old to be undone."),
        "not-yours": gettext("Only its author or an administrator can undo this operation."),
    }.get(code, gettext("This operation cannot be undone."))


def reason_label(code: str | None) -> str:
    return str(REASONS.get(code or "", code or ""))
