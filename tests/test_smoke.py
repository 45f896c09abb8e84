"""Fixture sanity: migrations produced the standard roles."""

import sqlalchemy as sa

from admin_app.models import Role


def test_standard_roles_exist(db: object) -> None:
    from admin_app.extensions import db as _db

    names = set(_db.session.scalars(sa.select(Role.name)))
    assert names == {"admin", "moderator", "staff", "user"}
