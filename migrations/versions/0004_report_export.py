"""Reports and exports: the report-read and report-export permissions, held by administrators and staff (a
frozen copy).

Revision ID: 0004_report_export
Revises: 0003_totp_replay
Create Date: 2026-11-21 14:00:00

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0004_report_export'
down_revision = '0003_totp_replay'
branch_labels = None
depends_on = None


def upgrade():
    op.execute(
        "UPDATE roles SET permissions = permissions || ',report-read,report-export' "
        "WHERE name IN ('admin', 'staff') AND permissions NOT LIKE '%report-%'"
    )
    op.execute(
        "UPDATE roles SET description = 'Staff: read-only everywhere, reports and exports' "
        "WHERE name = 'staff' AND description = 'Staff: read-only everywhere'"
    )


def downgrade():
    op.execute(
        "UPDATE roles SET permissions = replace(permissions, ',report-read,report-export', '') "
        "WHERE name IN ('admin', 'staff')"
    )
    op.execute(
        "UPDATE roles SET description = 'Staff: read-only everywhere' "
        "WHERE name = 'staff' AND description = 'Staff: read-only everywhere, reports and exports'"
    )
