"""The database itself refuses a status the code does not know.

``status_check`` puts a CHECK generated from the domain's enum on a model's status column. Here
the refusal is tried on the suite's database (built from the models); tests/test_migrations.py
finds the same CHECKs, value by value, in the schema the migrations build.
"""

from __future__ import annotations

from datetime import UTC, datetime

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


def _refused(sql: str, **params) -> None:
    with pytest.raises(IntegrityError):
        db.session.execute(text(sql), params)
    db.session.rollback()


def test_the_database_refuses_an_unknown_enrolment_status():
    from tests.factories import create_enrollment, create_member, create_plan

    enrollment = create_enrollment(create_member(), create_plan())
    db.session.commit()
    _refused("UPDATE enrollments SET status = 'lapsed' WHERE id = :id", id=enrollment.id)
    db.session.execute(text("UPDATE enrollments SET status = 'expired' WHERE id = :id"), {"id": enrollment.id})


def test_the_database_refuses_an_unknown_roster_import_status():
    from portal.models import RosterImport
    from tests.factories import create_plan, create_union

    roster = RosterImport(union_id=create_union().id, plan_id=create_plan().id, filename="名单.xlsx",
                          content_hash="0" * 64, stored_name="x.xlsx", issues=[])
    db.session.add(roster)
    db.session.commit()
    assert roster.status == "queued"
    _refused("UPDATE roster_imports SET status = 'checking' WHERE id = :id", id=roster.id)


def test_the_database_refuses_an_unknown_text_status():
    from portal.services.sms import queue_text

    message = queue_text("13812345678", kind="login_code", params={"code": "1", "minutes": 5},
                         send_after=datetime(2030, 1, 1, tzinfo=UTC))
    db.session.commit()
    _refused("UPDATE sms_messages SET status = 'bounced' WHERE id = :id", id=message.id)


def test_enrolment_roster_and_text_machines_refuse_illegal_moves():
    from types import SimpleNamespace

    from portal.domain.enrollment import (
        ENROLMENT,
        ROSTER_IMPORT,
        EnrollmentAction,
        EnrollmentStatus,
        RosterImportAction,
        RosterImportStatus,
    )
    from portal.domain.errors import Conflict
    from portal.domain.texts import SMS, SmsAction, SmsStatus

    cover = SimpleNamespace(status=EnrollmentStatus.PENDING)
    assert ENROLMENT.move(cover, EnrollmentAction.CONFIRM) == EnrollmentStatus.ACTIVE
    with pytest.raises(Conflict, match="保障中"):
        ENROLMENT.move(cover, EnrollmentAction.REJECT)
    assert ENROLMENT.terminal() == {EnrollmentStatus.EXPIRED, EnrollmentStatus.CANCELLED}
    roster = SimpleNamespace(status=RosterImportStatus.DONE)
    for action in RosterImportAction:
        assert not ROSTER_IMPORT.can(roster.status, action)  # an imported roster is never touched again
    assert ROSTER_IMPORT.can(RosterImportStatus.FAILED, RosterImportAction.RECHECK)
    text_message = SimpleNamespace(status=SmsStatus.SENT)
    with pytest.raises(Conflict):
        SMS.move(text_message, SmsAction.HOLD)  # a text handed to the provider cannot be held back
    assert SMS.move(text_message, SmsAction.CONFIRM_DELIVERY) == SmsStatus.DELIVERED


def test_every_status_column_has_a_check():
    """A new status column comes with its CHECK (``status_check``), generated from its enum."""
    from sqlalchemy import CheckConstraint

    statuses = [(table, column.name) for table in db.metadata.sorted_tables for column in table.columns
                if column.name == "status"]
    assert len(statuses) >= 15
    missing = [f"{table.name}.{name}" for table, name in statuses
               if not any(isinstance(constraint, CheckConstraint) and str(constraint.name).endswith(f"{name}_values")
                          for constraint in table.constraints)]
    assert missing == []
