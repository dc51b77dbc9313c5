"""codes derived at send time, visitor text requests counted

Texts with a one-time code keep a seed instead of the code (the code is derived at send time with
the server's key); codes already stored in earlier texts are wiped from their bodies. Visitor
requests for texts are counted per recipient (``sms_requests``) to cap them.

Revision ID: 59c8032aaf08
Revises: c66de9312808
Create Date: 2026-12-02 07:10:01.463355

"""
from alembic import op
import sqlalchemy as sa

import portal.models.base


# revision identifiers, used by Alembic.
revision = '59c8032aaf08'
down_revision = 'c66de9312808'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('sms_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('recipient_hash', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('created_at', portal.models.base.UtcDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sms_requests'))
    )
    with op.batch_alter_table('sms_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sms_requests_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_sms_requests_recipient_hash'), ['recipient_hash'], unique=False)

    with op.batch_alter_table('sms_messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('code_seed', sa.String(length=64), nullable=True))

    # Codes sent before this revision sat in the body in clear: the outbox must not show them.
    op.execute(sa.text("UPDATE sms_messages SET body = :wiped WHERE kind IN "
                       "('login_code', 'jobs_parent_verification', 'kiosk_lookup_code')")
               .bindparams(wiped="（验证码已清除）"))


def downgrade():
    with op.batch_alter_table('sms_messages', schema=None) as batch_op:
        batch_op.drop_column('code_seed')

    with op.batch_alter_table('sms_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sms_requests_recipient_hash'))
        batch_op.drop_index(batch_op.f('ix_sms_requests_created_at'))

    op.drop_table('sms_requests')
