"""the review queue's open claims in a partial index (submitted_at, id)

Revision ID: 5c0a7e3d2b91
Revises: b7d41c9e2f10
Create Date: 2026-12-02 13:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5c0a7e3d2b91'
down_revision = 'b7d41c9e2f10'
branch_labels = None
depends_on = None

OPEN_QUEUE_WHERE = "status IN ('submitted', 'in_review', 'awaiting_second')"


def upgrade():
    with op.batch_alter_table('claims', schema=None) as batch_op:
        batch_op.create_index('ix_claims_open_queue', ['submitted_at', 'id'], unique=False,
                              sqlite_where=sa.text(OPEN_QUEUE_WHERE), postgresql_where=sa.text(OPEN_QUEUE_WHERE))


def downgrade():
    with op.batch_alter_table('claims', schema=None) as batch_op:
        batch_op.drop_index('ix_claims_open_queue', sqlite_where=sa.text(OPEN_QUEUE_WHERE),
                            postgresql_where=sa.text(OPEN_QUEUE_WHERE))
