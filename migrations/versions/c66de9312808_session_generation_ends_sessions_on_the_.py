"""session generation ends sessions on the server

Members and staff carry a session generation that is part of every session's user id; raising it
(sign-out, a new password) ends every session of the account on the server.

Revision ID: c66de9312808
Revises: 6419b015f1b8
Create Date: 2026-12-02 06:38:04.536741

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c66de9312808'
down_revision = '6419b015f1b8'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('members', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_generation', sa.Integer(), server_default='0', nullable=False))

    with op.batch_alter_table('staff_users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_generation', sa.Integer(), server_default='0', nullable=False))


def downgrade():
    with op.batch_alter_table('staff_users', schema=None) as batch_op:
        batch_op.drop_column('session_generation')

    with op.batch_alter_table('members', schema=None) as batch_op:
        batch_op.drop_column('session_generation')

