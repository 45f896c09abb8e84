"""The documented commands work as the README shows them (Flask-Security-Too's `users` and `roles` among them)."""

from __future__ import annotations

from flask import Flask

from admin_app.models import User


def test_the_first_administrator_is_created_as_the_production_section_says(app: Flask) -> None:
    """Whatever the domain: example.org has a null MX, and a host without DNS resolves no domain at all."""
    runner = app.test_cli_runner()
    for address in ("admin@example.org", "first.admin@moderation-team.org"):
        created = runner.invoke(args=["users", "create", address, "--password", "a long passphrase", "--active"])
        assert created.exit_code == 0, created.output
        added = runner.invoke(args=["roles", "add", address, "admin"])
        assert added.exit_code == 0, added.output
        user = User.query.filter_by(email=address).one()
        assert user.active and [role.name for role in user.roles] == ["admin"]
