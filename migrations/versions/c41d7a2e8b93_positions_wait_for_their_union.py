"""positions wait for their union: pending and rejected statuses, the review's who, when and why

A caring enterprise's new position is public only once its union approves it. Positions already
published stay open (their status is unchanged).

Revision ID: c41d7a2e8b93
Revises: 5c0a7e3d2b91
Create Date: 2026-12-02 11:50:00

"""
from alembic import op
import sqlalchemy as sa

import portal.models.base

revision = 'c41d7a2e8b93'
down_revision = '5c0a7e3d2b91'
branch_labels = None
depends_on = None

BEFORE = ('open', 'closed')
AFTER = ('pending', 'open', 'rejected', 'closed')


def _values(statuses):
    return "status IN ({})".format(", ".join(f"'{status}'" for status in statuses))


def upgrade():
    with op.batch_alter_table('positions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reviewed_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('reviewed_at', portal.models.base.UtcDateTime(), nullable=True))
        batch_op.add_column(sa.Column('review_note', sa.String(length=200), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_positions_reviewed_by_id_staff_users'), 'staff_users',
                                    ['reviewed_by_id'], ['id'])
        batch_op.drop_constraint(batch_op.f('ck_positions_status_values'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_positions_status_values'), _values(AFTER))


def downgrade():
    op.execute("UPDATE positions SET status = 'closed', closed_reason = 'withdrawn' "
               "WHERE status IN ('pending', 'rejected')")
    with op.batch_alter_table('positions', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_positions_status_values'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_positions_status_values'), _values(BEFORE))
        batch_op.drop_constraint(batch_op.f('fk_positions_reviewed_by_id_staff_users'), type_='foreignkey')
        batch_op.drop_column('review_note')
        batch_op.drop_column('reviewed_at')
        batch_op.drop_column('reviewed_by_id')
