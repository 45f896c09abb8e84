"""Suspensions on each database: suspending, expiry on a controllable clock, lifting, undo, suspending with the
member's comments, and the guardrails."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask import Flask

from admin_app.extensions import db
from admin_app.models import AuditEntry, Comment, Suspension, User
from admin_app.services import sanctions
from admin_app.services.audit import Actor
from admin_app.services.change import Order
from admin_app.services.operations import OPERATIONS, undo_entry
from admin_app.services.user import Refused
from tests.factories import CommentFactory, UserFactory

SUSPEND, WITH_COMMENTS = OPERATIONS["user.suspend"], OPERATIONS["user.suspend_and_disable"]
LIFT, DEACTIVATE = OPERATIONS["user.lift_suspension"], OPERATIONS["user.deactivate"]
WINDOW = timedelta(hours=24)


def actor(user: User) -> Actor:
    return Actor(user.id, user.email, "203.0.113.9")


def order(by: User, duration: str = "7d", reason: str = "spam", note: str | None = None) -> Order:
    return Order(actor(by), reason=reason, note=note, choices={"duration": duration})


def fresh(user: User) -> User:
    db.session.expire_all()
    found = db.session.get(User, user.id)
    assert found is not None
    return found


@pytest.fixture
def moderator(app: Flask) -> User:
    return UserFactory(roles=["moderator"])


def test_a_suspension_keeps_the_member_out_for_its_time_and_ends_by_itself(app: Flask, moderator: User) -> None:
    member = UserFactory()
    uniquifier = member.fs_uniquifier
    outcome = SUSPEND.apply(SUSPEND, [member.id], order(moderator, "7d", note="three spam waves"))
    db.session.commit()

    assert outcome.changed == 1
    suspended = fresh(member)
    assert not suspended.active and suspended.fs_uniquifier != uniquifier  # out, and every session ended
    suspension = db.session.scalars(sa.select(Suspension)).one()
    entry = db.session.get(AuditEntry, outcome.entry_id)
    assert (suspension.reason, suspension.note, suspension.created_by_id, suspension.entry_id) == (
        "spam", "three spam waves", moderator.id, entry.id,
    )  # fmt: skip
    assert suspension.ends_at == entry.created_at + timedelta(days=7)
    assert sanctions.open_suspension(member.id) == suspension

    assert sanctions.lift_expired(now=suspension.ends_at - timedelta(seconds=1)) == 0  # a second early
    db.session.commit()
    assert not fresh(member).active
    assert sanctions.lift_expired(now=suspension.ends_at) == 1
    db.session.commit()
    assert fresh(member).active
    db.session.expire_all()
    ended = db.session.get(Suspension, suspension.id)
    assert (ended.lifted_at, ended.lifted_by_id) == (suspension.ends_at, None)
    expiry = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == sanctions.EXPIRED)).one()
    assert (expiry.actor_id, expiry.row_count) == (None, 1)
    assert sanctions.lift_expired(now=suspension.ends_at + timedelta(days=1)) == 0  # once


def test_until_lifted_never_ends_by_itself_and_lifting_lets_the_member_back(app: Flask, moderator: User) -> None:
    member = UserFactory()
    SUSPEND.apply(SUSPEND, [member.id], order(moderator, "lifted"))
    db.session.commit()
    assert sanctions.lift_expired(now=sanctions.utcnow() + timedelta(days=3650)) == 0
    assert LIFT.count(LIFT, [member.id]).changing == 1
    outcome = LIFT.apply(LIFT, [member.id], Order(actor(moderator), reason="other"))
    db.session.commit()
    assert outcome.changed == 1 and fresh(member).active
    assert db.session.scalars(sa.select(Suspension)).one().lifted_by_id == moderator.id
    assert LIFT.count(LIFT, [member.id]).changing == 0


def test_only_active_members_are_suspended(app: Flask, moderator: User) -> None:
    active, already = UserFactory(), UserFactory()
    SUSPEND.apply(SUSPEND, [already.id], order(moderator))
    db.session.commit()
    assert SUSPEND.count(SUSPEND, [active.id, already.id]).changing == 1
    outcome = SUSPEND.apply(SUSPEND, [active.id, already.id], order(moderator, "30d"))
    db.session.commit()
    assert outcome.changed == 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Suspension)) == 2


def test_undo_lifts_the_suspension(app: Flask, moderator: User) -> None:
    member = UserFactory()
    outcome = SUSPEND.apply(SUSPEND, [member.id], order(moderator))
    db.session.commit()
    undone = undo_entry(outcome.entry_id, actor(moderator), window=WINDOW, may_undo_others=False, table="users")
    db.session.commit()
    assert (undone.changed, undone.skipped) == (1, 0)
    assert fresh(member).active
    assert db.session.scalars(sa.select(Suspension)).one().lifted_by_id == moderator.id


def test_suspend_and_disable_is_one_operation_undone_as_one(app: Flask, moderator: User) -> None:
    member, other = UserFactory(), UserFactory()
    theirs = CommentFactory.create_batch(3, author=member)
    kept = CommentFactory(author=other)
    outcome = WITH_COMMENTS.apply(WITH_COMMENTS, [member.id], order(moderator))
    db.session.commit()
    db.session.expire_all()
    assert not fresh(member).active
    assert all(db.session.get(Comment, c.id).disabled for c in theirs)
    assert not db.session.get(Comment, kept.id).disabled
    entry = db.session.get(AuditEntry, outcome.entry_id)
    comments_entry = db.session.get(AuditEntry, entry.details["comments_entry"])
    assert (comments_entry.action, comments_entry.row_count) == ("comment.disable", 3)

    undo_entry(outcome.entry_id, actor(moderator), window=WINDOW, may_undo_others=False, table="users")
    db.session.commit()
    db.session.expire_all()
    assert fresh(member).active
    assert not any(db.session.get(Comment, c.id).disabled for c in theirs)


def test_nobody_suspends_themselves_or_someone_who_outranks_them(app: Flask, moderator: User) -> None:
    admin = UserFactory(roles=["admin"])
    UserFactory(roles=["admin"])  # another remains: only the rank is in the way
    with pytest.raises(Refused) as refused:
        SUSPEND.apply(SUSPEND, [moderator.id], order(moderator))
    assert refused.value.code == "self-suspend"
    with pytest.raises(Refused) as refused:
        WITH_COMMENTS.apply(WITH_COMMENTS, [UserFactory().id, admin.id], order(moderator))
    assert refused.value.code == "outranks"
    db.session.rollback()
    assert fresh(admin).active
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)) == 0
    with pytest.raises(Refused) as refused:
        SUSPEND.apply(SUSPEND, [UserFactory().id], order(moderator, "forever"))
    assert refused.value.code == "unknown-duration"


def test_nobody_suspends_the_last_active_role_assigner(app: Flask, moderator: User) -> None:
    admin = UserFactory(roles=["admin"])
    UserFactory(roles=["admin"], active=False)  # an inactive admin does not count
    with pytest.raises(Refused) as refused:
        SUSPEND.apply(SUSPEND, [admin.id], order(moderator))
    assert refused.value.code == "last-admin"
    assert fresh(admin).active


def test_a_deactivation_outlasts_the_suspension_it_supersedes(app: Flask, moderator: User) -> None:
    admin, member = UserFactory(roles=["admin"]), UserFactory()
    outcome = SUSPEND.apply(SUSPEND, [member.id], order(moderator, "1d"))
    db.session.commit()
    assert DEACTIVATE.count(DEACTIVATE, [member.id]).changing == 1  # suspended is not yet deactivated
    DEACTIVATE.apply(DEACTIVATE, [member.id], Order(actor(admin), reason="abuse"))
    db.session.commit()
    assert sanctions.lift_expired(now=sanctions.utcnow() + timedelta(days=2)) == 0
    db.session.commit()
    assert not fresh(member).active
    # And undoing the suspension now changes nothing: it was superseded.
    undone = undo_entry(outcome.entry_id, actor(moderator), window=WINDOW, may_undo_others=False, table="users")
    assert (undone.changed, undone.skipped) == (0, 1)
    assert not fresh(member).active


def test_deactivating_someone_who_outranks_one_is_refused(app: Flask) -> None:
    # A role that manages users but cannot read personal data, against an administrator.
    from admin_app.models import Role

    db.session.add(Role(name="account-keeper", permissions=["user-manage", "user-read", "role-assign"]))
    db.session.commit()
    keeper, admin = UserFactory(roles=["account-keeper"]), UserFactory(roles=["admin"])
    with pytest.raises(Refused) as refused:
        DEACTIVATE.apply(DEACTIVATE, [admin.id], Order(actor(keeper), reason="abuse"))
    assert refused.value.code == "outranks"
