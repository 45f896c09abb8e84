"""Review queue service: claims oldest first, disjoint batches, expiry, audited decisions, on each database."""

from __future__ import annotations

import random
import threading
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from admin_app.database import utcnow
from admin_app.extensions import db
from admin_app.models import AuditEntry, AuditRow, Comment, User
from admin_app.services import queue
from admin_app.services.audit import Actor
from admin_app.services.moderation import moderate
from admin_app.services.operations import OPERATIONS
from tests.conftest import count_statements
from tests.factories import CommentFactory, UserFactory

TTL = timedelta(minutes=5)
SOURCE = {"source": "queue"}


@pytest.fixture
def moderators(app: Flask) -> list[User]:
    return [UserFactory(roles=["moderator"]) for _ in range(2)]


def actor(user: User) -> Actor:
    return Actor(user.id, user.email, "203.0.113.9")


def comments_by_age(count: int, **fields: Any) -> list[Comment]:
    """``count`` comments, oldest first, created in shuffled order so that ids do not follow age."""
    start = utcnow() - timedelta(days=1)
    ages = list(range(count))
    random.Random(count).shuffle(ages)
    created = {age: CommentFactory(timestamp=start + timedelta(minutes=age), **fields) for age in ages}
    return [created[age] for age in range(count)]


def ids(comments: list[Comment]) -> list[int]:
    return [comment.id for comment in comments]


def state() -> dict[int, tuple[Any, ...]]:
    db.session.expire_all()
    columns = (Comment.disabled, Comment.reviewed_at, Comment.claimed_by_id, Comment.moderation_reason)
    return {row[0]: tuple(row[1:]) for row in db.session.execute(sa.select(Comment.id, *columns))}


def test_a_batch_is_the_oldest_unreviewed_comments_oldest_first(app: Flask, moderators: list[User]) -> None:
    comments = comments_by_age(6)
    comments[0].reviewed_at = utcnow()  # the oldest was reviewed already
    db.session.commit()

    batch = queue.claim_batch(moderators[0].id, 3, TTL)
    db.session.commit()

    assert batch == ids(comments[1:4])
    claims = {comment_id: claim for comment_id, (_d, _r, claim, _m) in state().items()}
    assert claims == {**dict.fromkeys(ids(comments), None), **dict.fromkeys(batch, moderators[0].id)}


def test_reopening_the_queue_returns_the_same_batch_with_a_renewed_claim(app: Flask, moderators: list[User]) -> None:
    comments_by_age(5)
    first = queue.claim_batch(moderators[0].id, 3, TTL)
    db.session.execute(sa.update(Comment).values(claimed_until=utcnow() + timedelta(seconds=30)))
    db.session.commit()

    again = queue.claim_batch(moderators[0].id, 3, TTL)
    db.session.commit()

    assert again == first
    until = db.session.scalars(sa.select(Comment.claimed_until).where(Comment.id.in_(again))).all()
    assert min(until) > utcnow() + TTL - timedelta(minutes=1)


def test_a_second_moderator_gets_a_different_batch(app: Flask, moderators: list[User]) -> None:
    comments = comments_by_age(5)

    first = queue.claim_batch(moderators[0].id, 3, TTL)
    second = queue.claim_batch(moderators[1].id, 3, TTL)
    db.session.commit()

    assert first == ids(comments[:3])
    assert second == ids(comments[3:])


def test_expired_claims_can_be_claimed_by_someone_else(app: Flask, moderators: list[User]) -> None:
    comments = comments_by_age(2)
    queue.claim_batch(moderators[0].id, 2, TTL)
    db.session.execute(sa.update(Comment).where(Comment.id == comments[0].id).values(claimed_until=utcnow()))
    db.session.commit()

    assert queue.claim_batch(moderators[1].id, 2, TTL) == [comments[0].id]
    db.session.commit()
    # The first moderator keeps what is still theirs, and may no longer decide on what was taken over.
    assert queue.claim_batch(moderators[0].id, 2, TTL) == [comments[1].id]
    assert queue.approve(ids(comments), actor(moderators[0])) == 1
    db.session.commit()
    assert state()[comments[0].id][1:3] == (None, moderators[1].id)


def test_claiming_runs_the_same_statements_whatever_the_batch_size(app: Flask, moderators: list[User]) -> None:
    comments_by_age(40)
    first, second = (moderator.id for moderator in moderators)

    small = count_statements(lambda: queue.claim_batch(first, 3, TTL))
    large = count_statements(lambda: queue.claim_batch(second, 30, TTL))

    assert small == large == 2  # renew my claims, claim the oldest free ones


def test_approve_marks_reviewed_keeps_visible_and_audits(app: Flask, moderators: list[User]) -> None:
    comments = comments_by_age(3)
    batch = queue.claim_batch(moderators[0].id, 3, TTL)
    db.session.commit()

    approved = queue.approve(batch[:2], actor(moderators[0]))
    db.session.commit()

    assert approved == 2
    after = state()
    assert all(after[i][0] is False and after[i][1] is not None and after[i][2] is None for i in batch[:2])
    assert after[comments[2].id][1:3] == (None, moderators[0].id)  # not ticked: still waiting, still mine
    entry = db.session.scalars(sa.select(AuditEntry)).one()
    assert (entry.action, entry.actor_id, entry.row_count, entry.details) == (
        "comment.approve",
        moderators[0].id,
        2,
        SOURCE,
    )
    rows = db.session.execute(sa.select(AuditRow.row_id, AuditRow.flag_before)).all()
    assert sorted(rows) == sorted((comment_id, False) for comment_id in batch[:2])


def test_disable_goes_through_the_audited_operation_and_marks_reviewed(app: Flask, moderators: list[User]) -> None:
    comments = comments_by_age(2)
    batch = queue.claim_batch(moderators[0].id, 2, TTL)
    db.session.commit()

    disabled = queue.disable([batch[0]], actor(moderators[0]), "spam", "link farm")
    db.session.commit()

    assert disabled == 1
    comment = db.session.get(Comment, comments[0].id)
    assert comment is not None
    assert (comment.disabled, comment.moderation_reason, comment.moderation_note, comment.moderated_by_id) == (
        True,
        "spam",
        "link farm",
        moderators[0].id,
    )
    assert comment.reviewed_at is not None and comment.claimed_by_id is None
    entry = db.session.scalars(sa.select(AuditEntry)).one()
    assert (entry.action, entry.reason, entry.row_count, entry.details) == ("comment.disable", "spam", 1, SOURCE)
    assert state()[comments[1].id] == (False, None, moderators[0].id, None)


def test_ids_outside_the_moderators_claim_are_untouched(app: Flask, moderators: list[User]) -> None:
    mine, theirs, free, done = comments_by_age(4)
    queue.claim_batch(moderators[0].id, 1, TTL)
    queue.claim_batch(moderators[1].id, 1, TTL)
    done.reviewed_at = utcnow()
    db.session.commit()
    before = state()
    everything = [mine.id, theirs.id, free.id, done.id, 999_999]

    assert queue.disable(everything, actor(moderators[0]), "abuse") == 1
    db.session.commit()

    after = state()
    assert after[mine.id][0] is True
    assert {i: after[i] for i in everything[1:4]} == {i: before[i] for i in everything[1:4]}
    assert queue.approve([theirs.id, free.id, done.id], actor(moderators[0])) == 0
    db.session.commit()
    assert state() == after
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditRow)) == 1


def test_skip_hands_the_batch_back_and_claims_the_next(app: Flask, moderators: list[User]) -> None:
    comments = comments_by_age(5)
    first = queue.claim_batch(moderators[0].id, 2, TTL)
    db.session.commit()

    assert queue.skip_batch(moderators[0].id, 2, TTL) == 2
    db.session.commit()

    assert queue.claim_batch(moderators[0].id, 2, TTL) == ids(comments[2:4])
    assert queue.claim_batch(moderators[1].id, 2, TTL) == first  # back in the queue for someone else
    assert queue.release(moderators[0].id) == 2
    db.session.commit()
    assert queue.claim_batch(moderators[1].id, 5, TTL) == ids(comments)


# SQLite serialises writers: two concurrent claimers need PostgreSQL's row locks.
@pytest.mark.postgresql_only
def test_concurrent_claims_get_disjoint_batches_without_waiting(app: Flask, moderators: list[User]) -> None:
    comments = comments_by_age(10)
    holders = [moderators[0].id, moderators[1].id]
    first_claimed, second_done = threading.Event(), threading.Event()
    results: dict[str, Any] = {}

    def first() -> None:
        with app.app_context():
            results["first"] = queue.claim_batch(holders[0], 4, TTL)
            first_claimed.set()
            # SKIP LOCKED: the second claim does not wait for this transaction, which is still open.
            results["second_finished_meanwhile"] = second_done.wait(5)
            db.session.commit()

    def second() -> None:
        first_claimed.wait(5)
        with app.app_context():
            results["second"] = queue.claim_batch(holders[1], 4, TTL)
            db.session.commit()
            second_done.set()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(15)

    assert results["first"] == ids(comments[:4])
    assert results["second"] == ids(comments[4:8])
    assert results["second_finished_meanwhile"] is True
    claims = {comment_id: claim for comment_id, (_d, _r, claim, _m) in state().items()}
    assert {i for i, claim in claims.items() if claim == holders[0]} == set(results["first"])
    assert {i for i, claim in claims.items() if claim == holders[1]} == set(results["second"])


def test_approving_a_held_comment_shows_it_again(app: Flask, moderators: list[User]) -> None:
    held, visible = comments_by_age(2)
    moderate(OPERATIONS["comment.hold"], [held.id], actor(moderators[1]), "spam")
    db.session.commit()
    assert state()[held.id][:2] == (True, None)  # hidden, and waiting in the queue
    batch = queue.claim_batch(moderators[0].id, 2, TTL)
    assert set(batch) == {held.id, visible.id}
    queue.approve(batch, actor(moderators[0]))
    db.session.commit()
    after = state()
    assert after[held.id][0] is False and after[held.id][1] is not None and after[held.id][3] is None
    comment = db.session.get(Comment, held.id)
    assert comment.moderated_by_id == moderators[0].id
    rows = dict(db.session.execute(sa.select(AuditRow.row_id, AuditRow.flag_before).join(AuditEntry).where(
        AuditEntry.action == "comment.approve")).all())  # fmt: skip
    assert rows == {held.id: True, visible.id: False}  # what it was before, for the record
