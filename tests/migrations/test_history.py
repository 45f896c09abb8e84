"""The migration history on an empty SQLite and an empty PostgreSQL database: head, no drift, back to base."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from admin_app import create_app
from admin_app.permissions import ROLES
from tests.conftest import BACKENDS, scratch_database


@pytest.fixture(params=BACKENDS)
def empty_database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('migrations') / 'empty.sqlite'}"
        return
    with scratch_database("migrations") as url:
        yield url


def stored_roles(url: str) -> dict[str, list[str]]:
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        rows = connection.execute(sa.text("SELECT name, permissions FROM roles")).all()
    engine.dispose()
    return {name: sorted(filter(None, (permissions or "").split(","))) for name, permissions in rows}


def table_names(url: str) -> set[str]:
    engine = sa.create_engine(url)
    names = set(sa.inspect(engine).get_table_names())
    engine.dispose()
    return names


def test_upgrade_check_downgrade(empty_database_url: str) -> None:
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=empty_database_url)
    runner = app.test_cli_runner()

    upgraded = runner.invoke(args=["db", "upgrade"])
    assert upgraded.exit_code == 0, upgraded.output
    assert {"users", "roles", "roles_users", "posts", "comments"} <= table_names(empty_database_url)
    assert stored_roles(empty_database_url) == {name: sorted(perms) for name, (_d, perms) in ROLES.items()}

    checked = runner.invoke(args=["db", "check"])
    assert checked.exit_code == 0, checked.output

    downgraded = runner.invoke(args=["db", "downgrade", "base"])
    assert downgraded.exit_code == 0, downgraded.output
    assert table_names(empty_database_url) <= {"alembic_version"}
    with app.app_context():
        from admin_app.extensions import db

        db.engine.dispose()
