"""childcare: CHECKs on the status columns (classes, registrations, attendance) and the seat source
and priority category of a registration

Revision ID: 6419b015f1b8
Revises: 3b7c1e9a4d20
Create Date: 2026-12-02 09:00:00

The values are written out here rather than read from the enums: a later status comes with its
own migration that re-creates the CHECK, so this revision keeps building the schema it built.
On SQLite, batch mode copies each table with its constraints and indexes and adds the CHECK.
"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '6419b015f1b8'
down_revision = '3b7c1e9a4d20'
branch_labels = None
depends_on = None

CHECKS = {
    'childcare_classes': {'status': ('draft', 'published', 'cancelled')},
    'childcare_registrations': {
        'status': ('requested', 'confirmed', 'waitlisted', 'cancelled'),
        'seat_source': ('ballot', 'first_come', 'promotion'),
        'category': ('gig_worker', 'sanitation_worker', 'hardship_family', 'dual_working', 'general'),
    },
    'childcare_attendance': {'status': ('present', 'absent')},
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
