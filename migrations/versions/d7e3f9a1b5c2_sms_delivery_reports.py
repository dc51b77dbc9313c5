"""sms delivery reports and templates: the provider's status code and time on each text, found by
its reference; administrators' wordings of the templates

Revision ID: d7e3f9a1b5c2
Revises: c41d7a2e8b93
Create Date: 2026-12-02 12:10:00

"""
from alembic import op
import sqlalchemy as sa

import portal.models.base

revision = 'd7e3f9a1b5c2'
down_revision = 'c41d7a2e8b93'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('sms_templates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('outcome', sa.String(length=20), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', portal.models.base.UtcDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['updated_by_id'], ['staff_users.id'], name=op.f('fk_sms_templates_updated_by_id_staff_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sms_templates')),
    sa.UniqueConstraint('kind', 'outcome', name=op.f('uq_sms_templates_kind_outcome'))
    )
    with op.batch_alter_table('sms_messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('provider_status', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('reported_at', portal.models.base.UtcDateTime(), nullable=True))
        batch_op.create_index(batch_op.f('ix_sms_messages_provider_ref'), ['provider_ref'], unique=False)


def downgrade():
    with op.batch_alter_table('sms_messages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sms_messages_provider_ref'))
        batch_op.drop_column('reported_at')
        batch_op.drop_column('provider_status')
    op.drop_table('sms_templates')
