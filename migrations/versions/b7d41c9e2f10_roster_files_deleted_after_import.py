"""roster files deleted after import

An uploaded roster's file (full ID numbers and mobiles) is deleted once imported, or once past its
retention unconfirmed or failed; ``file_removed_at`` says when, and the report then comes from the
stored rows.

Revision ID: b7d41c9e2f10
Revises: 8e3f5b2a9c41
Create Date: 2026-12-02 11:50:00

"""
import sqlalchemy as sa
from alembic import op

import portal.models.base

# revision identifiers, used by Alembic.
revision = 'b7d41c9e2f10'
down_revision = '8e3f5b2a9c41'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('roster_imports', schema=None) as batch_op:
        batch_op.add_column(sa.Column('file_removed_at', portal.models.base.UtcDateTime(timezone=True),
                                      nullable=True))


def downgrade():
    with op.batch_alter_table('roster_imports', schema=None) as batch_op:
        batch_op.drop_column('file_removed_at')
