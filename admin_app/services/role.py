"""Roles: keep the database's roles and their permissions in step with admin_app.permissions."""

from __future__ import annotations

from sqlalchemy import select

from admin_app.extensions import db
from admin_app.models import Role
from admin_app.permissions import ROLES


def sync_roles() -> list[str]:
    """Create missing roles and reset each one's permissions to the map; return the names changed."""
    existing = {str(role.name): role for role in db.session.scalars(select(Role))}
    changed = []
    for name, (description, permissions) in ROLES.items():
        role = existing.get(name) or Role(name=name)
        wanted = sorted(permissions)
        if role.id is None or sorted(role.permissions or []) != wanted or role.description != str(description):
            role.permissions = wanted
            role.description = str(description)
            db.session.add(role)
            changed.append(name)
    return changed
