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


@pytest.mark.postgresql_only
def test_the_narrow_comments_revision_copies_existing_text_and_builds_valid_indexes() -> None:
    """0007 on PostgreSQL with comments already there, after an attempt that stopped half-way: the text copied,
    every index valid, the triggers live."""
    with scratch_database("narrow") as url:
        app = create_app("testing", SQLALCHEMY_DATABASE_URI=url)
        runner = app.test_cli_runner()
        assert runner.invoke(args=["db", "upgrade", "0006_jobs"]).exit_code == 0
        engine = sa.create_engine(url)
        with engine.begin() as connection:
            connection.execute(sa.text(
                "INSERT INTO users (id, email, username, active, fs_uniquifier, member_since, last_seen) "
                "VALUES (1, 'a@example.com', 'a', true, 'u1', now(), now());"
                "INSERT INTO posts (id, body, timestamp, author_id) VALUES (1, 'post', now(), 1);"
                "INSERT INTO comments (body, timestamp, author_id, post_id, moderated_by_id) "
                "SELECT 'comment ' || n, now(), 1, 1, 1 FROM generate_series(1, 120) AS n;"
                # What an earlier attempt that stopped half-way leaves (its autocommit steps done): run again.
                "CREATE TABLE comment_search (comment_id INTEGER PRIMARY KEY, body TEXT NOT NULL);"
                "INSERT INTO comment_search SELECT id, body FROM comments WHERE id <= 50;"
                "CREATE INDEX ix_comments_claimed_by_id_set ON comments (claimed_by_id) "
                "WHERE claimed_by_id IS NOT NULL;"
                # Another schema's index of the same name (a second copy of the tables) is not this schema's.
                "CREATE SCHEMA neighbour; CREATE TABLE neighbour.comments (timestamp TIMESTAMP, id INTEGER);"
                "CREATE INDEX ix_comments_timestamp_id ON neighbour.comments (timestamp, id)"
            ))  # fmt: skip
        upgraded = runner.invoke(args=["db", "upgrade"])
        assert upgraded.exit_code == 0, upgraded.output
        with engine.begin() as connection:
            assert connection.scalar(sa.text("SELECT count(*) FROM comment_search")) == 120
            indexes = dict(connection.execute(sa.text(
                "SELECT relname, indisvalid FROM pg_index JOIN pg_class ON pg_class.oid = indexrelid "
                "WHERE indrelid IN ('comments'::regclass, 'comment_search'::regclass)"
            )).all())  # fmt: skip
            assert all(indexes.values()), indexes
            assert {"ix_comment_search_body_trgm", "ix_comments_timestamp_id", "ix_comments_claimed_by_id"} <= set(
                indexes
            )
            assert not {"ix_comments_body_trgm", "ix_comments_timestamp", "ix_comments_moderated_by_id"} & set(indexes)
            connection.execute(sa.text("DELETE FROM users WHERE id = 1"))  # no key on moderated_by_id: allowed
        with engine.begin() as connection:
            connection.execute(sa.text(
                "INSERT INTO users (id, email, username, active, fs_uniquifier, member_since, last_seen) "
                "VALUES (2, 'b@example.com', 'b', true, 'u2', now(), now())"
            ))  # fmt: skip
            connection.execute(sa.text("INSERT INTO posts (id, body, timestamp, author_id) VALUES (2, 'p', now(), 2)"))
            connection.execute(sa.text("INSERT INTO comments (body, timestamp, author_id, post_id, moderated_by_id) "
                                       "VALUES ('new one', now(), 2, 2, 1)"))  # fmt: skip
            assert connection.scalar(sa.text("SELECT count(*) FROM comment_search WHERE body = 'new one'")) == 1
        downgraded = runner.invoke(args=["db", "downgrade", "0006_jobs"])
        assert downgraded.exit_code == 0, downgraded.output
        with engine.begin() as connection:
            assert connection.scalar(sa.text("SELECT moderated_by_id FROM comments")) is None  # the key's SET NULL
            assert connection.scalar(sa.text("SELECT to_regclass('ix_comments_body_trgm') IS NOT NULL"))
        engine.dispose()
        with app.app_context():
            from admin_app.extensions import db

            db.engine.dispose()
