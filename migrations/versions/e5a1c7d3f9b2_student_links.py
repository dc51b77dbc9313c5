"""student links: a parent's registration of a student waits for the code texted to the student's
own mobile (position_id empty for such a link); a student applying alone also confirms with a code
sent to their own mobile (student_code_hash)

Revision ID: e5a1c7d3f9b2
Revises: d7e3f9a1b5c2
Create Date: 2026-12-02 16:00:00

"""
from alembic import op
import sqlalchemy as sa

revision = 'e5a1c7d3f9b2'
down_revision = 'd7e3f9a1b5c2'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('student_verifications', schema=None) as batch_op:
        batch_op.alter_column('position_id', existing_type=sa.Integer(), nullable=True)
        batch_op.add_column(sa.Column('student_code_hash', sa.String(length=64), nullable=True))


def downgrade():
    op.execute("DELETE FROM student_verifications WHERE position_id IS NULL")
    with op.batch_alter_table('student_verifications', schema=None) as batch_op:
        batch_op.drop_column('student_code_hash')
        batch_op.alter_column('position_id', existing_type=sa.Integer(), nullable=False)
