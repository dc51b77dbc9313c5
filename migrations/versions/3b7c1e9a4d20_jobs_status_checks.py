"""jobs status checks: the database refuses a work-study status the code does not know

Revision ID: 3b7c1e9a4d20
Revises: 49ff4222d9a7
Create Date: 2026-12-02 09:00:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '3b7c1e9a4d20'
down_revision = '49ff4222d9a7'
branch_labels = None
depends_on = None

# The statuses as they are at this revision (portal/domain/jobs.py); a later status needs a new
# revision that re-creates the CHECK, not an edit here.
STATUSES = {
    'enterprises': ('pending', 'approved', 'rejected'),
    'positions': ('open', 'closed'),
    'applications': ('submitted', 'accepted', 'declined', 'withdrawn'),
    'placements': ('confirmed', 'under_way', 'finished'),
    'concerns': ('open', 'answered'),
}


def upgrade():
    for table, statuses in STATUSES.items():
        values = ", ".join(f"'{status}'" for status in statuses)
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_check_constraint(op.f(f'ck_{table}_status_values'), f"status IN ({values})")


def downgrade():
    for table in reversed(STATUSES):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(op.f(f'ck_{table}_status_values'), type_='check')
