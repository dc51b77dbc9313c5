"""staff two-factor and forced password change

TOTP for staff (required for administrators and reviewers): the secret encrypted at rest, the last
accepted time-step (no replay), a per-account count of wrong codes; ten one-time recovery codes per
account kept as keyed hashes; ``must_change_password`` after an administrator's reset.

Revision ID: 1ed51e473c27
Revises: 9b1e0c7d4a21
Create Date: 2026-12-02 11:17:15.354726

"""
from alembic import op
import sqlalchemy as sa

import portal.models.base
import portal.pii


# revision identifiers, used by Alembic.
revision = '1ed51e473c27'
down_revision = '9b1e0c7d4a21'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('staff_recovery_codes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.Column('used_at', portal.models.base.UtcDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['staff_users.id'], name=op.f('fk_staff_recovery_codes_user_id_staff_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staff_recovery_codes')),
    sa.UniqueConstraint('code_hash', name=op.f('uq_staff_recovery_codes_code_hash'))
    )
    with op.batch_alter_table('staff_recovery_codes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_staff_recovery_codes_user_id'), ['user_id'], unique=False)

    with op.batch_alter_table('staff_users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('must_change_password', sa.Boolean(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('totp_secret', portal.pii.EncryptedText(), nullable=True))
        batch_op.add_column(sa.Column('totp_pending_secret', portal.pii.EncryptedText(), nullable=True))
        batch_op.add_column(sa.Column('totp_enabled_at', portal.models.base.UtcDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('totp_last_step', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('totp_failures', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('totp_locked_until', portal.models.base.UtcDateTime(timezone=True), nullable=True))



def downgrade():
    with op.batch_alter_table('staff_users', schema=None) as batch_op:
        batch_op.drop_column('totp_locked_until')
        batch_op.drop_column('totp_failures')
        batch_op.drop_column('totp_last_step')
        batch_op.drop_column('totp_enabled_at')
        batch_op.drop_column('totp_pending_secret')
        batch_op.drop_column('totp_secret')
        batch_op.drop_column('must_change_password')

    with op.batch_alter_table('staff_recovery_codes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_staff_recovery_codes_user_id'))

    op.drop_table('staff_recovery_codes')
