"""What moderation pages say besides each operation's own texts (the registry's): reasons, audit labels,
refusals and undo results, in the user's language."""

from __future__ import annotations

from flask_babel import format_number, gettext
from flask_babel import lazy_gettext as _l

from admin_app.admin.list_args import list_views
from admin_app.i18n import ngettext
from admin_app.services.operations import OPERATIONS

REASONS = {
    "spam": _l("Spam"),
    "abuse": _l("Abuse"),
    "off-topic": _l("Off-topic"),
    "personal-data": _l("Personal data"),
    "other": _l("Other"),
    # Translators: reasons for a role change or an account's (de)activation.
    "new-duties": _l("New duties"),
    "left-team": _l("Left the team"),
    "member-request": _l("At the member's request"),
    "compromised": _l("Account compromised"),
}

# What a rule looks for, and what it does to a comment it catches (admin_app/services/rules.py).
RULE_KINDS = {"word": _l("Word"), "phrase": _l("Phrase"), "domain": _l("Link domain")}
RULE_ACTIONS = {"hold": _l("Hold for review"), "disable": _l("Disable")}

# Audit actions that are not operations of the registry (admin_app/services/operations.py), which names its own.
OTHER_ACTIONS = {
    "comment.approve": _l("Approve comments"),
    "user.roles": _l("Change roles"),  # role changes recorded before each had its own operation
    "undo": _l("Undo"),
    "job.failed": _l("Background job failed"),
    "user.suspension_expired": _l("Suspensions ended"),
}


def action_label(code: str) -> str:
    """Operations and other audit actions by name; form changes ("rule.edit") read as the list's name and the verb,
    "Rules: edit", both in the reader's language."""
    if code in OPERATIONS:
        return str(OPERATIONS[code].title)
    if code in OTHER_ACTIONS:
        return str(OTHER_ACTIONS[code])
    table, _, verb = code.partition(".")
    # Translators: shown after a list's name in the audit trail, e.g. "Posts: edit" (an edit made in a form).
    verbs = {"create": _l("create"), "edit": _l("edit"), "delete": _l("delete"), "export": _l("export")}
    view = list_views().get(table)
    return f"{view.name if view else table}: {verbs.get(verb, verb)}"


def nothing_to_do(selected: int) -> str:
    return ngettext(
        "The selected row is already in that state: nothing to change.",
        "None of the %(num)s selected rows would change: nothing to do.",
        selected,
    )


def one_at_a_time(at_most: int) -> str:
    return ngettext(
        "This action works on one row at a time: tick a single row.",
        "This action works on at most %(num)s rows at a time: tick fewer.",
        at_most,
    )


def rule_invalid(code: str) -> str:
    """Why a rule's text cannot be a rule (admin_app.services.rules.Invalid)."""
    from admin_app.services.rules import MAX_TEXT, MIN_LETTERS

    return {
        "empty": gettext("Write the word, phrase or domain the rule looks for."),
        "too-long": gettext("At most %(max)s characters.", max=format_number(MAX_TEXT)),
        "too-short": gettext(
            "Write at least %(min)s letters in a row: anything shorter would match too much.", min=MIN_LETTERS
        ),
        "one-word": gettext("A word rule looks for one word: for several, choose “Phrase”."),
        "domain": gettext("Write a domain such as spam.example, or paste a link to it."),
    }.get(code, gettext("Write the word, phrase or domain the rule looks for."))


def rule_effect(action: str, reason: str) -> str:
    """What applying a rule does to the comments it matches, in one sentence."""
    if action == "hold":
        return gettext(
            "They will be hidden and wait in the review queue, with the reason “%(reason)s”, until a moderator "
            "approves or disables each.",
            reason=reason_label(reason),
        )
    return gettext("They will be disabled with the reason “%(reason)s”.", reason=reason_label(reason))


def undone(restored: int, skipped: int) -> str:
    text = ngettext("Undone: %(num)s row restored.", "Undone: %(num)s rows restored.", restored)
    if skipped:
        text += " " + ngettext(
            "%(num)s row was left as it is because it changed since.",
            "%(num)s rows were left as they are because they changed since.",
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
        "self-suspend": gettext("You cannot suspend your own account."),
        "outranks": gettext(
            "You cannot suspend or deactivate someone who holds permissions you do not: nothing was changed."
        ),
        "unknown-duration": gettext("Choose how long."),
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
