"""the federation dashboard's summary: enrolment aggregates per union (dashboard_counts) and when
they were taken (dashboard_snapshots), refreshed by the task queue (portal.services.dashboards.summary)

Derived data: no foreign keys, and nothing to fill here (the first dashboard read computes it).

Revision ID: c3f1a9d2e7b4
Revises: b8d4e2f6a1c3
Create Date: 2026-12-02 19:30:00

"""
from alembic import op
import sqlalchemy as sa

import portal.models.base

revision = 'c3f1a9d2e7b4'
down_revision = 'b8d4e2f6a1c3'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'dashboard_counts',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('figure', sa.String(length=16), nullable=False),
        sa.Column('union_id', sa.Integer(), nullable=True),
        sa.Column('year', sa.Integer(), nullable=True),
        sa.Column('month', sa.String(length=7), nullable=True),
        sa.Column('channel', sa.String(length=16), nullable=True),
        sa.Column('campaign_id', sa.Integer(), nullable=True),
        sa.Column('member_id', sa.Integer(), nullable=True),
        sa.Column('value', sa.BigInteger(), nullable=False),
        sa.Column('citywide', sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_dashboard_counts')),
    )
    op.create_index('ix_dashboard_counts_union_figure', 'dashboard_counts', ['union_id', 'figure'], unique=False)
    op.create_table(
        'dashboard_snapshots',
        sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('taken_at', portal.models.base.UtcDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_dashboard_snapshots')),
    )


def downgrade():
    op.drop_table('dashboard_snapshots')
    op.drop_index('ix_dashboard_counts_union_figure', table_name='dashboard_counts')
    op.drop_table('dashboard_counts')
