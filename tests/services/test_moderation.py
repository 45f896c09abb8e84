"""Moderation service: set-based, audited, atomic, undoable, on each database."""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from admin_app.extensions import db
from admin_app.models import AuditEntry, AuditRow, Comment, Post
from admin_app.services.audit import Actor
from admin_app.services.change import Tally
from admin_app.services.moderation import UndoRefused, moderate, tally, undo
from admin_app.services.operations import OPERATIONS
from tests.conftest import count_statements
from tests.factories import CommentFactory, PostFactory, UserFactory

DISABLE, ENABLE = OPERATIONS["comment.disable"], OPERATIONS["comment.enable"]
WINDOW = timedelta(hours=24)


@pytest.fixture
def moderator(app: Flask) -> Actor:
    user = UserFactory(roles=["moderator"])
    return Actor(user.id, user.email, "203.0.113.7")


def states() -> dict[int, bool]:
    db.session.expire_all()
    return dict(db.session.execute(sa.select(Comment.id, Comment.disabled)).all())


def test_disable_changes_only_rows_that_change_and_audits_them(app: Flask, moderator: Actor) -> None:
    visible, already = CommentFactory(), CommentFactory(disabled=True)
    untouched = CommentFactory()
    assert tally(DISABLE, [visible.id, already.id]) == Tally(selected=2, changing=1)

    outcome = moderate(DISABLE, [visible.id, already.id], moderator, "spam", "wave from three accounts")
    db.session.commit()

    assert outcome.changed == 1
    assert states() == {visible.id: True, already.id: True, untouched.id: False}
    comment = db.session.get(Comment, visible.id)
    assert comment is not None
    assert (comment.moderated_by_id, comment.moderation_reason, comment.moderation_note) == (
        moderator.user_id,
        "spam",
        "wave from three accounts",
    )
    entry = db.session.get(AuditEntry, outcome.entry_id)
    assert entry is not None
    assert (entry.action, entry.target, entry.reason, entry.row_count, entry.remote_addr) == (
        "comment.disable",
        "comments",
        "spam",
        1,
        "203.0.113.7",
    )
    rows = db.session.scalars(sa.select(AuditRow).where(AuditRow.entry_id == entry.id)).all()
    assert [(row.row_id, row.flag_before, row.reason_before) for row in rows] == [(visible.id, False, None)]


def test_select_all_matching_takes_a_query_and_any_number_of_rows(app: Flask, moderator: Actor) -> None:
    spammer = UserFactory()
    spam = [CommentFactory(author=spammer) for _ in range(12)]
    other = CommentFactory()
    matching = sa.select(Comment.id).where(Comment.author_id == spammer.id)

    outcome = moderate(DISABLE, matching, moderator, "spam")
    db.session.commit()

    assert outcome.changed == 12
    assert states() == {**{comment.id: True for comment in spam}, other.id: False}


def test_statement_count_does_not_grow_with_rows(app: Flask, moderator: Actor) -> None:
    few, many = UserFactory(), UserFactory()
    post = PostFactory()
    CommentFactory.create_batch(3, author=few, post=post)
    CommentFactory.create_batch(60, author=many, post=post)

    def disable_all_of(user_id: int) -> Any:
        return lambda: moderate(DISABLE, sa.select(Comment.id).where(Comment.author_id == user_id), moderator, "spam")

    assert count_statements(disable_all_of(few.id)) == count_statements(disable_all_of(many.id))


def test_ticked_ids_go_in_fixed_chunks(app: Flask, moderator: Actor, monkeypatch: pytest.MonkeyPatch) -> None:
    from admin_app.services import moderation

    monkeypatch.setattr(moderation, "CHUNK", 4)
    comments = CommentFactory.create_batch(10)
    ids = [comment.id for comment in comments]

    statements = count_statements(lambda: moderate(DISABLE, ids, moderator, "spam"))

    assert states() == {comment_id: True for comment_id in ids}
    # The entry, three chunks, one COUNT; each chunk one statement on PostgreSQL (WITH ... UPDATE ... RETURNING
    # INSERT INTO audit_rows), its recorded rows then its UPDATE elsewhere.
    per_chunk = 1 if db.engine.dialect.name == "postgresql" else 2
    assert statements == 1 + 3 * per_chunk + 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditRow)) == 10


@pytest.mark.postgresql_only
def test_a_row_another_transaction_changes_meanwhile_is_neither_changed_nor_recorded(
    app: Flask, moderator: Actor
) -> None:
    """The one-statement write reads the rows' state, then changes only rows still in it: a row another
    transaction changes (and commits) while the UPDATE waits for it keeps that change, and gets no audit row."""
    kept, taken = CommentFactory(), CommentFactory()
    kept_id, taken_id = kept.id, taken.id
    db.session.commit()
    other = db.engine.connect()
    other.execute(sa.update(Comment).where(Comment.id == taken_id).values(moderation_note="by someone else"))
    outcomes: list[Any] = []

    def moderate_meanwhile() -> None:
        with app.app_context():
            outcomes.append(moderate(DISABLE, [kept_id, taken_id], moderator, "spam"))
            db.session.commit()

    thread = threading.Thread(target=moderate_meanwhile)
    thread.start()
    time.sleep(0.5)  # the UPDATE now waits for the other transaction's row lock
    other.commit()
    other.close()
    thread.join(timeout=10)

    assert [outcome.changed for outcome in outcomes] == [1]
    assert states() == {kept_id: True, taken_id: False}
    assert db.session.get(Comment, taken_id).moderation_note == "by someone else"
    assert list(db.session.scalars(sa.select(AuditRow.row_id))) == [kept_id]


def test_a_failure_half_way_leaves_nothing_changed(app: Flask, moderator: Actor) -> None:
    comments = CommentFactory.create_batch(5)
    before = states()

    def fail_on_update(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if "UPDATE COMMENTS" in statement.upper():  # (on PostgreSQL, inside the statement's WITH)
            raise RuntimeError("injected failure")

    sa.event.listen(db.engine, "before_cursor_execute", fail_on_update)
    try:
        with pytest.raises(RuntimeError, match="injected failure"):
            moderate(DISABLE, [comment.id for comment in comments], moderator, "spam")
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", fail_on_update)
    db.session.rollback()

    assert states() == before
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditRow)) == 0


def test_undo_restores_rows_still_as_left_and_skips_the_others(app: Flask, moderator: Actor) -> None:
    first, second, third = CommentFactory(), CommentFactory(), CommentFactory(disabled=True, moderation_reason="abuse")
    done = moderate(DISABLE, [first.id, second.id, third.id], moderator, "spam")
    db.session.commit()
    other = UserFactory(roles=["moderator"])
    moderate(ENABLE, [second.id], Actor(other.id, other.email, None), "other")  # someone changed it since
    db.session.commit()

    outcome = undo(done.entry_id, moderator, window=WINDOW, may_undo_others=False)
    db.session.commit()

    assert (outcome.changed, outcome.skipped) == (1, 1)
    assert states() == {first.id: False, second.id: False, third.id: True}
    restored = db.session.get(Comment, first.id)
    assert restored is not None and restored.moderated_by_id is None and restored.moderation_reason is None
    entry = db.session.get(AuditEntry, outcome.entry_id)
    assert entry is not None and entry.action == "undo" and entry.undo_of_id == done.entry_id
    assert entry.row_count == 1


def test_undo_refusals(app: Flask, moderator: Actor) -> None:
    comment = CommentFactory()
    done = moderate(DISABLE, [comment.id], moderator, "spam")
    deleted = moderate(OPERATIONS["comment.delete"], [CommentFactory().id], moderator, "spam")
    db.session.commit()
    stranger = Actor(UserFactory(roles=["moderator"]).id, "x@example.org", None)

    for entry_id, actor, window, code in [
        (deleted.entry_id, moderator, WINDOW, "not-undoable"),
        (done.entry_id, stranger, WINDOW, "not-yours"),
        (done.entry_id, moderator, timedelta(0), "too-old"),
        (999_999, moderator, WINDOW, "not-undoable"),
    ]:
        with pytest.raises(UndoRefused) as refused:
            undo(entry_id, actor, window=window, may_undo_others=False)
        assert refused.value.code == code
        db.session.rollback()

    undo(done.entry_id, stranger, window=WINDOW, may_undo_others=True)  # an admin may
    db.session.commit()
    with pytest.raises(UndoRefused) as refused:
        undo(done.entry_id, moderator, window=WINDOW, may_undo_others=False)
    assert refused.value.code == "already-undone"


def test_hide_posts_and_delete_comments(app: Flask, moderator: Actor) -> None:
    post = PostFactory()
    comment = CommentFactory(post=post)
    assert moderate(OPERATIONS["post.hide"], [post.id], moderator, "abuse").changed == 1
    assert moderate(OPERATIONS["comment.delete"], [comment.id], moderator, "spam").changed == 1
    db.session.commit()
    db.session.expire_all()
    hidden = db.session.get(Post, post.id)
    assert hidden is not None and hidden.hidden and hidden.moderation_reason == "abuse"
    assert db.session.get(Comment, comment.id) is None


# The append-only trigger is PostgreSQL's; on SQLite only the admin view refuses changes.
@pytest.mark.postgresql_only
def test_the_database_refuses_to_change_the_audit_trail(app: Flask, moderator: Actor) -> None:
    moderate(DISABLE, [CommentFactory().id], moderator, "spam")
    db.session.commit()
    for statement in (
        "UPDATE audit_entries SET note = 'x'",
        "DELETE FROM audit_rows",
        "TRUNCATE audit_entries CASCADE",
    ):
        with pytest.raises(sa.exc.DBAPIError, match="append-only"):
            db.session.execute(sa.text(statement))
        db.session.rollback()


# SQLite serialises writers: two concurrent writers need PostgreSQL's row locks.
@pytest.mark.postgresql_only
def test_concurrent_operations_on_overlapping_rows_end_consistent(app: Flask, moderator: Actor) -> None:
    comments = CommentFactory.create_batch(30)
    ids = [comment.id for comment in comments]
    first_holds_locks = threading.Event()
    results: dict[str, Any] = {}

    def first() -> None:
        with app.app_context():
            results["first"] = moderate(DISABLE, ids[:20], moderator, "spam")
            first_holds_locks.set()
            threading.Event().wait(0.5)  # the second operation is now waiting on our row locks
            db.session.commit()

    def second() -> None:
        first_holds_locks.wait(5)
        with app.app_context():
            results["second"] = moderate(DISABLE, ids[10:], moderator, "abuse")
            db.session.commit()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)

    assert results["first"].changed == 20 and results["second"].changed == 10
    assert states() == {comment_id: True for comment_id in ids}
    reasons = dict(db.session.execute(sa.select(Comment.id, Comment.moderation_reason)).all())
    assert {reasons[i] for i in ids[:20]} == {"spam"} and {reasons[i] for i in ids[20:]} == {"abuse"}
    recorded = db.session.scalars(sa.select(AuditRow.row_id)).all()
    assert sorted(recorded) == sorted(ids)  # every row audited once, by the operation that changed it


def test_a_decision_takes_comments_out_of_the_review_queue_and_undo_puts_them_back(
    app: Flask, moderator: Actor
) -> None:
    waiting = CommentFactory()
    assert waiting.reviewed_at is None
    done = moderate(DISABLE, [waiting.id], moderator, "spam")
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Comment, waiting.id).reviewed_at is not None  # type: ignore[union-attr]

    undo(done.entry_id, moderator, window=WINDOW, may_undo_others=False)
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Comment, waiting.id).reviewed_at is None  # type: ignore[union-attr]


def test_a_watched_operation_reports_progress_chunk_by_chunk_and_in_total(
    app: Flask, moderator: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A job's progress bar: each chunk of ids reports the rows it changed; the reports add up to the result."""
    from admin_app.services import moderation

    monkeypatch.setattr(moderation, "CHUNK", 5)  # the selection read once, then in chunks of 5 ids
    CommentFactory.create_batch(30)
    reported: list[int] = []
    everyone = sa.select(Comment.id)

    outcome = moderate(DISABLE, everyone, moderator, "spam", progress=reported.append)
    restored = undo(outcome.entry_id, moderator, window=WINDOW, may_undo_others=False, progress=reported.append)

    assert len(reported) > 2 and sum(reported) == 60, reported
    assert outcome.changed == restored.changed == 30


def test_a_tally_counts_the_selection_and_what_would_change_in_one_statement(app: Flask) -> None:
    """The confirmation page's numbers, for ticked ids and for a selection, each operation's way."""
    enabled = CommentFactory.create_batch(3, body="cheap watches")
    disabled = CommentFactory.create_batch(2, body="cheap watches", disabled=True)
    CommentFactory(body="unrelated")
    matching = sa.select(Comment.id).where(Comment.body.like("%watches%"))
    ticked = [row.id for row in enabled[:1] + disabled]
    delete = OPERATIONS["comment.delete"]
    assert tally(DISABLE, matching) == Tally(5, 3) and tally(DISABLE, ticked) == Tally(3, 1)
    assert tally(ENABLE, matching) == Tally(5, 2) and tally(ENABLE, ticked) == Tally(3, 2)
    assert tally(delete, matching) == Tally(5, 5) and tally(delete, []) == Tally(0, 0)
    assert count_statements(lambda: tally(DISABLE, matching)) == 1
