"""join requests and their codes (网上入会)

A worker on no roster proves their mobile with a texted code (join_codes) and asks a union to take
them (join_requests: submitted → confirmed / declined). Unions say whether the joining page offers
them; district unions do from the start.

Revision ID: f6a2ec1a570e
Revises: a1e11b0c0e01
Create Date: 2026-12-02 08:05:54.895467

"""
from alembic import op
import sqlalchemy as sa

import portal.models.base
import portal.pii


# revision identifiers, used by Alembic.
revision = 'f6a2ec1a570e'
down_revision = 'a1e11b0c0e01'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('join_codes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('id_number_hash', sa.String(length=64), nullable=False),
    sa.Column('id_number', portal.pii.EncryptedText(), nullable=False),
    sa.Column('mobile', portal.pii.EncryptedText(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=True),
    sa.Column('code_hash', sa.String(length=255), nullable=False),
    sa.Column('expires_at', portal.models.base.UtcDateTime(timezone=True), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('used_at', portal.models.base.UtcDateTime(timezone=True), nullable=True),
    sa.Column('created_at', portal.models.base.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_join_codes_member_id_members')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_join_codes'))
    )
    with op.batch_alter_table('join_codes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_join_codes_id_number_hash'), ['id_number_hash'], unique=False)

    op.create_table('join_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('id_number', portal.pii.EncryptedText(), nullable=False),
    sa.Column('id_number_hash', sa.String(length=64), nullable=False),
    sa.Column('gender', sa.String(length=1), nullable=False),
    sa.Column('birth_date', sa.Date(), nullable=False),
    sa.Column('mobile', portal.pii.EncryptedText(), nullable=False),
    sa.Column('mobile_hash', sa.String(length=64), nullable=False),
    sa.Column('occupation', sa.String(length=40), nullable=False),
    sa.Column('employer', sa.String(length=60), nullable=False),
    sa.Column('has_social_insurance', sa.Boolean(), nullable=False),
    sa.Column('union_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('proof_stored_name', sa.String(length=120), nullable=True),
    sa.Column('proof_content_type', sa.String(length=40), nullable=True),
    sa.Column('decline_reason', sa.String(length=32), nullable=True),
    sa.Column('decline_note', sa.Text(), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', portal.models.base.UtcDateTime(timezone=True), nullable=True),
    sa.Column('member_id', sa.Integer(), nullable=True),
    sa.Column('created_at', portal.models.base.UtcDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', portal.models.base.UtcDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status IN ('submitted', 'confirmed', 'declined')", name=op.f('ck_join_requests_status_values')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['staff_users.id'], name=op.f('fk_join_requests_decided_by_id_staff_users')),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_join_requests_member_id_members')),
    sa.ForeignKeyConstraint(['union_id'], ['unions.id'], name=op.f('fk_join_requests_union_id_unions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_join_requests'))
    )
    with op.batch_alter_table('join_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_join_requests_id_number_hash'), ['id_number_hash'], unique=False)
        batch_op.create_index(batch_op.f('ix_join_requests_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_join_requests_union_id'), ['union_id'], unique=False)
        batch_op.create_index('uq_join_requests_open_person', ['id_number_hash'], unique=True, sqlite_where=sa.text("status = 'submitted'"), postgresql_where=sa.text("status = 'submitted'"))

    with op.batch_alter_table('unions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('takes_join_requests', sa.Boolean(), server_default=sa.text('false'), nullable=False))
    op.execute("UPDATE unions SET takes_join_requests = true WHERE kind = 'district'")



def downgrade():
    with op.batch_alter_table('unions', schema=None) as batch_op:
        batch_op.drop_column('takes_join_requests')

    with op.batch_alter_table('join_requests', schema=None) as batch_op:
        batch_op.drop_index('uq_join_requests_open_person', sqlite_where=sa.text("status = 'submitted'"), postgresql_where=sa.text("status = 'submitted'"))
        batch_op.drop_index(batch_op.f('ix_join_requests_union_id'))
        batch_op.drop_index(batch_op.f('ix_join_requests_status'))
        batch_op.drop_index(batch_op.f('ix_join_requests_id_number_hash'))

    op.drop_table('join_requests')
    with op.batch_alter_table('join_codes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_join_codes_id_number_hash'))

    op.drop_table('join_codes')
