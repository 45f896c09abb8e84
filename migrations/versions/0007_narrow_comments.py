"""A narrow write path for comments: the search text in its own table, fewer and narrower indexes

Moderating a comment changes ``disabled``, a column of a partial index's predicate, so it is never a HOT update:
every index of ``comments`` gets a new entry for each moderated row. This revision keeps those indexes few:

- the trigram index on the text moves to ``comment_search`` (comment id, text), which triggers keep in step
  with ``comments`` when a comment is written or its text changes, whoever writes it (the public site too);
  moderation never touches it;
- ``ix_comments_timestamp`` becomes ``(timestamp, id)``, the list's sort with its tie-break;
- ``ix_comments_claimed_by_id`` keeps only the few claimed rows;
- ``ix_comments_moderated_by_id`` and the foreign key on ``moderated_by_id`` go: nothing looks comments up by
  their moderator, the key was checked on every moderated row, and the audit trail keeps who did what (a deleted
  moderator's id stays on the rows, shown as no one).

Online on PostgreSQL: every lock this takes that would block reads or writes of ``comments`` is brief and bounded
by ``lock_timeout`` (5 s; a deployment that times out is run again, and every step may run twice): the table and
triggers are created in one short transaction, the existing text is copied in ranges of ids (one transaction
each), the indexes are built and dropped CONCURRENTLY (these wait for older transactions, blocking no one), and
the foreign key is dropped in a last short transaction (bench/live_migration.py measures it under load).

Revision ID: 0007_narrow_comments
Revises: 0006_jobs
Create Date: 2026-12-02 17:40:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0007_narrow_comments"
down_revision = "0006_jobs"
branch_labels = None
depends_on = None

COPY_RANGE = 50_000  # comment ids per transaction when copying the existing text

# Every step may run again: a deployment that stopped half-way (its autocommit steps done) is simply run again.
POSTGRESQL_TABLE_AND_TRIGGERS = """
CREATE TABLE IF NOT EXISTS comment_search (
    comment_id INTEGER NOT NULL,
    body TEXT NOT NULL,
    CONSTRAINT pk_comment_search PRIMARY KEY (comment_id),
    CONSTRAINT fk_comment_search_comment_id_comments FOREIGN KEY (comment_id) REFERENCES comments (id)
        ON DELETE CASCADE
);
CREATE OR REPLACE FUNCTION comment_search_added() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO comment_search (comment_id, body) SELECT id, body FROM added
    ON CONFLICT (comment_id) DO UPDATE SET body = EXCLUDED.body;
    RETURN NULL;
END $$;
CREATE OR REPLACE FUNCTION comment_search_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO comment_search (comment_id, body) VALUES (NEW.id, NEW.body)
    ON CONFLICT (comment_id) DO UPDATE SET body = EXCLUDED.body;
    RETURN NULL;
END $$;
CREATE OR REPLACE TRIGGER comment_search_insert AFTER INSERT ON comments
    REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION comment_search_added();
CREATE OR REPLACE TRIGGER comment_search_update AFTER UPDATE OF body ON comments
    FOR EACH ROW WHEN (OLD.body IS DISTINCT FROM NEW.body) EXECUTE FUNCTION comment_search_changed();
"""

SQLITE_TRIGGERS = (
    """CREATE TRIGGER comment_search_insert AFTER INSERT ON comments BEGIN
        INSERT OR REPLACE INTO comment_search (comment_id, body) VALUES (NEW.id, NEW.body); END""",
    """CREATE TRIGGER comment_search_update AFTER UPDATE OF body ON comments
        WHEN OLD.body IS NOT NEW.body BEGIN
        INSERT OR REPLACE INTO comment_search (comment_id, body) VALUES (NEW.id, NEW.body); END""",
    """CREATE TRIGGER comment_search_delete AFTER DELETE ON comments BEGIN
        DELETE FROM comment_search WHERE comment_id = OLD.id; END""",
)


def _create_comment_search():
    op.create_table(
        "comment_search",
        sa.Column("comment_id", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["comment_id"], ["comments.id"], name=op.f("fk_comment_search_comment_id_comments"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("comment_id", name=op.f("pk_comment_search")),
    )


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        _upgrade_postgresql()
    else:
        _upgrade_sqlite()


def _upgrade_postgresql():
    op.execute("SET lock_timeout = '5s'")
    op.execute(POSTGRESQL_TABLE_AND_TRIGGERS)
    with op.get_context().autocommit_block():
        # From here on the triggers copy every new or edited text; the ranges copy what was already there.
        low, high = op.get_bind().execute(sa.text("SELECT min(id), max(id) FROM comments")).one()
        for start in range(low or 0, (high or -1) + 1, COPY_RANGE):
            op.execute(
                "INSERT INTO comment_search (comment_id, body) SELECT id, body FROM comments "
                f"WHERE id BETWEEN {start} AND {start + COPY_RANGE - 1} AND body IS NOT NULL "
                "ON CONFLICT (comment_id) DO NOTHING"
            )
        # A concurrent build or drop waits for every older transaction (a running export) without blocking
        # anyone's reads or writes: no lock_timeout for those waits.
        op.execute("SET lock_timeout = 0")
        _build_concurrently(
            "ix_comment_search_body_trgm", "comment_search USING gin ((CAST(body AS VARCHAR)) gin_trgm_ops)"
        )
        _build_concurrently("ix_comments_timestamp_id", "comments (timestamp, id)")
        if not _exists("ix_comments_claimed_by_id") or not _is_partial("ix_comments_claimed_by_id"):
            _build_concurrently(
                "ix_comments_claimed_by_id_set", "comments (claimed_by_id) WHERE claimed_by_id IS NOT NULL"
            )
        if _exists("ix_comments_claimed_by_id_set"):
            op.execute("DROP INDEX CONCURRENTLY IF EXISTS ix_comments_claimed_by_id")
            op.execute("ALTER INDEX ix_comments_claimed_by_id_set RENAME TO ix_comments_claimed_by_id")
        for name in ("ix_comments_timestamp", "ix_comments_moderated_by_id", "ix_comments_body_trgm"):
            op.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")
        op.execute("SET lock_timeout = '5s'")
    op.execute("ALTER TABLE comments DROP CONSTRAINT IF EXISTS fk_comments_moderated_by_id_users")


def _exists(name):
    return op.get_bind().execute(sa.text("SELECT to_regclass(:name) IS NOT NULL"), {"name": name}).scalar()


def _is_partial(name):
    return op.get_bind().execute(
        sa.text("SELECT indpred IS NOT NULL FROM pg_index WHERE indexrelid = to_regclass(:name)"), {"name": name}
    ).scalar()


def _build_concurrently(name, definition):
    """CREATE INDEX CONCURRENTLY, again from scratch when an earlier attempt left the index INVALID."""
    bind = op.get_bind()
    valid = bind.execute(
        # to_regclass: the index of this schema (search_path), not one of the same name in another schema.
        sa.text("SELECT indisvalid FROM pg_index WHERE indexrelid = to_regclass(:name)"),
        {"name": name},
    ).scalar()
    if valid:
        return
    if valid is not None:
        op.execute(f"DROP INDEX CONCURRENTLY {name}")
    op.execute(f"CREATE INDEX CONCURRENTLY {name} ON {definition}")


def _upgrade_sqlite():
    with op.batch_alter_table("comments", schema=None) as batch_op:
        batch_op.drop_constraint("fk_comments_moderated_by_id_users", type_="foreignkey")
        batch_op.drop_index("ix_comments_moderated_by_id")
        batch_op.drop_index("ix_comments_timestamp")
        batch_op.drop_index("ix_comments_claimed_by_id")
        batch_op.create_index("ix_comments_timestamp_id", ["timestamp", "id"], unique=False)
        batch_op.create_index(
            "ix_comments_claimed_by_id",
            ["claimed_by_id"],
            unique=False,
            sqlite_where=sa.text("claimed_by_id IS NOT NULL"),
        )
    _create_comment_search()
    op.execute("INSERT INTO comment_search (comment_id, body) SELECT id, body FROM comments WHERE body IS NOT NULL")
    for trigger in SQLITE_TRIGGERS:
        op.execute(trigger)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "ALTER TABLE comments ADD CONSTRAINT fk_comments_moderated_by_id_users FOREIGN KEY (moderated_by_id) "
            "REFERENCES users (id) ON DELETE SET NULL NOT VALID"
        )
        # Rows whose moderator was deleted meanwhile: the key's own ON DELETE SET NULL, late.
        op.execute(
            "UPDATE comments SET moderated_by_id = NULL WHERE moderated_by_id IS NOT NULL "
            "AND NOT EXISTS (SELECT 1 FROM users WHERE users.id = comments.moderated_by_id)"
        )
        op.execute("ALTER TABLE comments VALIDATE CONSTRAINT fk_comments_moderated_by_id_users")
        op.execute("CREATE INDEX ix_comments_body_trgm ON comments USING gin ((CAST(body AS VARCHAR)) gin_trgm_ops)")
        op.execute("CREATE INDEX ix_comments_moderated_by_id ON comments (moderated_by_id)")
        op.execute("CREATE INDEX ix_comments_timestamp ON comments (timestamp)")
        op.execute("DROP INDEX ix_comments_timestamp_id")
        op.execute("DROP INDEX ix_comments_claimed_by_id")
        op.execute("CREATE INDEX ix_comments_claimed_by_id ON comments (claimed_by_id)")
        op.execute("DROP TRIGGER comment_search_update ON comments")
        op.execute("DROP TRIGGER comment_search_insert ON comments")
        op.execute("DROP FUNCTION comment_search_changed()")
        op.execute("DROP FUNCTION comment_search_added()")
        op.drop_table("comment_search")
        return
    for name in ("comment_search_delete", "comment_search_update", "comment_search_insert"):
        op.execute(f"DROP TRIGGER {name}")
    op.drop_table("comment_search")
    op.execute(
        "UPDATE comments SET moderated_by_id = NULL WHERE moderated_by_id IS NOT NULL "
        "AND NOT EXISTS (SELECT 1 FROM users WHERE users.id = comments.moderated_by_id)"
    )
    with op.batch_alter_table("comments", schema=None) as batch_op:
        batch_op.drop_index("ix_comments_claimed_by_id", sqlite_where=sa.text("claimed_by_id IS NOT NULL"))
        batch_op.drop_index("ix_comments_timestamp_id")
        batch_op.create_index("ix_comments_claimed_by_id", ["claimed_by_id"], unique=False)
        batch_op.create_index("ix_comments_timestamp", ["timestamp"], unique=False)
        batch_op.create_index("ix_comments_moderated_by_id", ["moderated_by_id"], unique=False)
        batch_op.create_foreign_key(
            "fk_comments_moderated_by_id_users", "users", ["moderated_by_id"], ["id"], ondelete="SET NULL"
        )
