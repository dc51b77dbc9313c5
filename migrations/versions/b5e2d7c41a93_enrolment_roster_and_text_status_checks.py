"""enrollment and texts: CHECKs on the status columns of enrolments, roster imports and texts

Revision ID: b5e2d7c41a93
Revises: 44a8360ba253
Create Date: 2026-12-02 07:00:00

The values are written out here rather than read from the enums: a later status comes with its
own migration that re-creates the CHECK, so this revision keeps building the schema it built.
On SQLite, batch mode copies each table with its constraints and indexes and adds the CHECK.
"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'b5e2d7c41a93'
down_revision = '44a8360ba253'
branch_labels = None
depends_on = None

CHECKS = {
    'enrollments': {'status': ('pending', 'active', 'expired', 'cancelled')},
    'roster_imports': {'status': ('queued', 'validating', 'validated', 'importing', 'done', 'failed')},
    'sms_messages': {'status': ('queued', 'held', 'sent', 'delivered', 'failed')},
}


def upgrade():
    for table, columns in CHECKS.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column, values in columns.items():
                listed = ', '.join(f"'{value}'" for value in values)
                batch_op.create_check_constraint(op.f(f'ck_{table}_{column}_values'), f'{column} IN ({listed})')


def downgrade():
    for table, columns in CHECKS.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column in columns:
                batch_op.drop_constraint(op.f(f'ck_{table}_{column}_values'), type_='check')
