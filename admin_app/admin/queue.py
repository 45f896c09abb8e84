"""QueueView: the review queue page, a moderator's claimed batch of unreviewed comments and its decisions."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import NoReturn

from flask import abort, current_app, flash, redirect, request, url_for
from flask_admin import expose
from flask_babel import format_datetime, format_number, format_time, gettext
from flask_security import current_user
from sqlalchemy import literal, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import joinedload
from werkzeug.wrappers import Response

from admin_app import permissions as perm
from admin_app.admin import counting, formatters
from admin_app.admin.access import Secured, requires
from admin_app.admin.base import parse_ids
from admin_app.admin.moderation_text import reason_label
from admin_app.extensions import db
from admin_app.i18n import ngettext
from admin_app.models import Comment, Rule
from admin_app.services import queue, rules
from admin_app.services.audit import Actor

log = logging.getLogger(__name__)

NOTE_MAX = 2000


@dataclass(frozen=True)
class QueueRow:
    """One comment as the queue page shows it."""

    id: int
    author: str
    author_id: int
    post: str
    post_id: int
    body: str
    posted: str
    disabled: bool  # in the queue: held (hidden until a moderator decides)
    caught_by: list[str]  # the rules that caught it, by their text


def queue_row(comment: Comment, caught_by: list[Rule]) -> QueueRow:
    author = str(comment.author)  # never the e-mail: moderators may lack personal-data-read
    return QueueRow(
        id=comment.id,
        author=author,
        author_id=comment.author_id,
        post=formatters.shorten(comment.post.body, 80),
        post_id=comment.post_id,
        body=comment.body,
        posted=format_datetime(comment.timestamp, "medium"),
        disabled=comment.disabled,
        caught_by=[rule.text for rule in caught_by],
    )


def batch_size() -> int:
    return int(current_app.config["QUEUE_BATCH_SIZE"])


def claim_ttl() -> timedelta:
    return timedelta(minutes=current_app.config["QUEUE_CLAIM_MINUTES"])


def current_actor() -> Actor:
    return Actor(current_user.id, current_user.email, request.remote_addr)


def refuse(message: str) -> NoReturn:
    """A request no page of ours sends: say what was wrong, answer 400, change nothing. The message is the error
    page's own (views.error_page), not a flash beside its generic "could not be understood"."""
    abort(400, message)


def posted_ids() -> list[int]:
    """The ticked comment ids; anything a browser would not send from the page is refused with 400."""
    values = request.form.getlist("id")
    parsed = parse_ids(values)
    ids = list(dict.fromkeys(parsed))
    if len(parsed) != len(values) or len(ids) > batch_size():
        refuse(gettext("The selection could not be read. Reload the queue and try again."))
    return ids


class QueueView(Secured):
    permissions = {"read": perm.COMMENT_MODERATE, "review": perm.COMMENT_MODERATE}

    @expose("/")
    @requires("read")
    def index(self) -> str:
        ids = queue.claim_batch(current_user.id, batch_size(), claim_ttl())
        db.session.commit()
        comments = db.session.scalars(
            select(Comment)
            .options(joinedload(Comment.author), joinedload(Comment.post))
            .where(Comment.id.in_(ids))
            .order_by(Comment.timestamp, Comment.id)
        ).all()
        held_until = min((c.claimed_until for c in comments if c.claimed_until), default=None)
        caught = rules.caught_by([comment.id for comment in comments])
        return self.render(
            "admin/queue.html",
            rows=[queue_row(comment, caught.get(comment.id, [])) for comment in comments],
            summary=self.summary(len(comments)),
            held_until=format_time(held_until, "short") if held_until else None,
            reasons=[(code, reason_label(code)) for code in current_app.config["MODERATION_REASONS"]],
            note_max=NOTE_MAX,
        )

    def summary(self, in_batch: int) -> str:
        # Counted as the dashboard's "Waiting for review" is (admin/counting.py): exact when cheap, else estimated.
        waiting = counting.count(db.session, select(literal(1)).where(queue.unreviewed()))
        count = format_number(waiting)
        if isinstance(waiting, counting.ApproximateCount):
            return ngettext(
                "About %(num)s comment is waiting for review.",
                "About %(num)s comments are waiting for review.",
                waiting,
            )
        if not waiting:
            return gettext("Nothing to review: every comment has been reviewed.")
        if not in_batch:
            return ngettext(
                "%(count)s comment is waiting for review, and another moderator is on it.",
                "%(count)s comments are waiting for review, and other moderators are on them.",
                waiting,
                count=count,
            )
        return ngettext(
            "%(count)s comment is waiting for review.",
            "%(count)s comments are waiting for review.",
            waiting,
            count=count,
        )

    @expose("/approve/", methods=("POST",))
    @requires("review")
    def approve_view(self) -> Response:
        ids = posted_ids()
        if not ids:
            return self.back(gettext("Select at least one comment first."), "warning")
        return self.decide(ids, lambda mine: queue.approve(mine, current_actor()), approved_message)

    @expose("/disable/", methods=("POST",))
    @requires("review")
    def disable_view(self) -> Response:
        ids = posted_ids()
        reason = request.form.get("reason", "")
        note = request.form.get("note", "").strip()
        if reason and reason not in current_app.config["MODERATION_REASONS"]:
            refuse(gettext("Unknown reason. Choose one of the reasons offered."))
        if len(note) > NOTE_MAX:
            refuse(gettext("The note is too long (at most %(num)s characters).", num=NOTE_MAX))
        if not ids:
            return self.back(gettext("Select at least one comment first."), "warning")
        if not reason:
            return self.back(gettext("Choose a reason to disable comments."), "warning")
        return self.decide(
            ids, lambda mine: queue.disable(mine, current_actor(), reason, note or None), disabled_message
        )

    @expose("/skip/", methods=("POST",))
    @requires("review")
    def skip_view(self) -> Response:
        released = queue.skip_batch(current_user.id, batch_size(), claim_ttl())
        db.session.commit()
        return self.back(
            ngettext(
                "%(num)s comment skipped: it went back to the queue for someone else.",
                "%(num)s comments skipped: they went back to the queue for someone else.",
                released,
            ),
            "info",
        )

    @expose("/release/", methods=("POST",))
    @requires("review")
    def release_view(self) -> Response:
        released = queue.release(current_user.id)
        db.session.commit()
        flash(
            ngettext(
                "%(num)s comment released back to the queue.", "%(num)s comments released back to the queue.", released
            ),
            "info",
        )
        return redirect(url_for("admin.index"))

    def decide(self, ids: list[int], apply: Callable[[list[int]], int], message: Callable[[int], str]) -> Response:
        """Apply one decision to the ticked comments the moderator still holds; the others stay untouched."""
        try:
            done = apply(ids)
            db.session.commit()
        except SQLAlchemyError:
            db.session.rollback()
            log.exception("review queue decision failed")
            return self.back(gettext("The operation failed and nothing was changed. Please try again."), "error")
        if not done:
            return self.back(not_yours_message(len(ids)), "error")
        flash(message(done), "success")
        if done < len(ids):
            flash(not_yours_message(len(ids) - done), "warning")
        return redirect(self.get_url(".index"))

    def back(self, message: str, category: str) -> Response:
        flash(message, category)
        return redirect(self.get_url(".index"))


def approved_message(count: int) -> str:
    return ngettext("%(num)s comment approved.", "%(num)s comments approved.", count)


def disabled_message(count: int) -> str:
    return ngettext("%(num)s comment disabled.", "%(num)s comments disabled.", count)


def not_yours_message(count: int) -> str:
    return ngettext(
        "%(num)s selected comment is no longer in your batch (your claim expired, or it was already reviewed): "
        "it was left as it is.",
        "%(num)s selected comments are no longer in your batch (your claim expired, or they were already "
        "reviewed): they were left as they are.",
        count,
    )
