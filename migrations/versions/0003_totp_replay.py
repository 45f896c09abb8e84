"""Two-factor: the time step of each user's last accepted TOTP code, so a code works once.

Revision ID: 0003_totp_replay
Revises: 0002_moderation
Create Date: 2026-11-21 14:05:00

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '0003_totp_replay'
down_revision = '0002_moderation'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('users', sa.Column('tf_totp_last_counter', sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table('users') as batch_op:
        batch_op.drop_column('tf_totp_last_counter')
