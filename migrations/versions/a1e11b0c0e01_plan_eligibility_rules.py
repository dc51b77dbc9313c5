"""plan versions carry their eligibility rules

Every door into a plan (roster, self-service, campaign, kiosk) asks the plan version who it covers:
social insurance required, and a working age. Existing versions get the "三合一" plan's rules.

Revision ID: a1e11b0c0e01
Revises: 4fb1540d2b6b
Create Date: 2026-12-02 08:05:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'a1e11b0c0e01'
down_revision = '4fb1540d2b6b'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('plans', schema=None) as batch_op:
        batch_op.add_column(sa.Column('requires_social_insurance', sa.Boolean(), server_default=sa.text('true'),
                                      nullable=False))
        batch_op.add_column(sa.Column('min_age', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('max_age', sa.Integer(), nullable=True))
    op.execute("UPDATE plans SET min_age = 16, max_age = 65")


def downgrade():
    with op.batch_alter_table('plans', schema=None) as batch_op:
        batch_op.drop_column('max_age')
        batch_op.drop_column('min_age')
        batch_op.drop_column('requires_social_insurance')
