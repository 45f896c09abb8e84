"""Account service: role changes and deactivation with their guardrails, audited with before and after."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from admin_app.extensions import db
from admin_app.models import AuditEntry, AuditRow, Role, User, roles_users
from admin_app.services import seed
from admin_app.services.audit import Actor
from admin_app.services.change import Order, Outcome
from admin_app.services.operations import OPERATIONS
from admin_app.services.user import Refused
from tests.conftest import count_statements
from tests.factories import UserFactory, roles_of


def actor(user: User) -> Actor:
    return Actor(user.id, user.email, "198.51.100.4")


def run(name: str, users: Any, by: User, role: str | None = None, reason: str = "other") -> Outcome:
    """An account operation of the registry, as its list action runs it."""
    operation = OPERATIONS[name]
    return operation.apply(operation, users, Order(actor(by), reason=reason, choices={"role": role} if role else {}))


@pytest.fixture
def admin(app: Flask) -> User:
    return UserFactory(roles=["admin"])


def test_an_admin_promotes_three_users_in_one_audited_change(admin: User) -> None:
    members = UserFactory.create_batch(3, roles=["user"])

    outcome = run("user.add_role", [m.id for m in members], admin, "moderator", reason="other")
    db.session.commit()

    assert outcome.changed == 3
    assert roles_of(*members) == [["moderator", "user"]] * 3
    entry = db.session.get(AuditEntry, outcome.entry_id)
    assert entry is not None and (entry.action, entry.details) == ("user.add_role", {"role": "moderator"})
    rows = db.session.scalars(sa.select(AuditRow).where(AuditRow.entry_id == entry.id).order_by(AuditRow.row_id))
    assert [(row.row_id, row.flag_before, row.roles_before) for row in rows] == [(m.id, True, "user") for m in members]


def test_a_role_change_over_a_hundred_thousand_selected_users_is_one_set_of_statements(admin: User) -> None:
    """The selection stays a subquery: no list of ids (PostgreSQL allows 65,535 parameters a statement)."""
    added = seed.fill(100_000, 0, 0, seed=7)
    db.session.commit()
    assert added["users"] == 100_000
    everyone_but_me = sa.select(User.id).where(User.id != admin.id)

    statements = count_statements(lambda: run("user.add_role", everyone_but_me, admin, "moderator"))
    db.session.commit()

    moderators = sa.select(sa.func.count()).select_from(roles_users).join(Role).where(Role.name == "moderator")
    assert db.session.scalar(moderators) == 100_000
    entry = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "user.add_role")).one()
    assert entry.row_count == 100_000
    assert statements <= 12
    outcome = run("user.deactivate", everyone_but_me, admin, reason="abuse")
    db.session.commit()
    assert outcome.changed == 100_000
    assert db.session.scalar(sa.select(sa.func.count()).where(User.active)) == 1


def test_adding_a_role_twice_changes_nothing_and_writes_no_entry(admin: User) -> None:
    member = UserFactory(roles=["moderator"])
    assert run("user.add_role", [member.id], admin, "moderator").changed == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)) == 0


def test_nobody_hands_out_a_permission_they_do_not_hold(app: Flask) -> None:
    # A role that may assign roles but holds no moderation permission.
    db.session.add(Role(name="assigner", permissions=["role-assign", "user-read"]))
    db.session.commit()
    assigner = UserFactory(roles=["assigner"])
    member = UserFactory(roles=["user"])

    with pytest.raises(Refused) as refused:
        run("user.add_role", [member.id], assigner, "moderator")
    assert (refused.value.code, refused.value.role) == ("beyond-own", "moderator")
    with pytest.raises(Refused):
        run("user.add_role", [member.id], assigner, "admin")
    assert roles_of(member) == [["user"]]


def test_a_moderator_cannot_assign_roles_at_all(app: Flask) -> None:
    moderator = UserFactory(roles=["moderator"])
    member = UserFactory(roles=["user"])
    with pytest.raises(Refused):
        run("user.add_role", [member.id], moderator, "user")


def test_nobody_removes_their_own_role_assign(admin: User) -> None:
    UserFactory(roles=["admin"])  # another admin remains, so only the self-rule applies
    with pytest.raises(Refused) as refused:
        run("user.remove_role", [admin.id], admin, "admin")
    assert refused.value.code == "own-role-assign"
    assert roles_of(admin) == [["admin"]]


def test_the_last_active_admin_cannot_be_demoted_or_deactivated(admin: User) -> None:
    other = UserFactory(roles=["admin"], active=False)  # an inactive admin does not count
    second = UserFactory(roles=["admin"])
    run("user.remove_role", [second.id], admin, "admin")  # fine: admin remains
    db.session.commit()

    with pytest.raises(Refused) as refused:
        run("user.deactivate", [admin.id], second)
    assert refused.value.code == "last-admin"
    assert roles_of(admin, other) == [["admin"], ["admin"]]


def test_deactivate_and_reactivate_users_audited(admin: User) -> None:
    members = UserFactory.create_batch(2)
    outcome = run("user.deactivate", [m.id for m in members], admin, reason="abuse")
    db.session.commit()
    assert outcome.changed == 2
    db.session.expire_all()
    assert [db.session.get(User, m.id).active for m in members] == [False, False]  # type: ignore[union-attr]
    assert run("user.activate", [m.id for m in members], admin).changed == 2
    actions = db.session.scalars(sa.select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert actions == ["user.deactivate", "user.activate"]


def test_nobody_deactivates_themselves(admin: User) -> None:
    with pytest.raises(Refused) as refused:
        run("user.deactivate", [admin.id], admin)
    assert refused.value.code == "self-deactivate"


def test_unknown_roles_are_refused(admin: User) -> None:
    with pytest.raises(Refused) as refused:
        run("user.add_role", [admin.id], admin, "overlord")
    assert (refused.value.code, refused.value.role) == ("unknown-role", "overlord")
