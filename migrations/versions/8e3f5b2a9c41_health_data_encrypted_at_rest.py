"""health data encrypted at rest

A claim's hospital, diagnosis, disease and accident description, its automatic checks (``flags``,
whose messages can name the disease), its benefit breakdown (names the disease) and its timeline
steps are encrypted like ID numbers (``portal.pii``): the columns become text holding ciphertext,
and every existing row is encrypted here, in batches, with the application's data key.

Revision ID: 8e3f5b2a9c41
Revises: aeb4448a6846
Create Date: 2026-12-02 11:30:00

"""
import json

import sqlalchemy as sa
from alembic import op

from portal.pii import dump_json, vault

# revision identifiers, used by Alembic.
revision = '8e3f5b2a9c41'
down_revision = 'aeb4448a6846'
branch_labels = None
depends_on = None

PAID_STAY_WHERE = ("admission_date IS NOT NULL AND status IN "
                   "('awaiting_second', 'approved', 'payout_pending', 'paid')")
BATCH = 1000

CLAIM_TEXT = {'hospital': sa.String(length=120), 'diagnosis': sa.String(length=200),
              'disease': sa.String(length=60), 'accident_description': sa.Text()}
CLAIM_JSON = ('flags', 'breakdown')


def _rewrite(table: str, columns: tuple[str, ...], change) -> None:
    """Rewrite every non-empty value of ``columns`` of ``table`` with ``change(column, value)``."""
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
        bind.execute(update, [{"row_id": row[0], **{column: None if value is None else change(column, value)
                                                    for column, value in zip(columns, row[1:])}}
                              for row in rows])
        last = rows[-1][0]


def _encrypt(column: str, value):
    if column in CLAIM_JSON:
        # SQLite hands JSON back as text, psycopg as Python values: store one compact form.
        return vault().encrypt(dump_json(json.loads(value) if isinstance(value, str) else value))
    return vault().encrypt(value)


def _decrypt(column: str, value):
    return vault().decrypt(value)


def upgrade():
    with op.batch_alter_table('claims', schema=None) as batch_op:
        # Recreated on SQLite: the partial unique index is put back by hand, as the copy would lose its WHERE.
        batch_op.drop_index('uq_claims_paid_stay', sqlite_where=sa.text(PAID_STAY_WHERE),
                            postgresql_where=sa.text(PAID_STAY_WHERE))
        for column, was in CLAIM_TEXT.items():
            if not isinstance(was, sa.Text):
                batch_op.alter_column(column, existing_type=was, type_=sa.Text(), existing_nullable=True)
        batch_op.alter_column('flags', existing_type=sa.JSON(), type_=sa.Text(), existing_nullable=False,
                              postgresql_using='flags::text')
        batch_op.alter_column('breakdown', existing_type=sa.JSON(), type_=sa.Text(), existing_nullable=True,
                              postgresql_using='breakdown::text')
        batch_op.create_index('uq_claims_paid_stay', ['member_id', 'admission_date'], unique=True,
                              sqlite_where=sa.text(PAID_STAY_WHERE), postgresql_where=sa.text(PAID_STAY_WHERE))
    with op.batch_alter_table('claim_events', schema=None) as batch_op:
        batch_op.alter_column('message', existing_type=sa.String(length=500), type_=sa.Text(),
                              existing_nullable=False)
    _rewrite('claims', (*CLAIM_TEXT, *CLAIM_JSON), _encrypt)
    _rewrite('claim_events', ('message',), _encrypt)


def downgrade():
    _rewrite('claims', (*CLAIM_TEXT, *CLAIM_JSON), _decrypt)
    _rewrite('claim_events', ('message',), _decrypt)
    with op.batch_alter_table('claim_events', schema=None) as batch_op:
        batch_op.alter_column('message', existing_type=sa.Text(), type_=sa.String(length=500),
                              existing_nullable=False)
    with op.batch_alter_table('claims', schema=None) as batch_op:
        batch_op.drop_index('uq_claims_paid_stay', sqlite_where=sa.text(PAID_STAY_WHERE),
                            postgresql_where=sa.text(PAID_STAY_WHERE))
        for column, was in CLAIM_TEXT.items():
            if not isinstance(was, sa.Text):
                batch_op.alter_column(column, existing_type=sa.Text(), type_=was, existing_nullable=True)
        batch_op.alter_column('flags', existing_type=sa.Text(), type_=sa.JSON(), existing_nullable=False,
                              postgresql_using='flags::json')
        batch_op.alter_column('breakdown', existing_type=sa.Text(), type_=sa.JSON(), existing_nullable=True,
                              postgresql_using='breakdown::json')
        batch_op.create_index('uq_claims_paid_stay', ['member_id', 'admission_date'], unique=True,
                              sqlite_where=sa.text(PAID_STAY_WHERE), postgresql_where=sa.text(PAID_STAY_WHERE))
