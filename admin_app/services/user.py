"""Accounts: role changes and (de)activation, set-based, guarded and audited.

The guardrails live here, not in the views, so every path (list actions, the user form, the shell) obeys them:
nobody adds or removes a role carrying a permission they do not hold; nobody removes their own role-assign
permission; no change may leave the system without an active user holding role-assign; nobody deactivates
themselves. Each change writes one audit entry, and one audit row per user changed with their state before
(active flag and roles); the selection stays a subquery, so any number of users is a fixed number of statements.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import Select, and_, delete, exists, func, insert, literal, or_, select, update

from admin_app.database import random_hex
from admin_app.extensions import db
from admin_app.models import AuditEntry, AuditRow, Role, User, roles_users
from admin_app.permissions import ROLE_ASSIGN
from admin_app.services.audit import record
from admin_app.services.change import Order, Outcome, Tally

if TYPE_CHECKING:
    from admin_app.services.operations import Operation

# The column values that end every session and remember-me cookie of a user (each row gets its own).
END_SESSIONS = {"fs_uniquifier": random_hex()}


class Refused(Exception):
    """A guardrail said no: "unknown-role", "beyond-own", "own-role-assign", "last-admin", "self-deactivate",
    "self-suspend", "outranks" or "unknown-duration"."""

    def __init__(self, code: str, role: str | None = None) -> None:
        super().__init__(code)
        self.code = code
        self.role = role


def role_names(user_id: Any) -> Any:
    """A user's role names, comma-separated (in no particular order), as one SQL expression."""
    return (
        select(func.aggregate_strings(Role.name, ", "))
        .join(roles_users, roles_users.c.role_id == Role.id)
        .where(roles_users.c.user_id == user_id)
        .scalar_subquery()
    )


def count_selected(operation: Operation, users: Select[Any] | Sequence[int]) -> Tally:
    """Role changes: every selected user (which role is chosen on the confirmation page itself)."""
    selected = db.session.scalar(select(func.count()).where(User.id.in_(users))) or 0
    return Tally(selected, selected)


def count_changing_state(operation: Operation, users: Select[Any] | Sequence[int]) -> Tally:
    """(De)activation: the selected users, and those of them it would change."""
    changing = func.count().filter(changes_state(bool(operation.value)))
    selected, changes = db.session.execute(select(func.count(), changing).where(User.id.in_(users))).one()
    return Tally(selected, changes)


def changes_state(active: bool) -> Any:
    """The users a (de)activation changes: those not in that state yet, and, deactivating, the suspended too (an
    administrator's decision outlasts the suspension, which would otherwise reactivate them when it ends)."""
    from admin_app.services.sanctions import has_open_suspension

    not_yet = User.active.is_not(active)
    return not_yet if active else or_(not_yet, has_open_suspension(User.id))


def change_role(operation: Operation, users: Select[Any] | Sequence[int], order: Order) -> Outcome:
    """Add (operation.value true) or remove the role ``order.choices["role"]`` for the selected users, or refuse
    and change nothing. One audit row per user changed, with their active flag and roles before."""
    role = _role(order.choices.get("role", ""))
    acting = actor_user(order)
    _check_may_hand_out(permissions_of([held.name for held in acting.roles]), role)
    adding = bool(operation.value)
    if not adding and ROLE_ASSIGN in (role.permissions or []):
        check_role_assigners_remain(acting, users, removed=[role])
    holds = exists().where(roles_users.c.user_id == User.id, roles_users.c.role_id == role.id)
    changing = and_(User.id.in_(users), ~holds if adding else holds)
    entry = record_changing(operation, order, changing, {"role": role.name})
    if entry is None:
        return Outcome(None, 0)
    recorded = select(AuditRow.row_id).where(AuditRow.entry_id == entry.id)
    if adding:
        new_members = select(AuditRow.row_id, literal(role.id)).where(AuditRow.entry_id == entry.id)
        db.session.execute(insert(roles_users).from_select(["user_id", "role_id"], new_members))
    else:
        db.session.execute(
            delete(roles_users).where(roles_users.c.role_id == role.id, roles_users.c.user_id.in_(recorded))
        )
    return done(entry, order)


def set_active(operation: Operation, users: Select[Any] | Sequence[int], order: Order) -> Outcome:
    """Reactivate (operation.value true) or deactivate the selected users. Deactivating ends their sessions for
    good, as logging out does: a new fs_uniquifier, so no session or remember-me cookie issued before revives on
    reactivation."""
    from admin_app.services import sanctions

    active = bool(operation.value)
    acting = actor_user(order)
    if not active:
        sanctions.check_may_keep_out(acting, users, "self-deactivate")
    entry = record_changing(operation, order, and_(User.id.in_(users), changes_state(active)), {})
    if entry is None:
        return Outcome(None, 0)
    recorded = select(AuditRow.row_id).where(AuditRow.entry_id == entry.id)
    sanctions.supersede(recorded, entry.created_at, acting.id)
    db.session.execute(
        update(User).where(User.id.in_(recorded)).values(active=active, **({} if active else END_SESSIONS)),
        execution_options={"synchronize_session": False},
    )
    return done(entry, order)


def record_changing(operation: Operation, order: Order, changing: Any, details: dict[str, Any]) -> AuditEntry | None:
    """The entry and one audit row per user about to change (their state before); None when none would."""
    if not db.session.scalar(select(exists().where(changing))):
        return None
    entry = record(
        operation.name,
        "users",
        order.actor,
        reason=order.reason,
        note=order.note,
        details={**details, **(order.details or {})},
    )
    before = select(literal(entry.id), User.id, User.active, role_names(User.id)).where(changing)
    db.session.execute(insert(AuditRow).from_select(["entry_id", "row_id", "flag_before", "roles_before"], before))
    return entry


def done(entry: AuditEntry, order: Order) -> Outcome:
    changed = db.session.scalar(select(func.count()).where(AuditRow.entry_id == entry.id)) or 0
    order.progress(changed)
    return Outcome(entry.id, changed)


def actor_user(order: Order) -> User:
    user = db.session.get(User, order.actor.user_id) if order.actor.user_id is not None else None
    if user is None:
        raise Refused("beyond-own")
    return user


def check_role_assigners_remain(
    actor_user: User, users: Select[Any] | Sequence[int], removed: Sequence[Role] | None = None
) -> None:
    """Refuse when the actor would lose role-assign, or no active user would hold it afterwards: the selected
    users lose the roles ``removed`` (a role change), or everything (a deactivation, ``removed`` None)."""
    granting = [role.id for role in db.session.scalars(select(Role)) if ROLE_ASSIGN in (role.permissions or [])]
    holding = (
        select(roles_users.c.user_id)
        .join(User, User.id == roles_users.c.user_id)
        .where(User.active, roles_users.c.role_id.in_(granting))
    )
    if not db.session.scalar(select(exists(holding))):
        return  # nobody holds it now (a fresh install): nothing to protect
    lost: Any = roles_users.c.user_id.in_(users)
    if removed is not None:
        lost = and_(lost, roles_users.c.role_id.in_([role.id for role in removed]))
        still_mine = holding.where(roles_users.c.user_id == actor_user.id, ~lost)
        if db.session.scalar(select(exists().where(User.id == actor_user.id, User.id.in_(users)))) and not (
            db.session.scalar(select(exists(still_mine)))
        ):
            raise Refused("own-role-assign")
    if not db.session.scalar(select(exists(holding.where(~lost)))):
        raise Refused("last-admin")


def check_edit(
    actor_user: User, user_id: int, roles_before: set[str], roles_after: set[str], deactivating: bool
) -> None:
    """The same guardrails for one user changed through the user form (which may be the actor's own account,
    already changed in memory: the actor's permissions are those held before the change)."""
    with db.session.no_autoflush:  # the database still holds the state before the form's change
        actor_roles = roles_before if user_id == actor_user.id else {role.name for role in actor_user.roles}
        held = permissions_of(actor_roles)
        for name in sorted(roles_before ^ roles_after):
            _check_may_hand_out(held, _role(name))
        if deactivating and user_id == actor_user.id:
            raise Refused("self-deactivate")
        if deactivating:
            check_role_assigners_remain(actor_user, [user_id])
        elif ROLE_ASSIGN not in permissions_of(roles_after):
            lost = [_role(name) for name in sorted(roles_before - roles_after)]
            check_role_assigners_remain(actor_user, [user_id], removed=lost)


def check_not_outranked(actor_user: User, users: Select[Any] | Sequence[int]) -> None:
    """Refuse when any of ``users`` holds a role carrying a permission the actor lacks."""
    held = permissions_of([role.name for role in actor_user.roles])
    beyond = [role.id for role in db.session.scalars(select(Role)) if not set(role.permissions or []) <= held]
    if beyond and db.session.scalar(
        select(exists().where(roles_users.c.user_id.in_(users), roles_users.c.role_id.in_(beyond)))
    ):
        raise Refused("outranks")


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
