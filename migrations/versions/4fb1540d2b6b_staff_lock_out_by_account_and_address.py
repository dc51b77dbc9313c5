"""staff lock-out by account and address

Wrong staff passwords are counted per (account, client address) in ``staff_login_locks``, with a
lock that doubles each time; the flat per-account lock (``failed_logins``, ``locked_until``),
which anyone could trigger to keep a reviewer out, goes.

Revision ID: 4fb1540d2b6b
Revises: d14b11cbfa04
Create Date: 2026-12-02 07:49:16.043190

"""
from alembic import op
import sqlalchemy as sa

import portal.models.base


# revision identifiers, used by Alembic.
revision = '4fb1540d2b6b'
down_revision = 'd14b11cbfa04'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('staff_login_locks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('address_hash', sa.String(length=64), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('locks', sa.Integer(), nullable=False),
    sa.Column('locked_until', portal.models.base.UtcDateTime(timezone=True), nullable=True),
    sa.Column('updated_at', portal.models.base.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['staff_users.id'], name=op.f('fk_staff_login_locks_user_id_staff_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staff_login_locks')),
    sa.UniqueConstraint('user_id', 'address_hash', name=op.f('uq_staff_login_locks_user_id_address_hash'))
    )
    with op.batch_alter_table('staff_login_locks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_staff_login_locks_user_id'), ['user_id'], unique=False)

    with op.batch_alter_table('staff_users', schema=None) as batch_op:
        batch_op.drop_column('failed_logins')
        batch_op.drop_column('locked_until')


def downgrade():
    with op.batch_alter_table('staff_users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('locked_until', portal.models.base.UtcDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('failed_logins', sa.Integer(), server_default='0', nullable=False))

    with op.batch_alter_table('staff_login_locks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_staff_login_locks_user_id'))

    op.drop_table('staff_login_locks')
