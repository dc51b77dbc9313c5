"""claims and payout batch status checks

The database refuses a claim or payout-batch status the code does not know: CHECKs generated from
``ClaimStatus`` and ``PayoutBatchStatus`` (``portal.models.base.status_check``). The values are
written out here, as they are today, so this revision means the same thing whatever the enums
become; a later status gets a revision of its own that re-creates the CHECK.

Revision ID: fa76cf7fd104
Revises: ef5517ebe9bf
Create Date: 2026-12-01 10:00:00.000000

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = 'fa76cf7fd104'
down_revision = 'ef5517ebe9bf'
branch_labels = None
depends_on = None

CLAIM_STATUSES = ("draft", "submitted", "in_review", "needs_documents", "awaiting_second", "approved", "rejected",
                  "payout_pending", "paid")
PAYOUT_BATCH_STATUSES = ("open", "paid")


def _values(statuses):
    return "status IN ({})".format(", ".join(f"'{status}'" for status in statuses))


def upgrade():
    with op.batch_alter_table('claims', schema=None) as batch_op:
        batch_op.create_check_constraint(op.f('ck_claims_status_values'), _values(CLAIM_STATUSES))
    with op.batch_alter_table('payout_batches', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_payout_batches_status'), type_='check')
        batch_op.create_check_constraint(op.f('ck_payout_batches_status_values'), _values(PAYOUT_BATCH_STATUSES))


def downgrade():
    with op.batch_alter_table('payout_batches', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_payout_batches_status_values'), type_='check')
        batch_op.create_check_constraint(op.f('ck_payout_batches_status'), _values(PAYOUT_BATCH_STATUSES))
    with op.batch_alter_table('claims', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_claims_status_values'), type_='check')
