"""the dashboard's summary keeps the claims' figures too: a claim's status, and the citywide
median days to decision and to payment (portal.services.dashboards.summary)

Nothing to fill: the next refresh (within minutes, or the next dashboard read) computes them.

Revision ID: e9b2c4d6f8a1
Revises: c3f1a9d2e7b4
Create Date: 2026-12-02 19:45:00

"""
from alembic import op
import sqlalchemy as sa

revision = 'e9b2c4d6f8a1'
down_revision = 'c3f1a9d2e7b4'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('dashboard_counts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('status', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('days', sa.Float(), nullable=True))


def downgrade():
    with op.batch_alter_table('dashboard_counts', schema=None) as batch_op:
        batch_op.drop_column('days')
        batch_op.drop_column('status')
