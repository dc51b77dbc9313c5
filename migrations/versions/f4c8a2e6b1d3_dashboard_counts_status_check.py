"""the dashboard summary's claim status holds only a claim's statuses, as every status column does

Revision ID: f4c8a2e6b1d3
Revises: e9b2c4d6f8a1
Create Date: 2026-12-02 22:45:00

"""
from alembic import op

revision = 'f4c8a2e6b1d3'
down_revision = 'e9b2c4d6f8a1'
branch_labels = None
depends_on = None

CLAIM_STATUSES = ('draft', 'submitted', 'in_review', 'needs_documents', 'awaiting_second', 'approved', 'rejected',
                  'payout_pending', 'paid')


def upgrade():
    values = ", ".join(f"'{status}'" for status in CLAIM_STATUSES)
    with op.batch_alter_table('dashboard_counts', schema=None) as batch_op:
        batch_op.create_check_constraint(op.f('ck_dashboard_counts_status_values'), f"status IN ({values})")


def downgrade():
    with op.batch_alter_table('dashboard_counts', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_dashboard_counts_status_values'), type_='check')
