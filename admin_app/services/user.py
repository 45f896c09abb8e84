"""Accounts: role changes and (de)activation, set-based, guarded and audited.

The guardrails live here, not in the views, so every path (list actions, the user form, the shell) obeys them:
nobody adds or removes a role carrying a permission they do not hold; nobody removes their own role-assign
permission; no change may leave the system without an active user holding role-assign; nobody deactivates
themselves. Each change writes one audit entry with every affected user's state before and after.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, and_, delete, exists, insert, literal, select, update

from admin_app.database import random_hex
from admin_app.extensions import db
from admin_app.models import Role, User, roles_users
from admin_app.permissions import ROLE_ASSIGN
from admin_app.services.audit import Actor, record

# The column values that end every session and remember-me cookie of a user (each row gets its own).
END_SESSIONS = {"fs_uniquifier": random_hex()}


class Refused(Exception):
    """A guardrail said no: "unknown-role", "beyond-own", "own-role-assign", "last-admin" or "self-deactivate"."""

    def __init__(self, code: str, role: str | None = None) -> None:
        super().__init__(code)
        self.code = code
        self.role = role


@dataclass(frozen=True)
class Outcome:
    entry_id: int | None
    changed: int


def change_roles(
    users: Select[Any] | Sequence[int],
    actor_user: User,
    actor: Actor,
    *,
    add: Iterable[str] = (),
    remove: Iterable[str] = (),
    reason: str | None = None,
    note: str | None = None,
) -> Outcome:
    """Add and remove roles for the selected users, or refuse and change nothing."""
    adding, removing = _roles(add), _roles(remove)
    held = permissions_of([role.name for role in actor_user.roles])
    for role in [*adding, *removing]:
        _check_may_hand_out(held, role)
    targets = _ids(users)
    before = current_roles(targets)
    after = {
        user_id: sorted((set(names) - {r.name for r in removing}) | {r.name for r in adding})
        for user_id, names in before.items()
    }
    check_role_assigners_remain(actor_user, after)
    for role in removing:
        db.session.execute(
            delete(roles_users).where(roles_users.c.role_id == role.id, roles_users.c.user_id.in_(targets))
        )
    for role in adding:
        missing = ~exists().where(roles_users.c.user_id == User.id, roles_users.c.role_id == role.id)
        new_members = select(User.id, literal(role.id)).where(User.id.in_(targets), missing)
        db.session.execute(insert(roles_users).from_select(["user_id", "role_id"], new_members))
    changes = {str(uid): [before[uid], after[uid]] for uid in targets if before[uid] != after[uid]}
    if not changes:
        return Outcome(None, 0)
    details = {"add": [r.name for r in adding], "remove": [r.name for r in removing], "changes": changes}
    entry = record("user.roles", "users", actor, reason=reason, note=note, details=details)
    return Outcome(entry.id, len(changes))


def set_active(
    users: Select[Any] | Sequence[int],
    active: bool,
    actor_user: User,
    actor: Actor,
    *,
    reason: str | None = None,
    note: str | None = None,
) -> Outcome:
    """Deactivate or reactivate the selected users. Deactivating ends their sessions for good, as logging out
    does: a new fs_uniquifier, so no session or remember-me cookie issued before revives on reactivation."""
    targets = _ids(users)
    if not active and actor_user.id in targets:
        raise Refused("self-deactivate")
    changing = list(db.session.scalars(select(User.id).where(User.id.in_(targets), User.active.is_not(active))))
    if not active:
        check_role_assigners_remain(actor_user, {}, deactivated=set(changing))
    if not changing:
        return Outcome(None, 0)
    db.session.execute(
        update(User).where(User.id.in_(changing)).values(active=active, **({} if active else END_SESSIONS)),
        execution_options={"synchronize_session": False},
    )
    details = {"users": changing, "active": [not active, active]}
    entry = record(
        "user.activate" if active else "user.deactivate", "users", actor, reason=reason, note=note, details=details
    )
    return Outcome(entry.id, len(changing))


def check_edit(
    actor_user: User, user_id: int, roles_before: set[str], roles_after: set[str], deactivating: bool
) -> None:
    """The same guardrails for one user changed through the user form (which may be the actor's own account,
    already changed in memory: the actor's permissions are those held before the change)."""
    actor_roles = roles_before if user_id == actor_user.id else {role.name for role in actor_user.roles}
    held = permissions_of(actor_roles)
    for name in sorted(roles_before ^ roles_after):
        _check_may_hand_out(held, _role(name))
    if deactivating and user_id == actor_user.id:
        raise Refused("self-deactivate")
    check_role_assigners_remain(actor_user, {user_id: sorted(roles_after)}, {user_id} if deactivating else set())


def check_role_assigners_remain(
    actor_user: User, roles_after: dict[int, list[str]], deactivated: set[int] | None = None
) -> None:
    """Refuse when the actor would lose role-assign, or no active user would hold it afterwards."""
    granting = {role.name for role in db.session.scalars(select(Role)) if ROLE_ASSIGN in (role.permissions or [])}
    if actor_user.id in roles_after and not granting & set(roles_after[actor_user.id]):
        raise Refused("own-role-assign")
    holders = current_roles(
        select(User.id)
        .join(roles_users, roles_users.c.user_id == User.id)
        .join(Role, Role.id == roles_users.c.role_id)
        .where(User.active, Role.name.in_(granting))
    )
    remaining = {
        user_id
        for user_id, names in holders.items()
        if granting & set(roles_after.get(user_id, names)) and user_id not in (deactivated or set())
    }
    if holders and not remaining:
        raise Refused("last-admin")


def current_roles(users: Select[Any] | Sequence[int]) -> dict[int, list[str]]:
    """{user id: sorted role names} for the selected users (users without roles included)."""
    rows = db.session.execute(
        select(User.id, Role.name)
        .outerjoin(roles_users, roles_users.c.user_id == User.id)
        .outerjoin(Role, and_(Role.id == roles_users.c.role_id))
        .where(User.id.in_(users))
    ).all()
    roles: dict[int, list[str]] = defaultdict(list)
    for user_id, name in rows:
        roles[user_id] += [name] if name else []
    return {user_id: sorted(names) for user_id, names in roles.items()}


def permissions_of(role_names: Iterable[str]) -> set[str]:
    roles = db.session.scalars(select(Role).where(Role.name.in_(list(role_names))))
    return {permission for role in roles for permission in role.permissions or []}


def _check_may_hand_out(held: set[str], role: Role) -> None:
    if ROLE_ASSIGN not in held or not set(role.permissions or []) <= held:
        raise Refused("beyond-own", role.name)


def _role(name: str) -> Role:
    role = db.session.scalars(select(Role).where(Role.name == name)).one_or_none()
    if role is None:
        raise Refused("unknown-role", name)
    return role


def _roles(names: Iterable[str]) -> list[Role]:
    return [_role(name) for name in dict.fromkeys(names)]


def _ids(users: Select[Any] | Sequence[int]) -> list[int]:
    return list(db.session.scalars(users)) if isinstance(users, Select) else list(dict.fromkeys(users))
