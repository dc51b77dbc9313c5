"""texts and staff's decision words encrypted at rest

The bodies of texts (a discharge reminder names the hospital, a decision text the reason) and the
words staff type about a person's case (a claim's decision and adjustment reasons and an exception's justification, an enrolment's
rejection reason, a declined join request's note, an enterprise's answer to a student, a hardship family's reason and its steps'
notes) are encrypted like ID numbers (``portal.pii``): the columns become text holding ciphertext,
and every existing row is encrypted here, in batches, with the application's data key. Nothing
searches these columns (the SMS log searches by the mobile's keyed hash).

Revision ID: b8d4e2f6a1c3
Revises: e5a1c7d3f9b2
Create Date: 2026-12-02 16:30:00

"""
import sqlalchemy as sa
from alembic import op

from portal.pii import vault

revision = 'b8d4e2f6a1c3'
down_revision = 'e5a1c7d3f9b2'
branch_labels = None
depends_on = None

BATCH = 1000

# table -> {column: (type before, nullable)}
COLUMNS = {
    'sms_messages': {'body': (sa.Text(), False)},
    'claims': {'decision_reason': (sa.String(length=500), True), 'adjustment_reason': (sa.String(length=300), True),
               'override_justification': (sa.String(length=500), True)},
    'enrollments': {'cancelled_reason': (sa.String(length=200), True)},
    'join_requests': {'decline_note': (sa.Text(), True)},
    'applications': {'decision_note': (sa.String(length=300), True)},
    'hardship_families': {'reason': (sa.String(length=200), False)},
    'hardship_events': {'note': (sa.String(length=200), True)},
}


def _rewrite(table: str, columns: tuple[str, ...], change) -> None:
    """Rewrite every non-empty value of ``columns`` of ``table`` with ``change(value)``."""
    bind = op.get_bind()
    listed = ", ".join(columns)
    any_set = " OR ".join(f"{column} IS NOT NULL" for column in columns)
    assignments = ", ".join(f"{column} = :{column}" for column in columns)
    update = sa.text(f"UPDATE {table} SET {assignments} WHERE id = :row_id")
    last = 0
    while True:
        rows = bind.execute(sa.text(f"SELECT id, {listed} FROM {table} WHERE id > :last AND ({any_set}) "
                                    f"ORDER BY id LIMIT {BATCH}"), {"last": last}).all()
        if not rows:
            return
        bind.execute(update, [{"row_id": row[0], **{column: None if value is None else change(value)
                                                    for column, value in zip(columns, row[1:])}}
                              for row in rows])
        last = rows[-1][0]


# Partial unique indexes of the tables recreated on SQLite: the copy would lose their WHERE, so
# they are dropped and put back by hand.
PARTIAL = {'enrollments': ('uq_enrollments_member_year_live', ['member_id', 'plan_year'], "status != 'cancelled'")}


def _batch_alter(table, to_text: bool):
    """Only the bounded columns change type."""
    changes = [(column, was, nullable) for column, (was, nullable) in COLUMNS[table].items()
               if not isinstance(was, sa.Text)]
    if not changes:
        return
    with op.batch_alter_table(table, schema=None) as batch_op:
        if table in PARTIAL:
            name, _columns, where = PARTIAL[table]
            batch_op.drop_index(name, sqlite_where=sa.text(where), postgresql_where=sa.text(where))
        for column, was, nullable in changes:
            if to_text:
                batch_op.alter_column(column, existing_type=was, type_=sa.Text(), existing_nullable=nullable)
            else:
                batch_op.alter_column(column, existing_type=sa.Text(), type_=was, existing_nullable=nullable)
        if table in PARTIAL:
            name, columns, where = PARTIAL[table]
            batch_op.create_index(name, columns, unique=True, sqlite_where=sa.text(where),
                                  postgresql_where=sa.text(where))


def upgrade():
    for table, columns in COLUMNS.items():
        _batch_alter(table, to_text=True)
        _rewrite(table, tuple(columns), vault().encrypt)


def downgrade():
    for table, columns in COLUMNS.items():
        _rewrite(table, tuple(columns), vault().decrypt)
        _batch_alter(table, to_text=False)
