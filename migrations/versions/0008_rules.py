"""Moderation rules: the rules, the comments each caught, and the inbox of comments the rules have not yet read

New and edited comments are checked against the active rules by a periodic job (admin_app/services/rules.py,
``sweep``), whoever wrote them: the public site writes comments too. So that the job never scans the table, a
trigger on ``comments`` puts each comment written or edited while any rule is on into ``rule_inbox`` (its id,
in the same statement as the write); the job reads the inbox, acts, and empties it. While no rule is on, the
trigger adds nothing but one indexed look-up of ``rules``.

Revision ID: 0008_rules
Revises: 0007_narrow_comments
Create Date: 2026-12-03 13:34:43.998311

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0008_rules"
down_revision = "0007_narrow_comments"
branch_labels = None
depends_on = None

POSTGRESQL_TRIGGERS = """
CREATE FUNCTION rule_inbox_added() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM rules WHERE active) THEN
        INSERT INTO rule_inbox (comment_id) SELECT id FROM added ON CONFLICT (comment_id) DO NOTHING;
    END IF;
    RETURN NULL;
END $$;
CREATE FUNCTION rule_inbox_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM rules WHERE active) THEN
        INSERT INTO rule_inbox (comment_id) VALUES (NEW.id) ON CONFLICT (comment_id) DO NOTHING;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER rule_inbox_insert AFTER INSERT ON comments
    REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION rule_inbox_added();
CREATE TRIGGER rule_inbox_update AFTER UPDATE OF body ON comments
    FOR EACH ROW WHEN (OLD.body IS DISTINCT FROM NEW.body) EXECUTE FUNCTION rule_inbox_changed();
"""

SQLITE_TRIGGERS = (
    """CREATE TRIGGER rule_inbox_insert AFTER INSERT ON comments BEGIN
        INSERT OR IGNORE INTO rule_inbox (comment_id) SELECT NEW.id WHERE EXISTS (SELECT 1 FROM rules WHERE active);
        END""",
    """CREATE TRIGGER rule_inbox_update AFTER UPDATE OF body ON comments WHEN OLD.body IS NOT NEW.body BEGIN
        INSERT OR IGNORE INTO rule_inbox (comment_id) SELECT NEW.id WHERE EXISTS (SELECT 1 FROM rules WHERE active);
        END""",
)


def upgrade():
    op.create_table(
        "rules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("text", sa.String(length=200), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rules")),
        sa.UniqueConstraint("kind", "text", name="uq_rules_kind_text"),
    )
    # What the triggers ask on every comment written: is any rule on?
    op.create_index(
        "ix_rules_active", "rules", ["id"], postgresql_where=sa.text("active"), sqlite_where=sa.text("active")
    )
    op.create_table(
        "rule_hits",
        sa.Column("rule_id", sa.Integer(), nullable=False),
        sa.Column("comment_id", sa.Integer(), nullable=False),
        sa.Column("hit_at", sa.DateTime(), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["comment_id"], ["comments.id"], name=op.f("fk_rule_hits_comment_id_comments"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["rule_id"], ["rules.id"], name=op.f("fk_rule_hits_rule_id_rules"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("rule_id", "comment_id", name=op.f("pk_rule_hits")),
    )
    with op.batch_alter_table("rule_hits", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_rule_hits_comment_id"), ["comment_id"], unique=False)
        batch_op.create_index("ix_rule_hits_rule_id_hit_at", ["rule_id", "hit_at"], unique=False)
    op.create_table(
        "rule_inbox",
        sa.Column("comment_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["comment_id"], ["comments.id"], name=op.f("fk_rule_inbox_comment_id_comments"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("comment_id", name=op.f("pk_rule_inbox")),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(POSTGRESQL_TRIGGERS)
    else:
        for statement in SQLITE_TRIGGERS:
            op.execute(statement)
    # Moderators and administrators keep the rules (admin_app/permissions.py RULE_MANAGE).
    op.execute(
        "UPDATE roles SET permissions = permissions || ',rule-manage' "
        "WHERE name IN ('admin', 'moderator') AND permissions NOT LIKE '%rule-manage%'"
    )


def downgrade():
    op.execute("UPDATE roles SET permissions = replace(permissions, ',rule-manage', '')")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER rule_inbox_update ON comments")
        op.execute("DROP TRIGGER rule_inbox_insert ON comments")
        op.execute("DROP FUNCTION rule_inbox_changed()")
        op.execute("DROP FUNCTION rule_inbox_added()")
    else:
        op.execute("DROP TRIGGER rule_inbox_update")
        op.execute("DROP TRIGGER rule_inbox_insert")
    op.drop_table("rule_inbox")
    with op.batch_alter_table("rule_hits", schema=None) as batch_op:
        batch_op.drop_index("ix_rule_hits_rule_id_hit_at")
        batch_op.drop_index(batch_op.f("ix_rule_hits_comment_id"))
    op.drop_table("rule_hits")
    op.drop_table("rules")
