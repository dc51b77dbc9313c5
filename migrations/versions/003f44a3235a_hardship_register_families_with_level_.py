"""hardship register: families with level, review date and history, replacing the member flag

Revision ID: 003f44a3235a
Revises: 533ca5a5a252
Create Date: 2026-12-02 06:53:41.441152

Members flagged ``is_hardship_family`` are carried over as registered grassroots families (kept
by their union, or the federation for a member without one), each with a first history entry, so
their children keep their priority; then the flag goes. Downgrading sets the flag again for every
family still on the register.
"""
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa
from alembic import op

import portal.models.base

# revision identifiers, used by Alembic.
revision = '003f44a3235a'
down_revision = '533ca5a5a252'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('hardship_families',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('union_id', sa.Integer(), nullable=False),
    sa.Column('level', sa.String(length=12), nullable=False),
    sa.Column('reason', sa.String(length=200), nullable=False),
    sa.Column('registered_on', sa.Date(), nullable=False),
    sa.Column('review_on', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('created_at', portal.models.base.UtcDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', portal.models.base.UtcDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("level IN ('city', 'district', 'grassroots')", name=op.f('ck_hardship_families_level_values')),
    sa.CheckConstraint("status IN ('registered', 'reviewed', 'removed')",
        name=op.f('ck_hardship_families_status_values')),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_hardship_families_member_id_members')),
    sa.ForeignKeyConstraint(['union_id'], ['unions.id'], name=op.f('fk_hardship_families_union_id_unions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hardship_families')),
    sa.UniqueConstraint('member_id', name=op.f('uq_hardship_families_member_id'))
    )
    with op.batch_alter_table('hardship_families', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_hardship_families_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_hardship_families_union_id'), ['union_id'], unique=False)

    op.create_table('hardship_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('family_id', sa.Integer(), nullable=False),
    sa.Column('at', portal.models.base.UtcDateTime(timezone=True), nullable=False),
    sa.Column('action', sa.String(length=12), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('level', sa.String(length=12), nullable=False),
    sa.Column('note', sa.String(length=200), nullable=True),
    sa.Column('actor_label', sa.String(length=80), nullable=False),
    sa.CheckConstraint("action IN ('register', 'review', 'remove', 'restore')",
        name=op.f('ck_hardship_events_action_values')),
    sa.CheckConstraint("status IN ('registered', 'reviewed', 'removed')",
        name=op.f('ck_hardship_events_status_values')),
    sa.ForeignKeyConstraint(['family_id'], ['hardship_families.id'],
        name=op.f('fk_hardship_events_family_id_hardship_families'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hardship_events'))
    )
    with op.batch_alter_table('hardship_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_hardship_events_family_id'), ['family_id'], unique=False)

    _carry_flags_over()
    with op.batch_alter_table('members', schema=None) as batch_op:
        batch_op.drop_column('is_hardship_family')


def _carry_flags_over():
    connection = op.get_bind()
    federation = connection.execute(sa.text("SELECT MIN(id) FROM unions WHERE kind = 'federation'")).scalar()
    flagged = connection.execute(sa.text("SELECT id, union_id FROM members WHERE is_hardship_family = :yes"),
                                 {"yes": True}).all()
    now, today = datetime.now(UTC), date.today()  # noqa: DTZ011 - the day the migration runs
    families = sa.table('hardship_families', sa.column('member_id', sa.Integer), sa.column('union_id', sa.Integer),
                        sa.column('level', sa.String), sa.column('reason', sa.String),
                        sa.column('registered_on', sa.Date), sa.column('review_on', sa.Date),
                        sa.column('status', sa.String), sa.column('version_id', sa.Integer),
                        sa.column('created_at', portal.models.base.UtcDateTime(timezone=True)),
                        sa.column('updated_at', portal.models.base.UtcDateTime(timezone=True)))
    rows = [{"member_id": member_id, "union_id": union_id or federation, "level": "grassroots",
             "reason": "由原“困难职工家庭”标记转入", "registered_on": today, "review_on": today + timedelta(days=365),
             "status": "registered", "version_id": 1, "created_at": now, "updated_at": now}
            for member_id, union_id in flagged if union_id or federation]
    if not rows:
        return
    op.bulk_insert(families, rows)
    events = sa.table('hardship_events', sa.column('family_id', sa.Integer), sa.column('action', sa.String),
                      sa.column('status', sa.String), sa.column('level', sa.String), sa.column('note', sa.String),
                      sa.column('actor_label', sa.String), sa.column('at', portal.models.base.UtcDateTime(timezone=True)))
    ids = connection.execute(sa.text("SELECT id FROM hardship_families")).scalars().all()
    op.bulk_insert(events, [{"family_id": family_id, "action": "register", "status": "registered",
                             "level": "grassroots", "note": "由原“困难职工家庭”标记转入", "actor_label": "migration",
                             "at": now} for family_id in ids])


def downgrade():
    with op.batch_alter_table('members', schema=None) as batch_op:
        batch_op.add_column(sa.Column('is_hardship_family', sa.Boolean(), nullable=False, server_default=sa.false()))
    op.execute("UPDATE members SET is_hardship_family = true WHERE id IN "
               "(SELECT member_id FROM hardship_families WHERE status IN ('registered', 'reviewed'))")
    with op.batch_alter_table('members', schema=None) as batch_op:
        batch_op.alter_column('is_hardship_family', server_default=None)

    with op.batch_alter_table('hardship_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_hardship_events_family_id'))

    op.drop_table('hardship_events')
    with op.batch_alter_table('hardship_families', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_hardship_families_union_id'))
        batch_op.drop_index(batch_op.f('ix_hardship_families_status'))

    op.drop_table('hardship_families')
