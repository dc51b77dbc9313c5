"""The database itself refuses a status the code does not know.

``status_check`` puts a CHECK generated from the domain's enum on a model's status column. Here
the refusal is tried on the suite's database (built from the models); tests/test_migrations.py
finds the same CHECKs, value by value, in the schema the migrations build.
"""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from portal.domain.roles import Role
from portal.extensions import db
from portal.models.claims import PayoutBatch
from tests.factories import covered_member, create_staff, file_claim


def test_the_database_refuses_an_unknown_claim_status():
    claim = file_claim(covered_member(), submit=False)
    with pytest.raises(IntegrityError):
        db.session.execute(text("UPDATE claims SET status = 'lost' WHERE id = :id"), {"id": claim.id})
    db.session.rollback()
    db.session.execute(text("UPDATE claims SET status = 'submitted' WHERE id = :id"), {"id": claim.id})


def test_the_database_refuses_an_unknown_payout_batch_status():
    reviewer = create_staff("rev", Role.REVIEWER)
    db.session.add(PayoutBatch(status="void", created_by_id=reviewer.id))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()
