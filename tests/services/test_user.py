"""Account service: role changes and deactivation with their guardrails, audited with before and after."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask import Flask

from admin_app.extensions import db
from admin_app.models import AuditEntry, Role, User
from admin_app.services.audit import Actor
from admin_app.services.user import Refused, change_roles, current_roles, set_active
from tests.factories import UserFactory


def actor(user: User) -> Actor:
    return Actor(user.id, user.email, "198.51.100.4")


def roles_of(*users: User) -> list[list[str]]:
    db.session.expire_all()
    found = current_roles([user.id for user in users])
    return [found[user.id] for user in users]


@pytest.fixture
def admin(app: Flask) -> User:
    return UserFactory(roles=["admin"])


def test_an_admin_promotes_three_users_in_one_audited_change(admin: User) -> None:
    members = UserFactory.create_batch(3, roles=["user"])

    outcome = change_roles([m.id for m in members], admin, actor(admin), add=["moderator"], reason="other")
    db.session.commit()

    assert outcome.changed == 3
    assert roles_of(*members) == [["moderator", "user"]] * 3
    entry = db.session.get(AuditEntry, outcome.entry_id)
    assert entry is not None and entry.action == "user.roles"
    assert entry.details["changes"][str(members[0].id)] == [["user"], ["moderator", "user"]]


def test_adding_a_role_twice_changes_nothing_and_writes_no_entry(admin: User) -> None:
    member = UserFactory(roles=["moderator"])
    assert change_roles([member.id], admin, actor(admin), add=["moderator"]).changed == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)) == 0


def test_nobody_hands_out_a_permission_they_do_not_hold(app: Flask) -> None:
    # A role that may assign roles but holds no moderation permission.
    db.session.add(Role(name="assigner", permissions=["role-assign", "user-read"]))
    db.session.commit()
    assigner = UserFactory(roles=["assigner"])
    member = UserFactory(roles=["user"])

    with pytest.raises(Refused) as refused:
        change_roles([member.id], assigner, actor(assigner), add=["moderator"])
    assert (refused.value.code, refused.value.role) == ("beyond-own", "moderator")
    with pytest.raises(Refused):
        change_roles([member.id], assigner, actor(assigner), add=["admin"])
    assert roles_of(member) == [["user"]]


def test_a_moderator_cannot_assign_roles_at_all(app: Flask) -> None:
    moderator = UserFactory(roles=["moderator"])
    member = UserFactory(roles=["user"])
    with pytest.raises(Refused):
        change_roles([member.id], moderator, actor(moderator), add=["user"])


def test_nobody_removes_their_own_role_assign(admin: User) -> None:
    UserFactory(roles=["admin"])  # another admin remains, so only the self-rule applies
    with pytest.raises(Refused) as refused:
        change_roles([admin.id], admin, actor(admin), remove=["admin"])
    assert refused.value.code == "own-role-assign"
    assert roles_of(admin) == [["admin"]]


def test_the_last_active_admin_cannot_be_demoted_or_deactivated(admin: User) -> None:
    other = UserFactory(roles=["admin"], active=False)  # an inactive admin does not count
    second = UserFactory(roles=["admin"])
    change_roles([second.id], admin, actor(admin), remove=["admin"])  # fine: admin remains
    db.session.commit()

    with pytest.raises(Refused) as refused:
        set_active([admin.id], False, second, actor(second))
    assert refused.value.code == "last-admin"
    assert roles_of(admin, other) == [["admin"], ["admin"]]


def test_deactivate_and_reactivate_users_audited(admin: User) -> None:
    members = UserFactory.create_batch(2)
    outcome = set_active([m.id for m in members], False, admin, actor(admin), reason="abuse")
    db.session.commit()
    assert outcome.changed == 2
    db.session.expire_all()
    assert [db.session.get(User, m.id).active for m in members] == [False, False]  # type: ignore[union-attr]
    assert set_active([m.id for m in members], True, admin, actor(admin)).changed == 2
    actions = db.session.scalars(sa.select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert actions == ["user.deactivate", "user.activate"]


def test_nobody_deactivates_themselves(admin: User) -> None:
    with pytest.raises(Refused) as refused:
        set_active([admin.id], False, admin, actor(admin))
    assert refused.value.code == "self-deactivate"


def test_unknown_roles_are_refused(admin: User) -> None:
    with pytest.raises(Refused) as refused:
        change_roles([admin.id], admin, actor(admin), add=["overlord"])
    assert (refused.value.code, refused.value.role) == ("unknown-role", "overlord")
